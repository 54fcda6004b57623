"""Cash-flow analytics against QuantLib bonds, per-instrument loops and random inputs.

The reference book: 200 random ``ql.FixedRateBond`` and ``ql.AmortizingFixedRateBond``
(China IB or US SOFR calendar, monthly to annual coupons, four coupon day counts,
Unadjusted / Following / Modified Following schedules, forward and backward generation,
odd stubs, payment conventions that move pay dates off accrual ends, settlement 0 days
and some settlements on a pay date or before the first accrual). The ``CashflowMatrix``
is built from each bond's QuantLib leg. Tolerances against QuantLib:

========================================  ======================================
PV (curve, z-spread, DV01, CS01), dirty    1e-8 relative
accrued interest                           1e-8 relative
yield (``BondFunctions.bondYield``)        1e-9 absolute
price from yield, durations, convexity     1e-8 relative
z-spread (``BondFunctions.zSpread``)        1e-9 absolute
WAL (QuantLib day counter loop)            1e-12 absolute
========================================  ======================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import QuantLib as ql
from hypothesis import HealthCheck, given, settings, strategies as st

from computefin.errors import ConvergenceError, ValidationError
from computefin.pricing import evaluation_date
from computefin.pricing._solvers import solve_monotone, solve_spread_for_price
from computefin.pricing.analytics import (
    CashflowMatrix,
    YieldCompounding,
    accrued_interest,
    bond_measures,
    clean_present_value,
    convexity,
    cs01,
    dv01,
    macaulay_duration,
    modified_duration,
    present_value,
    price_from_yield,
    settlement_discount_factors,
    weighted_average_life,
    yield_from_price,
    z_spread_from_price,
)
from computefin.pricing.curves import Curve, flat_curve, zero_curve

SEED = 20261130
N_BONDS = 200
CURVE_AS_OF = dt.date(2019, 11, 29)
EPOCH = ql.Date(1, 1, 1970).serialNumber()

PV_REL = 1e-8
ACCRUED_REL = 1e-8
YIELD_ABS = 1e-9
RISK_REL = 1e-8
SPREAD_ABS = 1e-9

DAY_COUNTERS = {
    "ACT/365F": ql.Actual365Fixed(),
    "ACT/360": ql.Actual360(),
    "30/360": ql.Thirty360(ql.Thirty360.BondBasis),
    "ACT/ACT": ql.ActualActual(ql.ActualActual.ISDA),
}
QL_FREQ = {1: ql.Annual, 2: ql.Semiannual, 4: ql.Quarterly, 12: ql.Monthly}
QL_COMP = {"compounded": ql.Compounded, "continuous": ql.Continuous, "simple": ql.Simple}
CALENDARS = (ql.China(ql.China.IB), ql.UnitedStates(ql.UnitedStates.SOFR))
CONVENTIONS = (ql.Unadjusted, ql.Following, ql.ModifiedFollowing)


def _day(d: ql.Date) -> int:
    return int(d.serialNumber() - EPOCH)


def _qd(day: int) -> ql.Date:
    return ql.Date(int(day) + EPOCH)


@dataclass
class RefBond:
    """One QuantLib bond and its conventions for the comparisons."""

    id: str
    bond: Any
    settle: ql.Date
    yield_dc: str
    coupon_dc: str
    frequency: int
    compounding: YieldCompounding
    curve: int
    z_true: float

    @property
    def notional(self) -> float:
        return float(self.bond.notional(self.settle))

    def interest_rate(self, y: float) -> ql.InterestRate:
        return ql.InterestRate(
            y, DAY_COUNTERS[self.yield_dc], QL_COMP[self.compounding], QL_FREQ[self.frequency]
        )


def _random_bond(rng: np.random.Generator, i: int) -> RefBond:
    cal = CALENDARS[int(rng.integers(2))]
    freq = int(rng.choice([1, 2, 4, 12]))
    issue = ql.Date(1, 3, 2020) + int(rng.integers(0, 365 * 8))
    months = int(rng.integers(1, 13)) * 12 + (int(rng.integers(1, 12)) if rng.random() < 0.3 else 0)
    maturity = issue + ql.Period(months, ql.Months)
    conv = CONVENTIONS[int(rng.integers(3))]
    pay_conv = CONVENTIONS[int(rng.integers(3))]
    rule = ql.DateGeneration.Backward if rng.random() < 0.6 else ql.DateGeneration.Forward
    eom = bool(rng.random() < 0.2)
    schedule = ql.Schedule(issue, maturity, ql.Period(QL_FREQ[freq]), cal, conv, conv, rule, eom)
    coupon_dc = str(rng.choice(list(DAY_COUNTERS)))
    coupon = float(rng.uniform(0.0, 0.1))
    face = float(rng.uniform(1e3, 1e7))
    periods = len(schedule) - 1
    if rng.random() < 0.5 and periods > 1:
        left = np.sort(rng.uniform(0.05, 1.0, periods - 1))[::-1]
        notionals = [face, *(face * left).tolist()]
        bond: Any = ql.AmortizingFixedRateBond(
            0, notionals, schedule, [coupon], DAY_COUNTERS[coupon_dc], pay_conv
        )
    else:
        bond = ql.FixedRateBond(0, face, schedule, [coupon], DAY_COUNTERS[coupon_dc], pay_conv)
    dates = sorted({_day(c.date()) for c in bond.cashflows()})
    first, last = _day(schedule[0]), dates[-1]
    pick = rng.random()
    if pick < 0.12 and len(dates) > 1:  # exactly on a payment date: that flow is excluded
        settle_day = int(rng.choice(dates[:-1]))
    elif pick < 0.22:  # before the first accrual (forward settlement)
        settle_day = first - int(rng.integers(1, 30))
    else:
        settle_day = int(rng.integers(first, last - 4))
    settle = cal.adjust(_qd(settle_day), ql.Preceding)
    comp_pick = rng.random()
    compounding: YieldCompounding = (
        "compounded" if comp_pick < 0.6 else "continuous" if comp_pick < 0.8 else "simple"
    )
    return RefBond(
        id=f"bond-{i:03d}",
        bond=bond,
        settle=settle,
        yield_dc=str(rng.choice(list(DAY_COUNTERS))),
        coupon_dc=coupon_dc,
        frequency=freq,
        compounding=compounding,
        curve=i % 2,
        z_true=float(rng.uniform(-0.01, 0.04)),
    )


def matrix_from_legs(refs: list[RefBond]) -> CashflowMatrix:
    """The CashflowMatrix of QuantLib legs: one column per payment date, padded."""
    rows: list[list[dict[str, Any]]] = []
    for ref in refs:
        slots: dict[int, dict[str, Any]] = {}
        for c in ref.bond.cashflows():
            day = _day(c.date())
            slot = slots.setdefault(
                day, {"day": day, "amount": 0.0, "coupon": 0.0, "principal": 0.0}
            )
            slot["amount"] += c.amount()
            cp = ql.as_coupon(c)
            if cp is not None:
                slot["coupon"] += c.amount()
                slot["start"] = _day(cp.accrualStartDate())
                slot["end"] = _day(cp.accrualEndDate())
            else:
                slot["principal"] += c.amount()
        rows.append([slots[d] for d in sorted(slots)])
    n, k = len(rows), max(len(r) for r in rows)
    nat = np.datetime64("NaT", "D")
    pay = np.full((n, k), nat)
    start = np.full((n, k), nat)
    end = np.full((n, k), nat)
    amounts = np.zeros((n, k))
    coupons = np.zeros((n, k))
    principal = np.zeros((n, k))
    alive = np.zeros((n, k), dtype=bool)
    for i, row in enumerate(rows):
        for j, slot in enumerate(row):
            pay[i, j] = np.datetime64(slot["day"], "D")
            amounts[i, j] = slot["amount"]
            coupons[i, j] = slot["coupon"]
            principal[i, j] = slot["principal"]
            alive[i, j] = True
            if "start" in slot:
                start[i, j] = np.datetime64(slot["start"], "D")
                end[i, j] = np.datetime64(slot["end"], "D")
    return CashflowMatrix(
        ids=[r.id for r in refs],
        pay_dates=pay,
        amounts=amounts,
        alive=alive,
        settlement=np.array([_day(r.settle) for r in refs]).astype("datetime64[D]"),
        frequency=[r.frequency for r in refs],
        day_count=np.array([r.yield_dc for r in refs]),
        accrual_start=start,
        accrual_end=end,
        coupon_amounts=coupons,
        accrual_day_count=np.array([r.coupon_dc for r in refs]),
        principal=principal,
    )


def _curves() -> tuple[Curve, Curve]:
    flat = flat_curve(CURVE_AS_OF, 0.025, compounding="annual")
    years = [1, 2, 3, 5, 7, 10, 15, 20, 30]
    rates = [0.018, 0.02, 0.021, 0.024, 0.026, 0.028, 0.03, 0.031, 0.0305]
    pillars = [
        ((np.datetime64(CURVE_AS_OF, "D") + int(365.25 * y)).astype(dt.date), r)
        for y, r in zip(years, rates, strict=True)
    ]
    return flat, zero_curve(CURVE_AS_OF, pillars)


@dataclass
class Book:
    refs: list[RefBond]
    cf: CashflowMatrix
    curves: tuple[Curve, Curve]

    def rows(self, **match: Any) -> npt.NDArray[np.int64]:
        return np.array(
            [
                i
                for i, r in enumerate(self.refs)
                if all(getattr(r, k) == v for k, v in match.items())
            ],
            dtype=np.int64,
        )


@pytest.fixture(scope="module")
def book() -> Book:
    rng = np.random.default_rng(SEED)
    refs = [_random_bond(rng, i) for i in range(N_BONDS)]
    return Book(refs, matrix_from_legs(refs), _curves())


@pytest.fixture(scope="module")
def references(book: Book) -> dict[str, npt.NDArray[np.float64]]:
    """QuantLib figures per bond (built once)."""
    out: dict[str, list[float]] = {
        k: []
        for k in (
            "npv",
            "settlement_value",
            "accrued",
            "bond_accrued",
            "yield",
            "price_at_yield",
            "bond_dirty_at_yield",
            "modified",
            "macaulay",
            "convexity",
            "z_price",
            "z_spread",
            "dv01",
            "cs01",
            "wal",
        )
    }
    act365 = ql.Actual365Fixed()
    for ref in book.refs:
        curve = book.curves[ref.curve]
        leg = ref.bond.cashflows()
        s = ref.settle
        npv = ql.CashFlows.npv(leg, curve.ql, False, s, s)
        out["npv"].append(npv)
        with evaluation_date(s):
            ref.bond.setPricingEngine(ql.DiscountingBondEngine(curve.ql))
            assert ref.bond.settlementDate() == s
            out["settlement_value"].append(ref.bond.settlementValue())
        notional = ref.notional
        accrued = ql.CashFlows.accruedAmount(leg, False, s)
        out["accrued"].append(accrued)
        out["bond_accrued"].append(ref.bond.accruedAmount(s) * notional / 100.0)
        clean = (npv - accrued) * 100.0 / notional
        y = ql.BondFunctions.bondYield(
            ref.bond,
            ql.BondPrice(clean, ql.BondPrice.Clean),
            DAY_COUNTERS[ref.yield_dc],
            QL_COMP[ref.compounding],
            QL_FREQ[ref.frequency],
            s,
            1e-14,
            1000,
            0.05,
        )
        out["yield"].append(y)
        rate = ref.interest_rate(y)
        out["price_at_yield"].append(ql.CashFlows.npv(leg, rate, False, s, s))
        bond_dirty = ql.BondFunctions.cleanPrice(ref.bond, rate, s) + ref.bond.accruedAmount(s)
        out["bond_dirty_at_yield"].append(bond_dirty * notional / 100.0)
        out["modified"].append(ql.BondFunctions.duration(ref.bond, rate, ql.Duration.Modified, s))
        out["macaulay"].append(
            ql.BondFunctions.duration(ref.bond, rate, ql.Duration.Macaulay, s)
            if ref.compounding == "compounded"
            else np.nan
        )
        out["convexity"].append(ql.BondFunctions.convexity(ref.bond, rate, s))

        def spread_npv(z: float, leg: Any = leg, curve: Curve = curve, s: ql.Date = s) -> float:
            return float(
                ql.CashFlows.npv(
                    leg,
                    curve.term_structure,
                    z,
                    act365,
                    ql.Continuous,
                    ql.NoFrequency,
                    False,
                    s,
                    s,
                )
            )

        z_price = spread_npv(ref.z_true)
        out["z_price"].append(z_price)
        out["z_spread"].append(
            ql.BondFunctions.zSpread(
                ref.bond,
                ql.BondPrice((z_price - accrued) * 100.0 / notional, ql.BondPrice.Clean),
                curve.term_structure,
                act365,
                ql.Continuous,
                ql.NoFrequency,
                s,
                1e-14,
                1000,
                0.0,
            )
        )
        out["dv01"].append((spread_npv(-1e-4) - spread_npv(1e-4)) / 2.0)
        out["cs01"].append((spread_npv(ref.z_true - 1e-4) - spread_npv(ref.z_true + 1e-4)) / 2.0)
        dc = DAY_COUNTERS[ref.yield_dc]
        paid = [
            (c.amount(), dc.yearFraction(s, c.date()))
            for c in leg
            if ql.as_coupon(c) is None and c.date() > s
        ]
        total = sum(a for a, _ in paid)
        out["wal"].append(sum(a * t for a, t in paid) / total if total else 0.0)
    return {k: np.array(v, dtype=np.float64) for k, v in out.items()}


def _by_curve(book: Book) -> Iterator[tuple[Curve, npt.NDArray[np.int64], CashflowMatrix]]:
    for idx, curve in enumerate(book.curves):
        rows = book.rows(curve=idx)
        yield curve, rows, book.cf.take(rows)


def _by_compounding(
    book: Book,
) -> Iterator[tuple[YieldCompounding, npt.NDArray[np.int64], CashflowMatrix]]:
    comps: tuple[YieldCompounding, ...] = ("compounded", "continuous", "simple")
    for comp in comps:
        rows = book.rows(compounding=comp)
        yield comp, rows, book.cf.take(rows)


# -- the reference book -----------------------------------------------------------------------


def test_book_covers_the_cases(book: Book) -> None:
    refs = book.refs
    assert len(refs) == N_BONDS
    assert {r.frequency for r in refs} == {1, 2, 4, 12}
    assert {r.compounding for r in refs} == {"compounded", "continuous", "simple"}
    assert {r.yield_dc for r in refs} == set(DAY_COUNTERS)
    assert {r.coupon_dc for r in refs} == set(DAY_COUNTERS)
    amortizing = sum(isinstance(r.bond, ql.AmortizingFixedRateBond) for r in refs)
    assert 50 < amortizing < 150
    flows = [list(r.bond.cashflows()) for r in refs]
    coupons = [[ql.as_coupon(c) for c in leg if ql.as_coupon(c) is not None] for leg in flows]
    on_pay_date = sum(
        any(c.date() == r.settle for c in leg) for r, leg in zip(refs, flows, strict=True)
    )
    before_start = sum(
        r.settle <= min(c.accrualStartDate() for c in cps)
        for r, cps in zip(refs, coupons, strict=True)
    )
    paid_off_end = sum(any(c.date() != c.accrualEndDate() for c in cps) for cps in coupons)
    assert on_pay_date >= 10
    assert before_start >= 10
    assert paid_off_end >= 10
    assert book.cf.n == N_BONDS


def test_matrix_from_legs_keeps_every_flow(book: Book) -> None:
    for i, ref in enumerate(book.refs[:40]):
        total = sum(c.amount() for c in ref.bond.cashflows())
        assert book.cf.amounts[i].sum() == pytest.approx(total, rel=1e-14)


def test_present_value_matches_quantlib(
    book: Book, references: dict[str, npt.NDArray[np.float64]]
) -> None:
    for curve, rows, cf in _by_curve(book):
        pv = present_value(cf, curve)
        np.testing.assert_allclose(pv, references["npv"][rows], rtol=PV_REL, atol=0)
        np.testing.assert_allclose(pv, references["settlement_value"][rows], rtol=PV_REL, atol=0)
        dfs = settlement_discount_factors(cf, curve)
        np.testing.assert_array_equal(present_value(cf, dfs), pv)
        clean = clean_present_value(cf, curve)
        np.testing.assert_allclose(
            clean, pv - references["accrued"][rows], rtol=PV_REL, atol=1e-9 * pv.max()
        )


def test_accrued_matches_quantlib(
    book: Book, references: dict[str, npt.NDArray[np.float64]]
) -> None:
    accrued = accrued_interest(book.cf)
    np.testing.assert_allclose(accrued, references["accrued"], rtol=ACCRUED_REL, atol=1e-9)
    np.testing.assert_allclose(accrued, references["bond_accrued"], rtol=ACCRUED_REL, atol=1e-9)
    assert np.count_nonzero(accrued == 0.0) >= 10  # settlement on a pay date or before accrual


def test_yield_matches_quantlib(book: Book, references: dict[str, npt.NDArray[np.float64]]) -> None:
    for comp, rows, cf in _by_compounding(book):
        y = yield_from_price(cf, references["npv"][rows], compounding=comp)
        np.testing.assert_allclose(y, references["yield"][rows], rtol=0, atol=YIELD_ABS)
        clean = references["npv"][rows] - references["accrued"][rows]
        y_clean = yield_from_price(cf, clean, kind="clean", compounding=comp)
        np.testing.assert_allclose(y_clean, y, rtol=0, atol=YIELD_ABS)


def test_price_duration_convexity_match_quantlib(
    book: Book, references: dict[str, npt.NDArray[np.float64]]
) -> None:
    for comp, rows, cf in _by_compounding(book):
        y = references["yield"][rows]
        price = price_from_yield(cf, y, compounding=comp)
        np.testing.assert_allclose(price, references["price_at_yield"][rows], rtol=RISK_REL)
        np.testing.assert_allclose(price, references["bond_dirty_at_yield"][rows], rtol=RISK_REL)
        clean = price_from_yield(cf, y, compounding=comp, kind="clean")
        np.testing.assert_allclose(clean, price - accrued_interest(cf), rtol=1e-15)
        np.testing.assert_allclose(
            modified_duration(cf, y, compounding=comp), references["modified"][rows], rtol=RISK_REL
        )
        np.testing.assert_allclose(
            convexity(cf, y, compounding=comp), references["convexity"][rows], rtol=RISK_REL
        )
        if comp == "compounded":
            np.testing.assert_allclose(
                macaulay_duration(cf, y), references["macaulay"][rows], rtol=RISK_REL
            )


def test_z_spread_matches_quantlib(
    book: Book, references: dict[str, npt.NDArray[np.float64]]
) -> None:
    z_true = np.array([r.z_true for r in book.refs])
    for curve, rows, cf in _by_curve(book):
        pv = present_value(cf, curve, z_spread=z_true[rows])
        np.testing.assert_allclose(pv, references["z_price"][rows], rtol=PV_REL)
        z = z_spread_from_price(cf, curve, references["z_price"][rows])
        np.testing.assert_allclose(z, references["z_spread"][rows], rtol=0, atol=SPREAD_ABS)
        np.testing.assert_allclose(z, z_true[rows], rtol=0, atol=SPREAD_ABS)
        clean = references["z_price"][rows] - references["accrued"][rows]
        z_clean = z_spread_from_price(cf, curve, clean, kind="clean")
        np.testing.assert_allclose(z_clean, z_true[rows], rtol=0, atol=SPREAD_ABS)


def test_z_spread_agrees_with_curve_with_z_spread(book: Book) -> None:
    curve, _rows, cf = next(_by_curve(book))
    pv = present_value(cf, curve, z_spread=0.013)
    np.testing.assert_allclose(pv, present_value(cf, curve.with_z_spread(0.013)), rtol=1e-12)


def test_dv01_cs01_match_quantlib(
    book: Book, references: dict[str, npt.NDArray[np.float64]]
) -> None:
    z_true = np.array([r.z_true for r in book.refs])
    for curve, rows, cf in _by_curve(book):
        d = dv01(cf, curve)
        np.testing.assert_allclose(d, references["dv01"][rows], rtol=PV_REL)
        c = cs01(cf, curve, z_spread=z_true[rows])
        np.testing.assert_allclose(c, references["cs01"][rows], rtol=PV_REL)
        # a parallel curve shift and a z-spread are one operation here
        np.testing.assert_allclose(cs01(cf, curve), d, rtol=1e-9)
        dfs = settlement_discount_factors(cf, curve)
        np.testing.assert_allclose(dv01(cf, dfs), d, rtol=1e-9)
        assert bool(np.all(d > 0.0))


def test_dv01_is_close_to_the_analytic_derivative(book: Book) -> None:
    curve, _rows, cf = next(_by_curve(book))
    h = 1e-7
    slope = (present_value(cf, curve, z_spread=-h) - present_value(cf, curve, z_spread=h)) / (2 * h)
    np.testing.assert_allclose(dv01(cf, curve), slope * 1e-4, rtol=1e-6)


def test_wal_matches_a_quantlib_loop(
    book: Book, references: dict[str, npt.NDArray[np.float64]]
) -> None:
    wal = weighted_average_life(book.cf)
    np.testing.assert_allclose(wal, references["wal"], rtol=0, atol=1e-12)
    assert bool(np.all(wal > 0.0))


# -- one kernel, two faces --------------------------------------------------------------------


def test_vectorised_equals_per_instrument_loop(book: Book) -> None:
    rng = np.random.default_rng(SEED + 1)
    curve, _rows, cf = next(_by_curve(book))
    price = present_value(cf, curve, z_spread=0.01)
    batch = {
        "pv": present_value(cf, curve, z_spread=0.004),
        "accrued": accrued_interest(cf),
        "yield": yield_from_price(cf, price),
        "modified": modified_duration(cf, 0.03),
        "convexity": convexity(cf, 0.03, compounding="simple"),
        "z": z_spread_from_price(cf, curve, price),
        "wal": weighted_average_life(cf),
        "dv01": dv01(cf, curve),
    }
    for i in rng.choice(cf.n, 25, replace=False).tolist():
        one = cf.take([i])
        single = {
            "pv": present_value(one, curve, z_spread=0.004),
            "accrued": accrued_interest(one),
            "yield": yield_from_price(one, price[i : i + 1]),
            "modified": modified_duration(one, 0.03),
            "convexity": convexity(one, 0.03, compounding="simple"),
            "z": z_spread_from_price(one, curve, price[i : i + 1]),
            "wal": weighted_average_life(one),
            "dv01": dv01(one, curve),
        }
        for key, value in single.items():
            np.testing.assert_array_equal(value, batch[key][i : i + 1], err_msg=key)


def test_single_instrument_is_the_batch_with_n_1() -> None:
    cf = _simple_book(1)
    assert present_value(cf, flat_curve("2026-01-01", 0.03)).shape == (1,)


# -- conventions -----------------------------------------------------------------------------


def _simple_book(n: int, *, settlement: str = "2026-01-01") -> CashflowMatrix:
    """n three-year 4% annual bullets of 100 from 2026-01-01."""
    dates = np.array(["2027-01-01", "2028-01-01", "2029-01-01"], dtype="datetime64[D]")
    starts = np.array(["2026-01-01", "2027-01-01", "2028-01-01"], dtype="datetime64[D]")
    return CashflowMatrix(
        ids=[f"b{i}" for i in range(n)],
        pay_dates=np.tile(dates, (n, 1)),
        amounts=np.tile([4.0, 4.0, 104.0], (n, 1)),
        alive=np.ones((n, 3), dtype=bool),
        settlement=settlement,
        frequency=1,
        accrual_start=np.tile(starts, (n, 1)),
        accrual_end=np.tile(dates, (n, 1)),
        coupon_amounts=np.full((n, 3), 4.0),
        principal=np.tile([0.0, 0.0, 100.0], (n, 1)),
    )


def test_flow_on_the_settlement_date_is_excluded() -> None:
    cf = _simple_book(1, settlement="2027-01-01")
    curve = flat_curve("2026-01-01", 0.03)
    pv = present_value(cf, curve)
    expected = (4.0 * curve.discount("2028-01-01") + 104.0 * curve.discount("2029-01-01")) / (
        curve.discount("2027-01-01")
    )
    assert pv[0] == pytest.approx(expected, rel=1e-14)
    assert accrued_interest(cf)[0] == 0.0
    day_after = accrued_interest(cf, settlement="2027-01-02")[0]
    assert day_after == pytest.approx(4.0 / 365.0, rel=1e-14)


def test_price_at_yield_is_the_textbook_sum_on_whole_years() -> None:
    cf = _simple_book(1)
    # whole years on ACT/365F but for the leap day in 2028: use explicit times
    t = np.array([365, 730, 1096]) / 365.0
    y = 0.05
    expected = float(np.sum(np.array([4.0, 4.0, 104.0]) / (1 + y) ** t))
    assert price_from_yield(cf, y)[0] == pytest.approx(expected, rel=1e-14)
    cont = float(np.sum(np.array([4.0, 4.0, 104.0]) * np.exp(-y * t)))
    assert price_from_yield(cf, y, compounding="continuous")[0] == pytest.approx(cont, rel=1e-14)


def test_simple_yield_discounts_step_by_step() -> None:
    cf = _simple_book(1)
    steps = np.array([365, 365, 366]) / 365.0
    y = 0.05
    factors = np.cumprod(1.0 / (1.0 + y * steps))
    expected = float(np.sum(np.array([4.0, 4.0, 104.0]) * factors))
    assert price_from_yield(cf, y, compounding="simple")[0] == pytest.approx(expected, rel=1e-14)


def test_frequency_and_day_count_overrides() -> None:
    cf = _simple_book(2)
    p_annual = price_from_yield(cf, 0.05)
    p_semi = price_from_yield(cf, 0.05, frequency=2)
    assert bool(np.all(p_semi < p_annual))
    p_360 = price_from_yield(cf, 0.05, day_count="ACT/360")
    assert bool(np.all(p_360 < p_annual))
    both = price_from_yield(cf, 0.05, frequency=[1, 2])
    assert both[0] == p_annual[0]
    assert both[1] == p_semi[1]


def test_macaulay_duration_of_a_zero_coupon_is_its_life() -> None:
    cf = CashflowMatrix(
        ids=["z"],
        pay_dates=[["2031-01-01"]],
        amounts=[[100.0]],
        alive=[[True]],
        settlement="2026-01-01",
        frequency=2,
    )
    t = (np.datetime64("2031-01-01") - np.datetime64("2026-01-01")).astype(int) / 365.0
    assert macaulay_duration(cf, 0.04)[0] == pytest.approx(t, rel=1e-14)
    assert modified_duration(cf, 0.04)[0] == pytest.approx(t / 1.02, rel=1e-14)
    assert weighted_average_life(cf, principal=[[100.0]])[0] == pytest.approx(t, rel=1e-14)


def test_instrument_with_nothing_left_has_zero_risk() -> None:
    cf = _simple_book(1, settlement="2029-01-01")
    curve = flat_curve("2026-01-01", 0.03)
    assert present_value(cf, curve)[0] == 0.0
    assert modified_duration(cf, 0.05)[0] == 0.0
    assert convexity(cf, 0.05)[0] == 0.0
    assert weighted_average_life(cf)[0] == 0.0
    assert accrued_interest(cf)[0] == 0.0


# -- convergence ----------------------------------------------------------------------------


def test_non_convergence_names_the_instrument() -> None:
    cf = _simple_book(3)
    price = price_from_yield(cf, 0.05)
    price[1] = -5.0  # no yield gives a negative price
    with pytest.raises(ConvergenceError) as info:
        yield_from_price(cf, price)
    assert info.value.items == ("b1",)
    y = yield_from_price(cf, price, on_failure="nan")
    assert np.isnan(y[1])
    np.testing.assert_allclose(y[[0, 2]], 0.05, rtol=0, atol=1e-12)


def test_z_spread_non_convergence_names_the_instrument() -> None:
    cf = _simple_book(2)
    curve = flat_curve("2026-01-01", 0.03)
    with pytest.raises(ConvergenceError) as info:
        z_spread_from_price(cf, curve, [100.0, 1e6])
    assert info.value.items == ("b1",)


def test_nothing_left_to_price_does_not_converge() -> None:
    cf = _simple_book(1, settlement="2029-01-01")
    with pytest.raises(ConvergenceError, match="b0"):
        yield_from_price(cf, [100.0])


def test_bracketing_fallback_rescues_a_bad_newton_start() -> None:
    cf = _simple_book(2)
    price = price_from_yield(cf, [0.05, 3.0])
    # a start far outside the bracket's domain: Newton fails at once, the fallback solves
    y = yield_from_price(cf, price, guess=9.99, tol=1e-12)
    np.testing.assert_allclose(y, [0.05, 3.0], rtol=0, atol=1e-11)
    y = yield_from_price(cf, price, guess=[-0.98, 9.9])
    np.testing.assert_allclose(y, [0.05, 3.0], rtol=0, atol=1e-11)


def test_solve_monotone_newton_and_bracket_agree() -> None:
    targets = np.linspace(0.5, 50.0, 1000)

    def f(x: npt.NDArray[np.float64], rows: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        return np.exp(x) - targets[rows]

    def fdf(
        x: npt.NDArray[np.float64], rows: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        return np.exp(x) - targets[rows], np.exp(x)

    plain = solve_monotone(f, -5.0, 5.0, size=targets.size)
    newton = solve_monotone(f, -5.0, 5.0, size=targets.size, f_and_derivative=fdf, x0=0.0)
    np.testing.assert_allclose(plain, np.log(targets), rtol=0, atol=1e-12)
    np.testing.assert_allclose(newton, np.log(targets), rtol=0, atol=1e-12)


def test_solve_monotone_decreasing_and_reports() -> None:
    lent = np.array([100.0, 100.0, 100.0])

    def gap(m: npt.NDArray[np.float64], rows: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        coupon = (0.03 + m) * 100.0
        out: npt.NDArray[np.float64] = coupon / 1.04 + (coupon + 100.0) / 1.04**2 - lent[rows]
        return out

    m = solve_monotone(gap, -0.05, [0.5, 0.5, 0.005], ids=["a", "b", "c"], on_failure="nan")
    np.testing.assert_allclose(m[:2], 0.01, rtol=0, atol=1e-12)
    assert np.isnan(m[2])
    with pytest.raises(ConvergenceError) as info:
        solve_monotone(gap, -0.05, [0.5, 0.5, 0.005], ids=["a", "b", "c"])
    assert info.value.items == ("c",)
    with pytest.raises(ValidationError, match="hi"):
        solve_monotone(gap, 0.5, 0.1, size=3)
    with pytest.raises(ValidationError, match="size"):
        solve_monotone(gap, 0.0, 0.1)


def test_solve_spread_for_price_fair_margin() -> None:
    amounts = np.array([100.0, 250.0])

    def pv(m: npt.NDArray[np.float64], rows: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        a = amounts[rows]
        out: npt.NDArray[np.float64] = a * (0.02 + m) / 1.03 + a * (1.02 + m) / 1.03**2
        return out

    margin = solve_spread_for_price(pv, amounts, -0.5, 0.5, ids=["l1", "l2"])
    np.testing.assert_allclose(margin, 0.01, rtol=0, atol=1e-12)


# -- validation -----------------------------------------------------------------------------


def _kwargs() -> dict[str, Any]:
    return {
        "ids": ["a", "b"],
        "pay_dates": [["2027-01-01", "2028-01-01"], ["2027-01-01", "NaT"]],
        "amounts": [[5.0, 105.0], [103.0, 0.0]],
        "alive": [[True, True], [True, False]],
        "settlement": "2026-01-01",
        "frequency": 1,
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amounts": [[5.0, np.nan], [103.0, 0.0]]}, "CashflowMatrix.amounts"),
        ({"pay_dates": [["2027-01-01", "NaT"], ["2027-01-01", "NaT"]]}, "CashflowMatrix.pay_dates"),
        (
            {"pay_dates": [["2028-01-01", "2027-01-01"], ["2027-01-01", "NaT"]]},
            "CashflowMatrix.pay_dates",
        ),
        ({"pay_dates": [[1, 2], [3, 4]]}, "CashflowMatrix.pay_dates"),
        ({"alive": [[1, 1], [1, 0]]}, "CashflowMatrix.alive"),
        ({"alive": [[True, True]]}, "CashflowMatrix.alive"),
        ({"amounts": [[5.0], [103.0]]}, "CashflowMatrix.amounts"),
        ({"frequency": 0}, "CashflowMatrix.frequency"),
        ({"frequency": 2.5}, "CashflowMatrix.frequency"),
        ({"frequency": "weekly"}, "CashflowMatrix.frequency"),
        ({"settlement": "NaT"}, "CashflowMatrix.settlement"),
        ({"settlement": ["2026-01-01"] * 3}, "CashflowMatrix.settlement"),
        ({"day_count": "ACT/999"}, "CashflowMatrix.day_count"),
        ({"ids": [1, 2]}, "CashflowMatrix.ids"),
        ({"ids": ["a", ""]}, "CashflowMatrix.ids"),
        (
            {"accrual_start": [["2026-01-01", "2027-01-01"], ["2026-01-01", "NaT"]]},
            "CashflowMatrix.accrual_start",
        ),
        (
            {
                "accrual_start": [["2026-01-01", "2027-01-01"], ["2026-01-01", "NaT"]],
                "accrual_end": [["2027-01-01", "2026-06-01"], ["2027-01-01", "NaT"]],
                "coupon_amounts": [[5.0, 5.0], [3.0, 0.0]],
            },
            "CashflowMatrix.accrual_end",
        ),
        (
            {
                "accrual_start": [["2026-01-01", "NaT"], ["2026-01-01", "NaT"]],
                "accrual_end": [["2027-01-01", "NaT"], ["2027-01-01", "NaT"]],
                "coupon_amounts": [[5.0, 5.0], [3.0, 0.0]],
            },
            "CashflowMatrix.coupon_amounts",
        ),
    ],
)
def test_matrix_validation_names_the_field(change: dict[str, Any], field: str) -> None:
    kwargs = _kwargs() | change
    with pytest.raises(ValidationError) as info:
        CashflowMatrix(**kwargs)
    assert info.value.fields == (field,)


def test_matrix_is_read_only_and_normalised() -> None:
    kwargs = _kwargs() | {"amounts": [[5.0, 105.0], [103.0, np.nan]]}  # NaN in a dead slot
    cf = CashflowMatrix(**kwargs)
    assert cf.amounts[1, 1] == 0.0
    with pytest.raises(ValueError, match="read-only"):
        cf.amounts[0, 0] = 1.0
    assert cf.settlement.tolist() == [dt.date(2026, 1, 1)] * 2
    assert repr(cf) == "CashflowMatrix(n=2, k=2)"
    assert len(cf.take(slice(0, 1))) == 1
    assert cf.take(np.array([False, True])).ids.tolist() == ["b"]


def test_function_argument_validation() -> None:
    cf = CashflowMatrix(**_kwargs())
    curve = flat_curve("2026-06-30", 0.03)
    with pytest.raises(ValidationError, match="settlement"):
        present_value(cf, curve)  # settlement before the curve's as_of
    with pytest.raises(ValidationError, match="price"):
        yield_from_price(cf, [100.0, np.nan])
    with pytest.raises(ValidationError, match="compounding"):
        price_from_yield(cf, 0.05, compounding="daily")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="kind"):
        price_from_yield(cf, 0.05, kind="quoted")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="principal"):
        weighted_average_life(cf)
    with pytest.raises(ValidationError, match="curve_or_dfs"):
        present_value(cf, np.zeros((2, 2)))
    with pytest.raises(ValidationError, match="bump"):
        dv01(cf, flat_curve("2025-01-01", 0.03), bump=0.5)
    with pytest.raises(ValidationError, match="y"):
        price_from_yield(cf, [0.01, 0.02, 0.03])


def test_empty_book() -> None:
    cf = CashflowMatrix(
        ids=np.array([], dtype=str),
        pay_dates=np.zeros((0, 0), dtype="datetime64[D]"),
        amounts=np.zeros((0, 0)),
        alive=np.zeros((0, 0), dtype=bool),
        settlement="2026-01-01",
        frequency=1,
    )
    assert present_value(cf, flat_curve("2026-01-01", 0.03)).shape == (0,)
    assert yield_from_price(cf, np.zeros(0)).shape == (0,)


# -- random valid inputs never give NaN -----------------------------------------------------


@st.composite
def books(draw: st.DrawFn) -> tuple[CashflowMatrix, YieldCompounding, npt.NDArray[np.float64]]:
    n = draw(st.integers(1, 4))
    k = draw(st.integers(1, 7))
    settle = np.datetime64("2026-01-01", "D")
    pay = np.full((n, k), np.datetime64("NaT", "D"))
    start = np.full((n, k), np.datetime64("NaT", "D"))
    alive = np.zeros((n, k), dtype=bool)
    amounts = np.zeros((n, k))
    coupons = np.zeros((n, k))
    for i in range(n):
        m = draw(st.integers(1, k))
        gaps = draw(st.lists(st.integers(5, 800), min_size=m, max_size=m))
        offsets = np.cumsum(gaps) - draw(st.integers(0, 4))
        flows = draw(st.lists(st.floats(0.01, 1e6), min_size=m, max_size=m))
        pay[i, :m] = settle + offsets
        start[i, :m] = settle + np.concatenate([[offsets[0] - gaps[0]], offsets[:-1]])
        alive[i, :m] = True
        amounts[i, :m] = flows
        coupons[i, :m] = np.asarray(flows) * draw(st.floats(0.0, 1.0))
    dcs = draw(
        st.lists(
            st.sampled_from(["ACT/365F", "ACT/360", "ACT/ACT", "30/360"]), min_size=n, max_size=n
        )
    )
    freq = draw(st.lists(st.sampled_from([1, 2, 4, 12]), min_size=n, max_size=n))
    comps: list[YieldCompounding] = ["compounded", "continuous", "simple"]
    comp = draw(st.sampled_from(comps))
    y = np.asarray(draw(st.lists(st.floats(-0.02, 0.3), min_size=n, max_size=n)), dtype=float)
    cf = CashflowMatrix(
        ids=[f"h{i}" for i in range(n)],
        pay_dates=pay,
        amounts=amounts,
        alive=alive,
        settlement=settle,
        frequency=freq,
        day_count=np.array(dcs),
        accrual_start=start,
        accrual_end=np.where(alive, pay, np.datetime64("NaT", "D")),
        coupon_amounts=coupons,
        principal=amounts - coupons,
    )
    return cf, comp, y


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books())
def test_random_valid_books_never_give_nan(
    case: tuple[CashflowMatrix, YieldCompounding, npt.NDArray[np.float64]],
) -> None:
    cf, comp, y = case
    curve = flat_curve("2025-06-30", 0.03)
    pv = present_value(cf, curve, z_spread=0.01)
    price = price_from_yield(cf, y, compounding=comp)
    solved = yield_from_price(cf, price, compounding=comp)
    z = z_spread_from_price(cf, curve, pv)
    figures = [
        pv,
        price,
        solved,
        z,
        accrued_interest(cf),
        clean_present_value(cf, curve),
        modified_duration(cf, y, compounding=comp),
        convexity(cf, y, compounding=comp),
        macaulay_duration(cf, y),
        weighted_average_life(cf),
        dv01(cf, curve),
        cs01(cf, curve),
    ]
    for figure in figures:
        assert figure.shape == (cf.n,)
        assert not bool(np.any(np.isnan(figure)))
    np.testing.assert_allclose(solved, y, rtol=0, atol=1e-9)
    np.testing.assert_allclose(z, 0.01, rtol=0, atol=1e-9)


# -- the fast paths: trusted matrices and bond_measures -------------------------------------


def _trusted_copy(cf: CashflowMatrix) -> CashflowMatrix:
    return CashflowMatrix.from_trusted(
        ids=cf.ids,
        pay_dates=cf.pay_dates,
        amounts=cf.amounts,
        alive=cf.alive,
        settlement=cf.settlement,
        frequency=cf.frequency,
        day_count=cf.day_count,
        accrual_start=cf.accrual_start,
        accrual_end=cf.accrual_end,
        coupon_amounts=cf.coupon_amounts,
        accrual_day_count=cf.accrual_day_count,
        principal=cf.principal,
    )


def test_trusted_matrix_gives_the_validated_results(book: Book) -> None:
    curve, _rows, cf = next(_by_curve(book))
    fast = _trusted_copy(cf)
    price = present_value(cf, curve, z_spread=0.01)
    for name in ("pay_dates", "amounts", "alive", "settlement", "frequency", "principal"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(cf, name), err_msg=name)
    for fn in (
        lambda m: present_value(m, curve),
        lambda m: accrued_interest(m, settlement="2027-03-15"),
        lambda m: yield_from_price(m, price),
        lambda m: modified_duration(m, 0.03),
        lambda m: convexity(m, 0.03, compounding="simple"),
        lambda m: z_spread_from_price(m, curve, price),
        weighted_average_life,
    ):
        np.testing.assert_array_equal(fn(fast), fn(cf))


def test_trusted_matrix_shares_memory_read_only_and_checks_shapes() -> None:
    amounts = np.array([[5.0, 105.0], [103.0, 0.0]])
    kwargs = _kwargs() | {
        "pay_dates": np.array(_kwargs()["pay_dates"], dtype="datetime64[D]"),
        "amounts": amounts,
        "alive": np.array(_kwargs()["alive"]),
    }
    cf = CashflowMatrix.from_trusted(**kwargs)
    assert np.shares_memory(cf.amounts, amounts)  # no copy
    with pytest.raises(ValueError, match="read-only"):
        cf.amounts[0, 0] = 1.0
    amounts[0, 0] = 6.0  # the caller's array stays writable (and must not be changed)
    assert cf.frequency.tolist() == [1, 1]
    assert cf.day_count.value == "ACT/365F"
    with pytest.raises(ValidationError) as info:
        CashflowMatrix.from_trusted(**(kwargs | {"amounts": np.zeros((2, 3))}))
    assert info.value.fields == ("CashflowMatrix.amounts",)
    with pytest.raises(ValidationError):
        CashflowMatrix.from_trusted(**(kwargs | {"accrual_start": kwargs["pay_dates"]}))


@pytest.mark.parametrize("comp", ["compounded", "continuous", "simple"])
def test_bond_measures_equal_the_separate_functions(book: Book, comp: YieldCompounding) -> None:
    for curve, _rows, cf in _by_curve(book):
        m = bond_measures(cf, curve, compounding=comp, wal_day_count="ACT/360")
        pv = present_value(cf, curve)
        y = yield_from_price(cf, pv, compounding=comp)
        expected = {
            "pv": pv,
            "ytm": y,
            "wal": weighted_average_life(cf, day_count="ACT/360"),
            "modified_duration": modified_duration(cf, y, compounding=comp),
            "convexity": convexity(cf, y, compounding=comp),
        }
        if comp == "compounded":
            expected["macaulay_duration"] = macaulay_duration(cf, y)
        else:
            assert bool(np.isnan(m.macaulay_duration).all())
        for key, value in expected.items():
            np.testing.assert_allclose(getattr(m, key), value, rtol=1e-12, atol=1e-12, err_msg=key)


def test_bond_measures_at_a_given_clean_price_on_trusted_dfs(book: Book) -> None:
    curve, _rows, cf = next(_by_curve(book))
    fast = _trusted_copy(cf)
    dfs = settlement_discount_factors(cf, curve, settlement="2027-03-15")
    clean = clean_present_value(cf, curve, z_spread=0.02, settlement="2027-03-15")
    kwargs: dict[str, Any] = {"settlement": "2027-03-15"}
    m = bond_measures(fast, dfs, price=clean, kind="clean", on_failure="nan", **kwargs)
    y = yield_from_price(cf, clean, kind="clean", on_failure="nan", **kwargs)
    np.testing.assert_allclose(m.pv, present_value(cf, dfs, **kwargs), rtol=1e-12)
    np.testing.assert_allclose(m.ytm, y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        m.modified_duration, modified_duration(cf, y, **kwargs), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(m.convexity, convexity(cf, y, **kwargs), rtol=1e-12, atol=1e-12)


def test_bond_measures_without_principal_and_failures() -> None:
    cf = CashflowMatrix(**_kwargs())
    m = bond_measures(cf, flat_curve("2026-01-01", 0.04))
    assert bool(np.isnan(m.wal).all())
    np.testing.assert_allclose(m.ytm, yield_from_price(cf, m.pv), rtol=1e-12)
    with pytest.raises(ConvergenceError, match="b"):
        bond_measures(cf, flat_curve("2026-01-01", 0.04), price=[100.0, -1.0])
    out = bond_measures(cf, flat_curve("2026-01-01", 0.04), price=[100.0, -1.0], on_failure="nan")
    assert bool(np.isnan(out.ytm[1]))
    assert bool(np.isfinite(out.ytm[0]))
