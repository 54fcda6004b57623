"""The batch job: results do not depend on chunking, a killed run resumes to exactly once,
PostgreSQL gives what SQLite gives, and every row carries what reproduces it."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from engine_helpers import sqlite_url
from sqlalchemy import func, select

from computefin._version import __version__
from computefin.domain import demo_market
from computefin.engine.batch import RunSpec, execute_run, resolve_stresses, run_valuation, start_run
from computefin.engine.demo_book import load_demo_book
from computefin.engine.results import results, results_from, run_info
from computefin.engine.store import Store, open_store
from computefin.engine.store.records import load_loans, save_loans
from computefin.engine.store.schema import ResultRow
from computefin.errors import StoreError, ValidationError
from computefin.products import CollateralLoan, value_book

AS_OF = dt.date(2026, 11, 27)
CHUNK_RTOL = 1e-12
"""Figures of the same loan valued in different chunks agree to this (relative)."""
FIGURES = ["instrument_id", "case", "pv", "yield_to_maturity", "ltv", "worst_dscr",
           "breach_probability", "lgd", "el", "ecl", "rwa", "fair_margin"]  # fmt: skip


def _figures(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[FIGURES].sort_values(["case", "instrument_id"]).reset_index(drop=True)


def test_results_equal_value_book_and_carry_the_audit_trail(demo_store: Store) -> None:
    spec = RunSpec(as_of=AS_OF, n_scenarios=20, seed=7, chunk_size=5)
    run_id = run_valuation(demo_store, spec)
    got = results_from(demo_store, run_id)
    with demo_store.session() as s:
        loans = load_loans(s)
        from computefin.engine.store.records import load_portfolio

        portfolio = load_portfolio(s)
    direct = value_book(loans, portfolio, demo_market(), 20, seed=7)
    merged = got.merge(direct, left_on="instrument_id", right_on="id", suffixes=("", "_direct"))
    assert len(merged) == 12
    for col in ("pv", "ltv", "worst_dscr", "breach_probability", "el", "ecl", "rwa"):
        pd.testing.assert_series_equal(merged[col], merged[f"{col}_direct"], check_names=False,
                                       rtol=CHUNK_RTOL, atol=0)  # fmt: skip
    info = run_info(run_id, demo_store)
    assert info["status"] == "completed"
    assert info["scenario_hash"] is not None
    row = got.iloc[0]
    assert row.run_id == run_id
    assert row.snapshot_id == info["snapshot_id"]
    assert row.scenario_hash == info["scenario_hash"]
    assert row.seed == 7
    assert row.package_version == __version__
    assert len(row.input_hash) == 64


def test_chunking_does_not_change_any_figure(demo_store: Store) -> None:
    """Scenario paths are drawn per fleet, so a chunk's other loans change nothing but the
    last bits of vectorised sums (padding to the widest schedule in the chunk)."""
    one = run_valuation(demo_store, RunSpec(as_of=AS_OF, n_scenarios=15, seed=3, chunk_size=100))
    many = run_valuation(demo_store, RunSpec(as_of=AS_OF, n_scenarios=15, seed=3, chunk_size=2))
    pd.testing.assert_frame_equal(
        _figures(results_from(demo_store, one)),
        _figures(results_from(demo_store, many)),
        rtol=CHUNK_RTOL,
    )
    again = run_valuation(demo_store, RunSpec(as_of=AS_OF, n_scenarios=15, seed=3, chunk_size=2))
    pd.testing.assert_frame_equal(  # same chunking: bit for bit
        _figures(results_from(demo_store, many)), _figures(results_from(demo_store, again)),
        rtol=0, atol=0, check_exact=True,
    )  # fmt: skip


def test_runs_split_by_max_chunks_resume_to_exactly_once(demo_store: Store) -> None:
    stresses = resolve_stresses(["rental-price-halved"])
    spec = RunSpec(as_of=AS_OF, n_scenarios=10, seed=1, chunk_size=5, stresses=stresses)
    run_id = start_run(demo_store, spec)
    first = execute_run(demo_store, run_id, max_chunks=2)
    assert (first.valued, first.status) == (10, "running")
    rest = execute_run(demo_store, run_id)
    assert (rest.valued, rest.total, rest.status) == (14, 24, "completed")
    frame = results_from(demo_store, run_id)
    assert len(frame) == 24
    assert not frame.duplicated(["case", "instrument_id"]).any()
    assert set(frame["case"]) == {"base", "rental-price-halved"}
    base = frame[frame.case == "base"].set_index("instrument_id")
    low = frame[frame.case == "rental-price-halved"].set_index("instrument_id")
    assert (low.ltv >= base.ltv).all()  # halved rents lower every fleet's value
    assert (low.ltv > base.ltv).any()


def test_a_changed_store_refuses_to_resume(demo_store: Store) -> None:
    run_id = start_run(demo_store, RunSpec(as_of=AS_OF, chunk_size=5))
    execute_run(demo_store, run_id, max_chunks=1)
    with demo_store.session() as s:
        loan = load_loans(s)[0]
        save_loans(s, [loan.model_copy(update={"id": "an-extra-loan"})])
    with pytest.raises(StoreError, match="instruments changed since run"):
        execute_run(demo_store, run_id)


def test_bad_loans_are_recorded_with_their_error_and_the_rest_valued(tmp_path: Path) -> None:
    store = open_store(sqlite_url(tmp_path), create=True)
    load_demo_book(store, loans=3)
    matured = CollateralLoan(
        id="matured", borrower_counterparty_id="nx-computing", principal=1e6, currency="CNY",
        start=dt.date(2020, 1, 15), maturity=dt.date(2022, 1, 15), frequency="annual",
        amortization="bullet", fixed_rate=0.04, collateral={"fleet_ids": ["fleet-nx-h20"]},
    )  # fmt: skip
    with store.session() as s:
        save_loans(s, [matured])
    run_id = run_valuation(store, RunSpec(as_of=AS_OF))
    frame = results_from(store, run_id).set_index("instrument_id")
    assert "nothing left to pay" in frame.loc["matured", "error"]
    assert frame.drop(index="matured")["error"].isna().all()
    assert frame.drop(index="matured")["pv"].notna().all()


def test_a_missing_snapshot_and_a_bad_spec_are_clear(demo_store: Store) -> None:
    with pytest.raises(StoreError, match="no market snapshot as of 2027-01-01"):
        start_run(demo_store, RunSpec(as_of=dt.date(2027, 1, 1)))
    with pytest.raises(ValidationError, match=r"stress\[0\]: unknown stress"):
        resolve_stresses(["no-such-stress"])
    with pytest.raises(ValidationError, match="chunk_size"):
        RunSpec(as_of=AS_OF, chunk_size=0)
    with pytest.raises(StoreError, match="no valuation run 'nope'"):
        execute_run(demo_store, "nope")


def _count(store: Store, run_id: str) -> int:
    with store.session() as s:
        query = select(func.count()).select_from(ResultRow).where(ResultRow.run_id == run_id)
        return int(s.scalar(query) or 0)


def test_sigkill_mid_run_then_resume_values_every_loan_exactly_once(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    store = open_store(url, create=True)
    load_demo_book(store, loans=30, securitisations=False)
    command = [sys.executable, "-m", "computefin", "value", "--as-of", AS_OF.isoformat(),
               "--db", url, "--scenarios", "40", "--seed", "5", "--chunk-size", "3",
               "--no-progress"]  # fmt: skip
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        run_id = None
        while time.monotonic() < deadline:
            frame = pd.read_sql("SELECT id FROM valuation_runs", store.engine)
            if len(frame):
                run_id = str(frame.id.iloc[0])
                if _count(store, run_id) >= 6:
                    break
            assert child.poll() is None, child.communicate()
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    finally:
        if child.poll() is None:
            child.kill()
    assert run_id is not None
    done = _count(store, run_id)
    assert 6 <= done < 30, "the kill must land mid-run"
    assert run_info(run_id, store)["status"] == "running"
    resumed = subprocess.run(
        [sys.executable, "-m", "computefin", "value", "--db", url, "--resume", run_id,
         "--no-progress"], capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert f"run {run_id} completed: {30 - done} valued now, 30 in the run" in resumed.stdout
    killed = results(run_id, db=url)
    assert len(killed) == 30
    assert not killed.duplicated(["case", "instrument_id"]).any()
    # the killed chunk was never committed: the resumed run's chunks are the chunks an
    # uninterrupted run makes, so the figures agree bit for bit
    clean = run_valuation(store, RunSpec(as_of=AS_OF, n_scenarios=40, seed=5, chunk_size=3))
    pd.testing.assert_frame_equal(
        _figures(killed), _figures(results_from(store, clean)), check_exact=True
    )
    store.close()


@pytest.mark.postgres
def test_postgres_gives_the_same_results_as_sqlite(tmp_path: Path, postgres_url: str) -> None:
    spec = RunSpec(as_of=AS_OF, n_scenarios=10, seed=11, chunk_size=4,
                   stresses=resolve_stresses(["rates-plus-200bp"]))  # fmt: skip
    frames = []
    for url in (sqlite_url(tmp_path), postgres_url):
        store = open_store(url, create=True)
        load_demo_book(store, loans=8)
        run_id = run_valuation(store, spec)
        frame = results_from(store, run_id)
        frames.append(frame)
        store.close()
    lite, pg = frames
    pd.testing.assert_frame_equal(_figures(lite), _figures(pg), check_exact=True)
    audit = ["case", "instrument_id", "input_hash", "scenario_hash", "seed", "package_version"]
    pd.testing.assert_frame_equal(
        lite[audit].sort_values(audit[:2]).reset_index(drop=True),
        pg[audit].sort_values(audit[:2]).reset_index(drop=True),
    )
    every = lite.drop(columns=["run_id"]).sort_values(["case", "instrument_id"])
    every_pg = pg.drop(columns=["run_id"]).sort_values(["case", "instrument_id"])
    assert json.dumps(every.to_dict("records"), sort_keys=True, default=str) == json.dumps(
        every_pg.to_dict("records"), sort_keys=True, default=str
    )


def test_a_snapshot_missing_a_curve_names_each_loan_that_needs_it(tmp_path: Path) -> None:
    """Without SOFR quotes the USD loans cannot be discounted: each gets its own error
    row naming the missing curve; the CNY loans are valued; nothing else is written."""
    from computefin.domain import MarketSnapshot
    from computefin.engine.store.records import save_snapshot

    store = open_store(sqlite_url(tmp_path), create=True)
    load_demo_book(store, loans=60, securitisations=False)
    data = demo_market().model_dump(mode="json")
    data["as_of"] = "2026-11-30"
    data["rate_quotes"] = [q for q in data["rate_quotes"] if q["index"] != "SOFR"]
    data["fixings"] = [f for f in data["fixings"] if f["index"] != "SOFR"]
    with store.session() as s:
        save_snapshot(s, MarketSnapshot.model_validate(data))
    run_id = run_valuation(store, RunSpec(as_of=dt.date(2026, 11, 30), chunk_size=7))
    frame = results_from(store, run_id)
    usd = frame["currency"] == "USD"
    assert usd.any()
    assert (~usd).any()
    for message in frame.loc[usd, "error"]:
        assert "SOFR" in message
        assert message.startswith("CollateralLoan[loan-")
    assert frame.loc[~usd, "error"].isna().all()
    assert frame.loc[~usd, "pv"].notna().all()
    assert len(frame) == 60


def test_a_changed_fleet_or_contract_refuses_to_resume(demo_store: Store) -> None:
    """The remaining instruments would be valued on other collateral: refused."""
    from computefin.engine.store.records import save_contracts

    run_id = start_run(demo_store, RunSpec(as_of=AS_OF, chunk_size=5))
    execute_run(demo_store, run_id, max_chunks=1)
    with demo_store.session() as s:
        from computefin.engine.store.records import load_portfolio

        contract = load_portfolio(s).contracts[0]
        save_contracts(s, [contract.model_copy(update={"id": "ctr-extra", "gpus_committed": 1,
                                                       "start": dt.date(2031, 1, 1),
                                                       "end": dt.date(2032, 1, 1)})])  # fmt: skip
    with pytest.raises(StoreError, match="counterparties, fleets or contracts changed"):
        execute_run(demo_store, run_id)
