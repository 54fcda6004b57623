"""The waterfall runner against deals worked out by hand (the arithmetic is in each test)."""

from __future__ import annotations

import numpy as np
import pytest
from abs_waterfall_pools import build, pool, two_class_deal, zero_coupon_deal

from computefin.errors import MarketDataError, ValidationError
from computefin.pricing.curves import flat_curve
from computefin.products.abs.pool_flows import PoolFlows
from computefin.products.abs.structure import DEMO_DEAL_PATH, AbsStructure
from computefin.products.abs.waterfall import (
    ConservationError,
    _check_conservation,
    demo_pool_flows,
    run_waterfall,
    tranche_rates,
)

# interest, principal, pool balance at period end: 100 -> 60 -> 30 -> 0, no defaults
PLAIN = pool([10.0, 6.0, 3.0], [40.0, 30.0, 30.0], [60.0, 30.0, 0.0])


def paid(res, name):  # type: ignore[no-untyped-def]
    j = res.index(name)
    return res.interest[j, 0], res.principal[j, 0], res.residual[j, 0]


def test_two_class_sequential_deal_by_hand() -> None:
    # Period 1: interest funds 10 - fee 1 - A 60*5% = 3 - B 30*6% = 1.8 -> 4.2 left, joins
    #   principal funds 40 + 4.2 = 44.2. PDA = notes 90 - pool 60 = 30 -> A 30; E 14.2.
    # Period 2: 6 - 1 - A 30*5% = 1.5 - 1.8 = 1.7; funds 31.7; PDA 60 - 30 = 30 -> A 30; E 1.7.
    # Period 3 (last): 3 - 1 - 0 - 1.8 = 0.2; funds 30.2; all notes due -> B 30; E 0.2.
    res = run_waterfall(build(two_class_deal()), PLAIN)
    a_int, a_prin, _ = paid(res, "A")
    b_int, b_prin, _ = paid(res, "B")
    _, _, e_res = paid(res, "E")
    np.testing.assert_allclose(a_int, [3.0, 1.5, 0.0], atol=1e-12)
    np.testing.assert_allclose(a_prin, [30.0, 30.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(b_int, [1.8, 1.8, 1.8], atol=1e-12)
    np.testing.assert_allclose(b_prin, [0.0, 0.0, 30.0], atol=1e-12)
    np.testing.assert_allclose(e_res, [14.2, 1.7, 0.2], atol=1e-12)
    np.testing.assert_allclose(res.fees_paid[0, 0], [1.0, 1.0, 1.0])
    np.testing.assert_allclose(res.balance[:2, 0, -1], [0.0, 0.0])
    assert res.writedown.sum() == 0.0
    frame = res.tranche_frame("A")
    assert list(frame["balance"]) == pytest.approx([30.0, 0.0, 0.0])
    summary = res.summary()
    np.testing.assert_allclose(summary["cash_in"], summary["cash_out"], atol=1e-9)
    assert summary["cash_in"].sum() == pytest.approx(119.0)


def test_pro_rata_then_sequential_in_the_last_period() -> None:
    # Pro rata to balances 60:30. Period 1: PDA 30 -> A 20, B 10 (A 40, B 20).
    # Period 2: interest 6 - 1 - A 40*5% = 2 - B 20*6% = 1.2 = 1.8 -> E; PDA 60 - 30 = 30 ->
    #   A 20, B 10 (A 20, B 10). Period 3: last, sequential: A 20, B 10; E = 3 - 1 - 1 - 0.6.
    data = two_class_deal()
    data["waterfall"]["principal"][0]["mode"] = "pro_rata"
    res = run_waterfall(build(data), PLAIN)
    np.testing.assert_allclose(paid(res, "A")[1], [20.0, 20.0, 20.0], atol=1e-12)
    np.testing.assert_allclose(paid(res, "B")[1], [10.0, 10.0, 10.0], atol=1e-12)
    np.testing.assert_allclose(paid(res, "A")[0], [3.0, 2.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(paid(res, "B")[0], [1.8, 1.2, 0.6], atol=1e-12)
    np.testing.assert_allclose(paid(res, "E")[2], [14.2, 1.8, 0.4], atol=1e-12)


def test_reserve_top_up_draw_and_release() -> None:
    # Reserve: target max(5% of notes, 1), empty at closing; fees and A interest may draw.
    # P1: target 4.5. 10 - fee 1 - A 3 = 6 -> top up 4.5 -> 1.5 pays B (due 1.8): 0.3
    #   carried. Principal 40: A 30; E 10.
    # P2: target max(3, 1) = 3 -> 1.5 released; funds 0.5 + 1.5 = 2: fee 1, A 1 of 1.5 and
    #   0.5 drawn (reserve 2.5); nothing to top up; B owed 0.3 + 1.8 = 2.1 carried.
    #   Principal 30: A 30 (repaid).
    # P3 (last): target 0 -> 2.5 released; 3 + 2.5 = 5.5: fee 1, B 2.1 + 1.8 = 3.9, 0.6
    #   left joins principal 30: B 30, E 0.6.
    data = two_class_deal(
        accounts=[{"name": "reserve", "target_share": 0.05, "floor": 1.0}],
    )
    data["waterfall"]["interest"] = [
        {"action": "pay_fee", "fee": "trustee", "draw_from": ["reserve"]},
        {"action": "pay_interest", "tranches": ["A"], "draw_from": ["reserve"]},
        {"action": "top_up_reserve", "account": "reserve"},
        {"action": "pay_interest", "tranches": ["B"]},
    ]
    flows = pool([10.0, 0.5, 3.0], [40.0, 30.0, 30.0], [60.0, 30.0, 0.0])
    res = run_waterfall(build(data), flows)
    np.testing.assert_allclose(res.account_balance[0, 0], [4.5, 2.5, 0.0], atol=1e-12)
    np.testing.assert_allclose(res.account_deposits[0, 0], [4.5, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(res.account_draws[0, 0], [0.0, 2.0, 2.5], atol=1e-12)
    np.testing.assert_allclose(paid(res, "A")[0], [3.0, 1.5, 0.0], atol=1e-12)
    np.testing.assert_allclose(paid(res, "B")[0], [1.5, 0.0, 3.9], atol=1e-12)
    np.testing.assert_allclose(res.interest_shortfall[1, 0], [0.3, 2.1, 0.0], atol=1e-12)
    np.testing.assert_allclose(paid(res, "E")[2], [10.0, 0.0, 0.6], atol=1e-12)
    assert res.interest_lost.sum() == 0.0
    frame = res.accounts_frame()
    assert list(frame.columns[:4]) == [
        "period_start",
        "reserve_balance",
        "reserve_draws",
        "reserve_deposits",
    ]


def test_interest_not_deferred_is_lost() -> None:
    # As the reserve test without a reserve, B not deferrable: P1 funds 10 - 1 - 3 = 6 cover
    # B; P2 funds 0.5 pay part of the fee: 0.5 of it carried, A and B get nothing and B's 1.8
    # is lost, A's 1.5 is carried. P3: 3 - fee 1.5 - A 1.5 = 0 for B: 1.8 lost again.
    data = two_class_deal()
    data["tranches"][1]["defer_interest"] = False
    flows = pool([10.0, 0.5, 3.0], [40.0, 30.0, 30.0], [60.0, 30.0, 0.0])
    res = run_waterfall(build(data), flows)
    np.testing.assert_allclose(res.fees_paid[0, 0], [1.0, 0.5, 1.5], atol=1e-12)
    np.testing.assert_allclose(paid(res, "A")[0], [3.0, 0.0, 1.5], atol=1e-12)
    np.testing.assert_allclose(res.interest_lost[1, 0], [0.0, 1.8, 1.8], atol=1e-12)
    np.testing.assert_allclose(res.interest_lost[0, 0], [0.0, 0.0, 0.0], atol=1e-12)


# zero coupons, no fees: P1 40 principal and 10 defaulted (pool 100 -> 50), then 20, 15, 15
DEFAULTED = pool(
    [0.0, 0.0, 0.0, 0.0],
    [40.0, 20.0, 15.0, 15.0],
    [50.0, 30.0, 15.0, 0.0],
    defaults=[10.0, 0.0, 0.0, 0.0],
)


def oc_deal(cure_periods: int) -> AbsStructure:
    data = zero_coupon_deal(
        triggers=[
            {
                "name": "oc-a",
                "kind": "oc",
                "tranche": "A",
                "threshold": 1.6,
                "effect": "switch_to_sequential",
                "cure_periods": cure_periods,
            },
        ]
    )
    return build(data)


def test_oc_trigger_switches_to_sequential_and_cures() -> None:
    # P1 pro rata: PDA 90 - 50 = 40 -> A 26.667, B 13.333 (A 33.333, B 16.667);
    #   OC(A) = 50 / 33.333 = 1.5 < 1.6: breached, sequential from P2.
    # P2 sequential: PDA 50 - 30 = 20 -> A 20 (A 13.333); OC(A) = 30 / 13.333 = 2.25 passes;
    #   one pass cures it. P3 pro rata again: PDA 15 -> A 6.667, B 8.333.
    # P4 (last): sequential, A 6.667, B 8.333.
    res = run_waterfall(oc_deal(1), DEFAULTED)
    np.testing.assert_allclose(paid(res, "A")[1], [80 / 3, 20.0, 20 / 3, 20 / 3], atol=1e-9)
    np.testing.assert_allclose(paid(res, "B")[1], [40 / 3, 0.0, 25 / 3, 25 / 3], atol=1e-9)
    np.testing.assert_allclose(res.trigger_value[0, 0, :3], [1.5, 2.25, 2.25], atol=1e-12)
    assert res.trigger_breached[0, 0].tolist() == [1.0, 0.0, 0.0, 0.0]
    assert res.trigger_active[0, 0].tolist() == [1.0, 0.0, 0.0, 0.0]
    frame = res.triggers_frame(path=0)
    assert frame["oc-a_active"].tolist() == [1.0, 0.0, 0.0, 0.0]


def test_oc_trigger_needs_two_passes_to_cure() -> None:
    # Same, cure after two passes: P3 is still sequential: A 13.333 repaid, B 1.667; OC(A)
    # with A repaid passes (infinite) and cures.
    res = run_waterfall(oc_deal(2), DEFAULTED)
    np.testing.assert_allclose(paid(res, "A")[1], [80 / 3, 20.0, 40 / 3, 0.0], atol=1e-9)
    np.testing.assert_allclose(paid(res, "B")[1], [40 / 3, 0.0, 5 / 3, 15.0], atol=1e-9)
    assert res.trigger_active[0, 0].tolist() == [1.0, 1.0, 0.0, 0.0]


def cnl_pool() -> object:
    return pool(
        [5.0, 5.0, 5.0, 5.0],
        [40.0, 20.0, 15.0, 15.0],
        [50.0, 30.0, 15.0, 0.0],
        defaults=[10.0, 0.0, 0.0, 0.0],
    )


def test_cnl_trigger_traps_cash_until_the_end() -> None:
    # Interest 5 a period, coupons 0: the residual is 5 a period. CNL after P1 = 10% > 5%,
    # never cures: P2 and P3's 5 go to the trap; in P4 (last) the trap's 10 is released:
    # E gets 5 + 10 = 15.
    data = zero_coupon_deal(
        accounts=[{"name": "trap", "kind": "cash_trap"}],
        triggers=[
            {
                "name": "cnl",
                "kind": "cnl",
                "threshold": 0.05,
                "effect": "trap_cash",
                "account": "trap",
                "cure_periods": None,
            },
        ],
    )
    res = run_waterfall(build(data), cnl_pool())  # type: ignore[arg-type]
    np.testing.assert_allclose(res.trigger_value[0, 0, :3], [0.1, 0.1, 0.1])
    np.testing.assert_allclose(res.account_balance[0, 0], [0.0, 5.0, 10.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(paid(res, "E")[2], [5.0, 0.0, 0.0, 15.0], atol=1e-12)


def test_cnl_event_of_default_accelerates_sequentially() -> None:
    # CNL 10% > 5% -> event of default from P2: all cash pays A, then B, then E.
    # P2: 5 + 20 = 25 -> A 25 (A 33.333 -> 8.333). P3: 20 -> A 8.333, B 11.667 (B 5).
    # P4: 20 -> B 5, E 15.
    data = zero_coupon_deal(
        triggers=[
            {
                "name": "cnl",
                "kind": "cnl",
                "threshold": 0.05,
                "effect": "event_of_default",
                "cure_periods": None,
            },
        ]
    )
    data["waterfall"]["post_default"] = [
        {"action": "pay_principal", "tranches": ["A"]},
        {"action": "pay_principal", "tranches": ["B"]},
        {"action": "pay_residual", "tranche": "E"},
    ]
    res = run_waterfall(build(data), cnl_pool())  # type: ignore[arg-type]
    assert res.event_of_default[0].tolist() == [False, True, True, True]
    np.testing.assert_allclose(paid(res, "A")[1], [80 / 3, 25.0, 25 / 3, 0.0], atol=1e-9)
    np.testing.assert_allclose(paid(res, "B")[1], [40 / 3, 0.0, 35 / 3, 5.0], atol=1e-9)
    np.testing.assert_allclose(paid(res, "E")[2], [5.0, 0.0, 0.0, 15.0], atol=1e-9)


def test_clean_up_call() -> None:
    # Zero coupons, sequential, interest 5 a period; pool 100 -> 60 -> 30 -> 15 -> 0; call at
    # 20% of the original pool: exercised in P3 (pool 15), proceeds 15.
    # P1: PDA 30 -> A 30, E 10 + 5. P2: PDA 30 -> A 30, E 5. P3: 5 + 15 + 15 = 35 -> B 30,
    # E 5. P4's collections belong to the buyer.
    data = zero_coupon_deal(clean_up_call={"pool_share": 0.2})
    data["waterfall"]["principal"][0]["mode"] = "sequential"
    flows = pool([5.0] * 4, [40.0, 30.0, 15.0, 15.0], [60.0, 30.0, 15.0, 0.0])
    res = run_waterfall(build(data), flows)
    assert res.called[0].tolist() == [False, False, True, False]
    np.testing.assert_allclose(res.call_proceeds[0], [0.0, 0.0, 15.0, 0.0])
    np.testing.assert_allclose(res.collections[0], [45.0, 35.0, 20.0, 0.0])
    np.testing.assert_allclose(paid(res, "A")[1], [30.0, 30.0, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(paid(res, "B")[1], [0.0, 0.0, 30.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(paid(res, "E")[2], [15.0, 5.0, 5.0, 0.0], atol=1e-12)


def test_clean_up_call_not_exercised_when_notes_cannot_be_repaid() -> None:
    # Pool falls to 15 with 50 of notes left: the call would not repay them.
    data = zero_coupon_deal(clean_up_call={"pool_share": 0.2})
    flows = pool([0.0] * 3, [30.0, 5.0, 15.0], [50.0, 15.0, 0.0], defaults=[20.0, 30.0, 0.0])
    res = run_waterfall(build(data), flows)
    assert not res.called.any()


# P1: 40 collected, 20 defaulted (pool 40): notes 50 exceed the pool by 10 after P1
LOSS_POOL = pool([0.0, 5.0, 5.0], [40.0, 20.0, 20.0], [40.0, 20.0, 0.0], defaults=[20.0, 0.0, 0.0])


def loss_deal(allocation: str) -> AbsStructure:
    data = zero_coupon_deal(loss_allocation=allocation)
    data["waterfall"]["interest"].append(
        {"action": "pay_principal", "tranches": ["A", "B"], "mode": "sequential"}
    )
    data["waterfall"]["principal"][0]["mode"] = "sequential"
    return build(data)


def test_deficiency_ledger_cured_by_excess_spread() -> None:
    # P1: PDA 90 - 40 = 50, funds 40 -> A 40 (A 20, B 30); deficiency 10, nothing written.
    # P2: PDA 50 - 20 = 30; principal funds 20 leave a deficiency of 10; excess spread 5
    #   pays A 5 in the interest waterfall, principal 20 -> A 15, B 5 (B 25): deficiency 5.
    # P3 (last): 5 -> B, principal 20 -> B: B repaid, no writedown.
    res = run_waterfall(loss_deal("deficiency_ledger"), LOSS_POOL)
    np.testing.assert_allclose(res.deficiency[0], [10.0, 5.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(paid(res, "A")[1], [40.0, 20.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(paid(res, "B")[1], [0.0, 5.0, 25.0], atol=1e-12)
    assert res.writedown.sum() == 0.0
    np.testing.assert_allclose(paid(res, "E")[2], [0.0, 0.0, 0.0], atol=1e-12)


def test_writedown_per_period() -> None:
    # P1: as above, then B written down by 10 (B 20). P2: PDA 40 - 20 = 20 = principal
    #   funds, so the interest waterfall pays no principal; 5 joins the principal funds:
    #   A 20 (repaid), E 5. P3 (last): 5 + 20 -> B 20, E 5.
    res = run_waterfall(loss_deal("writedown"), LOSS_POOL)
    np.testing.assert_allclose(res.writedown[1, 0], [10.0, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(paid(res, "B")[1], [0.0, 0.0, 20.0], atol=1e-12)
    np.testing.assert_allclose(paid(res, "E")[2], [0.0, 5.0, 5.0], atol=1e-12)
    assert res.tranche_summary().loc["B", "expected_loss"] == pytest.approx(1 / 3)


def test_deficiency_written_off_in_the_last_period() -> None:
    # No excess spread: the deficiency of 10 is written off B at the end.
    flows = pool([0.0] * 3, [40.0, 20.0, 20.0], [40.0, 20.0, 0.0], defaults=[20.0, 0.0, 0.0])
    res = run_waterfall(loss_deal("deficiency_ledger"), flows)
    np.testing.assert_allclose(res.writedown[1, 0], [0.0, 0.0, 10.0], atol=1e-12)
    assert res.tranche_loss("B").tolist() == pytest.approx([10.0])


def test_floating_rates_step_up_and_floor() -> None:
    curve = flat_curve("2029-01-01", 0.02)
    data = two_class_deal()
    data["tranches"][0]["coupon"] = {"type": "floating", "index": "SHIBOR3M", "margin": 0.01}
    data["tranches"][0]["step_up"] = {"from_date": "2030-06-01", "increase": 0.005}
    data["tranches"][1]["coupon"] = {
        "type": "floating",
        "index": "SHIBOR3M",
        "margin": -0.05,
        "floor": 0.001,
    }
    deal = build(data)
    starts, ends = PLAIN.period_starts, PLAIN.payment_dates
    fwd = curve.forward_rate(starts, ends, day_count="ACT/365F")
    rates = tranche_rates(deal, starts, ends, curve)
    np.testing.assert_allclose(rates[0], fwd + 0.01 + np.array([0.0, 0.0, 0.005]), atol=1e-15)
    np.testing.assert_allclose(rates[1], [0.001] * 3, atol=1e-15)
    res = run_waterfall(deal, PLAIN, curves={"SHIBOR3M": curve})
    np.testing.assert_allclose(res.interest_due[0, 0, 0], 60.0 * rates[0, 0], atol=1e-12)
    with pytest.raises(MarketDataError, match="no curve for SHIBOR3M"):
        run_waterfall(deal, PLAIN)
    with pytest.raises(MarketDataError, match="would need a fixing"):
        run_waterfall(deal, PLAIN, curves=flat_curve("2030-06-01", 0.02))


def test_currency_mismatch_is_rejected() -> None:
    data = two_class_deal(currency="USD")
    with pytest.raises(ValidationError, match=r"pool_flows.currency: the deal is in USD"):
        run_waterfall(build(data), PLAIN)


def test_conservation_breach_names_period_and_path() -> None:
    cash_in = np.array([10.0, 10.0, 10.0])
    cash_out = np.array([10.0, 10.0, 9.99])
    with pytest.raises(ConservationError, match=r"period 4 \(2030-01-01\), path 2"):
        _check_conservation(cash_in, cash_out, np.zeros(3), 4, np.datetime64("2030-01-01"))
    _check_conservation(cash_in, cash_out + np.array([0, 0, 0.006]), np.zeros(3), 4, None)


def test_demo_deal_runs_with_paths_and_frames() -> None:
    deal = AbsStructure.from_yaml(DEMO_DEAL_PATH)
    one = demo_pool_flows(cdr=0.05)
    stressed = demo_pool_flows(cdr=0.3)
    from computefin.products.abs.pool_flows import PoolFlows

    both = PoolFlows(
        currency="CNY",
        period_starts=one.period_starts,
        payment_dates=one.payment_dates,
        original_pool_balance=one.original_pool_balance,
        **{
            name: np.vstack([getattr(one, name), getattr(stressed, name)])
            for name in (
                "interest_collections",
                "principal_collections",
                "recoveries",
                "remarketing_proceeds",
                "defaulted_balance",
                "net_loss",
                "pool_balance",
                "contractual_rent_remaining",
            )
        },
    )
    curve = flat_curve("2027-01-01", 0.018)
    res = run_waterfall(deal, both, curves=curve)
    single = run_waterfall(deal, stressed, curves=curve)
    np.testing.assert_array_equal(res.interest[:, 1], single.interest[:, 0])
    np.testing.assert_array_equal(res.balance[:, 1], single.balance[:, 0])
    mean = res.tranche_frame("B")
    np.testing.assert_allclose(mean["principal"], (res.principal[1, 0] + res.principal[1, 1]) / 2)
    assert res.tranche_frame("B", path=1)["writedown"].sum() > 0.0
    assert res.event_of_default[1].any()
    assert not res.event_of_default[0].any()
    assert set(res.pool_frame().columns) >= {"pool_balance", "call_proceeds"}
    with pytest.raises(ValidationError, match="path"):
        res.tranche_frame("A", path=5)
    with pytest.raises(KeyError, match="no tranche 'C'"):
        res.tranche_frame("C")


def test_ic_and_dscr_values() -> None:
    # IC through A = (interest 10 - fee 1) / A interest 3 = 3; P2 (6 - 1) / 1.5.
    # DSCR (all notes) = (collections 50 - fee 1) / (interest 3 + 1.8 + pool principal 40).
    data = two_class_deal(
        triggers=[
            {"name": "ic", "kind": "ic", "tranche": "A", "threshold": 3.2,
             "effect": "switch_to_sequential"},
            {"name": "dscr", "kind": "dscr", "threshold": 1.0, "effect": "switch_to_sequential"},
        ]
    )  # fmt: skip
    res = run_waterfall(build(data), PLAIN)
    np.testing.assert_allclose(res.trigger_value[0, 0, :2], [3.0, 5.0 / 1.5])
    np.testing.assert_allclose(res.trigger_value[1, 0, :2], [49.0 / 44.8, 35.0 / 33.3])
    assert res.trigger_breached[0, 0].tolist() == [1.0, 0.0, 0.0]
    assert res.trigger_breached[1, 0].tolist() == [0.0, 0.0, 0.0]
    assert np.isnan(res.trigger_value[0, 0, 2])  # not tested in the last period


def revolving_deal(end: str, triggers: list[dict[str, object]] | None = None) -> AbsStructure:
    return build(zero_coupon_deal(revolving={"end": end}, triggers=triggers or []))


def test_revolving_period_reinvests_principal() -> None:
    # Revolving until 2031-01-01: P1's principal 40 buys new assets (pool stays 100), E 5.
    # P2: PDA 90 - 50 = 40 pro rata: A 26.667, B 13.333; E 5 + 10. P3 (last): A 33.333,
    # B 16.667, E 5.
    flows = pool([5.0] * 3, [40.0, 50.0, 50.0], [100.0, 50.0, 0.0])
    res = run_waterfall(revolving_deal("2031-01-01"), flows)
    np.testing.assert_allclose(res.reinvestment[0], [40.0, 0.0, 0.0])
    np.testing.assert_allclose(paid(res, "A")[1], [0.0, 80 / 3, 100 / 3], atol=1e-9)
    np.testing.assert_allclose(paid(res, "E")[2], [5.0, 15.0, 5.0], atol=1e-9)


def test_trigger_ends_the_revolving_period_early() -> None:
    # Revolving until 2032-01-01 (P1 and P2), but 10% defaults in P1 breach a 5% CNL
    # early-amortisation trigger: P2 repays notes instead of reinvesting.
    flows = pool([5.0] * 3, [40.0, 40.0, 50.0], [90.0, 50.0, 0.0], defaults=[10.0, 0.0, 0.0])
    trig = [{"name": "cnl", "kind": "cnl", "threshold": 0.05, "effect": "end_revolving",
             "cure_periods": None}]  # fmt: skip
    ended = run_waterfall(revolving_deal("2032-01-01", trig), flows)
    np.testing.assert_allclose(ended.reinvestment[0], [40.0, 0.0, 0.0])
    np.testing.assert_allclose(ended.principal[:2, 0].sum(axis=0), [0.0, 40.0, 50.0])
    assert ended.writedown.sum() == 0.0
    # without the trigger P2 reinvests; the notes get only P2's 5 and P3's 55: 30 lost
    kept = run_waterfall(revolving_deal("2032-01-01"), flows)
    np.testing.assert_allclose(kept.reinvestment[0], [40.0, 40.0, 0.0])
    assert kept.writedown.sum() == pytest.approx(30.0)


def test_dscr_divides_by_scheduled_principal_not_prepayments() -> None:
    # PLAIN with 15 of P1's principal 40 prepaid: DSCR = (50 - 1) / (3 + 1.8 + 40 - 15);
    # the cash and every payment are unchanged.
    import dataclasses

    data = two_class_deal(
        triggers=[{"name": "dscr", "kind": "dscr", "threshold": 1.0,
                   "effect": "switch_to_sequential"}]
    )  # fmt: skip
    fields = {f.name: getattr(PLAIN, f.name) for f in dataclasses.fields(PLAIN) if f.init}
    prepaid = PoolFlows(**{**fields, "prepayments": np.array([[15.0, 0.0, 0.0]])})
    np.testing.assert_allclose(prepaid.scheduled_principal, [[25.0, 30.0, 30.0]])
    base, res = run_waterfall(build(data), PLAIN), run_waterfall(build(data), prepaid)
    assert res.trigger_value[0, 0, 0] == pytest.approx(49.0 / (3.0 + 1.8 + 25.0), rel=1e-12)
    assert base.trigger_value[0, 0, 0] == pytest.approx(49.0 / 44.8, rel=1e-12)
    np.testing.assert_array_equal(res.principal, base.principal)
    with pytest.raises(ValidationError, match=r"PoolFlows\.prepayments"):
        PoolFlows(**{**fields, "prepayments": np.array([[50.0, 0.0, 0.0]])})
