"""Loan cash flows: QuantLib on random fixed loans, closed forms, floating projections, draws."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from typing import Any

import numpy as np
import pandas as pd
import pytest
import QuantLib as ql

from computefin.domain import demo_market
from computefin.domain.conventions import DayCount
from computefin.domain.market import Fixing, MarketSnapshot, RateIndex, RateQuote
from computefin.errors import MarketDataError, ValidationError
from computefin.pricing import build_curves, calendar, evaluation_date, make_schedule
from computefin.products.loan import FRAME_COLUMNS, CollateralLoan, LoanBook

DAY_COUNTERS = {
    DayCount.ACT_365F: ql.Actual365Fixed(),
    DayCount.ACT_360: ql.Actual360(),
    DayCount.THIRTY_360: ql.Thirty360(ql.Thirty360.BondBasis),
    DayCount.ACT_ACT: ql.ActualActual(ql.ActualActual.ISDA),
}
FREQUENCIES = {
    "monthly": ql.Monthly,
    "quarterly": ql.Quarterly,
    "semiannual": ql.Semiannual,
    "annual": ql.Annual,
}
CONVENTIONS = {
    "following": ql.Following,
    "modified_following": ql.ModifiedFollowing,
    "preceding": ql.Preceding,
    "unadjusted": ql.Unadjusted,
}
AS_OF = dt.date(2026, 11, 27)


def qdate(day: Any) -> ql.Date:
    d = pd.Timestamp(day).date()
    return ql.Date(d.day, d.month, d.year)


def pydate(d: ql.Date) -> np.datetime64:
    return np.datetime64(dt.date(d.year(), d.month(), d.dayOfMonth()), "D")


def loan(**changes: Any) -> CollateralLoan:
    data: dict[str, Any] = {
        "id": "loan-1",
        "borrower_counterparty_id": "b",
        "principal": 1_200_000.0,
        "currency": "USD",
        "start": dt.date(2027, 1, 15),
        "maturity": dt.date(2032, 1, 15),
        "frequency": "monthly",
        "amortization": "level",
        "fixed_rate": 0.06,
        "day_count": "30/360",
        "business_day_convention": "unadjusted",
    }
    data.update(changes)
    return CollateralLoan(**{k: v for k, v in data.items() if v is not None})


# -- fixed loans against QuantLib ------------------------------------------------------------


def random_fixed_loan(rng: random.Random, i: int) -> CollateralLoan:
    cny = rng.random() < 0.5
    cal_name = "CN-IB" if cny else "US-SOFR"
    start = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(0, 5 * 365))
    maturity = start.replace(year=start.year + rng.randint(1, 7), day=min(start.day, 28))
    maturity += dt.timedelta(days=rng.choice([0, 0, 0, rng.randrange(1, 200)]))
    frequency = rng.choice(list(FREQUENCIES))
    convention = rng.choice(list(CONVENTIONS))
    principal = round(rng.uniform(1e5, 1e9), 2)
    kind = rng.choice(["level", "straight", "bullet", "balloon", "custom"])
    extra: dict[str, Any] = {}
    if kind == "balloon":
        extra["balloon_share"] = rng.uniform(0.05, 0.95)
    if kind == "custom":
        schedule = make_schedule(start, maturity, frequency, cal_name, convention)
        ends = [pd.Timestamp(d).date() for d in schedule.unadjusted_dates[1:-1]]
        randoms = [
            start + dt.timedelta(days=rng.randrange(1, (maturity - start).days)) for _ in "ab"
        ]
        picks = sorted(set(rng.sample(ends, min(len(ends), rng.randint(0, 4))) + randoms))
        picks = [d for d in picks if d < maturity] + [maturity]
        weights = [rng.random() for _ in picks]
        amounts = [round(principal * w / sum(weights), 2) for w in weights[:-1]]
        amounts.append(principal - sum(amounts))
        extra["custom_principal_schedule"] = list(zip(picks, amounts, strict=True))
    return CollateralLoan(
        id=f"fixed-{i}",
        borrower_counterparty_id="b",
        principal=principal,
        currency="CNY" if cny else "USD",
        start=start,
        maturity=maturity,
        frequency=frequency,
        amortization=kind,
        fixed_rate=round(rng.uniform(0.005, 0.12), 5),
        day_count=rng.choice(list(DayCount)),
        calendar=cal_name,
        business_day_convention=convention,
        **extra,
    )


def test_random_fixed_loans_match_quantlib_amortizing_bonds() -> None:
    rng = random.Random(20261127)
    loans = [random_fixed_loan(rng, i) for i in range(240)]
    assert {ln.amortization.value for ln in loans} == {
        "level",
        "straight",
        "bullet",
        "balloon",
        "custom",
    }
    cf = LoanBook.from_models(loans).cashflows()
    for row, ln in enumerate(loans):
        m = int(cf.n_periods[row])
        notionals = (cf.opening_balance[row, :m] + cf.draw[row, :m]).tolist()
        cal = calendar(ln.calendar).ql
        conv = CONVENTIONS[ln.business_day_convention.value]
        schedule = ql.Schedule(
            qdate(ln.start),
            qdate(ln.maturity),
            ql.Period(FREQUENCIES[ln.frequency.value]),
            cal,
            conv,
            conv,
            ql.DateGeneration.Backward,
            False,
        )
        bond = ql.AmortizingFixedRateBond(
            0, notionals, schedule, [ln.fixed_rate], DAY_COUNTERS[ln.day_count], conv
        )
        coupons = [ql.as_fixed_rate_coupon(c) for c in bond.cashflows()]
        coupons = [c for c in coupons if c is not None]
        redemptions: dict[np.datetime64, float] = {}
        for c in bond.cashflows():
            if ql.as_coupon(c) is None:
                day = pydate(c.date())
                redemptions[day] = redemptions.get(day, 0.0) + c.amount()
        assert len(coupons) == m, ln.id
        starts = np.array([pydate(c.accrualStartDate()) for c in coupons])
        ends = np.array([pydate(c.accrualEndDate()) for c in coupons])
        pays = np.array([pydate(c.date()) for c in coupons])
        np.testing.assert_array_equal(cf.accrual_start[row, :m], starts, err_msg=ln.id)
        np.testing.assert_array_equal(cf.accrual_end[row, :m], ends, err_msg=ln.id)
        np.testing.assert_array_equal(cf.pay_date[row, :m], pays, err_msg=ln.id)
        amounts = np.array([c.amount() for c in coupons])
        np.testing.assert_allclose(cf.interest[row, :m], amounts, rtol=1e-8, err_msg=ln.id)
        expected = np.array([redemptions.get(d, 0.0) for d in pays])
        assert sum(redemptions.values()) == pytest.approx(ln.principal, rel=1e-12)
        np.testing.assert_allclose(
            cf.principal[row, :m], expected, rtol=1e-8, atol=1e-8 * ln.principal, err_msg=ln.id
        )
        assert cf.closing_balance[row, m - 1] == 0.0
        assert not cf.alive[row, m:].any()


# -- amortization by hand ---------------------------------------------------------------------


def test_level_payment_is_the_annuity() -> None:
    cf = loan().cashflows()
    r, n, b = 0.06 / 12, 60, 1_200_000.0
    payment = b * r / (1 - (1 + r) ** -n)
    assert len(cf) == n
    np.testing.assert_allclose(cf.interest + cf.principal, payment, rtol=1e-12)
    assert cf.principal.sum() == pytest.approx(b, rel=1e-14)
    assert cf.closing_balance.iloc[-1] == 0.0
    assert cf.interest.iloc[0] == pytest.approx(b * r, rel=1e-14)


def test_balloon_is_a_level_payment_to_the_balloon() -> None:
    cf = loan(amortization="balloon", balloon_share=0.3).cashflows()
    r, n, b = 0.06 / 12, 60, 1_200_000.0
    f = 0.3 * b
    payment = r * f + (b - f) * r / (1 - (1 + r) ** -n)
    paid = (cf.interest + cf.principal).to_numpy()
    np.testing.assert_allclose(paid[:-1], payment, rtol=1e-12)
    assert paid[-1] == pytest.approx(payment + f, rel=1e-12)
    annuity = payment - r * f  # the level payment on the amortizing part B - F
    assert cf.closing_balance.iloc[-2] == pytest.approx(f + annuity / (1 + r), rel=1e-12)


def test_straight_and_bullet() -> None:
    straight = loan(amortization="straight").cashflows()
    np.testing.assert_allclose(straight.principal, 20_000.0, rtol=1e-14)
    bullet = loan(amortization="bullet", frequency="quarterly").cashflows()
    assert (bullet.principal.iloc[:-1] == 0.0).all()
    assert bullet.principal.iloc[-1] == 1_200_000.0
    np.testing.assert_allclose(bullet.interest, 1_200_000.0 * 0.06 / 4, rtol=1e-14)


def test_custom_amounts_fall_in_the_period_whose_end_is_on_or_after_their_date() -> None:
    ln = loan(
        currency="CNY",
        frequency="quarterly",
        start="2027-01-15",
        maturity="2028-01-15",
        business_day_convention="modified_following",
        amortization="custom",
        custom_principal_schedule=[
            ("2027-04-15", 100.0),
            ("2027-05-20", 200.0),
            ("2028-01-15", 1_199_700.0),
        ],
    )
    cf = ln.cashflows()
    assert cf.accrual_end.iloc[-1] == pd.Timestamp("2028-01-17")  # adjusted, still period 4
    np.testing.assert_array_equal(cf.principal, [100.0, 200.0, 0.0, 1_199_700.0])


# -- delayed draws and fees ------------------------------------------------------------------


def test_delayed_draws_commitment_and_upfront_fees_by_hand() -> None:
    ln = loan(
        principal=1_000_000.0,
        currency="CNY",
        start="2027-01-15",
        maturity="2028-01-15",
        frequency="quarterly",
        amortization="bullet",
        fixed_rate=0.05,
        day_count="ACT/360",
        commitment_fee_rate=0.01,
        upfront_fee_rate=0.02,
        availability_end="2027-10-15",
        draws=[("2027-01-15", 400_000.0), ("2027-02-14", 300_000.0), ("2027-07-15", 100_000.0)],
    )
    cf = ln.cashflows()
    days = [90, 91, 92, 92]
    assert (cf.accrual_end - cf.accrual_start).dt.days.tolist() == days
    np.testing.assert_array_equal(cf.draw, [700_000.0, 0.0, 100_000.0, 0.0])
    np.testing.assert_array_equal(cf.opening_balance, [0.0, 700_000.0, 700_000.0, 800_000.0])
    np.testing.assert_array_equal(cf.undrawn_commitment, [1e6, 300_000.0, 300_000.0, 0.0])
    interest = [
        0.05 * (400_000 * 90 + 300_000 * 60) / 360,
        0.05 * 700_000 * 91 / 360,
        0.05 * 800_000 * 92 / 360,
        0.05 * 800_000 * 92 / 360,
    ]
    fees = [
        0.01 * (1e6 * 90 - 400_000 * 90 - 300_000 * 60) / 360,
        0.01 * 300_000 * 91 / 360,
        0.01 * (300_000 - 100_000) * 92 / 360,
        0.0,
    ]
    np.testing.assert_allclose(cf.interest, interest, rtol=1e-13)
    np.testing.assert_allclose(cf.commitment_fee, fees, rtol=1e-13, atol=1e-12)
    np.testing.assert_array_equal(cf.upfront_fee, [20_000.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(cf.principal, [0.0, 0.0, 0.0, 800_000.0])
    total = cf.interest + cf.principal + cf.commitment_fee + cf.upfront_fee - cf.draw
    np.testing.assert_allclose(cf.total_cashflow, total, rtol=1e-15)
    assert cf.total_cashflow.iloc[0] < 0  # the lender pays out the draws
    np.testing.assert_allclose(
        cf.closing_balance, cf.opening_balance + cf.draw - cf.principal, rtol=1e-15
    )


def test_commitment_fee_runs_to_maturity_without_availability_end() -> None:
    ln = loan(
        principal=1e6,
        frequency="annual",
        maturity="2029-01-15",
        amortization="bullet",
        commitment_fee_rate=0.005,
        draws=[("2027-01-15", 6e5)],
    )
    cf = ln.cashflows()
    np.testing.assert_allclose(cf.commitment_fee, 0.005 * 4e5, rtol=1e-14)
    assert cf.principal.sum() == 6e5


def test_level_amortization_with_a_mid_period_draw() -> None:
    ln = loan(
        frequency="quarterly",
        maturity="2028-01-15",
        principal=1e6,
        draws=[("2027-01-15", 5e5), ("2027-03-01", 5e5)],
    )
    cf = ln.cashflows()
    r = 0.06 / 4
    expected_first = 1e6 * r / ((1 + r) ** 4 - 1)
    assert cf.principal.iloc[0] == pytest.approx(expected_first, rel=1e-12)
    assert cf.interest.iloc[0] == pytest.approx(0.06 * (5e5 * 0.25 + 5e5 * 44 / 360), rel=1e-12)
    assert cf.closing_balance.iloc[-1] == 0.0


# -- floating loans --------------------------------------------------------------------------


def flat_snapshot(rate: float = 0.04, **extra: Any) -> MarketSnapshot:
    quotes = [
        RateQuote(index=idx, kind="zero", tenor=tenor, rate=rate)
        for idx in ("SOFR", "SHIBOR3M")
        for tenor in ("1Y", "5Y", "10Y")
    ]
    fixings = [
        Fixing(index="SOFR", date=dt.date(2026, 9, 11), rate=0.043),
        Fixing(index="SOFR", date=dt.date(2026, 11, 25), rate=0.0365),
    ]
    return MarketSnapshot(as_of=AS_OF, rate_quotes=quotes, fixings=fixings, **extra)


def sofr_loan(**changes: Any) -> CollateralLoan:
    data: dict[str, Any] = {
        "fixed_rate": None,
        "index": "SOFR",
        "margin": 0.02,
        "frequency": "quarterly",
        "start": "2027-03-15",
        "maturity": "2030-03-15",
        "day_count": "ACT/360",
        "business_day_convention": "modified_following",
        "amortization": "straight",
    }
    data.update(changes)
    return loan(**data)


def test_projected_fixings_are_the_curve_forward_over_each_period() -> None:
    snap = flat_snapshot()
    curve = build_curves(snap)[RateIndex.SOFR]
    cf = sofr_loan().cashflows(snap)
    assert (cf.fixing_source == "projected").all()
    start = cf.accrual_start.to_numpy().astype("datetime64[D]")
    end = cf.accrual_end.to_numpy().astype("datetime64[D]")
    forward = curve.forward_rate(start, end, day_count="ACT/360")
    np.testing.assert_allclose(cf.index_rate, forward, rtol=1e-14)
    days = (end - start).astype(np.int64)
    closed = np.expm1(0.04 * days / 365.0) / (days / 360.0)
    np.testing.assert_allclose(cf.index_rate, closed, rtol=1e-10)
    np.testing.assert_allclose(cf.rate, cf.index_rate + 0.02, rtol=1e-15)
    np.testing.assert_allclose(
        cf.interest, cf.rate * (cf.opening_balance + cf.draw) * days / 360.0, rtol=1e-13
    )
    # QuantLib: an IborIndex of the period's tenor forecasting on the same curve.
    cal = calendar("US-SOFR").ql
    index = ql.IborIndex(
        "TSOFR3M",
        ql.Period(3, ql.Months),
        0,
        ql.USDCurrency(),
        cal,
        ql.ModifiedFollowing,
        False,
        ql.Actual360(),
        curve.ql,
    )
    checked = 0
    with evaluation_date(AS_OF):
        for s, e, mine in zip(start, end, cf.index_rate, strict=True):
            if pydate(index.maturityDate(qdate(s))) == e:
                assert index.fixing(qdate(s)) == pytest.approx(mine, rel=1e-12)
                checked += 1
    assert checked >= len(cf) - 2


def test_past_fixings_come_from_the_snapshot() -> None:
    snap = flat_snapshot()
    cf = sofr_loan(start="2026-09-15").cashflows(snap)
    first = cf.iloc[0]
    fixing_day = calendar("US-SOFR").advance("2026-09-15", -2)
    assert first.fixing_date == pd.Timestamp(fixing_day)
    assert first.fixing_source == "historical"
    assert first.index_rate == snap.fixing("SOFR", fixing_day) == 0.043
    assert (cf.fixing_source.iloc[1:] == "projected").all()


def test_missing_fixings_and_curves_name_the_loan() -> None:
    snap = flat_snapshot()
    with pytest.raises(MarketDataError, match=r"CollateralLoan\[old\]\.index: no SOFR fixing"):
        # Level payments: the balance depends on the missing past fixings.
        sofr_loan(id="old", start="2026-03-16", amortization="level").cashflows(snap)
    bare = MarketSnapshot(as_of=AS_OF)
    with pytest.raises(MarketDataError, match=r"CollateralLoan\[new\]\.index: no SOFR curve"):
        sofr_loan(id="new").cashflows(bare)
    with pytest.raises(MarketDataError, match=r"CollateralLoan\[new\]\.index: .*market snapshot"):
        sofr_loan(id="new").cashflows()
    lpr = loan(id="lpr", currency="CNY", fixed_rate=None, index="LPR1Y", margin=0.0)
    with pytest.raises(MarketDataError, match=r"CollateralLoan\[lpr\]\.index: no LPR1Y fixing"):
        lpr.cashflows(snap)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"floor": 0.07}, 0.07),
        ({"cap": 0.05}, 0.05),
        ({"floor": 0.045, "floor_cap_on": "index"}, 0.065),
        ({"cap": 0.03, "floor_cap_on": "index"}, 0.05),
        ({"floor": 0.0, "cap": 0.2}, None),
    ],
)
def test_floor_and_cap(changes: dict[str, Any], expected: float | None) -> None:
    snap = flat_snapshot()
    cf = sofr_loan(**changes).cashflows(snap)
    if expected is None:
        np.testing.assert_allclose(cf.rate, cf.index_rate + 0.02, rtol=1e-15)
    else:
        np.testing.assert_allclose(cf.rate, expected, rtol=1e-15)
    yf = cf.year_fraction
    np.testing.assert_allclose(cf.interest, cf.rate * (cf.opening_balance + cf.draw) * yf)


def test_floating_level_payment_is_recomputed_each_period() -> None:
    snap = flat_snapshot()
    cf = sofr_loan(amortization="level").cashflows(snap)
    owed = (cf.opening_balance + cf.draw).to_numpy()
    r = (cf.rate * cf.year_fraction).to_numpy()
    left = np.arange(len(cf), 0, -1)
    np.testing.assert_allclose(cf.principal, owed * r / ((1 + r) ** left - 1), rtol=1e-11)


def test_lpr_projection_keeps_the_spread_to_the_fr007_forward() -> None:
    fr = [
        RateQuote(index="FR007", kind="zero", tenor=t, rate=r)
        for t, r in (("1Y", 0.015), ("5Y", 0.02), ("10Y", 0.025))
    ]
    lpr = [
        Fixing(index="LPR1Y", date=dt.date(2026, 11, 20), rate=0.03),
        Fixing(index="LPR5Y", date=dt.date(2026, 11, 20), rate=0.035),
    ]
    snap = MarketSnapshot(as_of=AS_OF, rate_quotes=fr, fixings=lpr)
    curve = build_curves(snap)[RateIndex.FR007]
    today = np.datetime64(AS_OF, "D")
    for index, window, latest in (("LPR1Y", 365, 0.03), ("LPR5Y", 1826, 0.035)):
        ln = loan(
            currency="CNY",
            fixed_rate=None,
            index=index,
            margin=0.005,
            frequency="quarterly",
            business_day_convention="modified_following",
        )
        cf = ln.cashflows(snap)
        f = cf.fixing_date.to_numpy().astype("datetime64[D]")
        np.testing.assert_array_equal(f, cf.accrual_start.to_numpy().astype("datetime64[D]"))
        base = curve.forward_rate(today, today + window, day_count="ACT/365F")
        moved = curve.forward_rate(f, f + window, day_count="ACT/365F")
        np.testing.assert_allclose(cf.index_rate, latest + moved - base, rtol=1e-14)
        assert (np.diff(cf.index_rate) > 0).all()  # an upward-sloping curve lifts LPR
    # Without FR007 the SHIBOR3M curve drives it; with neither, a clear error.
    shibor = [RateQuote(index="SHIBOR3M", kind="zero", tenor="5Y", rate=0.02)]
    flat = MarketSnapshot(as_of=AS_OF, rate_quotes=shibor, fixings=lpr)
    ln = loan(id="lpr-9", currency="CNY", fixed_rate=None, index="LPR1Y", margin=0.0)
    np.testing.assert_allclose(ln.cashflows(flat).index_rate, 0.03, rtol=1e-12)
    with pytest.raises(MarketDataError, match=r"CollateralLoan\[lpr-9\]\.index: .*FR007"):
        ln.cashflows(MarketSnapshot(as_of=AS_OF, fixings=lpr))


# -- the book kernel equals the per-loan calls -----------------------------------------------


def mixed_loans(n: int) -> list[CollateralLoan]:
    rng = random.Random(7)
    loans = [random_fixed_loan(rng, i) for i in range(n)]
    out: list[CollateralLoan] = []
    for i, ln in enumerate(loans):
        if i % 3 == 0:
            index = "SOFR" if ln.currency.value == "USD" else rng.choice(["LPR1Y", "SHIBOR3M"])
            start = dt.date(2026, 12, 1) + dt.timedelta(days=rng.randrange(0, 400))
            ln = ln.model_copy(
                update={
                    "fixed_rate": None,
                    "index": index,
                    "margin": 0.02,
                    "floor": 0.03,
                    "start": start,
                    "maturity": start.replace(year=start.year + 3),
                    "amortization": "level",
                    "custom_principal_schedule": (),
                    "balloon_share": None,
                    "commitment_fee_rate": 0.004,
                    "draws": [
                        (start, ln.principal / 2),
                        (start + dt.timedelta(days=100), ln.principal / 4),
                    ],
                }
            )
        out.append(ln)
    return out


def test_book_equals_per_loan_calls() -> None:
    market = demo_market()
    curves = build_curves(market)
    loans = mixed_loans(30)
    book = LoanBook.from_models(loans)
    cf = book.cashflows(market)
    assert cf.shape[0] == 30
    assert cf.shape[1] == int(cf.n_periods.max())
    stacked = cf.to_frame()
    assert list(stacked.columns) == ["loan_id", "currency", *FRAME_COLUMNS]
    for i, ln in enumerate(loans):
        one = ln.cashflows(market, curves=curves) if i % 5 else ln.cashflows(market)
        assert list(one.columns) == list(FRAME_COLUMNS)
        pd.testing.assert_frame_equal(one, cf.loan_frame(ln.id), check_exact=True)
        part = stacked[stacked.loan_id == ln.id].drop(columns=["loan_id", "currency"])
        pd.testing.assert_frame_equal(part.reset_index(drop=True), one, check_exact=True)
    chunks = list(book.iter_cashflows(market, chunk_size=7))
    assert [len(c) for c in chunks] == [7, 7, 7, 7, 2]
    for c in chunks:
        for loan_id in c.loan_ids:
            pd.testing.assert_frame_equal(c.loan_frame(loan_id), cf.loan_frame(loan_id))


def test_empty_book_and_bad_schedules() -> None:
    cf = LoanBook.from_models([]).cashflows()
    assert cf.shape == (0, 0)
    assert cf.to_frame().empty
    # Start and maturity that adjust to the same business day: no schedule, named loan.
    odd = loan(
        id="odd",
        start="2027-01-16",
        maturity="2027-01-17",
        frequency="monthly",
        business_day_convention="following",
    )
    with pytest.raises(ValidationError, match=r"CollateralLoan\[odd\]\.maturity: no schedule"):
        odd.cashflows()


def bitwise_equal(a: object, b: object) -> bool:
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        if a.dtype.kind == "f":  # -0.0 and NaN payloads count
            return bool(np.array_equal(a.view(np.int64), b.view(np.int64)))
        return bool(np.array_equal(a, b))
    return a == b


def test_columnar_book_equals_model_book_bit_for_bit() -> None:
    market = demo_market()
    rng = random.Random(19)
    loans = mixed_loans(60) + [random_fixed_loan(rng, 100 + i) for i in range(90)]
    by_models = LoanBook.from_models(loans)
    by_columns = LoanBook.from_columns(by_models.to_frame())
    assert by_columns.ids == by_models.ids
    for f in dataclasses.fields(by_models.columns):
        a, b = getattr(by_models.columns, f.name), getattr(by_columns.columns, f.name)
        assert bitwise_equal(a, b), f.name
    cf_models, cf_columns = by_models.cashflows(market), by_columns.cashflows(market)
    for f in dataclasses.fields(cf_models):
        a, b = getattr(cf_models, f.name), getattr(cf_columns, f.name)
        assert bitwise_equal(a, b), f.name
    chunked = zip(
        by_models.iter_cashflows(market, chunk_size=40),
        by_columns.iter_cashflows(market, chunk_size=40),
        strict=True,
    )
    for one, two in chunked:
        for f in dataclasses.fields(one):
            assert bitwise_equal(getattr(one, f.name), getattr(two, f.name)), f.name
    assert by_columns.loans == by_models.loans


def test_chunks_equal_the_whole_book_bit_for_bit() -> None:
    market = demo_market()
    book = LoanBook.from_models(mixed_loans(45))
    whole = book.cashflows(market)
    lo = 0
    for part in book.iter_cashflows(market, chunk_size=10):
        rows = slice(lo, lo + len(part))
        width = part.shape[1]
        for name in ("interest", "principal", "commitment_fee", "rate", "year_fraction"):
            assert bitwise_equal(getattr(part, name), getattr(whole, name)[rows, :width]), name
        assert not whole.alive[rows, width:].any()
        lo += len(part)


def test_a_paid_period_without_its_fixing_is_shown_stale_and_changes_nothing_ahead() -> None:
    base = demo_market()
    # The current period (2026-11-16 to 2027-02-16) fixed on 2026-11-12: give that fixing.
    current = Fixing(index="SOFR", date=dt.date(2026, 11, 12), rate=0.0370)
    market = base.model_copy(update={"fixings": (*base.fixings, current)})
    terms = {"id": "seasoned", "borrower_counterparty_id": "b", "principal": 10e6,
             "currency": "USD", "start": dt.date(2026, 8, 15),
             "maturity": dt.date(2027, 8, 15), "frequency": "quarterly",
             "amortization": "straight", "index": "SOFR", "margin": 0.03}  # fmt: skip
    loan = CollateralLoan(**terms)
    flows = loan.cashflows(market)
    assert list(flows.fixing_source[:2]) == ["stale", "historical"]
    assert flows.rate[1] == pytest.approx(0.0370 + 0.03, abs=1e-15)
    # With the missing fixing supplied at any rate, everything after the as-of date is the
    # same to the bit.
    paid = Fixing(index="SOFR", date=dt.date(2026, 8, 13), rate=0.0999)
    full = market.model_copy(update={"fixings": (*market.fixings, paid)})
    known = loan.cashflows(full)
    assert known.fixing_source[0] == "historical"
    later = flows.pay_date > np.datetime64(market.as_of)
    for column in ("interest", "principal", "closing_balance", "total_cashflow"):
        assert np.array_equal(flows[column][later], known[column][later]), column
    # A level loan's balance depends on every past rate: the fixing stays required.
    with pytest.raises(MarketDataError, match="no SOFR fixing"):
        CollateralLoan(**{**terms, "amortization": "level"}).cashflows(market)
