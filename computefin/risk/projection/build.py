"""Run a fleet projection: the expected case, or every path of a ScenarioSet.

:func:`simulate_scenarios` draws the paths a fleet needs from its inputs' models;
:func:`project` runs the cash-flow kernel (in path chunks, so memory stays bounded) and
values the fleet; :func:`project_fleet` does both from plain domain objects.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np

from computefin._typing import FloatArray
from computefin.domain import Contract, Counterparty, Fleet, Frequency, MarketSnapshot
from computefin.errors import ValidationError
from computefin.risk.grid import PeriodGrid, period_grid
from computefin.risk.projection._contracts import expected_shares, path_shares
from computefin.risk.projection._kernel import (
    ContractArrays,
    GroupArrays,
    PathArrays,
    project_arrays,
)
from computefin.risk.projection._valuation import FleetValuation, value_fleet
from computefin.risk.projection.inputs import ProjectionInputs
from computefin.risk.projection.result import FleetProjection
from computefin.risk.scenario_set import ScenarioSet
from computefin.risk.scenarios.defaults import hazard_rate

__all__ = [
    "DEFAULT_CHUNK_PATHS",
    "prefix_grid",
    "project",
    "project_fleet",
    "scenario_parameters",
    "simulate_scenarios",
]


DEFAULT_CHUNK_PATHS = 2048
"""Paths per kernel pass: bounds temporary arrays to a few tens of MB per line."""


def scenario_parameters(inputs: ProjectionInputs) -> dict[str, object]:
    """The model parameters a fleet's scenarios are drawn with, as JSON-ready data.

    :func:`project` compares them with a ScenarioSet's own, so paths drawn for other
    inputs (an unstressed set under a stressed projection, say) are refused.
    """
    params: dict[str, object] = {
        "price": {a: m.model_dump(mode="json") for a, m in sorted(inputs.price_models.items())},
        "utilization": inputs.utilization.model_dump(mode="json"),
        "defaults": inputs.defaults.model_dump(mode="json"),
        "pds": dict(sorted(inputs.pds.items())),
        "forced_default_years": dict(sorted(inputs.forced_default_years.items())),
        "failures": dict(
            zip(
                inputs.group_keys(),
                [m.model_dump(mode="json") for m in inputs.failures],
                strict=True,
            )
        ),
        "rates": inputs.rates.model_dump(mode="json"),
    }
    normal: dict[str, object] = json.loads(json.dumps(params, sort_keys=True, default=str))
    return normal


PREFIX_OF = "prefix_of_periods"
"""Parameter a set drawn with ``periods`` carries: the length of the grid it is the start
of (:func:`project` accepts a shorter grid only from such a set)."""


def prefix_grid(grid: PeriodGrid, periods: int) -> PeriodGrid:
    """The first ``periods`` periods of ``grid`` (the grid itself when it has no more).

    >>> import datetime as dt
    >>> g = period_grid(dt.date(2026, 11, 27), 360)
    >>> prefix_grid(g, 12) == period_grid(dt.date(2026, 11, 27), 12)
    True
    """
    if not periods > 0:
        raise ValidationError("periods", "must be at least 1", periods)
    if periods >= grid.n_periods:
        return grid
    return PeriodGrid(
        as_of=grid.as_of,
        frequency=grid.frequency,
        start_dates=grid.start_dates[:periods],
        end_dates=grid.end_dates[:periods],
    )


def _is_prefix(short: PeriodGrid, full: PeriodGrid) -> bool:
    """True when ``short`` is ``full`` or its first periods."""
    n = short.n_periods
    return (
        short.as_of == full.as_of
        and short.frequency == full.frequency
        and n <= full.n_periods
        and np.array_equal(short.start_dates, full.start_dates[:n])
        and np.array_equal(short.end_dates, full.end_dates[:n])
    )


def simulate_scenarios(
    inputs: ProjectionInputs,
    n_paths: int,
    seed: int,
    first_path: int = 0,
    *,
    periods: int | None = None,
) -> ScenarioSet:
    """Draw paths ``[first_path, first_path + n_paths)`` of everything the fleet needs.

    Price paths per accelerator, the fleet's spot utilization, default times of its
    lessees (forced ones from a stress replace the draws), failures per server group
    (streams keyed by :meth:`ProjectionInputs.group_keys`), and the short-rate shift.
    Bit-identical for the same inputs and seed, and for any split into path ranges.

    ``periods``: only the first ``periods`` periods of the inputs' grid (the set's grid is
    :func:`prefix_grid`). Every path equals the first ``periods`` periods of the full
    draw, bit for bit: prices, utilization and rate shifts are drawn on the full grid and
    cut (their normals are laid out path by path over the whole grid); failures are drawn
    period by period from one stream, so the shorter loop draws the same numbers; default
    times do not depend on the grid and are censored at the shorter horizon (a default
    after it changes nothing in it). :func:`project` on such a set gives the first
    ``periods`` periods of the full projection, bit for bit, at a fraction of the cost.
    """
    full, fleet = inputs.grid, inputs.fleet
    grid = full if periods is None else prefix_grid(full, periods)
    k = grid.n_periods

    def cut(values: FloatArray) -> FloatArray:
        return values if k == full.n_periods else values[:, :k]

    prices = {
        a: cut(m.simulate(n_paths, full, seed, first_path)) for a, m in inputs.price_models.items()
    }
    default_times: dict[str, FloatArray] = {}
    if inputs.pds:
        drawn = inputs.defaults.simulate(dict(inputs.pds), n_paths, grid, seed, first_path)
        default_times = drawn.censored_default_times()
    for party, years in inputs.forced_default_years.items():
        default_times[party] = np.full(n_paths, years)
    failures = {
        key: model.simulate(group.gpus, n_paths, grid, seed, key, first_path).arrays()
        for key, group, model in zip(
            inputs.group_keys(), fleet.server_groups, inputs.failures, strict=True
        )
    }
    return ScenarioSet.create(
        grid=grid,
        seed=seed,
        n_paths=n_paths,
        first_path=first_path,
        prices=prices,
        price_currency={a: m.currency for a, m in inputs.price_models.items()},
        utilization={fleet.id: cut(inputs.utilization.simulate(n_paths, full, seed, first_path))},
        default_times=default_times,
        failures=failures,
        rate_shift=cut(inputs.rates.simulate(n_paths, full, seed, first_path)),
        parameters=scenario_parameters(inputs)
        | ({} if k == full.n_periods else {PREFIX_OF: full.n_periods}),
    )


def _bounds(inputs: ProjectionInputs) -> tuple[FloatArray, FloatArray]:
    return inputs.grid.start_times, inputs.grid.times


def _service(inputs: ProjectionInputs) -> tuple[FloatArray, FloatArray]:
    """``(G, T)`` share of each period before each group's retirement (for flows), and
    1 where the group is still held at the period end (for stocks)."""
    a, b = _bounds(inputs)
    shares, held = [], []
    for retire in inputs.retirement_dates():
        if retire is None:
            shares.append(np.ones_like(a))
            held.append(np.ones_like(a))
            continue
        t = inputs.years_to(retire)
        shares.append(np.clip((t - a) / (b - a), 0.0, 1.0))
        held.append((b < t).astype(np.float64))
    return np.array(shares), np.array(held)


def _fx(inputs: ProjectionInputs, currency: object) -> float:
    return inputs.market.fx(str(currency), inputs.currency)


def _static_arrays(inputs: ProjectionInputs) -> tuple[GroupArrays, ContractArrays]:
    groups = inputs.fleet.server_groups
    group_arrays = GroupArrays(
        gpus0=np.array([g.gpus for g in groups], dtype=np.float64),
        gpus_per_server=np.array([g.gpus_per_server for g in groups], dtype=np.float64),
        power_kw=np.array([g.power_kw for g in groups], dtype=np.float64),
        capex=np.array([g.capex for g in groups], dtype=np.float64),
    )
    contracts = inputs.contracts
    contract_arrays = ContractArrays(
        gpus=np.array([c.gpus_committed for c in contracts], dtype=np.float64),
        price=np.array([c.price_per_gpu_hour * _fx(inputs, c.currency) for c in contracts]),
        take_or_pay=np.array([c.take_or_pay_share for c in contracts], dtype=np.float64),
    )
    return group_arrays, contract_arrays


def _contract_terms(inputs: ProjectionInputs, contract: Contract) -> tuple[float, float]:
    return inputs.years_to(contract.start), inputs.years_to(contract.end)


def _site_costs(inputs: ProjectionInputs) -> dict[str, float]:
    site = inputs.fleet.site
    fx = _fx(inputs, site.currency)
    return {
        "pue": site.pue,
        "electricity_price": site.electricity_price_per_kwh * fx,
        "colocation_per_kw_month": site.colocation_cost_per_kw_month * fx,
    }


def _expected_paths(inputs: ProjectionInputs) -> tuple[PathArrays, FloatArray]:
    """Expected inputs as one path, and the GPUs held (before retirement) ``(G, 1, T)``."""
    grid, groups = inputs.grid, inputs.fleet.server_groups
    service, _ = _service(inputs)
    held, flow, downtime, repair, price = [], [], [], [], []
    for g, (group, model) in enumerate(zip(groups, inputs.failures, strict=True)):
        in_service = model.expected_gpus_in_service(group.gpus, grid)
        at_start = np.concatenate([[float(group.gpus)], in_service[:-1]])
        interruptions = model.expected_interruptions(group.gpus, grid)
        lost = interruptions * model.mean_downtime_hours / (at_start * grid.hours)
        held.append(in_service)
        flow.append(in_service * service[g])
        downtime.append(np.clip(lost, 0.0, 1.0))
        repair.append(model.expected_repair_cost(group.gpus, grid) * service[g])
        model_price = inputs.price_models[group.accelerator_id]
        price.append(model_price.expected(grid) * _fx(inputs, model_price.currency))
    paths = PathArrays(
        price=np.array(price)[:, None, :],
        utilization=inputs.utilization.expected(grid)[None, :],
        gpus_in_service=np.array(flow)[:, None, :],
        downtime_share=np.array(downtime)[:, None, :],
        repair_cost=np.array(repair)[:, None, :],
    )
    return paths, np.array(held)[:, None, :]


def _scenario_paths(
    inputs: ProjectionInputs, scenarios: ScenarioSet, lo: int, hi: int
) -> tuple[PathArrays, FloatArray]:
    """Paths ``[lo, hi)`` of the scenarios as kernel inputs, and the GPUs held."""
    fleet = inputs.fleet
    service, _ = _service(inputs)
    held, flow, downtime, repair, price = [], [], [], [], []
    for g, (key, group) in enumerate(zip(inputs.group_keys(), fleet.server_groups, strict=True)):
        if key not in scenarios.failures:
            raise ValidationError("scenarios.failures", f"has no paths for {key!r}")
        paths = scenarios.failures[key]
        held.append(paths.gpus_in_service[lo:hi])
        flow.append(paths.gpus_in_service[lo:hi] * service[g])
        downtime.append(paths.downtime_share[lo:hi])
        repair.append(paths.repair_cost[lo:hi] * service[g])
        accelerator = group.accelerator_id
        if accelerator not in scenarios.prices:
            raise ValidationError("scenarios.prices", f"has no paths for {accelerator!r}")
        fx = _fx(inputs, scenarios.price_currency[accelerator])
        price.append(scenarios.prices[accelerator][lo:hi] * fx)
    if fleet.id not in scenarios.utilization:
        raise ValidationError("scenarios.utilization", f"has no paths for {fleet.id!r}")
    arrays = PathArrays(
        price=np.array(price),
        utilization=np.asarray(scenarios.utilization[fleet.id][lo:hi]),
        gpus_in_service=np.array(flow),
        downtime_share=np.array(downtime),
        repair_cost=np.array(repair),
    )
    return arrays, np.array(held)


def _run_kernel(
    inputs: ProjectionInputs,
    paths: PathArrays,
    shares: list[tuple[FloatArray, FloatArray]],
) -> dict[str, FloatArray]:
    group_arrays, contract_arrays = _static_arrays(inputs)
    assumptions = inputs.assumptions
    return project_arrays(
        hours=inputs.grid.hours,
        months=inputs.grid.months,
        years=inputs.grid.year_fractions,
        groups=group_arrays,
        contracts=contract_arrays,
        contract_shares=lambda c: shares[c],
        paths=paths,
        contract_usage=assumptions.contract_usage,
        maintenance_share=assumptions.maintenance_share_of_capex_per_year,
        insurance_share=assumptions.insurance_share_of_capex_per_year,
        **_site_costs(inputs),
    )


def _expected_shares(inputs: ProjectionInputs) -> list[tuple[FloatArray, FloatArray]]:
    a, b = _bounds(inputs)
    gap = inputs.assumptions.remarketing_gap_months / 12.0
    out = []
    for contract in inputs.contracts:
        start, end = _contract_terms(inputs, contract)
        forced = inputs.forced_default_years.get(contract.counterparty_id)
        if forced is not None:
            out.append(path_shares(start, end, np.array([forced]), gap, a, b))
            continue
        paid, idle = expected_shares(
            start, end, hazard_rate(inputs.pds[contract.counterparty_id]), gap, a, b
        )
        out.append((paid[None, :], idle[None, :]))
    return out


def _path_shares(
    inputs: ProjectionInputs, scenarios: ScenarioSet, lo: int, hi: int
) -> list[tuple[FloatArray, FloatArray]]:
    a, b = _bounds(inputs)
    gap = inputs.assumptions.remarketing_gap_months / 12.0
    out = []
    for contract in inputs.contracts:
        party = contract.counterparty_id
        if party not in scenarios.default_times:
            raise ValidationError("scenarios.default_times", f"has no paths for {party!r}")
        start, end = _contract_terms(inputs, contract)
        out.append(path_shares(start, end, scenarios.default_times[party][lo:hi], gap, a, b))
    return out


def _discount_factors(inputs: ProjectionInputs, shifts: FloatArray | None) -> FloatArray:
    grid = inputs.grid
    curve = inputs.discount_curve
    base = curve.discount(grid.end_dates) / curve.discount(np.datetime64(grid.as_of, "D"))
    base = base * np.exp(-inputs.rate_shift * grid.times)
    if shifts is None:
        return np.asarray(base[None, :], dtype=np.float64)
    return np.asarray(base[None, :] * inputs.rates.discount_multipliers(shifts, grid))


def _check_scenarios(inputs: ProjectionInputs, scenarios: ScenarioSet) -> None:
    drawn_as_prefix = scenarios.parameters.get(PREFIX_OF) == inputs.grid.n_periods
    if scenarios.grid != inputs.grid and not (
        drawn_as_prefix and _is_prefix(scenarios.grid, inputs.grid)
    ):
        raise ValidationError(
            "scenarios.grid",
            "must be the projection's grid (or its first periods, drawn with "
            "simulate_scenarios(inputs, ..., periods=k))",
        )
    expected = scenario_parameters(inputs)
    drawn = dict(scenarios.parameters)
    differ = sorted(k for k in expected if drawn.get(k) != expected[k])
    if differ:
        raise ValidationError(
            "scenarios",
            "were drawn for other inputs (a stress or model change since?): draw them with "
            "simulate_scenarios(inputs, ...); differing: " + ", ".join(differ),
        )


def _owned(pieces: list[FloatArray]) -> FloatArray:
    """The pieces stacked on the path axis as one read-only array nobody else holds
    (:class:`FleetProjection` keeps such arrays without copying them again)."""
    only = pieces[0]
    if len(pieces) == 1 and only.flags.owndata and only.flags.c_contiguous:
        out = only
    else:
        out = np.concatenate(pieces, axis=0)
    out.setflags(write=False)
    return out


def project(
    inputs: ProjectionInputs,
    scenarios: ScenarioSet | None = None,
    chunk_paths: int = DEFAULT_CHUNK_PATHS,
) -> FleetProjection:
    """Project the fleet: expected case when ``scenarios`` is None, else every path.

    ``scenarios`` must have been drawn for these inputs (:func:`simulate_scenarios`):
    a set drawn for other models or another stress is refused, never half-applied. A set
    drawn over the first periods of the grid only (``simulate_scenarios(...,
    periods=k)``) gives the projection of those periods: the first ``k`` periods of the
    full projection, bit for bit (every line is computed period by period, or
    cumulatively from the first period; the value tables come from the full grid).
    """
    valuation: FleetValuation = value_fleet(inputs)
    if scenarios is not None and scenarios.grid.n_periods < inputs.grid.n_periods:
        _check_scenarios(inputs, scenarios)
        valuation = valuation.prefix(scenarios.grid.n_periods)
        inputs = inputs.with_changes(grid=scenarios.grid)
    _, held_mask = _service(inputs)
    if scenarios is None:
        paths, held = _expected_paths(inputs)
        lines = _run_kernel(inputs, paths, _expected_shares(inputs))
        lines |= valuation.lines(paths.price, held * held_mask[:, None, :], held,
                                 _discount_factors(inputs, None))  # fmt: skip
        return FleetProjection(
            fleet_id=inputs.fleet.id,
            currency=inputs.currency,
            grid=inputs.grid,
            lines=lines,
            deterministic=True,
            parameters=scenario_parameters(inputs),
        )
    _check_scenarios(inputs, scenarios)
    if chunk_paths <= 0:
        raise ValidationError("chunk_paths", "must be at least 1", chunk_paths)
    pieces: list[dict[str, FloatArray]] = []
    for lo in range(0, scenarios.n_paths, chunk_paths):
        hi = min(lo + chunk_paths, scenarios.n_paths)
        paths, held = _scenario_paths(inputs, scenarios, lo, hi)
        lines = _run_kernel(inputs, paths, _path_shares(inputs, scenarios, lo, hi))
        shifts = None if scenarios.rate_shift is None else scenarios.rate_shift[lo:hi]
        lines |= valuation.lines(paths.price, held * held_mask[:, None, :], held,
                                 _discount_factors(inputs, shifts))  # fmt: skip
        pieces.append(lines)
    merged = {k: _owned([p[k] for p in pieces]) for k in pieces[0]}
    return FleetProjection(
        fleet_id=inputs.fleet.id,
        currency=inputs.currency,
        grid=inputs.grid,
        lines=merged,
        deterministic=False,
        seed=scenarios.seed,
        scenario_hash=scenarios.content_hash(),
        parameters=dict(scenarios.parameters),
    )


def project_fleet(
    fleet: Fleet,
    contracts: Sequence[Contract],
    market: MarketSnapshot,
    horizon: int,
    frequency: Frequency | str = Frequency.MONTHLY,
    scenarios: ScenarioSet | int | None = None,
    *,
    counterparties: Sequence[Counterparty] = (),
    seed: int = 0,
    inputs: ProjectionInputs | None = None,
) -> FleetProjection:
    """Project a fleet ``horizon`` months ahead: expected, or over scenarios.

    ``scenarios`` is None (the expected case), a :class:`ScenarioSet`, or a number of
    paths to simulate with ``seed``. ``inputs`` replaces the default models and
    assumptions (see :meth:`ProjectionInputs.build`).

    >>> import datetime as dt
    >>> from computefin.domain import demo_market, demo_portfolio
    >>> p = demo_portfolio()
    >>> fleet = p.fleet("fleet-dal-h100")
    >>> proj = project_fleet(fleet, p.contracts, demo_market(), 24,
    ...                      counterparties=p.counterparties)
    >>> proj.lines["noi"].shape, proj.currency.value
    ((1, 24), 'USD')
    """
    if inputs is not None:
        asked = (fleet.id, market.as_of, period_grid(market.as_of, horizon, frequency))
        if asked != (inputs.fleet.id, inputs.grid.as_of, inputs.grid):
            raise ValidationError(
                "inputs", "describe another fleet, date or horizon than the arguments given"
            )
    built = inputs or ProjectionInputs.build(
        fleet, contracts, market, horizon, frequency, counterparties=counterparties
    )
    if isinstance(scenarios, int):
        scenarios = simulate_scenarios(built, scenarios, seed)
    return project(built, scenarios)
