"""The effective interest rate of ECL discounting includes the upfront fee (IFRS 9 B5.4)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy.optimize import brentq

from computefin.domain import demo_market, demo_portfolio
from computefin.pricing import CashflowMatrix
from computefin.products import CollateralLoan, value_loan
from computefin.products.valuation._valuation import effective_interest_rates


def _loan(fee: float) -> CollateralLoan:
    return CollateralLoan(
        id="fee", borrower_counterparty_id="gz-cloud", principal=1e8, currency="CNY",
        start=dt.date(2026, 11, 27), maturity=dt.date(2029, 11, 27), frequency="annual",
        amortization="straight", fixed_rate=0.05, day_count="ACT/365F",
        business_day_convention="unadjusted", upfront_fee_rate=fee,
    )  # fmt: skip


def test_the_fee_raises_the_eir_and_lowers_the_discounted_ecl() -> None:
    market, portfolio = demo_market(), demo_portfolio()
    plain = value_loan(_loan(0.0), portfolio, market, stage={"fee": 2})
    with_fee = value_loan(_loan(0.01), portfolio, market, stage={"fee": 2})
    assert with_fee.ecl_lifetime < plain.ecl_lifetime
    assert with_fee.ecl_lifetime == pytest.approx(plain.ecl_lifetime, rel=0.01)


def test_eir_equals_the_irr_of_the_dated_flows_by_hand() -> None:
    # straight 3-year loan, 1% fee: -100 + 1 at start, then 33.33 + interest each year
    days = [0, 365, 730, 1096]  # 2028 is a leap year
    flows = [-99.0, 100 / 3 + 5.0, 100 / 3 + 5.0 * 2 / 3, 100 / 3 + 5.0 / 3 * 366 / 365]
    mx = CashflowMatrix(
        ids=["x"],
        pay_dates=(np.datetime64("2026-11-27") + np.array([days])).astype("datetime64[D]"),
        amounts=np.array([flows]), alive=np.ones((1, 4), dtype=bool),
        settlement="2026-11-26", frequency=1, day_count="ACT/365F",
    )  # fmt: skip
    by_hand = brentq(
        lambda r: sum(a * (1 + r) ** (-d / 365) for a, d in zip(flows, days, strict=True)),
        0.0, 0.2, xtol=1e-15,
    )  # fmt: skip
    assert effective_interest_rates(mx, ["x"], [0.05])[0] == pytest.approx(by_hand, abs=1e-12)
    assert by_hand > 0.05
