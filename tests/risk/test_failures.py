"""GPU failure model: closed forms, path properties, Llama 3 calibration, errors.

Statistical checks use fixed seeds and 4 standard errors: a correct model fails one with
probability about 6e-5 per comparison.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.stats import poisson

from computefin.errors import ValidationError
from computefin.risk.grid import PeriodGrid, period_grid
from computefin.risk.scenarios.failures import (
    DEFAULT_INTERRUPTION_RATE,
    DEFAULT_PERMANENT_FAILURE_RATE,
    HBM_ERROR_MULTIPLIER,
    LLAMA3_GPU_YEARS,
    FailureModel,
    RateEstimate,
    interruption_multiplier,
)

N_PATHS = 20_000


@pytest.fixture(scope="module")
def grid() -> PeriodGrid:
    return period_grid(dt.date(2026, 1, 1), 60)


# --------------------------------------------------------------------------- Llama 3


def test_calibration_on_llama3_counts_reproduces_the_published_rates() -> None:
    # Meta, "The Llama 3 Herd of Models" (2024), section 3.3.4: 16,384 H100 GPUs for 54
    # days; 419 unexpected interruptions, 148 of them a faulty GPU.
    gpu_days = 16_384 * 54  # = 884,736 GPU-days
    gpu_years = gpu_days / 365  # = 2,423.9342 GPU-years
    assert gpu_years == pytest.approx(2423.9342, abs=1e-4)
    assert gpu_years == LLAMA3_GPU_YEARS
    history = pd.DataFrame(
        {"gpu_years": [gpu_years], "interruptions": [419], "permanent_failures": [148]}
    )
    fit = FailureModel.calibrate(history)
    # 419 / 2,423.9342 = 0.17286 interruptions per GPU-year ("roughly 17%")
    assert fit.interruptions.rate == pytest.approx(0.17286, abs=5e-6)
    # 148 / 2,423.9342 = 0.06106 faulty GPUs per GPU-year ("about 6%")
    assert fit.permanent_failures.rate == pytest.approx(0.06106, abs=5e-6)
    assert fit.model.interruption_rate_per_gpu_year == 419 / gpu_years
    # The rounded default 0.17 lies inside the exact 95% interval of the Llama 3 figure.
    assert fit.interruptions.lower < DEFAULT_INTERRUPTION_RATE < fit.interruptions.upper
    assert fit.mean_downtime_hours is None
    assert fit.rows == 1


@pytest.mark.parametrize(("events", "exposure"), [(419, LLAMA3_GPU_YEARS), (3, 50.0), (0, 10.0)])
def test_garwood_interval_solves_the_poisson_tail_equations(events: int, exposure: float) -> None:
    est = RateEstimate.from_counts(events, exposure, confidence=0.95)
    # upper: P(X <= k | mu_upper) = 2.5%; lower: P(X >= k | mu_lower) = 2.5% (0 when k = 0)
    assert poisson.cdf(events, est.upper * exposure) == pytest.approx(0.025, abs=1e-9)
    if events:
        assert poisson.sf(events - 1, est.lower * exposure) == pytest.approx(0.025, abs=1e-9)
    else:
        assert est.lower == 0.0
    assert est.lower <= est.rate <= est.upper


def test_calibration_pools_rows_and_estimates_downtime() -> None:
    history = pd.DataFrame(
        {
            "gpu_years": [100.0, 300.0],
            "interruptions": [20, 60],
            "permanent_failures": [3, 13],
            "downtime_hours": [400.0, 1600.0],
        }
    )
    fit = FailureModel.calibrate(history, confidence=0.9, repair_cost_per_interruption=250.0)
    assert fit.model.interruption_rate_per_gpu_year == pytest.approx(80 / 400)
    assert fit.model.permanent_failure_rate_per_gpu_year == pytest.approx(16 / 400)
    assert fit.model.mean_downtime_hours == pytest.approx(2000 / 80)
    assert fit.model.repair_cost_per_interruption == 250.0
    assert fit.interruptions.confidence == 0.9
    assert list(fit.to_frame()["quantity"]) == ["interruptions", "permanent_failures"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"gpu_years": [-1.0, 2.0]}, "history[0].gpu_years"),
        ({"gpu_years": [1.0, math.nan]}, "history[1].gpu_years"),
        ({"interruptions": [1, -2]}, "history[1].interruptions"),
        ({"permanent_failures": [0.5, 1]}, "history[0].permanent_failures"),
        ({"downtime_hours": [1.0, -1.0]}, "history[1].downtime_hours"),
        ({"gpu_years": [0.0, 0.0]}, "history.gpu_years"),
    ],
)
def test_calibration_rejects_bad_rows(change: dict[str, Any], field: str) -> None:
    history = pd.DataFrame(
        {"gpu_years": [10.0, 20.0], "interruptions": [2, 3], "permanent_failures": [0, 1]}
    ).assign(**change)
    with pytest.raises(ValidationError) as err:
        FailureModel.calibrate(history)
    assert err.value.fields == (field,)


def test_calibration_rejects_missing_columns_and_bad_confidence() -> None:
    history = pd.DataFrame({"gpu_years": [10.0], "interruptions": [2]})
    with pytest.raises(ValidationError) as err:
        FailureModel.calibrate(history)
    assert err.value.fields == ("history.permanent_failures",)
    full = history.assign(permanent_failures=0)
    with pytest.raises(ValidationError) as err:
        FailureModel.calibrate(full, confidence=95.0)
    assert err.value.fields == ("confidence",)


# --------------------------------------------------------------------------- simulation


def test_expected_gpus_in_service_matches_simulation(grid: PeriodGrid) -> None:
    gpus, lam = 1000, 0.15  # a high rate so that the check has power
    model = FailureModel(permanent_failure_rate_per_gpu_year=lam)
    paths = model.simulate(gpus, N_PATHS, grid, seed=2026, key="fleet-1/0")
    expected = model.expected_gpus_in_service(gpus, grid)
    np.testing.assert_allclose(expected, gpus * np.exp(-lam * grid.times), rtol=1e-15)
    # each GPU survives independently: Var = N S (1 - S)
    s = expected / gpus
    se = np.sqrt(gpus * s * (1.0 - s) / N_PATHS)
    assert (np.abs(paths.gpus_in_service.mean(axis=0) - expected) <= 4.0 * se).all()
    sample_sd = paths.gpus_in_service.std(axis=0, ddof=1)
    # relative SE of a sample SD is about 1 / sqrt(2 n) = 0.5%: 0.025 is five of those
    np.testing.assert_allclose(sample_sd, np.sqrt(gpus * s * (1.0 - s)), rtol=0.025)


def test_expected_interruptions_match_simulation(grid: PeriodGrid) -> None:
    gpus = 256
    model = FailureModel(permanent_failure_rate_per_gpu_year=0.3)
    paths = model.simulate(gpus, N_PATHS, grid, seed=77, key="fleet-2/1")
    expected = model.expected_interruptions(gpus, grid)
    se = paths.interruptions.std(axis=0, ddof=1) / math.sqrt(N_PATHS)
    assert (np.abs(paths.interruptions.mean(axis=0) - expected) <= 4.0 * se).all()
    total = paths.interruptions.sum(axis=1)
    assert abs(total.mean() - expected.sum()) <= 4.0 * total.std(ddof=1) / math.sqrt(N_PATHS)
    # no permanent failures: lam_i N dt per period
    flat = FailureModel(permanent_failure_rate_per_gpu_year=0.0)
    np.testing.assert_allclose(
        flat.expected_interruptions(gpus, grid),
        DEFAULT_INTERRUPTION_RATE * gpus * grid.year_fractions,
        rtol=1e-14,
    )


def test_path_invariants(grid: PeriodGrid) -> None:
    model = FailureModel(
        permanent_failure_rate_per_gpu_year=0.5,
        interruption_rate_per_gpu_year=2.0,
        mean_downtime_hours=300.0,
        repair_cost_per_interruption=1200.0,
    )
    gpus = 16
    p = model.simulate(gpus, 3000, grid, seed=1, key="g")
    g = p.gpus_in_service
    assert g.shape == (3000, grid.n_periods)
    assert g.dtype == np.float64
    assert (g >= 0).all()
    assert (g == np.round(g)).all()
    assert (g <= gpus).all()
    assert (np.diff(g, axis=1) <= 0).all()  # the fleet only shrinks
    assert (p.interruptions >= 0).all()
    assert (p.interruptions == np.round(p.interruptions)).all()
    assert ((p.downtime_share >= 0) & (p.downtime_share <= 1)).all()
    # downtime share by its definition, from GPUs in service at the period start
    start = np.concatenate([np.full((3000, 1), float(gpus)), g[:, :-1]], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = p.interruptions * 300.0 / (start * grid.hours)
    expected = np.where(start > 0, np.minimum(raw, 1.0), 0.0)
    np.testing.assert_array_equal(p.downtime_share, expected)
    assert (p.downtime_share == 1.0).any()  # the cap binds on this small, fragile group
    np.testing.assert_array_equal(p.repair_cost, p.interruptions * 1200.0)
    # a path with no GPUs left has no interruptions
    assert (p.interruptions[start == 0] == 0).all()
    assert set(p.arrays()) == {"gpus_in_service", "interruptions", "downtime_share", "repair_cost"}
    with pytest.raises(ValueError, match="read-only"):
        p.gpus_in_service[0, 0] = 1.0


def test_zero_gpus_and_zero_rates(grid: PeriodGrid) -> None:
    empty = FailureModel().simulate(0, 10, grid, seed=1, key="g")
    for array in empty.arrays().values():
        assert (array == 0.0).all()
    still = FailureModel(
        permanent_failure_rate_per_gpu_year=0.0, interruption_rate_per_gpu_year=0.0
    ).simulate(64, 10, grid, seed=1, key="g")
    assert (still.gpus_in_service == 64).all()
    assert (still.interruptions == 0).all()


def test_bit_identical_and_chunking_invariant(grid: PeriodGrid) -> None:
    model = FailureModel()
    whole = model.simulate(512, 2500, grid, seed=11, key="fleet/0")
    again = model.simulate(512, 2500, grid, seed=11, key="fleet/0")
    for name, array in whole.arrays().items():
        assert array.tobytes() == again.arrays()[name].tobytes(), name
    for first, n in ((0, 7), (1020, 10), (1024, 1024), (2000, 500)):
        part = model.simulate(512, n, grid, seed=11, key="fleet/0", first_path=first)
        for name, array in part.arrays().items():
            np.testing.assert_array_equal(array, whole.arrays()[name][first : first + n])
    other_key = model.simulate(512, 2500, grid, seed=11, key="fleet/1")
    assert not np.array_equal(other_key.gpus_in_service, whole.gpus_in_service)
    frame = whole.to_frame()
    assert len(frame) == 2500 * grid.n_periods
    assert frame["gpus_in_service"].iloc[grid.n_periods] == whole.gpus_in_service[1, 0]


# --------------------------------------------------------------------------- accelerators


def test_accelerator_multiplier_scales_only_the_hbm_share() -> None:
    # Llama 3: 72 of 419 unexpected interruptions were HBM3; Delta: A100 memory errors are
    # 1 / 3.2 of H100's. 1 + (72/419)(1/3.2 - 1) = 1 - 0.171838 x 0.6875 = 0.881861
    assert HBM_ERROR_MULTIPLIER["ampere"] == pytest.approx(1 / 3.2)
    assert interruption_multiplier("nvidia-a100-80gb-sxm") == pytest.approx(0.881861, abs=1e-6)
    assert interruption_multiplier("nvidia-h100-sxm") == 1.0
    assert interruption_multiplier("amd-mi300x") == 1.0  # no public comparison: baseline
    model = FailureModel.for_accelerator("nvidia-a800-sxm")
    assert model.interruption_rate_per_gpu_year == pytest.approx(0.17 * 0.881861, abs=1e-6)
    assert model.permanent_failure_rate_per_gpu_year == DEFAULT_PERMANENT_FAILURE_RATE
    with pytest.raises(ValidationError) as err:
        FailureModel.for_accelerator("nvidia-h100")
    assert err.value.fields == ("accelerator_id",)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("interruption_rate_per_gpu_year", -0.1),
        ("interruption_rate_per_gpu_year", math.nan),
        ("interruption_rate_per_gpu_year", 17.0),  # a percentage typed as a rate
        ("permanent_failure_rate_per_gpu_year", -0.01),
        ("permanent_failure_rate_per_gpu_year", 4.0),
        ("permanent_failure_rate_per_gpu_year", math.inf),
        ("mean_downtime_hours", -1.0),
        ("repair_cost_per_interruption", -5.0),
        ("repair_cost_per_interruption", math.nan),
    ],
)
def test_bad_parameters_are_rejected(field: str, bad: float) -> None:
    with pytest.raises(ValidationError) as err:
        FailureModel(**{field: bad})
    assert err.value.fields == (f"FailureModel.{field}",)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"gpus": -1}, "gpus"),
        ({"gpus": 8.0}, "gpus"),
        ({"gpus": True}, "gpus"),
        ({"n_paths": 0}, "n_paths"),
        ({"seed": -1}, "seed"),
        ({"first_path": -1}, "first_path"),
        ({"key": ""}, "key"),
        ({"key": "has space"}, "key"),
        ({"grid": None}, "grid"),
    ],
)
def test_bad_simulation_arguments(grid: PeriodGrid, kwargs: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {"gpus": 8, "n_paths": 10, "grid": grid, "seed": 1, "key": "g"}
    with pytest.raises(ValidationError) as err:
        FailureModel().simulate(**{**args, **kwargs})
    assert err.value.fields == (field,)
    with pytest.raises(ValidationError) as err:
        FailureModel().expected_gpus_in_service(-5, grid)
    assert err.value.fields == ("gpus",)
