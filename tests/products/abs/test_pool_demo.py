"""The shipped demo pool: loads, round-trips, and projects under risk-model scenarios."""

from __future__ import annotations

import itertools
import json
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from computefin.domain import demo_market
from computefin.products.abs.performance import Performance, pool_flows_for, project_pool
from computefin.products.abs.pool import Pool, demo_pool, load_pool
from computefin.risk import DefaultModel, GpuPriceModel, ScenarioSet

DEMO = Path(str(resources.files("computefin.products.abs").joinpath("data", "demo_pool.json")))


def test_demo_pool_loads_from_file_string_and_mapping() -> None:
    text = DEMO.read_text(encoding="utf-8")
    pool = Pool.model_validate_json(text)
    assert load_pool(DEMO) == pool
    assert load_pool(str(DEMO)) == pool
    assert load_pool(json.loads(text)) == pool
    assert demo_pool() == pool
    assert Pool.model_validate_json(pool.model_dump_json()) == pool


def test_demo_pool_is_what_it_says() -> None:
    pool = demo_pool()
    assert pool.currency.value == "CNY"
    assert len(pool.leases) >= 30
    assert len(pool.loans) == 2
    assert {x.accelerator_id for x in pool.leases} == {
        "nvidia-h100-sxm", "nvidia-h200-sxm", "nvidia-h20",
    }  # fmt: skip
    assert len({x.lessee_counterparty_id for x in pool.leases}) >= 5
    assert any(x.step_ups for x in pool.leases)
    assert any(x.renewal_options for x in pool.leases)
    # rents per GPU-hour in the China ranges of DOMAIN.md (CNY 6-17)
    per_hour = [x.rent_per_gpu_hour() for x in pool.leases]
    assert min(per_hour) > 5.0
    assert max(per_hour) < 20.0


def test_demo_pool_contractual_flows_by_asset_and_in_total() -> None:
    pool = demo_pool()
    flows = pool.contractual_flows()
    by_asset = flows.groupby("asset_id").principal.sum()
    balance = pool.discounted_balance().set_index("asset_id").balance
    np.testing.assert_allclose(by_asset.loc[balance.index], balance, rtol=1e-12)
    total = flows.groupby("period").sum(numeric_only=True)
    np.testing.assert_allclose(total.cash, total.interest + total.principal, rtol=1e-12)
    remaining = pool.discounted_balance().contractual_remaining.sum()
    assert remaining == pytest.approx(flows.cash.sum())
    assert remaining > pool.original_balance()  # undiscounted rent exceeds the discounted balance


def _scenarios(pool: Pool, n_paths: int, seed: int) -> ScenarioSet:
    market = demo_market()
    grid = pool.projection_grid(3)
    prices = {}
    currency = {}
    for acc, ccy in (("nvidia-h100-sxm", "USD"), ("nvidia-h200-sxm", "USD"), ("nvidia-h20", "CNY")):
        model = GpuPriceModel.from_market(market, acc, ccy)
        prices[acc] = model.simulate(n_paths, grid, seed)
        currency[acc] = ccy
    pds = {x.lessee_counterparty_id: 0.03 for x in pool.leases}
    pds.update({h.loan.borrower_counterparty_id: 0.02 for h in pool.loans})
    defaults = DefaultModel(asset_correlation=0.2).simulate(pds, n_paths, grid, seed)
    return ScenarioSet.create(
        grid=grid, seed=seed, n_paths=n_paths, prices=prices, price_currency=currency,
        default_times=defaults.censored_default_times(),
    )  # fmt: skip


def test_demo_pool_under_simulated_scenarios() -> None:
    pool = demo_pool()
    scenarios = _scenarios(pool, 200, seed=11)
    perf = Performance(
        recovery_rate=0.3, recovery_lag_periods=3, lease_default_mode="termination",
        re_lease_gap_periods=2, remarketing=True, renewal_rule="in_the_money",
    )  # fmt: skip
    flows = project_pool(pool, perf, scenarios, market=demo_market())
    assert flows.n_paths == 200
    assert (flows.defaulted_balance.sum(axis=1) > 0).any()
    total = flows.principal_collections.sum(axis=1) + flows.defaulted_balance.sum(axis=1)
    np.testing.assert_allclose(total, flows.original_pool_balance, atol=0.01)
    # the same seed gives the same numbers; a sub-range of paths is the same paths
    again = project_pool(pool, perf, _scenarios(pool, 200, seed=11), market=demo_market())
    np.testing.assert_array_equal(flows.recoveries, again.recoveries)
    part = project_pool(pool, perf, scenarios.paths(50, 60), market=demo_market())
    np.testing.assert_allclose(part.total_collections, flows.total_collections[50:60], rtol=1e-14)


def test_demo_pool_breakeven_hook_is_monotone_in_cdr() -> None:
    flows_for = pool_flows_for(demo_pool(), Performance(recovery_rate=0.3), demo_market())
    losses = [flows_for(cdr, 0.3, 0.0).net_loss.sum() for cdr in (0.0, 0.05, 0.1, 0.2)]
    assert losses[0] == 0.0
    assert all(a < b for a, b in itertools.pairwise(losses))
