"""The Ornstein-Uhlenbeck kernel shared by the scenario models, and their common checks.

An OU process ``dX = kappa (mu - X) dt + sigma dW`` (time in years, ``kappa`` per year,
``sigma`` per square-root year) is simulated with its exact discretisation on any grid,
however uneven:

``X(t+d) = X(t) e^{-kappa d} + mu (1 - e^{-kappa d})``
``         + sigma sqrt((1 - e^{-2 kappa d}) / (2 kappa)) Z``

with the limit ``sigma sqrt(d) Z`` as ``kappa -> 0`` (a random walk) evaluated without
cancellation. Optional jumps (compound Poisson with normal sizes) are added to the state,
so they decay with it. Mean and variance have closed forms (:func:`ou_mean`,
:func:`ou_variance`), and so does the jumps' contribution to ``E[exp(X)]``
(:func:`ou_jump_log_mgf`).

:func:`fit_ou` calibrates ``kappa``, ``mu`` and ``sigma`` from one observed path: ordinary
least squares of the AR(1) ``x_i = a + b x_{i-1} + e_i`` when the spacing is regular,
mapped back exactly (``kappa = -ln b / d``, ``mu = a / (1 - b)``,
``sigma^2 = s^2 2 kappa / (1 - b^2)``), and the exact Gaussian likelihood of the
transitions, profiled over ``kappa``, when it is not. Both report standard errors.

>>> import numpy as np
>>> float(ou_mean(1.0, 0.0, np.log(2.0), 1.0))  # half-life one year
0.5
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from computefin._typing import FloatArray
from computefin.domain._base import DomainModel
from computefin.errors import ValidationError
from computefin.risk.grid import PeriodGrid

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MIN_OBSERVATIONS",
    "CalibrationReport",
    "OUFit",
    "check_history",
    "check_simulation_request",
    "fit_ou",
    "gauss_logistic_mean",
    "grid_times",
    "history_times",
    "logistic",
    "ou_jump_increments",
    "ou_jump_log_mgf",
    "ou_mean",
    "ou_paths",
    "ou_step",
    "ou_variance",
    "stationary_exp_covariance_product",
]

ArrayLike = float | FloatArray

MIN_OBSERVATIONS = 24
"""A calibration history needs at least this many observations."""

_SERIES_SWITCH = 1e-6  # below this kappa*d the closed forms use their Taylor series
_GL_NODES = 48  # Gauss-Legendre nodes for the jump integral (exact to rounding, see tests)
_GH_NODES = 96  # Gauss-Hermite nodes for E[logistic(Y)]
_GH_MAX_SD = 2.5  # above this standard deviation of Y the trapezoid rule takes over
_LOGIT_CLIP = 36.0  # logistic(36) = 1 - 2.3e-16 < 1: outputs stay strictly inside (0, 1)


# --- closed forms -------------------------------------------------------------------------


def _one_minus_exp_over(x: FloatArray) -> FloatArray:
    """``(1 - e^{-x}) / x`` for x >= 0, with its limit 1 at 0 and no cancellation."""
    small = x < _SERIES_SWITCH
    safe = np.where(small, 1.0, x)
    return np.where(small, 1.0 - x / 2.0 + x * x / 6.0, -np.expm1(-safe) / safe)


def ou_step(kappa: float, sigma: float, dt_years: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Decay ``e^{-kappa d}`` and innovation standard deviation of exact OU steps of length d.

    The standard deviation is ``sigma sqrt((1 - e^{-2 kappa d}) / (2 kappa))``, which is
    ``sigma sqrt(d)`` at ``kappa = 0``.

    >>> phi, sd = ou_step(0.0, 0.3, np.array([0.25]))
    >>> float(phi[0]), float(sd[0])
    (1.0, 0.15)
    >>> phi, sd = ou_step(1e-12, 0.3, np.array([0.25]))  # the limit, continuously
    >>> float(sd[0])
    0.15
    """
    d = np.asarray(dt_years, dtype=np.float64)
    phi = np.exp(-kappa * d)
    variance = sigma * sigma * d * _one_minus_exp_over(2.0 * kappa * d)
    return phi, np.sqrt(variance)


def ou_mean(x0: float, mu: float, kappa: float, t: ArrayLike) -> FloatArray:
    """``E[X_t] = x0 e^{-kappa t} + mu (1 - e^{-kappa t})`` (no jumps), t in years.

    >>> float(ou_mean(0.0, 1.0, 0.0, 5.0))  # no reversion: stays at x0
    0.0
    """
    times = np.asarray(t, dtype=np.float64)
    return np.asarray(x0 * np.exp(-kappa * times) - mu * np.expm1(-kappa * times))


def ou_variance(kappa: float, sigma: float, t: ArrayLike) -> FloatArray:
    """``Var[X_t] = sigma^2 (1 - e^{-2 kappa t}) / (2 kappa)`` from a known start (no jumps).

    >>> float(ou_variance(0.0, 0.2, 4.0))  # random walk: sigma^2 t
    0.16
    >>> round(float(ou_variance(2.0, 0.2, 1e6)), 12)  # stationary: sigma^2 / (2 kappa)
    0.01
    """
    times = np.asarray(t, dtype=np.float64)
    return np.asarray(sigma * sigma * times * _one_minus_exp_over(2.0 * kappa * times))


def ou_jump_log_mgf(
    kappa: float, intensity: float, jump_mean: float, jump_std: float, t: ArrayLike
) -> FloatArray:
    """``log E[exp(J_t)]`` for the jump part ``J_t = sum_k Y_k e^{-kappa (t - tau_k)}``.

    Jumps arrive as a Poisson process of ``intensity`` per year from time 0, with normal
    sizes ``Y ~ N(jump_mean, jump_std^2)``, and decay with the OU factor. Campbell's
    formula gives ``lambda int_0^t (M(e^{-kappa u}) - 1) du`` with
    ``M(a) = exp(a jump_mean + a^2 jump_std^2 / 2)``; substituting ``a = e^{-kappa u}``
    turns it into ``(lambda / kappa) int_{e^{-kappa t}}^1 (M(a) - 1) / a da``, a smooth
    integrand that Gauss-Legendre quadrature integrates to rounding. At ``kappa = 0`` it
    is ``lambda t (M(1) - 1)``.

    >>> round(float(ou_jump_log_mgf(0.0, 2.0, 0.1, 0.0, 1.0)), 12)  # 2 (e^0.1 - 1)
    0.210341836151
    """
    times = np.asarray(t, dtype=np.float64)
    if intensity == 0.0:
        return np.zeros_like(times)

    def excess(a: FloatArray) -> FloatArray:
        return np.asarray(np.expm1(a * jump_mean + 0.5 * a * a * jump_std * jump_std))

    if kappa == 0.0:
        return np.asarray(intensity * times * excess(np.ones(1))[0])
    nodes, weights = np.polynomial.legendre.leggauss(_GL_NODES)
    width = -np.expm1(-kappa * times)  # 1 - e^{-kappa t}, the length of [e^{-kappa t}, 1]
    # a = 1 - width (1 - x) / 2 maps x in [-1, 1] onto [e^{-kappa t}, 1]
    a = 1.0 - np.multiply.outer(width, (1.0 - nodes) / 2.0)
    integral = (width / 2.0) * ((excess(a) / a) @ weights)
    return np.asarray(intensity * integral / kappa)


def logistic(y: FloatArray) -> FloatArray:
    """``1 / (1 + e^{-y})`` without overflow, strictly inside (0, 1) for every finite y.

    >>> logistic(np.array([-1000.0, 0.0, 1000.0])).tolist()
    [2.319522830243569e-16, 0.5, 0.9999999999999998]
    """
    clipped = np.clip(y, -_LOGIT_CLIP, _LOGIT_CLIP)
    e = np.exp(-np.abs(clipped))
    return np.where(clipped >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


@cache
def _gauss_hermite_e() -> tuple[FloatArray, FloatArray]:
    """Probabilists' Gauss-Hermite nodes and weights normalised to the N(0, 1) density,
    computed once per process (an eigenvalue solve: 1-50 ms a call on a busy machine)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(_GH_NODES)
    nodes.setflags(write=False)
    weights = weights / math.sqrt(2.0 * math.pi)
    weights.setflags(write=False)
    return nodes, weights


def gauss_logistic_mean(mean: ArrayLike, variance: ArrayLike) -> FloatArray:
    """``E[1 / (1 + e^{-Y})]`` for ``Y ~ N(mean, variance)``, elementwise.

    Gauss-Hermite quadrature (probabilists', 96 nodes) where Y's standard deviation is at
    most 2.5 (error below 1e-11); beyond it the logistic's poles at ``+-i pi`` slow
    Gauss-Hermite down, and the trapezoid rule on ``[-9, 9]`` standard deviations with
    step ``min(0.25, 0.5 / sd)`` (exponentially convergent for this analytic integrand,
    error below 1e-12) takes over.

    >>> float(gauss_logistic_mean(0.0, 4.0))  # symmetric about 0
    0.5
    >>> round(float(gauss_logistic_mean(np.log(0.3 / 0.7), 0.0)), 12)
    0.3
    """
    m_in, v_in = np.broadcast_arrays(
        np.asarray(mean, dtype=np.float64), np.asarray(variance, dtype=np.float64)
    )
    m, sd = m_in.ravel(), np.sqrt(v_in.ravel())
    out = np.empty(m.size, dtype=np.float64)
    nodes, weights = _gauss_hermite_e()
    narrow = sd <= _GH_MAX_SD
    if narrow.any():
        out[narrow] = logistic(m[narrow, None] + sd[narrow, None] * nodes) @ weights
    for i in np.flatnonzero(~narrow):
        s = float(sd[i])
        step = min(0.25, 0.5 / s)
        z = np.arange(-9.0, 9.0 + step / 2.0, step)
        density = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
        out[i] = step * float(logistic(m[i] + s * z) @ density)
    return out.reshape(m_in.shape)


# --- simulation ---------------------------------------------------------------------------


def ou_jump_increments(
    rng: np.random.Generator,
    n: int,
    dt_years: FloatArray,
    kappa: float,
    intensity: float,
    jump_mean: float,
    jump_std: float,
) -> FloatArray:
    """Jumps of each period, decayed to the period's end: shape ``(n, periods)``.

    Per period, a Poisson(``intensity`` d) number of jumps arrive at uniform times; a jump
    of size Y arriving at ``s`` before the period's end adds ``Y e^{-kappa s}`` to the
    state at the end, exactly as the continuous-time process would. Draws: the counts
    (n x periods), then one uniform and one normal per jump, in that order.

    >>> rng = np.random.default_rng(0)
    >>> ou_jump_increments(rng, 2, np.array([0.5, 0.5]), 1.0, 0.0, 0.0, 0.1)
    array([[0., 0.],
           [0., 0.]])
    """
    periods = dt_years.size
    counts = rng.poisson(intensity * dt_years, size=(n, periods))
    total = int(counts.sum())
    arrival = rng.random(total)
    sizes = rng.normal(jump_mean, jump_std, total)
    cell = np.repeat(np.arange(n * periods), counts.ravel())
    to_end = (1.0 - arrival) * np.tile(dt_years, n)[cell]
    contribution = sizes * np.exp(-kappa * to_end)
    summed = np.bincount(cell, weights=contribution, minlength=n * periods)
    return np.asarray(summed, dtype=np.float64).reshape(n, periods)


def ou_paths(
    x0: float,
    mu: float,
    kappa: float,
    sigma: float,
    dt_years: FloatArray,
    shocks: FloatArray,
    jumps: FloatArray | None = None,
) -> FloatArray:
    """OU paths by exact steps: ``shocks`` are standard normals ``(n, periods)``.

    Row ``i`` column ``j`` is the state at the end of step ``j`` (steps of ``dt_years[j]``
    years) started from ``x0``; ``jumps`` (same shape), when given, are added to the state
    at the end of their step and decay with it afterwards.

    >>> ou_paths(1.0, 0.0, np.log(2.0), 0.0, np.array([1.0, 1.0]), np.zeros((1, 2)))
    array([[0.5 , 0.25]])
    """
    phi, sd = ou_step(kappa, sigma, dt_years)
    drift = -mu * np.expm1(-kappa * dt_years)
    out = np.empty(shocks.shape, dtype=np.float64)
    state = np.full(shocks.shape[0], float(x0))
    for j in range(dt_years.size):
        state = phi[j] * state + drift[j] + sd[j] * shocks[:, j]
        if jumps is not None:
            state = state + jumps[:, j]
        out[:, j] = state
    return out


# --- calibration --------------------------------------------------------------------------


@dataclass(frozen=True)
class OUFit:
    """An OU fit to one path: estimates, standard errors (None when not defined), method.

    ``kappa`` per year, ``sigma`` per square-root year, ``mu`` in the units of the data;
    ``n`` is the number of transitions used; ``log_likelihood`` of the transitions.

    >>> fit = OUFit(kappa=0.5, mu=0.0, sigma=0.2, kappa_se=0.1, mu_se=None, sigma_se=0.01,
    ...             n=99, method="ols-regular", log_likelihood=10.0, residual_std=0.02)
    >>> round(fit.half_life_years, 4)
    1.3863
    """

    kappa: float
    mu: float
    sigma: float
    kappa_se: float | None
    mu_se: float | None
    sigma_se: float | None
    n: int
    method: str
    log_likelihood: float
    residual_std: float
    notes: tuple[str, ...] = ()

    @property
    def half_life_years(self) -> float:
        """``ln 2 / kappa``, years (infinite when ``kappa`` is 0)."""
        return math.inf if self.kappa == 0.0 else math.log(2.0) / self.kappa


def fit_ou(
    times: FloatArray,
    values: FloatArray,
    *,
    mean: float | None = None,
    kappa: float | None = None,
    method: Literal["auto", "ols", "mle"] = "auto",
    field: str = "history",
) -> OUFit:
    """Fit an OU process to one observed path (``times`` in years, strictly increasing).

    ``mean`` fixes ``mu`` (e.g. 0 for regression residuals); ``kappa`` fixes the speed and
    estimates the rest. ``method="auto"`` takes OLS when the spacing is regular (all steps
    equal to 1e-9 relative) and nothing is fixed but possibly the mean, else the exact
    likelihood (``"mle"``).

    OLS: ``x_i = a + b x_{i-1} + e_i`` (``a`` absent when the mean is fixed) with
    ``kappa = -ln b / d``, ``mu = a / (1 - b)``, ``sigma = s sqrt(2 kappa / (1 - b^2))``,
    ``s^2`` the residual variance on n - p degrees of freedom; standard errors by the delta
    method from the OLS covariance of ``(a, b)`` and ``Var(s) ~ s^2 / (2 (n - p))``.
    ``b >= 1`` means no detectable reversion: ``kappa = 0`` (a random walk) and a note.

    MLE: for each ``kappa`` the transition ``x_i - phi_i x_{i-1} = mu (1 - phi_i) + e_i``,
    ``e_i ~ N(0, sigma^2 q_i)``, ``q_i = (1 - phi_i^2) / (2 kappa)``, is a weighted least
    squares problem in ``mu`` with ``sigma^2`` in closed form; the profile likelihood is
    maximised over ``log kappa`` (a 97-point scan, then bounded Brent). Standard errors
    from the numerical Hessian of the full negative log-likelihood.

    A path whose lag-one dependence is not positive (reversion faster than the sampling)
    is rejected with a :class:`ValidationError` naming ``field``.

    >>> t = np.arange(5.0)
    >>> x = np.array([1.0, 0.5, 0.25, 0.125, 0.0625])
    >>> fit = fit_ou(t, x, mean=0.0)  # exact halving each year, no noise
    >>> round(fit.kappa, 12) == round(math.log(2.0), 12), fit.method
    (True, 'ols-regular')
    """
    t = np.asarray(times, dtype=np.float64)
    x = np.asarray(values, dtype=np.float64)
    steps = np.diff(t)
    if t.ndim != 1 or x.shape != t.shape or t.size < 3:
        raise ValidationError(field, "needs matching 1-D times and values, at least 3", t.size)
    if not (np.isfinite(t).all() and np.isfinite(x).all()):
        raise ValidationError(field, "times and values must be finite")
    if (steps <= 0.0).any():
        raise ValidationError(field, "times must be strictly increasing")
    if kappa is not None and not (math.isfinite(kappa) and kappa >= 0.0):
        raise ValidationError("kappa", "must be a finite number >= 0", kappa)
    regular = bool(np.abs(steps - steps.mean()).max() <= 1e-9 * steps.mean())
    if method == "ols" and (not regular or kappa is not None):
        raise ValidationError(field, "OLS needs regular spacing and a free kappa")
    if method == "ols" or (method == "auto" and regular and kappa is None):
        return _fit_ols(float(steps.mean()), x, mean, field)
    return _fit_mle(steps, x, mean, kappa, field)


def _not_reverting(field: str, b: float) -> ValidationError:
    return ValidationError(
        field,
        f"shows no positive lag-one dependence (AR(1) coefficient {b:.3g} <= 0): "
        "mean reversion faster than the sampling interval cannot be fitted; "
        "sample more often or fix kappa",
    )


def _fit_ols(d: float, x: FloatArray, mean: float | None, field: str) -> OUFit:
    prev, nxt = x[:-1], x[1:]
    n = nxt.size
    if float(np.ptp(prev)) == 0.0:
        raise ValidationError(field, "is constant: nothing to fit")
    # regress on the centred lag (well conditioned whatever the level), then undo it
    centre = float(prev.mean()) if mean is None else mean
    if mean is None:
        design = np.column_stack([np.ones(n), prev - centre])
        p = 2
    else:
        design = (prev - mean)[:, None]
        nxt = nxt - mean
        p = 1
    gram = design.T @ design
    beta = np.linalg.solve(gram, design.T @ nxt)
    resid = nxt - design @ beta
    ssr = max(float(resid @ resid), 1e-300)
    dof = n - p
    s2 = ssr / dof
    cov = s2 * np.linalg.inv(gram)
    b = float(beta[-1])
    a = 0.0
    if mean is None:  # x_i = a' + b (x_{i-1} - c)  <=>  a = a' - b c
        jac = np.array([[1.0, -centre], [0.0, 1.0]])
        cov = jac @ cov @ jac.T
        a = float(beta[0]) - b * centre
    loglik = -0.5 * n * (math.log(2.0 * math.pi * ssr / n) + 1.0)
    s = math.sqrt(s2)
    if b <= 0.0:
        raise _not_reverting(field, b)
    if b >= 1.0:
        mu_hat = float(x.mean()) if mean is None else mean
        return OUFit(
            kappa=0.0,
            mu=mu_hat,
            sigma=s / math.sqrt(d),
            kappa_se=None,
            mu_se=None,
            sigma_se=s / math.sqrt(d) / math.sqrt(2.0 * dof),
            n=n,
            method="ols-regular",
            log_likelihood=loglik,
            residual_std=s,
            notes=(
                f"AR(1) coefficient {b:.4f} >= 1: no mean reversion detected; "
                "kappa set to 0 (random walk)",
            ),
        )
    kappa = -math.log(b) / d
    # sigma = s g(b), g(b) = sqrt(-2 ln b / (d (1 - b^2)))
    h = -2.0 * math.log(b) / (d * (1.0 - b * b))
    g = math.sqrt(h)
    dh = (-2.0 / d) * ((1.0 - b * b) / b + 2.0 * b * math.log(b)) / (1.0 - b * b) ** 2
    var_b = float(cov[-1, -1])
    var_s = s2 / (2.0 * dof)
    sigma = s * g
    sigma_se = math.sqrt(g * g * var_s + (s * dh / (2.0 * g)) ** 2 * var_b)
    kappa_se = math.sqrt(var_b) / (b * d)
    if mean is None:
        mu_hat = a / (1.0 - b)
        grad = np.array([1.0 / (1.0 - b), a / (1.0 - b) ** 2])
        mu_se: float | None = math.sqrt(float(grad @ cov @ grad))
    else:
        mu_hat, mu_se = mean, None
    return OUFit(
        kappa=kappa,
        mu=mu_hat,
        sigma=sigma,
        kappa_se=kappa_se,
        mu_se=mu_se,
        sigma_se=sigma_se,
        n=n,
        method="ols-regular",
        log_likelihood=loglik,
        residual_std=s,
    )


@dataclass(frozen=True)
class _Profile:
    nll: float
    mu: float
    sigma2: float
    identified: bool


def _transition_parts(steps: FloatArray, kappa: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    phi = np.exp(-kappa * steps)
    q = steps * _one_minus_exp_over(2.0 * kappa * steps)  # (1 - phi^2) / (2 kappa)
    c = -np.expm1(-kappa * steps)  # 1 - phi
    return phi, q, c


def _profile(steps: FloatArray, x: FloatArray, mean: float | None, kappa: float) -> _Profile:
    phi, q, c = _transition_parts(steps, kappa)
    y = x[1:] - phi * x[:-1]
    n = y.size
    identified = True
    if mean is not None:
        mu = mean
    else:
        info = float((c * c / q).sum())
        if info <= 1e-14 * float((1.0 / q).sum()):
            mu, identified = float(x.mean()), False
            c = np.zeros_like(c)
        else:
            mu = float((c * y / q).sum()) / info
    r = y - mu * c
    sigma2 = float((r * r / q).sum()) / n
    sigma2 = max(sigma2, 1e-300)
    nll = 0.5 * n * (math.log(2.0 * math.pi * sigma2) + 1.0) + 0.5 * float(np.log(q).sum())
    return _Profile(nll, mu, sigma2, identified)


def _full_nll(steps: FloatArray, x: FloatArray, kappa: float, mu: float, sigma: float) -> float:
    phi, q, c = _transition_parts(steps, kappa)
    r = x[1:] - phi * x[:-1] - mu * c
    var = sigma * sigma * q
    return float(0.5 * (np.log(2.0 * math.pi * var) + r * r / var).sum())


def _fit_mle(
    steps: FloatArray, x: FloatArray, mean: float | None, kappa: float | None, field: str
) -> OUFit:
    from scipy.optimize import minimize_scalar

    span = float(steps.sum())
    n = steps.size
    if float(np.ptp(x)) == 0.0:
        raise ValidationError(field, "is constant: nothing to fit")
    notes: list[str] = []
    if kappa is None:
        lo, hi = math.log(1e-3 / span), math.log(20.0 / float(np.median(steps)))
        scan = np.linspace(lo, hi, 97)
        nll = np.array([_profile(steps, x, mean, math.exp(u)).nll for u in scan])
        best = int(np.argmin(nll))
        if best == scan.size - 1:
            raise _not_reverting(field, 0.0)
        k_hat = 0.0
        if best > 0:  # at the bottom of the scan the half-life exceeds 700 x the span
            result = minimize_scalar(
                lambda u: _profile(steps, x, mean, math.exp(u)).nll,
                bounds=(scan[best - 1], scan[best + 1]),
                method="bounded",
                options={"xatol": 1e-10},
            )
            k_hat = math.exp(float(result.x))
        if k_hat == 0.0 or _profile(steps, x, mean, 0.0).nll <= _profile(steps, x, mean, k_hat).nll:
            k_hat = 0.0
            notes.append("no mean reversion detected: kappa set to 0 (random walk)")
    else:
        k_hat = kappa
    prof = _profile(steps, x, mean, k_hat)
    sigma = math.sqrt(prof.sigma2)
    free_kappa = kappa is None and k_hat > 0.0
    free_mu = mean is None and prof.identified
    ses = _hessian_ses(steps, x, k_hat, prof.mu, sigma, free_kappa, free_mu)
    return OUFit(
        kappa=k_hat,
        mu=prof.mu,
        sigma=sigma,
        kappa_se=ses.get("kappa"),
        mu_se=ses.get("mu"),
        sigma_se=ses.get("sigma"),
        n=n,
        method="mle-irregular",
        log_likelihood=-prof.nll,
        residual_std=math.sqrt(
            prof.sigma2 * float(np.mean(steps * _one_minus_exp_over(2.0 * k_hat * steps)))
        ),
        notes=tuple(notes),
    )


def _hessian_ses(
    steps: FloatArray,
    x: FloatArray,
    kappa: float,
    mu: float,
    sigma: float,
    free_kappa: bool,
    free_mu: bool,
) -> dict[str, float | None]:
    """Standard errors from the inverse numerical Hessian of the full negative log-lik."""
    names = [name for name, free in (("kappa", free_kappa), ("mu", free_mu)) if free]
    names.append("sigma")
    span = float(steps.sum())
    n = steps.size
    # steps of about a tenth of a rough standard error keep the Hessian quadratic
    rough = {
        "kappa": 0.1 * math.sqrt(2.0 * max(kappa, 1.0 / span) / span + 1.0 / n),
        "mu": 0.1 * sigma / max(kappa, 1.0 / span) / math.sqrt(span) + 1e-12,
        "sigma": 0.1 * sigma / math.sqrt(2.0 * n),
    }
    if free_kappa:
        rough["kappa"] = min(rough["kappa"], 0.5 * kappa)
    centre = {"kappa": kappa, "mu": mu, "sigma": sigma}
    h = np.array([rough[name] for name in names])

    def f(shift: FloatArray) -> float:
        p = dict(centre)
        for name, delta in zip(names, shift, strict=True):
            p[name] += float(delta)
        return _full_nll(steps, x, p["kappa"], p["mu"], p["sigma"])

    k = len(names)
    hess = np.empty((k, k))
    eye = np.eye(k)
    f0 = f(np.zeros(k))
    for i in range(k):
        ei = eye[i] * h[i]
        hess[i, i] = (f(ei) - 2.0 * f0 + f(-ei)) / h[i] ** 2
        for j in range(i):
            ej = eye[j] * h[j]
            value = (f(ei + ej) - f(ei - ej) - f(ej - ei) + f(-ei - ej)) / (4.0 * h[i] * h[j])
            hess[i, j] = hess[j, i] = value
    out: dict[str, float | None] = {"kappa": None, "mu": None, "sigma": None}
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return out
    for i, name in enumerate(names):
        if cov[i, i] > 0.0 and math.isfinite(cov[i, i]):
            out[name] = math.sqrt(float(cov[i, i]))
    return out


def stationary_exp_covariance_product(
    times: FloatArray, kappa: float, matrix: FloatArray
) -> FloatArray:
    """``K @ matrix`` with ``K[i, j] = exp(-kappa |t_i - t_j|)``, in O(n) per column.

    The correlation matrix of a stationary OU process observed at ``times``; a forward
    and a backward recursion replace the n x n product (used for the sandwich covariance
    of a trend regression with OU residuals).

    >>> t = np.array([0.0, 0.5, 2.0])
    >>> m = np.array([[1.0], [2.0], [3.0]])
    >>> dense = np.exp(-0.7 * np.abs(t[:, None] - t[None, :])) @ m
    >>> bool(np.allclose(stationary_exp_covariance_product(t, 0.7, m), dense))
    True
    """
    decay = np.exp(-kappa * np.diff(times))
    fwd = np.array(matrix, dtype=np.float64, copy=True)
    bwd = np.array(matrix, dtype=np.float64, copy=True)
    for i in range(1, fwd.shape[0]):
        fwd[i] += decay[i - 1] * fwd[i - 1]
    for i in range(bwd.shape[0] - 2, -1, -1):
        bwd[i] += decay[i] * bwd[i + 1]
    return np.asarray(fwd + bwd - matrix)


class CalibrationReport(DomainModel):
    """What a calibration did: data span, method, estimates with standard errors, notes.

    ``standard_errors`` holds None where a standard error is not defined (a fixed or
    boundary parameter). Units are those of the model's fields.

    >>> report = CalibrationReport(
    ...     method="ols-regular", n_observations=120, start=dt.date(2016, 1, 1),
    ...     end=dt.date(2025, 12, 1), estimates={"kappa": 0.7}, standard_errors={"kappa": 0.2},
    ...     residual_std=0.05)
    >>> float(report.to_frame().loc["kappa", "standard_error"])
    0.2
    """

    method: str = Field(min_length=1, description="How the parameters were estimated.")
    n_observations: int = Field(ge=1, description="Observations in the history used.")
    start: dt.date = Field(description="Date of the first observation.")
    end: dt.date = Field(description="Date of the last observation (the model's as_of).")
    estimates: dict[str, float] = Field(description="Fitted parameters by field name.")
    standard_errors: dict[str, float | None] = Field(
        description="Asymptotic standard errors by field name; None where not defined."
    )
    residual_std: float = Field(ge=0.0, description="Std of the one-step innovations.")
    log_likelihood: float | None = Field(default=None, description="Of the OU transitions.")
    notes: tuple[str, ...] = Field(default=(), description="Warnings and choices made.")

    def to_frame(self) -> pd.DataFrame:
        """One row per parameter: ``estimate`` and ``standard_error`` (NaN where None)."""
        import pandas as pd

        rows = [
            (name, value, self.standard_errors.get(name)) for name, value in self.estimates.items()
        ]
        frame = pd.DataFrame(rows, columns=["parameter", "estimate", "standard_error"])
        return frame.set_index("parameter")


# --- shared checks ------------------------------------------------------------------------


def check_history(
    history: object,
    *,
    field: str = "history",
    check_values: Callable[[FloatArray], tuple[int, str] | None] | None = None,
) -> tuple[pd.DatetimeIndex, FloatArray]:
    """Validate a calibration history; return its index and float64 values.

    A pandas Series with a DatetimeIndex, strictly increasing and unique timestamps, at
    least :data:`MIN_OBSERVATIONS` finite values. ``check_values`` returns the position
    and reason of the first bad value, or None.

    >>> import pandas as pd
    >>> s = pd.Series([1.0] * 3, index=pd.date_range("2026-01-01", periods=3))
    >>> check_history(s)
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: history: needs at least 24 observations, got 3
    """
    import pandas as pd

    if not isinstance(history, pd.Series):
        raise ValidationError(
            field, "must be a pandas Series indexed by a DatetimeIndex", type(history).__name__
        )
    index = history.index
    if not isinstance(index, pd.DatetimeIndex):
        raise ValidationError(
            field, "must be indexed by a DatetimeIndex (timestamps)", type(index).__name__
        )
    if len(history) < MIN_OBSERVATIONS:
        raise ValidationError(
            field, f"needs at least {MIN_OBSERVATIONS} observations, got {len(history)}"
        )
    if index.hasnans:
        raise ValidationError(field, "has a missing timestamp (NaT) in its index")
    stamps = index.asi8
    back = np.nonzero(np.diff(stamps) <= 0)[0]
    if back.size:
        i = int(back[0])
        if stamps[i + 1] == stamps[i]:
            raise ValidationError(field, f"duplicate timestamp {index[i]}", str(index[i]))
        raise ValidationError(
            field, f"timestamps must be sorted ascending: {index[i + 1]} follows {index[i]}"
        )
    try:
        values = np.asarray(history.to_numpy(dtype=np.float64, na_value=np.nan))
    except (TypeError, ValueError) as exc:
        raise ValidationError(field, f"values must be numbers: {exc}") from exc
    bad = np.nonzero(~np.isfinite(values))[0]
    if bad.size:
        i = int(bad[0])
        raise ValidationError(field, f"value at {index[i]} is not a finite number", values[i])
    if check_values is not None:
        problem = check_values(values)
        if problem is not None:
            i, reason = problem
            raise ValidationError(field, f"{reason} at {index[i]}", float(values[i]))
    return index, values


def history_times(index: pd.DatetimeIndex) -> FloatArray:
    """Years (ACT/365F, to the second) of each timestamp from the first.

    >>> import pandas as pd
    >>> history_times(pd.DatetimeIndex(["2026-01-01", "2027-01-01"])).tolist()
    [0.0, 1.0]
    """
    stamps = index.asi8.astype(np.int64)
    unit = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[str(index.unit)]
    seconds = (stamps - stamps[0]).astype(np.float64) / unit
    return np.asarray(seconds / (365.0 * 86_400.0))


def grid_times(grid: object, as_of: dt.date | None = None) -> tuple[FloatArray, FloatArray]:
    """Period-end times (years ACT/365F from ``as_of``, default the grid's) and step lengths.

    The first step runs from ``as_of`` to the first period end, so a model dated before
    the grid projects from its own date. A grid starting before ``as_of`` is rejected.

    >>> from computefin.risk.grid import period_grid
    >>> g = period_grid(dt.date(2026, 1, 1), 2, "monthly")
    >>> [round(float(v), 6) for v in grid_times(g)[1]]
    [0.084932, 0.076712]
    """
    if not isinstance(grid, PeriodGrid):
        raise ValidationError("grid", "must be a PeriodGrid", type(grid).__name__)
    start = grid.as_of if as_of is None else as_of
    if grid.as_of < start:
        raise ValidationError(
            "grid",
            f"starts {grid.as_of.isoformat()}, before the model's as_of {start.isoformat()}",
            grid.as_of.isoformat(),
        )
    times = (grid.end_dates - np.datetime64(start, "D")).astype(np.float64) / 365.0
    steps = np.diff(times, prepend=0.0)
    return np.asarray(times), np.asarray(steps)


def check_simulation_request(n_paths: object, seed: object, first_path: object) -> None:
    """Reject non-integer or out-of-range path counts, seeds and offsets, naming the field.

    >>> check_simulation_request(0, 1, 0)
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: n_paths: must be a positive whole number (got 0)
    """
    checks: tuple[tuple[str, object, int, str], ...] = (
        ("n_paths", n_paths, 1, "a positive whole number"),
        ("seed", seed, 0, "a whole number >= 0"),
        ("first_path", first_path, 0, "a whole number >= 0"),
    )
    for name, value, low, what in checks:
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise ValidationError(name, f"must be {what}", value)
        if int(value) < low:
            raise ValidationError(name, f"must be {what}", value)
