"""Risk models: what GPU collateral is worth and what it earns, expected and per path.

- depreciation and residual value (:mod:`computefin.risk.depreciation`,
  :mod:`computefin.risk.residual`);
- scenario models with ``calibrate`` / ``expected`` / ``simulate``
  (:mod:`computefin.risk.scenarios`): GPU rental price, spot utilization, counterparty
  defaults, failures, rate shifts; and the :class:`ScenarioSet` that holds their paths;
- fleet projections and stresses (:mod:`computefin.risk.projection`,
  :mod:`computefin.risk.stress`);
- regulatory capital (:mod:`computefin.risk.capital`): IRB corporate, F-IRB secured LGD,
  slotting, standardised specialised lending.

>>> from computefin.risk import period_grid, ResidualValueModel
>>> ResidualValueModel().economic_life_years
5.0
"""

from computefin.risk.capital import (
    IrbResult,
    SlottingCategory,
    SlottingResult,
    firb_secured_lgd,
    irb_corporate,
    slotting,
    standardised_specialised_lending,
)
from computefin.risk.depreciation import (
    DepreciationMethod,
    DepreciationPolicy,
    DepreciationSchedule,
    depreciation_schedule,
    group_depreciation_schedule,
)
from computefin.risk.grid import MAX_HORIZON_MONTHS, PeriodGrid, period_grid
from computefin.risk.projection import (
    FleetProjection,
    ProjectionAssumptions,
    ProjectionInputs,
    apply_stress,
    project,
    project_fleet,
    run_stress_grid,
    simulate_scenarios,
)
from computefin.risk.residual import (
    EconomicValue,
    ResidualCurveFit,
    ResidualValueModel,
    book_economic_gap,
    economic_value_per_gpu,
    fit_residual_curve,
)
from computefin.risk.scenario_set import FailureArrays, ScenarioSet
from computefin.risk.scenarios import (
    DefaultModel,
    FailureModel,
    GpuPriceModel,
    RateShiftModel,
    UtilizationModel,
    read_occupancy_csv,
)
from computefin.risk.stress import StressScenario, load_stresses, stress_library

__all__ = [
    "MAX_HORIZON_MONTHS",
    "DefaultModel",
    "DepreciationMethod",
    "DepreciationPolicy",
    "DepreciationSchedule",
    "EconomicValue",
    "FailureArrays",
    "FailureModel",
    "FleetProjection",
    "GpuPriceModel",
    "IrbResult",
    "PeriodGrid",
    "ProjectionAssumptions",
    "ProjectionInputs",
    "RateShiftModel",
    "ResidualCurveFit",
    "ResidualValueModel",
    "ScenarioSet",
    "SlottingCategory",
    "SlottingResult",
    "StressScenario",
    "UtilizationModel",
    "apply_stress",
    "book_economic_gap",
    "depreciation_schedule",
    "economic_value_per_gpu",
    "firb_secured_lgd",
    "fit_residual_curve",
    "group_depreciation_schedule",
    "irb_corporate",
    "load_stresses",
    "period_grid",
    "project",
    "project_fleet",
    "read_occupancy_csv",
    "run_stress_grid",
    "simulate_scenarios",
    "slotting",
    "standardised_specialised_lending",
    "stress_library",
]
