"""Discount curves against independent QuantLib references and closed forms.

Tolerances (absolute, on discount factors and rates as decimals):

* numpy evaluation vs QuantLib ``discount``/``zeroRate``/``forwardRate``: 1e-12
* bootstrapped curves repricing their input instruments (fair rate - quote): 1e-10
* FR007 approximation vs a weekly-compounded FR007 leg: 0.1bp on a market-like curve;
  1bp to 6M and 0.2bp from 9M on a steep one (1.8% to 3.5%)

The reference instruments are built here from the conventions stated in
``docs/models/curves.md`` (schedules, indices and legs written out), not with the
library's rate helpers. CNY references use computefin's projected China inter-bank
calendar (``calendar("CN-IB").ql``), as the curves do: QuantLib's ``ql.China`` has no
holidays after its last official year.
"""

from __future__ import annotations

import datetime as dt
import pickle
from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import QuantLib as ql
from hypothesis import given, settings, strategies as st

from computefin.domain import RateIndex, RateQuote, demo_market
from computefin.errors import ConvergenceError, MarketDataError, ValidationError
from computefin.pricing._ql import evaluation_date, to_ql_date
from computefin.pricing.calendars import HolidayTable, calendar
from computefin.pricing.curves import (
    Compounding,
    Curve,
    CurveSpec,
    bootstrap_curve,
    build_curves,
    curve_set,
    flat_curve,
    zero_curve,
)

AS_OF = dt.date(2026, 11, 27)
TIGHT = 1e-12
REPRICE = 1e-10
SEED = 20261127
DAY_COUNTS = {
    "ACT/365F": ql.Actual365Fixed(),
    "ACT/360": ql.Actual360(),
    "30/360": ql.Thirty360(ql.Thirty360.BondBasis),
    "ACT/ACT": ql.ActualActual(ql.ActualActual.ISDA),
}
QL_COMP = {
    "continuous": (ql.Continuous, ql.Annual),
    "annual": (ql.Compounded, ql.Annual),
    "simple": (ql.Simple, ql.Annual),
}
CNY_IB = calendar("CN-IB").ql  # projected holidays after QuantLib's official years
USD_SOFR = ql.UnitedStates(ql.UnitedStates.SOFR)

SHIBOR = [
    ("deposit", "ON", 0.0140),
    ("deposit", "1W", 0.0150),
    ("deposit", "3M", 0.0160),
    ("swap", "6M", 0.0156),
    ("swap", "9M", 0.0155),
    ("swap", "1Y", 0.0155),
    ("swap", "2Y", 0.0158),
    ("swap", "3Y", 0.0162),
    ("swap", "5Y", 0.0170),
    ("swap", "7Y", 0.0178),
    ("swap", "10Y", 0.0188),
]
FR007 = [
    ("deposit", "1W", 0.0150),
    ("swap", "3M", 0.0148),
    ("swap", "6M", 0.0146),
    ("swap", "9M", 0.0145),
    ("swap", "1Y", 0.0145),
    ("swap", "2Y", 0.0148),
    ("swap", "3Y", 0.0152),
    ("swap", "5Y", 0.0160),
    ("swap", "7Y", 0.0168),
    ("swap", "10Y", 0.0178),
]
SOFR = [
    ("deposit", "ON", 0.0365),
    ("ois", "1W", 0.0364),
    ("ois", "1M", 0.0362),
    ("ois", "3M", 0.0357),
    ("ois", "6M", 0.0349),
    ("ois", "1Y", 0.0338),
    ("ois", "2Y", 0.0330),
    ("ois", "3Y", 0.0332),
    ("ois", "5Y", 0.0341),
    ("ois", "7Y", 0.0352),
    ("ois", "10Y", 0.0366),
    ("ois", "30Y", 0.0380),
]


def quotes(index: str, rows: list[tuple[str, str, float]]) -> list[RateQuote]:
    return [RateQuote(index=index, kind=k, tenor=t, rate=r) for k, t, r in rows]


def shibor_index(tenor: str, handle: Any) -> ql.IborIndex:
    """Shibor as published: ON T+0 following, 1W/2W T+1 following, months T+1 modified
    following; ACT/360; on the projected CN-IB calendar."""
    days, convention = (0, ql.Following) if tenor == "ON" else (1, ql.Following)
    if tenor[-1] in "MY":
        convention = ql.ModifiedFollowing
    return ql.IborIndex(
        "Shibor", period(tenor), days, ql.CNYCurrency(), CNY_IB, convention, False,
        ql.Actual360(), handle,
    )  # fmt: skip


def period(tenor: str) -> ql.Period:
    if tenor == "ON":
        return ql.Period(1, ql.Days)
    units = {"D": ql.Days, "W": ql.Weeks, "M": ql.Months, "Y": ql.Years}
    return ql.Period(int(tenor[:-1]), units[tenor[-1]])


def random_dates(n: int, years: int = 40, seed: int = SEED) -> npt.NDArray[np.datetime64]:
    rng = np.random.default_rng(seed)
    offsets = rng.integers(0, 365 * years, n)
    offsets[:3] = [0, 1, 365 * years]  # as_of itself, the next day, the far end
    return np.datetime64(AS_OF, "D") + offsets.astype("timedelta64[D]")


def ql_discounts(ts: Any, dates: npt.NDArray[np.datetime64]) -> npt.NDArray[np.float64]:
    return np.array([ts.discount(to_ql_date(d)) for d in dates])


@pytest.fixture(scope="module")
def shibor() -> Curve:
    return bootstrap_curve(AS_OF, quotes("SHIBOR3M", SHIBOR))


@pytest.fixture(scope="module")
def fr007() -> Curve:
    return bootstrap_curve(AS_OF, quotes("FR007", FR007))


@pytest.fixture(scope="module")
def sofr() -> Curve:
    return bootstrap_curve(AS_OF, quotes("SOFR", SOFR))


@pytest.fixture
def sentinel_evaluation_date() -> Iterator[ql.Date]:
    """A known global evaluation date, different from AS_OF, restored after the test."""
    settings_ = ql.Settings.instance()
    before = settings_.evaluationDate
    sentinel = ql.Date(3, 3, 2021)
    settings_.evaluationDate = sentinel
    yield sentinel
    settings_.evaluationDate = before


# -- flat and zero curves against QuantLib ------------------------------------------------


@pytest.mark.parametrize("compounding", ["continuous", "annual", "simple"])
@pytest.mark.parametrize("day_count", list(DAY_COUNTS))
def test_flat_curve_matches_flat_forward(day_count: str, compounding: Compounding) -> None:
    curve = flat_curve(AS_OF, 0.0325, day_count=day_count, compounding=compounding)
    comp, freq = QL_COMP[compounding]
    reference = ql.FlatForward(to_ql_date(AS_OF), 0.0325, DAY_COUNTS[day_count], comp, freq)
    dates = random_dates(300)
    np.testing.assert_allclose(curve.discount(dates), ql_discounts(reference, dates), 0, TIGHT)
    np.testing.assert_allclose(
        curve.discount(dates), ql_discounts(curve.term_structure, dates), 0, TIGHT
    )


@pytest.mark.parametrize("day_count", list(DAY_COUNTS))
def test_zero_curve_matches_ql_zero_curve(day_count: str) -> None:
    rng = np.random.default_rng(SEED + 1)
    grid = np.array([30, 91, 182, 365, 730, 1095, 1826, 2556, 3652, 5478, 7305])
    pillar_days = grid + rng.integers(-10, 11, grid.size)
    pillar_dates = np.datetime64(AS_OF, "D") + pillar_days.astype("timedelta64[D]")
    rates = rng.uniform(-0.005, 0.06, size=grid.size)
    curve = zero_curve(AS_OF, dates=pillar_dates, rates=rates, day_count=day_count)
    # the documented short end: flat zero rate from as_of to the first pillar
    reference = ql.ZeroCurve(
        [to_ql_date(AS_OF)] + [to_ql_date(d) for d in pillar_dates],
        [float(rates[0]), *rates.tolist()],
        DAY_COUNTS[day_count],
    )
    reference.enableExtrapolation()
    dates = random_dates(300, years=35)  # beyond the last pillar too: flat forward
    np.testing.assert_allclose(curve.discount(dates), ql_discounts(reference, dates), 0, TIGHT)
    pairs = curve_from_pairs = zero_curve(
        AS_OF, list(zip(pillar_dates.tolist(), rates.tolist(), strict=True)), day_count=day_count
    )
    np.testing.assert_array_equal(pairs.discount(dates), curve.discount(dates))
    assert curve_from_pairs.pillar_dates.tolist() == pillar_dates.tolist()


@pytest.mark.parametrize("compounding", ["continuous", "annual", "simple"])
@pytest.mark.parametrize("day_count", ["ACT/365F", "ACT/360", "30/360", "ACT/ACT"])
def test_zero_rate_matches_quantlib(day_count: str, compounding: Compounding) -> None:
    curve = zero_curve(
        AS_OF,
        [("2027-03-01", 0.012), ("2029-11-27", 0.018), ("2036-11-27", 0.024)],
        day_count="ACT/360",
    )
    dates = random_dates(200, years=12, seed=SEED + 2)
    got = curve.zero_rate(dates, day_count=day_count, compounding=compounding)
    comp, freq = QL_COMP[compounding]
    dc = DAY_COUNTS[day_count]
    want = [curve.term_structure.zeroRate(to_ql_date(d), dc, comp, freq).rate() for d in dates]
    np.testing.assert_allclose(got, want, 0, TIGHT)


@pytest.mark.parametrize("day_count", list(DAY_COUNTS))
def test_forward_rate_matches_quantlib_and_closed_form(day_count: str) -> None:
    r = 0.027
    curve = flat_curve(AS_OF, r)
    rng = np.random.default_rng(SEED + 3)
    start = np.datetime64(AS_OF, "D") + rng.integers(0, 365 * 10, 250).astype("timedelta64[D]")
    end = start + rng.integers(20, 365 * 5, 250).astype("timedelta64[D]")
    got = curve.forward_rate(start, end, day_count=day_count)
    dc = DAY_COUNTS[day_count]
    want = [
        curve.term_structure.forwardRate(to_ql_date(s), to_ql_date(e), dc, ql.Simple).rate()
        for s, e in zip(start, end, strict=True)
    ]
    np.testing.assert_allclose(got, want, 0, TIGHT)
    tau_365 = (end - start).astype(np.int64) / 365.0
    tau_dc = np.array(
        [dc.yearFraction(to_ql_date(s), to_ql_date(e)) for s, e in zip(start, end, strict=True)]
    )
    np.testing.assert_allclose(got, (np.exp(r * tau_365) - 1.0) / tau_dc, 0, TIGHT)


def test_year_fraction_is_the_curve_time() -> None:
    curve = flat_curve(AS_OF, 0.02, day_count="ACT/ACT")
    dates = random_dates(100)
    want = [curve.term_structure.timeFromReference(to_ql_date(d)) for d in dates]
    np.testing.assert_allclose(curve.year_fraction(dates), want, 0, TIGHT)


def test_shapes_follow_the_input() -> None:
    curve = flat_curve(AS_OF, 0.02)
    grid = random_dates(12).reshape(3, 4)
    assert curve.discount(grid).shape == (3, 4)
    assert isinstance(curve.discount("2030-01-01"), float)
    assert curve.discount([dt.date(2030, 1, 1), "2031-01-01"]).dtype == np.float64
    ends = grid[:, :1] + np.array([100, 200, 300]).astype("timedelta64[D]")
    assert curve.forward_rate(grid[:, :1], ends).shape == (3, 3)


# -- bootstrapped curves reprice their inputs ---------------------------------------------


def test_shibor_curve_reprices_deposits_and_swaps(shibor: Curve) -> None:
    handle = shibor.ql
    with evaluation_date(AS_OF) as today:
        for kind, tenor, rate in SHIBOR:
            if kind == "deposit":
                fair = shibor_index(tenor, handle).fixing(today)
            else:  # CFETS: T+1, quarterly ACT/365F fixed vs quarterly Shibor 3M (ACT/360)
                start = CNY_IB.advance(today, 1, ql.Days)
                end = start + period(tenor)  # unadjusted: rolls keep the start's day
                sched = ql.Schedule(
                    start, end, ql.Period(3, ql.Months), CNY_IB, ql.ModifiedFollowing,
                    ql.ModifiedFollowing, ql.DateGeneration.Backward, False,
                )  # fmt: skip
                swap = ql.VanillaSwap(
                    ql.Swap.Payer, 1.0, sched, rate, ql.Actual365Fixed(), sched,
                    shibor_index("3M", handle), 0.0, ql.Actual360(),
                )  # fmt: skip
                swap.setPricingEngine(ql.DiscountingSwapEngine(handle))
                fair = swap.fairRate()
            assert abs(fair - rate) < REPRICE, (kind, tenor, fair, rate)


def fr007_index(handle: Any) -> ql.OvernightIndex:
    return ql.OvernightIndex("FR007", 0, ql.CNYCurrency(), CNY_IB, ql.Actual365Fixed(), handle)


def test_fr007_curve_reprices_deposits_and_swaps(fr007: Curve) -> None:
    handle = fr007.ql
    with evaluation_date(AS_OF) as today:
        for kind, tenor, rate in FR007:
            if kind == "deposit":  # T+0 simple ACT/365F to the following-adjusted maturity
                end = CNY_IB.advance(today, period(tenor), ql.Following)
                fair = fr007.forward_rate(AS_OF, to_np(end), day_count="ACT/365F")
            else:  # T+1, quarterly both legs, fixed ACT/365F, daily-compounded FR007 stand-in
                swap = ql.MakeOIS(
                    period(tenor),
                    fr007_index(handle),
                    rate,
                    settlementDays=1,
                    paymentFrequency=ql.Quarterly,
                    fixedLegDayCount=ql.Actual365Fixed(),
                    calendar=CNY_IB,
                    convention=ql.ModifiedFollowing,
                    discountingTermStructure=handle,
                )
                fair = swap.fairRate()
            assert abs(fair - rate) < REPRICE, (kind, tenor, fair, rate)


def test_sofr_curve_reprices_deposit_and_ois(sofr: Curve) -> None:
    handle = sofr.ql
    with evaluation_date(AS_OF) as today:
        for kind, tenor, rate in SOFR:
            if kind == "deposit":  # overnight, T+0, ACT/360
                end = USD_SOFR.advance(today, 1, ql.Days)
                fair = sofr.forward_rate(AS_OF, to_np(end), day_count="ACT/360")
            else:  # T+2, annual both legs, ACT/360, payment lag 2 business days
                swap = ql.MakeOIS(
                    period(tenor),
                    ql.Sofr(handle),
                    rate,
                    settlementDays=2,
                    paymentLag=2,
                    paymentFrequency=ql.Annual,
                    fixedLegDayCount=ql.Actual360(),
                    discountingTermStructure=handle,
                )
                fair = swap.fairRate()
            assert abs(fair - rate) < REPRICE, (kind, tenor, fair, rate)


def to_np(date: ql.Date) -> np.datetime64:
    return np.datetime64(dt.date(date.year(), date.month(), date.dayOfMonth()), "D")


FR007_STEEP = [
    ("deposit", "1W", 0.018),
    ("swap", "3M", 0.020),
    ("swap", "6M", 0.022),
    ("swap", "9M", 0.024),
    ("swap", "1Y", 0.025),
    ("swap", "2Y", 0.028),
    ("swap", "5Y", 0.032),
    ("swap", "10Y", 0.035),
]


@pytest.mark.parametrize(
    ("rows", "short_bp", "long_bp"),
    [(FR007, 0.1, 0.1), (FR007_STEEP, 1.0, 0.2)],
    ids=["market-like", "steep"],
)
def test_fr007_approximation_error_against_weekly_compounding(
    rows: list[tuple[str, str, float]], short_bp: float, long_bp: float
) -> None:
    """The documented approximation error, against a true FR007 leg priced on the curve.

    True leg: quarterly coupons, each compounding 7-day resets (schedule rolled forward
    from the coupon start, following) of a 7-day repo rate fixed one China inter-bank
    business day before each reset, for a repo starting on its fixing date; ACT/365F.
    Limits: ``short_bp`` up to 6M, ``long_bp`` from 9M (errors measured in bp of the
    fair rate; see docs/models/curves.md for the figures).
    """
    curve = bootstrap_curve(AS_OF, quotes("FR007", rows))
    handle = curve.ql
    repo_7d = ql.IborIndex(
        "FR007R", ql.Period(7, ql.Days), 0, ql.CNYCurrency(), CNY_IB, ql.Following, False,
        ql.Actual365Fixed(), handle,
    )  # fmt: skip
    with evaluation_date(AS_OF) as today:
        for _, tenor, rate in rows[1:]:
            start = CNY_IB.advance(today, 1, ql.Days)
            end = start + period(tenor)
            sched = ql.Schedule(
                start, end, ql.Period(3, ql.Months), CNY_IB, ql.ModifiedFollowing,
                ql.ModifiedFollowing, ql.DateGeneration.Backward, False,
            )  # fmt: skip
            coupons = []
            for j in range(len(sched) - 1):
                resets = ql.Schedule(
                    sched[j], sched[j + 1], ql.Period(7, ql.Days), CNY_IB, ql.Following,
                    ql.Following, ql.DateGeneration.Forward, False,
                )  # fmt: skip
                coupon = ql.MultipleResetsCoupon(
                    sched[j + 1], 1.0, resets, 1, repo_7d, 1.0, 0.0, 0.0, ql.Date(), ql.Date(),
                    ql.Actual365Fixed(),
                )  # fmt: skip
                coupon.setPricer(ql.CompoundingMultipleResetsPricer())
                coupons.append(coupon)
            fixed = ql.FixedRateLeg(sched, ql.Actual365Fixed(), [1.0], [rate])
            swap = ql.Swap(fixed, ql.Leg(coupons))
            swap.setPricingEngine(ql.DiscountingSwapEngine(handle))
            error_bp = -swap.NPV() / swap.legBPS(0)  # true fair rate minus quote, in bp
            limit = short_bp if period(tenor) <= ql.Period(6, ql.Months) else long_bp
            assert abs(error_bp) < limit, (tenor, error_bp)


@pytest.mark.parametrize("name", ["shibor", "fr007", "sofr"])
def test_bootstrapped_numpy_discount_matches_quantlib(name: str, request: Any) -> None:
    curve: Curve = request.getfixturevalue(name)
    dates = np.concatenate([random_dates(400, years=45), curve.pillar_dates])
    want = ql_discounts(curve.term_structure, dates)
    np.testing.assert_allclose(curve.discount(dates), want, 0, TIGHT)
    zero = np.array(
        [
            curve.term_structure.zeroRate(to_ql_date(d), ql.Actual365Fixed(), ql.Continuous).rate()
            for d in dates
        ]
    )
    got = curve.zero_rate(dates)
    np.testing.assert_allclose(got[1:], zero[1:], 0, TIGHT)
    # at as_of (dates[0]) both take -log D(1e-4) / 1e-4: rounding is amplified 1e4 times
    np.testing.assert_allclose(got[0], zero[0], 0, 1e4 * TIGHT)


def test_bootstrap_restores_the_evaluation_date(sentinel_evaluation_date: ql.Date) -> None:
    bootstrap_curve(AS_OF, quotes("SOFR", SOFR))
    assert ql.Settings.instance().evaluationDate == sentinel_evaluation_date
    with pytest.raises(ConvergenceError):
        bootstrap_curve(AS_OF, quotes("SHIBOR3M", [("deposit", "3M", 0.9), ("swap", "6M", -0.9)]))
    assert ql.Settings.instance().evaluationDate == sentinel_evaluation_date
    with pytest.raises(ValidationError):
        bootstrap_curve(AS_OF, quotes("SOFR", [("ois", "2Y", 0.03), ("ois", "1Y", 0.03)]))
    assert ql.Settings.instance().evaluationDate == sentinel_evaluation_date


def test_curve_does_not_move_with_the_global_evaluation_date(
    sentinel_evaluation_date: ql.Date,
) -> None:
    curve = bootstrap_curve(AS_OF, quotes("SHIBOR3M", SHIBOR))
    dates = random_dates(50)
    before_np, before_ql = curve.discount(dates), ql_discounts(curve.term_structure, dates)
    for moved in (ql.Date(1, 1, 2027), ql.Date(15, 6, 2030), ql.Date(1, 1, 2020)):
        ql.Settings.instance().evaluationDate = moved
        np.testing.assert_array_equal(ql_discounts(curve.term_structure, dates), before_ql)
        np.testing.assert_array_equal(curve.discount(dates), before_np)
        assert curve.term_structure.referenceDate() == to_ql_date(AS_OF)


def test_zero_quotes_build_a_zero_curve() -> None:
    curve = bootstrap_curve(AS_OF, quotes("SOFR", [("zero", "1Y", 0.04), ("zero", "5Y", 0.035)]))
    assert curve.interpolation == "linear_zero"
    np.testing.assert_allclose(
        curve.zero_rate(["2027-11-27", "2031-11-27"]), [0.04, 0.035], 0, TIGHT
    )


# -- shifts --------------------------------------------------------------------------------


@pytest.mark.parametrize("day_count", ["ACT/365F", "ACT/360"])
def test_z_spread_matches_zero_spreaded_term_structure(day_count: str) -> None:
    base = zero_curve(AS_OF, [("2027-11-27", 0.02), ("2036-11-27", 0.03)], day_count=day_count)
    spread = 0.0137
    shifted = base.with_z_spread(spread)
    dates = random_dates(300)
    t365 = (dates - np.datetime64(AS_OF, "D")).astype(np.int64) / 365.0
    np.testing.assert_allclose(
        shifted.discount(dates), base.discount(dates) * np.exp(-spread * t365), 0, TIGHT
    )
    np.testing.assert_allclose(
        shifted.discount(dates), ql_discounts(shifted.term_structure, dates), 0, TIGHT
    )
    assert isinstance(shifted.term_structure, ql.ZeroSpreadedTermStructure)
    if day_count == "ACT/365F":  # the same spread quoted on QuantLib's side, built here
        reference = ql.ZeroSpreadedTermStructure(
            base.ql, ql.QuoteHandle(ql.SimpleQuote(spread)), ql.Continuous, ql.NoFrequency
        )
        reference.enableExtrapolation()
        np.testing.assert_allclose(
            shifted.discount(dates), ql_discounts(reference, dates), 0, TIGHT
        )


def test_parallel_shift_and_spreads_add(shibor: Curve) -> None:
    dates = random_dates(200)
    up = shibor.shifted(parallel=0.001)
    np.testing.assert_array_equal(up.discount(dates), shibor.with_z_spread(0.001).discount(dates))
    np.testing.assert_allclose(
        up.zero_rate(dates[1:]), shibor.zero_rate(dates[1:]) + 0.001, 0, TIGHT
    )
    twice = shibor.with_z_spread(0.004).with_z_spread(-0.001)
    np.testing.assert_allclose(
        twice.discount(dates), shibor.with_z_spread(0.003).discount(dates), 0, TIGHT
    )
    np.testing.assert_allclose(
        twice.discount(dates), ql_discounts(twice.term_structure, dates), 0, TIGHT
    )
    assert shibor.spread == 0.0
    assert twice.spread == pytest.approx(0.003, abs=1e-15)


def test_spread_needs_a_constant_ratio_to_act_365() -> None:
    with pytest.raises(ValidationError, match="day_count"):
        flat_curve(AS_OF, 0.02, day_count="30/360").with_z_spread(0.01)
    with pytest.raises(ValidationError, match=r"spread.*percentage"):
        flat_curve(AS_OF, 0.02).with_z_spread(150.0)


# -- immutability, pickling, shapes -------------------------------------------------------


def test_curve_is_immutable_and_pickles(shibor: Curve) -> None:
    with pytest.raises(AttributeError):
        shibor.spread = 1.0  # type: ignore[misc]
    shifted = shibor.shifted(parallel=0.002)
    dates = random_dates(100)
    for curve in (shibor, shifted):
        copy = pickle.loads(pickle.dumps(curve))
        np.testing.assert_array_equal(copy.discount(dates), curve.discount(dates))
        np.testing.assert_allclose(
            ql_discounts(copy.term_structure, dates), curve.discount(dates), 0, TIGHT
        )
    assert "SHIBOR3M" in repr(shibor)


# -- rejected input -----------------------------------------------------------------------


def test_dates_before_as_of_are_rejected_naming_the_field(shibor: Curve) -> None:
    with pytest.raises(ValidationError, match=r"^dates: dates before the curve's as_of"):
        shibor.discount(["2026-11-26"])
    with pytest.raises(ValidationError, match=r"^start:"):
        shibor.forward_rate(["2026-01-01"], ["2028-01-01"])
    with pytest.raises(ValidationError, match=r"^end: must be after start"):
        shibor.forward_rate(["2028-01-01"], ["2027-01-01"])
    with pytest.raises(ValidationError, match=r"^dates: must be dates, got NaT"):
        shibor.discount(np.array(["NaT"], dtype="datetime64[D]"))
    with pytest.raises(ValidationError, match=r"^dates:"):
        shibor.discount(np.arange(3))


def test_extrapolation_can_be_switched_off() -> None:
    curve = zero_curve(AS_OF, [("2030-01-01", 0.02)], extrapolate=False)
    curve.discount("2030-01-01")
    with pytest.raises(ValidationError, match="extrapolate=False"):
        curve.discount("2030-01-02")
    assert not curve.term_structure.allowsExtrapolation()


@pytest.mark.parametrize(
    ("rows", "index", "field", "message"),
    [
        ([("ois", "1Y", 0.03), ("ois", "1Y", 0.031)], "SOFR", r"quotes\[1\]\.tenor", "duplicate"),
        ([("ois", "2Y", 0.03), ("ois", "1Y", 0.03)], "SOFR", r"quotes\[1\]\.tenor", "increasing"),
        ([("swap", "1Y", 0.03)], "SOFR", r"quotes\[0\]\.kind", "use kind 'ois'"),
        ([("ois", "1Y", 0.03)], "FR007", r"quotes\[0\]\.kind", "kind 'swap'"),
        ([("deposit", "1Y", 0.03)], "LPR1Y", r"quotes\[0\]\.index", "reset rate"),
        ([("swap", "70Y", 0.03)], "SHIBOR3M", r"quotes\[0\]\.tenor", "longer than 60"),
        ([("zero", "1Y", 0.03), ("swap", "2Y", 0.03)], "FR007", r"quotes\[1\]\.kind", "zero"),
        (
            [("deposit", "3M", 0.03), ("swap", "3M", 0.03)],
            "SHIBOR3M",
            r"quotes\[1\]",
            "same pillar",
        ),
    ],
)
def test_bad_quotes_are_rejected(
    rows: list[tuple[str, str, float]], index: str, field: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=f"^{field}.*{message}"):
        bootstrap_curve(AS_OF, quotes(index, rows))


def test_mixed_currencies_and_indices_are_rejected() -> None:
    mixed = [*quotes("SOFR", [("ois", "1Y", 0.03)]), *quotes("FR007", [("swap", "2Y", 0.02)])]
    with pytest.raises(ValidationError, match=r"^quotes\[1\]\.currency"):
        bootstrap_curve(AS_OF, mixed)
    two_cny = [
        *quotes("FR007", [("swap", "1Y", 0.02)]),
        *quotes("SHIBOR3M", [("swap", "2Y", 0.02)]),
    ]
    with pytest.raises(ValidationError, match=r"^quotes\[1\]\.index"):
        bootstrap_curve(AS_OF, two_cny)
    with pytest.raises(ValidationError, match=r"^currency"):
        bootstrap_curve(AS_OF, quotes("SOFR", [("ois", "1Y", 0.03)]), currency="CNY")
    with pytest.raises(ValidationError, match=r"^quotes: need at least one"):
        bootstrap_curve(AS_OF, [])


def test_bootstrap_failure_names_the_pillar() -> None:
    bad = quotes("SHIBOR3M", [("deposit", "3M", 0.9), ("swap", "6M", -0.9), ("swap", "1Y", 0.02)])
    with pytest.raises(ConvergenceError, match="SHIBOR3M 6M swap") as info:
        bootstrap_curve(AS_OF, bad)
    assert info.value.items == ("SHIBOR3M 6M swap",)


def test_curve_set_groups_by_index_and_numbers_errors_globally() -> None:
    mixed = [*quotes("SOFR", SOFR), *quotes("FR007", FR007)]
    curves = curve_set(AS_OF, mixed)
    assert list(curves) == ["FR007", "SOFR"]
    assert curves[RateIndex.SOFR].currency == "USD"
    assert curves[RateIndex.FR007].index == "FR007"
    broken = [*quotes("SOFR", SOFR), *quotes("FR007", [("swap", "2Y", 0.02), ("swap", "1Y", 0.02)])]
    with pytest.raises(ValidationError, match=rf"^quotes\[{len(SOFR) + 1}\]\.tenor"):
        curve_set(AS_OF, broken)
    with pytest.raises(MarketDataError, match="SHIBOR3M"):
        curve_set(AS_OF, mixed, indices=["SHIBOR3M"])
    with_lpr = [*mixed, RateQuote(index="LPR1Y", kind="deposit", tenor="1Y", rate=0.03)]
    with pytest.raises(ValidationError, match="reset rate"):
        curve_set(AS_OF, with_lpr)
    assert list(curve_set(AS_OF, with_lpr, indices=["SOFR"])) == ["SOFR"]


def test_build_curves_on_the_demo_snapshot() -> None:
    market = demo_market()
    curves = build_curves(market)
    assert sorted(curves) == ["FR007", "SHIBOR3M", "SOFR"]
    for index, curve in curves.items():
        assert curve.as_of == market.as_of
        assert curve.currency == index.currency
        zero = curve.zero_rate(np.datetime64(market.as_of, "D") + np.arange(30, 3650, 30))
        assert np.all(np.isfinite(zero))
        assert np.all((zero > 0.0) & (zero < 0.1))


# -- properties -----------------------------------------------------------------------------

valid_rates = st.floats(min_value=-0.5, max_value=1.0, allow_nan=False)
percent_like = st.floats(min_value=1.0, max_value=100.0, exclude_min=True, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(rate=percent_like)
def test_percentages_are_rejected_with_a_message_saying_so(rate: float) -> None:
    with pytest.raises(ValidationError, match=r"^rate: .*looks like a percentage"):
        flat_curve(AS_OF, rate)
    with pytest.raises(ValidationError, match=r"^pillars\[0\]\.rate: .*looks like a percentage"):
        zero_curve(AS_OF, [("2030-01-01", rate)])
    with pytest.raises(ValidationError, match="looks like a percentage"):
        RateQuote(index="SOFR", kind="ois", tenor="1Y", rate=rate)
    with pytest.raises(ValidationError, match="percentage"):
        flat_curve(AS_OF, 0.02).shifted(parallel=rate)


@settings(max_examples=60, deadline=None)
@given(rate=valid_rates, compounding=st.sampled_from(["continuous", "annual"]))
def test_valid_flat_rates_never_produce_nan(rate: float, compounding: Any) -> None:
    curve = flat_curve(AS_OF, rate, compounding=compounding)
    dates = random_dates(50, years=50)
    assert np.all(np.isfinite(curve.discount(dates)) & (curve.discount(dates) > 0.0))
    assert np.all(np.isfinite(curve.zero_rate(dates)))
    assert np.all(np.isfinite(curve.forward_rate(dates, dates + 91)))


@settings(max_examples=30, deadline=None)
@given(rate=st.floats(min_value=-0.99, max_value=-0.01))
def test_simple_negative_rates_fail_loudly_not_with_nan(rate: float) -> None:
    curve = flat_curve(AS_OF, rate, compounding="simple")
    far = np.datetime64(AS_OF, "D") + np.timedelta64(int(365 * 1.01 / -rate) + 1, "D")
    with pytest.raises(ValidationError, match="not finite and positive"):
        curve.discount([far])


# -- calendars ------------------------------------------------------------------------------


def test_cny_curves_use_projected_china_holidays_by_default() -> None:
    """2027 National Day (projected; QuantLib's ql.China would be open on 1 October)."""
    rows = [("deposit", "ON", 0.014), ("deposit", "3M", 0.016), ("swap", "6M", 0.0156)]
    rows += [("swap", "1Y", 0.0155), ("swap", "2Y", 0.0158)]
    shibor = bootstrap_curve("2027-06-30", quotes("SHIBOR3M", rows))
    pillars = shibor.pillar_dates
    assert np.datetime64("2027-10-01") not in pillars
    assert np.datetime64("2027-10-06") in pillars  # 3M from 1 July 2027, rolled
    assert calendar("CN-IB").is_business_day_array(pillars).all()
    assert shibor.spec.calendar == "CN-IB"
    # FR007: the 1W repo from Friday 24 September 2027 ends on 6 October, not 1 October.
    fr007 = bootstrap_curve("2027-09-24", quotes("FR007", [("deposit", "1W", 0.015)]))
    assert fr007.pillar_dates.tolist() == [dt.date(2027, 10, 6)]
    assert fr007.spec.calendar == "CN-IB"


def test_bootstrap_takes_a_market_calendar_or_a_name() -> None:
    rows = quotes("SHIBOR3M", SHIBOR)
    default = bootstrap_curve(AS_OF, rows)
    for choice in (calendar("CN-IB"), "cn-ib"):
        curve = bootstrap_curve(AS_OF, rows, calendar=choice)
        assert curve.spec == default.spec
    # A bank table moves the 1Y swap's maturity (T+1 = 30 Nov 2026; 30 Nov 2027 is a
    # Tuesday, declared a holiday: modified following stays in November, on the 29th).
    table = calendar("CN-IB", HolidayTable.from_dates(holidays=["2027-11-30"]))
    banked = bootstrap_curve(AS_OF, rows, calendar=table)
    assert banked.spec.calendar == table.identifier != "CN-IB"
    assert np.datetime64("2027-11-30") in default.pillar_dates
    assert np.datetime64("2027-11-30") not in banked.pillar_dates
    assert np.datetime64("2027-11-29") in banked.pillar_dates


@pytest.mark.parametrize("bad", [ql.China(ql.China.IB), 42, object()])
def test_bootstrap_rejects_other_calendars(bad: object) -> None:
    with pytest.raises(ValidationError) as info:
        bootstrap_curve(AS_OF, quotes("FR007", FR007), calendar=bad)  # type: ignore[arg-type]
    assert info.value.fields == ("calendar",)
    with pytest.raises(ValidationError, match="unknown calendar"):
        bootstrap_curve(AS_OF, quotes("FR007", FR007), calendar="CN-XX")


def test_sofr_ois_helpers_use_the_given_calendar() -> None:
    rows = quotes("SOFR", [("ois", "1Y", 0.034), ("ois", "2Y", 0.033)])
    default = bootstrap_curve(AS_OF, rows)
    assert default.spec.calendar == "US-SOFR"
    # 1Y OIS: start 1 Dec 2026 (T+2), end 1 Dec 2027, paid two business days later.
    assert default.pillar_dates[0] == np.datetime64("2027-12-03")
    table = calendar("US-SOFR", HolidayTable.from_dates(holidays=["2027-12-01"]))
    moved = bootstrap_curve(AS_OF, rows, calendar=table)
    assert moved.spec.calendar == table.identifier
    assert moved.pillar_dates[0] == np.datetime64("2027-12-06")


def test_curve_set_and_build_curves_take_calendars() -> None:
    market = demo_market()
    table = calendar("CN-IB", HolidayTable.from_dates(holidays=["2027-03-10"]))
    curves = build_curves(market, calendar={"SHIBOR3M": table, RateIndex.FR007: table})
    assert curves[RateIndex.SHIBOR3M].spec.calendar == table.identifier
    assert curves[RateIndex.FR007].spec.calendar == table.identifier
    assert curves[RateIndex.SOFR].spec.calendar == "US-SOFR"
    with pytest.raises(ValidationError, match="CNY and USD") as info:
        build_curves(market, calendar="CN-IB")
    assert info.value.fields == ("calendar",)
    cny = [*quotes("SHIBOR3M", SHIBOR), *quotes("FR007", FR007)]
    both = curve_set(AS_OF, cny, calendar=table)
    assert {c.spec.calendar for c in both.values()} == {table.identifier}
    with pytest.raises(ValidationError) as info:
        curve_set(AS_OF, cny, calendar={"LIBOR": "CN-IB"})
    assert info.value.fields == ("calendar['LIBOR']",)


# -- strict dates, specs and scalars ---------------------------------------------------------


# Typed as Any: these calls pass what the signatures forbid, on purpose.
FLAT: Any = flat_curve(AS_OF, 0.02)
loose_flat_curve: Any = flat_curve
loose_zero_curve: Any = zero_curve


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: FLAT.discount(30000), "dates"),
        (lambda: FLAT.discount([30000, 30001]), "dates"),
        (lambda: FLAT.discount(True), "dates"),
        (lambda: FLAT.zero_rate(np.float64(3e4)), "dates"),
        (lambda: FLAT.discount("2200-01-01"), "dates"),
        (lambda: FLAT.forward_rate("2027-01-01", 20000), "end"),
        (lambda: loose_flat_curve(np.datetime64("NaT"), 0.02), "as_of"),
        (lambda: loose_flat_curve("1800-01-01", 0.02), "as_of"),
        (lambda: loose_flat_curve(20261127, 0.02), "as_of"),
        (lambda: loose_flat_curve(AS_OF, 0.02, currency="XXX"), "currency"),
        (
            lambda: loose_zero_curve(AS_OF, [("2190-01-01", 0.02), ("2201-01-01", 0.02)]),
            "pillars[1].date",
        ),
        (lambda: loose_zero_curve(AS_OF, [("2030-01-01", 0.02, 1)]), "pillars[0]"),
        (lambda: loose_zero_curve(AS_OF, dates=[20300101], rates=[0.02]), "dates"),
        (lambda: bootstrap_curve("1800-01-01", quotes("SOFR", SOFR)), "as_of"),
    ],
)
def test_bad_dates_raise_validation_errors_naming_the_field(call: Any, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        call()
    assert info.value.fields == (field,)


def test_single_dates_give_floats_and_empty_arrays_give_empty_arrays(shibor: Curve) -> None:
    for date in ("2030-01-01", dt.date(2030, 1, 1), np.datetime64("2030-01-01")):
        assert isinstance(shibor.discount(date), float)
        assert isinstance(shibor.zero_rate(date), float)
        assert isinstance(shibor.year_fraction(date), float)
        assert isinstance(shibor.forward_rate("2029-01-01", date), float)
        assert shibor.discount(date) == shibor.discount([date])[0]
    assert isinstance(shibor.discount(np.array("2030-01-01", dtype="datetime64[D]")), float)
    assert isinstance(shibor.forward_rate(["2029-01-01"], "2030-01-01"), np.ndarray)
    for method in (shibor.discount, shibor.zero_rate, shibor.year_fraction):
        out = method(np.array([], dtype="datetime64[D]"))
        assert isinstance(out, np.ndarray)
        assert out.shape == (0,)
        assert method([]).shape == (0,)
    assert shibor.forward_rate([], []).shape == (0,)


def test_curve_spec_is_validated_on_construction() -> None:
    as_of = dt.date(2026, 6, 30)
    nodes = (as_of, dt.date(2027, 6, 30))
    spec = CurveSpec(kind="log_linear_discount", as_of="2026-06-30", currency="usd",  # type: ignore[arg-type]
                     dates=nodes, values=(1.0, 0.97), day_count="act/360")  # type: ignore[arg-type]  # fmt: skip
    assert spec.as_of == as_of
    assert spec.currency == "USD"
    assert spec.day_count == "ACT/360"
    assert Curve(spec).discount("2027-06-30") == 0.97
    bad: list[tuple[dict[str, Any], str]] = [
        ({"kind": "cubic"}, "CurveSpec.kind"),
        ({"currency": "XXX"}, "CurveSpec.currency"),
        ({"day_count": "ACT/366"}, "CurveSpec.day_count"),
        ({"compounding": "monthly"}, "CurveSpec.compounding"),
        ({"index": "LIBOR"}, "CurveSpec.index"),
        ({"index": "SOFR"}, "CurveSpec.currency"),  # a SOFR curve in CNY
        ({"as_of": 20260630}, "CurveSpec.as_of"),
        ({"spread": 5.0}, "CurveSpec.spread"),
        ({"extrapolate": "yes"}, "CurveSpec.extrapolate"),
        ({"calendar": 1}, "CurveSpec.calendar"),
        ({"dates": nodes[:1], "values": (1.0,)}, "CurveSpec.dates"),
        ({"dates": (nodes[1], nodes[0])}, "CurveSpec.dates"),
        ({"dates": (as_of, as_of)}, "CurveSpec.dates[1]"),
        ({"values": (1.0, -0.5)}, "CurveSpec.values"),
        ({"values": (0.99, 0.97)}, "CurveSpec.values"),
        ({"values": (1.0, float("nan"))}, "CurveSpec.values[1]"),
        ({"kind": "linear_zero", "values": (0.02, 3.0)}, "CurveSpec.values[1]"),
        ({"kind": "flat"}, "CurveSpec.dates"),
        ({"kind": "flat", "dates": (), "values": (), "rate": 2.0}, "CurveSpec.rate"),
    ]
    for change, field in bad:
        args: dict[str, Any] = {
            "kind": "log_linear_discount", "as_of": as_of, "dates": nodes, "values": (1.0, 0.97),
        }  # fmt: skip
        args.update(change)
        with pytest.raises(ValidationError) as info:
            CurveSpec(**args)
        assert info.value.fields == (field,), change


# -- quotes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("index", ["SHIBOR3M", "FR007", "SOFR"])
def test_tn_quotes_are_rejected(index: str) -> None:
    rows = [("deposit", "TN", 0.02), ("deposit", "3M", 0.02)]
    with pytest.raises(ValidationError, match=r"^quotes\[0\]\.tenor: TN \(tomorrow-next\)"):
        bootstrap_curve(AS_OF, quotes(index, rows))
    with pytest.raises(ValidationError, match=r"^quotes\[0\]\.tenor: TN"):
        bootstrap_curve(AS_OF, quotes(index, [("zero", "TN", 0.02)]))


@pytest.mark.parametrize("tenor", ["1W", "2W", "1M", "2M", "ON", "30D"])
def test_shibor_swaps_shorter_than_3m_are_rejected(tenor: str) -> None:
    rows = [("deposit", "3M", 0.016), ("swap", tenor, 0.0155), ("swap", "1Y", 0.0155)]
    with pytest.raises(ValidationError, match=r"^quotes\[1\]\.tenor: Shibor 3M swaps run 3M"):
        bootstrap_curve(AS_OF, quotes("SHIBOR3M", rows))
    # FR007 swaps of those tenors are fine (they are overnight-indexed).
    if tenor not in {"ON", "30D"}:
        bootstrap_curve(AS_OF, quotes("FR007", [("swap", tenor, 0.015), ("swap", "1Y", 0.015)]))


# -- zero rates where curve time and the caller's time differ -----------------------------------


def test_zero_rate_branches_on_curve_time_like_quantlib() -> None:
    """30/360 curve: 30 Jan to 31 Jan is 0 years of curve time but 1 day of ACT/365F."""
    curve = zero_curve("2026-01-30", [("2027-01-30", 0.02)], day_count="30/360")
    qdate = ql.Date(31, 1, 2026)
    for comp, (ql_comp, freq) in QL_COMP.items():
        for name in ("ACT/365F", "ACT/360", "ACT/ACT"):
            want = curve.term_structure.zeroRate(qdate, DAY_COUNTS[name], ql_comp, freq).rate()
            got = curve.zero_rate("2026-01-31", day_count=name, compounding=comp)  # type: ignore[call-overload]
            assert got == want, (comp, name)
    assert curve.zero_rate("2026-01-31") == pytest.approx(0.02, abs=1e-10)
    span = np.arange("2026-01-30", "2026-03-05", dtype="datetime64[D]")
    want_span = [
        curve.term_structure.zeroRate(to_ql_date(d), ql.Actual365Fixed(), ql.Continuous).rate()
        for d in span
    ]
    np.testing.assert_allclose(curve.zero_rate(span), want_span, 0, TIGHT)


def test_zero_rate_undefined_under_the_callers_day_count_is_an_error() -> None:
    curve = flat_curve("2026-01-30", 0.02)  # ACT/365F time: 1/365 to 31 January
    with pytest.raises(RuntimeError, match="positive time"):  # QuantLib refuses too
        curve.term_structure.zeroRate(ql.Date(31, 1, 2026), DAY_COUNTS["30/360"], ql.Continuous)
    with pytest.raises(ValidationError, match="undefined") as info:
        curve.zero_rate(["2026-02-27", "2026-01-31"], day_count="30/360")
    assert info.value.fields == ("day_count",)
    assert curve.zero_rate("2026-01-30", day_count="30/360") == pytest.approx(0.02, abs=1e-10)
    zero = flat_curve("2026-01-30", 0.0)  # no interest: the rate is 0 wherever time is 0
    assert zero.zero_rate("2026-01-31", day_count="30/360") == 0.0
