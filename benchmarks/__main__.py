"""Run the performance suite: ``python -m benchmarks [--n N]``."""

from __future__ import annotations

import argparse
import platform

import numpy as np
import QuantLib as ql

from benchmarks import bench_pricing


def main() -> None:
    """Parse the size, run every benchmark, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200_000, help="items per benchmark")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, numpy {np.__version__}, QuantLib {ql.__version__}")
    print(bench_pricing.run(args.n))


if __name__ == "__main__":
    main()
