"""Collateral coverage: the loan's debt service against its fleets' projected cash and value.

For each loan period ``t`` (paying at ``pay_dates[t]``) and path ``p``:

- ``cfads`` = the collateral fleets' NOI over the projection periods ending in
  ``(pay_dates[t-1], pay_dates[t]]``, converted to the loan currency;
- ``debt_service`` = interest + scheduled principal on the (possibly swept) balance;
- ``dscr`` = cfads / debt_service (``inf`` when nothing is due);
- ``collateral_value`` = the fleets' economic value at the last projection period end on
  or before the pay date; ``ltv`` = closing balance / collateral value;
- ``borrowing_base`` = advance rate on GPU value x collateral value + advance rate on
  contracts x PV (at the pay date) of the contracted revenue still to come;
  ``shortfall`` = max(closing balance - borrowing base, 0);
- a covenant breach is ``dscr < min_dscr`` or ``ltv > max_ltv``; when one occurs, the
  cash sweep takes ``cash_sweep_share`` of the cash left after debt service and prepays
  principal, which lowers the balance and every later interest payment.

The loop runs over loan periods; each step is an array operation over paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import Field

from computefin._typing import BoolArray, DateArray, FloatArray
from computefin.domain._base import DomainModel
from computefin.domain._types import Share
from computefin.domain.market import MarketSnapshot
from computefin.errors import ValidationError
from computefin.risk.projection import FleetProjection

__all__ = [
    "BATCH_LOANS",
    "CoverageResult",
    "CoverageSummary",
    "CoverageTerms",
    "DebtSchedule",
    "collateral_coverage",
    "coverage_summaries",
]


class CoverageTerms(DomainModel):
    """Covenants and advance rates the coverage test applies.

    >>> CoverageTerms(max_ltv=0.7, min_dscr=1.35, cash_sweep_share=0.5).max_ltv
    0.7
    """

    max_ltv: float = Field(gt=0.0, le=5.0, description="Largest loan-to-value allowed.")
    min_dscr: float = Field(ge=0.0, le=20.0, description="Smallest DSCR allowed.")
    cash_sweep_share: Share = Field(
        default=0.0, description="Share of cash after debt service swept to prepay on breach."
    )
    advance_rate_gpu_value: Share = Field(
        default=0.5, description="Advance rate on the GPUs' economic value."
    )
    advance_rate_contracts: Share = Field(
        default=0.8,
        description="Advance rate on the PV of assigned contract revenue still to come "
        "(the loan weights its quality table by contract value into one rate).",
    )


@dataclass(frozen=True)
class DebtSchedule:
    """One loan's contractual schedule in its currency: arrays ``(T,)``.

    ``pay_dates`` period ends; ``opening_balance`` drawn balance at each period start;
    ``scheduled_principal``; ``rate`` all-in annual rate; ``year_fractions`` accrual;
    ``accrual_starts`` (optional) period starts: a period that began before the
    projections do has its cash scaled up to the whole period for the DSCR test (the
    fleets' NOI before the as-of date is not projected).
    """

    pay_dates: DateArray
    opening_balance: FloatArray
    scheduled_principal: FloatArray
    rate: FloatArray
    year_fractions: FloatArray
    accrual_starts: DateArray | None = None

    def __post_init__(self) -> None:
        n = self.pay_dates.size
        for name in ("opening_balance", "scheduled_principal", "rate", "year_fractions"):
            values = getattr(self, name)
            if values.shape != (n,):
                raise ValidationError(f"debt.{name}", f"must have shape ({n},)", values.shape)
            if not np.isfinite(values).all():
                raise ValidationError(f"debt.{name}", "must be finite")
        if n == 0 or (np.diff(self.pay_dates.astype(np.int64)) <= 0).any():
            raise ValidationError("debt.pay_dates", "must be non-empty and increasing")


@dataclass(frozen=True)
class CoverageResult:
    """Coverage per path and loan period, arrays ``(P, T)``; see the module docstring."""

    pay_dates: DateArray
    cfads: FloatArray
    interest: FloatArray
    principal: FloatArray
    swept: FloatArray
    closing_balance: FloatArray
    dscr: FloatArray
    collateral_value: FloatArray
    ltv: FloatArray
    borrowing_base: FloatArray
    shortfall: FloatArray
    breach: BoolArray

    @property
    def breach_probability(self) -> float:
        """Share of paths with at least one covenant breach."""
        return float(self.breach.any(axis=1).mean())

    @property
    def worst_dscr(self) -> FloatArray:
        """Lowest DSCR of each path ``(P,)``."""
        out: FloatArray = self.dscr.min(axis=1)
        return out

    def first_breach(self) -> pd.Series:
        """Distribution of the first breach date: share of paths whose first breach falls
        on each pay date (paths without a breach are left out)."""
        any_breach = self.breach.any(axis=1)
        first = np.argmax(self.breach, axis=1)[any_breach]
        counts = np.bincount(first, minlength=self.pay_dates.size) / self.breach.shape[0]
        return pd.Series(counts, index=pd.Index(self.pay_dates, name="pay_date"),
                         name="first_breach_share")  # fmt: skip

    def to_frame(self) -> pd.DataFrame:
        """Mean over paths per pay date of every line, plus the breach share."""
        data = {
            name: getattr(self, name).mean(axis=0)
            for name in (
                "cfads",
                "interest",
                "principal",
                "swept",
                "closing_balance",
                "dscr",
                "collateral_value",
                "ltv",
                "borrowing_base",
                "shortfall",
            )
        }
        data["breach_share"] = self.breach.mean(axis=0)
        return pd.DataFrame(data, index=pd.Index(self.pay_dates, name="pay_date"))


def _check_reach(projection: FleetProjection, pay_dates: DateArray) -> None:
    ends = projection.grid.end_dates
    if pay_dates[-1] > ends[-1]:
        raise ValidationError(
            "projections",
            f"fleet {projection.fleet_id!r} is projected to {ends[-1]}, short of the last "
            f"payment on {pay_dates[-1]}",
        )


def _cumulative_noi(projection: FleetProjection) -> tuple[FloatArray, FloatArray]:
    """Knots (days from as-of: 0 and each period end) and cumulative NOI ``(P, T + 1)``."""
    noi = projection.line("noi")
    as_of = np.datetime64(projection.grid.as_of, "D")
    knots = np.concatenate([[0.0], (projection.grid.end_dates - as_of).astype(np.float64)])
    cumulative = np.concatenate([np.zeros((noi.shape[0], 1)), np.cumsum(noi, axis=1)], axis=1)
    return knots, cumulative


def _cfads(
    projection: FleetProjection,
    pay_dates: DateArray,
    knots: FloatArray,
    cumulative: FloatArray,
) -> FloatArray:
    """NOI summed into the loan periods ending on ``pay_dates``, ``(P, T)``."""
    # NOI accrues evenly within each projection period: cumulative NOI at the pay dates by
    # linear interpolation in days, then differences give each loan period's cash.
    as_of = np.datetime64(projection.grid.as_of, "D")
    at = np.clip((pay_dates - as_of).astype(np.float64), 0.0, knots[-1])
    k = np.clip(np.searchsorted(knots, at, side="right"), 1, knots.size - 1)
    weight = (at - knots[k - 1]) / (knots[k] - knots[k - 1])
    at_pay = cumulative[:, k - 1] + weight * (cumulative[:, k] - cumulative[:, k - 1])
    out: FloatArray = np.diff(at_pay, axis=1, prepend=0.0)
    return out


def _value_at(projection: FleetProjection, pay_dates: DateArray) -> FloatArray:
    """Economic value at the last period end on or before each pay date (0 before any)."""
    last = np.searchsorted(projection.grid.end_dates, pay_dates, side="right") - 1
    out: FloatArray = np.where(
        last >= 0, projection.line("economic_value")[:, np.maximum(last, 0)], 0.0
    )
    return out


def _aggregate(
    projection: FleetProjection, pay_dates: DateArray, fx: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """NOI summed into loan periods, economic value and remaining contract PV at pay dates."""
    _check_reach(projection, pay_dates)
    ends = projection.grid.end_dates
    noi = projection.line("noi")
    n_paths = noi.shape[0]
    # NOI accrues evenly within each projection period: cumulative NOI at the pay dates by
    # linear interpolation in days, then differences give each loan period's cash.
    as_of = np.datetime64(projection.grid.as_of, "D")
    knots = np.concatenate([[0.0], (ends - as_of).astype(np.float64)])
    cumulative = np.concatenate([np.zeros((n_paths, 1)), np.cumsum(noi, axis=1)], axis=1)
    at = np.clip((pay_dates - as_of).astype(np.float64), 0.0, knots[-1])
    k = np.clip(np.searchsorted(knots, at, side="right"), 1, knots.size - 1)
    weight = (at - knots[k - 1]) / (knots[k] - knots[k - 1])
    at_pay = cumulative[:, k - 1] + weight * (cumulative[:, k] - cumulative[:, k - 1])
    cfads = np.diff(at_pay, axis=1, prepend=0.0)
    last = np.searchsorted(ends, pay_dates, side="right") - 1  # last period end <= pay date
    value = np.where(last >= 0, projection.line("economic_value")[:, np.maximum(last, 0)], 0.0)
    contracted = projection.line("contracted_revenue") * projection.line("discount_factor")
    tail = np.cumsum(contracted[:, ::-1], axis=1)[:, ::-1]  # PV from each period on
    after = np.concatenate([tail[:, 1:], np.zeros((n_paths, 1))], axis=1)
    df_at = np.where(last >= 0, projection.line("discount_factor")[:, np.maximum(last, 0)], 1.0)
    remaining = np.where(last >= 0, after[:, np.maximum(last, 0)], tail[:, :1]) / df_at
    return cfads * fx, value * fx, remaining * fx


def collateral_coverage(
    debt: DebtSchedule,
    projections: Sequence[FleetProjection],
    terms: CoverageTerms,
    market: MarketSnapshot,
    currency: str,
) -> CoverageResult:
    """LTV, DSCR, borrowing base and covenant breaches of one loan over its fleets' paths.

    All ``projections`` must have the same number of paths (one for the expected case).
    """
    if not projections:
        raise ValidationError("projections", "needs at least one fleet projection")
    n_paths = {p.n_paths for p in projections}
    if len(n_paths) != 1:
        raise ValidationError("projections", "must all have the same number of paths")
    pay = debt.pay_dates.astype("datetime64[D]")
    parts = [_aggregate(p, pay, market.fx(p.currency.value, currency)) for p in projections]
    cfads = sum(p[0] for p in parts)
    value = sum(p[1] for p in parts)
    contracts = sum(p[2] for p in parts)
    assert isinstance(cfads, np.ndarray)
    assert isinstance(value, np.ndarray)
    assert isinstance(contracts, np.ndarray)
    n, t_count = cfads.shape
    # A period partly before the projections start: its DSCR uses the covered part's cash
    # scaled to the whole period (debt service is for the whole period).
    coverage_scale = np.ones(t_count)
    if debt.accrual_starts is not None:
        first = np.datetime64(projections[0].grid.as_of, "D")
        starts = debt.accrual_starts.astype("datetime64[D]")
        whole = (pay - starts).astype(np.float64)
        covered = (pay - np.maximum(starts, first)).astype(np.float64)
        coverage_scale = np.where(covered > 0, whole / np.maximum(covered, 1.0), 1.0)
    balance = np.full(n, debt.opening_balance[0])
    lines = {k: np.zeros((n, t_count)) for k in ("interest", "principal", "swept", "closing",
                                                  "dscr", "ltv", "base", "shortfall")}  # fmt: skip
    breach = np.zeros((n, t_count), dtype=bool)
    # Draws between periods: contractual opening balance less what the schedule left.
    draws = np.concatenate(
        [
            [0.0],
            debt.opening_balance[1:] - (debt.opening_balance[:-1] - debt.scheduled_principal[:-1]),
        ]
    ).clip(min=0.0)
    for t in range(t_count):
        balance = balance + draws[t]
        interest = balance * debt.rate[t] * debt.year_fractions[t]
        principal = np.minimum(debt.scheduled_principal[t], balance)
        service = interest + principal
        with np.errstate(divide="ignore", invalid="ignore"):
            dscr = np.where(service > 0, cfads[:, t] * coverage_scale[t] / service, np.inf)
        closing = balance - principal
        with np.errstate(divide="ignore", invalid="ignore"):
            ltv = np.where(
                value[:, t] > 0, closing / value[:, t], np.where(closing > 0, np.inf, 0.0)
            )
        hit = (dscr < terms.min_dscr) | (ltv > terms.max_ltv)
        excess = np.maximum(cfads[:, t] - service, 0.0)
        swept = np.where(hit, np.minimum(terms.cash_sweep_share * excess, closing), 0.0)
        closing = closing - swept
        base = (
            terms.advance_rate_gpu_value * value[:, t]
            + terms.advance_rate_contracts * contracts[:, t]
        )
        for key, values in (("interest", interest), ("principal", principal), ("swept", swept),
                            ("closing", closing), ("dscr", dscr), ("ltv", ltv), ("base", base),
                            ("shortfall", np.maximum(closing - base, 0.0))):  # fmt: skip
            lines[key][:, t] = values
        breach[:, t] = hit
        balance = closing
    return CoverageResult(
        pay_dates=pay,
        cfads=cfads,
        interest=lines["interest"],
        principal=lines["principal"],
        swept=lines["swept"],
        closing_balance=lines["closing"],
        dscr=lines["dscr"],
        collateral_value=value,
        ltv=lines["ltv"],
        borrowing_base=lines["base"],
        shortfall=lines["shortfall"],
        breach=breach,
    )


BATCH_LOANS = 64
"""Loans per pass of :func:`coverage_summaries` (bounds its ``(loans, paths, periods)``
temporaries to tens of MB at a thousand paths)."""


@dataclass(frozen=True)
class CoverageSummary:
    """What a book valuation reads of one loan's coverage: ``worst_dscr`` ``(P,)`` (the
    lowest DSCR of each path) and ``breach_probability`` (share of paths with a breach)."""

    worst_dscr: FloatArray
    breach_probability: float


def _scale(debt: DebtSchedule, first: np.datetime64) -> FloatArray:
    """Whole-period over covered-period length (see :func:`collateral_coverage`)."""
    pay = debt.pay_dates.astype("datetime64[D]")
    if debt.accrual_starts is None:
        return np.ones(pay.size)
    starts = debt.accrual_starts.astype("datetime64[D]")
    whole = (pay - starts).astype(np.float64)
    covered = (pay - np.maximum(starts, first)).astype(np.float64)
    out: FloatArray = np.where(covered > 0, whole / np.maximum(covered, 1.0), 1.0)
    return out


def _draws(debt: DebtSchedule) -> FloatArray:
    out: FloatArray = np.concatenate(
        [
            [0.0],
            debt.opening_balance[1:] - (debt.opening_balance[:-1] - debt.scheduled_principal[:-1]),
        ]
    ).clip(min=0.0)
    return out


def coverage_summaries(
    debts: Sequence[DebtSchedule],
    projections: Sequence[Sequence[FleetProjection]],
    terms: Sequence[CoverageTerms],
    market: MarketSnapshot,
    currencies: Sequence[str],
) -> list[CoverageSummary]:
    """:func:`collateral_coverage`'s ``worst_dscr`` and ``breach_probability`` for many
    loans at once, bit for bit.

    Loan ``i`` has schedule ``debts[i]``, fleets ``projections[i]``, covenants
    ``terms[i]`` and currency ``currencies[i]``. The same operations run on arrays
    ``(loans, paths)`` per period instead of ``(paths,)`` per loan and period, in blocks
    of :data:`BATCH_LOANS` loans padded to the block's longest schedule (padded periods
    count for nothing); each fleet's cumulative NOI is computed once for all its loans.
    """
    if not (len(debts) == len(projections) == len(terms) == len(currencies)):
        raise ValidationError("coverage_summaries", "needs one debt, fleet list, terms and "
                              "currency per loan")  # fmt: skip
    cumulants: dict[int, tuple[FloatArray, FloatArray]] = {}
    # Blocks of loans with schedules of similar length pad little; loans are independent,
    # so the order they are run in changes nothing.
    order = sorted(range(len(debts)), key=lambda i: debts[i].pay_dates.size)
    out: list[CoverageSummary | None] = [None] * len(debts)
    for lo in range(0, len(order), BATCH_LOANS):
        block = order[lo : lo + BATCH_LOANS]
        done = _summaries_block(
            [debts[i] for i in block],
            [projections[i] for i in block],
            [terms[i] for i in block],
            market,
            [currencies[i] for i in block],
            cumulants,
        )
        for i, summary in zip(block, done, strict=True):
            out[i] = summary
    return [s for s in out if s is not None]


def _summaries_block(
    debts: Sequence[DebtSchedule],
    projections: Sequence[Sequence[FleetProjection]],
    terms: Sequence[CoverageTerms],
    market: MarketSnapshot,
    currencies: Sequence[str],
    cumulants: dict[int, tuple[FloatArray, FloatArray]],
) -> list[CoverageSummary]:
    n_loans = len(debts)
    if n_loans == 0:
        return []
    n_paths = projections[0][0].n_paths if projections[0] else 0
    sizes = [d.pay_dates.size for d in debts]
    width = max(sizes)
    cfads = np.zeros((n_loans, n_paths, width))
    value = np.zeros((n_loans, n_paths, width))
    rows = {
        name: np.zeros((n_loans, width))
        for name in ("rate", "year_fractions", "scheduled_principal", "draws")
    }
    scale = np.ones((n_loans, width))
    opening = np.zeros(n_loans)
    alive = np.zeros((n_loans, width), dtype=bool)
    for i, (debt, fleets, currency) in enumerate(zip(debts, projections, currencies, strict=True)):
        if not fleets:
            raise ValidationError("projections", "needs at least one fleet projection")
        if {p.n_paths for p in fleets} != {n_paths}:
            raise ValidationError("projections", "must all have the same number of paths")
        pay = debt.pay_dates.astype("datetime64[D]")
        n = pay.size
        parts_cash, parts_value = [], []
        for p in fleets:
            _check_reach(p, pay)
            if id(p) not in cumulants:
                cumulants[id(p)] = _cumulative_noi(p)
            knots, cumulative = cumulants[id(p)]
            fx = market.fx(p.currency.value, currency)
            parts_cash.append(_cfads(p, pay, knots, cumulative) * fx)
            parts_value.append(_value_at(p, pay) * fx)
        cfads[i, :, :n] = sum(parts_cash)
        value[i, :, :n] = sum(parts_value)
        rows["rate"][i, :n] = debt.rate
        rows["year_fractions"][i, :n] = debt.year_fractions
        rows["scheduled_principal"][i, :n] = debt.scheduled_principal
        rows["draws"][i, :n] = _draws(debt)
        scale[i, :n] = _scale(debt, np.datetime64(fleets[0].grid.as_of, "D"))
        opening[i] = debt.opening_balance[0]
        alive[i, :n] = True
    min_dscr = np.array([t.min_dscr for t in terms])[:, None]
    max_ltv = np.array([t.max_ltv for t in terms])[:, None]
    sweep = np.array([t.cash_sweep_share for t in terms])[:, None]
    balance = np.repeat(opening[:, None], n_paths, axis=1)
    worst = np.full((n_loans, n_paths), np.inf)
    breached = np.zeros((n_loans, n_paths), dtype=bool)
    for t in range(width):
        # The operations of collateral_coverage, in its order, on (loans, paths).
        balance = balance + rows["draws"][:, t, None]
        interest = balance * rows["rate"][:, t, None] * rows["year_fractions"][:, t, None]
        principal = np.minimum(rows["scheduled_principal"][:, t, None], balance)
        service = interest + principal
        cash = cfads[:, :, t]
        with np.errstate(divide="ignore", invalid="ignore"):
            dscr = np.where(service > 0, cash * scale[:, t, None] / service, np.inf)
        closing = balance - principal
        worth = value[:, :, t]
        with np.errstate(divide="ignore", invalid="ignore"):
            ltv = np.where(worth > 0, closing / worth, np.where(closing > 0, np.inf, 0.0))
        hit = (dscr < min_dscr) | (ltv > max_ltv)
        excess = np.maximum(cash - service, 0.0)
        swept = np.where(hit, np.minimum(sweep * excess, closing), 0.0)
        balance = closing - swept
        live = alive[:, t, None]
        worst = np.where(live, np.minimum(worst, dscr), worst)
        breached |= hit & live
    return [
        CoverageSummary(
            worst_dscr=worst[i].copy(),
            breach_probability=float(breached[i].mean()),
        )
        for i in range(n_loans)
    ]
