"""GPU failures: permanent losses shrink the fleet, interruptions cost hours and repairs.

For one group of ``N`` GPUs on a :class:`~computefin.risk.grid.PeriodGrid` (period ``t``
of length ``dt_t`` years and ``hours_t`` hours), per path:

* permanent failures: each GPU in service fails for good at rate ``lam_p`` per GPU-year,
  independently, so ``G_t = G_{t-1} - Binomial(G_{t-1}, 1 - exp(-lam_p dt_t))`` with
  ``G_{-1} = N``; failed GPUs are not replaced (the fleet shrinks);
* interruptions: Poisson with mean ``lam_i x E_t``, ``E_t`` the GPU-years in service
  during the period (survivors count the whole period, GPUs failing in it count their
  expected time to failure given failure within the period);
* ``downtime_share_t = min(1, K_t x downtime_hours / (G_{t-1} x hours_t))``;
* ``repair_cost_t = K_t x repair_cost_per_interruption``.

Random numbers come from :func:`computefin.risk._random.draw_paths` under the component
``f"failures/{key}"``: the same seed gives bit-identical paths, whatever the chunking.
Defaults come from Meta's Llama 3 405B training run (16,384 H100 GPUs for 54 days); see
``docs/models/failures.md``.

>>> import datetime as dt
>>> from computefin.risk.grid import period_grid
>>> grid = period_grid(dt.date(2026, 1, 1), 12)
>>> paths = FailureModel().simulate(1024, n_paths=500, grid=grid, seed=3, key="fleet-1/0")
>>> paths.gpus_in_service.shape
(500, 12)
>>> round(float(paths.gpus_in_service[:, -1].mean()))
984
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from numbers import Integral
from types import MappingProxyType
from typing import Any, Final

import numpy as np
import pandas as pd
from pydantic import Field, field_validator
from scipy import stats

from computefin._typing import FloatArray
from computefin.domain import active_catalog
from computefin.domain._base import DomainModel
from computefin.errors import ValidationError
from computefin.risk._random import draw_paths
from computefin.risk.grid import PeriodGrid

__all__ = [
    "ACCELERATOR_ARCHITECTURE",
    "DEFAULT_INTERRUPTION_RATE",
    "DEFAULT_MEAN_DOWNTIME_HOURS",
    "DEFAULT_PERMANENT_FAILURE_RATE",
    "DEFAULT_REPAIR_COST_PER_INTERRUPTION",
    "HBM_ERROR_MULTIPLIER",
    "LLAMA3_FAULTY_GPU_INTERRUPTIONS",
    "LLAMA3_GPU_YEARS",
    "LLAMA3_HBM_INTERRUPTIONS",
    "LLAMA3_UNEXPECTED_INTERRUPTIONS",
    "FailureFit",
    "FailureModel",
    "FailurePaths",
    "RateEstimate",
    "interruption_multiplier",
]


LLAMA3_GPU_YEARS: Final = 16_384 * 54 / 365.0
"""GPU-years of Meta's Llama 3 405B pre-training: 16,384 H100 GPUs x 54 days / 365."""
LLAMA3_UNEXPECTED_INTERRUPTIONS: Final = 419
"""Unexpected interruptions in that run (466 in all, 47 planned)."""
LLAMA3_FAULTY_GPU_INTERRUPTIONS: Final = 148
"""Interruptions attributed to a faulty GPU (30.1% of the unexpected ones)."""
LLAMA3_HBM_INTERRUPTIONS: Final = 72
"""Interruptions attributed to GPU HBM3 memory (17.2% of the unexpected ones)."""

DEFAULT_INTERRUPTION_RATE: Final = 0.17
"""Interruptions per GPU-year: Llama 3's 419 / 2,423.9 GPU-years = 0.173, rounded."""
DEFAULT_PERMANENT_FAILURE_RATE: Final = 0.04
"""Permanent failures per GPU-year: inside the 2.5%-6% a year range of public estimates."""
DEFAULT_MEAN_DOWNTIME_HOURS: Final = 24.0
"""GPU-hours lost per interruption (an assumption: drain, diagnose, reset or swap in a day)."""
DEFAULT_REPAIR_COST_PER_INTERRUPTION: Final = 0.0
"""Repair cost per interruption in the fleet currency: 0 (labour in opex, parts warranted)."""

HBM_ERROR_MULTIPLIER: Final[Mapping[str, float]] = MappingProxyType(
    {"hopper": 1.0, "ampere": 1.0 / 3.2}
)
"""HBM error rate by GPU architecture relative to Hopper (H100 = 1).

Ampere: 1 / 3.2, from the NCSA Delta study (Cui et al. 2025, arXiv:2503.11901: H100 has a
3.2x lower per-GPU mean time between memory errors than A100). Architectures not listed
have no public comparison and take the Hopper baseline (1.0).
"""

ACCELERATOR_ARCHITECTURE: Final[Mapping[str, str]] = MappingProxyType(
    {
        "nvidia-a100-40gb-sxm": "ampere",
        "nvidia-a100-80gb-sxm": "ampere",
        "nvidia-a100-80gb-pcie": "ampere",
        "nvidia-a800-sxm": "ampere",
        "nvidia-h100-sxm": "hopper",
        "nvidia-h100-pcie": "hopper",
        "nvidia-h200-sxm": "hopper",
        "nvidia-h200-nvl": "hopper",
        "nvidia-h800-sxm": "hopper",
        "nvidia-h20": "hopper",
    }
)
"""GPU architecture of the catalog's HBM parts with a multiplier in :data:`HBM_ERROR_MULTIPLIER`."""

_HBM_SHARE: Final = LLAMA3_HBM_INTERRUPTIONS / LLAMA3_UNEXPECTED_INTERRUPTIONS
_MAX_INTERRUPTION_RATE: Final = 10.0
_MAX_GPUS: Final = 100_000_000
_KEY_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$")


def interruption_multiplier(accelerator_id: str) -> float:
    """Factor on the H100-based interruption rate for an accelerator, from its HBM errors.

    Only the HBM share of Llama 3's interruptions (72 / 419) is scaled:
    ``1 + (72 / 419) (m - 1)`` with ``m`` from :data:`HBM_ERROR_MULTIPLIER`. Accelerators
    without a public comparison get 1.0; unknown ids are rejected.

    >>> round(interruption_multiplier("nvidia-a100-80gb-sxm"), 4)
    0.8819
    >>> interruption_multiplier("nvidia-h100-sxm"), interruption_multiplier("nvidia-b200")
    (1.0, 1.0)
    """
    active_catalog()[accelerator_id]  # raises ValidationError naming accelerator_id
    architecture = ACCELERATOR_ARCHITECTURE.get(accelerator_id)
    m = HBM_ERROR_MULTIPLIER.get(architecture, 1.0) if architecture else 1.0
    return 1.0 + _HBM_SHARE * (m - 1.0)


# --------------------------------------------------------------------------- checks


def _check_int(value: object, field: str, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValidationError(field, "must be a whole number", value)
    if int(value) < minimum:
        raise ValidationError(field, f"must be >= {minimum}", value)
    if maximum is not None and int(value) > maximum:
        raise ValidationError(field, f"must be <= {maximum:,}", value)
    return int(value)


def _check_grid(grid: object) -> PeriodGrid:
    if not isinstance(grid, PeriodGrid):
        raise ValidationError("grid", "must be a PeriodGrid (see computefin.risk.grid)", grid)
    return grid


def _check_key(key: object) -> str:
    if not isinstance(key, str) or not _KEY_PATTERN.match(key) or len(key) > 200:
        raise ValidationError(
            "key", "must be an id such as 'fleet-1/0' (letters, digits, _ . : / -)", key
        )
    return key


def _start_times(grid: PeriodGrid) -> FloatArray:
    as_of = np.datetime64(grid.as_of, "D")
    return (grid.start_dates - as_of).astype(np.float64) / 365.0


def _mean_time_to_failure_share(x: FloatArray) -> FloatArray:
    """``E[T | T < dt] / dt`` for an exponential ``T`` with ``x = lam dt``: 1/x - 1/(e^x - 1)."""
    small = x < 1e-6
    safe = np.where(small, 1.0, x)
    exact = 1.0 / safe - 1.0 / np.expm1(safe)
    return np.where(small, 0.5 - x / 12.0, exact)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class FailurePaths:
    """Failure paths of one GPU group, each array ``(paths, periods)``, read-only.

    * ``gpus_in_service``: GPUs still in service at the period end (whole numbers);
    * ``interruptions``: interruptions during the period (whole numbers);
    * ``downtime_share``: share of the period's available GPU-hours (GPUs in service at
      the period start x hours) lost to interruptions, in [0, 1];
    * ``repair_cost``: repair cost in the fleet currency.

    >>> import datetime as dt
    >>> from computefin.risk.grid import period_grid
    >>> grid = period_grid(dt.date(2026, 1, 1), 3)
    >>> p = FailureModel().simulate(8, n_paths=2, grid=grid, seed=1, key="g")
    >>> sorted(p.arrays())
    ['downtime_share', 'gpus_in_service', 'interruptions', 'repair_cost']
    >>> p.to_frame().shape
    (6, 7)
    """

    key: str
    grid: PeriodGrid
    gpus: int
    seed: int
    first_path: int
    gpus_in_service: FloatArray
    interruptions: FloatArray
    downtime_share: FloatArray
    repair_cost: FloatArray

    @property
    def n_paths(self) -> int:
        """Number of paths."""
        return int(self.gpus_in_service.shape[0])

    def arrays(self) -> dict[str, FloatArray]:
        """The four arrays by name (the fields of a ScenarioSet's failure entry)."""
        return {
            "gpus_in_service": self.gpus_in_service,
            "interruptions": self.interruptions,
            "downtime_share": self.downtime_share,
            "repair_cost": self.repair_cost,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per (path, period): ``path``, ``period``, ``end_date`` and the arrays."""
        n, periods = self.gpus_in_service.shape
        frame: dict[str, Any] = {
            "path": np.repeat(np.arange(self.first_path, self.first_path + n), periods),
            "period": np.tile(np.arange(periods), n),
            "end_date": np.tile(self.grid.end_dates, n),
        }
        frame.update({name: values.ravel() for name, values in self.arrays().items()})
        return pd.DataFrame(frame)


@dataclass(frozen=True)
class RateEstimate:
    """A Poisson rate per GPU-year with an exact (Garwood) confidence interval.

    >>> e = RateEstimate.from_counts(419, 2423.9, confidence=0.95)
    >>> round(e.rate, 4), round(e.lower, 4), round(e.upper, 4)
    (0.1729, 0.1567, 0.1903)
    """

    events: int
    gpu_years: float
    rate: float
    lower: float
    upper: float
    confidence: float

    @classmethod
    def from_counts(cls, events: int, gpu_years: float, confidence: float = 0.95) -> RateEstimate:
        """MLE ``events / gpu_years``; bounds ``chi2(a/2; 2k) / 2E``, ``chi2(1-a/2; 2k+2) / 2E``."""
        if not 0.0 < confidence < 1.0:
            raise ValidationError("confidence", "must be in (0, 1)", confidence)
        if not gpu_years > 0.0:
            raise ValidationError("gpu_years", "must be > 0", gpu_years)
        alpha = 1.0 - confidence
        lower = 0.0 if events == 0 else float(stats.chi2.ppf(alpha / 2.0, 2 * events))
        upper = float(stats.chi2.ppf(1.0 - alpha / 2.0, 2 * events + 2))
        return cls(
            events=int(events),
            gpu_years=float(gpu_years),
            rate=events / gpu_years,
            lower=lower / (2.0 * gpu_years),
            upper=upper / (2.0 * gpu_years),
            confidence=confidence,
        )


@dataclass(frozen=True)
class FailureFit:
    """Result of :meth:`FailureModel.calibrate`: the fitted model and its rate estimates.

    ``mean_downtime_hours`` is None when the history had no ``downtime_hours`` column (the
    model then keeps the value passed to ``calibrate``).

    >>> import pandas as pd
    >>> fit = FailureModel.calibrate(pd.DataFrame(
    ...     {"gpu_years": [1000.0], "interruptions": [170], "permanent_failures": [40]}))
    >>> fit.model.interruption_rate_per_gpu_year, fit.model.permanent_failure_rate_per_gpu_year
    (0.17, 0.04)
    """

    model: FailureModel
    interruptions: RateEstimate
    permanent_failures: RateEstimate
    mean_downtime_hours: float | None
    rows: int

    def to_frame(self) -> pd.DataFrame:
        """One row per estimated rate: events, GPU-years, rate and its bounds."""
        rows = {"interruptions": self.interruptions, "permanent_failures": self.permanent_failures}
        return pd.DataFrame(
            [{"quantity": name, **asdict(estimate)} for name, estimate in rows.items()]
        )


# --------------------------------------------------------------------------- model


class FailureModel(DomainModel):
    """Permanent GPU failures (binomial thinning) and interruptions (Poisson) per GPU group.

    Rates are per GPU-year (decimals: 0.04 = 4 failures per 100 GPU-years). Defaults: H100
    figures from Llama 3 (see the module and ``docs/models/failures.md``).

    >>> FailureModel().interruption_rate_per_gpu_year
    0.17
    >>> FailureModel(permanent_failure_rate_per_gpu_year=-0.01)
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: FailureModel.permanent_failure_rate_per_gpu_year: ...
    """

    interruption_rate_per_gpu_year: float = Field(
        default=DEFAULT_INTERRUPTION_RATE,
        ge=0.0,
        description="Unexpected interruptions per GPU-year in service (Llama 3 H100: 0.17).",
    )
    permanent_failure_rate_per_gpu_year: float = Field(
        default=DEFAULT_PERMANENT_FAILURE_RATE,
        ge=0.0,
        description="Permanent failures per GPU-year, decimal (0.04 = 4% a year); "
        "failed GPUs leave the fleet.",
    )
    mean_downtime_hours: float = Field(
        default=DEFAULT_MEAN_DOWNTIME_HOURS,
        ge=0.0,
        le=8760.0,
        description="GPU-hours of capacity lost per interruption.",
    )
    repair_cost_per_interruption: float = Field(
        default=DEFAULT_REPAIR_COST_PER_INTERRUPTION,
        ge=0.0,
        description="Repair cost per interruption, in the fleet's currency.",
    )

    @field_validator("interruption_rate_per_gpu_year")
    @classmethod
    def _interruptions_not_percent(cls, value: float) -> float:
        if value > _MAX_INTERRUPTION_RATE:
            raise ValueError(
                f"is per GPU-year as a decimal (0.17 = 17%); {value!r} is above "
                f"{_MAX_INTERRUPTION_RATE:g} and looks like a percentage"
            )
        return value

    @field_validator("permanent_failure_rate_per_gpu_year")
    @classmethod
    def _permanent_not_percent(cls, value: float) -> float:
        if value > 1.0:
            raise ValueError(
                f"is per GPU-year as a decimal (0.04 = 4%); {value!r} is above 1 and looks "
                "like a percentage"
            )
        return value

    @classmethod
    def for_accelerator(cls, accelerator_id: str, **overrides: float) -> FailureModel:
        """Defaults with the interruption rate scaled by :func:`interruption_multiplier`.

        ``overrides`` set any field directly (an explicit interruption rate is not scaled).

        >>> m = FailureModel.for_accelerator("nvidia-a100-80gb-sxm")
        >>> round(m.interruption_rate_per_gpu_year, 4)
        0.1499
        >>> FailureModel.for_accelerator("nvidia-a100-80gb-sxm",
        ...                              permanent_failure_rate_per_gpu_year=0.05
        ...                              ).permanent_failure_rate_per_gpu_year
        0.05
        """
        rate = DEFAULT_INTERRUPTION_RATE * interruption_multiplier(accelerator_id)
        return cls(**{"interruption_rate_per_gpu_year": rate, **overrides})

    # ----------------------------------------------------------------- closed forms

    def expected_gpus_in_service(self, gpus: int, grid: PeriodGrid) -> FloatArray:
        """``N exp(-lam_p t)`` at each period end, shape ``(periods,)``.

        >>> import datetime as dt
        >>> from computefin.risk.grid import period_grid
        >>> grid = period_grid(dt.date(2026, 1, 1), 24, "annual")
        >>> FailureModel().expected_gpus_in_service(1000, grid).round(1).tolist()
        [960.8, 923.1]
        """
        n = _check_int(gpus, "gpus", 0, _MAX_GPUS)
        return n * np.exp(-self.permanent_failure_rate_per_gpu_year * _check_grid(grid).times)

    def expected_interruptions(self, gpus: int, grid: PeriodGrid) -> FloatArray:
        """Expected interruptions per period: ``lam_i N (S(s) - S(e)) / lam_p``.

        ``S(t) = exp(-lam_p t)``, ``s`` and ``e`` the period's start and end times; this is
        ``lam_i`` times the expected GPU-years in service, and ``lam_i N dt`` when
        ``lam_p = 0``.

        >>> import datetime as dt
        >>> from computefin.risk.grid import period_grid
        >>> grid = period_grid(dt.date(2026, 1, 1), 12, "annual")
        >>> FailureModel().expected_interruptions(1000, grid).round(2).tolist()
        [166.64]
        """
        n = _check_int(gpus, "gpus", 0, _MAX_GPUS)
        grid_ = _check_grid(grid)
        lam_p = self.permanent_failure_rate_per_gpu_year
        start, end = _start_times(grid_), grid_.times
        if lam_p == 0.0:
            exposure = n * (end - start)
        else:
            exposure = n * (np.exp(-lam_p * start) - np.exp(-lam_p * end)) / lam_p
        return self.interruption_rate_per_gpu_year * exposure

    def expected_repair_cost(self, gpus: int, grid: PeriodGrid) -> FloatArray:
        """Expected repair cost per period (fleet currency), ``(periods,)``.

        >>> import datetime as dt
        >>> from computefin.risk.grid import period_grid
        >>> grid = period_grid(dt.date(2026, 1, 1), 12, "annual")
        >>> FailureModel(repair_cost_per_interruption=500.0).expected_repair_cost(
        ...     1000, grid).round(0).tolist()
        [83322.0]
        """
        return self.expected_interruptions(gpus, grid) * self.repair_cost_per_interruption

    # ----------------------------------------------------------------- simulation

    def simulate(
        self,
        gpus: int,
        n_paths: int,
        grid: PeriodGrid,
        seed: int,
        key: str,
        first_path: int = 0,
    ) -> FailurePaths:
        """Simulate ``gpus`` GPUs on ``grid``: paths ``[first_path, first_path + n_paths)``.

        ``key`` names the group (for example ``f"{fleet_id}/{group_index}"``) and its
        random stream ``f"failures/{key}"``.

        >>> import datetime as dt
        >>> from computefin.risk.grid import period_grid
        >>> grid = period_grid(dt.date(2026, 1, 1), 6)
        >>> model = FailureModel()
        >>> a = model.simulate(64, n_paths=2000, grid=grid, seed=9, key="f/0")
        >>> b = model.simulate(64, n_paths=500, grid=grid, seed=9, key="f/0", first_path=1200)
        >>> bool((a.interruptions[1200:1700] == b.interruptions).all())
        True
        >>> model.simulate(-1, n_paths=10, grid=grid, seed=9, key="f/0")
        Traceback (most recent call last):
        ...
        computefin.errors.ValidationError: gpus: must be >= 0 (got -1)
        """
        n_gpus = _check_int(gpus, "gpus", 0, _MAX_GPUS)
        n = _check_int(n_paths, "n_paths", 1)
        seed_ = _check_int(seed, "seed", 0)
        first = _check_int(first_path, "first_path", 0)
        grid_ = _check_grid(grid)
        key_ = _check_key(key)

        dt_years = grid_.year_fractions
        lam_p = self.permanent_failure_rate_per_gpu_year
        lam_i = self.interruption_rate_per_gpu_year
        fail_prob = -np.expm1(-lam_p * dt_years)
        failed_exposure = dt_years * _mean_time_to_failure_share(lam_p * dt_years)
        n_periods = grid_.n_periods

        def draw(rng: np.random.Generator, size: int) -> FloatArray:
            out = np.empty((size, n_periods, 2), dtype=np.float64)
            in_service = np.full(size, n_gpus, dtype=np.int64)
            for t in range(n_periods):
                failed = rng.binomial(in_service, fail_prob[t])
                survivors = in_service - failed
                exposure = survivors * dt_years[t] + failed * failed_exposure[t]
                out[:, t, 0] = survivors
                out[:, t, 1] = rng.poisson(lam_i * exposure)
                in_service = survivors
            return out

        drawn = draw_paths(seed_, f"failures/{key_}", n, draw, first)
        in_service = np.ascontiguousarray(drawn[:, :, 0])
        interruptions = np.ascontiguousarray(drawn[:, :, 1])
        at_start = np.concatenate([np.full((n, 1), float(n_gpus)), in_service[:, :-1]], axis=1)
        capacity = at_start * grid_.hours[None, :]
        lost = interruptions * self.mean_downtime_hours
        downtime = np.minimum(
            1.0, np.divide(lost, capacity, out=np.zeros_like(lost), where=capacity > 0.0)
        )
        repair = interruptions * self.repair_cost_per_interruption
        for array in (in_service, interruptions, downtime, repair):
            array.setflags(write=False)
        return FailurePaths(
            key=key_,
            grid=grid_,
            gpus=n_gpus,
            seed=seed_,
            first_path=first,
            gpus_in_service=in_service,
            interruptions=interruptions,
            downtime_share=downtime,
            repair_cost=repair,
        )

    # ----------------------------------------------------------------- calibration

    @classmethod
    def calibrate(
        cls,
        history: pd.DataFrame,
        *,
        confidence: float = 0.95,
        mean_downtime_hours: float = DEFAULT_MEAN_DOWNTIME_HOURS,
        repair_cost_per_interruption: float = DEFAULT_REPAIR_COST_PER_INTERRUPTION,
    ) -> FailureFit:
        """Poisson MLE rates per GPU-year, with exact (Garwood) confidence intervals.

        ``history`` has columns ``gpu_years`` (exposure), ``interruptions`` and
        ``permanent_failures`` (counts), and optionally ``downtime_hours`` (GPU-hours lost
        to interruptions); rows are pooled: ``rate = sum(events) / sum(gpu_years)``. Mean
        downtime is ``sum(downtime_hours) / sum(interruptions)`` when the column is there,
        else ``mean_downtime_hours``. Repair cost is not estimated; it is passed through.

        >>> import pandas as pd
        >>> llama3 = pd.DataFrame({"gpu_years": [16_384 * 54 / 365],
        ...                        "interruptions": [419], "permanent_failures": [148]})
        >>> fit = FailureModel.calibrate(llama3)
        >>> round(fit.interruptions.rate, 4), round(fit.permanent_failures.rate, 4)
        (0.1729, 0.0611)
        """
        if not isinstance(confidence, float | int) or not 0.0 < confidence < 1.0:
            raise ValidationError("confidence", "must be in (0, 1)", confidence)
        frame = _check_failure_history(history)
        exposure = float(frame["gpu_years"].sum())
        if not exposure > 0.0:
            raise ValidationError("history.gpu_years", "total exposure must be > 0", exposure)
        interruptions = RateEstimate.from_counts(
            int(frame["interruptions"].sum()), exposure, confidence
        )
        permanent = RateEstimate.from_counts(
            int(frame["permanent_failures"].sum()), exposure, confidence
        )
        downtime: float | None = None
        if "downtime_hours" in frame.columns:
            if interruptions.events == 0:
                raise ValidationError(
                    "history.downtime_hours", "cannot estimate a mean with no interruptions"
                )
            downtime = float(frame["downtime_hours"].sum()) / interruptions.events
        model = cls(
            interruption_rate_per_gpu_year=interruptions.rate,
            permanent_failure_rate_per_gpu_year=permanent.rate,
            mean_downtime_hours=mean_downtime_hours if downtime is None else downtime,
            repair_cost_per_interruption=repair_cost_per_interruption,
        )
        return FailureFit(
            model=model,
            interruptions=interruptions,
            permanent_failures=permanent,
            mean_downtime_hours=downtime,
            rows=len(frame),
        )


def _check_failure_history(history: object) -> pd.DataFrame:
    if not isinstance(history, pd.DataFrame):
        raise ValidationError("history", "must be a pandas DataFrame", type(history).__name__)
    if history.empty:
        raise ValidationError("history", "has no rows")
    columns = ["gpu_years", "interruptions", "permanent_failures"]
    for name in columns:
        if name not in history.columns:
            raise ValidationError(f"history.{name}", "missing column")
    if "downtime_hours" in history.columns:
        columns.append("downtime_hours")
    out: dict[str, FloatArray] = {}
    for name in columns:
        values = pd.to_numeric(history[name], errors="coerce").to_numpy(dtype=np.float64)
        is_count = name in ("interruptions", "permanent_failures")
        bad = ~np.isfinite(values) | (values < 0.0)
        if is_count:
            bad |= values != np.round(values)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            kind = "a whole number >= 0" if is_count else "finite and >= 0"
            raise ValidationError(f"history[{i}].{name}", f"must be {kind}", history[name].iloc[i])
        out[name] = values
    return pd.DataFrame(out)
