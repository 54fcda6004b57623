"""Tranche analytics: QuantLib on a fixed-rate class, hand calculations elsewhere."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import QuantLib as ql
from abs_waterfall_pools import build, level_pay_pool, pool, two_class_deal
from scipy.optimize import brentq

from computefin.pricing import evaluation_date, present_value
from computefin.pricing.curves import flat_curve
from computefin.products.abs.analytics import (
    breakeven_cdr,
    credit_enhancement,
    equity_irr,
    expected_loss,
    loss_distribution,
    loss_shares,
    scenario_grid,
    tranche_cashflows,
    tranche_discount_margin,
    tranche_duration,
    tranche_face,
    tranche_measures,
    tranche_price_from_discount_margin,
    tranche_price_from_yield,
    tranche_wal,
    tranche_yield,
    tranche_z_spread,
)
from computefin.products.abs.pool_flows import PoolFlows
from computefin.products.abs.structure import DEMO_DEAL_PATH, AbsStructure
from computefin.products.abs.waterfall import WaterfallResult, demo_pool_flows, run_waterfall

CURVE = flat_curve("2027-01-01", 0.018)
PLAIN = pool([10.0, 6.0, 3.0], [40.0, 30.0, 30.0], [60.0, 30.0, 0.0])


@pytest.fixture(scope="module")
def demo() -> WaterfallResult:
    return run_waterfall(AbsStructure.from_yaml(DEMO_DEAL_PATH), demo_pool_flows(), CURVE)


def qdate(day: np.datetime64) -> ql.Date:
    return ql.DateParser.parseISO(str(day))


def class_b_bond(res: WaterfallResult) -> tuple[Any, int]:
    """Class B (fixed 4.2%, ACT/365F) as a QuantLib amortising bond: notionals from the run."""
    j = res.index("B")
    last = int(np.flatnonzero(res.balance[j, 0] == 0.0)[0])  # repaid at the call
    start, end = qdate(res.period_starts[0]), qdate(res.payment_dates[last])
    schedule = ql.Schedule(
        start,
        end,
        ql.Period(ql.Monthly),
        ql.NullCalendar(),
        ql.Unadjusted,
        ql.Unadjusted,
        ql.DateGeneration.Forward,
        False,
    )
    assert [d.ISO() for d in schedule][1:] == [str(d) for d in res.payment_dates[: last + 1]]
    notionals = res.balance_start[j, 0, : last + 1].tolist()
    bond = ql.AmortizingFixedRateBond(
        0, notionals, schedule, [0.042], ql.Actual365Fixed(), ql.Unadjusted, start
    )
    return bond, last


def test_class_b_cash_flows_equal_quantlib(demo: WaterfallResult) -> None:
    bond, last = class_b_bond(demo)
    j = demo.index("B")
    np.testing.assert_allclose(demo.interest[j, 0], demo.interest_due[j, 0], rtol=1e-14)
    by_date: dict[str, float] = {}
    for cf in bond.cashflows():
        by_date[cf.date().ISO()] = by_date.get(cf.date().ISO(), 0.0) + cf.amount()
    ours = demo.tranche_cash("B")[0, : last + 1]
    theirs = [by_date[str(d)] for d in demo.payment_dates[: last + 1]]
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize(("settle", "clean"), [("2027-01-01", 100.0), ("2027-03-15", 99.25)])
def test_class_b_yield_and_duration_equal_quantlib(
    demo: WaterfallResult, settle: str, clean: float
) -> None:
    bond, _ = class_b_bond(demo)
    day = ql.DateParser.parseISO(settle)
    with evaluation_date(day):
        ql_yield = ql.BondFunctions.bondYield(
            bond,
            ql.BondPrice(clean, ql.BondPrice.Clean),
            ql.Actual365Fixed(),
            ql.Compounded,
            ql.Monthly,
            day,
            1e-14,
            200,
            0.05,
        )
        rate = ql.InterestRate(ql_yield, ql.Actual365Fixed(), ql.Compounded, ql.Monthly)
        ql_duration = ql.BondFunctions.duration(bond, rate, ql.Duration.Modified, day)
        ql_dirty = ql.BondFunctions.cleanPrice(bond, rate, day) + bond.accruedAmount(day)
        notional = bond.notional(day)
    face = tranche_face(demo, "B", settlement=settle)
    assert face[0] == pytest.approx(notional, rel=1e-14)
    ours = tranche_yield(demo, "B", clean, kind="clean", settlement=settle)
    assert ours[0] == pytest.approx(ql_yield, abs=1e-8)
    duration = tranche_duration(demo, "B", ql_yield, settlement=settle)
    assert duration[0] == pytest.approx(ql_duration, rel=1e-8)
    dirty = tranche_price_from_yield(demo, "B", ql_yield, settlement=settle)
    assert dirty[0] == pytest.approx(ql_dirty, rel=1e-8)


def test_wal_and_equity_irr_by_hand() -> None:
    # The two-class deal: A repaid 30 after one year and 30 after two: WAL 1.5; B 30 after
    # three: WAL 3. The equity gets 14.2, 1.7, 0.2 for its 10.
    res = run_waterfall(build(two_class_deal()), PLAIN)
    assert tranche_wal(res, "A")[0] == pytest.approx(1.5, abs=1e-14)
    assert tranche_wal(res, "B")[0] == pytest.approx(3.0, abs=1e-14)
    irr = equity_irr(res)[0]
    assert pytest.approx(14.2 / (1 + irr) + 1.7 / (1 + irr) ** 2 + 0.2 / (1 + irr) ** 3) == 10.0
    root = brentq(lambda r: 14.2 / (1 + r) + 1.7 / (1 + r) ** 2 + 0.2 / (1 + r) ** 3 - 10, 0, 5)
    assert irr == pytest.approx(root, abs=1e-10)
    # A at par yields its coupon; B too
    assert tranche_yield(res, "A", 100.0)[0] == pytest.approx(0.05, abs=1e-12)
    assert tranche_yield(res, "B", 100.0)[0] == pytest.approx(0.06, abs=1e-12)
    assert tranche_price_from_yield(res, "B", 0.06)[0] == pytest.approx(100.0, abs=1e-10)


def test_discount_margin_of_a_floater_without_losses_is_its_margin() -> None:
    curve = flat_curve("2029-01-01", 0.025)
    data = two_class_deal()
    data["tranches"][0]["coupon"] = {"type": "floating", "index": "SHIBOR3M", "margin": 0.012}
    res = run_waterfall(build(data), PLAIN, curves=curve)
    price = tranche_price_from_discount_margin(res, "A", 0.012, curve)
    assert price[0] == pytest.approx(100.0, abs=1e-10)
    assert tranche_discount_margin(res, "A", 100.0, curve)[0] == pytest.approx(0.012, abs=1e-10)
    # mid-period settlement: the running period discounts from settlement
    settle = "2029-07-01"
    p = tranche_price_from_discount_margin(res, "A", 0.02, curve, settlement=settle)
    dm = tranche_discount_margin(res, "A", p, curve, settlement=settle)
    assert dm[0] == pytest.approx(0.02, abs=1e-10)


def test_z_spread_round_trip(demo: WaterfallResult) -> None:
    cf = tranche_cashflows(demo, "B")
    money = present_value(cf, CURVE, z_spread=0.0125)
    price = money / tranche_face(demo, "B") * 100.0
    assert tranche_z_spread(demo, "B", price, CURVE)[0] == pytest.approx(0.0125, abs=1e-10)


def test_credit_enhancement_of_the_demo_deal(demo: WaterfallResult) -> None:
    # pool 1,000m; A 800m, B 120m (8% OC), reserve 18.4m
    ce = credit_enhancement(demo)
    assert ce.loc["A"].tolist() == pytest.approx([0.12, 0.08, 0.0184, 0.2184])
    assert ce.loc["B"].tolist() == pytest.approx([0.0, 0.08, 0.0184, 0.0984])
    later = credit_enhancement(demo, period=11)
    pool_12 = float(demo.pool.pool_balance[0, 11])
    b_12 = float(demo.balance[1, 0, 11])
    assert later.loc["A", "subordination"] == pytest.approx(b_12 / pool_12)


def single_period_pool(cdr: float, recovery: float, shock: float) -> PoolFlows:
    """Pool of 100, one year: a share cdr defaults at once and recovers recovery * (1 +
    shock); survivors pay 8% interest and their principal."""
    alive = 100.0 * (1.0 - cdr)
    rec = 100.0 * cdr * recovery * (1.0 + shock)
    return pool([alive * 0.08], [alive], [0.0], defaults=[100.0 * cdr], recoveries=[rec])


def senior_only_deal() -> AbsStructure:
    return build(
        {
            "name": "one-period",
            "currency": "CNY",
            "tranches": [
                {
                    "name": "A",
                    "balance": 80.0,
                    "seniority": 1,
                    "coupon": {"type": "fixed", "rate": 0.05},
                },
                {"name": "E", "kind": "equity", "balance": 20.0, "seniority": 2},
            ],
            "waterfall": {
                "interest": [{"action": "pay_interest", "tranches": ["A"]}],
                "principal": [
                    {"action": "pay_principal", "tranches": ["A"]},
                    {"action": "pay_residual", "tranche": "E"},
                ],
            },
        }
    )


@pytest.mark.parametrize(("recovery", "shock"), [(0.4, 0.0), (0.4, -0.5), (0.0, 0.0)])
def test_breakeven_cdr_by_hand(recovery: float, shock: float) -> None:
    # A is owed 80 * 1.05 = 84; the pool pays 108 (1 - c) + 100 c R: no loss while
    # 108 - (108 - 100 R) c >= 84, so c* = 24 / (108 - 100 R), R = recovery * (1 + shock).
    r = recovery * (1.0 + shock)
    expected = 24.0 / (108.0 - 100.0 * r)
    # "no loss" is at most loss_tolerance (default half a cent; here the deal is tiny)
    found = breakeven_cdr(
        senior_only_deal(),
        single_period_pool,
        "A",
        recovery=recovery,
        price_shock=shock,
        loss_tolerance=1e-9,
    )
    assert found == pytest.approx(expected, abs=1e-9)


def test_breakeven_cdr_edges_and_multi_period() -> None:
    deal = senior_only_deal()
    # the equity never "loses" (it has no balance to write down): inf
    assert breakeven_cdr(deal, single_period_pool, "E", recovery=0.4) == math.inf
    # a class that already loses at the lower end: lo
    assert breakeven_cdr(deal, single_period_pool, "A", recovery=0.0, lo=0.5) == 0.5
    # five-year level-pay pool: no loss at the breakeven, a loss just above it
    hook = lambda cdr, rec, shock: level_pay_pool(cdr, rec, periods=4)  # noqa: E731
    data = two_class_deal(fees=[])
    data["waterfall"]["interest"] = [{"action": "pay_interest", "tranches": ["A", "B"]}]
    two = build(data)
    c = breakeven_cdr(two, hook, "B", recovery=0.3)
    assert 0.0 < c < 1.0
    assert run_waterfall(two, level_pay_pool(c, 0.3, periods=4)).tranche_loss("B")[0] <= 0.005
    above = run_waterfall(two, level_pay_pool(c + 1e-4, 0.3, periods=4))
    assert above.tranche_loss("B")[0] > 0.005
    assert breakeven_cdr(two, hook, "A", recovery=0.3) > c


def test_scenario_grid_matches_single_runs() -> None:
    deal = senior_only_deal()
    grid = scenario_grid(
        deal,
        single_period_pool,
        cdrs=[0.1, 0.4],
        recoveries=[0.0, 0.4],
        price_shocks=[0.0, -0.5],
        prices={"A": 99.0},
    )
    assert len(grid) == 2 * 2 * 2 * 2
    assert list(grid.columns) == [
        "cdr",
        "recovery",
        "price_shock",
        "tranche",
        "expected_loss",
        "max_loss",
        "wal_years",
        "yield",
        "modified_duration",
    ]
    row = grid[
        (grid.cdr == 0.4)
        & (grid.recovery == 0.4)
        & (grid.price_shock == -0.5)
        & (grid.tranche == "A")
    ].iloc[0]
    # cash 108 * 0.6 + 40 * 0.4 * 0.5 = 72.8 against 84 owed: A loses 11.2 of 80
    assert row["expected_loss"] == pytest.approx(11.2 / 80.0)
    res = run_waterfall(deal, single_period_pool(0.4, 0.4, -0.5))
    assert row["yield"] == pytest.approx(tranche_yield(res, "A", 99.0)[0])
    assert row["yield"] == pytest.approx(72.8 / 79.2 - 1.0)
    safe = grid[(grid.cdr == 0.1) & (grid.tranche == "A")]
    assert (safe["expected_loss"] == 0.0).all()


def test_losses_over_paths() -> None:
    deal = senior_only_deal()
    flows = [single_period_pool(c, 0.0, 0.0) for c in (0.1, 0.2, 0.5, 0.7)]
    fields = (
        "interest_collections",
        "principal_collections",
        "recoveries",
        "remarketing_proceeds",
        "defaulted_balance",
        "net_loss",
        "pool_balance",
        "contractual_rent_remaining",
    )
    many = PoolFlows(
        currency="CNY",
        period_starts=flows[0].period_starts,
        payment_dates=flows[0].payment_dates,
        original_pool_balance=100.0,
        **{f: np.vstack([getattr(x, f) for x in flows]) for f in fields},
    )
    res = run_waterfall(deal, many)
    # cash 108 (1 - c) against 84: losses 0, 0, 30, 51.6 of 80
    expected = np.array([0.0, 0.0, 30.0, 51.6]) / 80.0
    np.testing.assert_allclose(loss_shares(res, "A"), expected, atol=1e-12)
    assert expected_loss(res, "A") == pytest.approx(expected.mean())
    dist = loss_distribution(res, "A", quantiles=(0.5,))
    assert dist["probability_of_loss"] == 0.5
    assert dist["max"] == pytest.approx(51.6 / 80.0)
    assert dist["q0.5"] == pytest.approx(15.0 / 80.0)
    table = tranche_measures(res, prices={"A": 100.0})
    assert table.loc["A", "expected_loss"] == pytest.approx(expected.mean())


def test_tranche_measures_of_the_demo(demo: WaterfallResult) -> None:
    table = tranche_measures(demo, curve=CURVE)
    assert list(table.index) == ["A", "B", "E"]
    # at par a 4.2% coupon yields 4.2% up to months of 28-31 days under monthly compounding
    assert table.loc["B", "yield"] == pytest.approx(0.042, abs=1e-6)
    assert table.loc["E", "yield"] == pytest.approx(equity_irr(demo)[0])
    assert table.loc["A", "wal_years"] == pytest.approx(tranche_wal(demo, "A")[0])
    assert set(table.columns) >= {"z_spread", "modified_duration", "expected_loss"}


def test_demo_deal_figures_quoted_in_the_docs(demo: WaterfallResult) -> None:
    """docs/products/abs-waterfall.md section 4 quotes these."""
    assert int(np.flatnonzero(demo.called[0])[0]) == 54
    assert demo.call_proceeds.sum() / 1e6 == pytest.approx(90.596, abs=1e-3)
    table = tranche_measures(demo, curve=CURVE)
    assert table["yield"].round(4).tolist() == [0.0278, 0.042, 0.6305]
    assert table["wal_years"].round(3).tolist() == [2.594, 2.594, 2.165]
    assert table["z_spread"].round(4).tolist() == [0.0097, 0.0239, 0.4709]
    assert tranche_discount_margin(demo, "A", 100.0, CURVE)[0] == pytest.approx(0.009769, abs=1e-6)
    deal = AbsStructure.from_yaml(DEMO_DEAL_PATH)

    def hook(cdr: float, rec: float, shock: float) -> PoolFlows:
        return demo_pool_flows(cdr=cdr, recovery=rec)

    assert breakeven_cdr(deal, hook, "A", recovery=0.4, curves=CURVE) == pytest.approx(
        0.2191, abs=1e-4
    )
    assert breakeven_cdr(deal, hook, "B", recovery=0.4, curves=CURVE) == pytest.approx(
        0.1429, abs=1e-4
    )
