"""computefin's performance suite: run with ``python -m benchmarks`` (or ``make bench``)."""
