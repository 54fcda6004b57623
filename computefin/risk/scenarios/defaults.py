"""Counterparty defaults: constant hazard rates joined by a one-factor Gaussian copula.

Each counterparty ``i`` defaults at a random time ``tau_i`` (years ACT/365F from the
grid's as-of date) with a constant hazard rate ``h_i = -ln(1 - PD_i)``, so that its
one-year default probability is exactly ``PD_i`` and ``P(tau_i <= t) = 1 - exp(-h_i t)``.
Defaults are correlated through one systematic factor ``M`` (the economy, or the AI
compute cycle) with asset correlation ``rho``::

    A_i = sqrt(rho) M + sqrt(1 - rho) eps_i,      M, eps_i ~ N(0, 1) independent
    U_i = Phi(A_i)
    tau_i = -ln(1 - U_i) / h_i

Random numbers come from :func:`computefin.risk._random.draw_paths`: the factor from the
stream ``"defaults/factor"`` and each counterparty's own shock from
``"defaults/counterparty/<id>"``. Adding or removing a counterparty therefore leaves the
default times of every other counterparty unchanged, path for path, and a chunked run
reproduces a single run bit for bit.

See ``docs/models/defaults.md`` for the equations, defaults, calibration and limitations.

>>> import datetime as dt
>>> from computefin.risk.grid import period_grid
>>> grid = period_grid(dt.date(2026, 1, 1), 12)
>>> times = DefaultModel().simulate({"lab-a": 0.05}, n_paths=2000, grid=grid, seed=1)
>>> round(float((times.default_time_years["lab-a"] <= 1.0).mean()), 2)
0.05
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from numbers import Integral, Real
from types import MappingProxyType
from typing import Final

import numpy as np
import pandas as pd
from pydantic import Field
from scipy import integrate, optimize, special

from computefin._typing import BoolArray, FloatArray, IntArray
from computefin.domain import Counterparty, MarketSnapshot
from computefin.domain._base import DomainModel
from computefin.errors import ValidationError
from computefin.risk._random import draw_paths
from computefin.risk.grid import PeriodGrid

__all__ = [
    "DEFAULT_ASSET_CORRELATION",
    "MIN_HISTORY_YEARS",
    "CohortFit",
    "DefaultFit",
    "DefaultModel",
    "DefaultTimes",
    "basel_corporate_correlation",
    "hazard_rate",
    "joint_default_probability",
    "survival",
    "vasicek_default_rate_variance",
]


DEFAULT_ASSET_CORRELATION: Final = 0.20
"""Default asset correlation: Basel's corporate ``R`` for a PD of about 1% (CRE31.5)."""

MIN_HISTORY_YEARS: Final = 5
"""Fewest annual observations per cohort that :meth:`DefaultModel.calibrate` accepts."""

_MAX_FIT_CORRELATION: Final = 0.99
_FACTOR_STREAM: Final = "defaults/factor"
_COUNTERPARTY_STREAM: Final = "defaults/counterparty/"
_ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$")


# --------------------------------------------------------------------------- checks


def _check_pd(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValidationError(field, "must be a number (one-year PD as a decimal)", value)
    pd_1y = float(value)
    if not math.isfinite(pd_1y) or not 0.0 < pd_1y <= 1.0:
        raise ValidationError(
            field, "must be a one-year PD in (0, 1] as a decimal (0.02 = 2%)", value
        )
    return pd_1y


def _check_probability(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValidationError(field, "must be a probability in [0, 1]", value)
    p = float(value)
    if not math.isfinite(p) or not 0.0 <= p <= 1.0:
        raise ValidationError(field, "must be a probability in [0, 1]", value)
    return p


def _check_correlation(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValidationError(field, "must be a number in [0, 1)", value)
    rho = float(value)
    if not math.isfinite(rho) or not 0.0 <= rho < 1.0:
        raise ValidationError(field, "must be in [0, 1)", value)
    return rho


def _check_int(value: object, field: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValidationError(field, "must be a whole number", value)
    if int(value) < minimum:
        raise ValidationError(field, f"must be >= {minimum}", value)
    return int(value)


def _check_grid(grid: object) -> PeriodGrid:
    if not isinstance(grid, PeriodGrid):
        raise ValidationError("grid", "must be a PeriodGrid (see computefin.risk.grid)", grid)
    return grid


def _start_times(grid: PeriodGrid) -> FloatArray:
    as_of = np.datetime64(grid.as_of, "D")
    return (grid.start_dates - as_of).astype(np.float64) / 365.0


# --------------------------------------------------------------------------- closed forms


def hazard_rate(pd_1y: float) -> float:
    """Constant hazard rate per year, ``h = -ln(1 - PD)``, for a one-year PD in (0, 1].

    ``PD = 1`` gives ``inf`` (defaulted at time 0).

    >>> round(hazard_rate(0.05), 6)
    0.051293
    >>> hazard_rate(1.0)
    inf
    """
    p = _check_pd(pd_1y, "pd")
    return math.inf if p == 1.0 else -math.log1p(-p)


def survival(pd_1y: float, grid: PeriodGrid) -> FloatArray:
    """Probability of surviving to each period end, ``exp(-h t)``, shape ``(periods,)``.

    ``t`` is ``grid.times`` (years ACT/365F from the as-of date).

    >>> import datetime as dt
    >>> from computefin.risk.grid import period_grid
    >>> grid = period_grid(dt.date(2026, 1, 1), 24, "annual")
    >>> survival(0.05, grid).round(4).tolist()
    [0.95, 0.9025]
    """
    h = hazard_rate(pd_1y)
    times = _check_grid(grid).times
    if math.isinf(h):
        return np.zeros_like(times)
    return np.exp(-h * times)


def basel_corporate_correlation(pd_1y: float) -> float:
    """Basel IRB corporate asset correlation ``R(PD)`` (CRE31.5), from 0.24 down to 0.12.

    ``R = 0.12 w + 0.24 (1 - w)`` with ``w = (1 - exp(-50 PD)) / (1 - exp(-50))``; no SME
    size adjustment. A bank can pass this as :attr:`DefaultModel.asset_correlation`.

    >>> round(basel_corporate_correlation(0.01), 4)
    0.1928
    >>> round(basel_corporate_correlation(0.20), 4)
    0.12
    """
    p = _check_pd(pd_1y, "pd")
    w = -math.expm1(-50.0 * p) / -math.expm1(-50.0)
    return 0.12 * w + 0.24 * (1.0 - w)


def _phi2_excess(a: float, b: float, rho: float) -> float:
    """``Phi2(a, b; rho) - Phi(a) Phi(b)`` by Plackett's identity (a 1-D integral in rho)."""
    if rho == 0.0 or math.isinf(a) or math.isinf(b):
        return 0.0

    def density(r: float) -> float:
        q = (a * a - 2.0 * r * a * b + b * b) / (2.0 * (1.0 - r * r))
        return math.exp(-q) / (2.0 * math.pi * math.sqrt(1.0 - r * r))

    value, _ = integrate.quad(density, 0.0, rho, epsabs=1e-15, epsrel=1e-11, limit=200)
    return float(value)


def _norm_ppf(p: float) -> float:
    return float(special.ndtri(p))


def joint_default_probability(p_a: float, p_b: float, asset_correlation: float) -> float:
    """``P(tau_a <= t, tau_b <= t)`` for two names with default probabilities by ``t``.

    Under the Gaussian copula this is the bivariate normal ``Phi2(G(p_a), G(p_b); rho)``
    with ``G`` the standard normal quantile; it is computed exactly (to ~1e-12) from
    Plackett's identity ``Phi2 - p_a p_b = int_0^rho phi2(G(p_a), G(p_b); r) dr``.

    >>> round(joint_default_probability(0.05, 0.05, 0.0), 6)
    0.0025
    >>> round(joint_default_probability(0.05, 0.05, 0.2), 5)
    0.00525
    """
    pa = _check_probability(p_a, "p_a")
    pb = _check_probability(p_b, "p_b")
    rho = _check_correlation(asset_correlation, "asset_correlation")
    if pa in (0.0, 1.0) or pb in (0.0, 1.0):
        return pa * pb
    return pa * pb + _phi2_excess(_norm_ppf(pa), _norm_ppf(pb), rho)


def vasicek_default_rate_variance(pd_1y: float, asset_correlation: float) -> float:
    """Variance of a large pool's annual default rate, ``Phi2(G(p), G(p); rho) - p^2``.

    This is the variance of the conditional PD ``Phi((G(p) - sqrt(rho) M) / sqrt(1 - rho))``
    over the factor ``M``; the method of moments in :meth:`DefaultModel.calibrate` inverts
    it for ``rho``. Zero when ``rho = 0`` and increasing in ``rho``.

    >>> vasicek_default_rate_variance(0.02, 0.0)
    0.0
    >>> round(vasicek_default_rate_variance(0.02, 0.15) ** 0.5, 4)
    0.0218
    """
    p = _check_probability(pd_1y, "pd")
    rho = _check_correlation(asset_correlation, "asset_correlation")
    if p in (0.0, 1.0):
        return 0.0
    g = _norm_ppf(p)
    return _phi2_excess(g, g, rho)


# --------------------------------------------------------------------------- simulation


@dataclass(frozen=True, eq=False)
class DefaultTimes:
    """Simulated default times of counterparties on a grid, paths ``[first_path, +n_paths)``.

    * ``default_time_years[id]``: ``(paths,)`` default time in years ACT/365F from
      ``grid.as_of``; finite even beyond the horizon (the exact draw), 0 when PD = 1.
    * ``default_period[id]``: ``(paths,)`` int64, the index of the period containing the
      default time (period ``t`` is ``[start_t, end_t)``); ``n_periods`` when the
      counterparty survives the grid.
    * :meth:`alive`: ``(paths, periods)`` bool, not yet defaulted at the period's end.
    * :meth:`paid_share`: ``(paths, periods)`` in [0, 1], the share of the period before
      default: 1 while alive, ``(tau - start) / (end - start)`` in the default period
      (a counterparty pays pro rata up to its default time), 0 afterwards.

    >>> import datetime as dt
    >>> from computefin.risk.grid import period_grid
    >>> grid = period_grid(dt.date(2026, 1, 1), 6)
    >>> t = DefaultModel(asset_correlation=0.2).simulate(
    ...     {"telco-b": 0.01, "lab-a": 0.9}, n_paths=3, grid=grid, seed=11)
    >>> t.counterparty_ids
    ('lab-a', 'telco-b')
    >>> t.alive("lab-a").shape, t.paid_share("lab-a").shape
    ((3, 6), (3, 6))
    """

    grid: PeriodGrid
    asset_correlation: float
    pds: Mapping[str, float]
    default_time_years: Mapping[str, FloatArray]
    default_period: Mapping[str, IntArray]
    seed: int
    first_path: int
    n_paths: int

    @property
    def counterparty_ids(self) -> tuple[str, ...]:
        """Counterparty ids in sorted order (the order of every stacked array)."""
        return tuple(self.pds)

    def _times(self, counterparty_id: str) -> FloatArray:
        try:
            return self.default_time_years[counterparty_id]
        except KeyError:
            raise ValidationError(
                "counterparty_id", "not among the simulated counterparties", counterparty_id
            ) from None

    def alive(self, counterparty_id: str) -> BoolArray:
        """``(paths, periods)``: True while the counterparty has not defaulted by period end."""
        self._times(counterparty_id)
        periods = np.arange(self.grid.n_periods)
        return self.default_period[counterparty_id][:, None] > periods[None, :]

    def paid_share(self, counterparty_id: str) -> FloatArray:
        """``(paths, periods)`` share of each period the counterparty pays for, in [0, 1].

        1 before the default period, ``(tau - start) / (end - start)`` in it, 0 after.
        """
        tau = self._times(counterparty_id)
        start = _start_times(self.grid)
        end = self.grid.times
        return np.clip((tau[:, None] - start[None, :]) / (end - start)[None, :], 0.0, 1.0)

    def censored_default_times(self) -> dict[str, FloatArray]:
        """Default times by id with ``inf`` where the counterparty survives the grid.

        The form :class:`computefin.risk.scenario_set.ScenarioSet` stores
        (``inf`` = no default within the horizon).
        """
        out: dict[str, FloatArray] = {}
        for cp in self.counterparty_ids:
            survives = self.default_period[cp] == self.grid.n_periods
            out[cp] = np.where(survives, np.inf, self.default_time_years[cp])
        return out

    def default_times_matrix(self) -> FloatArray:
        """``(counterparties, paths)`` default times stacked in :attr:`counterparty_ids` order."""
        return np.stack([self.default_time_years[i] for i in self.counterparty_ids])

    def default_count(self) -> IntArray:
        """``(paths, periods)`` number of counterparties defaulted by each period end."""
        count = np.zeros((self.n_paths, self.grid.n_periods), dtype=np.int64)
        for cp in self.counterparty_ids:
            count += ~self.alive(cp)
        return count

    def to_frame(self) -> pd.DataFrame:
        """One row per (counterparty, path): ``default_time_years``, ``default_period``."""
        ids = self.counterparty_ids
        paths = np.arange(self.first_path, self.first_path + self.n_paths)
        return pd.DataFrame(
            {
                "counterparty_id": np.repeat(np.array(ids, dtype=object), self.n_paths),
                "path": np.tile(paths, len(ids)),
                "pd_1y": np.repeat([self.pds[i] for i in ids], self.n_paths),
                "default_time_years": np.concatenate([self.default_time_years[i] for i in ids]),
                "default_period": np.concatenate([self.default_period[i] for i in ids]),
            }
        )


class DefaultModel(DomainModel):
    """One-factor Gaussian copula of constant-hazard default times (component ``defaults``).

    ``asset_correlation`` (``rho`` in [0, 1)) is the correlation of any two counterparties'
    latent asset values; 0 makes defaults independent. The default 0.20 is Basel's
    corporate ``R`` at a PD of about 1% (:func:`basel_corporate_correlation`), within the
    0.12-0.24 corporate range and towards its top because compute counterparties share
    one sector and one demand cycle.

    >>> model = DefaultModel()
    >>> model.asset_correlation
    0.2
    >>> DefaultModel(asset_correlation=1.0)
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: DefaultModel.asset_correlation: Input should be less ...
    """

    asset_correlation: float = Field(
        default=DEFAULT_ASSET_CORRELATION,
        ge=0.0,
        lt=1.0,
        description="Asset correlation rho of the one-factor Gaussian copula, decimal in [0, 1).",
    )

    @staticmethod
    def pds_from_market(
        counterparties: Iterable[Counterparty], market: MarketSnapshot
    ) -> dict[str, float]:
        """One-year PDs keyed by counterparty id, from ``market.pd_for`` (override or table).

        >>> import datetime as dt
        >>> from computefin.domain import Counterparty, MarketSnapshot, PdEntry
        >>> market = MarketSnapshot(as_of=dt.date(2026, 1, 5),
        ...                         pd_table=[PdEntry(rating="BB", pd_1y=0.008)])
        >>> cps = [Counterparty(id="a", name="A", rating="BB", sector="ai_lab", country="US"),
        ...        Counterparty(id="b", name="B", rating="BB", sector="ai_lab", country="US",
        ...                     pd_override=0.05)]
        >>> DefaultModel.pds_from_market(cps, market)
        {'a': 0.008, 'b': 0.05}
        """
        out: dict[str, float] = {}
        for i, cp in enumerate(counterparties):
            if cp.id in out:
                raise ValidationError(f"counterparties[{i}].id", "duplicates an earlier id", cp.id)
            out[cp.id] = market.pd_for(cp)
        return dict(sorted(out.items()))

    def simulate(
        self,
        pds: Mapping[str, float],
        n_paths: int,
        grid: PeriodGrid,
        seed: int,
        first_path: int = 0,
    ) -> DefaultTimes:
        """Draw default times of every counterparty in ``pds`` (one-year PD by id).

        Paths ``[first_path, first_path + n_paths)`` of the run seeded ``seed``: the same
        seed gives bit-identical results, and any chunking of paths reproduces the whole.

        >>> import datetime as dt
        >>> from computefin.risk.grid import period_grid
        >>> grid = period_grid(dt.date(2026, 1, 1), 12)
        >>> model = DefaultModel(asset_correlation=0.2)
        >>> whole = model.simulate({"a": 0.05, "b": 0.02}, n_paths=3000, grid=grid, seed=5)
        >>> part = model.simulate({"a": 0.05}, n_paths=1000, grid=grid, seed=5,
        ...                       first_path=1500)
        >>> bool((whole.default_time_years["a"][1500:2500]
        ...       == part.default_time_years["a"]).all())
        True
        >>> model.simulate({"a": 1.5}, n_paths=10, grid=grid, seed=5)
        Traceback (most recent call last):
        ...
        computefin.errors.ValidationError: pds[a]: must be a one-year PD in (0, 1] ...
        """
        checked = _check_pds(pds)
        n = _check_int(n_paths, "n_paths", 1)
        seed_ = _check_int(seed, "seed", 0)
        first = _check_int(first_path, "first_path", 0)
        grid_ = _check_grid(grid)
        rho = self.asset_correlation

        def normals(rng: np.random.Generator, size: int) -> FloatArray:
            return rng.standard_normal(size)

        factor = draw_paths(seed_, _FACTOR_STREAM, n, normals, first) if rho > 0.0 else np.zeros(n)
        loading, idio = math.sqrt(rho), math.sqrt(1.0 - rho)
        times: dict[str, FloatArray] = {}
        periods: dict[str, IntArray] = {}
        for cp, pd_1y in checked.items():
            eps = draw_paths(seed_, _COUNTERPARTY_STREAM + cp, n, normals, first)
            latent = loading * factor + idio * eps
            if pd_1y == 1.0:
                tau = np.zeros(n)
            else:
                # 1 - U = Phi(-A); log_ndtr keeps full precision deep in both tails.
                log_survive = np.asarray(special.log_ndtr(-latent), dtype=np.float64)
                tau = -log_survive / -math.log1p(-pd_1y)
            tau = np.maximum(tau, 0.0)  # -0.0 -> 0.0
            period = np.searchsorted(grid_.times, tau, side="right").astype(np.int64)
            tau.setflags(write=False)
            period.setflags(write=False)
            times[cp] = tau
            periods[cp] = period
        return DefaultTimes(
            grid=grid_,
            asset_correlation=rho,
            pds=MappingProxyType(checked),
            default_time_years=MappingProxyType(times),
            default_period=MappingProxyType(periods),
            seed=seed_,
            first_path=first,
            n_paths=n,
        )

    @classmethod
    def calibrate(cls, history: pd.DataFrame) -> DefaultFit:
        """Pooled PD per cohort and ``rho`` by the Vasicek method of moments.

        ``history`` has one row per (cohort, year): ``year``, ``rating`` (or ``cohort``),
        ``obligors`` (alive at the start of the year) and ``defaults`` (during the year).
        Each cohort needs at least :data:`MIN_HISTORY_YEARS` years.

        * ``PD_c = sum(defaults) / sum(obligors)`` (pooled, obligor-weighted).
        * The sample variance ``s_c^2`` of annual default rates ``d = defaults / obligors``
          has expectation ``V (1 - H) + p (1 - p) H`` with ``H = mean(1 / obligors)``
          (binomial noise on top of the factor), so ``V_c = (s_c^2 - p(1-p) H) / (1 - H)``.
        * ``rho`` solves ``sum_c vasicek_default_rate_variance(PD_c, rho) = sum_c V_c``,
          clipped to [0, 0.99]; per-cohort solutions are reported beside it.

        >>> import pandas as pd
        >>> history = pd.DataFrame({
        ...     "year": list(range(2015, 2025)), "rating": ["BB"] * 10,
        ...     "obligors": [500] * 10,
        ...     "defaults": [3, 9, 4, 2, 15, 6, 3, 5, 11, 4]})
        >>> fit = DefaultModel.calibrate(history)
        >>> fit.pds["BB"]
        0.0124
        >>> round(fit.model.asset_correlation, 3), fit.at_bound
        (0.04, False)
        """
        frame, column = _check_history(history)
        cohorts: list[CohortFit] = []
        for name, rows in frame.groupby(column, sort=True):
            obligors = rows["obligors"].to_numpy(dtype=np.float64)
            defaults = rows["defaults"].to_numpy(dtype=np.float64)
            p = float(defaults.sum() / obligors.sum())
            rates = defaults / obligors
            s2 = float(rates.var(ddof=1))
            h = float((1.0 / obligors).mean())
            v = (s2 - p * (1.0 - p) * h) / (1.0 - h) if h < 1.0 else 0.0
            cohorts.append(
                CohortFit(
                    cohort=str(name),
                    years=len(rows),
                    obligor_years=int(obligors.sum()),
                    defaults=int(defaults.sum()),
                    pd=p,
                    default_rate_std=math.sqrt(s2),
                    factor_variance=v,
                    asset_correlation=_solve_rho([p], v)[0] if 0.0 < p < 1.0 else None,
                )
            )
        informative = [c for c in cohorts if 0.0 < c.pd < 1.0]
        if not informative:
            raise ValidationError(
                "history.defaults",
                "every cohort has a default rate of 0 or 1 in every year; "
                "the asset correlation cannot be estimated",
            )
        rho, at_bound = _solve_rho(
            [c.pd for c in informative], sum(c.factor_variance for c in informative)
        )
        return DefaultFit(
            model=cls(asset_correlation=rho),
            pds=MappingProxyType({c.cohort: c.pd for c in cohorts}),
            cohorts=tuple(cohorts),
            asset_correlation=rho,
            at_bound=at_bound,
        )


def _check_pds(pds: object) -> dict[str, float]:
    if not isinstance(pds, Mapping):
        raise ValidationError("pds", "must be a mapping of counterparty id to one-year PD")
    if not pds:
        raise ValidationError("pds", "must name at least one counterparty")
    checked: dict[str, float] = {}
    for key in sorted(pds, key=str):
        if not isinstance(key, str) or not _ID_PATTERN.match(key) or len(key) > 128:
            raise ValidationError(
                "pds", "keys must be counterparty ids (letters, digits, _ . : / -)", key
            )
        checked[key] = _check_pd(pds[key], f"pds[{key}]")
    return checked


def _solve_rho(pds: list[float], target: float) -> tuple[float, bool]:
    """``rho`` in [0, 0.99] with ``sum vasicek_variance(pd, rho) = target``; flag bounds."""
    if target <= 0.0:
        return 0.0, True

    def excess(rho: float) -> float:
        return sum(vasicek_default_rate_variance(p, rho) for p in pds) - target

    if excess(_MAX_FIT_CORRELATION) <= 0.0:
        return _MAX_FIT_CORRELATION, True
    root = optimize.brentq(excess, 0.0, _MAX_FIT_CORRELATION, xtol=1e-10, rtol=1e-12)
    return float(root), False


def _check_history(history: object) -> tuple[pd.DataFrame, str]:
    if not isinstance(history, pd.DataFrame):
        raise ValidationError("history", "must be a pandas DataFrame", type(history).__name__)
    has = [c for c in ("rating", "cohort") if c in history.columns]
    if len(has) != 1:
        reason = "has both" if has else "needs one of"
        raise ValidationError("history.rating", f"{reason} the columns 'rating' and 'cohort'")
    column = has[0]
    for name in ("year", "obligors", "defaults"):
        if name not in history.columns:
            raise ValidationError(f"history.{name}", "missing column")
    frame = history[[column, "year", "obligors", "defaults"]].reset_index(drop=True)
    numeric: dict[str, FloatArray] = {}
    for name in ("year", "obligors", "defaults"):
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(values) | (values != np.round(values))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValidationError(
                f"history[{i}].{name}", "must be a finite whole number", frame[name].iloc[i]
            )
        numeric[name] = values
    for name, low in (("obligors", 1.0), ("defaults", 0.0)):
        bad = numeric[name] < low
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValidationError(f"history[{i}].{name}", f"must be >= {low:g}", numeric[name][i])
    over = numeric["defaults"] > numeric["obligors"]
    if over.any():
        i = int(np.flatnonzero(over)[0])
        raise ValidationError(
            f"history[{i}].defaults", "must not exceed obligors", numeric["defaults"][i]
        )
    if frame[column].isna().any():
        i = int(np.flatnonzero(frame[column].isna().to_numpy())[0])
        raise ValidationError(f"history[{i}].{column}", "missing cohort label")
    out = pd.DataFrame(
        {
            column: frame[column].astype(str),
            "year": numeric["year"].astype(np.int64),
            "obligors": numeric["obligors"],
            "defaults": numeric["defaults"],
        }
    )
    duplicated = out.duplicated([column, "year"]).to_numpy()
    if duplicated.any():
        i = int(np.flatnonzero(duplicated)[0])
        raise ValidationError(
            f"history[{i}].year",
            f"duplicates an earlier row of the same {column}",
            int(out["year"].iloc[i]),
        )
    counts = out.groupby(column)["year"].nunique()
    short = counts[counts < MIN_HISTORY_YEARS]
    if not short.empty:
        raise ValidationError(
            "history.year",
            f"each {column} needs at least {MIN_HISTORY_YEARS} years of observations to "
            f"estimate the asset correlation; {short.index[0]!r} has {int(short.iloc[0])}",
        )
    return out, column


# --------------------------------------------------------------------------- fit report


@dataclass(frozen=True)
class CohortFit:
    """Calibration figures of one cohort (rating notch or bank-defined pool).

    ``pd`` is the pooled one-year default rate; ``factor_variance`` the variance of the
    conditional PD net of binomial noise (negative when the data show less dispersion
    than independent defaults would); ``asset_correlation`` the cohort's own solution
    (None when its PD is 0 or 1).

    >>> CohortFit("BB", 10, 5000, 62, 0.0124, 0.0061, 1.3e-5, 0.08).pd
    0.0124
    """

    cohort: str
    years: int
    obligor_years: int
    defaults: int
    pd: float
    default_rate_std: float
    factor_variance: float
    asset_correlation: float | None


@dataclass(frozen=True)
class DefaultFit:
    """Result of :meth:`DefaultModel.calibrate`: the model, PDs by cohort and the report.

    ``at_bound`` is True when ``rho`` was clipped to 0 (no excess dispersion) or 0.99.

    >>> import pandas as pd
    >>> history = pd.DataFrame({"year": range(2016, 2024), "cohort": "all",
    ...                         "obligors": 1000, "defaults": [10, 30, 12, 8, 41, 15, 9, 20]})
    >>> fit = DefaultModel.calibrate(history)
    >>> c = fit.cohorts[0]
    >>> c.cohort, c.years, c.defaults, fit.pds["all"]
    ('all', 8, 145, 0.018125)
    >>> list(fit.to_frame().columns[:3])
    ['cohort', 'years', 'obligor_years']
    """

    model: DefaultModel
    pds: Mapping[str, float]
    cohorts: tuple[CohortFit, ...]
    asset_correlation: float
    at_bound: bool

    def to_frame(self) -> pd.DataFrame:
        """One row per cohort with its figures."""
        return pd.DataFrame([asdict(c) for c in self.cohorts])
