"""Stresses as data: the shipped library, bank files, and each shock's effect by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from computefin.domain import demo_market, demo_portfolio
from computefin.errors import ValidationError
from computefin.risk.projection import (
    BASE_CASE,
    ProjectionInputs,
    apply_stress,
    project,
    run_stress_grid,
)
from computefin.risk.stress import StressScenario, load_stresses, stress_library


def _inputs(fleet_id: str = "fleet-dal-h100", horizon: int = 24) -> ProjectionInputs:
    p = demo_portfolio()
    return ProjectionInputs.build(p.fleet(fleet_id), p.contracts, demo_market(), horizon,
                                  counterparties=p.counterparties)  # fmt: skip


def test_the_library_holds_the_six_named_stresses() -> None:
    names = [s.name for s in stress_library()]
    assert names == [
        "rental-price-halved",
        "successor-12m-early",
        "utilization-30pct",
        "electricity-plus-30pct",
        "largest-lessee-defaults-m6",
        "rates-plus-200bp",
    ]
    with pytest.raises(ValidationError, match="unknown"):
        stress_library(["no-such-stress"])


def test_bank_files_load_and_bad_ones_name_the_entry(tmp_path: Path) -> None:
    good = tmp_path / "bank.yaml"
    good.write_text("- name: combo\n  rental_price_shock: -0.3\n  rate_shift_bp: 100\n")
    assert load_stresses(good)[0].rate_shift_bp == 100
    as_json = tmp_path / "bank.json"
    as_json.write_text('[{"name": "j", "electricity_price_shock": 0.1}]')
    assert load_stresses(as_json)[0].electricity_price_shock == 0.1
    bad = tmp_path / "bad.yaml"
    bad.write_text("- name: ok\n- name: typo\n  rental_price_shok: -0.5\n")
    with pytest.raises(ValidationError, match=r"bad.yaml\[1\].*rental_price_shok"):
        load_stresses(bad)
    percent = tmp_path / "pct.yaml"
    percent.write_text("- name: big\n  rate_shift_bp: 20000\n")
    with pytest.raises(ValidationError, match="rate_shift_bp"):
        load_stresses(percent)


def test_electricity_shock_scales_power_cost_only() -> None:
    inputs = _inputs()
    base = project(inputs).summary()
    stressed = project(apply_stress(StressScenario(name="e", electricity_price_shock=0.3), inputs))
    s = stressed.summary()
    np.testing.assert_allclose(s["power_cost"], base["power_cost"] * 1.3, rtol=1e-12)
    np.testing.assert_allclose(s["revenue"], base["revenue"], rtol=1e-12)
    np.testing.assert_allclose(s["noi"], base["noi"] - 0.3 * base["power_cost"], rtol=1e-9)


def test_price_shock_halves_spot_revenue() -> None:
    inputs = _inputs()
    base = project(inputs).summary()
    s = project(apply_stress(stress_library(["rental-price-halved"])[0], inputs)).summary()
    np.testing.assert_allclose(s["spot_revenue"], 0.5 * base["spot_revenue"], rtol=1e-12)
    np.testing.assert_allclose(s["contracted_revenue"], base["contracted_revenue"], rtol=1e-12)


def test_rate_shift_multiplies_discount_factors() -> None:
    inputs = _inputs()
    base = project(inputs)
    s = project(apply_stress(stress_library(["rates-plus-200bp"])[0], inputs))
    np.testing.assert_allclose(
        s.expected("discount_factor"),
        base.expected("discount_factor") * np.exp(-0.02 * inputs.grid.times),
        rtol=1e-12,
    )


def test_utilization_level_fixes_spot_utilization() -> None:
    inputs = _inputs()
    stressed = apply_stress(stress_library(["utilization-30pct"])[0], inputs)
    np.testing.assert_allclose(stressed.utilization.expected(inputs.grid), 0.30, rtol=1e-12)
    paths = stressed.utilization.simulate(50, inputs.grid, seed=1)
    np.testing.assert_allclose(paths, 0.30, rtol=1e-12)


def test_largest_lessee_default_stops_its_revenue_after_month_six() -> None:
    inputs = _inputs()
    stressed = apply_stress(stress_library(["largest-lessee-defaults-m6"])[0], inputs)
    # Six calendar months from 2026-11-27 is 2027-05-27: 181 days, ACT/365F.
    assert dict(stressed.forced_default_years) == {"us-ailab": 181 / 365}
    s = project(stressed).summary()
    times = inputs.grid.times
    assert (s["contracted_revenue"].to_numpy()[times > 181 / 365 + 1 / 12] == 0.0).all()
    # During the 3-month re-marketing gap the lessee's GPUs sit idle, then earn spot.
    idle = s["idle_gpus"].to_numpy()
    assert idle[(times > 0.6) & (times < 0.7)].min() > 700
    assert idle[times > 0.5 + 0.25 + 1 / 12].max() == 0.0


def test_successor_stress_moves_the_price_step_and_the_resale_step() -> None:
    # H200 fleet (acquired 2025-02-01; economic life ends 2030-01-31, its contract runs to
    # 2030-03-01, so it is sold then). Give the H200 a successor not yet launched, in
    # 2030-12: after the sale, so the base case has no resale step.
    base = _inputs("fleet-ash-h200", horizon=48)
    model = base.price_models["nvidia-h200-sxm"].model_copy(
        update={"successor_launch": dt.date(2030, 12, 1), "successor_step": 0.10}
    )
    base = base.with_changes(price_models={"nvidia-h200-sxm": model})
    stressed = apply_stress(stress_library(["successor-12m-early"])[0], base)
    moved = stressed.price_models["nvidia-h200-sxm"].successor_launch
    assert moved == dt.date(2029, 12, 1)
    # Price step: from the first period ending on or after 2029-12-01 prices are 10% lower.
    grid = base.grid
    ratio = stressed.price_models["nvidia-h200-sxm"].expected(grid) / model.expected(grid)
    stepped = grid.end_dates >= np.datetime64("2029-12-01")
    np.testing.assert_allclose(ratio[stepped], 0.9, rtol=1e-12)
    np.testing.assert_allclose(ratio[~stepped], 1.0, rtol=1e-12)
    # Resale step: the successor now launches before the sale, so each GPU fetches 15% less.
    before = project(base).expected("retirement_proceeds").sum()
    after = project(stressed).expected("retirement_proceeds").sum()
    assert after == pytest.approx(before * (1 - 0.15), rel=1e-12)
    # A successor already launched (the H100's H200) never moves.
    h100 = _inputs()
    assert apply_stress(stress_library(["successor-12m-early"])[0], h100).price_models == (
        h100.price_models
    )


def test_stress_grid_reports_every_case_against_the_base() -> None:
    frame, projections = run_stress_grid(_inputs(), stress_library(), n_paths=300, seed=4)
    assert list(frame.index) == [BASE_CASE] + [s.name for s in stress_library()]
    assert frame.loc[BASE_CASE, "pv_noi_change"] == 0.0
    assert frame.loc["rental-price-halved", "pv_noi"] < frame.loc[BASE_CASE, "pv_noi"]
    assert frame.loc["largest-lessee-defaults-m6", "pv_noi_change"] < 0
    assert "pv_noi_p5" in frame.columns
    assert set(projections) == set(frame.index)
    with pytest.raises(ValidationError, match="unique"):
        run_stress_grid(_inputs(), [StressScenario(name=BASE_CASE)])
