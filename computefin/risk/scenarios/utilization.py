"""Spot utilization scenarios: a logit Ornstein-Uhlenbeck process, bounded in (0, 1).

The share of a fleet's spot (uncontracted) GPU-hours that are sold:

``u_t = 1 / (1 + exp(-Y_t))``,  ``dY = kappa (logit(theta) - Y) dt + sigma dW``,
``Y_0 = logit(u0)``

so utilization mean-reverts towards ``theta`` (its long-run median) and can never leave
(0, 1). ``expected`` integrates the logistic over the Gaussian ``Y_t`` by Gauss-Hermite
quadrature. Calibration fits the OU to the logit of an occupancy series (shares clipped
to ``[eps, 1 - eps]``). See ``docs/models/utilization.md``.

>>> import datetime as dt
>>> from computefin.risk.grid import period_grid
>>> model = UtilizationModel.preset("china-intelligent-compute", key="CN-NX-ZW-0001")
>>> paths = model.simulate(2000, period_grid(dt.date(2026, 6, 30), 12), seed=3)
>>> bool(((paths > 0) & (paths < 1)).all())
True
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

import numpy as np
from pydantic import Field

from computefin._typing import FloatArray
from computefin.domain._base import DomainModel
from computefin.domain._types import Identifier
from computefin.errors import ValidationError
from computefin.risk._random import draw_paths
from computefin.risk.scenarios._ou import (
    CalibrationReport,
    check_history,
    check_simulation_request,
    fit_ou,
    gauss_logistic_mean,
    grid_times,
    history_times,
    logistic,
    ou_mean,
    ou_paths,
    ou_variance,
)
from computefin.risk.scenarios.occupancy import occupancy_series

if TYPE_CHECKING:
    import pandas as pd

    from computefin.risk.grid import PeriodGrid

__all__ = ["DEFAULT_UTILIZATION_EPS", "UtilizationModel", "UtilizationPreset"]

DEFAULT_UTILIZATION_EPS: Final = 1e-3
"""Calibration clips shares to [eps, 1 - eps] (0.1% of GPUs): logit stays within +-6.9."""

_MAX_SIGMA: Final = 5.0
_MAX_KAPPA: Final = 1000.0


class UtilizationPreset(StrEnum):
    """Documented default parameter sets (theta, kappa, sigma); see docs/models/utilization.md.

    >>> UtilizationPreset("training-cluster").theta
    0.85
    """

    CHINA_INTELLIGENT_COMPUTE = "china-intelligent-compute"
    TRAINING_CLUSTER = "training-cluster"
    ENTERPRISE_KUBERNETES = "enterprise-kubernetes"

    @property
    def theta(self) -> float:
        """Long-run (median) utilization."""
        return _PRESETS[self][0]

    @property
    def kappa(self) -> float:
        """Speed of reversion of the logit, per year."""
        return _PRESETS[self][1]

    @property
    def sigma(self) -> float:
        """Volatility of the logit, per square-root year."""
        return _PRESETS[self][2]


_PRESETS: Final = MappingProxyType(
    {
        # DOMAIN.md 3: China intelligent-compute centres about 30%, many 2024 sites under 30%
        UtilizationPreset.CHINA_INTELLIGENT_COMPUTE: (0.30, 1.0, 0.6),
        # DOMAIN.md 3: large training clusters 80-90% (Meta research clusters > 80%)
        UtilizationPreset.TRAINING_CLUSTER: (0.85, 2.0, 0.6),
        # DOMAIN.md 3: enterprise Kubernetes GPU clusters about 5%
        UtilizationPreset.ENTERPRISE_KUBERNETES: (0.05, 1.0, 0.5),
    }
)


def _logit(u: float) -> float:
    return math.log(u) - math.log1p(-u)


def _shares(values: FloatArray) -> tuple[int, str] | None:
    bad = np.nonzero((values < 0.0) | (values > 1.0))[0]
    if not bad.size:
        return None
    i = int(bad[0])
    reason = "utilization must be a share in [0, 1]"
    if 1.0 < values[i] <= 100.0:
        reason += " (0.35 means 35%); this looks like a percentage"
    return i, reason


class UtilizationModel(DomainModel):
    """Spot utilization of one resource: a logit-OU process in (0, 1).

    ``key`` names the random stream (``utilization/<key>``): use the resource id or the
    fleet id, so that two fleets get independent draws and one fleet the same draws in
    every run. ``as_of`` (optional) dates ``u0``; without it ``u0`` is taken at the grid's
    as-of date.

    >>> from computefin.risk.grid import period_grid
    >>> m = UtilizationModel(key="fleet-1", theta=0.3, u0=0.3, kappa=1.0, sigma=0.0)
    >>> m.expected(period_grid(dt.date(2026, 1, 1), 2)).round(12).tolist()
    [0.3, 0.3]
    >>> UtilizationModel(key="fleet-1", theta=30, u0=0.3)
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: UtilizationModel.theta: Input should be less than 1 ...
    """

    key: Identifier = Field(description="Random-stream key: resource or fleet id.")
    theta: float = Field(gt=0.0, lt=1.0, description="Long-run (median) utilization share.")
    u0: float = Field(gt=0.0, lt=1.0, description="Utilization share at as_of.")
    kappa: float = Field(default=1.0, ge=0.0, le=_MAX_KAPPA, description="Logit speed, per year.")
    sigma: float = Field(
        default=0.6, ge=0.0, le=_MAX_SIGMA, description="Logit vol, per sqrt(year)."
    )
    as_of: dt.date | None = Field(
        default=None, description="Date of u0; None means the grid's as-of date."
    )
    calibration: CalibrationReport | None = Field(
        default=None, description="Diagnostics when the model came from calibrate()."
    )

    @property
    def component(self) -> str:
        """Random-stream name: ``utilization/<key>``."""
        return f"utilization/{self.key}"

    def _logit_moments(self, times: FloatArray) -> tuple[FloatArray, FloatArray]:
        mean = ou_mean(_logit(self.u0), _logit(self.theta), self.kappa, times)
        return mean, ou_variance(self.kappa, self.sigma, times)

    def expected(self, grid: PeriodGrid) -> FloatArray:
        """``E[u_t]`` at each period end, shape ``(periods,)``.

        ``Y_t`` is Gaussian (OU mean and variance in closed form); ``E[logistic(Y_t)]`` by
        Gauss-Hermite quadrature (:func:`gauss_logistic_mean`). The mean lies between
        ``u0`` and the stationary mean, which is pulled from ``theta`` towards 0.5.

        >>> from computefin.risk.grid import period_grid
        >>> m = UtilizationModel(key="x", theta=0.85, u0=0.5, kappa=2.0, sigma=0.6)
        >>> m.expected(period_grid(dt.date(2026, 1, 1), 36, "annual")).round(4).tolist()
        [0.8134, 0.8419, 0.8455]
        """
        times, _ = grid_times(grid, self.as_of)
        mean, variance = self._logit_moments(times)
        return gauss_logistic_mean(mean, variance)

    def simulate(
        self, n_paths: int, grid: PeriodGrid, seed: int, first_path: int = 0
    ) -> FloatArray:
        """Utilization paths at period ends, shape ``(n_paths, periods)``, in (0, 1).

        Exact OU steps for ``Y``; the logistic keeps every value strictly inside (0, 1)
        (``Y`` is clipped to +-36 for the mapping only, a change below 2.3e-16).

        >>> from computefin.risk.grid import period_grid
        >>> m = UtilizationModel(key="x", theta=0.3, u0=0.2)
        >>> g = period_grid(dt.date(2026, 1, 1), 6)
        >>> bool((m.simulate(5, g, seed=2) == m.simulate(5, g, seed=2)).all())
        True
        """
        check_simulation_request(n_paths, seed, first_path)
        _, steps = grid_times(grid, self.as_of)
        y0, mu = _logit(self.u0), _logit(self.theta)

        def draw(rng: np.random.Generator, n: int) -> FloatArray:
            shocks = rng.standard_normal((n, steps.size))
            return logistic(ou_paths(y0, mu, self.kappa, self.sigma, steps, shocks))

        return draw_paths(seed, self.component, n_paths, draw, first_path)

    # --- construction ---------------------------------------------------------------------

    @classmethod
    def preset(
        cls,
        preset: UtilizationPreset | str,
        key: str,
        u0: float | None = None,
        as_of: dt.date | None = None,
    ) -> UtilizationModel:
        """A documented default: ``theta``, ``kappa``, ``sigma`` of the preset; ``u0`` defaults
        to ``theta``.

        >>> UtilizationModel.preset("training-cluster", key="fleet-1").theta
        0.85
        """
        chosen = UtilizationPreset(preset)
        start = chosen.theta if u0 is None else u0
        return cls(
            key=key,
            theta=chosen.theta,
            u0=start,
            kappa=chosen.kappa,
            sigma=chosen.sigma,
            as_of=as_of,
        )

    @classmethod
    def calibrate(
        cls,
        history: pd.Series,
        key: str | None = None,
        *,
        eps: float = DEFAULT_UTILIZATION_EPS,
    ) -> UtilizationModel:
        """Fit ``theta``, ``kappa``, ``sigma`` to a series of utilization shares in [0, 1].

        Shares are clipped to ``[eps, 1 - eps]`` and mapped to logits; :func:`fit_ou`
        estimates the OU (OLS on a regular grid, exact likelihood otherwise). ``theta`` is
        the logistic of the fitted mean, ``u0`` the last (clipped) share, ``as_of`` the last
        date. ``key`` defaults to the series' name.

        >>> import pandas as pd
        >>> days = pd.date_range("2026-01-01", periods=60, freq="D")
        >>> wave = 0.3 + 0.05 * np.sin(np.arange(60) / 6.0)
        >>> m = UtilizationModel.calibrate(pd.Series(wave, index=days, name="CN-GZ-1"))
        >>> m.key, m.as_of, round(m.u0, 4)
        ('CN-GZ-1', datetime.date(2026, 3, 1), 0.2801)
        """
        if not (isinstance(eps, float | int) and 0.0 < eps <= 0.1):
            raise ValidationError("eps", "must be in (0, 0.1]", eps)
        index, values = check_history(history, check_values=_shares)
        name = key if key is not None else history.name
        if not isinstance(name, str) or not name:
            raise ValidationError(
                "key", "needed to name the random stream: pass key= or name the series", name
            )
        clipped = np.clip(values, eps, 1.0 - eps)
        logits = np.log(clipped) - np.log1p(-clipped)
        fit = fit_ou(history_times(index), logits)
        if fit.sigma > _MAX_SIGMA or fit.kappa > _MAX_KAPPA:
            raise ValidationError(
                "history",
                f"fitted logit volatility {fit.sigma:.3g} per sqrt(year) and speed "
                f"{fit.kappa:.3g} per year exceed the model's bounds ({_MAX_SIGMA}, "
                f"{_MAX_KAPPA}): the shares jump too far between observations; resample to "
                "a coarser frequency or raise eps",
            )
        notes = list(fit.notes)
        n_clipped = int((clipped != values).sum())
        if n_clipped:
            notes.append(f"{n_clipped} shares clipped to [{eps}, {1.0 - eps}]")
        u0 = float(clipped[-1])
        if fit.kappa == 0.0:
            theta = u0
            theta_se = None
            notes.append("theta set to the last share: no reversion to estimate it from")
        else:
            theta = float(logistic(np.array([fit.mu]))[0])
            theta_se = None if fit.mu_se is None else theta * (1.0 - theta) * fit.mu_se
        report = CalibrationReport(
            method=f"OU of logit(share) by {fit.method}",
            n_observations=values.size,
            start=index[0].date(),
            end=index[-1].date(),
            estimates={"theta": theta, "kappa": fit.kappa, "sigma": fit.sigma, "u0": u0},
            standard_errors={
                "theta": theta_se,
                "kappa": fit.kappa_se,
                "sigma": fit.sigma_se,
                "u0": None,
            },
            residual_std=fit.residual_std,
            log_likelihood=fit.log_likelihood,
            notes=tuple(notes),
        )
        return cls(
            key=name,
            theta=theta,
            u0=u0,
            kappa=fit.kappa,
            sigma=fit.sigma,
            as_of=index[-1].date(),
            calibration=report,
        )

    @classmethod
    def from_occupancy(
        cls,
        frame: pd.DataFrame,
        resource_id: str | Sequence[str],
        *,
        freq: str = "D",
        key: str | None = None,
        eps: float = DEFAULT_UTILIZATION_EPS,
    ) -> UtilizationModel:
        """Calibrate on an occupancy feed (:func:`read_occupancy_csv`) for one resource.

        The share busy per ``freq`` period (:func:`occupancy_series`) is the history;
        ``key`` defaults to the resource id (ids joined by ``+`` for several).

        >>> import pandas as pd
        >>> days = pd.date_range("2026-01-01", periods=40, freq="D")
        >>> busy = (100 * (0.3 + 0.05 * np.sin(np.arange(40) / 5.0))).round().astype(int)
        >>> frame = pd.DataFrame({"timestamp": days, "resource_id": "R-1", "provider": "p",
        ...     "region": "r", "accelerator": "nvidia-h20", "gpus_total": 100,
        ...     "gpus_busy": busy})
        >>> UtilizationModel.from_occupancy(frame, "R-1").key
        'R-1'
        """
        series = occupancy_series(frame, resource_id, freq=freq)
        return cls.calibrate(series, key=key if key is not None else str(series.name), eps=eps)
