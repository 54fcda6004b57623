"""The shipped demo book: files in ``computefin/engine/data`` and how to load them.

``demo_book.json`` (counterparties, fleets, contracts), ``demo_loans.csv`` (300 loans),
``demo_abs_deals.json`` (one GPU-lease ABS deal) and ``demo_holdings.csv`` (the bank's
four positions in its tranches) and ``demo_certificates.json`` (four compute rights
certificates on the demo fleets) are written by ``scripts/build_demo_book.py``
(deterministic; a test checks the shipped files against it); the market is the domain demo snapshot
(:func:`computefin.domain.demo_market`). Loading goes through :func:`load_file`, the same
validated path as a bank's own files.

>>> import tempfile, pathlib
>>> from computefin.engine.store import open_store
>>> store = open_store(f"sqlite:///{pathlib.Path(tempfile.mkdtemp()) / 'd.db'}", create=True)
>>> counts = load_demo_book(store)
>>> counts["loans"], counts["fleets"], counts["abs_deals"], counts["holdings"]
(300, 60, 1, 4)
"""

from __future__ import annotations

import tempfile
from importlib import resources
from pathlib import Path

import pandas as pd

from computefin.domain import demo_market
from computefin.engine.loading import count, load_file
from computefin.engine.store import Store
from computefin.engine.store.records import save_snapshot

__all__ = [
    "DEMO_ABS_FILE",
    "DEMO_BOOK_FILE",
    "DEMO_CERTIFICATES_FILE",
    "DEMO_HOLDINGS_FILE",
    "DEMO_LOANS_FILE",
    "demo_data_path",
    "load_demo_book",
]

DEMO_BOOK_FILE = "demo_book.json"
DEMO_LOANS_FILE = "demo_loans.csv"
DEMO_ABS_FILE = "demo_abs_deals.json"
DEMO_HOLDINGS_FILE = "demo_holdings.csv"
DEMO_CERTIFICATES_FILE = "demo_certificates.json"


def demo_data_path(name: str) -> Path:
    """Path of a shipped demo file."""
    return Path(str(resources.files("computefin.engine") / "data" / name))


def load_demo_book(
    store: Store, loans: int | None = None, *, securitisations: bool = True
) -> dict[str, int]:
    """Load the demo portfolio, its loans (all, or the first ``loans``), the ABS deal, its
    holdings and the certificates (unless ``securitisations=False``) and the demo market
    snapshot into an empty store; returns the record counts loaded."""
    load_file(store, demo_data_path(DEMO_BOOK_FILE), kind="portfolio")
    loans_file = demo_data_path(DEMO_LOANS_FILE)
    with tempfile.TemporaryDirectory() as tmp:
        if loans is not None:
            frame = pd.read_csv(loans_file, dtype=str, keep_default_na=False).head(loans)
            loans_file = Path(tmp) / DEMO_LOANS_FILE
            frame.to_csv(loans_file, index=False)
        load_file(store, loans_file, kind="loans")
    if securitisations:
        load_file(store, demo_data_path(DEMO_ABS_FILE), kind="abs_deals")
        load_file(store, demo_data_path(DEMO_HOLDINGS_FILE), kind="holdings")
        load_file(store, demo_data_path(DEMO_CERTIFICATES_FILE), kind="certificates")
    with store.session() as session:
        save_snapshot(session, demo_market())
    kinds = (
        "counterparties", "fleets", "contracts", "loans", "abs_deals", "holdings", "certificates",
    )  # fmt: skip
    out = {k: count(store, k) for k in kinds}
    out["market_snapshots"] = count(store, "snapshot")
    return out
