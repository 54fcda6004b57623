"""Rate shift model: OU moments, discount multipliers, calibration, decimal-rate checks.

Statistical checks use fixed seeds and 4 standard errors (20,000 paths): a correct model
misses one comparison with probability about 6e-5.
"""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from computefin.errors import ValidationError
from computefin.risk._random import draw_paths
from computefin.risk.grid import PeriodGrid, period_grid
from computefin.risk.scenarios import RateShiftModel
from computefin.risk.scenarios._ou import ou_paths

N_PATHS = 20_000


@pytest.fixture(scope="module")
def grid() -> PeriodGrid:
    return period_grid(dt.date(2026, 6, 30), 120)


def end_times(grid: PeriodGrid) -> np.ndarray:
    return (grid.end_dates - np.datetime64(grid.as_of)).astype(float) / 365.0


@pytest.mark.parametrize(("kappa", "sigma"), [(0.1, 0.01), (0.0, 0.008), (2.0, 0.02)])
def test_simulated_moments_match_the_ou(grid: PeriodGrid, kappa: float, sigma: float) -> None:
    m = RateShiftModel(kappa=kappa, sigma=sigma)
    shifts = m.simulate(N_PATHS, grid, seed=8)
    assert shifts.shape == (N_PATHS, grid.n_periods)
    assert shifts.dtype == np.float64
    t = end_times(grid)
    var = sigma**2 * t if kappa == 0 else sigma**2 * -np.expm1(-2 * kappa * t) / (2 * kappa)
    assert np.all(np.abs(shifts.mean(axis=0) - m.expected(grid)) < 4.0 * np.sqrt(var / N_PATHS))
    se_var = var * math.sqrt(2.0 / (N_PATHS - 1))
    assert np.all(np.abs(shifts.var(axis=0, ddof=1) - var) < 4.0 * se_var)


@pytest.mark.parametrize(("kappa", "sigma"), [(0.1, 0.01), (0.0, 0.02), (1.5, 0.03)])
def test_expected_discount_multipliers_match_simulation(
    grid: PeriodGrid, kappa: float, sigma: float
) -> None:
    """Trapezoid multipliers average to the continuous closed form within 4 se.

    The trapezoid rule's error on a monthly grid has variance about sigma^2 d^2 t / 12,
    below 1e-6 here: invisible next to the Monte Carlo error.
    """
    m = RateShiftModel(kappa=kappa, sigma=sigma)
    multipliers = RateShiftModel.discount_multipliers(m.simulate(N_PATHS, grid, seed=9), grid)
    se = multipliers.std(axis=0, ddof=1) / math.sqrt(N_PATHS)
    gap = np.abs(multipliers.mean(axis=0) - m.expected_discount_multipliers(grid))
    assert np.all(gap < 4.0 * se)


def test_expected_discount_multiplier_formula_is_continuous_in_kappa() -> None:
    g = period_grid(dt.date(2026, 1, 1), 360, "annual")
    at_zero = RateShiftModel(kappa=0.0, sigma=0.01).expected_discount_multipliers(g)
    tiny = RateShiftModel(kappa=1e-13, sigma=0.01).expected_discount_multipliers(g)
    np.testing.assert_allclose(tiny, at_zero, rtol=1e-11)  # kappa t <= 3e-12 moves V that little
    # against an exact-rational evaluation, on both sides of the switch from the Taylor
    # series (kappa t < 0.1) to the closed form, where the closed form would cancel
    t = float(end_times(g)[0])
    for x in (1e-6, 1e-3, 0.05, 0.0999, 0.1001, 0.5, 3.0):
        m = RateShiftModel(kappa=x / t, sigma=0.2)
        reference = math.exp(0.5 * 0.04 * t**3 * exact_shape(x))
        assert m.expected_discount_multipliers(g)[0] == pytest.approx(reference, rel=1e-14)


def exact_shape(x: float) -> float:
    """(x + 2 (e^-x - 1) - (e^-2x - 1) / 2) / x^3 in exact rationals (60 Taylor terms)."""
    q = Fraction(x)
    total = q
    for k in range(1, 60):
        total += Fraction(2 * (-1) ** k, math.factorial(k)) * q**k
        total -= Fraction((-2) ** k, 2 * math.factorial(k)) * q**k
    return float(total / q**3)


def test_discount_multiplier_rules_by_hand() -> None:
    g = period_grid(dt.date(2026, 1, 1), 36, "annual")
    d = np.diff(end_times(g), prepend=0.0)
    r = np.array([[0.01, 0.03, -0.02]])
    trap = RateShiftModel.discount_multipliers(r, g)
    left = RateShiftModel.discount_multipliers(r, g, rule="left")
    right = RateShiftModel.discount_multipliers(r, g, rule="right")
    area_trap = np.cumsum([0.005 * d[0], 0.02 * d[1], 0.005 * d[2]])
    area_left = np.cumsum([0.0, 0.01 * d[1], 0.03 * d[2]])
    area_right = np.cumsum(r[0] * d)
    np.testing.assert_allclose(trap[0], np.exp(-area_trap), rtol=1e-14)
    np.testing.assert_allclose(left[0], np.exp(-area_left), rtol=1e-14)
    np.testing.assert_allclose(right[0], np.exp(-area_right), rtol=1e-14)
    assert RateShiftModel.discount_multipliers(np.zeros(3), g).tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    ("shifts", "kwargs", "field"),
    [
        (np.full((2, 3), 2.5), {}, "shifts"),  # 2.5 means 250%: a percentage typed in
        (np.zeros((2, 4)), {}, "shifts"),
        (np.array([np.nan, 0.0, 0.0]), {}, "shifts"),
        (np.zeros(3), {"rule": "midpoint"}, "rule"),
    ],
)
def test_discount_multiplier_errors(shifts: np.ndarray, kwargs: dict[str, Any], field: str) -> None:
    g = period_grid(dt.date(2026, 1, 1), 36, "annual")
    with pytest.raises(ValidationError) as err:
        RateShiftModel.discount_multipliers(shifts, g, **kwargs)
    assert err.value.fields == (field,)


def test_reproducible_and_chunkable(grid: PeriodGrid) -> None:
    m = RateShiftModel()
    whole = m.simulate(2100, grid, seed=12)
    assert whole.tobytes() == m.simulate(2100, grid, seed=12).tobytes()
    assert m.simulate(100, grid, seed=12, first_path=2000).tobytes() == whole[2000:].tobytes()


def test_defaults_are_the_documented_ones() -> None:
    m = RateShiftModel()
    assert (m.kappa, m.sigma, m.component) == (0.10, 0.01, "rates")


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("sigma", 1.0, "percentage"),
        ("sigma", -0.01, "greater than or equal"),
        ("kappa", -0.1, "greater than or equal"),
        ("kappa", float("inf"), "finite"),
    ],
)
def test_bad_parameters(field: str, value: float, match: str) -> None:
    with pytest.raises(ValidationError, match=match) as err:
        RateShiftModel(**{field: value})
    assert err.value.fields == (f"RateShiftModel.{field}",)


# --- calibration ----------------------------------------------------------------------------


def rate_history(n: int, kappa: float, sigma: float, level: float, seed: int) -> pd.Series:
    steps = np.full(n - 1, 1.0 / 365.0)
    cols = -(-(n - 1) // 1024)  # one block of short rows, read as one long path
    block = draw_paths(
        seed, "test/rate-history", 1024, lambda rng, k: rng.standard_normal((k, cols))
    )
    x = ou_paths(level, level, kappa, sigma, steps, block.ravel()[None, : n - 1])[0]
    index = pd.date_range("1900-01-01", periods=n, freq="D")
    return pd.Series(np.concatenate([[level], x]), index=index)


def test_calibration_recovers_kappa_and_sigma() -> None:
    history = rate_history(73_000, kappa=1.0, sigma=0.012, level=0.025, seed=3)  # 200 years
    m = RateShiftModel.calibrate(history)
    assert m.calibration is not None
    se = m.calibration.standard_errors
    for name, truth, limit in (("kappa", 1.0, 0.15), ("sigma", 0.012, 1e-4)):
        error = se[name]
        assert error is not None
        assert error < limit
        assert abs(getattr(m, name) - truth) < 4.0 * error
    level_se = se["long_run_level"]
    assert level_se is not None
    assert abs(m.calibration.estimates["long_run_level"] - 0.025) < 4.0 * level_se


def test_calibration_with_kappa_fixed_estimates_sigma() -> None:
    history = rate_history(1500, kappa=0.1, sigma=0.01, level=0.02, seed=4)  # 4 years
    m = RateShiftModel.calibrate(history, kappa=0.1)
    assert m.kappa == 0.1
    assert m.calibration is not None
    error = m.calibration.standard_errors["sigma"]
    assert error is not None
    assert abs(m.sigma - 0.01) < 4.0 * error
    assert "kappa fixed" in m.calibration.method


def test_rates_as_percentages_are_rejected() -> None:
    history = rate_history(100, kappa=0.5, sigma=0.01, level=0.03, seed=5) * 100.0
    with pytest.raises(ValidationError, match="looks like a percentage") as err:
        RateShiftModel.calibrate(history)
    assert err.value.fields == ("history",)


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda s: s.iloc[:10], "needs at least 24 observations, got 10"),
        (lambda s: s.where(s.index != s.index[3]), "not a finite number"),
        (lambda s: s.set_axis(s.index[::-1]), "sorted ascending"),
    ],
)
def test_bad_rate_history(mutate: Any, match: str) -> None:
    history = rate_history(100, kappa=0.5, sigma=0.01, level=0.03, seed=6)
    with pytest.raises(ValidationError, match=match) as err:
        RateShiftModel.calibrate(mutate(history))
    assert err.value.fields == ("history",)


@settings(max_examples=30, deadline=None)
@given(kappa=st.floats(0.0, 50.0), sigma=st.floats(0.0, 0.2))
def test_never_nan(kappa: float, sigma: float) -> None:
    g = period_grid(dt.date(2026, 1, 1), 360, "quarterly")
    m = RateShiftModel(kappa=kappa, sigma=sigma)
    shifts = m.simulate(16, g, seed=1)
    assert np.isfinite(shifts).all()
    expected = m.expected_discount_multipliers(g)
    assert np.isfinite(expected).all()
    assert (expected >= 1.0).all()
