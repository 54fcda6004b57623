"""Loan valuation: QuantLib cross-checks, fair margin at par, credit and capital by hand."""

from __future__ import annotations

import datetime as dt
import math
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
import pytest
import QuantLib as ql
from scipy.optimize import brentq

from computefin.domain import MarketSnapshot, Portfolio, RateIndex, demo_market, demo_portfolio
from computefin.pricing import CashflowMatrix, Curve, build_curves, dv01
from computefin.pricing._ql import to_ql_date
from computefin.products.loan import CollateralLoan, LoanBook
from computefin.products.valuation import LoanValuation, slotting_category, value_book, value_loan
from computefin.products.valuation._flows import loan_flows
from computefin.risk.capital import firb_secured_lgd, slotting
from computefin.risk.projection import project_fleet

PV_REL = 1e-8
RISK_REL = 1e-8
YIELD_ABS = 1e-9

DAY_COUNTERS = {
    "ACT/365F": ql.Actual365Fixed(),
    "ACT/360": ql.Actual360(),
    "30/360": ql.Thirty360(ql.Thirty360.BondBasis),
    "ACT/ACT": ql.ActualActual(ql.ActualActual.ISDA),
}
QL_FREQ = {"annual": ql.Annual, "semiannual": ql.Semiannual, "quarterly": ql.Quarterly,
           "monthly": ql.Monthly}  # fmt: skip
ACT365 = ql.Actual365Fixed()


# -- market and portfolio -----------------------------------------------------------------


def _with_fixings(market: MarketSnapshot) -> MarketSnapshot:
    """The demo snapshot plus daily SOFR / SHIBOR3M and monthly LPR fixings since 2023."""
    data = market.model_dump(mode="json")
    have = {(f["index"], f["date"]) for f in data["fixings"]}
    day = dt.date(2023, 11, 1)
    while day <= market.as_of:
        years = (day - dt.date(2023, 11, 1)).days / 365.0
        for index, rate in (("SOFR", 0.05 - 0.005 * years), ("SHIBOR3M", 0.024 - 0.002 * years)):
            if (index, day.isoformat()) not in have:
                data["fixings"].append({"index": index, "date": day.isoformat(), "rate": rate})
        if day.day == 20 and ("LPR1Y", day.isoformat()) not in have:
            data["fixings"].append({"index": "LPR1Y", "date": day.isoformat(), "rate": 0.031})
        day += dt.timedelta(days=1)
    return MarketSnapshot.model_validate(data)


@pytest.fixture(scope="module")
def market() -> MarketSnapshot:
    return _with_fixings(demo_market())


@pytest.fixture(scope="module")
def portfolio() -> Portfolio:
    return demo_portfolio()


# -- random loans and their QuantLib legs -------------------------------------------------


def _random_loan(rng: np.random.Generator, i: int, floating: bool) -> CollateralLoan:
    usd = bool(rng.random() < 0.5)
    start = dt.date(2024, 1, 10) + dt.timedelta(days=int(rng.integers(0, 1600)))
    if start == dt.date(2026, 11, 27):
        start += dt.timedelta(days=1)
    years = int(rng.integers(1, 7))
    maturity = start.replace(year=start.year + years, day=min(start.day, 28))
    if maturity <= dt.date(2027, 1, 15):
        maturity = maturity.replace(year=maturity.year + 2)
    terms: dict[str, Any] = {}
    if floating:
        index = "SOFR" if usd else str(rng.choice(["SHIBOR3M", "LPR1Y"]))
        terms.update(index=index, margin=float(rng.uniform(0.005, 0.05)))
        if rng.random() < 0.3:
            terms["floor"] = 0.0
    else:
        terms["fixed_rate"] = float(rng.uniform(0.02, 0.1))
    amortization = str(rng.choice(["level", "straight", "bullet", "balloon"]))
    if amortization == "balloon":
        terms["balloon_share"] = float(rng.uniform(0.1, 0.5))
    if rng.random() < 0.4:
        terms["upfront_fee_rate"] = float(rng.uniform(0.0, 0.02))
    return CollateralLoan(
        id=f"{'flt' if floating else 'fix'}-{i}",
        borrower_counterparty_id="us-neocloud" if usd else "gz-cloud",
        principal=float(rng.uniform(1e6, 5e8)),
        currency="USD" if usd else "CNY",
        start=start,
        maturity=maturity,
        frequency=str(rng.choice(list(QL_FREQ))),
        amortization=amortization,
        day_count=str(rng.choice(list(DAY_COUNTERS))),
        business_day_convention=str(rng.choice(["following", "modified_following", "unadjusted"])),
        **terms,
    )


def _ql_leg(loan: CollateralLoan, market: MarketSnapshot) -> list[Any]:
    """The lender's flows as a QuantLib leg, built from the kernel's per-period amounts:
    interest as ``FixedRateCoupon`` (accrual dates, loan day count), everything else as
    ``SimpleCashFlow``; the draw and the upfront fee on the adjusted start."""
    frame = loan.cashflows(market)
    dc = DAY_COUNTERS[loan.day_count.value]
    items: list[tuple[int, int, Any]] = []
    first = pd.Timestamp(frame.accrual_start.iloc[0]).date()
    for row in frame.itertuples():
        pay = to_ql_date(pd.Timestamp(row.pay_date).date())
        a = to_ql_date(pd.Timestamp(row.accrual_start).date())
        e = to_ql_date(pd.Timestamp(row.accrual_end).date())
        if row.interest != 0.0:
            nominal = row.interest / (row.rate * dc.yearFraction(a, e))
            coupon = ql.FixedRateCoupon(pay, nominal, row.rate, dc, a, e)
            items.append((pay.serialNumber(), 0, coupon))
        other = row.principal + row.commitment_fee
        if other != 0.0:
            items.append((pay.serialNumber(), 1, ql.SimpleCashFlow(other, pay)))
    start = to_ql_date(first)
    fee = float(frame.upfront_fee.iloc[0])
    if fee:
        items.append((start.serialNumber(), 2, ql.SimpleCashFlow(fee, start)))
    for draw in loan.draw_schedule:
        when = to_ql_date(max(draw.date, first))
        items.append((when.serialNumber(), 3, ql.SimpleCashFlow(-draw.amount, when)))
    items.sort(key=lambda x: (x[0], x[1]))
    return [x[2] for x in items]


RandomBook = tuple[list[CollateralLoan], pd.DataFrame, dict[str, float]]
"""200 random loans, their valuation at off-model prices, and those prices."""


@pytest.fixture(scope="module")
def random_book(market: MarketSnapshot, portfolio: Portfolio) -> RandomBook:
    rng = np.random.default_rng(20261127)
    loans = [_random_loan(rng, i, floating=i % 2 == 1) for i in range(200)]
    model = value_book(loans, portfolio, market)
    # yields and z-spreads at prices off the model price
    prices = {
        loan.id: float(p * rng.uniform(0.97, 1.03))
        for loan, p in zip(loans, model.price, strict=True)
    }
    return loans, value_book(loans, portfolio, market, prices=prices), prices


def _discount(loan: CollateralLoan, market: MarketSnapshot) -> Curve:
    curves = build_curves(market)
    return curves[RateIndex.SOFR if loan.currency.value == "USD" else RateIndex.FR007]


def test_random_loans_against_quantlib(random_book: RandomBook, market: MarketSnapshot) -> None:
    loans, frame, prices = random_book
    assert len(frame) == len(loans) >= 200
    assert frame.is_floating.sum() == len(loans) // 2
    as_of = to_ql_date(market.as_of)
    checked = 0
    for loan, row in zip(loans, frame.itertuples(), strict=True):
        leg = _ql_leg(loan, market)
        curve = _discount(loan, market)
        s = to_ql_date(row.settlement)
        z = float(row.credit_spread)
        pv = ql.CashFlows.npv(leg, curve.term_structure, z, ACT365, ql.Continuous,
                              ql.NoFrequency, False, as_of, as_of)  # fmt: skip
        price = ql.CashFlows.npv(leg, curve.term_structure, z, ACT365, ql.Continuous,
                                 ql.NoFrequency, False, s, s)  # fmt: skip
        assert row.pv == pytest.approx(pv, rel=PV_REL, abs=1e-6)
        assert row.price == pytest.approx(price, rel=PV_REL)
        assert row.accrued == pytest.approx(ql.CashFlows.accruedAmount(leg, False, s), rel=1e-8,
                                            abs=1e-6)  # fmt: skip
        # the yield, z-spread and risk at the given (off-model) dirty price
        target = prices[loan.id]
        dc = DAY_COUNTERS[loan.day_count.value]
        freq = QL_FREQ[loan.frequency.value]
        y = ql.CashFlows.yieldRate(leg, target, dc, ql.Compounded, freq, False, s, s,
                                   1e-14, 1000, 0.05)  # fmt: skip
        assert row.yield_to_maturity == pytest.approx(y, abs=YIELD_ABS)
        conv = (dc, ql.Compounded, freq)
        modified = ql.CashFlows.duration(leg, y, *conv, ql.Duration.Modified, False, s, s)
        macaulay = ql.CashFlows.duration(leg, y, *conv, ql.Duration.Macaulay, False, s, s)
        assert row.modified_duration == pytest.approx(modified, rel=RISK_REL)
        assert row.macaulay_duration == pytest.approx(macaulay, rel=RISK_REL)
        convexity = ql.CashFlows.convexity(leg, y, *conv, False, s, s)
        assert row.convexity == pytest.approx(convexity, rel=RISK_REL)
        zq = ql.CashFlows.zSpread(leg, target, curve.term_structure, ACT365, ql.Continuous,
                                  ql.NoFrequency, False, s, s, 1e-14, 1000, 0.0)  # fmt: skip
        assert row.z_spread == pytest.approx(zq, abs=YIELD_ABS)
        checked += 1
    assert checked == len(loans)


def test_model_price_yield_and_spread(
    random_book: RandomBook, market: MarketSnapshot, portfolio: Portfolio
) -> None:
    loans, _, _ = random_book
    model = value_book(loans[:12], portfolio, market)
    # at the model price the z-spread is the credit spread
    np.testing.assert_allclose(model.z_spread, model.credit_spread, atol=1e-10)
    np.testing.assert_allclose(model.clean_price, model.price - model.accrued, rtol=1e-14)


def _upfront_on_settlement(loan: CollateralLoan, v: pd.Series, as_of: dt.date) -> float:
    return loan.upfront_fee_rate * loan.principal if v["settlement"] > as_of else 0.0


def test_fair_margin_reprices_to_par(
    random_book: RandomBook, market: MarketSnapshot, portfolio: Portfolio
) -> None:
    loans, frame, _ = random_book
    repriced = []
    for loan, row in zip(loans, frame.itertuples(), strict=True):
        if loan.is_floating:
            repriced.append(loan.model_copy(update={"margin": float(row.fair_margin)}))
        else:
            assert row.fair_rate == pytest.approx(row.fair_margin + row.par_rate, abs=1e-15)
            assert row.contract_margin == pytest.approx(loan.fixed_rate - row.par_rate, abs=1e-15)
            repriced.append(loan.model_copy(update={"fixed_rate": float(row.fair_rate)}))
    again = value_book(repriced, portfolio, market)
    for loan, (_, v) in zip(loans, again.iterrows(), strict=True):
        par = v["clean_price"] + _upfront_on_settlement(loan, v, market.as_of)
        assert par == pytest.approx(v["outstanding"], rel=1e-8)
        assert v["fair_margin"] == pytest.approx(v["contract_margin"], abs=1e-9)


def test_fixed_loan_at_par_yields_its_coupon(market: MarketSnapshot, portfolio: Portfolio) -> None:
    # 30/360 on unadjusted dates, level payment: yield at par (clean) = the coupon
    loan = CollateralLoan(id="par", borrower_counterparty_id="us-neocloud", principal=1e7,
                          currency="USD", start=dt.date(2027, 3, 15),
                          maturity=dt.date(2031, 3, 15), frequency="quarterly",
                          amortization="level", fixed_rate=0.072, day_count="30/360",
                          business_day_convention="unadjusted")  # fmt: skip
    price = 1e7
    v = value_loan(loan, portfolio, market, price=price)
    assert v.yield_to_maturity == pytest.approx(0.072, abs=1e-12)
    assert v.outstanding == pytest.approx(1e7, rel=1e-14)
    # DV01 of a fixed loan is the analytics' DV01 on its (unchanged) cash flows
    book = LoanBook.from_models([loan])
    flows = loan_flows(book.cashflows(market), book.columns, market.as_of)
    expected = dv01(flows.matrix, _discount(loan, market), z_spread=v.credit_spread,
                    settlement=market.as_of)  # fmt: skip
    assert v.dv01 == pytest.approx(float(expected[0]), rel=1e-9)


# -- collateral, credit and capital -------------------------------------------------------


def _dal_loan(**changes: Any) -> CollateralLoan:
    data: dict[str, Any] = {
        "id": "dal-1",
        "borrower_counterparty_id": "us-neocloud",
        "principal": 12e6,
        "currency": "USD",
        "start": dt.date(2026, 12, 15),
        "maturity": dt.date(2028, 12, 15),
        "frequency": "quarterly",
        "amortization": "straight",
        "index": "SOFR",
        "margin": 0.045,
        "collateral": {"fleet_ids": ["fleet-dal-h100"], "assigned_contract_ids": ["ctr-dal-ailab"]},
        "covenants": {"max_ltv": 0.8, "min_dscr": 1.2, "cash_sweep_share": 0.5},
    }
    data.update(changes)
    return CollateralLoan.model_validate(data)


def test_demo_integration_and_hand_checks(market: MarketSnapshot, portfolio: Portfolio) -> None:
    loan = _dal_loan()
    v = value_loan(loan, portfolio, market)
    assert isinstance(v, LoanValuation)
    frame = v.to_frame()
    assert frame.shape == (1, len(LoanValuation.__dataclass_fields__))
    assert v.ead == pytest.approx(12e6, rel=1e-12)
    # PD from the rating table
    assert v.pd_1y == market.pd_for(portfolio.counterparty("us-neocloud"))
    # collateral value now and at one year, by hand from the fleet projection
    proj = project_fleet(portfolio.fleet("fleet-dal-h100"), portfolio.contracts, market, 26,
                         counterparties=portfolio.counterparties)  # fmt: skip
    value = proj.line("economic_value")[0]
    assert v.collateral_value == pytest.approx(value[0], rel=1e-12)
    assert v.ltv == pytest.approx(12e6 / value[0], rel=1e-12)
    one_year = np.datetime64(market.as_of + dt.timedelta(days=365), "D")
    at = int(np.searchsorted(proj.grid.end_dates, one_year, side="right")) - 1
    contract = next(c for c in portfolio.contracts if c.id == "ctr-dal-ailab")
    left = (contract.end - (market.as_of + dt.timedelta(days=365))).days / 365.0
    recovery = value[at] * 0.65 * 0.95 + 0.5 * contract.annual_take_or_pay_value * left
    lgd = max(0.0, 1.0 - min(12e6, recovery) / 12e6)
    assert v.lgd == pytest.approx(lgd, rel=1e-12, abs=1e-15)
    assert v.el == pytest.approx(v.pd_1y * lgd * 12e6, rel=1e-12, abs=1e-9)
    assert v.credit_spread == pytest.approx(-math.log(1.0 - v.pd_1y) * lgd, rel=1e-12, abs=1e-15)
    # coverage: a covenant package on a real fleet gives a finite DSCR and a 0/1 breach
    assert np.isfinite(v.worst_dscr)
    assert v.breach_probability in (0.0, 1.0)
    # slotting: the documented mapping, on the remaining maturity
    category = str(slotting_category(v.pd_1y, v.ltv, v.worst_dscr)[()])
    assert v.slotting_category == category
    remaining = (dt.date(2028, 12, 15) - market.as_of).days / 365.0
    assert v.rwa == pytest.approx(slotting(category, remaining, exposure=12e6).rwa, rel=1e-12)
    # F-IRB by hand: LGD* with GPUs (other physical) and the contract (receivables)
    owed_now = contract.annual_take_or_pay_value * (contract.end - market.as_of).days / 365.0
    lgd_star = firb_secured_lgd(12e6, other_physical=value[0], receivables=owed_now)
    assert v.firb_lgd == pytest.approx(lgd_star, rel=1e-12)
    assert v.rwa_firb == pytest.approx(_irb_rwa(v.pd_1y, lgd_star, _maturity(loan, market),
                                                12e6), rel=1e-10)  # fmt: skip


def _maturity(loan: CollateralLoan, market: MarketSnapshot) -> float:
    """CRE32.48 effective maturity: cash-flow weighted years, clipped to [1, 5]."""
    frame = loan.cashflows(market)
    receipts = frame[frame.pay_date > pd.Timestamp(market.as_of)]
    t = (receipts.pay_date - pd.Timestamp(market.as_of)).dt.days / 365.0
    cash = receipts.interest + receipts.principal + receipts.commitment_fee
    return float(min(max((t * cash).sum() / cash.sum(), 1.0), 5.0))


def _irb_rwa(pd_1y: float, lgd: float, m: float, ead: float) -> float:
    n = NormalDist()
    f = (1 - math.exp(-50 * pd_1y)) / (1 - math.exp(-50))
    r = 0.12 * f + 0.24 * (1 - f)
    b = (0.11852 - 0.05478 * math.log(pd_1y)) ** 2
    k = lgd * n.cdf((n.inv_cdf(pd_1y) + math.sqrt(r) * n.inv_cdf(0.999)) / math.sqrt(1 - r))
    k = (k - pd_1y * lgd) * (1 + (m - 2.5) * b) / (1 - 1.5 * b)
    return 12.5 * k * ead


def test_ecl_by_hand(market: MarketSnapshot, portfolio: Portfolio) -> None:
    # fixed bullet, annual, ACT/365F, unadjusted: two periods, 12-month ECL = one period
    loan = CollateralLoan(id="ecl", borrower_counterparty_id="gz-cloud", principal=1e8,
                          currency="CNY", start=market.as_of,
                          maturity=market.as_of.replace(year=2028),
                          frequency="annual", amortization="bullet", fixed_rate=0.05,
                          day_count="ACT/365F", business_day_convention="unadjusted")  # fmt: skip
    v = value_loan(loan, portfolio, market, stage={"ecl": 2})
    p = market.pd_for(portfolio.counterparty("gz-cloud"))
    t1 = (dt.date(2027, 11, 27) - market.as_of).days / 365.0
    t2 = (dt.date(2028, 11, 27) - market.as_of).days / 365.0
    s1, s2 = (1 - p) ** t1, (1 - p) ** t2
    # EIR (annual effective): -100m at start, 5% x 365/365 after a year, 100m + 5% x
    # 366/365 (2028 is a leap year) after 731 days; no fees, so just under 5%
    eir = brentq(lambda r: -1.0 + 0.05 * (1 + r) ** -t1 + (1 + 0.05 * 366 / 365) * (1 + r) ** -t2,
                 0.0, 0.1, xtol=1e-15)  # fmt: skip
    assert 0.0499 < eir < 0.05
    first = (1 - s1) * v.lgd * 1e8 * (1 + eir) ** -t1
    second = (s1 - s2) * v.lgd * 1e8 * (1 + eir) ** -t2
    assert v.stage == 2
    assert v.ecl_12m == pytest.approx(first, rel=1e-12)
    assert v.ecl_lifetime == pytest.approx(first + second, rel=1e-12)
    assert v.ecl == v.ecl_lifetime
    # no collateral: LGD is 1 less nothing recovered
    assert v.lgd == 1.0
    assert math.isnan(v.ltv)
    assert v.slotting_category == "satisfactory"


def test_scenarios_give_a_breach_probability(market: MarketSnapshot, portfolio: Portfolio) -> None:
    base = value_loan(_dal_loan(), portfolio, market)
    paths = value_loan(_dal_loan(), portfolio, market, scenarios=64, seed=7)
    again = value_loan(_dal_loan(), portfolio, market, scenarios=64, seed=7)
    assert 0.0 <= paths.breach_probability <= 1.0
    pd.testing.assert_frame_equal(paths.to_frame(), again.to_frame())
    # the downturn (5th percentile) collateral value makes LGD no better than expected
    assert paths.lgd >= base.lgd
    assert paths.credit_spread == pytest.approx(-math.log(1 - paths.pd_1y) * paths.lgd, rel=1e-12)


def test_book_rows_equal_single_loans(market: MarketSnapshot, portfolio: Portfolio) -> None:
    loans = [
        _dal_loan(),
        _dal_loan(
            id="dal-2",
            maturity=dt.date(2028, 3, 15),
            index=None,
            margin=None,
            fixed_rate=0.08,
            draws=[("2026-12-15", 5e6), ("2027-05-03", 7e6)],
            commitment_fee_rate=0.005,
        ),
        CollateralLoan(
            id="gz-1",
            borrower_counterparty_id="gz-cloud",
            principal=2e8,
            currency="CNY",
            start=dt.date(2025, 6, 30),
            maturity=dt.date(2028, 6, 30),
            frequency="quarterly",
            amortization="level",
            index="LPR1Y",
            margin=0.01,
            collateral={"fleet_ids": ["fleet-gz-910b"]},
            covenants={"min_dscr": 1.1},
        ),
    ]
    frame = value_book(LoanBook.from_models(loans), portfolio, market)
    assert list(frame.id) == ["dal-1", "dal-2", "gz-1"]
    for loan, (_, row) in zip(loans, frame.iterrows(), strict=True):
        single = value_loan(loan, portfolio, market).to_frame().iloc[0]
        for name in LoanValuation.__dataclass_fields__:
            a, b = row[name], single[name]
            if isinstance(a, float | np.floating):
                assert a == pytest.approx(b, rel=1e-10, abs=1e-9, nan_ok=True), name
            else:
                assert a == b, name
    # the delayed-draw fixed loan (copied for its par rate inside the solve) is at par at
    # its fair coupon
    fixed = loans[1].model_copy(update={"fixed_rate": float(frame.fair_rate.iloc[1])})
    again = value_loan(fixed, portfolio, market)
    assert again.fair_margin == pytest.approx(again.contract_margin, abs=1e-10)
    assert again.par_rate == pytest.approx(frame.par_rate.iloc[1], abs=1e-12)


def test_errors_collect_and_raise(market: MarketSnapshot, portfolio: Portfolio) -> None:
    bad = _dal_loan(id="bad", borrower_counterparty_id="nobody")
    with pytest.raises(Exception, match=r"CollateralLoan\[bad\].borrower_counterparty_id"):
        value_book([bad], portfolio, market)
    frame = value_book([_dal_loan(), bad], portfolio, market, errors="collect")
    assert list(frame.id) == ["dal-1", "bad"]
    assert pd.isna(frame.error.iloc[0])
    assert "not in the portfolio" in frame.error.iloc[1]
    assert math.isnan(frame.pv.iloc[1])
    assert math.isfinite(frame.pv.iloc[0])
    matured = _dal_loan(id="old", start=dt.date(2024, 1, 15), maturity=dt.date(2025, 1, 15))
    with pytest.raises(Exception, match="nothing left to pay"):
        value_loan(matured, portfolio, market)


def test_cashflow_matrix_holds_every_event(market: MarketSnapshot) -> None:
    loan = _dal_loan(draws=[("2026-12-15", 5e6), ("2027-05-02", 7e6)], upfront_fee_rate=0.01)
    book = LoanBook.from_models([loan])
    cf = book.cashflows(market)
    flows = loan_flows(cf, book.columns, market.as_of)
    m: CashflowMatrix = flows.matrix
    assert m.amounts.sum() == pytest.approx(cf.total_cashflow.sum(), rel=1e-12)
    assert "2027-05-02" in m.pay_dates[0].astype(str).tolist()
    # settlement is the start: the first draw is on it, the second still to come
    assert flows.outstanding[0] == pytest.approx(12e6 - 7e6, rel=1e-12)


def test_riskless_sofr_floater_is_fair_at_zero_margin(
    market: MarketSnapshot, portfolio: Portfolio
) -> None:
    # the assigned contract covers the loan: LGD 0, no credit spread; a SOFR floater
    # projected and discounted on SOFR is then worth par at a zero margin
    v = value_loan(_dal_loan(), portfolio, market)
    assert v.lgd == 0.0
    assert v.credit_spread == 0.0
    assert v.fair_margin == pytest.approx(0.0, abs=1e-10)
    assert v.pv > 0.0  # a 4.5% margin over a riskless floater


def test_empty_book_and_bad_options(market: MarketSnapshot, portfolio: Portfolio) -> None:
    empty = value_book([], portfolio, market)
    assert empty.empty
    assert list(empty.columns) == list(LoanValuation.__dataclass_fields__)
    with pytest.raises(Exception, match="errors"):
        value_book([], portfolio, market, errors="ignore")  # type: ignore[arg-type]
    with pytest.raises(Exception, match="scenarios"):
        value_book([], portfolio, market, scenarios=0)


def test_fees_move_fixed_and_floating_fair_margins_alike(
    market: MarketSnapshot, portfolio: Portfolio
) -> None:
    # Same borrower, schedule and fee; forward-starting, so no past fixings are needed.
    def loan(**terms: Any) -> CollateralLoan:
        return CollateralLoan(id="fee", borrower_counterparty_id="us-neocloud", principal=10e6,
                              currency="USD", start=dt.date(2027, 1, 15),
                              maturity=dt.date(2029, 1, 15), frequency="quarterly",
                              amortization="straight", **terms)  # fmt: skip

    plain_fixed = value_loan(loan(fixed_rate=0.06), portfolio, market)
    fee_fixed = value_loan(loan(fixed_rate=0.06, upfront_fee_rate=0.01), portfolio, market)
    plain_float = value_loan(loan(index="SOFR", margin=0.03), portfolio, market)
    fee_float = value_loan(loan(index="SOFR", margin=0.03, upfront_fee_rate=0.01), portfolio,
                           market)  # fmt: skip
    # The par rate is the risk-free coupon of the schedule: fees do not move it, nor the
    # contract margin over it.
    assert fee_fixed.par_rate == pytest.approx(plain_fixed.par_rate, abs=1e-12)
    assert fee_fixed.contract_margin == pytest.approx(plain_fixed.contract_margin, abs=1e-12)
    # A 1% fee lowers the fair margin by about its running equivalent, for both kinds.
    fixed_drop = plain_fixed.fair_margin - fee_fixed.fair_margin
    float_drop = plain_float.fair_margin - fee_float.fair_margin
    assert fixed_drop > 0.004
    assert fixed_drop == pytest.approx(float_drop, abs=2e-4)
