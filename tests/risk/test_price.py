"""GPU rental price model: closed-form mean vs simulation, reproducibility, calibration, errors.

Statistical checks use fixed seeds and 4 standard errors of the sample mean (20,000
paths): a correct model misses one comparison with probability about 6e-5, so the 420
period-by-period comparisons of ``expected()`` would all pass for about 97% of seeds;
with the fixed seeds here they pass every time.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from computefin.domain import demo_market
from computefin.errors import MarketDataError, ValidationError
from computefin.risk._random import draw_paths
from computefin.risk.grid import PeriodGrid, period_grid
from computefin.risk.scenarios import CalibrationReport, GpuPriceModel
from computefin.risk.scenarios._ou import ou_paths

N_PATHS = 20_000
AS_OF = dt.date(2026, 6, 30)


def model(**overrides: Any) -> GpuPriceModel:
    data: dict[str, Any] = {
        "accelerator_id": "nvidia-h100-sxm",
        "currency": "USD",
        "as_of": AS_OF,
        "level": 2.42,
    }
    data.update(overrides)
    return GpuPriceModel(**data)


@pytest.fixture(scope="module")
def grid() -> PeriodGrid:
    return period_grid(AS_OF, 60)


def assert_mean_within_4se(paths: np.ndarray, expected: np.ndarray) -> None:
    se = paths.std(axis=0, ddof=1) / math.sqrt(paths.shape[0])
    gap = np.abs(paths.mean(axis=0) - expected)
    assert np.all(gap <= 4.0 * se + 1e-12), float((gap / np.maximum(se, 1e-300)).max())


# --- expected() against simulation -----------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"x0": -0.35, "long_run_mean": 0.1, "kappa": 1.5, "sigma": 0.45},
        {"kappa": 0.0, "sigma": 0.2, "x0": 0.2},
        {"successor_launch": dt.date(2027, 9, 1), "successor_step": 0.25},
        {"jump_intensity": 2.0, "jump_mean": -0.1, "jump_std": 0.15},
        {"jump_intensity": 0.5, "jump_mean": 0.3, "jump_std": 0.2, "kappa": 0.0},
        {"jump_intensity": 4.0, "jump_mean": -0.05, "jump_std": 0.0, "kappa": 3.0, "x0": 0.3},
    ],
)
def test_expected_matches_simulated_mean(grid: PeriodGrid, overrides: dict[str, Any]) -> None:
    m = model(**overrides)
    paths = m.simulate(N_PATHS, grid, seed=2026)
    assert paths.shape == (N_PATHS, grid.n_periods)
    assert paths.dtype == np.float64
    assert np.isfinite(paths).all()
    assert (paths > 0).all()
    assert_mean_within_4se(paths, m.expected(grid))


def test_zero_volatility_path_is_the_trend(grid: PeriodGrid) -> None:
    m = model(sigma=0.0, x0=0.1, successor_launch=dt.date(2028, 1, 1))
    paths = m.simulate(3, grid, seed=1)
    np.testing.assert_allclose(paths, np.broadcast_to(m.expected(grid), paths.shape), rtol=1e-13)
    times = (grid.end_dates - np.datetime64(AS_OF)).astype(float) / 365.0
    step = np.where(grid.end_dates >= np.datetime64("2028-01-01"), 0.9, 1.0)
    decay = np.exp(0.1 * np.exp(-m.kappa * times))  # the deviation reverts to 0
    np.testing.assert_allclose(
        m.expected(grid), 2.42 * math.exp(-0.1) * np.exp(-0.18 * times) * step * decay, rtol=1e-13
    )


def test_starts_from_the_observed_spot() -> None:
    """P(0) = level whatever x0: the trend level is level e^{-x0}."""
    m = model(x0=0.4, sigma=0.0, trend_decline_per_year=0.0, kappa=50.0)
    assert m.trend_level == pytest.approx(2.42 * math.exp(-0.4))
    short = period_grid(AS_OF, 1)
    first = m.expected(short)[0]
    assert first < 2.42
    assert first > m.trend_level


# --- successor step ------------------------------------------------------------------------


def test_catalog_successor_after_as_of_steps_the_price_down() -> None:
    m = model(as_of=dt.date(2023, 1, 1), level=4.7, sigma=0.0, trend_decline_per_year=0.0)
    assert m.successor_launch_date() == dt.date(2023, 11, 13)  # H200 in the catalog
    g = period_grid(m.as_of, 12)
    stepped = g.end_dates >= np.datetime64("2023-11-13")
    np.testing.assert_allclose(m.trend(g), np.where(stepped, 0.9, 1.0))


def test_catalog_successor_before_as_of_is_already_in_the_level(grid: PeriodGrid) -> None:
    m = model(trend_decline_per_year=0.0)
    assert m.successor_launch_date() is None
    np.testing.assert_array_equal(m.trend(grid), np.ones(grid.n_periods))


def test_successor_launch_override_must_be_after_as_of() -> None:
    with pytest.raises(ValidationError) as err:
        model(successor_launch=AS_OF)
    assert err.value.fields == ("GpuPriceModel.successor_launch",)


# --- reproducibility --------------------------------------------------------------------------


def test_same_seed_same_numbers_bit_for_bit(grid: PeriodGrid) -> None:
    m = model(jump_intensity=1.0, jump_mean=-0.1, jump_std=0.1)
    a = m.simulate(1500, grid, seed=9)
    b = m.simulate(1500, grid, seed=9)
    assert a.tobytes() == b.tobytes()
    assert not np.array_equal(a, m.simulate(1500, grid, seed=10))


@pytest.mark.parametrize("jumps", [0.0, 2.0])
def test_chunks_equal_slices_of_the_whole(grid: PeriodGrid, jumps: float) -> None:
    m = model(jump_intensity=jumps, jump_mean=-0.1, jump_std=0.1)
    whole = m.simulate(3000, grid, seed=5)
    chunks = [
        m.simulate(n, grid, seed=5, first_path=a) for a, n in ((0, 700), (700, 1500), (2200, 800))
    ]
    assert np.concatenate(chunks).tobytes() == whole.tobytes()


def test_streams_are_per_accelerator_not_per_currency(grid: PeriodGrid) -> None:
    usd = model(sigma=0.3).simulate(50, grid, seed=3)
    cny = model(currency="CNY", level=17.2).simulate(50, grid, seed=3)
    np.testing.assert_allclose(cny / usd, 17.2 / 2.42, rtol=1e-12)  # same shocks
    h200 = model(accelerator_id="nvidia-h200-sxm").simulate(50, grid, seed=3)
    assert not np.allclose(h200 / usd, h200[0, 0] / usd[0, 0])


# --- from_market ----------------------------------------------------------------------------


def test_from_market_takes_the_spot_and_documented_defaults() -> None:
    market = demo_market()
    m = GpuPriceModel.from_market(market, "nvidia-h100-sxm", "USD")
    quote = market.gpu_price("nvidia-h100-sxm", "USD")
    assert (m.level, m.as_of, m.currency.value) == (quote.spot_per_gpu_hour, market.as_of, "USD")
    assert (m.trend_decline_per_year, m.sigma, m.successor_step) == (0.18, 0.30, 0.10)
    assert m.kappa == pytest.approx(math.log(2.0))  # half-life one year
    stressed = GpuPriceModel.from_market(
        market, "nvidia-h100-sxm", "USD", jump_intensity=1.0, jump_mean=-0.3
    )
    assert stressed.jump_intensity == 1.0


def test_from_market_errors() -> None:
    market = demo_market()
    with pytest.raises(MarketDataError, match="no rental price"):
        GpuPriceModel.from_market(market, "nvidia-h100-sxm", "EUR")
    with pytest.raises(ValidationError) as err:
        GpuPriceModel.from_market(market, "nvidia-h100-sxm", "USD", volatility=0.3)
    assert err.value.fields == ("GpuPriceModel.volatility",)


# --- calibration ----------------------------------------------------------------------------


def synthetic_history(
    *,
    years: int,
    freq: str,
    delta: float,
    step: float,
    launch_year: int,
    kappa: float,
    sigma: float,
    seed: int,
) -> tuple[pd.Series, dt.date]:
    """Weekly (or other) prices from the model's own law, with a successor step."""
    index = pd.date_range(
        "2030-01-07", periods=years * 52 if freq == "7D" else years * 12, freq=freq
    )
    t = (index - index[0]).days.to_numpy() / 365.0
    steps = np.diff(t, prepend=0.0)[1:]
    cols = -(-steps.size // 1024)  # one block of short rows, read as one long path
    block = draw_paths(
        seed, "test/price-history", 1024, lambda rng, n: rng.standard_normal((n, cols))
    )
    shocks = block.ravel()[None, : steps.size]
    x = np.concatenate([[0.0], ou_paths(0.0, 0.0, kappa, sigma, steps, shocks)[0]])
    launch = dt.date(2030 + launch_year, 3, 1)
    stepped = index >= pd.Timestamp(launch)
    log_p = math.log(3.0) - delta * t + math.log(1.0 - step) * stepped + x
    return pd.Series(np.exp(log_p), index=index), launch


def test_calibration_recovers_trend_step_and_factor() -> None:
    truth = {"delta": 0.15, "step": 0.25, "kappa": 2.0, "sigma": 0.2}
    history, launch = synthetic_history(years=200, freq="7D", launch_year=100, seed=7, **truth)
    m = GpuPriceModel.calibrate(history, "nvidia-h100-sxm", successor_launch=launch)
    report = m.calibration
    assert isinstance(report, CalibrationReport)
    se = report.standard_errors
    fitted = {
        "delta": m.trend_decline_per_year,
        "step": m.successor_step,
        "kappa": m.kappa,
        "sigma": m.sigma,
    }
    names = {
        "delta": "trend_decline_per_year",
        "step": "successor_step",
        "kappa": "kappa",
        "sigma": "sigma",
    }
    # stated tolerances: within 4 standard errors, and those errors are small
    limits = {"delta": 0.002, "step": 0.03, "kappa": 0.25, "sigma": 0.005}
    for key, value in fitted.items():
        error = se[names[key]]
        assert error is not None, key
        assert error < limits[key], (key, error)
        assert abs(value - truth[key]) < 4.0 * error, (key, value, error)
    assert "successor dummy" in report.method
    assert m.as_of == history.index[-1].date()
    assert m.level == history.iloc[-1]
    trend_now = 3.0 * math.exp(-0.15 * (history.index[-1] - history.index[0]).days / 365) * 0.75
    assert m.trend_level == pytest.approx(trend_now, rel=0.05)  # x0 = the last residual


def test_calibration_on_monthly_dates_uses_the_exact_likelihood() -> None:
    truth = {"delta": 0.2, "step": 0.1, "kappa": 1.0, "sigma": 0.3}
    history, launch = synthetic_history(years=100, freq="MS", launch_year=50, seed=8, **truth)
    m = GpuPriceModel.calibrate(history, "nvidia-h100-sxm", successor_launch=launch)
    assert m.calibration is not None
    assert "mle-irregular" in m.calibration.method
    se = m.calibration.standard_errors
    for name, value in (("trend_decline_per_year", 0.2), ("kappa", 1.0), ("sigma", 0.3)):
        error = se[name]
        assert error is not None
        assert abs(m.model_dump()[name] - value) < 4.0 * error


def test_calibration_without_a_launch_inside_keeps_the_default_step() -> None:
    history, _ = synthetic_history(
        years=10, freq="MS", delta=0.18, step=0.0, launch_year=20, kappa=1.0, sigma=0.3, seed=9
    )
    m = GpuPriceModel.calibrate(history, "nvidia-h100-sxm", successor_step=0.2)
    assert m.successor_step == 0.2
    assert m.calibration is not None
    assert "successor_step" not in m.calibration.estimates
    future = GpuPriceModel.calibrate(
        history, "nvidia-h100-sxm", successor_launch=dt.date(2045, 1, 1)
    )
    assert future.successor_launch == dt.date(2045, 1, 1)


def test_calibrated_model_round_trips_through_json() -> None:
    history, _ = synthetic_history(
        years=5, freq="MS", delta=0.18, step=0.0, launch_year=20, kappa=1.0, sigma=0.3, seed=10
    )
    m = GpuPriceModel.calibrate(history, "nvidia-h100-sxm")
    assert GpuPriceModel.model_validate_json(m.model_dump_json()) == m
    frame = m.calibration.to_frame() if m.calibration else None
    assert frame is not None
    assert "kappa" in frame.index


# --- bad input ------------------------------------------------------------------------------


def good_history(n: int = 36) -> pd.Series:
    index = pd.date_range("2023-01-01", periods=n, freq="MS")
    return pd.Series(
        4.0 * np.exp(-0.02 * np.arange(n) + 0.05 * np.sin(np.arange(n) / 3)), index=index
    )


@pytest.mark.parametrize(
    ("history", "match"),
    [
        (good_history().where(lambda s: s.index != s.index[5]), "not a finite number"),
        (good_history() * np.where(np.arange(36) == 7, -1.0, 1.0), "prices must be positive"),
        (good_history() * np.where(np.arange(36) == 8, 0.0, 1.0), "prices must be positive"),
        (good_history(23), "needs at least 24 observations, got 23"),
        (good_history().iloc[::-1], "sorted ascending"),
        (pd.concat([good_history(), good_history().iloc[-1:]]), "duplicate timestamp"),
        (good_history().reset_index(drop=True), "DatetimeIndex"),
        (good_history().to_numpy(), "pandas Series"),
        (good_history().astype(str).where(lambda s: s.index != s.index[3], "n/a"), "numbers"),
    ],
)
def test_bad_history_is_rejected_naming_history(history: Any, match: str) -> None:
    with pytest.raises(ValidationError, match=match) as err:
        GpuPriceModel.calibrate(history, "nvidia-h100-sxm")
    assert err.value.fields == ("history",)


def test_unknown_accelerator_is_rejected() -> None:
    with pytest.raises(ValidationError) as err:
        GpuPriceModel.calibrate(good_history(), "nvidia-h100")
    assert err.value.fields == ("accelerator_id",)
    with pytest.raises(ValidationError, match="close known ids") as err:
        model(accelerator_id="nvidia-h100")
    assert err.value.fields[0].startswith("GpuPriceModel.accelerator_id")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("level", 0.0),
        ("successor_step", 1.0),
        ("kappa", -0.1),
        ("sigma", -0.1),
        ("jump_intensity", -1.0),
        ("jump_std", -0.1),
        ("trend_decline_per_year", 18.0),
        ("sigma", float("nan")),
        ("currency", "XXX"),
    ],
)
def test_bad_parameters_are_rejected_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as err:
        model(**{field: value})
    assert err.value.fields == (f"GpuPriceModel.{field}",)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"n_paths": 0}, "n_paths"),
        ({"n_paths": -5}, "n_paths"),
        ({"n_paths": 2.5}, "n_paths"),
        ({"n_paths": True}, "n_paths"),
        ({"seed": -1}, "seed"),
        ({"first_path": -1}, "first_path"),
    ],
)
def test_bad_simulation_requests(grid: PeriodGrid, kwargs: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {"n_paths": 10, "grid": grid, "seed": 1}
    args.update(kwargs)
    with pytest.raises(ValidationError) as err:
        model().simulate(**args)
    assert err.value.fields == (field,)


def test_grid_must_be_a_grid_not_before_as_of() -> None:
    with pytest.raises(ValidationError) as err:
        model().simulate(10, "monthly", seed=1)  # type: ignore[arg-type]
    assert err.value.fields == ("grid",)
    with pytest.raises(ValidationError, match="before the model's as_of"):
        model().expected(period_grid(dt.date(2026, 1, 1), 12))
    later = period_grid(dt.date(2026, 12, 31), 12)  # a later grid projects from as_of
    t = (dt.date(2027, 1, 31) - AS_OF).days / 365.0
    variance = 0.09 * -math.expm1(-2.0 * math.log(2.0) * t) / (2.0 * math.log(2.0))
    closed = 2.42 * math.exp(-0.18 * t + 0.5 * variance)
    assert model().expected(later)[0] == pytest.approx(closed, rel=1e-13)


@settings(max_examples=30, deadline=None)
@given(
    kappa=st.floats(0.0, 20.0),
    sigma=st.floats(0.0, 2.0),
    x0=st.floats(-2.0, 2.0),
    lam=st.floats(0.0, 10.0),
    jump_mean=st.floats(-1.0, 1.0),
    jump_std=st.floats(0.0, 1.0),
)
def test_never_nan(
    kappa: float, sigma: float, x0: float, lam: float, jump_mean: float, jump_std: float
) -> None:
    m = model(
        kappa=kappa, sigma=sigma, x0=x0, jump_intensity=lam, jump_mean=jump_mean, jump_std=jump_std
    )
    g = period_grid(AS_OF, 24, "quarterly")
    paths = m.simulate(20, g, seed=0)
    assert np.isfinite(paths).all()
    assert (paths > 0).all()
    expected = m.expected(g)
    assert np.isfinite(expected).all()
    assert (expected > 0).all()
