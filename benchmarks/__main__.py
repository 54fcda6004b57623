"""Run the performance suite: ``python -m benchmarks [--n N]``."""

from __future__ import annotations

import argparse
import platform

import numpy as np
import QuantLib as ql

from benchmarks import bench_pricing, bench_projection


def main() -> None:
    """Parse the size, run every benchmark, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200_000, help="items per pricing benchmark")
    parser.add_argument("--paths", type=int, default=10_000, help="paths of the projection")
    parser.add_argument(
        "--only", choices=["pricing", "projection"], default=None, help="run one suite"
    )
    args = parser.parse_args()
    print(f"python {platform.python_version()}, numpy {np.__version__}, QuantLib {ql.__version__}")
    if args.only in (None, "pricing"):
        print(bench_pricing.run(args.n))
    if args.only in (None, "projection"):
        print(bench_projection.run(args.paths))


if __name__ == "__main__":
    main()
