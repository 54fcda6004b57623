"""Certificates in the store and the batch job: figures equal the product's book call."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from engine_helpers import sqlite_url

from computefin.domain import demo_market, demo_portfolio
from computefin.engine.batch import RunSpec, run_valuation
from computefin.engine.demo_book import DEMO_CERTIFICATES_FILE, demo_data_path, load_demo_book
from computefin.engine.loading import count, load_file
from computefin.engine.results import results_from
from computefin.engine.store import open_store
from computefin.errors import ValidationError
from computefin.products.certificate import ComputeCertificate, value_certificates


def test_certificates_value_as_the_product_book_call(tmp_path: Path) -> None:
    store = open_store(sqlite_url(tmp_path), create=True)
    load_demo_book(store, loans=1)
    run_id = run_valuation(store, RunSpec(as_of=dt.date(2026, 11, 27), n_scenarios=50, seed=2))
    got = results_from(store, run_id, instrument_type="certificate").set_index("instrument_id")
    certs = [ComputeCertificate.model_validate(c)
             for c in json.loads(demo_data_path(DEMO_CERTIFICATES_FILE).read_text())]  # fmt: skip
    # the store's portfolio is the demo book's, a superset of the domain demo portfolio
    with store.session() as s:
        from computefin.engine.store.records import load_portfolio

        portfolio = load_portfolio(s)
    direct = value_certificates(certs, portfolio, demo_market(), 50, seed=2).set_index("id")
    assert set(got.index) == set(direct.index)
    for cert_id, row in direct.iterrows():
        assert got.loc[cert_id, "pv"] == pytest.approx(row.fair_value, rel=1e-12)
        assert got.loc[cert_id, "irr_p50"] == pytest.approx(row.irr_p50, rel=1e-12)
        assert got.loc[cert_id, "rwa"] == pytest.approx(row.fair_value, rel=1e-12)
    assert got["error"].isna().all()
    assert demo_portfolio().fleet("fleet-nx-h20").id in set(got["fleet_id"])


def test_a_certificate_on_an_unknown_fleet_is_refused(tmp_path: Path) -> None:
    store = open_store(sqlite_url(tmp_path), create=True)
    load_demo_book(store, loans=0, securitisations=False)
    data = json.loads(demo_data_path(DEMO_CERTIFICATES_FILE).read_text())
    data[1]["fleet_id"] = "fleet-elsewhere"
    (tmp_path / "certificates.json").write_text(json.dumps(data))
    with pytest.raises(ValidationError, match=r"certificates\[1\].fleet_id: unknown fleet id"):
        load_file(store, tmp_path / "certificates.json")
    assert count(store, "certificates") == 0
