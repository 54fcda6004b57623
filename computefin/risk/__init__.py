"""Risk models: what GPU collateral is worth and what it earns, expected and per path.

- depreciation and residual value (:mod:`computefin.risk.depreciation`,
  :mod:`computefin.risk.residual`);
- scenario models with ``calibrate`` / ``expected`` / ``simulate``
  (:mod:`computefin.risk.scenarios`): GPU rental price, spot utilization, counterparty
  defaults, failures, rate shifts; and the :class:`ScenarioSet` that holds their paths;
- fleet projections and stresses (:mod:`computefin.risk.projection`,
  :mod:`computefin.risk.stress`);
- credit (:mod:`computefin.risk.credit`, :mod:`computefin.risk.credit_ecl`): PD term
  structures, LGD from stressed collateral, EL, IFRS 9 / CAS 22 ECL and staging;
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
from computefin.risk.credit import (
    LIQUIDATION_HAIRCUTS,
    PdCurve,
    collateral_lgd,
    downturn_lgd,
    expected_loss,
    lifetime_expected_loss,
)
from computefin.risk.credit_ecl import EclResult, expected_credit_loss, stage_from
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
    "LIQUIDATION_HAIRCUTS",
    "MAX_HORIZON_MONTHS",
    "DefaultModel",
    "DepreciationMethod",
    "DepreciationPolicy",
    "DepreciationSchedule",
    "EclResult",
    "EconomicValue",
    "FailureArrays",
    "FailureModel",
    "FleetProjection",
    "GpuPriceModel",
    "IrbResult",
    "PdCurve",
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
    "collateral_lgd",
    "depreciation_schedule",
    "downturn_lgd",
    "economic_value_per_gpu",
    "expected_credit_loss",
    "expected_loss",
    "firb_secured_lgd",
    "fit_residual_curve",
    "group_depreciation_schedule",
    "irb_corporate",
    "lifetime_expected_loss",
    "load_stresses",
    "period_grid",
    "project",
    "project_fleet",
    "read_occupancy_csv",
    "run_stress_grid",
    "simulate_scenarios",
    "slotting",
    "stage_from",
    "standardised_specialised_lending",
    "stress_library",
]
