"""What every cover shares: policy fields, the fleet projection it reads, dates and discounting.

A cover never simulates anything itself: it builds (or takes) the fleet's
:class:`~computefin.risk.projection.ProjectionInputs`, draws the fleet's scenarios with
:func:`~computefin.risk.projection.simulate_scenarios` and projects them with
:func:`~computefin.risk.projection.project`; the insurance payoffs read those paths.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from numbers import Integral
from typing import Final

import numpy as np
from pydantic import Field, field_validator

from computefin._typing import DateArray, FloatArray
from computefin.domain import Currency, MarketSnapshot, Portfolio
from computefin.domain._base import DomainModel
from computefin.domain._types import Identifier
from computefin.errors import ValidationError
from computefin.risk.grid import MAX_HORIZON_MONTHS, PeriodGrid, add_months
from computefin.risk.projection import (
    FleetProjection,
    ProjectionInputs,
    project,
    simulate_scenarios,
)
from computefin.risk.scenario_set import FailureArrays, ScenarioSet

__all__ = [
    "DEFAULT_INSURANCE_PATHS",
    "CoverTerms",
    "Simulated",
    "check_paths",
    "discount_at",
    "months_until",
    "overlap_shares",
    "resolve_inputs",
    "service_shares",
    "simulate",
    "without_downtime",
]

DEFAULT_INSURANCE_PATHS: Final = 2000
"""Paths drawn when ``scenarios`` is None: a standard error of a few per cent of the
expected loss for the demo covers; pass more for a firm quote."""

_MAX_LOADING: Final = 5.0


class CoverTerms(DomainModel):
    """Fields every cover has: the fleet it reads, its loading and its currency.

    >>> CoverTerms(fleet_id="fleet-dal-h100", loading=0.2, currency="USD").loading
    0.2
    >>> CoverTerms(fleet_id="f", loading=25.0, currency="USD")
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: CoverTerms.loading: is a decimal share ...
    """

    fleet_id: Identifier = Field(description="Id of the insured fleet in the portfolio.")
    loading: float = Field(
        default=0.0,
        ge=0.0,
        description="Premium loading on the discounted expected loss, decimal (0.25 = 25%).",
    )
    currency: Currency = Field(description="Currency of the policy's amounts and premium.")

    @field_validator("loading")
    @classmethod
    def _loading_not_percent(cls, value: float) -> float:
        if value > _MAX_LOADING:
            raise ValueError(
                f"is a decimal share of the expected loss (0.25 = 25%); {value!r} is above "
                f"{_MAX_LOADING:g} and looks like a percentage"
            )
        return value


def months_until(as_of: dt.date, end: dt.date) -> int:
    """Fewest whole months from ``as_of`` whose monthly grid reaches ``end``.

    >>> months_until(dt.date(2026, 11, 27), dt.date(2027, 11, 27))
    12
    >>> months_until(dt.date(2026, 11, 27), dt.date(2027, 11, 28))
    13
    """
    months = max(1, (end.year - as_of.year) * 12 + end.month - as_of.month - 1)
    while add_months(as_of, months) < end:
        months += 1
    return months


def resolve_inputs(
    owner: str,
    fleet_id: str,
    market: MarketSnapshot,
    portfolio: Portfolio,
    end: dt.date,
    inputs: ProjectionInputs | None,
) -> ProjectionInputs:
    """The fleet's projection inputs reaching ``end``: built with the documented defaults
    from ``portfolio`` and ``market``, or the caller's ``inputs`` after checks."""
    if inputs is None:
        months = months_until(market.as_of, end)
        if months > MAX_HORIZON_MONTHS:
            raise ValidationError(
                f"{owner}.term_months",
                f"the cover ends {end.isoformat()}, beyond the 30-year projection limit",
            )
        fleet = portfolio.fleet(fleet_id)
        return ProjectionInputs.build(
            fleet,
            portfolio.contracts,
            market,
            months,
            counterparties=portfolio.counterparties,
        )
    if not isinstance(inputs, ProjectionInputs):
        raise ValidationError("inputs", "must be ProjectionInputs or None", type(inputs).__name__)
    if inputs.fleet.id != fleet_id:
        raise ValidationError("inputs", f"describe fleet {inputs.fleet.id!r}, not {fleet_id!r}")
    if inputs.grid.as_of != market.as_of:
        raise ValidationError(
            "inputs",
            f"start on {inputs.grid.as_of.isoformat()}, not the market's "
            f"{market.as_of.isoformat()}",
        )
    last = inputs.grid.end_dates[-1]
    if last < np.datetime64(end, "D"):
        raise ValidationError(
            "inputs",
            f"the projection grid ends {last} but the cover needs {end.isoformat()}: build "
            f"them with horizon_months >= {months_until(market.as_of, end)}",
        )
    return inputs


@dataclass(frozen=True, eq=False)
class Simulated:
    """The inputs, the scenario paths and the fleet projection over them."""

    inputs: ProjectionInputs
    scenarios: ScenarioSet
    projection: FleetProjection


def check_paths(scenarios: object, seed: object) -> None:
    """Reject a path count below 2 (or not a whole number) and a negative seed.

    >>> check_paths(1, 0)
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: scenarios: must be a number of paths >= 2, ... (got 1)
    """
    if not isinstance(scenarios, ScenarioSet) and scenarios is not None:
        n = scenarios
        if isinstance(n, bool) or not isinstance(n, Integral) or int(n) < 2:
            raise ValidationError(
                "scenarios", "must be a number of paths >= 2, a ScenarioSet or None", scenarios
            )
    if isinstance(seed, bool) or not isinstance(seed, Integral) or int(seed) < 0:
        raise ValidationError("seed", "must be a whole number >= 0", seed)


def run_cover(
    owner: str,
    fleet_id: str,
    start: dt.date,
    end: dt.date,
    market: MarketSnapshot,
    portfolio: Portfolio,
    scenarios: int | ScenarioSet | None,
    seed: int,
    inputs: ProjectionInputs | None,
) -> tuple[ProjectionInputs, Simulated]:
    """The checks and the projection a cover running from ``start`` to ``end`` prices on:
    paths and seed valid, ``start`` not before the snapshot, the fleet's inputs reaching
    ``end``; errors name ``<owner>.<field>``."""
    check_paths(scenarios, seed)
    if start < market.as_of:
        raise ValidationError(
            f"{owner}.start",
            f"is before the market's as_of {market.as_of.isoformat()}",
            start.isoformat(),
        )
    chosen = resolve_inputs(owner, fleet_id, market, portfolio, end, inputs)
    return chosen, simulate(chosen, scenarios, seed)


def simulate(inputs: ProjectionInputs, scenarios: int | ScenarioSet | None, seed: int) -> Simulated:
    """Draw (or take) the fleet's scenarios and project them."""
    check_paths(scenarios, seed)
    if isinstance(scenarios, ScenarioSet):
        chosen = scenarios
    else:
        n = DEFAULT_INSURANCE_PATHS if scenarios is None else int(scenarios)
        chosen = simulate_scenarios(inputs, n, int(seed))
    if chosen.n_paths < 2:
        raise ValidationError("scenarios", "need at least 2 paths", chosen.n_paths)
    return Simulated(inputs=inputs, scenarios=chosen, projection=project(inputs, chosen))


def without_downtime(scenarios: ScenarioSet, key: str) -> ScenarioSet:
    """The same paths with server group ``key``'s downtime set to zero (a what-if: what
    the fleet would have earned had that group never been down)."""
    failures = {
        k: {f: getattr(a, f) for f in FailureArrays.FIELDS} for k, a in scenarios.failures.items()
    }
    failures[key]["downtime_share"] = np.zeros_like(scenarios.failures[key].downtime_share)
    return ScenarioSet.create(
        grid=scenarios.grid,
        seed=scenarios.seed,
        n_paths=scenarios.n_paths,
        first_path=scenarios.first_path,
        prices=dict(scenarios.prices),
        price_currency=dict(scenarios.price_currency),
        utilization=dict(scenarios.utilization),
        default_times=dict(scenarios.default_times),
        failures=failures,
        rate_shift=scenarios.rate_shift,
        parameters=dict(scenarios.parameters),
        created_by=scenarios.created_by,
    )


def _days(day: dt.date) -> float:
    return float(np.datetime64(day, "D").astype(np.int64))


def overlap_shares(grid: PeriodGrid, start: dt.date, end: dt.date) -> FloatArray:
    """Share of each grid period inside ``[start, end)`` (by days), ``(periods,)``.

    >>> from computefin.risk.grid import period_grid
    >>> g = period_grid(dt.date(2026, 1, 1), 3)
    >>> overlap_shares(g, dt.date(2026, 2, 1), dt.date(2026, 3, 15)).round(4).tolist()
    [0.0, 1.0, 0.4516]
    """
    a = grid.start_dates.astype(np.int64).astype(np.float64)
    b = grid.end_dates.astype(np.int64).astype(np.float64)
    inside = np.clip(np.minimum(b, _days(end)) - np.maximum(a, _days(start)), 0.0, None)
    out: FloatArray = inside / (b - a)
    return out


def service_shares(inputs: ProjectionInputs) -> FloatArray:
    """Share of each period before each server group's retirement, ``(groups, periods)``
    (1 when the group is never retired within reach), as the projection counts it."""
    grid = inputs.grid
    rows = []
    for retire in inputs.retirement_dates():
        if retire is None:
            rows.append(np.ones(grid.n_periods))
            continue
        t = inputs.years_to(retire)
        a, b = grid.start_times, grid.times
        rows.append(np.clip((t - a) / (b - a), 0.0, 1.0))
    return np.array(rows, dtype=np.float64)


def discount_at(grid: PeriodGrid, discount_factors: FloatArray, days: DateArray) -> FloatArray:
    """Each path's discount factor on ``days`` (``datetime64[D]``, within the grid):
    log-linear in time between period ends, ``DF(as_of) = 1``; ``(paths, len(days))``.

    >>> from computefin.risk.grid import period_grid
    >>> g = period_grid(dt.date(2026, 1, 1), 24, "annual")
    >>> d = np.array(["2027-01-01", "2027-07-02"], dtype="datetime64[D]")
    >>> discount_at(g, np.array([[0.9, 0.81]]), d).round(6).tolist()
    [[0.9, 0.853938]]
    """
    nodes = np.concatenate([[0.0], grid.times])
    t = (np.asarray(days, dtype="datetime64[D]") - np.datetime64(grid.as_of, "D")).astype(
        np.float64
    ) / 365.0
    if (t < -1e-12).any() or (t > nodes[-1] + 1e-12).any():
        raise ValidationError("days", "must fall between the grid's as_of and its last end")
    log_df = np.log(np.concatenate([np.ones((discount_factors.shape[0], 1)), discount_factors],
                                   axis=1))  # fmt: skip
    right = np.clip(np.searchsorted(nodes, t, side="left"), 1, nodes.size - 1)
    left = right - 1
    weight = (t - nodes[left]) / (nodes[right] - nodes[left])
    out: FloatArray = np.exp(log_df[:, left] * (1.0 - weight) + log_df[:, right] * weight)
    return out
