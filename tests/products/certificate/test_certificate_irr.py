"""The holder IRR kernel against scipy's brentq and QuantLib's CashFlows.yieldRate."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import QuantLib as ql
from scipy.optimize import brentq

from computefin.products.certificate._kernel import annual_irr, macaulay_and_modified

SETTLE = dt.date(2026, 11, 27)
PAY = [dt.date(2027, 2, 27), dt.date(2027, 5, 27), dt.date(2027, 8, 27), dt.date(2027, 11, 27)]
FLOWS = np.array([[700.0, 650.0, 300.0, 280.0], [0.0, 0.0, 0.0, 2_100.0], [10.0, 5.0, 0.0, 0.0]])
PRICE = np.array([1_800.0, 2_000.0, 1_000.0])
TIMES = np.array([(d - SETTLE).days / 365.0 for d in PAY])


def ql_yield(flows: np.ndarray, price: float) -> float:
    leg = [ql.SimpleCashFlow(float(a), ql.Date(d.day, d.month, d.year))
           for a, d in zip(flows, PAY, strict=True) if a != 0.0]  # fmt: skip
    settle = ql.Date(SETTLE.day, SETTLE.month, SETTLE.year)
    dc = ql.Actual365Fixed()
    return float(ql.CashFlows.yieldRate(leg, price, dc, ql.Compounded, ql.Annual, False,
                                        settle, settle, 1e-14, 1000, 0.05))  # fmt: skip


def test_irr_matches_brentq_and_quantlib() -> None:
    got = annual_irr(FLOWS, np.broadcast_to(TIMES, FLOWS.shape), PRICE)
    for i in range(2):

        def npv(y: float, i: int = i) -> float:
            return float((FLOWS[i] * (1 + y) ** -TIMES).sum() - PRICE[i])

        assert got[i] == pytest.approx(brentq(npv, -0.99, 10.0, xtol=1e-15), abs=1e-11)
        assert got[i] == pytest.approx(ql_yield(FLOWS[i], PRICE[i]), abs=1e-9)
    # 15 back for 1,000 within half a year: about -100% a year, still solved.
    assert -1.0 < got[2] < -0.9999


def test_irr_edge_cases() -> None:
    times = np.broadcast_to(TIMES, (2, 4))
    flows = np.array([[0.0, 0.0, 0.0, 0.0], [1e-300, 0.0, 0.0, 0.0]])
    assert annual_irr(flows, times, np.array([100.0, 100.0])).tolist() == [-1.0, -1.0]
    assert annual_irr(np.zeros((0, 4)), np.zeros((0, 4)), np.zeros(0)).size == 0


def test_duration_matches_quantlib() -> None:
    flows = FLOWS[:1]
    y, mac, mod = macaulay_and_modified(flows, TIMES[None, :], PRICE[:1])
    leg = [ql.SimpleCashFlow(float(a), ql.Date(d.day, d.month, d.year))
           for a, d in zip(flows[0], PAY, strict=True)]  # fmt: skip
    settle = ql.Date(SETTLE.day, SETTLE.month, SETTLE.year)
    rate = ql.InterestRate(float(y[0]), ql.Actual365Fixed(), ql.Compounded, ql.Annual)
    assert mac[0] == pytest.approx(
        ql.CashFlows.duration(leg, rate, ql.Duration.Macaulay, False, settle), abs=1e-10
    )
    assert mod[0] == pytest.approx(
        ql.CashFlows.duration(leg, rate, ql.Duration.Modified, False, settle), abs=1e-10
    )
