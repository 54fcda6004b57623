"""A book equals a loop of single valuations; sensitivities against central differences."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from one_server_fleet import AS_OF, one_server_inputs

from computefin.domain import MarketSnapshot, demo_market, demo_portfolio
from computefin.pricing import flat_curve
from computefin.products.certificate import (
    FIELDS,
    ComputeCertificate,
    valuation as valuation_module,
    value_certificate,
    value_certificates,
)
from computefin.risk import StressScenario

MARKET, PORTFOLIO = demo_market(), demo_portfolio()
ISSUE = dt.date(2026, 11, 27)


def cert(cid: str, **changes: Any) -> ComputeCertificate:
    data: dict[str, Any] = {
        "id": cid, "fleet_id": "fleet-nx-h20", "currency": "CNY",
        "entitlement": {"kind": "noi_share", "share": 0.1}, "issue_date": ISSUE,
        "maturity": dt.date(2028, 11, 27), "frequency": "quarterly", "issue_price": 2.5e6,
    }  # fmt: skip
    data.update(changes)
    return ComputeCertificate.model_validate(data)


BOOK = [
    cert("a", floor_per_period=150_000.0, cap_per_period=700_000.0, senior_claim=True,
         calls=[{"date": dt.date(2027, 11, 27), "price": 1.2e6}]),
    cert("b", entitlement={"kind": "revenue_share", "share": 0.05}, frequency="monthly",
         maturity=dt.date(2028, 5, 27), puts=[{"date": dt.date(2027, 8, 27), "price": 1.5e6}]),
    cert("c", entitlement={"kind": "gpu_hours", "gpu_hours_per_period": 50_000.0},
         issue_date=dt.date(2026, 9, 30), maturity=dt.date(2027, 9, 30), redemption=1e5,
         senior_claim=True),
    cert("d", fleet_id="fleet-dal-h100", currency="USD", issue_price=3e5,
         entitlement={"kind": "noi_share", "share": 0.02}, frequency="semiannual",
         maturity=dt.date(2028, 11, 27), calls=[{"date": dt.date(2027, 11, 27), "price": 2e5}]),
    cert("e", fleet_id="fleet-dal-h100", currency="CNY", issue_price=2e6, units=100,
         entitlement={"kind": "noi_share", "share": 0.02}, issue_date=dt.date(2027, 2, 27),
         maturity=dt.date(2028, 2, 27)),
]  # fmt: skip


def test_a_book_equals_a_loop_of_single_valuations() -> None:
    # Every maturity is before its fleet retires (nx-h20 2029-08-31, dal-h100 2029-03-01),
    # so each fleet's paths run to its retirement alone or in the book.
    book = value_certificates(BOOK, PORTFOLIO, MARKET, 300, seed=7)
    singles = pd.concat(
        [value_certificate(c, MARKET, PORTFOLIO, 300, seed=7).to_frame() for c in BOOK],
        ignore_index=True,
    )
    assert list(book.columns) == list(FIELDS)
    pd.testing.assert_frame_equal(book, singles, rtol=1e-10)
    assert book["n_paths"].tolist() == [300] * 5
    assert book.loc[4, "settlement"] == dt.date(2027, 2, 27)  # forward-starting
    assert book.loc[4, "fair_value_per_unit"] == pytest.approx(book.loc[4, "fair_value"] / 100)
    assert (book["irr_p5"] <= book["irr_p50"]).all()
    assert (book["irr_p50"] <= book["irr_p95"]).all()
    assert book["fair_value"].gt(0).all()
    assert book["dv01"].gt(0).all()


def test_chunks_do_not_change_the_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = value_certificates(BOOK, PORTFOLIO, MARKET, 150, seed=3, sensitivities=False)
    monkeypatch.setattr(valuation_module, "_CHUNK_ELEMENTS", 1)  # one certificate a pass
    pd.testing.assert_frame_equal(
        whole, value_certificates(BOOK, PORTFOLIO, MARKET, 150, seed=3, sensitivities=False)
    )


def test_paths_are_reproducible_and_mean_near_the_expected_case() -> None:
    plain = [cert("p")]
    first = value_certificates(plain, PORTFOLIO, MARKET, 400, seed=11, sensitivities=False)
    again = value_certificates(plain, PORTFOLIO, MARKET, 400, seed=11, sensitivities=False)
    pd.testing.assert_frame_equal(first, again)
    expected = value_certificates(plain, PORTFOLIO, MARKET, sensitivities=False)
    assert first.loc[0, "fair_value"] == pytest.approx(expected.loc[0, "fair_value"], rel=0.05)


def test_path_sensitivities_equal_central_differences_on_the_same_seed() -> None:
    # A base stress fixes spot utilization at 30% on every path, so the test can move it
    # by exactly one point through the stress library and revalue on the same seed.
    base = StressScenario(name="u30", utilization_level=0.30)
    one = [BOOK[0]]
    v = value_certificates(one, PORTFOLIO, MARKET, 300, seed=5, stress=base).iloc[0]

    def fair(**stress: Any) -> float:
        s = StressScenario(name="bump", **({"utilization_level": 0.30} | stress))
        frame = value_certificates(one, PORTFOLIO, MARKET, 300, seed=5, stress=s,
                                   sensitivities=False)  # fmt: skip
        return float(frame.loc[0, "fair_value"])

    price = (fair(rental_price_shock=0.01) - fair(rental_price_shock=-0.01)) / 2
    util = (fair(utilization_level=0.31) - fair(utilization_level=0.29)) / 2
    rates = (fair(rate_shift_bp=-1.0) - fair(rate_shift_bp=1.0)) / 2
    assert v["delta_rental_price_1pct"] == pytest.approx(price, rel=1e-9)
    assert v["delta_utilization_1pt"] == pytest.approx(util, rel=1e-6)
    # The stress's rate shift also moves the fleet's own discounting (its economic value,
    # the call rule's regressor), so the two agree to the regression's noise only.
    assert v["dv01"] == pytest.approx(rates, rel=0.02)
    assert v["delta_rental_price_1pct"] > 0
    assert v["delta_utilization_1pt"] > 0
    assert v["dv01"] > 0


def test_one_server_sensitivities_equal_the_hand_derivatives() -> None:
    # A 10% revenue share of the one-server fleet, quarterly for a year. Spot revenue is
    # GPUs x 0.5 utilization x 2.00 a GPU-hour: 4 spot GPUs (96 a day) while the contract
    # runs (to 2027-06-01), 8 (192 a day) after. Contract prices do not move with the
    # rental index; spot revenue moves 1% per 1% of price and 2% per utilization point.
    dates = [dt.date(2027, 2, 27), dt.date(2027, 5, 27), dt.date(2027, 8, 27),
             dt.date(2027, 11, 27)]  # fmt: skip
    starts = [AS_OF, *dates[:-1]]
    end = dt.date(2027, 6, 1)
    spot = []
    for s, e in zip(starts, dates, strict=True):
        with_contract = max(0, (min(e, end) - s).days)
        spot.append(with_contract * 96.0 + ((e - s).days - with_contract) * 192.0)
    t = [(d - AS_OF).days / 365.0 for d in dates]
    df = [math.exp(-0.04 * x) for x in t]
    c = ComputeCertificate(id="r", fleet_id="one", currency="USD",
        entitlement={"kind": "revenue_share", "share": 0.1}, issue_date=AS_OF,
        maturity=dates[-1], frequency="quarterly", issue_price=10_000.0)  # fmt: skip
    curves = {"USD": flat_curve(AS_OF, 0.04, currency="USD")}
    v = value_certificate(c, MarketSnapshot(as_of=AS_OF), None,
                          projection_inputs={"one": one_server_inputs(12)},
                          discount_curves=curves)  # fmt: skip
    assert v.delta_rental_price_1pct == pytest.approx(
        sum(0.1 * 0.01 * x * d for x, d in zip(spot, df, strict=True)), rel=1e-9
    )
    assert v.delta_utilization_1pt == pytest.approx(
        sum(0.1 * (0.01 / 0.5) * x * d for x, d in zip(spot, df, strict=True)), rel=1e-9
    )
    paid = v.schedule["expected_flow"].to_numpy()
    dv01 = sum(p * d * math.sinh(1e-4 * x) for p, d, x in zip(paid, df, t, strict=True))
    assert v.dv01 == pytest.approx(dv01, rel=1e-9)
    assert v.schedule["pv"].sum() == pytest.approx(v.fair_value, rel=1e-12)
    assert np.isfinite(v.irr).all()
    assert v.flows.shape == (1, 4)


def test_a_certificate_is_worth_the_same_alone_or_beside_a_longer_one() -> None:
    """Paths are the first months of the longest draw: a certificate maturing after the
    fleet's retirement in the same book must not move another's figures (review repro)."""
    import datetime as dt

    from computefin.domain import demo_market, demo_portfolio
    from computefin.products.certificate import ComputeCertificate, value_certificates

    base = ComputeCertificate.model_validate({
        "id": "short", "fleet_id": "fleet-nx-h20", "currency": "CNY",
        "entitlement": {"kind": "noi_share", "share": 0.15}, "issue_date": "2026-11-27",
        "maturity": "2028-11-27", "frequency": "quarterly", "issue_price": 3_200_000.0,
    })  # fmt: skip
    long = base.model_copy(update={"id": "long", "maturity": dt.date(2031, 11, 27)})
    market, portfolio = demo_market(), demo_portfolio()
    alone = value_certificates([base], portfolio, market, 200, seed=5, sensitivities=False)
    both = value_certificates([base, long], portfolio, market, 200, seed=5, sensitivities=False)
    assert both.set_index("id").loc["short", "fair_value"] == alone.iloc[0]["fair_value"]
    assert both.set_index("id").loc["short", "irr_p50"] == alone.iloc[0]["irr_p50"]
