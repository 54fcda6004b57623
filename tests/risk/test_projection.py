"""Fleet projection: a hand-computed one-server fleet, Monte Carlo vs the expected case,
reproducibility, identities and bad input."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest
from one_server_fleet import AS_OF, one_server_inputs

from computefin.domain import (
    demo_market,
    demo_portfolio,
)
from computefin.errors import ValidationError
from computefin.risk.projection import (
    ProjectionInputs,
    project,
    project_fleet,
    simulate_scenarios,
)
from computefin.risk.scenario_set import ScenarioSet
from computefin.risk.scenarios.failures import FailureModel


def test_one_server_fleet_equals_the_hand_calculation() -> None:
    proj = project(one_server_inputs())
    s = proj.summary()
    # Period 0: 2026-11-27 to 2026-12-27, 30 days = 720 hours; contract fully active.
    hours, months, years = 720.0, 30 / 365 * 12, 30 / 365
    contracted = 2.50 * 4 * hours * (0.8 + 0.2 * 0.9)  # take-or-pay 80%, 90% of the rest
    spot = (8 - 4) * hours * 0.50 * 2.00  # 4 free GPUs x utilization x spot price
    power = 1 * 10.2 * 1.3 * hours * 0.07  # servers x kW x PUE x hours x USD/kWh
    colocation = 10.2 * 150.0 * months
    maintenance = 300_000.0 * 0.03 * years
    insurance = 300_000.0 * 0.005 * years
    assert contracted == pytest.approx(7056.0, abs=1e-9)
    assert spot == 2880.0
    row = s.iloc[0]
    assert row["contracted_revenue"] == pytest.approx(contracted, rel=1e-10)
    assert row["spot_revenue"] == pytest.approx(spot, rel=1e-12)
    assert row["power_cost"] == pytest.approx(power, rel=1e-12)
    assert row["colocation_cost"] == pytest.approx(colocation, rel=1e-12)
    assert row["maintenance_cost"] == pytest.approx(maintenance, rel=1e-12)
    assert row["insurance_cost"] == pytest.approx(insurance, rel=1e-12)
    expected_noi = contracted + spot - power - colocation - maintenance - insurance
    assert expected_noi == pytest.approx(6895.641206, abs=1e-6)
    assert row["noi"] == pytest.approx(expected_noi, rel=1e-10)
    # Period 6: 2027-05-27 to 2027-06-27 (31 days); the contract ends 2027-06-01: 5/31.
    row = s.iloc[6]
    hours, share = 744.0, 5 / 31
    assert row["contracted_revenue"] == pytest.approx(2.5 * 4 * hours * share * 0.98, rel=1e-10)
    assert row["spot_revenue"] == pytest.approx((8 - 4 * share) * hours * 0.5 * 2.0, rel=1e-10)
    # Period 7 (2027-06-27 to 2027-07-27, 30 days) on: no contract; all 8 GPUs earn spot.
    assert s.iloc[7]["contracted_revenue"] == pytest.approx(0.0, abs=1e-12)
    assert s.iloc[7]["spot_revenue"] == pytest.approx(8 * 720 * 0.5 * 2.0, rel=1e-12)
    assert (s["gpus_in_service"] == 8.0).all()


def test_economic_value_is_resale_when_income_is_nil() -> None:
    inputs = one_server_inputs(horizon=60)
    # Spot price far below opex per GPU-hour: net income floors at zero, leaving resale.
    cheap = inputs.price_models["nvidia-h100-sxm"].model_copy(update={"level": 0.01})
    proj = project(inputs.with_changes(price_models={"nvidia-h100-sxm": cheap}))
    # End of economic life: acquired 2026-01-01 + 5 x 365 days = 2030-12-31.
    life_end = (dt.date(2030, 12, 31) - AS_OF).days / 365
    # Resale: 10% of the cost per GPU (37,500), less the 15% successor step (H200 is out).
    resale = 37_500.0 * 0.10 * (1 - 0.15)
    t = proj.grid.times
    alive = t < life_end
    expected = np.where(alive, 8 * resale * np.exp(-0.04 * (life_end - t)), 0.0)
    np.testing.assert_allclose(proj.expected("economic_value"), expected, rtol=1e-10, atol=1e-9)
    # Sold at the end of economic life: the proceeds land in the period containing it.
    proceeds = proj.expected("retirement_proceeds")
    assert proceeds.sum() == pytest.approx(8 * resale, rel=1e-12)
    assert proj.grid.start_dates[np.argmax(proceeds)] <= np.datetime64("2030-12-31")
    assert proj.expected("gpus_in_service")[~alive][1:].sum() == 0.0


def _linear_inputs() -> ProjectionInputs:
    """The demo H100 fleet over 24 months with zero downtime: every line is linear in each
    driver. (Later, the fleet retires in 2029-02 while its contract still runs, and the
    cap on contracted GPUs, min(1, GPUs / committed), makes revenue non-linear.)"""
    portfolio = demo_portfolio()
    fleet = portfolio.fleet("fleet-dal-h100")
    return ProjectionInputs.build(
        fleet, portfolio.contracts, demo_market(), 24, counterparties=portfolio.counterparties,
        failures=[FailureModel(mean_downtime_hours=0.0, repair_cost_per_interruption=40.0)],
    )  # fmt: skip


def test_mean_of_paths_is_within_its_band_of_the_expected_projection() -> None:
    inputs = _linear_inputs()
    expected = project(inputs)
    n = 20_000
    paths = project(inputs, simulate_scenarios(inputs, n, seed=11))
    for line in ("gpus_in_service", "contracted_revenue", "spot_revenue", "opex", "noi",
                 "economic_value"):  # fmt: skip
        values = paths.line(line)
        se = values.std(axis=0, ddof=1) / math.sqrt(n)
        gap = np.abs(values.mean(axis=0) - expected.expected(line))
        # 4.5 standard errors per period over 24 periods and 6 lines: a false alarm
        # has probability below 144 x 6.8e-6 = 0.1%.
        assert (gap <= 4.5 * se + 1e-9 * np.abs(expected.expected(line))).all(), line


def test_same_seed_gives_bit_identical_scenarios_and_projection(tmp_path: Path) -> None:
    inputs = _linear_inputs()
    a = simulate_scenarios(inputs, 1500, seed=5)
    b = simulate_scenarios(inputs, 1500, seed=5)
    assert a == b
    assert a.content_hash() == b.content_hash()
    assert simulate_scenarios(inputs, 1500, seed=6) != a
    loaded = ScenarioSet.load(a.save(tmp_path / "s.npz"))
    assert loaded == a
    whole = project(inputs, a)
    chunked = project(inputs, loaded, chunk_paths=700)
    for name in whole.lines:
        assert np.array_equal(whole.lines[name], chunked.lines[name]), name


def test_identities_hold_on_every_path() -> None:
    inputs = _linear_inputs()
    proj = project(inputs, simulate_scenarios(inputs, 500, seed=2))
    revenue, opex, noi = proj.line("revenue"), proj.line("opex"), proj.line("noi")
    np.testing.assert_allclose(revenue - opex, noi, rtol=0, atol=1e-6)
    assert (proj.line("gpus_in_service") >= 0).all()
    assert np.isfinite(proj.to_frame().drop(columns=["period_start", "period_end"])).all().all()


def test_projection_views_and_plot(tmp_path: Path) -> None:
    inputs = _linear_inputs()
    proj = project(inputs, simulate_scenarios(inputs, 200, seed=1))
    frame = proj.to_frame()
    assert len(frame) == 200 * 24
    assert {"path", "period_end", "noi", "economic_value"} <= set(frame.columns)
    pct = proj.percentiles("noi", q=(5, 50, 95))
    assert (pct["p5"] <= pct["p50"]).all()
    assert (pct["p50"] <= pct["p95"]).all()
    png = proj.plot(tmp_path / "noi.png", expected=project(inputs))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_requests_are_refused() -> None:
    portfolio, market = demo_portfolio(), demo_market()
    fleet = portfolio.fleet("fleet-dal-h100")
    with pytest.raises(ValidationError, match="30 years"):
        project_fleet(fleet, portfolio.contracts, market, 361,
                      counterparties=portfolio.counterparties)  # fmt: skip
    with pytest.raises(ValidationError, match="counterparty_id"):
        project_fleet(fleet, portfolio.contracts, market, 12)
    inputs = _linear_inputs()
    with pytest.raises(ValidationError, match="n_paths"):
        simulate_scenarios(inputs, 0, seed=1)
    other = simulate_scenarios(one_server_inputs(), 10, seed=1)
    with pytest.raises(ValidationError, match="grid"):
        project(inputs, other)


def test_sale_at_retirement_books_proceeds_and_the_disposal_result() -> None:
    proj = project(one_server_inputs(horizon=60))
    # Retirement: end of economic life 2030-12-31 (contract ended 2027-06-01); no failures.
    period = int(np.searchsorted(proj.grid.end_dates, np.datetime64("2030-12-31"), "left"))
    resale = 8 * 37_500.0 * 0.10 * (1 - 0.15)
    # Straight-line over 6 years from 2026-01-01: 4 whole years to 2030-01-01, then 364 of
    # 365 days of the fifth: 300,000 x (1 - (4 + 364/365) / 6) left on 2030-12-31.
    book_at_sale = 300_000.0 * (1 - (4 + 364 / 365) / 6)
    assert proj.expected("retirement_proceeds")[period] == pytest.approx(resale, rel=1e-12)
    assert proj.expected("disposal_gain_loss")[period] == pytest.approx(
        resale - book_at_sale, rel=1e-9
    )
    # Sold during the period: nothing is held at its end.
    assert proj.expected("book_value")[period] == 0.0
    assert proj.expected("economic_value")[period] == 0.0
    assert proj.expected("book_value")[period - 1] > 0.0


def test_path_value_follows_the_price_but_not_the_costs() -> None:
    inputs = one_server_inputs(horizon=24)
    base = project(inputs)
    halved = project(
        inputs.with_changes(
            price_models={
                a: m.model_copy(update={"level": m.level * 0.5})
                for a, m in inputs.price_models.items()
            }
        )
    )
    # Revaluing with the level halved (new value tables) equals the path formula applied
    # to a price path at half the expected price (the base tables, ratio 0.5).
    from computefin.risk.projection._valuation import value_fleet

    table = value_fleet(inputs)
    price = 0.5 * table.expected_price[:, None, :]
    held = base.line("gpus_in_service")[None, :, :]
    lines = table.lines(price, held, held, base.line("discount_factor"))
    np.testing.assert_allclose(
        lines["economic_value"], halved.line("economic_value"), rtol=1e-10, atol=1e-6
    )
    assert (halved.expected("economic_value") < base.expected("economic_value")).all()


def test_a_lessee_already_in_default_gives_the_same_expected_and_path_result() -> None:
    inputs = _linear_inputs()
    defaulted = inputs.with_changes(pds=dict.fromkeys(inputs.pds, 1.0))
    expected = project(defaulted)
    paths = project(defaulted, simulate_scenarios(defaulted, 50, seed=3))
    assert expected.expected("contracted_revenue").sum() == 0.0
    np.testing.assert_allclose(
        paths.expected("idle_gpus"), expected.expected("idle_gpus"), rtol=1e-12
    )


def test_a_fleet_past_its_life_with_no_contracts_is_sold_at_once() -> None:
    inputs = one_server_inputs(horizon=12)
    old = inputs.fleet.server_groups[0].model_copy(update={"acquired": dt.date(2020, 1, 1)})
    fleet = inputs.fleet.model_copy(update={"server_groups": [old]})
    proj = project(inputs.with_changes(fleet=fleet, contracts=(), pds={}))
    proceeds = proj.expected("retirement_proceeds")
    assert proceeds[0] == pytest.approx(8 * 37_500.0 * 0.10 * 0.85, rel=1e-12)
    assert proceeds[1:].sum() == 0.0
    assert proj.expected("gpus_in_service").sum() == 0.0
    assert proj.expected("revenue").sum() == 0.0


def test_scenarios_drawn_for_other_inputs_are_refused() -> None:
    inputs = _linear_inputs()
    scenarios = simulate_scenarios(inputs, 20, seed=1)
    cheaper = inputs.with_changes(
        price_models={
            a: m.model_copy(update={"level": m.level * 0.5}) for a, m in inputs.price_models.items()
        }
    )
    with pytest.raises(ValidationError, match=r"other inputs.*price"):
        project(cheaper, scenarios)
    portfolio = demo_portfolio()
    with pytest.raises(ValidationError, match="inputs"):
        project_fleet(portfolio.fleet("fleet-nx-h20"), portfolio.contracts, demo_market(), 24,
                      inputs=inputs)  # fmt: skip


def test_path_ranges_drawn_apart_equal_one_draw() -> None:
    inputs = _linear_inputs()
    whole = simulate_scenarios(inputs, 2100, seed=9)
    part = simulate_scenarios(inputs, 100, seed=9, first_path=2000)
    assert part == whole.paths(2000, 2100)
