"""A run's results as pandas DataFrames (the Python face of ``computefin report``).

>>> import tempfile, pathlib, datetime as dt
>>> from computefin.engine.batch import RunSpec, run_valuation
>>> from computefin.engine.demo_book import load_demo_book
>>> db = f"sqlite:///{pathlib.Path(tempfile.mkdtemp()) / 'r.db'}"
>>> from computefin.engine.store import open_store
>>> store = open_store(db, create=True)
>>> _ = load_demo_book(store, loans=3)
>>> run_id = run_valuation(store, RunSpec(as_of=dt.date(2026, 11, 27)))
>>> frame = results(run_id, db=db)
>>> len(frame), frame["instrument_type"].unique().tolist(), bool(frame["error"].isna().all())
(11, ['abs_tranche', 'certificate', 'loan'], True)
>>> run_info(run_id, db=db)["status"]
'completed'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select

from computefin.engine.store import Store, database_url, open_store
from computefin.engine.store.schema import ResultRow, RunRow
from computefin.errors import StoreError

__all__ = ["AUDIT_COLUMNS", "results", "results_from", "run_info", "runs"]

AUDIT_COLUMNS = (
    "run_id",
    "case",
    "instrument_type",
    "instrument_id",
    "input_hash",
    "snapshot_id",
    "scenario_hash",
    "seed",
    "package_version",
    "error",
)
"""Columns every result row carries, ahead of the product's own figures."""


def _store(db: str | Path | Store | None) -> tuple[Store, bool]:
    if isinstance(db, Store):
        return db, False
    return open_store(database_url(db)), True


def results_from(
    store: Store,
    run_id: str,
    instrument_type: str | None = None,
    case: str | None = None,
) -> pd.DataFrame:
    """Results of a run from an open store: the audit columns, then every figure."""
    with store.session() as session:
        if session.get(RunRow, run_id) is None:
            raise StoreError(f"no valuation run {run_id!r} in the store")
        query = select(ResultRow).where(ResultRow.run_id == run_id)
        if instrument_type is not None:
            query = query.where(ResultRow.instrument_type == instrument_type)
        if case is not None:
            query = query.where(ResultRow.case == case)
        query = query.order_by(ResultRow.case, ResultRow.instrument_type, ResultRow.instrument_id)
        records: list[dict[str, Any]] = []
        for row in session.scalars(query):
            record = {c: getattr(row, c) for c in AUDIT_COLUMNS}
            for key, value in json.loads(row.measures).items():
                record.setdefault(key, value)
            records.append(record)
    frame = pd.DataFrame(records)
    if frame.empty:
        return pd.DataFrame(columns=list(AUDIT_COLUMNS))
    return frame


def results(
    run_id: str,
    db: str | Path | Store | None = None,
    instrument_type: str | None = None,
    case: str | None = None,
) -> pd.DataFrame:
    """One row per instrument and case of run ``run_id`` (``db``: URL, SQLite path or an
    open store; default ``computefin.db`` here). Money in each row's ``currency``."""
    store, owned = _store(db)
    try:
        return results_from(store, run_id, instrument_type, case)
    finally:
        if owned:
            store.close()


def run_info(run_id: str, db: str | Path | Store | None = None) -> dict[str, Any]:
    """The run's record: parameters, status, snapshot, scenario hash, timings."""
    store, owned = _store(db)
    try:
        with store.session() as session:
            run = session.get(RunRow, run_id)
            if run is None:
                raise StoreError(f"no valuation run {run_id!r} in the store")
            return {c.name: getattr(run, c.name) for c in RunRow.__table__.columns}
    finally:
        if owned:
            store.close()


def runs(db: str | Path | Store | None = None) -> pd.DataFrame:
    """Every run in the store, newest first."""
    store, owned = _store(db)
    try:
        with store.session() as session:
            rows = list(session.scalars(select(RunRow).order_by(RunRow.started_at.desc())))
            cols = [c.name for c in RunRow.__table__.columns if c.name != "parameters"]
            return pd.DataFrame([{c: getattr(r, c) for c in cols} for r in rows], columns=cols)
    finally:
        if owned:
            store.close()
