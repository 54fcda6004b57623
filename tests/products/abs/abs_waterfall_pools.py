"""Hand-built pools and deals for the waterfall tests (small numbers, arithmetic by hand).

Periods are whole years of 365 days (2029-01-01 .. 2033-01-01 avoids leap years until
2032), so an ACT/365F coupon accrues exactly ``rate * balance`` per period.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from computefin.products.abs.pool_flows import PoolFlows
from computefin.products.abs.structure import AbsStructure

YEARS = ["2029-01-01", "2030-01-01", "2031-01-01", "2032-01-01", "2032-12-31"]


def pool(
    interest: Sequence[float],
    principal: Sequence[float],
    pool_end: Sequence[float],
    *,
    defaults: Sequence[float] | None = None,
    recoveries: Sequence[float] | None = None,
    original: float = 100.0,
) -> PoolFlows:
    """A one-path pool over len(interest) annual periods (all of 365 days)."""
    n = len(interest)
    zero = [0.0] * n
    d = list(defaults) if defaults is not None else zero
    r = list(recoveries) if recoveries is not None else zero
    return PoolFlows(
        currency="CNY",
        period_starts=np.array(YEARS[:n], dtype="datetime64[D]"),
        payment_dates=np.array(YEARS[1 : n + 1], dtype="datetime64[D]"),
        original_pool_balance=original,
        interest_collections=np.array([interest], dtype=float),
        principal_collections=np.array([principal], dtype=float),
        recoveries=np.array([r]),
        remarketing_proceeds=np.zeros((1, n)),
        defaulted_balance=np.array([d]),
        net_loss=np.array([d]) - np.array([r]),
        pool_balance=np.array([pool_end], dtype=float),
        contractual_rent_remaining=np.array([pool_end], dtype=float),
    )


def two_class_deal(**changes: Any) -> dict[str, Any]:
    """A 60 (5%) / B 30 (6%) / E 10, trustee fee 1 a year, sequential, no accounts."""
    data: dict[str, Any] = {
        "name": "hand-deal",
        "currency": "CNY",
        "tranches": [
            {
                "name": "A",
                "balance": 60.0,
                "seniority": 1,
                "coupon": {"type": "fixed", "rate": 0.05},
            },
            {
                "name": "B",
                "balance": 30.0,
                "seniority": 2,
                "coupon": {"type": "fixed", "rate": 0.06},
            },
            {"name": "E", "kind": "equity", "balance": 10.0, "seniority": 3},
        ],
        "fees": [{"name": "trustee", "basis": "fixed", "amount_per_year": 1.0}],
        "waterfall": {
            "interest": [
                {"action": "pay_fee", "fee": "trustee"},
                {"action": "pay_interest", "tranches": ["A"]},
                {"action": "pay_interest", "tranches": ["B"]},
            ],
            "principal": [
                {"action": "pay_principal", "tranches": ["A", "B"], "mode": "sequential"},
                {"action": "pay_residual", "tranche": "E"},
            ],
        },
    }
    data.update(changes)
    return data


def zero_coupon_deal(**changes: Any) -> dict[str, Any]:
    """A 60 / B 30 / E 10 at 0% with no fees, pro rata principal: principal arithmetic only."""
    data = two_class_deal(fees=[])
    for t in data["tranches"][:2]:
        t["coupon"] = {"type": "fixed", "rate": 0.0}
    data["waterfall"] = {
        "interest": [{"action": "pay_interest", "tranches": ["A", "B"]}],
        "principal": [
            {"action": "pay_principal", "tranches": ["A", "B"], "mode": "pro_rata"},
            {"action": "pay_residual", "tranche": "E"},
        ],
    }
    data.update(changes)
    return data


def build(data: dict[str, Any]) -> AbsStructure:
    return AbsStructure.model_validate(data)


def level_pay_pool(
    cdr: float, recovery: float, *, periods: int = 5, rate: float = 0.08
) -> PoolFlows:
    """A level-pay annual pool of 100: a share ``cdr`` of the balance defaults at each period
    start and recovers ``recovery`` at once; survivors pay the level annuity."""
    bal = 100.0
    rows: dict[str, list[float]] = {k: [] for k in ("i", "p", "d", "r", "b")}
    for k in range(periods):
        d = bal * cdr
        alive = bal - d
        left = periods - k
        pay = alive * rate / (1.0 - (1.0 + rate) ** -left)
        rows["i"].append(alive * rate)
        rows["p"].append(pay - alive * rate)
        rows["d"].append(d)
        rows["r"].append(d * recovery)
        bal = alive - (pay - alive * rate)
        rows["b"].append(max(bal, 0.0))
    return pool(rows["i"], rows["p"], rows["b"], defaults=rows["d"], recoveries=rows["r"])
