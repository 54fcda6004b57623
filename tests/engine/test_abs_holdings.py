"""ABS holdings in the store and the batch job: pro rata of the tranche, checked refs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from engine_helpers import sqlite_url

from computefin.domain import demo_market, demo_portfolio
from computefin.engine.batch import RunSpec, resolve_stresses, run_valuation
from computefin.engine.demo_book import DEMO_HOLDINGS_FILE, demo_data_path, load_demo_book
from computefin.engine.loading import count, load_file
from computefin.engine.results import results_from
from computefin.engine.store import open_store
from computefin.errors import ValidationError
from computefin.products.abs import demo_deal, value_deal
from computefin.risk import stress_library


def test_holdings_are_their_share_of_the_tranche(tmp_path: Path) -> None:
    store = open_store(sqlite_url(tmp_path), create=True)
    load_demo_book(store, loans=1)
    stresses = resolve_stresses(["rental-price-halved"])
    run_id = run_valuation(
        store, RunSpec(as_of=dt.date(2026, 11, 27), n_scenarios=20, seed=4, stresses=stresses)
    )
    frame = results_from(store, run_id, instrument_type="abs_tranche").set_index(
        ["case", "instrument_id"]
    )
    halved = {s.name: s for s in stress_library()}["rental-price-halved"]
    for case, stress in (("base", None), ("rental-price-halved", halved)):
        table = value_deal(demo_deal(), demo_market(), demo_portfolio(), 20, seed=4,
                           stress=stress).set_index("tranche")  # fmt: skip
        for line in demo_data_path(DEMO_HOLDINGS_FILE).read_text().splitlines()[1:]:
            holding_id, _, _, tranche, face = line.split(",")
            row = frame.loc[(case, holding_id)]
            share = float(face) / table.loc[tranche, "balance"]
            assert row.pv == pytest.approx(share * table.loc[tranche, "pv"], rel=1e-12)
            held = share * table.loc[tranche, "current_balance"]
            assert row.rwa == pytest.approx(held * table.loc[tranche, "risk_weight"], rel=1e-12)
            assert row.ead == pytest.approx(held, rel=1e-12)


def test_holdings_must_name_a_stored_deal_and_tranche(tmp_path: Path) -> None:
    store = open_store(sqlite_url(tmp_path), create=True)
    load_demo_book(store, loans=0, securitisations=True)
    bad = tmp_path / "holdings.csv"
    bad.write_text(
        "id,instrument_type,instrument_id,tranche,face\n"
        "h-x,abs_tranche,abs-demo-gpu-lease-2026,C,1000000\n"
    )
    with pytest.raises(ValidationError, match=r"holdings\[0\].tranche: deal .* has tranches"):
        load_file(store, bad)
    bad.write_text(
        "id,instrument_type,instrument_id,tranche,face\nh-y,abs_tranche,no-deal,A,1000000\n"
    )
    with pytest.raises(ValidationError, match=r"holdings\[0\].instrument_id: unknown ABS deal"):
        load_file(store, bad)
    assert count(store, "holdings") == 4


def test_a_deal_with_an_unknown_lessee_is_refused(tmp_path: Path) -> None:
    store = open_store(sqlite_url(tmp_path), create=True)
    deal = demo_deal().model_dump(mode="json")
    (tmp_path / "abs_deals.json").write_text(json.dumps([deal]))
    with pytest.raises(ValidationError, match=r"pool.leases\[0\].lessee_counterparty_id"):
        load_file(store, tmp_path / "abs_deals.json")
    assert count(store, "abs_deals") == 0
