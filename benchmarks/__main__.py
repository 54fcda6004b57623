"""Run the performance suite: ``python -m benchmarks [--n N] [--only SUITE] [--loans N]
[--engine-loans N]`` (suites: pricing, projection, loans, engine, approval, dask)."""

from __future__ import annotations

import argparse
import platform

import numpy as np
import QuantLib as ql

from benchmarks import (
    bench_approval,
    bench_dask,
    bench_engine,
    bench_loans,
    bench_pricing,
    bench_projection,
)


def main() -> None:
    """Parse the size, run every benchmark, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200_000, help="items per pricing benchmark")
    parser.add_argument("--paths", type=int, default=10_000, help="paths of the projection")
    parser.add_argument(
        "--loans", type=int, default=1_000_000, help="loans in the loan book valuation"
    )
    parser.add_argument(
        "--only",
        choices=["pricing", "projection", "loans", "engine", "approval", "dask"],
        default=None,
        help="run one suite",
    )
    parser.add_argument(
        "--engine-loans",
        type=int,
        default=2_000,
        help="loans in the engine end-to-end benchmark (100,000 for the recorded figure)",
    )
    args = parser.parse_args()
    print(f"python {platform.python_version()}, numpy {np.__version__}, QuantLib {ql.__version__}")
    if args.only in (None, "pricing"):
        print(bench_pricing.run(args.n))
    if args.only in (None, "projection"):
        print(bench_projection.run(args.paths))
    if args.only in (None, "loans"):
        print(bench_loans.run(args.loans))
    if args.only in (None, "engine"):
        print(bench_engine.run(args.engine_loans).report())
    if args.only in (None, "approval"):
        print(bench_approval.run())
    if args.only in (None, "dask"):
        print(bench_dask.run())


if __name__ == "__main__":
    main()
