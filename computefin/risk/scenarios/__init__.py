"""Scenario models: GPU rental price, spot utilization, counterparty defaults, failures,
rate shifts, and the occupancy feed.

Each model is a frozen, validated specification with ``calibrate(history, ...)`` (a fitted
model whose ``calibration`` holds a :class:`CalibrationReport`), ``expected(grid)`` (a
closed form, shape ``(periods,)``) and ``simulate(n_paths, grid, seed, first_path=0)``
(shape ``(n_paths, periods)``, bit-identical for the same inputs, independent of chunking).

>>> import datetime as dt
>>> from computefin.risk.grid import period_grid
>>> from computefin.risk.scenarios import GpuPriceModel, RateShiftModel, UtilizationModel
>>> grid = period_grid(dt.date(2026, 6, 30), 12)
>>> price = GpuPriceModel(accelerator_id="nvidia-h100-sxm", currency="USD",
...                       as_of=grid.as_of, level=2.42)
>>> util = UtilizationModel.preset("china-intelligent-compute", key="CN-NX-ZW-0001")
>>> revenue = price.simulate(100, grid, seed=1) * util.simulate(100, grid, seed=1)
>>> revenue.shape
(100, 12)
"""

from computefin.risk.scenarios._ou import CalibrationReport
from computefin.risk.scenarios.defaults import (
    DEFAULT_ASSET_CORRELATION,
    CohortFit,
    DefaultFit,
    DefaultModel,
    DefaultTimes,
    basel_corporate_correlation,
    hazard_rate,
    joint_default_probability,
    survival,
    vasicek_default_rate_variance,
)
from computefin.risk.scenarios.failures import (
    DEFAULT_INTERRUPTION_RATE,
    DEFAULT_MEAN_DOWNTIME_HOURS,
    DEFAULT_PERMANENT_FAILURE_RATE,
    DEFAULT_REPAIR_COST_PER_INTERRUPTION,
    FailureFit,
    FailureModel,
    FailurePaths,
    RateEstimate,
    interruption_multiplier,
)
from computefin.risk.scenarios.occupancy import (
    OCCUPANCY_COLUMNS,
    occupancy_series,
    read_occupancy_csv,
)
from computefin.risk.scenarios.price import (
    DEFAULT_PRICE_KAPPA,
    DEFAULT_PRICE_SIGMA,
    DEFAULT_SUCCESSOR_STEP,
    DEFAULT_TREND_DECLINE,
    GpuPriceModel,
)
from computefin.risk.scenarios.rates import (
    DEFAULT_RATE_KAPPA,
    DEFAULT_RATE_SIGMA,
    RateShiftModel,
)
from computefin.risk.scenarios.utilization import (
    DEFAULT_UTILIZATION_EPS,
    UtilizationModel,
    UtilizationPreset,
)

__all__ = [
    "DEFAULT_ASSET_CORRELATION",
    "DEFAULT_INTERRUPTION_RATE",
    "DEFAULT_MEAN_DOWNTIME_HOURS",
    "DEFAULT_PERMANENT_FAILURE_RATE",
    "DEFAULT_PRICE_KAPPA",
    "DEFAULT_PRICE_SIGMA",
    "DEFAULT_RATE_KAPPA",
    "DEFAULT_RATE_SIGMA",
    "DEFAULT_REPAIR_COST_PER_INTERRUPTION",
    "DEFAULT_SUCCESSOR_STEP",
    "DEFAULT_TREND_DECLINE",
    "DEFAULT_UTILIZATION_EPS",
    "OCCUPANCY_COLUMNS",
    "CalibrationReport",
    "CohortFit",
    "DefaultFit",
    "DefaultModel",
    "DefaultTimes",
    "FailureFit",
    "FailureModel",
    "FailurePaths",
    "GpuPriceModel",
    "RateEstimate",
    "RateShiftModel",
    "UtilizationModel",
    "UtilizationPreset",
    "basel_corporate_correlation",
    "hazard_rate",
    "interruption_multiplier",
    "joint_default_probability",
    "occupancy_series",
    "read_occupancy_csv",
    "survival",
    "vasicek_default_rate_variance",
]
