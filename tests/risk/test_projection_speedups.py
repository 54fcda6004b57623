"""Projections over the first periods of the grid are the full projection's first periods,
bit for bit; the caches behind them change no figure."""

from __future__ import annotations

import numpy as np
import pytest

from computefin.domain import demo_market, demo_portfolio
from computefin.errors import ValidationError
from computefin.risk import stress_library
from computefin.risk.grid import period_grid
from computefin.risk.projection import (
    ProjectionInputs,
    apply_stress,
    prefix_grid,
    project,
    simulate_scenarios,
)
from computefin.risk.projection._valuation import value_fleet


def _inputs(fleet_id: str, months: int = 360) -> ProjectionInputs:
    p = demo_portfolio()
    return ProjectionInputs.build(
        p.fleet(fleet_id), p.contracts, demo_market(), months, counterparties=p.counterparties
    )


FLEETS = [f.id for f in demo_portfolio().fleets]


@pytest.mark.parametrize("fleet_id", FLEETS)
@pytest.mark.parametrize("stress", [None, *[s.name for s in stress_library()]])
def test_a_short_projection_is_the_first_periods_of_the_full_one(
    fleet_id: str, stress: str | None
) -> None:
    inputs = _inputs(fleet_id)
    if stress is not None:
        inputs = apply_stress(next(s for s in stress_library() if s.name == stress), inputs)
    full = project(inputs, simulate_scenarios(inputs, 64, 11))
    for periods in (1, 14, 61, 359):
        short = project(inputs, simulate_scenarios(inputs, 64, 11, periods=periods),
                        chunk_paths=24)  # fmt: skip
        assert short.grid == prefix_grid(inputs.grid, periods)
        assert set(short.lines) == set(full.lines)
        for name, values in short.lines.items():
            assert np.array_equal(values, full.lines[name][:, :periods]), (name, periods)


def test_short_scenarios_are_the_first_periods_of_the_full_draw() -> None:
    inputs = _inputs("fleet-gz-910b")
    full = simulate_scenarios(inputs, 1500, 4)
    short = simulate_scenarios(inputs, 500, 4, first_path=1000, periods=30)
    for key, values in short.prices.items():
        assert np.array_equal(values, full.prices[key][1000:, :30])
    for key, arrays in short.failures.items():
        assert np.array_equal(
            arrays.gpus_in_service, full.failures[key].gpus_in_service[1000:, :30]
        )
        assert np.array_equal(arrays.repair_cost, full.failures[key].repair_cost[1000:, :30])
    assert short.rate_shift is not None
    assert full.rate_shift is not None
    assert np.array_equal(short.rate_shift, full.rate_shift[1000:, :30])
    end = short.grid.times[-1]
    for party, tau in short.default_times.items():  # censored at the shorter horizon
        whole = full.default_times[party][1000:]
        assert np.array_equal(tau[np.isfinite(tau)], whole[np.isfinite(tau)])
        assert (whole[~np.isfinite(tau)] >= end).all()


def test_a_prefix_grid_equals_the_shorter_grid_and_other_grids_are_refused() -> None:
    full = period_grid(demo_market().as_of, 360)
    for months in (1, 12, 100, 360):
        assert prefix_grid(full, months) == period_grid(demo_market().as_of, months)
    inputs = _inputs("fleet-dal-h100", 24)
    other = simulate_scenarios(_inputs("fleet-dal-h100", 360), 8, 1, periods=12)
    with pytest.raises(ValidationError, match="grid"):
        project(_inputs("fleet-dal-h100", 12), simulate_scenarios(inputs, 8, 1))
    assert project(inputs, simulate_scenarios(inputs, 8, 1, periods=12)).grid.n_periods == 12
    assert other.grid.n_periods == 12
    with pytest.raises(ValidationError, match="periods"):
        prefix_grid(full, 0)


def test_projection_lines_are_read_only_and_not_shared_with_the_caller() -> None:
    inputs = _inputs("fleet-ash-h200", 24)
    proj = project(inputs, simulate_scenarios(inputs, 10, 2))
    assert all(not v.flags.writeable for v in proj.lines.values())
    mine = np.ones((1, 24))
    from computefin.risk.projection import FleetProjection

    held = FleetProjection(fleet_id="f", currency=proj.currency, grid=proj.grid,
                           lines={"noi": mine}, deterministic=True)  # fmt: skip
    mine[0, 0] = 5.0
    assert held.lines["noi"][0, 0] == 1.0


def test_cached_value_tables_equal_fresh_ones() -> None:
    from computefin.risk.projection import _valuation

    inputs = _inputs("fleet-nx-h20")
    first = value_fleet(inputs)
    _valuation._expected_utilization.cache_clear()
    _valuation.monthly_grid.cache_clear()
    again = value_fleet(inputs)
    for name in ("gross_value", "cost_value", "resale_value", "book_per_gpu"):
        assert np.array_equal(getattr(first, name), getattr(again, name))
