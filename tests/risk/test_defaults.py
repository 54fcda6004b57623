"""Counterparty default model: marginals, correlation, calibration, reproducibility, errors.

Statistical checks use fixed seeds and tolerances of 4 standard errors unless stated: for
a correct model each check fails with probability about 6e-5, so a failure means a bug.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.stats import multivariate_normal, norm

from computefin.domain import Counterparty, MarketSnapshot, PdEntry
from computefin.errors import ValidationError
from computefin.risk.grid import PeriodGrid, period_grid
from computefin.risk.scenarios.defaults import (
    DEFAULT_ASSET_CORRELATION,
    DefaultModel,
    basel_corporate_correlation,
    hazard_rate,
    joint_default_probability,
    survival,
    vasicek_default_rate_variance,
)

N_PATHS = 20_000


@pytest.fixture(scope="module")
def grid() -> PeriodGrid:
    # 2026-01-01 + 12 months is 365 days: grid.times[11] == 1.0 exactly.
    return period_grid(dt.date(2026, 1, 1), 60)


def _binomial_se(p: float, n: int) -> float:
    return math.sqrt(p * (1.0 - p) / n)


def _bvn(p: float, rho: float) -> float:
    """Independent reference: scipy's bivariate normal CDF at (G(p), G(p))."""
    g = norm.ppf(p)
    cov = [[1.0, rho], [rho, 1.0]]
    return float(multivariate_normal.cdf([g, g], mean=[0.0, 0.0], cov=cov, abseps=1e-12))


# --------------------------------------------------------------------------- closed forms


def test_hazard_and_survival_closed_form(grid: PeriodGrid) -> None:
    h = hazard_rate(0.05)
    assert h == pytest.approx(-math.log(0.95), rel=1e-15)
    s = survival(0.05, grid)
    assert s.shape == (grid.n_periods,)
    np.testing.assert_allclose(s, np.exp(-h * grid.times), rtol=1e-15)
    assert grid.times[11] == 1.0
    assert s[11] == pytest.approx(0.95, rel=1e-14)  # one-year PD reproduced exactly
    assert (survival(1.0, grid) == 0.0).all()


@pytest.mark.parametrize(("p", "rho"), [(0.05, 0.2), (0.01, 0.12), (0.3, 0.5), (0.05, 0.0)])
def test_joint_default_probability_matches_scipy_bivariate_normal(p: float, rho: float) -> None:
    assert joint_default_probability(p, p, rho) == pytest.approx(_bvn(p, rho), abs=1e-9)
    assert vasicek_default_rate_variance(p, rho) == pytest.approx(_bvn(p, rho) - p * p, abs=1e-9)


def test_basel_correlation_range() -> None:
    assert basel_corporate_correlation(1e-9) == pytest.approx(0.24, abs=1e-7)
    assert basel_corporate_correlation(0.5) == pytest.approx(0.12, abs=1e-10)
    # The documented default is Basel's R at a PD near 1%.
    assert abs(basel_corporate_correlation(0.01) - DEFAULT_ASSET_CORRELATION) < 0.01


# --------------------------------------------------------------------------- simulation


def test_marginal_default_probability_by_horizon(grid: PeriodGrid) -> None:
    pds = {"lab-a": 0.05, "neo-b": 0.30}
    times = DefaultModel(asset_correlation=0.2).simulate(pds, N_PATHS, grid, seed=20260101)
    for cp, pd_1y in pds.items():
        expected = 1.0 - survival(pd_1y, grid)
        tau = times.default_time_years[cp]
        observed = (tau[:, None] <= grid.times[None, :]).mean(axis=0)
        se = np.sqrt(expected * (1.0 - expected) / N_PATHS)
        assert (np.abs(observed - expected) <= 4.0 * se).all(), cp
        # default_period and alive agree with the times
        np.testing.assert_array_equal(
            times.default_period[cp], np.searchsorted(grid.times, tau, side="right")
        )
        np.testing.assert_array_equal(
            (~times.alive(cp)).mean(axis=0), (tau[:, None] < grid.times).mean(axis=0)
        )


def test_default_count_variance_matches_vasicek(grid: PeriodGrid) -> None:
    names, p, rho = 20, 0.05, 0.2
    pds = {f"cp-{i:02d}": p for i in range(names)}
    times = DefaultModel(asset_correlation=rho).simulate(pds, N_PATHS, grid, seed=7)
    count = times.default_count()[:, 11].astype(np.float64)  # defaults within one year
    var_hat = count.var(ddof=1)
    m4 = ((count - count.mean()) ** 4).mean()
    se_var = math.sqrt((m4 - var_hat**2) / N_PATHS)  # standard error of a sample variance
    binomial = names * p * (1.0 - p)
    vasicek = binomial + names * (names - 1) * (_bvn(p, rho) - p * p)
    assert var_hat > binomial + 4.0 * se_var
    assert abs(var_hat - vasicek) <= 4.0 * se_var
    assert abs(count.mean() - names * p) <= 4.0 * math.sqrt(vasicek / N_PATHS)


def test_zero_correlation_gives_binomial_variance(grid: PeriodGrid) -> None:
    names, p = 20, 0.05
    pds = {f"cp-{i:02d}": p for i in range(names)}
    times = DefaultModel(asset_correlation=0.0).simulate(pds, N_PATHS, grid, seed=8)
    count = times.default_count()[:, 11].astype(np.float64)
    m4 = ((count - count.mean()) ** 4).mean()
    se_var = math.sqrt((m4 - count.var() ** 2) / N_PATHS)
    assert abs(count.var(ddof=1) - names * p * (1.0 - p)) <= 4.0 * se_var


def test_bit_identical_and_chunking_invariant(grid: PeriodGrid) -> None:
    model = DefaultModel()
    pds = {"a": 0.02, "b": 0.1, "c": 1.0}
    whole = model.simulate(pds, 3000, grid, seed=42)
    again = model.simulate(pds, 3000, grid, seed=42)
    for cp in pds:
        assert whole.default_time_years[cp].tobytes() == again.default_time_years[cp].tobytes()
    # chunks that straddle the 1,024-path blocks reproduce the whole run bit for bit
    for first, n in ((0, 1), (1000, 100), (1023, 1026), (2999, 1)):
        part = model.simulate(pds, n, grid, seed=42, first_path=first)
        for cp in pds:
            np.testing.assert_array_equal(
                part.default_time_years[cp], whole.default_time_years[cp][first : first + n]
            )
            np.testing.assert_array_equal(
                part.default_period[cp], whole.default_period[cp][first : first + n]
            )
    other = model.simulate(pds, 3000, grid, seed=43)
    assert not np.array_equal(other.default_time_years["a"], whole.default_time_years["a"])


def test_adding_a_counterparty_leaves_the_others_unchanged(grid: PeriodGrid) -> None:
    model = DefaultModel(asset_correlation=0.3)
    small = model.simulate({"b": 0.05, "d": 0.2}, 2048, grid, seed=3)
    large = model.simulate({"a": 0.01, "b": 0.05, "c": 0.5, "d": 0.2}, 2048, grid, seed=3)
    for cp in ("b", "d"):
        np.testing.assert_array_equal(small.default_time_years[cp], large.default_time_years[cp])
    assert large.counterparty_ids == ("a", "b", "c", "d")


def test_pd_stress_rescales_times_on_common_random_numbers(grid: PeriodGrid) -> None:
    model = DefaultModel(asset_correlation=0.25)
    base = model.simulate({"a": 0.05, "b": 0.02}, 1500, grid, seed=9)
    stressed = model.simulate({"a": 0.10, "b": 0.02}, 1500, grid, seed=9)
    ratio = hazard_rate(0.05) / hazard_rate(0.10)
    np.testing.assert_allclose(
        stressed.default_time_years["a"], base.default_time_years["a"] * ratio, rtol=1e-12
    )
    np.testing.assert_array_equal(stressed.default_time_years["b"], base.default_time_years["b"])


def test_paid_share_alive_and_default_period(grid: PeriodGrid) -> None:
    times = DefaultModel().simulate({"x": 0.5, "dead": 1.0}, 500, grid, seed=5)
    tau = times.default_time_years["x"]
    period = times.default_period["x"]
    share = times.paid_share("x")
    alive = times.alive("x")
    start = np.concatenate([[0.0], grid.times[:-1]])
    assert share.shape == alive.shape == (500, grid.n_periods)
    assert ((share >= 0.0) & (share <= 1.0)).all()
    assert (share[alive] == 1.0).all()
    idx = np.arange(grid.n_periods)
    assert (share[idx[None, :] > period[:, None]] == 0.0).all()
    inside = period < grid.n_periods
    rows = np.flatnonzero(inside)
    cols = period[inside]
    expected = (tau[inside] - start[cols]) / (grid.times[cols] - start[cols])
    np.testing.assert_allclose(share[rows, cols], expected, rtol=1e-12)
    assert (expected < 1.0).all()
    # survivors of the horizon: period == n_periods, alive throughout
    assert (alive[~inside].all(axis=1)).all()
    # PD = 1: defaulted at time 0, never pays
    assert (times.default_time_years["dead"] == 0.0).all()
    assert (times.default_period["dead"] == 0).all()
    assert not times.alive("dead").any()
    assert (times.paid_share("dead") == 0.0).all()


def test_results_are_read_only_and_framed(grid: PeriodGrid) -> None:
    times = DefaultModel().simulate({"a": 0.1, "b": 0.2}, 10, grid, seed=1, first_path=5)
    with pytest.raises(ValueError, match="read-only"):
        times.default_time_years["a"][0] = 1.0
    frame = times.to_frame()
    assert list(frame.columns) == [
        "counterparty_id", "path", "pd_1y", "default_time_years", "default_period",
    ]  # fmt: skip
    assert len(frame) == 20
    assert frame["path"].iloc[0] == 5
    assert times.default_times_matrix().shape == (2, 10)
    censored = times.censored_default_times()["a"]
    survives = times.default_period["a"] == grid.n_periods
    assert np.isinf(censored[survives]).all()
    np.testing.assert_array_equal(censored[~survives], times.default_time_years["a"][~survives])
    with pytest.raises(ValidationError) as err:
        times.alive("zzz")
    assert err.value.fields == ("counterparty_id",)


def test_pds_from_market_uses_override_then_table() -> None:
    market = MarketSnapshot(
        as_of=dt.date(2026, 1, 5),
        pd_table=[PdEntry(rating="BB", pd_1y=0.008), PdEntry(rating="D", pd_1y=1.0)],
    )
    cps = [
        Counterparty(id="z", name="Z", rating="D", sector="neocloud", country="CN"),
        Counterparty(id="a", name="A", rating="BB", sector="ai_lab", country="US"),
        Counterparty(
            id="m", name="M", rating="BB", sector="ai_lab", country="US", pd_override=0.05
        ),
    ]
    assert DefaultModel.pds_from_market(cps, market) == {"a": 0.008, "m": 0.05, "z": 1.0}
    with pytest.raises(ValidationError) as err:
        DefaultModel.pds_from_market([cps[1], cps[1]], market)
    assert err.value.fields == ("counterparties[1].id",)


# --------------------------------------------------------------------------- calibration


def _vasicek_history(
    seed: int, years: int, obligors: int, pds: dict[str, float], rho: float
) -> pd.DataFrame:
    """Annual defaults per cohort drawn from the model itself: each path is one year."""
    grid = period_grid(dt.date(2025, 1, 1), 12)
    names = {f"{c}-{k}": p for c, p in pds.items() for k in range(obligors)}
    times = DefaultModel(asset_correlation=rho).simulate(names, years, grid, seed=seed)
    rows: list[tuple[str, int, int, int]] = []
    for cohort in pds:
        tau = np.stack([times.default_time_years[f"{cohort}-{k}"] for k in range(obligors)])
        defaults = (tau <= 1.0).sum(axis=0)  # defaults within the year, per path (= year)
        rows += [(cohort, 1900 + y, obligors, int(defaults[y])) for y in range(years)]
    return pd.DataFrame(rows, columns=["rating", "year", "obligors", "defaults"])


def test_calibration_recovers_pd_and_rho() -> None:
    years, obligors, rho = 1000, 1000, 0.15
    pds = {"BB": 0.02, "B": 0.05}
    fit = DefaultModel.calibrate(_vasicek_history(11, years, obligors, pds, rho))
    for cohort, p in pds.items():
        # SE of a pooled rate over independent years: sqrt((V + p(1-p)/N) / years)
        var_year = vasicek_default_rate_variance(p, rho) + p * (1 - p) / obligors
        assert abs(fit.pds[cohort] - p) <= 4.0 * math.sqrt(var_year / years)
    # rho: a 12-seed study at 400 years gave SD 0.012, so about 0.0076 at 1,000 years;
    # 0.03 is four of those.
    assert fit.asset_correlation == pytest.approx(rho, abs=0.03)
    assert not fit.at_bound
    assert fit.model.asset_correlation == fit.asset_correlation
    assert {c.cohort for c in fit.cohorts} == {"B", "BB"}
    assert all(c.years == years for c in fit.cohorts)


def test_calibration_without_excess_dispersion_gives_zero() -> None:
    # every year exactly the same default rate: less spread than binomial noise
    history = pd.DataFrame(
        {"year": range(2010, 2020), "cohort": "pool", "obligors": 1000, "defaults": 20}
    )
    fit = DefaultModel.calibrate(history)
    assert fit.asset_correlation == 0.0
    assert fit.at_bound
    assert fit.pds["pool"] == pytest.approx(0.02)


def _good_history() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": list(range(2015, 2021)),
            "rating": "BB",
            "obligors": [400, 410, 420, 430, 440, 450],
            "defaults": [4, 9, 3, 12, 5, 6],
        }
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"defaults": [4, 9, 3, 500, 5, 6]}, "history[3].defaults"),
        ({"defaults": [4, -1, 3, 12, 5, 6]}, "history[1].defaults"),
        ({"obligors": [400, 0, 420, 430, 440, 450]}, "history[1].obligors"),
        ({"obligors": [400, 410, np.nan, 430, 440, 450]}, "history[2].obligors"),
        ({"defaults": [4, 9, 3, 12.5, 5, 6]}, "history[3].defaults"),
        ({"year": [2015, 2015, 2017, 2018, 2019, 2020]}, "history[1].year"),
    ],
)
def test_calibration_rejects_bad_rows(change: dict[str, Any], field: str) -> None:
    history = _good_history().assign(**change)
    with pytest.raises(ValidationError) as err:
        DefaultModel.calibrate(history)
    assert err.value.fields == (field,)


def test_calibration_needs_five_years_and_the_columns() -> None:
    with pytest.raises(ValidationError, match="at least 5 years") as err:
        DefaultModel.calibrate(_good_history().iloc[:4])
    assert err.value.fields == ("history.year",)
    with pytest.raises(ValidationError) as err:
        DefaultModel.calibrate(_good_history().drop(columns="defaults"))
    assert err.value.fields == ("history.defaults",)
    with pytest.raises(ValidationError) as err:
        DefaultModel.calibrate(_good_history().drop(columns="rating"))
    assert err.value.fields == ("history.rating",)
    with pytest.raises(ValidationError) as err:
        DefaultModel.calibrate(_good_history().assign(cohort="x"))
    assert err.value.fields == ("history.rating",)
    with pytest.raises(ValidationError) as err:
        DefaultModel.calibrate(_good_history().assign(defaults=0))
    assert err.value.fields == ("history.defaults",)
    with pytest.raises(ValidationError):
        DefaultModel.calibrate([1, 2, 3])  # type: ignore[arg-type]


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5, math.nan, math.inf, True, "0.05"])
def test_bad_pd_is_rejected_naming_the_counterparty(grid: PeriodGrid, bad: object) -> None:
    with pytest.raises(ValidationError) as err:
        DefaultModel().simulate({"ok": 0.1, "lab-a": bad}, 10, grid, seed=1)  # type: ignore[dict-item]
    assert err.value.fields == ("pds[lab-a]",)


@pytest.mark.parametrize("bad", [1.0, -0.01, math.nan, 2.0])
def test_bad_correlation_is_rejected(bad: float) -> None:
    with pytest.raises(ValidationError) as err:
        DefaultModel(asset_correlation=bad)
    assert err.value.fields == ("DefaultModel.asset_correlation",)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"n_paths": 0}, "n_paths"),
        ({"n_paths": 2.5}, "n_paths"),
        ({"seed": -1}, "seed"),
        ({"first_path": -3}, "first_path"),
        ({"grid": "monthly"}, "grid"),
        ({"pds": {}}, "pds"),
        ({"pds": {"bad id": 0.1}}, "pds"),
    ],
)
def test_bad_simulation_arguments(grid: PeriodGrid, kwargs: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {"pds": {"a": 0.1}, "n_paths": 10, "grid": grid, "seed": 1}
    with pytest.raises(ValidationError) as err:
        DefaultModel().simulate(**{**args, **kwargs})
    assert err.value.fields == (field,)


def test_bad_closed_form_inputs(grid: PeriodGrid) -> None:
    with pytest.raises(ValidationError) as err:
        survival(0.0, grid)
    assert err.value.fields == ("pd",)
    with pytest.raises(ValidationError) as err:
        joint_default_probability(0.1, 0.1, 1.0)
    assert err.value.fields == ("asset_correlation",)
