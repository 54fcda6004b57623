"""Scale-out on Dask: a local cluster of two worker processes gives the single-process
figures bit for bit, through the same store; the command line takes --workers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from engine_helpers import sqlite_url
from typer.testing import CliRunner

from computefin.engine.batch import RunSpec, execute_run, resolve_stresses, run_valuation, start_run
from computefin.engine.cli import app
from computefin.engine.demo_book import load_demo_book
from computefin.engine.results import results_from, runs
from computefin.engine.scaleout import DaskRunner, dask_client
from computefin.engine.store import Store, open_store
from computefin.errors import ValidationError

AS_OF = dt.date(2026, 11, 27)
AUDIT = ["case", "instrument_type", "instrument_id", "input_hash", "scenario_hash", "seed"]


def _frame(store: Store, run_id: str) -> pd.DataFrame:
    frame = results_from(store, run_id).drop(columns=["run_id"])
    return frame.sort_values(["case", "instrument_type", "instrument_id"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    with dask_client(workers=2) as c:
        yield c


def test_two_workers_give_the_single_process_figures_bit_for_bit(
    tmp_path: Path, client: object
) -> None:
    store = open_store(sqlite_url(tmp_path), create=True)
    load_demo_book(store, loans=10)  # loans, ABS holdings and certificates
    spec = RunSpec(as_of=AS_OF, n_scenarios=20, seed=13, chunk_size=3,
                   stresses=resolve_stresses(["rates-plus-200bp"]))  # fmt: skip
    here = run_valuation(store, spec)
    there = run_valuation(store, spec, runner=DaskRunner(client))
    a, b = _frame(store, here), _frame(store, there)
    assert len(a) == 2 * (10 + 4 + 4)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_a_dask_run_split_then_resumed_is_exactly_once(tmp_path: Path, client: object) -> None:
    store = open_store(sqlite_url(tmp_path), create=True)
    load_demo_book(store, loans=9, securitisations=False)
    spec = RunSpec(as_of=AS_OF, n_scenarios=10, seed=1, chunk_size=2)
    run_id = start_run(store, spec)
    first = execute_run(store, run_id, max_chunks=2, runner=DaskRunner(client))
    assert (first.valued, first.status) == (4, "running")
    rest = execute_run(store, run_id, runner=DaskRunner(client))
    assert (rest.valued, rest.status) == (5, "completed")
    frame = _frame(store, run_id)
    assert len(frame) == 9
    assert not frame.duplicated(["case", "instrument_id"]).any()
    alone = run_valuation(store, spec)
    pd.testing.assert_frame_equal(frame, _frame(store, alone), check_exact=True)


def test_the_command_line_runs_on_local_workers(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    store = open_store(url, create=True)
    load_demo_book(store, loans=4, securitisations=False)
    done = CliRunner().invoke(
        app, ["value", "--as-of", AS_OF.isoformat(), "--db", url, "--workers", "2",
              "--chunk-size", "2", "--no-progress"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "chunks run on Dask at tcp://" in done.output
    assert "(2 workers)" in done.output
    run_id = str(runs(url)["id"].iloc[0])
    assert f"run {run_id} completed: 4 valued now" in done.output


def test_workers_and_cluster_are_exclusive() -> None:
    with pytest.raises(ValidationError, match="either --workers N or --cluster"), dask_client():
        pass
    with pytest.raises(ValidationError, match="workers: must be >= 1"), dask_client(workers=0):
        pass
