"""Deterministic performance: CDR, CPR, recoveries and lags against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from test_pool_cases import RENT, annuity, one_lease_pool

from computefin.errors import ValidationError
from computefin.products.abs._pool_kernel import PoolIdentityError, _check
from computefin.products.abs.performance import (
    Performance,
    pool_flows_for,
    project_pool,
    project_pool_by_asset,
)
from computefin.products.abs.pool import demo_pool

CDR = 0.12
MDR = 1 - (1 - CDR) ** (1 / 12)


def _scheduled_balance(k: int) -> float:
    """Scheduled balance of the one-lease pool after k + 1 rents."""
    return RENT * annuity(11 - k)


def test_monthly_rate_from_annual() -> None:
    rates = Performance(cdr=CDR, cpr=(0.0, 0.2)).period_rates
    assert rates("cdr", 2, 12)[0] == pytest.approx(0.010596, abs=1e-6)
    assert rates("cpr", 3, 12).tolist() == pytest.approx(
        [0.0, 1 - 0.8 ** (1 / 12)] * 1 + [1 - 0.8 ** (1 / 12)]
    )
    assert rates("cdr", 1, 4)[0] == pytest.approx(1 - 0.88**0.25)


def test_constant_cdr_surviving_balance_is_closed_form() -> None:
    flows = project_pool(one_lease_pool(), Performance(cdr=CDR))
    for k in range(12):
        alive_before, alive_after = (1 - MDR) ** k, (1 - MDR) ** (k + 1)
        assert flows.pool_balance[0, k] == pytest.approx(
            alive_after * _scheduled_balance(k), abs=1e-6
        )
        start = RENT * annuity(12 - k)
        assert flows.defaulted_balance[0, k] == pytest.approx(alive_before * MDR * start, abs=1e-6)
        assert flows.interest_collections[0, k] == pytest.approx(
            alive_after * start * 0.005, abs=1e-6
        )
        assert flows.contractual_rent_remaining[0, k] == pytest.approx(
            alive_after * RENT * (11 - k)
        )
    # no recovery: every defaulted cent is a loss
    np.testing.assert_allclose(flows.net_loss, flows.defaulted_balance)
    # balance identity: original = principal collected + defaulted (+ nothing left)
    total = flows.principal_collections.sum() + flows.defaulted_balance.sum()
    assert total == pytest.approx(flows.original_pool_balance, abs=0.005)


def test_constant_cpr_buys_out_at_the_discounted_balance() -> None:
    cpr = 0.2
    smm = 1 - (1 - cpr) ** (1 / 12)
    flows = project_pool(one_lease_pool(), Performance(cpr=cpr))
    for k in range(11):
        alive = (1 - smm) ** k
        scheduled = RENT - RENT * annuity(12 - k) * 0.005
        prepaid = alive * smm * _scheduled_balance(k)
        assert flows.principal_collections[0, k] == pytest.approx(
            alive * scheduled + prepaid, abs=1e-6
        )
        assert flows.pool_balance[0, k] == pytest.approx(alive * (1 - smm) * _scheduled_balance(k))
    assert flows.principal_collections.sum() == pytest.approx(
        flows.original_pool_balance, abs=0.005
    )


def test_recovery_rate_and_lag_shift_recoveries_by_exactly_the_lag() -> None:
    pool = one_lease_pool()
    now = project_pool(pool, Performance(cdr=CDR, recovery_rate=0.4))
    later = project_pool(pool, Performance(cdr=CDR, recovery_rate=0.4, recovery_lag_periods=3))
    assert later.n_periods == now.n_periods + 3  # the grid runs on to collect them
    np.testing.assert_allclose(now.recoveries, 0.4 * now.defaulted_balance, atol=1e-9)
    assert not later.recoveries[0, :3].any()
    np.testing.assert_allclose(later.recoveries[0, 3:], now.recoveries[0], atol=1e-9)
    np.testing.assert_allclose(later.defaulted_balance[0, :12], now.defaulted_balance[0], atol=1e-9)
    assert later.net_loss.sum() == pytest.approx(0.6 * now.defaulted_balance.sum())


def test_security_deposit_is_applied_at_once() -> None:
    pool = one_lease_pool(security_deposit=50_000.0)
    flows = project_pool(pool, Performance(cdr=CDR, recovery_rate=0.5, recovery_lag_periods=2))
    d0 = MDR  # share defaulting in period 0
    defaulted = d0 * RENT * annuity(12)
    assert flows.recoveries[0, 0] == pytest.approx(d0 * 50_000.0)
    assert flows.recoveries[0, 2] == pytest.approx(
        0.5 * (defaulted - d0 * 50_000.0) + (1 - MDR) ** 2 * MDR * 50_000.0
    )


def test_cdr_vector_carries_its_last_value() -> None:
    pool = one_lease_pool()
    flows = project_pool(pool, Performance(cdr=(0.0, 0.0, CDR)))
    assert not flows.defaulted_balance[0, :2].any()
    constant = project_pool(pool, Performance(cdr=CDR))
    ratio = flows.defaulted_balance[0, 2:] / constant.defaulted_balance[0, 2:]
    np.testing.assert_allclose(ratio, ratio[0])  # same MDR from period 2 on
    assert ratio[0] == pytest.approx((1 - MDR) ** -2)


def test_cdr_of_one_in_a_period_defaults_everything_left() -> None:
    flows = project_pool(one_lease_pool(), Performance(cdr=(0.0, 0.0, 0.0, 1.0, 0.0)))
    assert flows.defaulted_balance[0, 3] == pytest.approx(RENT * annuity(9))
    assert not flows.total_collections[0, 3:].any()
    assert flows.pool_balance[0, 3] == 0.0


def test_n_paths_repeats_the_deterministic_path() -> None:
    flows = project_pool(one_lease_pool(), Performance(cdr=CDR), n_paths=3)
    assert flows.n_paths == 3
    np.testing.assert_array_equal(flows.pool_balance[0], flows.pool_balance[2])


def test_demo_pool_identities_hold_under_stress() -> None:
    perf = Performance(cdr=0.08, cpr=0.05, recovery_rate=0.35, recovery_lag_periods=4,
                       renewal_probability=0.5)  # fmt: skip
    flows = project_pool(demo_pool(), perf)
    # every unit of the original balance is either collected as principal or defaulted
    total = flows.principal_collections.sum() + flows.defaulted_balance.sum()
    assert total == pytest.approx(flows.original_pool_balance, abs=0.01)
    assert flows.pool_balance[0, -1] == pytest.approx(0.0, abs=1e-6)
    # recoveries are 35% of defaults (no deposit beyond them): all inside the longer grid
    deposits = flows.recoveries.sum() - 0.35 * flows.defaulted_balance.sum()
    assert deposits >= 0.0
    assert (np.diff(flows.pool_balance[0]) <= 1e-6).all()


def test_by_asset_frame_adds_up_to_the_pool() -> None:
    perf = Performance(cdr=0.08, recovery_rate=0.3, recovery_lag_periods=2)
    pool = demo_pool()
    frame = project_pool_by_asset(pool, perf)
    flows = project_pool(pool, perf)
    per_period = frame.groupby("period").sum(numeric_only=True)
    np.testing.assert_allclose(per_period.interest, flows.interest_collections[0], atol=1e-4)
    np.testing.assert_allclose(per_period.recoveries, flows.recoveries[0], atol=1e-4)
    np.testing.assert_allclose(per_period.pool_balance, flows.pool_balance[0], atol=1e-4)
    assert set(frame.asset_id) == set(pool.asset_ids)


def test_builder_updates_cdr_recovery_and_shock() -> None:
    pool = demo_pool()
    base = Performance(cdr=0.02, recovery_rate=0.3, recovery_lag_periods=3)
    flows_for = pool_flows_for(pool, base)
    direct = project_pool(pool, base.model_copy(update={"cdr": 0.1, "recovery_rate": 0.5}))
    built = flows_for(0.1, 0.5, 0.0)
    np.testing.assert_array_equal(built.net_loss, direct.net_loss)
    np.testing.assert_array_equal(flows_for().pool_balance, project_pool(pool, base).pool_balance)
    with pytest.raises(ValidationError, match=r"Performance\.cdr"):
        flows_for(3.0, 0.5, 0.0)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"cdr": 5.0}, "Performance.cdr"),
        ({"cpr": (0.1, -0.1)}, "Performance.cpr"),
        ({"cdr": ()}, "Performance.cdr"),
        ({"recovery_rate": 40}, "Performance.recovery_rate"),
        ({"recovery_lag_periods": -1}, "Performance.recovery_lag_periods"),
        ({"lease_default_mode": "both"}, "Performance.lease_default_mode"),
        ({"liquidation_haircut": "fire-sale"}, "Performance.liquidation_haircut"),
        ({"price_shock": -1.0}, "Performance.price_shock"),
        ({"spot_prices": {"nvidia-h20": -1.0}}, "Performance.spot_prices.nvidia-h20"),
        ({"renewal_probability": 1.5}, "Performance.renewal_probability"),
    ],
)
def test_performance_validation_names_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        Performance(**changes)
    assert field in [p.field for p in exc.value.problems]


def test_identity_check_raises_on_a_broken_sum() -> None:
    _check("fine", np.array([0.001, -0.004]), 0.005)
    with pytest.raises(PoolIdentityError, match="path 1"):
        _check("collections", np.array([0.0, 0.02]), 0.005)
