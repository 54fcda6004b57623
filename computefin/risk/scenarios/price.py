"""GPU rental price scenarios: a declining trend with successor step-downs, times an OU factor.

The rental price per GPU-hour of one accelerator model, in one currency, at time ``t``
years (ACT/365F) after the model's ``as_of``:

``P(t) = level e^{-x0} T(t) exp(X_t)``,  ``T(t) = e^{-delta t} (1 - s)^{1[t >= t_succ]}``

``X`` is an Ornstein-Uhlenbeck log factor (``kappa``, ``sigma``, long-run mean ``mu``)
started at ``X_0 = x0``, the current log deviation of the spot from its trend, so
``P(0) = level``, the observed spot. Prices can rebound above the trend (as H100 rentals
did in 2025-26), not only decay. Optional jumps (compound Poisson, ``jump_intensity`` per
year, normal log sizes) are added to ``X``: a jump is persistent but reverts with the
factor at speed ``kappa``. See ``docs/models/price.md``.

>>> import datetime as dt
>>> from computefin.risk.grid import period_grid
>>> model = GpuPriceModel(accelerator_id="nvidia-h100-sxm", currency="USD",
...                       as_of=dt.date(2026, 6, 30), level=2.42)
>>> grid = period_grid(model.as_of, 24)
>>> model.simulate(1000, grid, seed=7).shape
(1000, 24)
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from pydantic import Field, model_validator

from computefin._typing import FloatArray
from computefin.domain._base import DomainModel
from computefin.domain._types import Currency, PositiveFloat, Rate
from computefin.domain.accelerators import active_catalog
from computefin.domain.assets import AcceleratorId
from computefin.domain.market import MarketSnapshot
from computefin.errors import ValidationError
from computefin.risk._random import draw_paths
from computefin.risk.scenarios._ou import (
    CalibrationReport,
    check_history,
    check_simulation_request,
    fit_ou,
    grid_times,
    history_times,
    ou_jump_increments,
    ou_jump_log_mgf,
    ou_mean,
    ou_paths,
    ou_variance,
    stationary_exp_covariance_product,
)

if TYPE_CHECKING:
    import pandas as pd

    from computefin.risk.grid import PeriodGrid

__all__ = [
    "DEFAULT_PRICE_KAPPA",
    "DEFAULT_PRICE_SIGMA",
    "DEFAULT_SUCCESSOR_STEP",
    "DEFAULT_TREND_DECLINE",
    "GpuPriceModel",
]

DEFAULT_TREND_DECLINE: Final = 0.18
"""delta, per year (continuous): 1 - e^{-0.18} = 16.5% a year, inside the 15-20% annual
depreciation specialist lenders assume (DOMAIN.md section 4) and near the H100 on-demand
fall from 4.70 (2023) to about 2.42-2.65 (mid 2026), -0.21 a year in logs, of which part
was successor launches."""

DEFAULT_SUCCESSOR_STEP: Final = 0.10
"""s: a one-off 10% step down when the successor launches (judgement, approx.)."""

DEFAULT_PRICE_KAPPA: Final = math.log(2.0)
"""kappa, per year: a deviation from trend halves in one year."""

DEFAULT_PRICE_SIGMA: Final = 0.30
"""sigma, per square-root year: stationary sd of the log factor 0.30 / sqrt(2 ln 2) = 0.25."""


def _positive_prices(values: FloatArray) -> tuple[int, str] | None:
    bad = np.nonzero(values <= 0.0)[0]
    if bad.size:
        return int(bad[0]), "prices must be positive"
    return None


class GpuPriceModel(DomainModel):
    """Rental price of one accelerator per GPU-hour: trend x successor step x OU factor.

    ``level`` is the observed spot at ``as_of``; the trend level there is
    ``level * exp(-x0)``. Simulated and expected prices are at period ends, in
    ``currency`` per GPU-hour.

    >>> import datetime as dt
    >>> from computefin.risk.grid import period_grid
    >>> m = GpuPriceModel(accelerator_id="nvidia-h100-sxm", currency="USD",
    ...                   as_of=dt.date(2026, 6, 30), level=2.42, sigma=0.0)
    >>> grid = period_grid(m.as_of, 12, "annual")
    >>> round(float(m.expected(grid)[0]), 6) == round(2.42 * math.exp(-0.18), 6)
    True
    >>> GpuPriceModel(accelerator_id="nvidia-h100-sxm", currency="USD",
    ...               as_of=dt.date(2026, 6, 30), level=-1.0)
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: GpuPriceModel.level: Input should be greater than 0 ...
    """

    accelerator_id: AcceleratorId = Field(description="Catalog id, e.g. 'nvidia-h100-sxm'.")
    currency: Currency = Field(description="Currency of level and of simulated prices.")
    as_of: dt.date = Field(description="Date of level and x0; time 0 of the projection.")
    level: PositiveFloat = Field(description="Spot rental price per GPU-hour at as_of.")
    trend_decline_per_year: Rate = Field(
        default=DEFAULT_TREND_DECLINE,
        description="delta: continuous log decline of the trend per year (0.18 = -16.5%/yr).",
    )
    successor_step: float = Field(
        default=DEFAULT_SUCCESSOR_STEP,
        ge=0.0,
        lt=1.0,
        description="s: fractional one-off price step down when the successor launches.",
    )
    successor_launch: dt.date | None = Field(
        default=None,
        description="Override of the successor's launch date (after as_of), for stresses; "
        "None takes the catalog's successor when it launches after as_of.",
    )
    kappa: float = Field(
        default=DEFAULT_PRICE_KAPPA, ge=0.0, le=1000.0, description="OU speed, per year."
    )
    sigma: float = Field(
        default=DEFAULT_PRICE_SIGMA, ge=0.0, le=5.0, description="OU vol, per sqrt(year)."
    )
    x0: float = Field(
        default=0.0, ge=-5.0, le=5.0, description="Log deviation of the spot from trend at as_of."
    )
    long_run_mean: float = Field(
        default=0.0, ge=-5.0, le=5.0, description="mu: long-run mean of the log factor."
    )
    jump_intensity: float = Field(
        default=0.0, ge=0.0, le=365.0, description="lambda: expected jumps per year."
    )
    jump_mean: float = Field(default=0.0, ge=-5.0, le=5.0, description="Mean log jump size.")
    jump_std: float = Field(default=0.0, ge=0.0, le=5.0, description="Std of log jump size.")
    calibration: CalibrationReport | None = Field(
        default=None, description="Diagnostics when the model came from calibrate()."
    )

    @model_validator(mode="after")
    def _launch_after_as_of(self) -> GpuPriceModel:
        if self.successor_launch is not None and self.successor_launch <= self.as_of:
            raise ValidationError(
                "successor_launch",
                f"must be after as_of ({self.as_of.isoformat()}); a launch on or before it "
                "is already in the level",
                self.successor_launch.isoformat(),
            )
        return self

    # --- the model's pieces ---------------------------------------------------------------

    @property
    def component(self) -> str:
        """Random-stream name: ``price/<accelerator_id>``."""
        return f"price/{self.accelerator_id}"

    @property
    def trend_level(self) -> float:
        """Trend price at ``as_of``: ``level * exp(-x0)``, per GPU-hour."""
        return self.level * math.exp(-self.x0)

    def successor_launch_date(self) -> dt.date | None:
        """The launch that steps the price down: the override, else the catalog successor's
        launch when it is after ``as_of``, else None (already in the level).

        >>> m = GpuPriceModel(accelerator_id="nvidia-h100-sxm", currency="USD",
        ...                   as_of=dt.date(2023, 1, 1), level=4.7)
        >>> m.successor_launch_date()  # the H200, from the catalog
        datetime.date(2023, 11, 13)
        """
        if self.successor_launch is not None:
            return self.successor_launch
        cat = active_catalog()
        successor = cat[self.accelerator_id].successor
        if successor is None:
            return None
        launch = cat[successor].launch_date
        return launch if launch > self.as_of else None

    def trend(self, grid: PeriodGrid) -> FloatArray:
        """``T(t)`` at period ends: ``e^{-delta t}``, times ``1 - s`` from the launch on.

        >>> from computefin.risk.grid import period_grid
        >>> m = GpuPriceModel(accelerator_id="nvidia-h100-sxm", currency="USD",
        ...                   as_of=dt.date(2026, 1, 1), level=2.0, trend_decline_per_year=0.0,
        ...                   successor_launch=dt.date(2026, 2, 15), successor_step=0.2)
        >>> m.trend(period_grid(m.as_of, 3)).tolist()
        [1.0, 0.8, 0.8]
        """
        times, _ = grid_times(grid, self.as_of)
        return self._trend(times, grid)

    def _trend(self, times: FloatArray, grid: PeriodGrid) -> FloatArray:
        trend = np.exp(-self.trend_decline_per_year * times)
        launch = self.successor_launch_date()
        if launch is not None and self.successor_step > 0.0:
            stepped = grid.end_dates >= np.datetime64(launch, "D")
            trend = np.where(stepped, trend * (1.0 - self.successor_step), trend)
        return np.asarray(trend)

    # --- expectation and simulation -------------------------------------------------------

    def expected(self, grid: PeriodGrid) -> FloatArray:
        """``E[P(t)]`` at each period end, closed form, shape ``(periods,)``.

        ``level e^{-x0} T(t) exp(m(t) + v(t)/2 + lambda I(t))`` with the OU mean ``m``,
        variance ``v`` and the jump term of :func:`ou_jump_log_mgf`.

        >>> from computefin.risk.grid import period_grid
        >>> m = GpuPriceModel(accelerator_id="nvidia-h100-sxm", currency="USD",
        ...                   as_of=dt.date(2026, 6, 30), level=2.42)
        >>> m.expected(period_grid(m.as_of, 36, "annual")).round(4).tolist()
        [2.0712, 1.7397, 1.4553]
        """
        times, _ = grid_times(grid, self.as_of)
        log_factor = (
            ou_mean(self.x0, self.long_run_mean, self.kappa, times)
            + 0.5 * ou_variance(self.kappa, self.sigma, times)
            + ou_jump_log_mgf(self.kappa, self.jump_intensity, self.jump_mean, self.jump_std, times)
        )
        return np.asarray(self.trend_level * self._trend(times, grid) * np.exp(log_factor))

    def simulate(
        self, n_paths: int, grid: PeriodGrid, seed: int, first_path: int = 0
    ) -> FloatArray:
        """Price paths at period ends, shape ``(n_paths, periods)``, per GPU-hour.

        Exact in distribution at the grid dates (exact OU steps, jumps at their arrival
        times). Draws through ``draw_paths(seed, "price/<id>", ...)``: the same inputs
        give the same numbers, and paths ``[a, b)`` do not depend on chunking.

        >>> from computefin.risk.grid import period_grid
        >>> m = GpuPriceModel(accelerator_id="nvidia-h100-sxm", currency="USD",
        ...                   as_of=dt.date(2026, 6, 30), level=2.42)
        >>> grid = period_grid(m.as_of, 12)
        >>> whole = m.simulate(3000, grid, seed=1)
        >>> bool((m.simulate(10, grid, seed=1, first_path=2000) == whole[2000:2010]).all())
        True
        """
        check_simulation_request(n_paths, seed, first_path)
        times, steps = grid_times(grid, self.as_of)
        scale = self.trend_level * self._trend(times, grid)

        def draw(rng: np.random.Generator, n: int) -> FloatArray:
            shocks = rng.standard_normal((n, steps.size))
            jumps = None
            if self.jump_intensity > 0.0:
                jumps = ou_jump_increments(
                    rng,
                    n,
                    steps,
                    self.kappa,
                    self.jump_intensity,
                    self.jump_mean,
                    self.jump_std,
                )
            x = ou_paths(self.x0, self.long_run_mean, self.kappa, self.sigma, steps, shocks, jumps)
            return np.asarray(scale * np.exp(x))

        return draw_paths(seed, self.component, n_paths, draw, first_path)

    # --- construction from data -----------------------------------------------------------

    @classmethod
    def from_market(
        cls,
        market: MarketSnapshot,
        accelerator_id: str,
        currency: Currency | str,
        **overrides: Any,
    ) -> GpuPriceModel:
        """Defaults from a snapshot: level = the quote's spot, the documented parameters.

        ``overrides`` replace any field (``kappa=1.0``, ``successor_launch=...``).
        Raises :class:`computefin.errors.MarketDataError` when the snapshot has no quote.

        >>> from computefin.domain import demo_market
        >>> m = GpuPriceModel.from_market(demo_market(), "nvidia-h100-sxm", "USD", sigma=0.4)
        >>> (m.level, m.sigma, m.as_of == demo_market().as_of)
        (2.42, 0.4, True)
        """
        quote = market.gpu_price(accelerator_id, currency)
        data: dict[str, Any] = {
            "accelerator_id": accelerator_id,
            "currency": quote.currency,
            "as_of": market.as_of,
            "level": quote.spot_per_gpu_hour,
        }
        data.update(overrides)
        return cls(**data)

    @classmethod
    def calibrate(
        cls,
        history: pd.Series,
        accelerator_id: str,
        successor_launch: dt.date | None = None,
        *,
        currency: Currency | str = Currency.USD,
        successor_step: float | None = None,
    ) -> GpuPriceModel:
        """Fit the trend, the successor step and the OU factor to a price history.

        ``history``: prices per GPU-hour (positive) indexed by sorted, unique timestamps,
        at least 24. Steps: (1) OLS of ``log P`` on ``[1, t]`` plus a step dummy
        ``1[date >= launch]`` when the successor launch (``successor_launch``, else the
        catalog's) falls inside the history with at least two observations on each side,
        giving ``delta = -slope`` and
        ``s = 1 - e^{dummy}``; (2) an OU fit with mean 0 of the residuals
        (:func:`fit_ou`), giving ``kappa``, ``sigma``. The fitted model is dated at the
        last observation with ``level`` the last price and ``x0`` the last residual.
        Standard errors of ``delta`` and ``s`` are sandwich errors under the fitted OU
        residual covariance. When no launch is inside the history, ``successor_step``
        (default :data:`DEFAULT_SUCCESSOR_STEP`) is used for future launches. Jumps are
        not fitted (set them as a stress).

        >>> import pandas as pd
        >>> days = pd.date_range("2030-01-01", periods=48, freq="MS")
        >>> t = np.arange(48) / 12.0
        >>> noise = 0.1 * np.sin(np.pi * t)  # a two-year cycle around the trend
        >>> history = pd.Series(3.0 * np.exp(-0.2 * t + noise), index=days)
        >>> m = GpuPriceModel.calibrate(history, "nvidia-b300")
        >>> round(m.trend_decline_per_year, 2), m.as_of
        (0.22, datetime.date(2033, 12, 1))
        """
        cat = active_catalog()
        cat[accelerator_id]  # unknown ids fail before the data is read
        index, prices = check_history(history, check_values=_positive_prices)
        t = history_times(index)
        y = np.log(prices)
        launch = successor_launch
        if launch is None:
            successor = cat[accelerator_id].successor
            launch = None if successor is None else cat[successor].launch_date
        columns = [np.ones_like(t), t]
        dummy_in = False
        if launch is not None:
            import pandas as pd

            stamp = pd.Timestamp(launch)
            if index.tz is not None:
                stamp = stamp.tz_localize(index.tz)
            dummy = np.asarray(index >= stamp, dtype=np.float64)
            after = int(dummy.sum())
            if 2 <= after <= dummy.size - 2:
                columns.append(dummy)
                dummy_in = True
        design = np.column_stack(columns)
        gram_inv = np.linalg.inv(design.T @ design)
        beta = gram_inv @ (design.T @ y)
        resid = y - design @ beta
        fit = fit_ou(t, resid, mean=0.0)
        delta = float(-beta[1])
        if not -1.0 < delta <= 1.0:
            raise ValidationError(
                "history",
                f"fitted trend decline {delta:.3f} per year is outside (-1, 1]: "
                "is the history in one currency and one unit?",
            )
        notes = list(fit.notes)
        se_beta: FloatArray | None = None
        if fit.kappa > 0.0:
            variance = fit.sigma**2 / (2.0 * fit.kappa)
            meat = design.T @ (variance * stationary_exp_covariance_product(t, fit.kappa, design))
            se_beta = np.sqrt(np.diag(gram_inv @ meat @ gram_inv))
        estimates: dict[str, float] = {"trend_decline_per_year": delta}
        errors: dict[str, float | None] = {
            "trend_decline_per_year": None if se_beta is None else float(se_beta[1])
        }
        step = DEFAULT_SUCCESSOR_STEP if successor_step is None else successor_step
        if dummy_in:
            raw = 1.0 - math.exp(float(beta[2]))
            estimates["successor_step"] = raw
            errors["successor_step"] = (
                None if se_beta is None else math.exp(float(beta[2])) * float(se_beta[2])
            )
            if raw < 0.0:
                notes.append(f"successor step estimated {raw:.4f} < 0 (price rose); set to 0")
            step = min(max(raw, 0.0), 0.99)
        elif launch is not None and launch <= index[-1].date():
            notes.append(
                f"successor launch {launch.isoformat()} has fewer than 2 observations on one "
                "side: step not estimated"
            )
        estimates.update(kappa=fit.kappa, sigma=fit.sigma, x0=float(resid[-1]))
        errors.update(kappa=fit.kappa_se, sigma=fit.sigma_se, x0=None)
        as_of = index[-1].date()
        report = CalibrationReport(
            method=f"OLS trend{' + successor dummy' if dummy_in else ''} of log price; "
            f"OU (mean 0) of residuals by {fit.method}",
            n_observations=len(prices),
            start=index[0].date(),
            end=as_of,
            estimates=estimates,
            standard_errors=errors,
            residual_std=fit.residual_std,
            log_likelihood=fit.log_likelihood,
            notes=tuple(notes),
        )
        override = successor_launch if successor_launch and successor_launch > as_of else None
        return cls(
            accelerator_id=accelerator_id,
            currency=currency,
            as_of=as_of,
            level=float(prices[-1]),
            trend_decline_per_year=delta,
            successor_step=step,
            successor_launch=override,
            kappa=fit.kappa,
            sigma=fit.sigma,
            x0=float(resid[-1]),
            long_run_mean=0.0,
            calibration=report,
        )
