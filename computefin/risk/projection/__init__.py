"""Fleet projections: cash flows, values and stresses of a GPU fleet, expected or per path.

>>> from computefin.domain import demo_market, demo_portfolio
>>> from computefin.risk.projection import project_fleet
>>> p = demo_portfolio()
>>> proj = project_fleet(p.fleet("fleet-ash-h200"), p.contracts, demo_market(), 12,
...                      counterparties=p.counterparties)
>>> bool((proj.expected("revenue") - proj.expected("opex") == proj.expected("noi")).all())
True
"""

from computefin.risk.projection._kernel import CASH_FLOW_LINES, ProjectionIdentityError
from computefin.risk.projection.build import (
    DEFAULT_CHUNK_PATHS,
    prefix_grid,
    project,
    project_fleet,
    simulate_scenarios,
)
from computefin.risk.projection.inputs import (
    DISCOUNT_INDEX,
    ProjectionAssumptions,
    ProjectionInputs,
)
from computefin.risk.projection.result import VALUE_LINES, FleetProjection
from computefin.risk.projection.stressing import (
    BASE_CASE,
    apply_stress,
    run_stress_grid,
    stress_metrics,
)

__all__ = [
    "BASE_CASE",
    "CASH_FLOW_LINES",
    "DEFAULT_CHUNK_PATHS",
    "DISCOUNT_INDEX",
    "VALUE_LINES",
    "FleetProjection",
    "ProjectionAssumptions",
    "ProjectionIdentityError",
    "ProjectionInputs",
    "apply_stress",
    "prefix_grid",
    "project",
    "project_fleet",
    "run_stress_grid",
    "simulate_scenarios",
    "stress_metrics",
]
