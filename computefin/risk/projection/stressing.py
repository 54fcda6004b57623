"""Apply named stresses to projection inputs, and run a grid of stresses at once.

Each stress returns new :class:`ProjectionInputs`; nothing is mutated, so the base case
and every stress can be projected side by side, expected or over the same seed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from computefin.domain import active_catalog
from computefin.errors import ValidationError
from computefin.risk.grid import add_months
from computefin.risk.projection.build import project, simulate_scenarios
from computefin.risk.projection.inputs import ProjectionInputs
from computefin.risk.projection.result import FleetProjection
from computefin.risk.scenarios.price import GpuPriceModel
from computefin.risk.stress import StressScenario

__all__ = ["BASE_CASE", "apply_stress", "run_stress_grid", "stress_metrics"]

BASE_CASE = "base"
"""Name of the unstressed row in a stress grid."""

_UTILIZATION_EDGE = 1e-6


def _largest_counterparty(inputs: ProjectionInputs) -> str:
    if not inputs.contracts:
        raise ValidationError(
            "default_counterparty", f"fleet {inputs.fleet.id!r} has no contracts to default"
        )
    value: dict[str, float] = {}
    for c in inputs.contracts:
        fx = inputs.market.fx(c.currency.value, inputs.currency.value)
        value[c.counterparty_id] = value.get(c.counterparty_id, 0.0) + (
            c.annual_contract_value * fx
        )
    return max(sorted(value), key=lambda k: value[k])


def _earlier_successor(model: GpuPriceModel, months: int) -> GpuPriceModel:
    """The model with its successor's launch moved ``months`` earlier.

    Only a successor not yet launched on the as-of date moves (a launched one is already
    in today's price); it never moves to or before the as-of date. The launch is taken
    from the model's override, else the catalog; the projection's end-of-life resale step
    reads the same date (``ProjectionInputs.successor_launch``).
    """
    if months == 0:
        return model
    launch = model.successor_launch
    if launch is None:
        catalog = active_catalog()
        successor = catalog[model.accelerator_id].successor
        if successor is None:
            return model
        launch = catalog[successor].launch_date
    if launch <= model.as_of:
        return model
    moved = max(add_months(launch, -months), model.as_of + dt.timedelta(days=1))
    return model.model_copy(update={"successor_launch": moved})


def apply_stress(stress: StressScenario, inputs: ProjectionInputs) -> ProjectionInputs:
    """Stressed copy of ``inputs`` (see :class:`~computefin.risk.stress.StressScenario`).

    Price shocks scale every accelerator's rental level; an earlier successor moves the
    price step and the end-of-life resale step; a utilization level fixes spot
    utilization at that level on every path (no volatility); an electricity shock scales
    the site's price; a forced default fixes that counterparty's default time on every
    path; a rate shift moves the discount curve in parallel.
    """
    changes: dict[str, object] = {}
    if stress.rental_price_shock or stress.successor_months_earlier:
        models = {}
        for accelerator, model in inputs.price_models.items():
            shocked = model.model_copy(
                update={"level": model.level * (1.0 + stress.rental_price_shock)}
            )
            models[accelerator] = _earlier_successor(shocked, stress.successor_months_earlier)
        changes["price_models"] = models
    if stress.utilization_level is not None:
        level = min(max(stress.utilization_level, _UTILIZATION_EDGE), 1.0 - _UTILIZATION_EDGE)
        changes["utilization"] = inputs.utilization.model_copy(
            update={"theta": level, "u0": level, "sigma": 0.0, "as_of": None}
        )
    if stress.electricity_price_shock:
        site = inputs.fleet.site
        price = site.electricity_price_per_kwh * (1.0 + stress.electricity_price_shock)
        changes["fleet"] = inputs.fleet.model_copy(
            update={"site": site.model_copy(update={"electricity_price_per_kwh": price})}
        )
    if stress.default_counterparty is not None:
        party = stress.default_counterparty
        if party == "largest":
            party = _largest_counterparty(inputs)
        elif party not in inputs.pds:
            raise ValidationError(
                "default_counterparty", f"is not a lessee of fleet {inputs.fleet.id!r}", party
            )
        when = add_months(inputs.grid.as_of, stress.default_after_months)
        changes["forced_default_years"] = {
            **inputs.forced_default_years,
            party: inputs.years_to(when),
        }
    if stress.rate_shift_bp:
        changes["rate_shift"] = inputs.rate_shift + stress.rate_shift_bp / 10_000.0
    return inputs.with_changes(**changes) if changes else inputs


def stress_metrics(projection: FleetProjection) -> dict[str, float]:
    """Headline figures of a projection (fleet currency): PV and total of NOI, the worst
    period's NOI while GPUs are in service, economic value after the first period and at
    the horizon, retirement proceeds; for path runs, the 5th percentile of the PV of NOI.

    >>> import datetime as dt
    >>> from computefin.domain import Currency
    >>> from computefin.risk.grid import period_grid
    >>> g = period_grid(dt.date(2026, 1, 1), 2)
    >>> p = FleetProjection(fleet_id="f", currency=Currency.USD, grid=g, deterministic=True,
    ...     lines={"noi": np.array([[10.0, 20.0]]), "discount_factor": np.array([[1.0, 0.5]]),
    ...            "economic_value": np.array([[100.0, 90.0]]),
    ...            "retirement_proceeds": np.zeros((1, 2))})
    >>> stress_metrics(p)["pv_noi"]
    20.0
    """
    noi = projection.line("noi")
    pv = (noi * projection.line("discount_factor")).sum(axis=1)
    value = projection.line("economic_value")
    out = {
        "pv_noi": float(pv.mean()),
        "total_noi": float(noi.sum(axis=1).mean()),
        "worst_period_noi": _worst_operating_noi(projection),
        "economic_value_first_period": float(value[:, 0].mean()),
        "economic_value_at_horizon": float(value[:, -1].mean()),
        "retirement_proceeds": float(projection.line("retirement_proceeds").sum(axis=1).mean()),
    }
    if projection.n_paths > 1:
        out["pv_noi_p5"] = float(np.percentile(pv, 5))
    return out


def _worst_operating_noi(projection: FleetProjection) -> float:
    """Lowest expected NOI over the periods with GPUs in service (0 when there are none)."""
    noi = projection.expected("noi")
    if "gpus_in_service" not in projection.lines:
        return float(noi.min())
    operating = projection.expected("gpus_in_service") > 0
    return float(noi[operating].min()) if operating.any() else 0.0


def run_stress_grid(
    inputs: ProjectionInputs,
    stresses: Sequence[StressScenario],
    n_paths: int | None = None,
    seed: int = 0,
) -> tuple[pd.DataFrame, dict[str, FleetProjection]]:
    """Project the base case and each stress; return a metrics table and the projections.

    With ``n_paths`` every case runs on paths drawn with the same seed (common random
    numbers), so differences between rows come from the stress, not from noise.
    """
    names = [s.name for s in stresses]
    if BASE_CASE in names or len(set(names)) != len(names):
        raise ValidationError("stresses", f"names must be unique and not {BASE_CASE!r}", names)
    cases = [(BASE_CASE, inputs)] + [(s.name, apply_stress(s, inputs)) for s in stresses]
    projections: dict[str, FleetProjection] = {}
    for name, case in cases:
        scenarios = None if n_paths is None else simulate_scenarios(case, n_paths, seed)
        projections[name] = project(case, scenarios)
    metrics = {name: stress_metrics(p) for name, p in projections.items()}
    frame = pd.DataFrame(metrics).T
    frame.index.name = "stress"
    frame["pv_noi_change"] = frame["pv_noi"].astype(float) - metrics[BASE_CASE]["pv_noi"]
    return frame, projections
