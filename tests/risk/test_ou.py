"""The shared Ornstein-Uhlenbeck kernel: exact steps, closed forms, quadrature, calibration.

Statistical checks use fixed seeds and a band of 4 standard errors: under a correct model
a sample mean (or variance) misses it with probability about 6e-5 per comparison, so the
few dozen comparisons here would all pass on almost every seed. Quadratures are held to
independent references at 1e-9 or tighter.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import integrate

from computefin.errors import ValidationError
from computefin.risk._random import draw_paths
from computefin.risk.scenarios._ou import (
    fit_ou,
    gauss_logistic_mean,
    logistic,
    ou_jump_increments,
    ou_jump_log_mgf,
    ou_mean,
    ou_paths,
    ou_step,
    ou_variance,
    stationary_exp_covariance_product,
)

N_PATHS = 20_000
FloatArray = np.ndarray


def normals(seed: int, n: int, periods: int, name: str = "test/ou") -> FloatArray:
    return draw_paths(seed, name, n, lambda rng, k: rng.standard_normal((k, periods)))


def long_normals(seed: int, n: int, name: str) -> FloatArray:
    """n normals for one long path, drawn as one block of 1024 short rows (fast)."""
    cols = -(-n // 1024)
    block = draw_paths(seed, name, 1024, lambda rng, k: rng.standard_normal((k, cols)))
    return block.ravel()[:n]


def simulate_path(
    seed: int, steps: FloatArray, kappa: float, mu: float, sigma: float, x0: float
) -> FloatArray:
    """One long path: values at 0 (x0) and after each step."""
    shocks = long_normals(seed, steps.size, "test/ou-history")[None, :]
    return np.concatenate([[x0], ou_paths(x0, mu, kappa, sigma, steps, shocks)[0]])


# --- exact steps and closed forms ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kappa", "mu", "sigma", "x0"),
    [(0.0, 0.0, 0.3, 0.2), (0.7, -0.1, 0.3, 0.4), (5.0, 1.0, 1.2, -0.5)],
)
def test_simulated_mean_and_variance_match_closed_forms(
    kappa: float, mu: float, sigma: float, x0: float
) -> None:
    steps = np.array([0.02, 0.25, 0.5, 1.0, 0.08, 2.0, 3.0])  # uneven on purpose
    times = np.cumsum(steps)
    paths = ou_paths(x0, mu, kappa, sigma, steps, normals(1, N_PATHS, steps.size))
    mean, var = ou_mean(x0, mu, kappa, times), ou_variance(kappa, sigma, times)
    se_mean = np.sqrt(var / N_PATHS)
    se_var = var * math.sqrt(2.0 / (N_PATHS - 1))  # Gaussian sample variance
    assert np.all(np.abs(paths.mean(axis=0) - mean) < 4.0 * se_mean)
    assert np.all(np.abs(paths.var(axis=0, ddof=1) - var) < 4.0 * se_var)


def test_zero_volatility_path_is_the_mean() -> None:
    steps = np.full(10, 0.3)
    path = ou_paths(2.0, 0.5, 1.3, 0.0, steps, np.ones((1, 10)))[0]
    np.testing.assert_allclose(path, ou_mean(2.0, 0.5, 1.3, np.cumsum(steps)), rtol=1e-14)


@settings(max_examples=60, deadline=None)
@given(
    kappa=st.floats(0.0, 50.0),
    sigma=st.floats(0.0, 3.0),
    d=st.floats(1e-6, 10.0),
)
def test_two_half_steps_compose_to_one_step(kappa: float, sigma: float, d: float) -> None:
    phi, sd = ou_step(kappa, sigma, np.array([d, d / 2.0]))
    # decay multiplies; variance of two half steps: v_h (1 + phi_h^2)
    assert phi[0] == pytest.approx(phi[1] ** 2, rel=1e-12)
    assert sd[0] ** 2 == pytest.approx(sd[1] ** 2 * (1.0 + phi[1] ** 2), rel=1e-10, abs=1e-300)
    assert sd[0] ** 2 <= sigma * sigma * d * (1.0 + 1e-12)  # reversion only shrinks it


@pytest.mark.parametrize("d", [1e-3, 0.5, 30.0])
def test_kappa_to_zero_is_continuous(d: float) -> None:
    for tiny in (1e-300, 1e-14, 1e-11):
        _, sd = ou_step(tiny, 0.4, np.array([d]))
        assert sd[0] == pytest.approx(0.4 * math.sqrt(d), rel=1e-9)
    assert float(ou_variance(1e-14, 0.4, d)) == pytest.approx(0.16 * d, rel=1e-9)
    # across the switch from the Taylor series to expm1 (kappa d = 1e-6) nothing jumps
    below, above = 0.5e-6 * (1 - 1e-9) / d, 0.5e-6 * (1 + 1e-9) / d
    sd_below, sd_above = (ou_step(k, 0.4, np.array([d]))[1][0] for k in (below, above))
    assert sd_below == pytest.approx(sd_above, rel=1e-12)


# --- jumps ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kappa", "lam", "mj", "sj"),
    [(0.7, 2.0, -0.1, 0.15), (5.0, 0.5, 0.3, 0.4), (1e-7, 1.0, 0.2, 0.1), (40.0, 3.0, -0.5, 0.3)],
)
def test_jump_log_mgf_matches_adaptive_quadrature(
    kappa: float, lam: float, mj: float, sj: float
) -> None:
    for t in (0.01, 0.5, 3.0, 30.0):

        def integrand(u: float, t: float = t) -> float:
            a = math.exp(-kappa * (t - u))
            return math.expm1(a * mj + 0.5 * a * a * sj * sj)

        ref, _ = integrate.quad(integrand, 0.0, t, epsabs=1e-14, epsrel=1e-13, limit=200)
        got = float(ou_jump_log_mgf(kappa, lam, mj, sj, t))
        assert got == pytest.approx(lam * ref, rel=1e-9, abs=1e-14)


def test_jump_increments_mean_matches_closed_form() -> None:
    """E[J_t] = lambda mu_J (1 - e^{-kappa t}) / kappa, summed over uneven periods."""
    kappa, lam, mj, sj = 1.5, 3.0, -0.2, 0.1
    steps = np.array([0.1, 0.4, 1.0, 2.0])

    def draw(rng: np.random.Generator, n: int) -> FloatArray:
        jumps = ou_jump_increments(rng, n, steps, kappa, lam, mj, sj)
        return ou_paths(0.0, 0.0, kappa, 0.0, steps, np.zeros((n, steps.size)), jumps)

    paths = draw_paths(4, "test/jumps", N_PATHS, draw)
    times = np.cumsum(steps)
    expected = lam * mj * -np.expm1(-kappa * times) / kappa
    se = paths.std(axis=0, ddof=1) / math.sqrt(N_PATHS)
    assert np.all(np.abs(paths.mean(axis=0) - expected) < 4.0 * se)


# --- logistic-normal quadrature --------------------------------------------------------------


@pytest.mark.parametrize("sd", [0.0, 0.3, 1.0, 2.5, 2.6, 6.0, 25.0])
@pytest.mark.parametrize("m", [-6.0, -0.85, 0.0, 1.7, 8.0])
def test_gauss_logistic_mean_matches_dense_reference(m: float, sd: float) -> None:
    z = np.linspace(-40.0, 40.0, 400_001)
    dens = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    ref = (
        float(logistic(np.array([m]))[0])
        if sd == 0.0
        else np.trapezoid(logistic(m + sd * z) * dens, z)
    )
    assert float(gauss_logistic_mean(m, sd * sd)) == pytest.approx(ref, abs=1e-9)


def test_gauss_logistic_mean_keeps_shapes() -> None:
    out = gauss_logistic_mean(np.zeros((2, 3)), np.array([0.1, 9.0, 100.0]))
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out, 0.5, atol=1e-12)


def test_logistic_is_strictly_inside_the_unit_interval() -> None:
    values = logistic(np.array([-1e6, -745.0, -36.0, 0.0, 36.0, 40.0, 1e6]))
    assert np.all((values > 0.0) & (values < 1.0))


# --- calibration ----------------------------------------------------------------------------


def test_ols_recovers_parameters_on_a_regular_grid() -> None:
    kappa, mu, sigma = 1.5, 0.3, 0.4
    steps = np.full(20_000, 1.0 / 52.0)  # weekly for 385 years
    x = simulate_path(11, steps, kappa, mu, sigma, 0.0)
    t = np.concatenate([[0.0], np.cumsum(steps)])
    fit = fit_ou(t, x)
    assert fit.method == "ols-regular"
    assert fit.kappa_se is not None
    assert fit.mu_se is not None
    assert fit.sigma_se is not None
    assert abs(fit.kappa - kappa) < 4.0 * fit.kappa_se
    assert abs(fit.mu - mu) < 4.0 * fit.mu_se
    assert abs(fit.sigma - sigma) < 4.0 * fit.sigma_se
    # the reported errors are the textbook ones: se(kappa) ~ sqrt(2 kappa / T)
    assert fit.kappa_se == pytest.approx(math.sqrt(2.0 * kappa / steps.sum()), rel=0.1)
    assert fit.mu_se == pytest.approx(sigma / kappa / math.sqrt(steps.sum()), rel=0.1)
    assert fit.kappa_se < 0.1
    assert fit.sigma_se < 0.005


def test_mle_recovers_parameters_on_an_irregular_grid() -> None:
    kappa, mu, sigma = 2.0, -0.5, 0.6
    uniform = draw_paths(5, "test/gaps", 1024, lambda rng, k: rng.uniform(0.2, 3.0, (k, 6)))
    gaps = uniform.ravel()[:6000]
    steps = gaps / 365.0 * 7.0  # between 1.4 and 21 days
    x = simulate_path(12, steps, kappa, mu, sigma, 0.1)
    t = np.concatenate([[0.0], np.cumsum(steps)])
    fit = fit_ou(t, x)
    assert fit.method == "mle-irregular"
    assert fit.kappa_se is not None
    assert fit.mu_se is not None
    assert fit.sigma_se is not None
    assert abs(fit.kappa - kappa) < 4.0 * fit.kappa_se
    assert abs(fit.mu - mu) < 4.0 * fit.mu_se
    assert abs(fit.sigma - sigma) < 4.0 * fit.sigma_se
    assert fit.kappa_se == pytest.approx(math.sqrt(2.0 * kappa / steps.sum()), rel=0.25)


def test_ols_and_exact_likelihood_agree_on_a_regular_grid() -> None:
    """On regular spacing OLS is the conditional MLE (up to n / (n - 2) in sigma^2)."""
    steps = np.full(3000, 1.0 / 12.0)
    x = simulate_path(13, steps, 0.8, 0.2, 0.3, 0.0)
    t = np.concatenate([[0.0], np.cumsum(steps)])
    ols, mle = fit_ou(t, x, method="ols"), fit_ou(t, x, method="mle")
    n = steps.size
    assert mle.kappa == pytest.approx(ols.kappa, rel=1e-6)
    assert mle.mu == pytest.approx(ols.mu, rel=1e-6)
    assert mle.sigma == pytest.approx(ols.sigma * math.sqrt((n - 2) / n), rel=1e-6)
    assert mle.kappa_se == pytest.approx(ols.kappa_se, rel=0.05)
    assert mle.sigma_se == pytest.approx(ols.sigma_se, rel=0.05)


def test_standard_errors_cover_the_truth() -> None:
    """Across 120 short histories, +-1.96 se covers kappa about 95% of the time.

    The binomial sd of the coverage is 2%; small-sample bias in kappa pulls it a few
    points down, so the band is [0.85, 1].
    """
    kappa, mu, sigma = 2.0, 0.0, 0.5
    steps = np.full(600, 0.05)
    t = np.concatenate([[0.0], np.cumsum(steps)])
    shocks = normals(21, 120, steps.size, "test/coverage")
    paths = ou_paths(0.0, mu, kappa, sigma, steps, shocks)
    covered = 0
    for row in paths:
        fit = fit_ou(t, np.concatenate([[0.0], row]))
        assert fit.kappa_se is not None
        covered += abs(fit.kappa - kappa) < 1.96 * fit.kappa_se
    assert 0.85 <= covered / paths.shape[0] <= 1.0


def test_fixed_mean_and_fixed_kappa() -> None:
    steps = np.full(5000, 1.0 / 52.0)
    x = simulate_path(14, steps, 1.0, 0.0, 0.25, 0.0)
    t = np.concatenate([[0.0], np.cumsum(steps)])
    fit = fit_ou(t, x, mean=0.0)
    assert fit.mu == 0.0
    assert fit.mu_se is None
    fixed = fit_ou(t, x, kappa=1.0)
    assert fixed.kappa == 1.0
    assert fixed.kappa_se is None
    assert fixed.sigma_se is not None
    assert abs(fixed.sigma - 0.25) < 4.0 * fixed.sigma_se


def test_explosive_series_gives_kappa_zero_with_a_note() -> None:
    """A lag-one coefficient >= 1 (no reversion) maps to kappa = 0, never to a NaN."""
    steps = np.full(400, 1.0 / 52.0)
    noise = simulate_path(15, steps, 0.0, 0.0, 0.05, 0.0)
    x = np.exp(np.linspace(0.0, 3.0, noise.size)) + noise  # grows away from any mean
    t = np.concatenate([[0.0], np.cumsum(steps)])
    for method in ("ols", "mle"):
        fit = fit_ou(t, x, method=method)
        assert fit.kappa == 0.0
        assert fit.kappa_se is None
        assert any("random walk" in note for note in fit.notes)
        assert math.isfinite(fit.sigma)
        assert fit.sigma > 0


def test_anti_persistent_series_is_rejected() -> None:
    t = np.arange(100.0)
    x = np.where(np.arange(100) % 2 == 0, 1.0, -1.0) + 0.01 * np.sin(np.arange(100))
    with pytest.raises(ValidationError, match="no positive lag-one dependence") as err:
        fit_ou(t, x, field="history")
    assert err.value.fields == ("history",)
    t_irregular = np.cumsum(np.linspace(0.5, 1.5, 100))
    with pytest.raises(ValidationError, match="lag-one"):
        fit_ou(t_irregular, x)


@pytest.mark.parametrize(
    ("times", "values", "reason"),
    [
        (np.arange(5.0), np.ones(5), "constant"),
        (np.array([0.0, 1.0, 1.0, 2.0]), np.arange(4.0), "strictly increasing"),
        (np.arange(4.0), np.array([0.0, np.nan, 1.0, 2.0]), "finite"),
    ],
)
def test_bad_paths_are_rejected(times: FloatArray, values: FloatArray, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        fit_ou(times, values)


@settings(max_examples=40, deadline=None)
@given(
    gaps=st.lists(st.floats(0.01, 3.0), min_size=1, max_size=12),
    kappa=st.floats(0.0, 5.0),
)
def test_exp_covariance_product_equals_dense(gaps: list[float], kappa: float) -> None:
    t = np.concatenate([[0.0], np.cumsum(gaps)])
    m = np.column_stack([np.ones_like(t), t])
    dense = np.exp(-kappa * np.abs(t[:, None] - t[None, :])) @ m
    np.testing.assert_allclose(stationary_exp_covariance_product(t, kappa, m), dense, rtol=1e-12)
