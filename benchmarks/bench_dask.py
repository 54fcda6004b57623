"""Batch valuation on Dask: 1 vs 2 local workers against the single-process run.

Run: ``python -m benchmarks.bench_dask [--loans N] [--scenarios S] [--chunk K]``. Loads
the demo book's first N loans (with their fleets, no ABS or certificates) into a fresh
SQLite store, values it single-process, then on a local Dask cluster of 1 and of 2
worker processes (one thread each), and checks that every figure is bit-identical
before it reports wall times and speed-ups. Cluster start-up is timed apart.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import pandas as pd

from computefin.engine.batch import RunSpec, run_valuation
from computefin.engine.demo_book import load_demo_book
from computefin.engine.results import results_from
from computefin.engine.scaleout import DaskRunner, dask_client
from computefin.engine.store import Store, open_store

AS_OF = dt.date(2026, 11, 27)


def _figures(store: Store, run_id: str) -> pd.DataFrame:
    frame = results_from(store, run_id).drop(columns=["run_id"])
    return frame.sort_values(["case", "instrument_id"]).reset_index(drop=True)


def run(loans: int = 300, scenarios: int = 200, chunk: int = 10) -> str:
    """Time the three runs; return the report."""
    folder = Path(tempfile.mkdtemp(prefix="computefin-bench-dask-"))
    store = open_store(f"sqlite:///{folder / 'b.db'}", create=True)
    load_demo_book(store, loans=loans, securitisations=False)
    spec = RunSpec(as_of=AS_OF, n_scenarios=scenarios, seed=7, chunk_size=chunk)
    lines = [f"batch on Dask: {loans} loans, {scenarios} paths per fleet, chunks of {chunk}"]
    t = time.perf_counter()
    alone = run_valuation(store, spec)
    single = time.perf_counter() - t
    reference = _figures(store, alone)
    lines.append(f"  single process        {single:8.1f} s")
    times = {}
    for workers in (1, 2):
        t = time.perf_counter()
        with dask_client(workers=workers) as client:
            startup = time.perf_counter() - t
            t = time.perf_counter()
            run_id = run_valuation(store, spec, runner=DaskRunner(client))
            times[workers] = time.perf_counter() - t
        pd.testing.assert_frame_equal(reference, _figures(store, run_id), check_exact=True)
        lines.append(
            f"  Dask, {workers} worker{'s' if workers > 1 else ' '}        {times[workers]:8.1f} s"
            f"   ({single / times[workers]:.2f}x single process; cluster start {startup:.1f} s)"
        )
    lines.append(f"  speed-up 2 vs 1 worker: {times[1] / times[2]:.2f}x (figures bit-identical)")
    store.close()
    return "\n".join(lines)


def main() -> None:
    """Parse the sizes and print the report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loans", type=int, default=300)
    parser.add_argument("--scenarios", type=int, default=200)
    parser.add_argument("--chunk", type=int, default=10)
    args = parser.parse_args()
    print(run(args.loans, args.scenarios, args.chunk))


if __name__ == "__main__":
    main()
