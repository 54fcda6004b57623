"""A one-path (deterministic) certificate against discounted payoffs computed by hand.

The fleet is tests/one_server_fleet.py: one 8 x H100 server in Texas, no randomness that
matters. Its NOI per day, worked out by hand (and in tests/risk/test_projection.py):

- while the 4-GPU contract runs (to 2027-06-01): revenue per hour = contract
  4 x 2.50 x (0.8 + 0.2 x 0.9) = 9.80 plus spot 4 x 0.5 x 2.00 = 4.00, so 13.80 an hour,
  331.20 a day; after it: spot 8 x 0.5 x 2.00 = 8.00 an hour, 192.00 a day;
- opex per day: power 10.2 kW x 1.3 x 0.07 x 24 = 22.2768; colocation
  10.2 x 150 x 12 / 365 = 50.30137; maintenance and insurance
  300,000 x (0.03 + 0.005) / 365 = 28.76712;
- NOI 229.85471 a day with the contract, 90.65471 a day after it.

Discounting on a flat 4% continuous ACT/365F curve: DF(d) = exp(-0.04 x days / 365).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pytest
from one_server_fleet import AS_OF, one_server_inputs

from computefin.domain import MarketSnapshot
from computefin.pricing import flat_curve
from computefin.products.certificate import ComputeCertificate, value_certificate

POWER = 10.2 * 1.3 * 0.07 * 24
COLOCATION = 10.2 * 150.0 * 12.0 / 365.0
UPKEEP = 300_000.0 * (0.03 + 0.005) / 365.0
REVENUE_WITH_CONTRACT = (4 * 2.50 * (0.8 + 0.2 * 0.9) + 4 * 0.5 * 2.0) * 24
REVENUE_AFTER = 8 * 0.5 * 2.0 * 24
NOI_WITH = REVENUE_WITH_CONTRACT - POWER - COLOCATION - UPKEEP
NOI_AFTER = REVENUE_AFTER - POWER - COLOCATION - UPKEEP
CONTRACT_END = dt.date(2027, 6, 1)
DATES = [dt.date(2027, 2, 27), dt.date(2027, 5, 27), dt.date(2027, 8, 27), dt.date(2027, 11, 27)]
MARKET = MarketSnapshot(as_of=AS_OF)
CURVES = {"USD": flat_curve(AS_OF, 0.04, currency="USD")}


def test_hand_figures_are_what_the_docstring_says() -> None:
    assert pytest.approx(229.85471, abs=1e-5) == NOI_WITH
    assert pytest.approx(90.65471, abs=1e-5) == NOI_AFTER


def period_noi(start: dt.date, end: dt.date) -> float:
    """The fleet's NOI over [start, end), by days with and without the contract."""
    with_contract = max(0, (min(end, CONTRACT_END) - start).days)
    after = (end - start).days - with_contract
    return with_contract * NOI_WITH + after * NOI_AFTER


def df(day: dt.date) -> float:
    return math.exp(-0.04 * (day - AS_OF).days / 365.0)


def certificate(**changes: Any) -> ComputeCertificate:
    data: dict[str, Any] = {
        "id": "one-cert",
        "fleet_id": "one",
        "currency": "USD",
        "entitlement": {"kind": "noi_share", "share": 0.5},
        "issue_date": AS_OF,
        "maturity": dt.date(2027, 11, 27),
        "frequency": "quarterly",
        "issue_price": 25_000.0,
    }
    data.update(changes)
    return ComputeCertificate.model_validate(data)


def value(cert: ComputeCertificate, **options: Any) -> Any:
    return value_certificate(cert, MARKET, None, projection_inputs={"one": one_server_inputs(13)},
                             discount_curves=CURVES, sensitivities=False, **options)  # fmt: skip


def starts() -> list[dt.date]:
    return [AS_OF, *DATES[:-1]]


def test_noi_share_with_floor_and_cap_equals_the_hand_payoff() -> None:
    floor, cap = 4_300.0, 10_400.0
    v = value(certificate(floor_per_period=floor, cap_per_period=cap))
    entitled = [0.5 * period_noi(s, e) for s, e in zip(starts(), DATES, strict=True)]
    # 10,573.3 (capped), 10,228.5, 4,518.1, 4,170.1 (floored):
    assert [round(x, 1) for x in entitled] == [10573.3, 10228.5, 4518.1, 4170.1]
    paid = [min(max(x, floor), cap) for x in entitled]
    assert paid[0] == cap
    assert paid[3] == floor
    hand = sum(p * df(d) for p, d in zip(paid, DATES, strict=True))
    assert v.fair_value == pytest.approx(hand, rel=1e-9)
    assert v.schedule["expected_entitlement"].to_numpy() == pytest.approx(entitled, rel=1e-9)
    assert v.schedule["expected_flow"].to_numpy() == pytest.approx(paid, rel=1e-9)
    assert v.expected_payoff == pytest.approx(sum(paid), rel=1e-9)
    assert v.n_paths == 1
    assert v.call_probability == 0.0
    assert v.npv == pytest.approx(hand - 25_000.0, rel=1e-9)  # bought at issue, today


def test_revenue_share_and_redemption() -> None:
    v = value(certificate(entitlement={"kind": "revenue_share", "share": 0.1},
                          redemption=1_000.0))  # fmt: skip
    days_with = [(min(e, CONTRACT_END) - s).days if s < CONTRACT_END else 0
                 for s, e in zip(starts(), DATES, strict=True)]  # fmt: skip
    revenue = [w * REVENUE_WITH_CONTRACT + ((e - s).days - w) * REVENUE_AFTER
               for w, s, e in zip(days_with, starts(), DATES, strict=True)]  # fmt: skip
    paid = [0.1 * r for r in revenue]
    paid[-1] += 1_000.0
    hand = sum(p * df(d) for p, d in zip(paid, DATES, strict=True))
    assert v.fair_value == pytest.approx(hand, rel=1e-9)


def test_gpu_hours_with_a_senior_claim_are_capped_by_the_fleet_noi() -> None:
    # 5,000 GPU-hours a quarter at the constant 2.00 spot price = 10,000 a quarter, more
    # than the fleet earns after the contract ends: the senior claim pays at most the NOI.
    ent = {"kind": "gpu_hours", "gpu_hours_per_period": 5_000.0}
    senior = value(certificate(entitlement=ent, senior_claim=True))
    plain = value(certificate(entitlement=ent))
    noi = [period_noi(s, e) for s, e in zip(starts(), DATES, strict=True)]
    paid = [min(10_000.0, n) for n in noi]
    assert paid[2] < 10_000.0
    assert paid[3] < 10_000.0
    assert paid[0] == 10_000.0
    assert senior.fair_value == pytest.approx(
        sum(p * df(d) for p, d in zip(paid, DATES, strict=True)), rel=1e-9
    )
    assert plain.fair_value == pytest.approx(10_000.0 * sum(df(d) for d in DATES), rel=1e-9)


def test_a_period_under_way_accrues_its_days_before_the_valuation_date() -> None:
    # Issued a month before the valuation date: the first period [2026-10-27, 2027-01-27)
    # earns its days before 2026-11-27 at the first projected month's daily NOI.
    cert = certificate(issue_date=dt.date(2026, 10, 27), maturity=dt.date(2027, 4, 27))
    v = value(cert)
    first = 0.5 * (dt.date(2027, 1, 27) - dt.date(2026, 10, 27)).days * NOI_WITH
    second = 0.5 * (dt.date(2027, 4, 27) - dt.date(2027, 1, 27)).days * NOI_WITH
    hand = first * df(dt.date(2027, 1, 27)) + second * df(dt.date(2027, 4, 27))
    assert v.fair_value == pytest.approx(hand, rel=1e-9)
    assert v.settlement == AS_OF


def continuation_at(k: int, floor: float = 0.0) -> float:
    """Value on DATES[k] of the coupons after it (the hand continuation of a call)."""
    coupons = [max(0.5 * period_noi(s, e), floor) for s, e in zip(starts(), DATES, strict=True)]
    return sum(c * df(d) / df(DATES[k]) for c, d in zip(coupons[k + 1 :], DATES[k + 1 :],
                                                        strict=True))  # fmt: skip


def test_the_issuer_calls_when_the_continuation_exceeds_the_call_price() -> None:
    cont = continuation_at(1)  # about 8,650 on 2027-05-27
    coupons = [0.5 * period_noi(s, e) for s, e in zip(starts(), DATES, strict=True)]
    cheap = value(certificate(calls=[{"date": DATES[1], "price": cont - 100.0}]))
    called = coupons[0] * df(DATES[0]) + (coupons[1] + cont - 100.0) * df(DATES[1])
    assert cheap.call_probability == 1.0
    assert cheap.fair_value == pytest.approx(called, rel=1e-9)
    assert cheap.schedule["expected_flow"].to_numpy()[2:] == pytest.approx([0.0, 0.0])
    assert cheap.expected_life == pytest.approx((DATES[1] - AS_OF).days / 365.0)
    dear = value(certificate(calls=[{"date": DATES[1], "price": cont + 100.0}]))
    uncalled = sum(c * df(d) for c, d in zip(coupons, DATES, strict=True))
    assert dear.call_probability == 0.0
    assert dear.fair_value == pytest.approx(uncalled, rel=1e-9)


def test_the_holder_puts_when_the_continuation_is_below_the_put_price() -> None:
    cont = continuation_at(1)
    coupons = [0.5 * period_noi(s, e) for s, e in zip(starts(), DATES, strict=True)]
    put = value(certificate(puts=[{"date": DATES[1], "price": cont + 100.0}]))
    assert put.put_probability == 1.0
    assert put.fair_value == pytest.approx(
        coupons[0] * df(DATES[0]) + (coupons[1] + cont + 100.0) * df(DATES[1]), rel=1e-9
    )
    kept = value(certificate(puts=[{"date": DATES[1], "price": cont - 100.0}]))
    assert kept.put_probability == 0.0


def test_an_earlier_call_uses_the_later_decision_in_its_continuation() -> None:
    # Put on DATES[2] at a high price, call on DATES[1]: the continuation on DATES[1]
    # includes the put (backward induction), so the issuer calls below it.
    coupons = [0.5 * period_noi(s, e) for s, e in zip(starts(), DATES, strict=True)]
    put_price = 9_000.0  # above the last coupon's value: the holder puts on DATES[2]
    cont_1 = (coupons[2] + put_price) * df(DATES[2]) / df(DATES[1])
    v = value(certificate(calls=[{"date": DATES[1], "price": cont_1 - 1.0}],
                          puts=[{"date": DATES[2], "price": put_price}]))  # fmt: skip
    assert v.call_probability == 1.0
    assert v.put_probability == 0.0
    assert v.fair_value == pytest.approx(
        coupons[0] * df(DATES[0]) + (coupons[1] + cont_1 - 1.0) * df(DATES[1]), rel=1e-9
    )


def test_irr_loss_and_duration_of_the_one_path() -> None:
    v = value(certificate(issue_price=28_000.0))
    coupons = [0.5 * period_noi(s, e) for s, e in zip(starts(), DATES, strict=True)]
    t = np.array([(d - AS_OF).days / 365.0 for d in DATES])

    def npv(y: float, price: float) -> float:
        return float(sum(c * (1 + y) ** -tt for c, tt in zip(coupons, t, strict=True))) - price

    from scipy.optimize import brentq

    irr = brentq(npv, -0.99, 10.0, args=(28_000.0,), xtol=1e-14)
    assert v.irr_p50 == pytest.approx(irr, abs=1e-10)
    assert v.irr_p5 == v.irr_p95
    assert sum(coupons) == pytest.approx(29_490.0, abs=1.0)  # paid back: more than 28,000
    assert v.loss_probability == 0.0
    assert v.irr_p50 > 0.0
    y = brentq(npv, -0.99, 10.0, args=(v.fair_value,), xtol=1e-14)
    pv = np.array([c * (1 + y) ** -tt for c, tt in zip(coupons, t, strict=True)])
    mac = float((pv * t).sum() / pv.sum())
    assert v.yield_to_fair_value == pytest.approx(y, abs=1e-10)
    assert v.macaulay_duration == pytest.approx(mac, abs=1e-10)
    assert v.modified_duration == pytest.approx(mac / (1 + y), abs=1e-10)
    lost = value(certificate(issue_price=30_000.0))
    assert lost.loss_probability == 1.0
    assert lost.irr_p50 < 0.0
