"""``value_certificate`` and ``value_certificates``: fair value, holder IRR, loss, risk.

One projection per fleet (expected, or paths drawn with a seed) is shared by every
certificate on it; the payoff kernel runs on arrays ``(certificates, paths, periods)``.
Sensitivities revalue with the same seed (common random numbers). See
``docs/products/certificate.md`` for every definition.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd
from pydantic import Field

from computefin._typing import BoolArray, FloatArray, IntArray
from computefin.domain import Currency, MarketSnapshot, Portfolio
from computefin.errors import MarketDataError, ValidationError
from computefin.pricing import Curve, build_curves
from computefin.products.certificate._kernel import (
    KernelInputs,
    KernelResult,
    annual_irr,
    macaulay_and_modified,
    run_kernel,
)
from computefin.products.certificate.model import (
    ComputeCertificate,
    GpuHoursEntitlement,
    NoiShareEntitlement,
)
from computefin.risk import StressScenario
from computefin.risk.grid import MAX_HORIZON_MONTHS, PeriodGrid, add_months
from computefin.risk.projection import (
    DISCOUNT_INDEX,
    ProjectionInputs,
    apply_stress,
    project,
    simulate_scenarios,
)
from computefin.risk.scenarios import UtilizationModel

__all__ = [
    "FIELDS",
    "IRR_PERCENTILES",
    "PRICE_BUMP",
    "RATE_BUMP",
    "UTILIZATION_BUMP",
    "CertificateValuation",
    "value_certificate",
    "value_certificates",
]

PRICE_BUMP: Final = 0.01
"""Relative rental price bump of ``delta_rental_price_1pct`` (1% of every price level)."""
UTILIZATION_BUMP: Final = 0.01
"""Absolute spot utilization bump of ``delta_utilization_1pt`` (1 percentage point)."""
RATE_BUMP: Final = 0.0001
"""Parallel discount-curve bump of ``dv01`` (1bp, continuous ACT/365F)."""
IRR_PERCENTILES: Final = (5, 25, 50, 75, 95)
"""Percentiles of the holder IRR over paths that the valuation reports."""

_CHUNK_ELEMENTS: Final = 2_000_000
"""Certificates per kernel pass are chosen so that one ``(C, P, K)`` array stays near this."""


@dataclass(frozen=True, eq=False)
class CertificateValuation:
    """One certificate's valuation. Money in ``currency``; yields decimals (annual,
    ACT/365F); durations and lives in years.

    Value: ``fair_value`` (expected discounted payoff over the paths at the valuation
    date: coupons, exercise prices, redemption), ``fair_value_per_unit``, ``npv``
    (``fair_value`` less the PV of ``price`` paid at ``settlement``), ``expected_payoff``
    (undiscounted). Holder: ``price`` (paid at ``settlement``, the later of issue and
    valuation date; default the issue price), IRR percentiles ``irr_p5`` ... ``irr_p95``
    over paths, ``loss_probability`` (share of paths paying back less than ``price``,
    undiscounted), ``call_probability``, ``put_probability``, ``expected_life`` (to the
    call, put or maturity). Risk: ``yield_to_fair_value`` (the yield of the expected
    payoffs at ``fair_value``), ``macaulay_duration``, ``modified_duration`` (at that
    yield), ``delta_rental_price_1pct`` (value change per +1% of every rental price level),
    ``delta_utilization_1pt`` (per +1 percentage point of spot utilization), ``dv01``
    (value gained per 1bp fall of the discount curve); central differences on the same
    seed. ``schedule``: one row per payment date; ``irr``: per path; ``flows``: ``(paths,
    periods)`` paid to the holder.

    >>> import datetime as dt
    >>> from computefin.domain import demo_market, demo_portfolio
    >>> cert = ComputeCertificate(id="nx-r", fleet_id="fleet-nx-h20", currency="CNY",
    ...     entitlement={"kind": "revenue_share", "share": 0.02},
    ...     issue_date=dt.date(2026, 11, 27), maturity=dt.date(2027, 11, 27), issue_price=5e5)
    >>> v = value_certificate(cert, demo_market(), demo_portfolio(), 200, seed=1)
    >>> v.to_frame().shape, v.irr.shape, v.flows.shape
    ((1, 26), (200,), (200, 4))
    >>> bool(v.delta_rental_price_1pct > 0 and v.delta_utilization_1pt > 0 and v.dv01 > 0)
    True
    """

    id: str
    fleet_id: str
    currency: str
    valuation_date: dt.date
    settlement: dt.date
    n_paths: int
    price: float
    fair_value: float
    fair_value_per_unit: float
    npv: float
    expected_payoff: float
    irr_p5: float
    irr_p25: float
    irr_p50: float
    irr_p75: float
    irr_p95: float
    loss_probability: float
    call_probability: float
    put_probability: float
    expected_life: float
    yield_to_fair_value: float
    macaulay_duration: float
    modified_duration: float
    delta_rental_price_1pct: float
    delta_utilization_1pt: float
    dv01: float
    schedule: pd.DataFrame = field(repr=False)
    irr: FloatArray = field(repr=False)
    flows: FloatArray = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row, one column per figure (the layout of :func:`value_certificates`).

        >>> list(FIELDS[:3])
        ['id', 'fleet_id', 'currency']
        """
        return pd.DataFrame([{k: getattr(self, k) for k in FIELDS}], columns=list(FIELDS))


FIELDS: tuple[str, ...] = tuple(
    f.name
    for f in dataclasses.fields(CertificateValuation)
    if f.name not in ("schedule", "irr", "flows")
)
"""Columns of :func:`value_certificates`, in order."""


class _ShiftedUtilization(UtilizationModel):
    """A utilization model moved by ``shift`` on every path and period, clipped to [0, 1]:
    the same draws as the unshifted model (common random numbers for a bump)."""

    shift: float = Field(default=0.0, ge=-1.0, le=1.0)

    def expected(self, grid: PeriodGrid) -> FloatArray:
        """Expected utilization plus the shift, clipped to [0, 1]."""
        return np.clip(super().expected(grid) + self.shift, 0.0, 1.0)

    def simulate(
        self, n_paths: int, grid: PeriodGrid, seed: int, first_path: int = 0
    ) -> FloatArray:
        """Simulated utilization plus the shift, clipped to [0, 1]."""
        return np.clip(super().simulate(n_paths, grid, seed, first_path) + self.shift, 0.0, 1.0)


def _utilization_bumped(inputs: ProjectionInputs, shift: float) -> ProjectionInputs:
    model = inputs.utilization
    data = {name: getattr(model, name) for name in type(model).model_fields}
    data["shift"] = float(data.get("shift", 0.0)) + shift
    return inputs.with_changes(utilization=_ShiftedUtilization(**data))


@dataclass(frozen=True, eq=False)
class _FleetCase:
    """What the certificates need from one fleet projection: lines ``(P, T)`` in the
    fleet's currency, rental prices by accelerator in their own currency."""

    grid: PeriodGrid
    currency: Currency
    noi: FloatArray
    revenue: FloatArray
    economic_value: FloatArray
    prices: Mapping[str, FloatArray]
    price_currency: Mapping[str, Currency]


def _fleet_case(
    inputs: ProjectionInputs, n_paths: int | None, seed: int, periods: int | None = None
) -> _FleetCase:
    """One fleet's projection. ``periods``: draw only the first months of the inputs'
    grid; they equal the first months of the full draw bit for bit, so a certificate's
    figures do not depend on how far the other certificates in the book reach."""
    grid = inputs.grid
    if n_paths is None:
        projection = project(inputs)
        prices = {a: m.expected(grid)[None, :] for a, m in inputs.price_models.items()}
        currencies = {a: m.currency for a, m in inputs.price_models.items()}
    else:
        scenarios = simulate_scenarios(inputs, n_paths, seed, periods=periods)
        grid = scenarios.grid
        projection = project(inputs, scenarios)
        prices = dict(scenarios.prices)
        currencies = dict(scenarios.price_currency)
    return _FleetCase(
        grid=grid,
        currency=inputs.currency,
        noi=projection.line("noi"),
        revenue=projection.line("revenue"),
        economic_value=projection.line("economic_value"),
        prices=prices,
        price_currency=currencies,
    )


def _months_to(as_of: dt.date, day: dt.date) -> int:
    months = (day.year - as_of.year) * 12 + day.month - as_of.month
    return months + 1 if add_months(as_of, months) < day else months


def _tag(cert: ComputeCertificate, name: str) -> str:
    return f"ComputeCertificate[{cert.id}].{name}"


def _check(
    certs: Sequence[ComputeCertificate],
    portfolio: Portfolio | None,
    market: MarketSnapshot,
    inputs: Mapping[str, ProjectionInputs],
) -> None:
    seen: set[str] = set()
    for cert in certs:
        if cert.id in seen:
            raise ValidationError(_tag(cert, "id"), "duplicates an earlier certificate", cert.id)
        seen.add(cert.id)
        if cert.maturity <= market.as_of:
            raise ValidationError(
                _tag(cert, "maturity"),
                f"on or before the valuation date {market.as_of.isoformat()}: nothing to value",
                cert.maturity.isoformat(),
            )
        if cert.fleet_id in inputs:
            fleet = inputs[cert.fleet_id].fleet
        elif portfolio is None:
            raise ValidationError(
                _tag(cert, "fleet_id"), "no portfolio and no projection_inputs for it",
                cert.fleet_id,
            )  # fmt: skip
        else:
            try:
                fleet = portfolio.fleet(cert.fleet_id)
            except ValidationError:
                raise ValidationError(
                    _tag(cert, "fleet_id"), "not in the portfolio", cert.fleet_id
                ) from None
        ent = cert.entitlement
        if isinstance(ent, GpuHoursEntitlement):
            models = sorted(fleet.gpus_by_accelerator())
            if ent.accelerator_id is None and len(models) > 1:
                raise ValidationError(
                    _tag(cert, "entitlement.accelerator_id"),
                    f"fleet {fleet.id!r} has several accelerators ({', '.join(models)}): "
                    "name the one whose rental price values the hours",
                )
            if ent.accelerator_id is not None and ent.accelerator_id not in models:
                raise ValidationError(
                    _tag(cert, "entitlement.accelerator_id"),
                    f"not an accelerator of fleet {fleet.id!r} ({', '.join(models)})",
                    ent.accelerator_id,
                )


def _fleet_inputs(
    fleet_id: str,
    certs: Sequence[ComputeCertificate],
    portfolio: Portfolio | None,
    market: MarketSnapshot,
    given: Mapping[str, ProjectionInputs],
) -> ProjectionInputs:
    last = max(c.maturity for c in certs)
    if fleet_id in given:
        inputs = given[fleet_id]
        grid = inputs.grid
        if grid.as_of != market.as_of:
            raise ValidationError(
                f"projection_inputs[{fleet_id}]",
                f"dated {grid.as_of.isoformat()}, not the valuation date "
                f"{market.as_of.isoformat()}",
            )
        if grid.end_dates[-1] < np.datetime64(last, "D"):
            raise ValidationError(
                f"projection_inputs[{fleet_id}]",
                f"the grid ends {grid.end_dates[-1]}, before the last maturity "
                f"{last.isoformat()} of the certificates on the fleet",
            )
        return inputs
    assert portfolio is not None  # _check made sure
    months = _months_to(market.as_of, last)
    if months > MAX_HORIZON_MONTHS:
        raise ValidationError(
            _tag(max(certs, key=lambda c: c.maturity), "maturity"),
            f"more than {MAX_HORIZON_MONTHS} months after the valuation date",
            last.isoformat(),
        )
    # Built on the longest grid, whatever the book: simulated paths are then drawn as the
    # first months of a MAX_HORIZON_MONTHS draw (see _fleet_case), the same numbers
    # alone or in a book of any reach.
    return ProjectionInputs.build(
        portfolio.fleet(fleet_id),
        portfolio.contracts,
        market,
        MAX_HORIZON_MONTHS,
        counterparties=portfolio.counterparties,
    )


@dataclass(frozen=True, eq=False)
class _Terms:
    """Schedules and terms of a list of certificates, padded to ``K`` periods."""

    starts: IntArray  # (C, K) day numbers of period starts
    ends: IntArray  # (C, K) payment dates
    alive: BoolArray  # (C, K) paid after the valuation date
    last: IntArray
    times: FloatArray  # (C, K) years from the valuation date to each payment date
    floor: FloatArray
    cap: FloatArray
    senior: BoolArray
    redemption: FloatArray
    call_price: FloatArray
    put_price: FloatArray
    price: FloatArray
    settlement: IntArray
    settle_times: FloatArray


def _day(value: dt.date) -> int:
    return int(np.datetime64(value, "D").astype(np.int64))


def _terms(
    certs: Sequence[ComputeCertificate], as_of: dt.date, prices: Mapping[str, float]
) -> _Terms:
    n = len(certs)
    k_n = max(c.n_periods for c in certs)
    today = _day(as_of)
    starts = np.full((n, k_n), today, dtype=np.int64)
    ends = np.full((n, k_n), today, dtype=np.int64)
    call = np.full((n, k_n), np.nan)
    put = np.full((n, k_n), np.nan)
    last = np.zeros(n, dtype=np.int64)
    for i, cert in enumerate(certs):
        dates = [_day(d) for d in cert.payment_dates()]
        m = len(dates)
        ends[i, :m] = dates
        starts[i, :m] = [_day(cert.issue_date), *dates[:-1]]
        starts[i, m:] = ends[i, m:] = dates[-1]
        last[i] = m - 1
        index = {d: k for k, d in enumerate(dates)}
        for item in cert.calls:
            call[i, index[_day(item.date)]] = item.price
        for item in cert.puts:
            put[i, index[_day(item.date)]] = item.price
    periods = np.arange(k_n)
    alive = (ends > today) & (periods[None, :] <= last[:, None])
    settlement = np.maximum(np.array([_day(c.issue_date) for c in certs]), today)
    for cert in certs:
        if cert.id in prices and not (np.isfinite(prices[cert.id]) and prices[cert.id] > 0):
            raise ValidationError(f"prices[{cert.id}]", "must be a positive number",
                                  prices[cert.id])  # fmt: skip
    return _Terms(
        starts=starts,
        ends=ends,
        alive=alive,
        last=last,
        times=(ends - today).astype(np.float64) / 365.0,
        floor=np.array([c.floor_per_period or 0.0 for c in certs]),
        cap=np.array([np.inf if c.cap_per_period is None else c.cap_per_period for c in certs]),
        senior=np.array([c.senior_claim for c in certs], dtype=bool),
        redemption=np.array([c.redemption for c in certs]),
        call_price=np.where(alive, call, np.nan),
        put_price=np.where(alive, put, np.nan),
        price=np.array([float(prices.get(c.id, c.issue_price)) for c in certs]),
        settlement=settlement,
        settle_times=(settlement - today).astype(np.float64) / 365.0,
    )


def _weights(starts: IntArray, ends: IntArray, grid: PeriodGrid) -> tuple[FloatArray, FloatArray]:
    """``(C, K, T)`` weights of the grid periods in each payment period: for flows (share
    of each grid period's days inside the payment period) and for hours (share of the
    payment period's days in each grid period). The grid's first period is extended back
    to cover a payment period already under way on the valuation date."""
    g_start = grid.start_dates.astype(np.int64).copy()
    g_end = grid.end_dates.astype(np.int64)
    g_days = (g_end - g_start).astype(np.float64)
    g_start[0] = min(int(g_start[0]), int(starts.min()))
    lo = np.maximum(starts[:, :, None], g_start[None, None, :])
    hi = np.minimum(ends[:, :, None], g_end[None, None, :])
    overlap = np.clip(hi - lo, 0, None).astype(np.float64)
    length = (ends - starts).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        hours = np.where(length[:, :, None] > 0, overlap / length[:, :, None], 0.0)
    return overlap / g_days[None, None, :], hours


def _amounts(
    certs: Sequence[ComputeCertificate],
    terms: _Terms,
    rows: IntArray,
    cases: Mapping[str, _FleetCase],
    market: MarketSnapshot,
    n_paths: int,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Entitlement, senior-claim cash and regression state ``(R, P, K)`` of ``rows``."""
    k_n = terms.ends.shape[1]
    shape = (rows.size, n_paths, k_n)
    entitled, cash, state = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    fleets = np.array([certs[i].fleet_id for i in rows.tolist()])
    for fleet_id in sorted(set(fleets.tolist())):
        where = np.flatnonzero(fleets == fleet_id)
        sub = rows[where]
        case = cases[fleet_id]
        flow_w, hour_w = _weights(terms.starts[sub], terms.ends[sub], case.grid)
        fx = np.array(
            [market.fx(case.currency.value, certs[i].currency.value) for i in sub.tolist()]
        )[:, None, None]
        noi = np.einsum("pt,nkt->npk", case.noi, flow_w) * fx
        revenue = np.einsum("pt,nkt->npk", case.revenue, flow_w) * fx
        at = np.minimum(
            np.searchsorted(case.grid.end_dates.astype(np.int64), terms.ends[sub]),
            case.grid.n_periods - 1,
        )
        state[where] = case.economic_value[:, at].transpose(1, 0, 2) * fx
        cash[where] = np.maximum(noi, 0.0)
        for j, i in enumerate(sub.tolist()):
            ent = certs[i].entitlement
            if isinstance(ent, GpuHoursEntitlement):
                acc = ent.accelerator_id or _only_accelerator(case)
                rate = market.fx(case.price_currency[acc].value, certs[i].currency.value)
                price = case.prices[acc] * rate
                entitled[where[j]] = ent.gpu_hours_per_period * np.einsum(
                    "pt,kt->pk", price, hour_w[j]
                )
            elif isinstance(ent, NoiShareEntitlement):
                entitled[where[j]] = np.maximum(ent.share * noi[j], 0.0)
            else:
                entitled[where[j]] = ent.share * np.maximum(revenue[j], 0.0)
    return entitled, cash, state


def _only_accelerator(case: _FleetCase) -> str:
    names = sorted(case.prices)
    if len(names) != 1:  # _check refuses this before any projection runs
        raise ValidationError("entitlement.accelerator_id", "the fleet has several", names)
    return names[0]


def _curves(
    certs: Sequence[ComputeCertificate],
    market: MarketSnapshot,
    given: Mapping[str, Curve] | None,
) -> dict[str, Curve]:
    out: dict[str, Curve] = {}
    built: dict[Any, Curve] | None = None
    for cert in certs:
        code = cert.currency.value
        if code in out:
            continue
        if given and code in given:
            out[code] = given[code]
            continue
        index = DISCOUNT_INDEX.get(cert.currency)
        if index is None:
            raise MarketDataError(
                f"no default discount curve for {code}; pass discount_curves={{{code!r}: ...}}"
            )
        built = built if built is not None else dict(build_curves(market))
        if index not in built:
            raise MarketDataError(f"the snapshot has no {index.value} quotes to discount with")
        out[code] = built[index]
    return out


def _discount(
    certs: Sequence[ComputeCertificate],
    rows: IntArray,
    days: IntArray,
    as_of: dt.date,
    curves: Mapping[str, Curve],
    spread: FloatArray,
) -> FloatArray:
    """Discount factors ``(R, ...)`` from the valuation date to ``days`` (day numbers)."""
    today = np.datetime64(as_of, "D")
    out = np.ones(days.shape)
    for j, i in enumerate(rows.tolist()):
        curve = curves[certs[i].currency.value]
        when = days[j].astype("datetime64[D]")
        t = (days[j] - _day(as_of)).astype(np.float64) / 365.0
        out[j] = curve.discount(when) / curve.discount(today) * np.exp(-spread[i] * t)
    return out


def _spreads(
    certs: Sequence[ComputeCertificate], credit_spread: float | Mapping[str, float]
) -> FloatArray:
    values = [
        credit_spread.get(c.id, 0.0) if isinstance(credit_spread, Mapping) else credit_spread
        for c in certs
    ]
    for cert, value in zip(certs, values, strict=True):
        if not np.isfinite(value) or abs(value) > 1.0:
            raise ValidationError(
                f"credit_spread[{cert.id}]",
                "a decimal (0.02 = 200bp); above 1 looks like a percentage or basis points",
                value,
            )
    return np.asarray(values, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class _Chunk:
    """Base-case kernel inputs and result of one chunk, and its bumped fair values."""

    rows: IntArray
    inputs: KernelInputs
    result: KernelResult
    bumped: dict[str, FloatArray]


def _run_chunk(
    certs: Sequence[ComputeCertificate],
    terms: _Terms,
    rows: IntArray,
    cases: Mapping[str, Mapping[str, _FleetCase]],
    market: MarketSnapshot,
    curves: Mapping[str, Curve],
    spread: FloatArray,
    n_paths: int,
) -> _Chunk:
    def kernel_inputs(case: str, rate_bump: float = 0.0) -> KernelInputs:
        entitled, cash, state = _amounts(certs, terms, rows, cases[case], market, n_paths)
        return KernelInputs(
            entitled=entitled,
            cash=cash,
            state=state,
            floor=terms.floor[rows],
            cap=terms.cap[rows],
            senior=terms.senior[rows],
            redemption=terms.redemption[rows],
            alive=terms.alive[rows],
            last=terms.last[rows],
            call_price=terms.call_price[rows],
            put_price=terms.put_price[rows],
            discount=_discount(
                certs, rows, terms.ends[rows], market.as_of, curves, spread + rate_bump
            ),
        )

    base = kernel_inputs("base")
    result = run_kernel(base)
    bumped: dict[str, FloatArray] = {}
    for name in cases:
        if name != "base":
            bumped[name] = run_kernel(kernel_inputs(name)).pv.mean(axis=1)
    if len(cases) > 1:
        for name, bump in (("rate_up", RATE_BUMP), ("rate_down", -RATE_BUMP)):
            shifted = dataclasses.replace(
                base,
                discount=_discount(
                    certs, rows, terms.ends[rows], market.as_of, curves, spread + bump
                ),
            )
            bumped[name] = run_kernel(shifted).pv.mean(axis=1)
    return _Chunk(rows=rows, inputs=base, result=result, bumped=bumped)


def _figures(
    certs: Sequence[ComputeCertificate],
    terms: _Terms,
    chunk: _Chunk,
    market: MarketSnapshot,
    curves: Mapping[str, Curve],
    spread: FloatArray,
) -> dict[str, Any]:
    rows, res = chunk.rows, chunk.result
    r_n, p_n, k_n = res.flows.shape
    fair = res.pv.mean(axis=1)
    price = terms.price[rows]
    settle_df = _discount(certs, rows, terms.settlement[rows][:, None], market.as_of, curves,
                          spread)[:, 0]  # fmt: skip
    times = terms.times[rows]
    after = np.maximum(times - terms.settle_times[rows][:, None], 0.0)
    irr = annual_irr(
        res.flows.reshape(r_n * p_n, k_n),
        np.broadcast_to(after[:, None, :], res.flows.shape).reshape(r_n * p_n, k_n),
        np.repeat(price, p_n),
    ).reshape(r_n, p_n)
    total = res.flows.sum(axis=2)
    end = np.where(res.exercise < k_n, res.exercise, terms.last[rows][:, None])
    life = np.take_along_axis(times, end, axis=1).mean(axis=1)
    y, mac, mod = macaulay_and_modified(res.flows.mean(axis=1), times, fair)
    pct = np.percentile(irr, IRR_PERCENTILES, axis=1)
    out: dict[str, Any] = {
        "price": price,
        "fair_value": fair,
        "fair_value_per_unit": fair / np.array([certs[i].units for i in rows.tolist()]),
        "npv": fair - price * settle_df,
        "expected_payoff": total.mean(axis=1),
        **{f"irr_p{q}": pct[j] for j, q in enumerate(IRR_PERCENTILES)},
        "loss_probability": (total < price[:, None]).mean(axis=1),
        "call_probability": res.called.mean(axis=1),
        "put_probability": res.put.mean(axis=1),
        "expected_life": life,
        "yield_to_fair_value": y,
        "macaulay_duration": mac,
        "modified_duration": mod,
        "_irr": irr,
    }
    b = chunk.bumped
    nan = np.full(rows.size, np.nan)
    out["delta_rental_price_1pct"] = (
        (b["price_up"] - b["price_down"]) / 2.0 if "price_up" in b else nan
    )
    out["delta_utilization_1pt"] = (b["util_up"] - b["util_down"]) / 2.0 if "util_up" in b else nan
    out["dv01"] = (b["rate_down"] - b["rate_up"]) / 2.0 if "rate_up" in b else nan
    return out


def _schedule(cert: ComputeCertificate, terms: _Terms, chunk: _Chunk) -> pd.DataFrame:
    """Per payment date of the chunk's first certificate: expected amounts, percentiles."""
    m = cert.n_periods
    x, res = chunk.inputs, chunk.result
    flows = res.flows[0, :, :m]
    outstanding = (np.arange(m)[None, :] <= res.exercise[0][:, None]).mean(axis=0)
    p5, p50, p95 = np.percentile(flows, [5, 50, 95], axis=0)
    frame = pd.DataFrame(
        {
            "period_start": terms.starts[0, :m].astype("datetime64[D]"),
            "payment_date": terms.ends[0, :m].astype("datetime64[D]"),
            "paid_after_valuation": terms.alive[0, :m],
            "expected_entitlement": x.entitled[0, :, :m].mean(axis=0),
            "expected_contractual": res.contractual[0, :, :m].mean(axis=0),
            "expected_coupon": res.coupons[0, :, :m].mean(axis=0),
            "expected_flow": flows.mean(axis=0),
            "flow_p5": p5,
            "flow_p50": p50,
            "flow_p95": p95,
            "outstanding_probability": np.where(terms.alive[0, :m], outstanding, 0.0),
            "discount_factor": x.discount[0, :m],
        }
    )
    frame["pv"] = frame["expected_flow"] * frame["discount_factor"]
    return frame


def _value(
    certs: Sequence[ComputeCertificate],
    portfolio: Portfolio | None,
    market: MarketSnapshot,
    scenarios: int | None,
    options: Mapping[str, Any],
    detail: bool,
) -> tuple[dict[str, Any], list[_Chunk], _Terms]:
    if scenarios is not None and (
        isinstance(scenarios, bool) or not isinstance(scenarios, int) or scenarios < 1
    ):
        raise ValidationError("scenarios", "a number of paths >= 1, or None", scenarios)
    given: Mapping[str, ProjectionInputs] = options["projection_inputs"] or {}
    _check(certs, portfolio, market, given)
    stress: StressScenario | None = options["stress"]
    seed = int(options["seed"])
    n_paths = 1 if scenarios is None else scenarios
    by_fleet: dict[str, list[ComputeCertificate]] = {}
    for cert in certs:
        by_fleet.setdefault(cert.fleet_id, []).append(cert)
    bumps: dict[str, Callable[[ProjectionInputs], ProjectionInputs]] = {"base": lambda i: i}
    if options["sensitivities"]:
        bumps |= {
            "price_up": lambda i: apply_stress(
                StressScenario(name="price-up", rental_price_shock=PRICE_BUMP), i
            ),
            "price_down": lambda i: apply_stress(
                StressScenario(name="price-down", rental_price_shock=-PRICE_BUMP), i
            ),
            "util_up": lambda i: _utilization_bumped(i, UTILIZATION_BUMP),
            "util_down": lambda i: _utilization_bumped(i, -UTILIZATION_BUMP),
        }
    cases: dict[str, dict[str, _FleetCase]] = {name: {} for name in bumps}
    for fleet_id, mine in by_fleet.items():
        inputs = _fleet_inputs(fleet_id, mine, portfolio, market, given)
        reach = (
            None
            if fleet_id in given
            else _months_to(market.as_of, max(c.maturity for c in mine)) + 1
        )
        if stress is not None:
            inputs = apply_stress(stress, inputs)
        for name, bump in bumps.items():
            cases[name][fleet_id] = _fleet_case(bump(inputs), scenarios, seed, reach)
    terms = _terms(certs, market.as_of, options["prices"] or {})
    curves = _curves(certs, market, options["discount_curves"])
    spread = _spreads(certs, options["credit_spread"])
    if stress is not None and stress.rate_shift_bp:
        spread = spread + stress.rate_shift_bp / 10_000.0
    per_chunk = max(1, _CHUNK_ELEMENTS // (n_paths * terms.ends.shape[1]))
    every = np.arange(len(certs), dtype=np.int64)
    chunks: list[_Chunk] = []
    columns: dict[str, list[Any]] = {}
    for lo in range(0, len(certs), per_chunk):
        rows = every[lo : lo + per_chunk]
        chunk = _run_chunk(certs, terms, rows, cases, market, curves, spread, n_paths)
        figures = _figures(certs, terms, chunk, market, curves, spread)
        for key, value in figures.items():
            columns.setdefault(key, []).append(value)
        if detail:
            chunks.append(chunk)
    data: dict[str, Any] = {k: np.concatenate(v) for k, v in columns.items()}
    data |= {
        "id": [c.id for c in certs],
        "fleet_id": [c.fleet_id for c in certs],
        "currency": [c.currency.value for c in certs],
        "valuation_date": [market.as_of] * len(certs),
        "settlement": [dt.date.fromisoformat(str(d)) for d in
                       terms.settlement.astype("datetime64[D]").tolist()],
        "n_paths": [n_paths] * len(certs),
    }  # fmt: skip
    return data, chunks, terms


def _options(**given: Any) -> dict[str, Any]:
    return given


def value_certificates(
    certificates: Sequence[ComputeCertificate],
    portfolio: Portfolio | None,
    market: MarketSnapshot,
    scenarios: int | None = None,
    *,
    seed: int = 0,
    prices: Mapping[str, float] | None = None,
    credit_spread: float | Mapping[str, float] = 0.0,
    discount_curves: Mapping[str, Curve] | None = None,
    projection_inputs: Mapping[str, ProjectionInputs] | None = None,
    stress: StressScenario | None = None,
    sensitivities: bool = True,
) -> pd.DataFrame:
    """Value a book of certificates: one row per certificate, the columns :data:`FIELDS`.

    ``scenarios``: None for the expected fleet projections (one path), or a number of
    paths simulated per fleet with ``seed`` (one projection per fleet, shared by the
    certificates on it). ``prices``: the holder's purchase price by certificate id
    (currency, paid at settlement; default the issue price). ``credit_spread``: decimal,
    continuous ACT/365F, added to the discount curve (one number or by id: the issuer's
    credit for a claim without ``senior_claim``). ``discount_curves``: a curve per
    currency code (default: the snapshot's FR007 curve for CNY, SOFR for USD).
    ``projection_inputs``: a fleet's projection inputs by fleet id, in place of the
    defaults built from ``portfolio`` (their grid must reach the last maturity).
    ``stress``: applied to every fleet's projection inputs; its rate shift also moves the
    certificates' discount curves. ``sensitivities=False`` skips the bumped revaluations
    (their columns are NaN).

    >>> import datetime as dt
    >>> from computefin.domain import demo_market, demo_portfolio
    >>> book = [ComputeCertificate(id=f"nx-{s}", fleet_id="fleet-nx-h20", currency="CNY",
    ...     entitlement={"kind": "noi_share", "share": s / 100},
    ...     issue_date=dt.date(2026, 11, 27), maturity=dt.date(2028, 11, 27),
    ...     issue_price=s * 0.2e6) for s in (5, 10)]
    >>> frame = value_certificates(book, demo_portfolio(), demo_market(), sensitivities=False)
    >>> frame["fair_value"].round(0).tolist(), frame["irr_p50"].round(4).tolist()
    ([1082474.0, 2164948.0], [0.1421, 0.1421])
    """
    opts = _options(
        seed=seed,
        prices=prices,
        credit_spread=credit_spread,
        discount_curves=discount_curves,
        projection_inputs=projection_inputs,
        stress=stress,
        sensitivities=sensitivities,
    )
    certs = list(certificates)
    if not certs:
        return pd.DataFrame({name: [] for name in FIELDS}, columns=list(FIELDS))
    data, _, _ = _value(certs, portfolio, market, scenarios, opts, detail=False)
    return pd.DataFrame({k: data[k] for k in FIELDS}, columns=list(FIELDS))


def value_certificate(
    certificate: ComputeCertificate,
    market: MarketSnapshot,
    portfolio: Portfolio | None = None,
    scenarios: int | None = None,
    *,
    seed: int = 0,
    price: float | None = None,
    credit_spread: float = 0.0,
    discount_curves: Mapping[str, Curve] | None = None,
    projection_inputs: Mapping[str, ProjectionInputs] | None = None,
    stress: StressScenario | None = None,
    sensitivities: bool = True,
) -> CertificateValuation:
    """One certificate's valuation: :func:`value_certificates` with one certificate, plus
    its payment schedule, per-path IRRs and flows. ``price``: the purchase price (default
    the issue price); other options as in :func:`value_certificates`.

    >>> import datetime as dt
    >>> from computefin.domain import demo_market, demo_portfolio
    >>> cert = ComputeCertificate(id="nx-h", fleet_id="fleet-nx-h20", currency="CNY",
    ...     entitlement={"kind": "gpu_hours", "gpu_hours_per_period": 100_000.0},
    ...     issue_date=dt.date(2026, 11, 27), maturity=dt.date(2027, 11, 27),
    ...     issue_price=2.0e6)
    >>> v = value_certificate(cert, demo_market(), demo_portfolio(), sensitivities=False)
    >>> v.schedule[["expected_flow", "discount_factor"]].round(4)
       expected_flow  discount_factor
    0    634857.9170           0.9963
    1    611855.4893           0.9928
    2    588158.6898           0.9892
    3    564229.8209           0.9856
    >>> round(v.fair_value), round(v.irr_p50, 4)
    (2377872, 0.3543)
    """
    opts = _options(
        seed=seed,
        prices=None if price is None else {certificate.id: price},
        credit_spread=credit_spread,
        discount_curves=discount_curves,
        projection_inputs=projection_inputs,
        stress=stress,
        sensitivities=sensitivities,
    )
    data, chunks, terms = _value([certificate], portfolio, market, scenarios, opts, detail=True)
    row = {k: data[k][0] for k in FIELDS}
    values: dict[str, Any] = {}
    for f in dataclasses.fields(CertificateValuation):
        if f.name in row:
            raw = row[f.name]
            values[f.name] = (
                raw if f.type in ("str", "dt.date") else int(raw) if f.type == "int" else float(raw)
            )
    chunk = chunks[0]
    return CertificateValuation(
        **values,
        schedule=_schedule(certificate, terms, chunk),
        irr=np.asarray(data["_irr"][0]),
        flows=chunk.result.flows[0, :, : certificate.n_periods].copy(),
    )
