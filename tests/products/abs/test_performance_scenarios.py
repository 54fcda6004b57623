"""Scenario-driven performance: defaults by continuation and termination, re-leasing,
renewals, remarketing at residual value x haircut, and deterministic = one-path runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from test_pool_cases import CUT_OFF, GPUS, LESSEE, RATE, RENT, annuity, one_lease_pool

from computefin.domain import demo_market
from computefin.errors import ValidationError
from computefin.products.abs.performance import Performance, pool_flows_for, project_pool
from computefin.products.abs.pool import Pool
from computefin.products.abs.pool_flows import PoolFlows
from computefin.risk import ResidualValueModel, ScenarioSet, period_grid
from computefin.risk.grid import PeriodGrid

H20 = "nvidia-h20"
DEFAULT_PERIOD = 3


def _default_time(grid: PeriodGrid, k: int) -> float:
    """A default time (years) inside pool period k."""
    return float(grid.start_times[k] + grid.times[k]) / 2.0


def _scenarios(pool: Pool, prices: Any, default_times: Any, **kwargs: Any) -> ScenarioSet:
    grid = kwargs.pop("grid", None) or pool.projection_grid(kwargs.pop("extra", 0))
    prices = np.asarray(prices, dtype=np.float64)
    n_paths = prices.shape[0]
    if prices.shape[1] == 1:
        prices = np.repeat(prices, grid.n_periods, axis=1)
    return ScenarioSet.create(
        grid=grid, seed=7, n_paths=n_paths, prices={H20: prices},
        price_currency={H20: kwargs.pop("currency", "CNY")},
        default_times={LESSEE: default_times} if default_times is not None else {},
    )  # fmt: skip


def _one_default_two_paths(pool: Pool, price_paths: Any = ((7.0,), (7.0,))) -> ScenarioSet:
    grid = pool.projection_grid()
    return _scenarios(pool, price_paths, [_default_time(grid, DEFAULT_PERIOD), np.inf])


def test_scenario_default_by_continuation_ends_the_lease() -> None:
    pool = one_lease_pool()
    flows = project_pool(pool, Performance(), _one_default_two_paths(pool))
    scheduled = project_pool(pool, Performance())
    k = DEFAULT_PERIOD
    np.testing.assert_allclose(flows.total_collections[1], scheduled.total_collections[0])
    np.testing.assert_allclose(flows.total_collections[0, :k], scheduled.total_collections[0, :k])
    assert not flows.total_collections[0, k:].any()
    assert flows.defaulted_balance[0, k] == pytest.approx(RENT * annuity(12 - k))
    assert flows.defaulted_balance[0].sum() == flows.defaulted_balance[0, k]
    assert not flows.defaulted_balance[1].any()
    assert flows.pool_balance[0, k] == 0.0


def test_termination_re_leases_after_the_gap_at_the_scenario_price() -> None:
    pool = one_lease_pool()
    price = 6.0 + 0.1 * np.arange(12)  # a rising spot price path, CNY per GPU-hour
    scenarios = _scenarios(
        pool, [price, price], [_default_time(pool.projection_grid(), DEFAULT_PERIOD), np.inf]
    )
    gap = 2
    perf = Performance(lease_default_mode="termination", re_lease_gap_periods=gap,
                       re_lease_utilization=0.9)  # fmt: skip
    flows = project_pool(pool, perf, scenarios)
    continuation = project_pool(pool, Performance(), scenarios)
    hours = scenarios.grid.hours
    first = DEFAULT_PERIOD + gap + 1
    # same default, same loss booked; only the GPUs' afterlife differs
    np.testing.assert_array_equal(flows.defaulted_balance, continuation.defaulted_balance)
    assert not flows.recoveries[0, :first].any()
    for m in range(first, 12):
        assert flows.recoveries[0, m] == pytest.approx(price[m] * GPUS * hours[m] * 0.9)
    assert not flows.recoveries[1].any()
    assert not continuation.recoveries.any()
    np.testing.assert_allclose(flows.net_loss, flows.defaulted_balance - flows.recoveries)


def test_continuation_ends_the_renewals_and_termination_only_the_current_term() -> None:
    pool = one_lease_pool(renewal_options=[{"term_months": 12, "rent_per_period": 80_000.0}])
    scenarios = _one_default_two_paths(pool)
    assert scenarios.n_periods == 24
    base: dict[str, Any] = {"renewal_probability": 1.0}
    cont = project_pool(pool, Performance(**base), scenarios)
    term = project_pool(pool, Performance(**base, lease_default_mode="termination"), scenarios)
    # the surviving path renews: 12 more rents of 80,000, outside the pool balance (interest)
    np.testing.assert_allclose(cont.interest_collections[1, 12:], 80_000.0)
    assert cont.original_pool_balance == pytest.approx(RENT * annuity(12))
    # continuation: nothing after the default, renewals included
    assert not cont.total_collections[0, DEFAULT_PERIOD:].any()
    # termination: re-lease at the spot price from the next period to the end of the term
    hours = scenarios.grid.hours
    relet = term.recoveries[0]
    np.testing.assert_allclose(
        relet[DEFAULT_PERIOD + 1 : 12], 7.0 * GPUS * hours[DEFAULT_PERIOD + 1 : 12]
    )
    assert not relet[12:].any()
    assert not term.interest_collections[0, 12:].any()
    np.testing.assert_array_equal(term.total_collections[1], cont.total_collections[1])


def test_renewal_probability_weights_the_renewal_rent() -> None:
    pool = one_lease_pool(renewal_options=[{"term_months": 6, "rent_per_period": 80_000.0}])
    flows = project_pool(pool, Performance(renewal_probability=0.25))
    np.testing.assert_allclose(flows.interest_collections[0, 12:18], 0.25 * 80_000.0)


def test_in_the_money_renewal_is_decided_per_path_on_the_spot_price() -> None:
    pool = one_lease_pool(renewal_options=[{"term_months": 6, "rent_per_period": 80_000.0}])
    # 80,000 / (8 GPUs x 730 h) = 13.70 per GPU-hour: renew above it, walk away below it
    scenarios = _scenarios(pool, [[15.0], [13.0]], None)
    flows = project_pool(pool, Performance(renewal_rule="in_the_money"), scenarios)
    np.testing.assert_allclose(flows.interest_collections[0, 12:18], 80_000.0)
    assert not flows.interest_collections[1, 12:].any()


def _residual_per_gpu(on: dt.date, acquired: dt.date, price: float) -> float:
    """The risk module's economic value of one H20 on ``on``, priced flat at ``price``."""
    grid = period_grid(on, 72)
    value = ResidualValueModel().value(
        H20, acquired, grid, price, utilization=0.7,
        discount=(1.0 + RATE) ** -grid.times, list_price=90_000.0,
    )  # fmt: skip
    return float(value.value[0])


def test_remarketing_at_end_of_term_is_residual_value_times_haircut() -> None:
    pool = one_lease_pool(gpus_acquired=dt.date(2026, 7, 31))
    lag = 2
    perf = Performance(remarketing=True, remarketing_lag_periods=lag, liquidation_haircut=0.35,
                       spot_prices={H20: 7.0})  # fmt: skip
    flows = project_pool(pool, perf)
    assert flows.n_periods == 12 + lag
    sold_on = flows.payment_dates[11 + lag].item()
    expected = GPUS * _residual_per_gpu(sold_on, dt.date(2026, 7, 31), 7.0) * (1 - 0.35)
    assert expected > 0
    assert flows.remarketing_proceeds[0, 11 + lag] == pytest.approx(expected, rel=1e-12)
    assert flows.remarketing_proceeds[0].sum() == pytest.approx(expected, rel=1e-12)
    # a preset name is the valuers' haircut
    auction = project_pool(pool, perf.model_copy(update={"liquidation_haircut": "distressed"}))
    assert auction.remarketing_proceeds.sum() == pytest.approx(expected / 0.65 * 0.45)


def test_remarketing_after_a_default_uses_the_path_price_at_the_sale() -> None:
    pool = one_lease_pool()
    price = np.linspace(5.0, 9.0, 12)
    scenarios = _scenarios(pool, [price], [_default_time(pool.projection_grid(), DEFAULT_PERIOD)])
    perf = Performance(remarketing=True, remarketing_lag_periods=1, liquidation_haircut=0.15)
    flows = project_pool(pool, perf, scenarios)
    sale = DEFAULT_PERIOD + 1
    expected = GPUS * _residual_per_gpu(flows.payment_dates[sale].item(), CUT_OFF, price[sale])
    assert flows.remarketing_proceeds[0, sale] == pytest.approx(expected * 0.85, rel=1e-12)
    assert flows.remarketing_proceeds[0].sum() == pytest.approx(expected * 0.85, rel=1e-12)


def test_termination_remarkets_at_the_end_of_the_term() -> None:
    pool = one_lease_pool()
    scenarios = _one_default_two_paths(pool)
    perf = Performance(lease_default_mode="termination", remarketing=True)
    flows = project_pool(pool, perf, scenarios)
    assert not flows.remarketing_proceeds[:, :11].any()
    # the defaulted path gets its GPUs back at the same date as the performing one
    assert flows.remarketing_proceeds[0, 11] == pytest.approx(flows.remarketing_proceeds[1, 11])


def _assert_same(a: PoolFlows, b: PoolFlows) -> None:
    for name in ("interest_collections", "principal_collections", "recoveries",
                 "remarketing_proceeds", "defaulted_balance", "net_loss", "pool_balance",
                 "contractual_rent_remaining"):  # fmt: skip
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-13, atol=1e-8)
    assert a.original_pool_balance == b.original_pool_balance


@pytest.mark.parametrize("mode", ["continuation", "termination"])
def test_deterministic_vectors_equal_a_one_path_scenario_run(mode: str) -> None:
    pool = one_lease_pool(renewal_options=[{"term_months": 6, "rent_per_period": 90_000.0}])
    common: dict[str, Any] = {
        "lease_default_mode": mode, "re_lease_gap_periods": 1, "remarketing": True,
        "recovery_rate": 0.3, "recovery_lag_periods": 2, "renewal_probability": 0.5,
    }  # fmt: skip
    grid = pool.projection_grid(2)
    # a CDR of 100% in period 3 and nothing else = the lessee defaulting in period 3
    cdr = tuple(1.0 if k == DEFAULT_PERIOD else 0.0 for k in range(grid.n_periods))
    deterministic = project_pool(pool, Performance(cdr=cdr, spot_prices={H20: 7.0}, **common))
    scenarios = _scenarios(pool, [[7.0]], [_default_time(grid, DEFAULT_PERIOD)], grid=grid)
    one_path = project_pool(pool, Performance(**common), scenarios)
    _assert_same(deterministic, one_path)
    assert deterministic.defaulted_balance[0, DEFAULT_PERIOD] > 0


def test_constant_cdr_is_the_same_with_or_without_a_default_free_scenario_set() -> None:
    pool = one_lease_pool()
    perf = Performance(cdr=0.1, recovery_rate=0.4, spot_prices={H20: 7.0}, remarketing=True)
    scenarios = _scenarios(pool, [[7.0]], None)
    _assert_same(project_pool(pool, perf), project_pool(pool, perf, scenarios))


def test_cdr_applies_on_top_of_scenario_defaults() -> None:
    pool = one_lease_pool()
    cdr = 0.12
    mdr = 1 - (1 - cdr) ** (1 / 12)
    flows = project_pool(pool, Performance(cdr=cdr), _one_default_two_paths(pool))
    k = DEFAULT_PERIOD
    # path 0: CDR until period 3, then everything left defaults
    assert flows.defaulted_balance[0, k] == pytest.approx((1 - mdr) ** k * RENT * annuity(12 - k))
    # path 1 survives the scenario: CDR only
    assert flows.defaulted_balance[1, k] == pytest.approx(
        (1 - mdr) ** k * mdr * RENT * annuity(12 - k)
    )


def test_price_shock_scales_re_lease_rent() -> None:
    pool = one_lease_pool()
    scenarios = _one_default_two_paths(pool)
    flows_for = pool_flows_for(
        pool, Performance(lease_default_mode="termination"), scenarios=scenarios
    )
    base, shocked = flows_for(0.0, 0.0, 0.0), flows_for(0.0, 0.0, -0.3)
    np.testing.assert_allclose(shocked.recoveries, 0.7 * base.recoveries)
    assert base.recoveries.sum() > 0


def test_scenario_prices_in_another_currency_are_converted_at_the_market_fx() -> None:
    pool = one_lease_pool()
    grid = pool.projection_grid()
    scenarios = _scenarios(pool, [[1.0]], [_default_time(grid, 0)], currency="USD")
    perf = Performance(lease_default_mode="termination")
    flows = project_pool(pool, perf, scenarios, market=demo_market())
    assert flows.recoveries[0, 1] == pytest.approx(7.1 * GPUS * grid.hours[1])
    with pytest.raises(ValidationError, match="market"):
        project_pool(pool, perf, scenarios)


def test_missing_price_names_what_to_give() -> None:
    with pytest.raises(ValidationError) as exc:
        project_pool(one_lease_pool(), Performance(remarketing=True))
    assert exc.value.fields == ("Performance.spot_prices[nvidia-h20]",)


def test_scenario_grid_must_line_up_with_the_pool() -> None:
    pool = one_lease_pool()
    other = period_grid(CUT_OFF + dt.timedelta(days=1), 12)
    with pytest.raises(ValidationError) as exc:
        project_pool(pool, Performance(), _scenarios(pool, [[7.0]], None, grid=other))
    assert exc.value.fields == ("scenarios.grid.as_of",)
    short = period_grid(CUT_OFF, 6)
    with pytest.raises(ValidationError) as exc:
        project_pool(pool, Performance(), _scenarios(pool, [[7.0]], None, grid=short))
    assert exc.value.fields == ("scenarios.grid",)
    quarterly = period_grid(CUT_OFF, 12, "quarterly")
    with pytest.raises(ValidationError) as exc:
        project_pool(pool, Performance(), _scenarios(pool, [[7.0]], None, grid=quarterly))
    assert exc.value.fields == ("scenarios.grid.frequency",)


def test_many_paths_run_as_arrays() -> None:
    pool = one_lease_pool()
    grid = pool.projection_grid()
    rng = np.random.default_rng(5)
    n = 500
    taus = rng.exponential(2.0, n)
    prices = 7.0 * np.exp(rng.normal(0, 0.1, (n, grid.n_periods)))
    scenarios = _scenarios(pool, prices, taus)
    flows = project_pool(
        pool, Performance(lease_default_mode="termination", remarketing=True), scenarios
    )
    assert flows.n_paths == n
    defaulted = flows.defaulted_balance.sum(axis=1) > 0
    assert defaulted.sum() == int((taus <= grid.times[-1]).sum())
