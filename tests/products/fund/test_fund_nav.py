"""A fund's NAV against its holdings valued one by one with the products' own functions;
unit dealing, concentration, distribution yield and liquidity against hand figures."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from computefin.domain import MarketSnapshot, Portfolio, demo_market, demo_portfolio
from computefin.pricing import build_curves
from computefin.products.abs import demo_deal, value_deal
from computefin.products.certificate import value_certificate
from computefin.products.fund import (
    DEFAULT_HAIRCUTS,
    CertificateHolding,
    ComputeFund,
    FundValuation,
    LoanHolding,
    TrancheHolding,
    demo_fund,
    value_fund,
)
from computefin.products.loan import CollateralLoan
from computefin.products.valuation import value_book, value_loan
from computefin.risk import StressScenario, stress_library
from computefin.risk.projection import DISCOUNT_INDEX

MARKET = demo_market()
PORTFOLIO = demo_portfolio()
PATHS = 40
SEED = 3


def usd_loan() -> CollateralLoan:
    """A running USD loan on the Dallas H100 fleet (the fund holds a share, at spot FX)."""
    return CollateralLoan(
        id="dal-h100-loan",
        borrower_counterparty_id="us-neocloud",
        principal=8_000_000.0,
        currency="USD",
        start=dt.date(2026, 3, 15),
        maturity=dt.date(2029, 3, 15),
        frequency="quarterly",
        amortization="straight",
        fixed_rate=0.085,
        collateral={"fleet_ids": ["fleet-dal-h100"]},
    )


def demo_loan() -> CollateralLoan:
    """The demo fund's CNY loan (on the Guizhou Ascend fleet)."""
    held = demo_fund().holdings[2]
    assert isinstance(held, LoanHolding)
    return held.loan


def mixed_fund() -> ComputeFund:
    """The demo fund plus a USD loan share and the deal's equity piece inline."""
    base = demo_fund()
    deal = demo_deal()
    return base.model_copy(
        update={
            "holdings": (
                *base.holdings,
                LoanHolding(loan=usd_loan(), share=0.4),
                TrancheHolding(deal=deal, tranche="E", face=10_000_000.0),
            )
        }
    )


def independent_values(
    fund: ComputeFund,
    market: MarketSnapshot,
    portfolio: Portfolio,
    scenarios: int | None,
    stress: StressScenario | None = None,
) -> list[float]:
    """Each holding's value in the fund currency, from its product's valuation call."""
    out = []
    for h in fund.holdings:
        if isinstance(h, CertificateHolding):
            v = value_certificate(
                h.certificate, market, portfolio, scenarios, seed=SEED, stress=stress,
                sensitivities=False,
            )  # fmt: skip
            local, ccy = v.fair_value_per_unit * h.quantity, h.certificate.currency
        elif isinstance(h, TrancheHolding):
            deal = fund.deal(h)
            frame = value_deal(deal, market, portfolio, scenarios, seed=SEED, stress=stress)
            pv = float(frame.loc[frame["tranche"] == h.tranche, "pv"].iloc[0])
            balance = next(t.balance for t in deal.structure.tranches if t.name == h.tranche)
            local, ccy = h.face / balance * pv, deal.structure.currency
        else:
            lv = value_loan(h.loan, portfolio, market, scenarios, seed=SEED, stress=stress)
            local, ccy = h.share * lv.pv, h.loan.currency
        out.append(local * market.fx(ccy, fund.currency))
    return out


@pytest.fixture(scope="module")
def expected() -> FundValuation:
    return value_fund(mixed_fund(), MARKET, PORTFOLIO, seed=SEED)


@pytest.fixture(scope="module")
def on_paths() -> FundValuation:
    return value_fund(mixed_fund(), MARKET, PORTFOLIO, PATHS, seed=SEED)


@pytest.mark.parametrize("scenarios", [None, PATHS])
def test_nav_is_the_sum_of_independently_valued_holdings_per_unit(
    scenarios: int | None, expected: FundValuation, on_paths: FundValuation
) -> None:
    fund = mixed_fund()
    v = expected if scenarios is None else on_paths
    values = independent_values(fund, MARKET, PORTFOLIO, scenarios)
    nav = sum(values) + fund.cash - fund.liabilities
    assert v.nav == pytest.approx(nav, rel=1e-12)
    assert v.nav_per_unit == pytest.approx(nav / fund.units_outstanding, rel=1e-12)
    assert v.holdings["value"].to_numpy() == pytest.approx(values, rel=1e-12)
    assert v.holdings_value == pytest.approx(sum(values), rel=1e-12)


@pytest.mark.parametrize("name", ["rates-plus-200bp", "rental-price-halved"])
def test_a_stress_reaches_every_holding(name: str, expected: FundValuation) -> None:
    stress = next(s for s in stress_library() if s.name == name)
    fund = mixed_fund()
    v = value_fund(fund, MARKET, PORTFOLIO, seed=SEED, stress=stress)
    values = independent_values(fund, MARKET, PORTFOLIO, None, stress)
    assert v.nav == pytest.approx(sum(values) + fund.cash - fund.liabilities, rel=1e-12)
    assert v.nav < expected.nav


def test_foreign_holding_is_converted_at_spot(expected: FundValuation) -> None:
    row = expected.holdings.set_index("holding").loc["loan:dal-h100-loan"]
    assert row["local_currency"] == "USD"
    assert row["fx"] == MARKET.fx("USD", "CNY") == 7.1
    assert row["value"] == pytest.approx(row["value_local"] * 7.1, rel=1e-15)


def test_loans_are_valued_as_a_book_like_one_by_one() -> None:
    book = value_book([demo_loan(), usd_loan()], PORTFOLIO, MARKET)
    single = value_loan(usd_loan(), PORTFOLIO, MARKET)
    assert float(book["pv"].iloc[1]) == pytest.approx(single.pv, rel=1e-12)


def test_path_values_average_to_the_product_values(on_paths: FundValuation) -> None:
    """Certificate and tranche paths are the products' own path PVs: their mean is the fair
    value; the fund's paths at the valuation date therefore average to the NAV less the
    loans' sampling noise (the loans' credit losses are centred on their PV)."""
    fund = mixed_fund()
    curve = build_curves(MARKET)[DISCOUNT_INDEX[fund.currency]]
    today = np.datetime64(MARKET.as_of, "D")
    growth = curve.discount(today) / curve.discount(today + np.timedelta64(365, "D"))
    at_start = on_paths.nav_paths / growth / (1.0 - fund.management_fee_rate)
    loans = on_paths.holdings["kind"] == "loan"
    loan_value = float(on_paths.holdings.loc[loans, "value"].sum())
    assert abs(at_start.mean() - on_paths.nav) < 0.02 * loan_value


def test_cash_only_fund_grows_at_the_discount_curve_less_the_fee() -> None:
    fund = ComputeFund(id="cash", currency="CNY", units_outstanding=1e6, cash=1.2e6,
                       liabilities=0.2e6, management_fee_rate=0.005)  # fmt: skip
    v = value_fund(fund, MARKET, PORTFOLIO, 5, seed=1)
    curve = build_curves(MARKET)[DISCOUNT_INDEX[fund.currency]]
    today = np.datetime64(MARKET.as_of, "D")
    df = curve.discount(today + np.timedelta64(365, "D")) / curve.discount(today)
    assert v.nav == 1e6
    assert v.nav_per_unit == 1.0
    assert v.nav_paths == pytest.approx(np.full(5, 1e6 / df * 0.995), rel=1e-14)
    assert v.volatility == pytest.approx(0.0, abs=1e-12)
    assert v.loss_99 == 0.0
    assert v.risk_level == "R1"
    assert v.risk_level_name == "低 (low)"
    assert v.expected_return == pytest.approx(1.0 / df * 0.995 - 1.0, rel=1e-12)


def test_risk_figures_follow_from_the_nav_paths(on_paths: FundValuation) -> None:
    r = on_paths.nav_paths / on_paths.nav - 1.0
    assert on_paths.return_paths == pytest.approx(r, rel=1e-14)
    assert on_paths.volatility == pytest.approx(float(np.std(r, ddof=1)), rel=1e-12)
    assert on_paths.loss_99 == pytest.approx(max(0.0, -float(np.quantile(r, 0.01))))
    assert on_paths.risk_level in {"R1", "R2", "R3", "R4", "R5"}


def test_without_paths_there_is_no_risk_level(expected: FundValuation) -> None:
    assert expected.n_paths == 1
    assert math.isnan(expected.volatility)
    assert math.isnan(expected.loss_99)
    assert expected.risk_level is None


def test_loan_paths_lose_lgd_times_ead_on_default() -> None:
    loan = demo_loan()
    fund = ComputeFund(id="one-loan", currency="CNY", units_outstanding=1e7,
                       holdings=[LoanHolding(loan=loan, share=0.5)])  # fmt: skip
    n = 400
    v = value_fund(fund, MARKET, PORTFOLIO, n, seed=11)
    lv = value_loan(loan, PORTFOLIO, MARKET, n, seed=11)
    curve = build_curves(MARKET)[DISCOUNT_INDEX[fund.currency]]
    today = np.datetime64(MARKET.as_of, "D")
    growth = curve.discount(today) / curve.discount(today + np.timedelta64(365, "D"))
    paths = v.nav_paths / growth
    q = lv.pd_1y
    survive, default = (
        0.5 * (lv.pv + lv.lgd * lv.ead * q),
        0.5 * (lv.pv - lv.lgd * lv.ead * (1 - q)),
    )
    hit = np.isclose(paths, default, rtol=1e-12)
    assert (hit | np.isclose(paths, survive, rtol=1e-12)).all()
    assert 0 < hit.sum() < 0.1 * n  # PD 1.2%, correlated: a few default paths


# -- unit dealing -------------------------------------------------------------------------


def test_subscribe_and_redeem_reconcile_units_and_cash(expected: FundValuation) -> None:
    fund = mixed_fund()
    navpu = expected.nav_per_unit
    bigger = fund.subscribe(3_000_000.0, navpu)
    assert bigger.cash == fund.cash + 3_000_000.0
    assert bigger.units_outstanding == pytest.approx(
        fund.units_outstanding + 3e6 / navpu, rel=1e-15
    )
    after = value_fund(bigger, MARKET, PORTFOLIO, seed=SEED)
    assert after.nav == pytest.approx(expected.nav + 3_000_000.0, rel=1e-12)
    assert after.nav_per_unit == pytest.approx(navpu, rel=1e-12)

    smaller = bigger.redeem(2_000_000.0, navpu)
    assert smaller.cash == pytest.approx(bigger.cash - 2_000_000.0 * navpu, rel=1e-15)
    assert smaller.units_outstanding == bigger.units_outstanding - 2_000_000.0
    again = value_fund(smaller, MARKET, PORTFOLIO, seed=SEED)
    assert again.nav_per_unit == pytest.approx(navpu, rel=1e-12)
    assert smaller.holdings == fund.holdings


# -- concentration, income, liquidity -------------------------------------------------------


@pytest.mark.parametrize("dim", ["fleet", "generation", "counterparty"])
def test_concentration_shares_sum_to_one(dim: str, on_paths: FundValuation) -> None:
    table = on_paths.concentration[dim]
    assert table["share"].sum() == pytest.approx(1.0, rel=1e-12)
    assert table["value"].sum() == pytest.approx(on_paths.holdings_value, rel=1e-12)
    assert table[dim].is_unique


def test_concentration_looks_through_to_fleets_and_borrowers(expected: FundValuation) -> None:
    values = expected.holdings.set_index("holding")["value"]
    fleet = expected.concentration["fleet"].set_index("fleet")["value"]
    assert fleet["fleet-nx-h20"] == pytest.approx(values["certificate:nx-h20-cert-fund"])
    assert fleet["fleet-dal-h100"] == pytest.approx(values["loan:dal-h100-loan"])
    assert fleet["fleet-gz-910b"] == pytest.approx(values["loan:gz-910b-loan"])
    generation = expected.concentration["generation"].set_index("generation")["value"]
    assert generation["Ascend 910"] == pytest.approx(values["loan:gz-910b-loan"])
    party = expected.concentration["counterparty"].set_index("counterparty")["value"]
    assert party["us-neocloud"] == pytest.approx(values["loan:dal-h100-loan"])


def test_distribution_yield_by_hand_for_a_fixed_rate_bullet_loan() -> None:
    loan = CollateralLoan(
        id="bullet", borrower_counterparty_id="gz-cloud", principal=10_000_000.0,
        currency="CNY", start=dt.date(2026, 6, 1), maturity=dt.date(2029, 6, 1),
        frequency="quarterly", amortization="bullet", fixed_rate=0.05, day_count="30/360",
        business_day_convention="unadjusted", collateral={"fleet_ids": ["fleet-gz-910b"]},
    )  # fmt: skip
    fund = ComputeFund(id="income", currency="CNY", units_outstanding=1e7, cash=5e5,
                       management_fee_rate=0.01,
                       holdings=[LoanHolding(loan=loan, share=0.6)])  # fmt: skip
    v = value_fund(fund, MARKET, PORTFOLIO)
    # Paid 2026-12-01, 2027-03-01, 06-01, 09-01: four quarters of 30/360 interest.
    income = 0.6 * 4 * 10_000_000.0 * 0.05 * 90 / 360
    nav = 0.6 * value_loan(loan, PORTFOLIO, MARKET).pv + 5e5
    assert v.income_12m == pytest.approx(income, rel=1e-12)
    assert v.fees_12m == pytest.approx(0.01 * nav, rel=1e-12)
    assert v.distribution_yield == pytest.approx((income - 0.01 * nav) / nav, rel=1e-12)


def test_liquidity_sells_cash_then_the_cheapest_classes_at_their_haircuts(
    expected: FundValuation,
) -> None:
    fund = mixed_fund()
    by_kind = expected.holdings.groupby("kind")["value"].sum()
    available = fund.cash - fund.liabilities
    abs_proceeds = by_kind["abs_tranche"] * (1 - DEFAULT_HAIRCUTS["abs_tranche"])
    cert_proceeds = by_kind["certificate"] * (1 - DEFAULT_HAIRCUTS["certificate"])
    share = (available + abs_proceeds + 0.5 * cert_proceeds) / expected.nav  # half the certs
    v = value_fund(fund, MARKET, PORTFOLIO, seed=SEED, redemption_share=share)
    need = share * v.nav - available
    assert need > abs_proceeds  # the tranches go first and are not enough
    rest = need - abs_proceeds
    cert_sold = rest / (1 - DEFAULT_HAIRCUTS["certificate"])
    assert cert_sold < by_kind["certificate"]
    table = v.liquidity.set_index("asset_class")
    assert table.index.tolist() == ["cash", "abs_tranche", "certificate", "loan"]
    assert table.loc["abs_tranche", "sold"] == pytest.approx(by_kind["abs_tranche"], rel=1e-12)
    assert table.loc["certificate", "sold"] == pytest.approx(cert_sold, rel=1e-12)
    assert table.loc["loan", "sold"] == 0.0
    cost = by_kind["abs_tranche"] * 0.10 + cert_sold * 0.15
    assert v.liquidation_cost == pytest.approx(cost, rel=1e-12)
    assert v.redemption_unmet == pytest.approx(0.0, abs=1e-6)
    units_left = fund.units_outstanding * (1 - share)
    assert v.nav_per_unit_after == pytest.approx(
        ((1 - share) * v.nav - cost) / units_left, rel=1e-12
    )


def test_liquidity_reports_what_cannot_be_paid() -> None:
    fund = demo_fund()
    v = value_fund(fund, MARKET, PORTFOLIO, redemption_share=0.99,
                   haircuts={"abs_tranche": 0.5, "certificate": 0.5, "loan": 0.5})  # fmt: skip
    available = fund.cash - fund.liabilities + 0.5 * v.holdings_value
    assert v.redemption_paid == pytest.approx(available, rel=1e-12)
    assert v.redemption_unmet == pytest.approx(0.99 * v.nav - available, rel=1e-12)
    assert v.cash_buffer == pytest.approx(fund.cash / v.nav, rel=1e-15)
