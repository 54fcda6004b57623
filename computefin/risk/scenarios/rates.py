"""Interest-rate scenarios: a parallel shift of the short rate, per path (Vasicek-style OU).

The valuation curve (``computefin.pricing``) gives today's discount factors ``D(t)``; a
scenario moves the whole short-rate curve by an additive shift ``r_t`` that follows

``dr = -kappa r dt + sigma dW``,  ``r_0 = 0``

(mean zero: the curve is today's best estimate). A path's discount factors are
``D(t) * M(t)`` with ``M(t) = exp(-int_0^t r_s ds)``, the integral taken by the
trapezoid rule over the grid's periods (:meth:`RateShiftModel.discount_multipliers`).
See ``docs/models/rates.md``.

>>> import datetime as dt
>>> from computefin.risk.grid import period_grid
>>> model = RateShiftModel()
>>> grid = period_grid(dt.date(2026, 6, 30), 24)
>>> shifts = model.simulate(4, grid, seed=11)
>>> RateShiftModel.discount_multipliers(shifts, grid).shape
(4, 24)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final, Literal

import numpy as np
from pydantic import Field, field_validator

from computefin._typing import FloatArray
from computefin.domain._base import DomainModel
from computefin.errors import ValidationError
from computefin.risk._random import draw_paths
from computefin.risk.scenarios._ou import (
    CalibrationReport,
    check_history,
    check_simulation_request,
    fit_ou,
    grid_times,
    history_times,
    ou_paths,
)

if TYPE_CHECKING:
    import pandas as pd

    from computefin.risk.grid import PeriodGrid

__all__ = ["DEFAULT_RATE_KAPPA", "DEFAULT_RATE_SIGMA", "RateShiftModel"]

DEFAULT_RATE_KAPPA: Final = 0.10
"""kappa, per year: slow reversion (half-life about 7 years), as in Vasicek fits to short rates."""

DEFAULT_RATE_SIGMA: Final = 0.01
"""sigma, decimal per square-root year: 100 bp a year of normal short-rate volatility."""

_MAX_SIGMA: Final = 0.2
_SERIES_SWITCH: Final = 0.1
# (x + 2 (e^{-x} - 1) - (e^{-2x} - 1) / 2) / x^3 = sum_{k>=3} (-1)^k (2 - 2^{k-1}) / k! x^{k-3}
_INTEGRATED_OU_SERIES: Final = tuple(
    (-1) ** k * (2.0 - 2.0 ** (k - 1)) / math.factorial(k) for k in range(3, 16)
)


def _decimal_rates(values: FloatArray) -> tuple[int, str] | None:
    bad = np.nonzero((values > 1.0) | (values <= -1.0))[0]
    if not bad.size:
        return None
    i = int(bad[0])
    if values[i] > 1.0:
        return i, "rates are decimals (0.05 means 5%); this looks like a percentage"
    return i, "rate must be above -1 (minus 100%)"


class RateShiftModel(DomainModel):
    """Parallel shift of the short rate per path: OU with ``r_0 = 0``, mean 0.

    Shifts are decimals (0.01 = 100 bp), continuously compounded, ACT/365F time.

    >>> import datetime as dt
    >>> from computefin.risk.grid import period_grid
    >>> RateShiftModel(kappa=0.1, sigma=0.01).expected(period_grid(dt.date(2026, 1, 1), 2))
    array([0., 0.])
    >>> RateShiftModel(sigma=1.0)
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: RateShiftModel.sigma: ... looks like a percentage ...
    """

    kappa: float = Field(
        default=DEFAULT_RATE_KAPPA, ge=0.0, le=50.0, description="Speed of reversion, per year."
    )
    sigma: float = Field(
        default=DEFAULT_RATE_SIGMA,
        ge=0.0,
        description="Normal volatility of the short rate, decimal per sqrt(year) (0.01 = 100bp).",
    )
    calibration: CalibrationReport | None = Field(
        default=None, description="Diagnostics when the model came from calibrate()."
    )

    @field_validator("sigma")
    @classmethod
    def _decimal_sigma(cls, value: float) -> float:
        if value > _MAX_SIGMA:
            raise ValueError(
                f"is a decimal per sqrt(year) (0.01 = 100bp); {value!r} is above {_MAX_SIGMA} "
                "and looks like a percentage"
            )
        return value

    @property
    def component(self) -> str:
        """Random-stream name: ``rates``."""
        return "rates"

    def expected(self, grid: PeriodGrid) -> FloatArray:
        """``E[r_t] = 0`` at every period end (the shift has mean zero)."""
        times, _ = grid_times(grid)
        return np.zeros_like(times)

    def simulate(
        self, n_paths: int, grid: PeriodGrid, seed: int, first_path: int = 0
    ) -> FloatArray:
        """Shifts at period ends, shape ``(n_paths, periods)``, decimals; exact OU steps.

        >>> import datetime as dt
        >>> from computefin.risk.grid import period_grid
        >>> g = period_grid(dt.date(2026, 1, 1), 12)
        >>> m = RateShiftModel()
        >>> bool((m.simulate(3, g, seed=5, first_path=1) == m.simulate(4, g, seed=5)[1:]).all())
        True
        """
        check_simulation_request(n_paths, seed, first_path)
        _, steps = grid_times(grid)

        def draw(rng: np.random.Generator, n: int) -> FloatArray:
            shocks = rng.standard_normal((n, steps.size))
            return ou_paths(0.0, 0.0, self.kappa, self.sigma, steps, shocks)

        return draw_paths(seed, self.component, n_paths, draw, first_path)

    @staticmethod
    def discount_multipliers(
        shifts: FloatArray,
        grid: PeriodGrid,
        rule: Literal["trapezoid", "left", "right"] = "trapezoid",
    ) -> FloatArray:
        """``M(t) = exp(-sum_s r_s d_s)`` at each period end, same shape as ``shifts``.

        ``shifts[..., j]`` is the shift at the end of period ``j``; the rate over period
        ``j`` is the average of its start and end values (``"trapezoid"``, default; the
        start of the first period is ``r_0 = 0``), the start value (``"left"``) or the end
        value (``"right"``). Multiply today's discount factors by ``M`` to get the path's.

        >>> import datetime as dt
        >>> from computefin.risk.grid import period_grid
        >>> g = period_grid(dt.date(2026, 1, 1), 24, "annual")
        >>> RateShiftModel.discount_multipliers(np.array([0.01, 0.01]), g).round(6).tolist()
        [0.995012, 0.985112]
        """
        _, steps = grid_times(grid)
        r = np.asarray(shifts, dtype=np.float64)
        if r.ndim == 0 or r.shape[-1] != steps.size:
            raise ValidationError(
                "shifts", f"last axis must have the grid's {steps.size} periods", r.shape
            )
        if not np.isfinite(r).all():
            raise ValidationError("shifts", "must be finite")
        if (np.abs(r) > 1.0).any():
            raise ValidationError(
                "shifts", "are decimals (0.01 = 100bp); a value above 1 looks like a percentage"
            )
        start = np.concatenate([np.zeros((*r.shape[:-1], 1)), r[..., :-1]], axis=-1)
        if rule == "trapezoid":
            rate = 0.5 * (start + r)
        elif rule == "left":
            rate = start
        elif rule == "right":
            rate = r
        else:
            raise ValidationError("rule", "must be 'trapezoid', 'left' or 'right'", rule)
        return np.asarray(np.exp(-np.cumsum(rate * steps, axis=-1)))

    def expected_discount_multipliers(self, grid: PeriodGrid) -> FloatArray:
        """``E[exp(-int_0^t r_s ds)] = exp(V(t) / 2)`` at period ends (exact, continuous).

        ``V(t) = sigma^2 / kappa^2 (t - 2 (1 - e^{-kappa t}) / kappa
        + (1 - e^{-2 kappa t}) / (2 kappa))``, ``sigma^2 t^3 / 3`` at ``kappa = 0``: the
        convexity of a mean-zero shift lifts expected discount factors slightly above 1.

        >>> import datetime as dt
        >>> from computefin.risk.grid import period_grid
        >>> m = RateShiftModel(kappa=0.0, sigma=0.01)
        >>> g = period_grid(dt.date(2026, 1, 1), 120, "annual")
        >>> round(float(m.expected_discount_multipliers(g)[-1]), 6)  # exp(1e-4 * t^3 / 6)
        1.016834
        """
        times, _ = grid_times(grid)
        x = self.kappa * times
        # V / (sigma^2 t^3) = sum_k c_k x^(k-3): its Taylor series where the closed form
        # cancels (x < 0.1, truncation below 1e-15), the closed form beyond
        series = np.zeros_like(x)
        for coefficient in reversed(_INTEGRATED_OU_SERIES):
            series = series * x + coefficient
        safe = np.where(x < _SERIES_SWITCH, 1.0, x)
        direct = (safe + 2.0 * np.expm1(-safe) - 0.5 * np.expm1(-2.0 * safe)) / safe**3
        shape = np.where(x < _SERIES_SWITCH, series, direct)
        variance = self.sigma**2 * times**3 * shape
        return np.asarray(np.exp(0.5 * variance))

    @classmethod
    def calibrate(cls, history: pd.Series, *, kappa: float | None = None) -> RateShiftModel:
        """Fit ``kappa`` and ``sigma`` to the history of a rate (decimals, e.g. a 1Y swap).

        An OU with a free mean is fitted to the rate's levels (:func:`fit_ou`: OLS of the
        AR(1) on a regular grid, exact likelihood otherwise); the shift model takes its
        speed and volatility. ``kappa`` fixes the speed (a few years of data pin it down
        poorly; see the standard error in ``calibration``) and estimates ``sigma`` alone.

        >>> import pandas as pd
        >>> days = pd.date_range("2024-01-01", periods=40, freq="7D")
        >>> rate = pd.Series(0.02 + 0.002 * np.sin(np.arange(40) / 4.0), index=days)
        >>> RateShiftModel.calibrate(rate, kappa=0.1).kappa
        0.1
        """
        index, values = check_history(history, check_values=_decimal_rates)
        fit = fit_ou(history_times(index), values, kappa=kappa)
        if fit.sigma > _MAX_SIGMA:
            raise ValidationError(
                "history",
                f"fitted volatility {fit.sigma:.3f} per sqrt(year) is implausible for "
                "a rate in decimals",
            )
        report = CalibrationReport(
            method=f"OU of rate levels by {fit.method}"
            + ("" if kappa is None else f", kappa fixed at {kappa}"),
            n_observations=values.size,
            start=index[0].date(),
            end=index[-1].date(),
            estimates={"kappa": fit.kappa, "sigma": fit.sigma, "long_run_level": fit.mu},
            standard_errors={
                "kappa": fit.kappa_se,
                "sigma": fit.sigma_se,
                "long_run_level": fit.mu_se,
            },
            residual_std=fit.residual_std,
            log_likelihood=fit.log_likelihood,
            notes=fit.notes,
        )
        return cls(kappa=fit.kappa, sigma=fit.sigma, calibration=report)
