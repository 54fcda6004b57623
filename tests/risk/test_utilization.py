"""Spot utilization (logit-OU) and the occupancy feed reader.

Statistical checks use fixed seeds and 4 standard errors of the sample mean (20,000
paths): a correct model misses one comparison with probability about 6e-5.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from computefin.domain import AcceleratorCatalog, catalog, use_catalog
from computefin.errors import ValidationError
from computefin.risk._random import draw_paths
from computefin.risk.grid import PeriodGrid, period_grid
from computefin.risk.scenarios import (
    OCCUPANCY_COLUMNS,
    UtilizationModel,
    UtilizationPreset,
    occupancy_series,
    read_occupancy_csv,
)
from computefin.risk.scenarios._ou import logistic, ou_paths

DATA = Path(__file__).parent / "data"
N_PATHS = 20_000
HEADER = ",".join(OCCUPANCY_COLUMNS)


@pytest.fixture(scope="module")
def grid() -> PeriodGrid:
    return period_grid(dt.date(2026, 6, 30), 60)


# --- the model ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"theta": 0.3, "u0": 0.3, "kappa": 1.0, "sigma": 0.6},
        {"theta": 0.85, "u0": 0.4, "kappa": 2.0, "sigma": 0.6},
        {"theta": 0.05, "u0": 0.2, "kappa": 0.5, "sigma": 1.5},
        {"theta": 0.5, "u0": 0.9, "kappa": 0.0, "sigma": 0.8},
        {"theta": 0.3, "u0": 0.1, "kappa": 1.0, "sigma": 3.5},  # wide: trapezoid branch
    ],
)
def test_expected_matches_simulated_mean(grid: PeriodGrid, overrides: dict[str, Any]) -> None:
    m = UtilizationModel(key="fleet-1", **overrides)
    paths = m.simulate(N_PATHS, grid, seed=77)
    assert paths.shape == (N_PATHS, grid.n_periods)
    assert paths.dtype == np.float64
    assert ((paths > 0.0) & (paths < 1.0)).all()
    se = paths.std(axis=0, ddof=1) / math.sqrt(N_PATHS)
    assert np.all(np.abs(paths.mean(axis=0) - m.expected(grid)) <= 4.0 * se + 1e-12)


def test_zero_volatility_is_the_deterministic_logit_path(grid: PeriodGrid) -> None:
    m = UtilizationModel(key="x", theta=0.8, u0=0.2, kappa=1.3, sigma=0.0)
    times = (grid.end_dates - np.datetime64(grid.as_of)).astype(float) / 365.0

    def logit(u: float) -> float:
        return math.log(u / (1.0 - u))

    y = logit(0.8) + (logit(0.2) - logit(0.8)) * np.exp(-1.3 * times)
    np.testing.assert_allclose(m.expected(grid), 1.0 / (1.0 + np.exp(-y)), rtol=1e-12)
    np.testing.assert_allclose(m.simulate(2, grid, seed=1)[0], 1.0 / (1.0 + np.exp(-y)), rtol=1e-12)


def test_as_of_before_the_grid_projects_from_as_of(grid: PeriodGrid) -> None:
    dated = UtilizationModel(
        key="x", theta=0.8, u0=0.2, kappa=1.0, sigma=0.0, as_of=dt.date(2025, 6, 30)
    )
    undated = dated.model_copy(update={"as_of": None})
    assert (dated.expected(grid) > undated.expected(grid)).all()  # a year closer to 0.8


@settings(max_examples=40, deadline=None)
@given(
    theta=st.floats(1e-9, 1.0 - 1e-9),
    u0=st.floats(1e-9, 1.0 - 1e-9),
    kappa=st.floats(0.0, 50.0),
    sigma=st.floats(0.0, 5.0),
)
def test_always_strictly_inside_the_unit_interval(
    theta: float, u0: float, kappa: float, sigma: float
) -> None:
    m = UtilizationModel(key="x", theta=theta, u0=u0, kappa=kappa, sigma=sigma)
    g = period_grid(dt.date(2026, 1, 1), 360, "annual")
    paths = m.simulate(64, g, seed=0)
    assert ((paths > 0.0) & (paths < 1.0)).all()
    expected = m.expected(g)
    assert np.isfinite(expected).all()
    assert ((expected > 0.0) & (expected < 1.0)).all()


def test_reproducible_and_chunkable(grid: PeriodGrid) -> None:
    m = UtilizationModel.preset("training-cluster", key="CN-SH-LG-0042")
    whole = m.simulate(2500, grid, seed=4)
    assert whole.tobytes() == m.simulate(2500, grid, seed=4).tobytes()
    part = m.simulate(600, grid, seed=4, first_path=1000)
    assert part.tobytes() == whole[1000:1600].tobytes()
    other = m.model_copy(update={"key": "CN-SH-LG-0043"}).simulate(2500, grid, seed=4)
    assert not np.array_equal(whole, other)  # each key its own stream


def test_presets_follow_the_documented_figures() -> None:
    assert UtilizationPreset.CHINA_INTELLIGENT_COMPUTE.theta == 0.30
    assert 0.80 <= UtilizationPreset.TRAINING_CLUSTER.theta <= 0.90
    assert UtilizationPreset.ENTERPRISE_KUBERNETES.theta == 0.05
    m = UtilizationModel.preset("china-intelligent-compute", key="k", u0=0.1)
    assert (m.theta, m.u0, m.kappa, m.sigma) == (0.30, 0.1, 1.0, 0.6)
    with pytest.raises(ValueError, match="not a valid UtilizationPreset"):
        UtilizationModel.preset("gpu-farm", key="k")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("theta", 0.0),
        ("theta", 1.0),
        ("theta", 30.0),
        ("u0", -0.1),
        ("kappa", -1.0),
        ("sigma", float("nan")),
        ("key", "has space"),
    ],
)
def test_bad_parameters_are_rejected(field: str, value: object) -> None:
    data: dict[str, Any] = {"key": "k", "theta": 0.3, "u0": 0.3}
    data[field] = value
    with pytest.raises(ValidationError) as err:
        UtilizationModel(**data)
    assert err.value.fields == (f"UtilizationModel.{field}",)


def test_zero_paths_are_rejected(grid: PeriodGrid) -> None:
    with pytest.raises(ValidationError) as err:
        UtilizationModel(key="k", theta=0.3, u0=0.3).simulate(0, grid, seed=1)
    assert err.value.fields == ("n_paths",)


# --- calibration ----------------------------------------------------------------------------


def test_calibration_recovers_parameters() -> None:
    theta, kappa, sigma = 0.3, 3.0, 0.6
    n = 36_500  # 100 years of daily shares
    steps = np.full(n - 1, 1.0 / 365.0)
    cols = -(-(n - 1) // 1024)  # one block of short rows, read as one long path
    block = draw_paths(31, "test/util-history", 1024, lambda rng, k: rng.standard_normal((k, cols)))
    shocks = block.ravel()[None, : n - 1]
    y0 = math.log(theta / (1 - theta))
    y = np.concatenate([[y0], ou_paths(y0, y0, kappa, sigma, steps, shocks)[0]])
    index = pd.date_range("1950-01-01", periods=n, freq="D")
    m = UtilizationModel.calibrate(pd.Series(logistic(y), index=index), key="R-1")
    assert m.calibration is not None
    se = m.calibration.standard_errors
    for name, truth, limit in (
        ("theta", theta, 0.01),
        ("kappa", kappa, 0.3),
        ("sigma", sigma, 0.01),
    ):
        error = se[name]
        assert error is not None, name
        assert error < limit, (name, error)
        assert abs(getattr(m, name) - truth) < 4.0 * error, (name, getattr(m, name), error)
    assert m.as_of == index[-1].date()
    assert m.key == "R-1"
    assert m.u0 == pytest.approx(float(logistic(y[-1:])[0]))


def test_calibration_clips_zero_and_one() -> None:
    index = pd.date_range("2020-01-01", periods=60, freq="MS")
    shares = np.clip(0.5 + 0.6 * np.sin(np.arange(60) / 8.0), 0.0, 1.0)
    m = UtilizationModel.calibrate(pd.Series(shares, index=index), key="k", eps=0.01)
    assert 0.01 <= m.u0 <= 0.99
    assert m.calibration is not None
    assert any("clipped" in note for note in m.calibration.notes)


def test_calibration_rejects_fits_beyond_the_bounds() -> None:
    index = pd.date_range("2026-01-01", periods=60, freq="D")
    jumpy = np.clip(0.5 + 0.6 * np.sin(np.arange(60) / 8.0), 0.0, 1.0)
    with pytest.raises(ValidationError, match="coarser frequency") as err:
        UtilizationModel.calibrate(pd.Series(jumpy, index=index), key="k", eps=0.01)
    assert err.value.fields == ("history",)


def shares(n: int = 40) -> pd.Series:
    index = pd.date_range("2026-01-01", periods=n, freq="D")
    return pd.Series(0.3 + 0.05 * np.sin(np.arange(n) / 5.0), index=index, name="R-1")


@pytest.mark.parametrize(
    ("history", "match"),
    [
        (shares() * 100.0, "looks like a percentage"),
        (shares() - 0.5, r"share in \[0, 1\]"),
        (shares().where(lambda s: s.index != s.index[4]), "not a finite number"),
        (shares(20), "needs at least 24 observations, got 20"),
        (shares().iloc[::-1], "sorted ascending"),
    ],
)
def test_bad_history_is_rejected(history: pd.Series, match: str) -> None:
    with pytest.raises(ValidationError, match=match) as err:
        UtilizationModel.calibrate(history)
    assert err.value.fields == ("history",)


def test_calibration_needs_a_key() -> None:
    with pytest.raises(ValidationError) as err:
        UtilizationModel.calibrate(shares().rename(None))
    assert err.value.fields == ("key",)
    with pytest.raises(ValidationError) as err:
        UtilizationModel.calibrate(shares(), eps=0.5)
    assert err.value.fields == ("eps",)


# --- the occupancy feed ---------------------------------------------------------------------


def test_reads_the_fixture_feed() -> None:
    frame = read_occupancy_csv(DATA / "occupancy_feed.csv")
    assert list(frame.columns) == list(OCCUPANCY_COLUMNS)
    assert len(frame) == 360
    assert frame["gpus_total"].dtype == np.int64
    assert frame["gpus_busy"].dtype == np.int64
    assert pd.api.types.is_datetime64_any_dtype(frame["timestamp"])
    assert frame["timestamp"].dt.tz is None
    assert set(frame["resource_id"]) == {"CN-NX-ZW-0001-A", "CN-GZ-GA-0107-A"}
    assert frame.iloc[0].to_dict() | {"timestamp": None} == {
        "timestamp": None,
        "resource_id": "CN-NX-ZW-0001-A",
        "provider": "zhongwei-dc",
        "region": "Ningxia",
        "accelerator": "nvidia-h20",
        "gpus_total": 512,
        "gpus_busy": 154,
    }


def test_occupancy_series_is_gpu_weighted() -> None:
    frame = read_occupancy_csv(DATA / "occupancy_feed.csv")
    daily = occupancy_series(frame, "CN-GZ-GA-0107-A")
    assert len(daily) == 45
    assert daily.name == "CN-GZ-GA-0107-A"
    day = frame.loc[
        (frame["resource_id"] == "CN-GZ-GA-0107-A")
        & (frame["timestamp"].dt.date == dt.date(2026, 4, 21))
    ]
    assert day["gpus_total"].iloc[0] == 192  # the maintenance window
    assert daily.loc["2026-04-21"] == day["gpus_busy"].sum() / day["gpus_total"].sum()
    both = occupancy_series(frame, ["CN-GZ-GA-0107-A", "CN-NX-ZW-0001-A"], freq="W")
    week = frame.loc[frame["timestamp"] < pd.Timestamp("2026-04-06")]  # W ends on Sundays
    assert both.iloc[0] == week["gpus_busy"].sum() / week["gpus_total"].sum()


def test_from_occupancy_calibrates_on_the_feed() -> None:
    frame = read_occupancy_csv(DATA / "occupancy_feed.csv")
    m = UtilizationModel.from_occupancy(frame, "CN-NX-ZW-0001-A")
    assert m.key == "CN-NX-ZW-0001-A"
    assert m.as_of == dt.date(2026, 5, 15)
    assert 0.2 < m.theta < 0.4
    assert m.calibration is not None
    assert m.calibration.n_observations == 45


def test_occupancy_series_errors() -> None:
    frame = read_occupancy_csv(DATA / "occupancy_feed.csv")
    with pytest.raises(ValidationError, match="no rows") as err:
        occupancy_series(frame, "CN-XX-0000")
    assert err.value.fields == ("resource_id",)
    with pytest.raises(ValidationError) as err:
        occupancy_series(frame, "CN-NX-ZW-0001-A", freq="fortnightly")
    assert err.value.fields == ("freq",)
    with pytest.raises(ValidationError) as err:
        occupancy_series(frame.drop(columns="gpus_busy"), "CN-NX-ZW-0001-A")
    assert err.value.fields == ("frame",)


def test_bad_rows_name_file_line_and_column() -> None:
    path = DATA / "occupancy_bad.csv"
    with pytest.raises(ValidationError) as err:
        read_occupancy_csv(path)
    where = {p.field.split(" line ")[1] for p in err.value.problems}
    assert where == {
        "3: gpus_busy",  # 600 busy of 512
        "4: gpus_total",  # negative total
        "5: accelerator",  # unknown id
        "6: timestamp",  # 31 April
        "7: gpus_busy",  # negative busy
        "8: gpus_total",  # 512.5 cards
        "9: timestamp",  # repeats line 2
    }
    assert all(p.field.startswith(str(path)) for p in err.value.problems)
    reasons = {p.field.split(" line ")[1]: p.reason for p in err.value.problems}
    assert "exceeds gpus_total (512)" in reasons["3: gpus_busy"]
    assert "close known ids" in reasons["5: accelerator"]
    assert "repeats line 2" in reasons["9: timestamp"]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feed.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "where", "match"),
    [
        ("", "line 1", "empty file"),
        (
            "timestamp,resource_id,provider,region,accelerator,gpus_total\n"
            "2026-01-01,R,p,r,nvidia-h20,8\n",
            "line 1",
            "missing columns: gpus_busy",
        ),
        (HEADER + "\n2026-01-01,R,p,r,nvidia-h20,8\n", "line 2: row", "has 6 values"),
        (HEADER + "\n2026-01-01,R 1,p,r,nvidia-h20,8,1\n", "line 2: resource_id", "letters"),
        (HEADER + "\n2026-01-01,R,,r,nvidia-h20,8,1\n", "line 2: provider", "empty"),
        (HEADER + "\n2026-01-01,R,p,r,nvidia-h20,0,0\n", "line 2: gpus_total", "from 1"),
        (HEADER + "\n2026-01-01,R,p,r,nvidia-h20,8,x\n", "line 2: gpus_busy", "whole number"),
        (
            HEADER + "\n2026-01-01T00:00+08:00,R,p,r,nvidia-h20,8,1\n"
            "2026-01-02T00:00,R,p,r,nvidia-h20,8,1\n",
            "line 3: timestamp",
            "UTC offset",
        ),
    ],
)
def test_feed_errors(tmp_path: Path, text: str, where: str, match: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ValidationError, match=match) as err:
        read_occupancy_csv(path)
    assert err.value.problems[0].field == f"{path} {where}"


def test_offsets_become_utc_and_extra_columns_are_ignored(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "note," + HEADER + "\n"
        "x,2026-01-01T08:00+08:00,R,p,r,nvidia-h20,8,2\n"
        "y,2026-01-02T00:00Z,R,p,r,nvidia-h20,8,4\n",
    )
    frame = read_occupancy_csv(path)
    assert list(frame.columns) == list(OCCUPANCY_COLUMNS)
    assert str(frame["timestamp"].dt.tz) == "UTC"
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2026-01-01T00:00Z")
    assert occupancy_series(frame, "R").tolist() == [0.25, 0.5]


def test_feed_accelerators_follow_the_active_catalog(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "\n2026-01-01,R,p,r,nvidia-h100-sxm,8,1\n")
    assert len(read_occupancy_csv(path)) == 1
    with (
        use_catalog(AcceleratorCatalog([catalog()["nvidia-h20"]])),
        pytest.raises(ValidationError, match="unknown accelerator id"),
    ):
        read_occupancy_csv(path)


def test_many_problems_are_capped(tmp_path: Path) -> None:
    rows = "".join(
        f"2026-01-{1 + i % 28:02d}T{i // 28:02d}:00,R,p,r,nvidia-h20,8,9\n" for i in range(120)
    )
    with pytest.raises(ValidationError, match="and 70 more problems") as err:
        read_occupancy_csv(write(tmp_path, HEADER + "\n" + rows))
    assert len(err.value.problems) == 51


def test_missing_file_is_a_validation_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as err:
        read_occupancy_csv(tmp_path / "nope.csv")
    assert err.value.fields == ("path",)
