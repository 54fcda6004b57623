"""Timing helpers: best-of-N wall time, throughput, peak traced memory, ratio to a reference.

Speed is reported as a ratio against a reference run in the same process (usually the
QuantLib per-item loop), so figures from different machines stay comparable.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    """Best wall time of ``repeats`` runs (s) and peak traced memory of one run (bytes)."""

    name: str
    items: int
    seconds: float
    peak_bytes: int

    @property
    def per_second(self) -> float:
        """Items processed per second."""
        return self.items / self.seconds


def measure(name: str, items: int, run: Callable[[], object], repeats: int = 5) -> Timing:
    """Time ``run`` ``repeats`` times (best of) and trace its peak memory once."""
    run()  # warm caches (QuantLib objects, numpy dispatch) before timing
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return Timing(name, items, best, peak)


def report(title: str, fast: Timing, reference: Timing) -> str:
    """One line per timing plus the speed-up of ``fast`` over ``reference``."""
    lines = [title]
    for t in (reference, fast):
        lines.append(
            f"  {t.name:<34} {t.items:>9,} items {t.seconds * 1e3:>10.2f} ms "
            f"{t.per_second:>14,.0f}/s  peak {t.peak_bytes / 2**20:>8.2f} MiB"
        )
    lines.append(f"  speed-up: {reference.seconds / fast.seconds:,.1f}x")
    return "\n".join(lines)
