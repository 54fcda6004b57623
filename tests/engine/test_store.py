"""The store: migrations, schema checks, domain models in and out, file loads that are
all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from engine_helpers import sqlite_url
from sqlalchemy import inspect, text

from computefin.domain import demo_market, demo_portfolio
from computefin.engine.demo_book import DEMO_BOOK_FILE, DEMO_LOANS_FILE, demo_data_path
from computefin.engine.loading import count, export_file, load_file
from computefin.engine.store import head_revision, open_store, upgrade
from computefin.engine.store.records import load_loans, load_portfolio, load_snapshot
from computefin.errors import StoreError, ValidationError

TABLES = {
    "counterparties", "sites", "fleets", "server_groups", "contracts", "loans",
    "certificates", "abs_deals", "holdings", "market_snapshots", "scenario_sets",
    "valuation_runs", "valuation_results", "alembic_version",
}  # fmt: skip


def test_upgrade_from_empty_creates_every_table(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    assert upgrade(url) == (None, head_revision())
    store = open_store(url)
    assert set(inspect(store.engine).get_table_names()) == TABLES
    assert upgrade(url) == (head_revision(), head_revision())  # idempotent


def test_upgrade_from_previous_revision_keeps_the_data(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    assert upgrade(url, "r0001") == (None, "r0001")
    with pytest.raises(StoreError, match=r"revision r0001.*needs r0002.*computefin db upgrade"):
        open_store(url)
    # r0001 already holds reference data and loans: load some with plain SQL
    from computefin.engine.store.database import make_engine

    engine = make_engine(url)
    with engine.begin() as c:
        c.execute(text("INSERT INTO counterparties VALUES ('p1','P','AA','global','US','h','{}')"))
    engine.dispose()
    assert upgrade(url) == ("r0001", "r0002")
    store = open_store(url)
    with store.engine.connect() as c:
        assert c.execute(text("SELECT id FROM counterparties")).scalars().all() == ["p1"]
        assert c.execute(text("SELECT count(*) FROM holdings")).scalar() == 0


def test_a_database_without_schema_asks_for_upgrade(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no computefin schema: run `computefin db upgrade`"):
        open_store(sqlite_url(tmp_path))


def test_models_round_trip_through_the_store(tmp_path: Path) -> None:
    store = open_store(sqlite_url(tmp_path), create=True)
    load_file(store, demo_data_path(DEMO_BOOK_FILE), kind="portfolio")
    load_file(store, demo_data_path(DEMO_LOANS_FILE), kind="loans")
    with store.session() as s:
        from computefin.engine.store.records import save_snapshot

        snapshot_id = save_snapshot(s, demo_market())
    shipped = json.loads(demo_data_path(DEMO_BOOK_FILE).read_text())
    with store.session() as s:
        back = load_portfolio(s)
        loans = load_loans(s)
        got_id, market = load_snapshot(s, snapshot_id)
    assert market == demo_market()
    assert got_id.startswith("2026-11-27-")
    assert {f.id for f in back.fleets} == {f["id"] for f in shipped["fleets"]}
    by_id = {f.id: f for f in back.fleets}
    for fleet in demo_portfolio().fleets:
        assert by_id[fleet.id] == fleet
    assert len(loans) == 300
    # sites are stored once however many fleets share them
    with store.engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM sites")).scalar() == 5
        gpus = c.execute(text("SELECT sum(gpus) FROM server_groups")).scalar()
    assert gpus == sum(f.gpus for f in back.fleets)


def test_a_bad_csv_row_names_file_line_and_field_and_writes_nothing(tmp_path: Path) -> None:
    store = open_store(sqlite_url(tmp_path), create=True)
    load_file(store, demo_data_path(DEMO_BOOK_FILE), kind="portfolio")
    frame = pd.read_csv(demo_data_path(DEMO_LOANS_FILE), dtype=str, keep_default_na=False)
    frame.loc[3, "margin"] = "2.5"  # a margin in percent: row 3 is line 5 of the file
    bad = tmp_path / "loans.csv"
    frame.head(10).to_csv(bad, index=False)
    with pytest.raises(ValidationError) as info:
        load_file(store, bad)
    message = str(info.value)
    assert "loans.csv" in message
    assert "(line 5)" in message
    assert ".margin" in message
    assert count(store, "loans") == 0


def test_unknown_and_duplicate_ids_are_refused_whole(tmp_path: Path) -> None:
    store = open_store(sqlite_url(tmp_path), create=True)
    load_file(store, demo_data_path(DEMO_BOOK_FILE), kind="portfolio")
    frame = pd.read_csv(demo_data_path(DEMO_LOANS_FILE), dtype=str, keep_default_na=False)
    frame.loc[2, "fleet_ids"] = '["fleet-nowhere"]'
    path = tmp_path / "loans.csv"
    frame.head(5).to_csv(path, index=False)
    with pytest.raises(ValidationError, match=r"collateral.fleet_ids\[0\]: unknown fleet id"):
        load_file(store, path)
    assert count(store, "loans") == 0
    frame = pd.read_csv(demo_data_path(DEMO_LOANS_FILE), dtype=str, keep_default_na=False)
    frame.head(5).to_csv(path, index=False)
    load_file(store, path)
    with pytest.raises(ValidationError, match=r"loans\[0\].id: is already in the store"):
        load_file(store, path)
    assert count(store, "loans") == 5
    with pytest.raises(ValidationError, match=r"counterparties\[0\].id: is already in the store"):
        load_file(store, demo_data_path(DEMO_BOOK_FILE), kind="portfolio")
    twice = json.loads(demo_data_path(DEMO_BOOK_FILE).read_text())
    twice["fleets"].append(twice["fleets"][0])
    (tmp_path / "portfolio.json").write_text(json.dumps(twice))
    with pytest.raises(ValidationError, match=r"fleets\[60\].id: duplicates an earlier id"):
        load_file(store, tmp_path / "portfolio.json")


def test_json_and_parquet_errors_are_located(tmp_path: Path) -> None:
    store = open_store(sqlite_url(tmp_path), create=True)
    parties = [p.model_dump(mode="json") for p in demo_portfolio().counterparties]
    parties[4]["rating_scale"] = "moodys-ish"
    path = tmp_path / "counterparties.json"
    path.write_text(json.dumps(parties))
    with pytest.raises(ValidationError, match=r"counterparties.json: \[4\]: Counterparty.rating"):
        load_file(store, path)
    pq = tmp_path / "parties.parquet"
    pd.DataFrame(parties).astype(str).to_parquet(pq)
    with pytest.raises(ValidationError, match=r"parties.parquet: row 5: Counterparty"):
        load_file(store, pq, kind="counterparties")
    assert count(store, "counterparties") == 0
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(ValidationError, match="cannot read JSON"):
        load_file(store, tmp_path / "broken.json", kind="counterparties")


def test_over_committed_fleet_in_a_contract_file_writes_nothing(tmp_path: Path) -> None:
    store = open_store(sqlite_url(tmp_path), create=True)
    p = demo_portfolio()
    load_file(store, _write(tmp_path / "counterparties.json", p.counterparties))
    load_file(store, _write(tmp_path / "fleets.json", p.fleets))
    contracts = [c.model_dump(mode="json") for c in p.contracts]
    contracts[0]["gpus_committed"] = 100_000
    (tmp_path / "contracts.json").write_text(json.dumps(contracts))
    with pytest.raises(ValidationError, match="gpus_committed"):
        load_file(store, tmp_path / "contracts.json")
    assert count(store, "contracts") == 0


@pytest.mark.parametrize("suffix", [".json", ".csv", ".parquet"])
@pytest.mark.parametrize("kind", ["counterparties", "fleets", "contracts", "loans"])
def test_export_then_load_gives_the_same_records(tmp_path: Path, kind: str, suffix: str) -> None:
    source = open_store(sqlite_url(tmp_path, "a.db"), create=True)
    load_file(source, demo_data_path(DEMO_BOOK_FILE), kind="portfolio")
    load_file(source, demo_data_path(DEMO_LOANS_FILE), kind="loans")
    target = open_store(sqlite_url(tmp_path, "b.db"), create=True)
    order = ["counterparties", "fleets", "contracts", "loans"]
    for k in order[: order.index(kind) + 1]:
        out = tmp_path / f"{k}{suffix}"
        assert export_file(source, k, out) == count(source, k)
        load_file(target, out, kind=k)
    with source.session() as a, target.session() as b:
        if kind == "loans":
            assert load_loans(a) == load_loans(b)
        else:
            assert getattr(load_portfolio(a), kind) == getattr(load_portfolio(b), kind)


def _write(path: Path, models: object) -> Path:
    path.write_text(json.dumps([m.model_dump(mode="json") for m in models]))  # type: ignore[attr-defined]
    return path
