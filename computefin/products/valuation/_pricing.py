"""Price, yield, spreads, life, rate and spread risk and the fair margin of a loan book.

Everything runs on the whole book at once: the loan kernel
(:func:`~computefin.products.loan.cashflows.book_cashflows`), the merged cash-flow matrix
(:func:`._flows.loan_flows`) and the analytics of :mod:`computefin.pricing.analytics`.
Python loops run over currencies (one discount curve each), never over loans.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from computefin._typing import FloatArray, IntArray
from computefin.domain import Currency, MarketSnapshot, RateIndex
from computefin.errors import MarketDataError
from computefin.pricing import (
    Curve,
    MarketCalendar,
    accrued_interest,
    convexity,
    cs01,
    macaulay_duration,
    modified_duration,
    present_value,
    solve_spread_for_price,
    weighted_average_life,
    yield_from_price,
    z_spread_from_price,
)
from computefin.products.loan import LoanCashflows
from computefin.products.loan._columns import LoanColumns
from computefin.products.loan.cashflows import book_cashflows
from computefin.products.valuation._flows import LoanFlows, loan_flows
from computefin.risk.projection import DISCOUNT_INDEX

__all__ = [
    "DV01_BUMP",
    "FAIR_MARGIN_BRACKET",
    "PricingContext",
    "book_flows",
    "discount_curves",
    "price_book",
    "take_columns",
]

DV01_BUMP: Final[float] = 1e-4
"""Parallel shift of every curve (projection and discount) for DV01: 1bp."""
FAIR_MARGIN_BRACKET: Final[tuple[float, float]] = (-0.5, 1.0)
"""Bracket of the fair margin / fair coupon search (decimals)."""
_SLOPE_STEP: Final[float] = 1e-6
_SECANT_MIN_STEP: Final[float] = 1e-10


def discount_curves(
    currencies: tuple[str, ...],
    curves: Mapping[RateIndex, Curve],
    overrides: Mapping[str, Curve] | None = None,
) -> dict[str, Curve]:
    """The discount curve of each currency: an override, else ``DISCOUNT_INDEX`` (CNY FR007,
    USD SOFR) from ``curves``; a missing one raises :class:`MarketDataError`.

    >>> from computefin.domain import demo_market
    >>> from computefin.pricing import build_curves
    >>> discount_curves(("USD", "CNY"), build_curves(demo_market()))["CNY"].index.value
    'FR007'
    """
    out: dict[str, Curve] = {}
    for code in sorted(set(currencies)):
        if overrides is not None and code in overrides:
            out[code] = overrides[code]
            continue
        index = DISCOUNT_INDEX.get(Currency(code))
        if index is None or index not in curves:
            name = "a discount curve" if index is None else f"a {index.value} curve"
            raise MarketDataError(
                f"CollateralLoan.currency: valuing {code} loans needs {name} "
                "(add its quotes to the snapshot, or pass discount_curves=)"
            )
        out[code] = curves[index]
    return out


def _pick(loan: IntArray, rows: IntArray) -> tuple[IntArray, IntArray]:
    """Entries of flattened per-loan lists (``loan`` their owners) for ``rows`` (repeats
    allowed): the entries' positions and their new owners."""
    order = np.argsort(loan, kind="stable")
    owners = loan[order]
    lo = np.searchsorted(owners, rows, side="left")
    counts = np.searchsorted(owners, rows, side="right") - lo
    offsets = np.cumsum(counts) - counts
    within = np.arange(int(counts.sum())) - np.repeat(offsets, counts)
    return order[np.repeat(lo, counts) + within], np.repeat(np.arange(rows.size), counts)


def take_columns(cols: LoanColumns, rows: IntArray) -> LoanColumns:
    """The loans ``rows`` of ``cols``, in that order (repeats allowed; draw and repayment
    lists re-indexed).

    >>> cols = LoanColumns.from_loans([])
    >>> len(take_columns(cols, np.array([], dtype=np.int64)))
    0
    """
    if rows.size == len(cols) and bool(np.all(rows == np.arange(len(cols)))):
        return cols
    draws, draw_owner = _pick(cols.draw_loan, rows)
    custom, custom_owner = _pick(cols.custom_loan, rows)
    picked = rows.tolist()
    changes: dict[str, Any] = {
        name: tuple(getattr(cols, name)[i] for i in picked)
        for name in ("ids", "currency", "calendar", "schedule_key")
    }
    for name in (
        "principal",
        "fixed_rate",
        "index_code",
        "margin",
        "floor",
        "cap",
        "floor_on_index",
        "fixing_lag",
        "day_count",
        "amortization",
        "balloon_share",
        "upfront_fee_rate",
        "commitment_fee_rate",
        "availability_end",
    ):
        changes[name] = getattr(cols, name)[rows]
    changes.update(
        draw_loan=draw_owner,
        draw_day=cols.draw_day[draws],
        draw_amount=cols.draw_amount[draws],
        custom_loan=custom_owner,
        custom_day=cols.custom_day[custom],
        custom_amount=cols.custom_amount[custom],
    )
    return dataclasses.replace(cols, **changes)


@dataclass(frozen=True, eq=False)
class PricingContext:
    """Market inputs of a valuation: snapshot, projection curves, discount curve per
    currency, calendar overrides."""

    market: MarketSnapshot
    curves: Mapping[RateIndex, Curve]
    discount: Mapping[str, Curve]
    calendars: Mapping[str, MarketCalendar] | None = None

    @property
    def as_of(self) -> dt.date:
        """The valuation date: the snapshot's ``as_of``."""
        return self.market.as_of

    def shifted(self, bump: float) -> PricingContext:
        """Every curve moved in parallel by ``bump`` (continuous ACT/365F zero rates)."""
        return dataclasses.replace(
            self,
            curves={k: c.shifted(parallel=bump) for k, c in self.curves.items()},
            discount={k: c.shifted(parallel=bump) for k, c in self.discount.items()},
        )


def _groups(currency: tuple[str, ...]) -> dict[str, IntArray]:
    codes = np.asarray(currency, dtype=str)
    return {str(c): np.flatnonzero(codes == c) for c in np.unique(codes).tolist()}


def _values(
    flows: LoanFlows,
    currency: tuple[str, ...],
    ctx: PricingContext,
    z: FloatArray,
    *,
    at_settlement: bool,
) -> tuple[FloatArray, FloatArray]:
    """Dirty PV (at settlement, or at the valuation date) and accrued at settlement."""
    n = flows.matrix.n
    value = np.zeros(n)
    accrued = np.zeros(n)
    for code, rows in _groups(currency).items():
        sub = flows.matrix.take(rows)
        settle = None if at_settlement else ctx.as_of
        value[rows] = present_value(sub, ctx.discount[code], z_spread=z[rows], settlement=settle)
        accrued[rows] = accrued_interest(sub)
    return value, accrued


def book_flows(cols: LoanColumns, ctx: PricingContext) -> tuple[LoanCashflows, LoanFlows]:
    """The kernel's cash flows of ``cols`` on ``ctx`` and their merged matrix."""
    cf = book_cashflows(cols, ctx.market, ctx.curves, ctx.calendars)
    return cf, loan_flows(cf, cols, ctx.as_of)


def _pv_as_of(cols: LoanColumns, ctx: PricingContext, z: FloatArray) -> FloatArray:
    _, flows = book_flows(cols, ctx)
    return _values(flows, cols.currency, ctx, z, at_settlement=False)[0]


def _with_rate(cols: LoanColumns, x: FloatArray) -> LoanColumns:
    floating = cols.is_floating
    return dataclasses.replace(
        cols,
        fixed_rate=np.where(floating, cols.fixed_rate, x),
        margin=np.where(floating, x, cols.margin),
    )


def _fair_rate(cols: LoanColumns, ctx: PricingContext, z: FloatArray) -> FloatArray:
    """The margin (floating) or coupon (fixed) at which each loan is worth par at spread z.

    Par: clean value at settlement + upfront fee received on it = principal outstanding.
    Secant steps (Newton with the slope through the last two points, the first from a
    forward difference at the contract terms): one run of the kernel per step, and the
    value is close to linear in the margin, so a few steps do. NaN where no margin in
    :data:`FAIR_MARGIN_BRACKET` prices at par (a binding floor keeps a loan above par
    whatever its margin).
    """
    start = np.where(cols.is_floating, cols.margin, cols.fixed_rate)

    def gap(x: FloatArray, rows: IntArray) -> FloatArray:
        sub = _with_rate(take_columns(cols, rows), x)
        _, flows = book_flows(sub, ctx)
        dirty, accrued = _values(flows, sub.currency, ctx, z[rows], at_settlement=True)
        out: FloatArray = dirty - accrued + flows.upfront_on_settlement - flows.outstanding
        return out

    every = np.arange(len(cols), dtype=np.int64)
    last_x = start + _SLOPE_STEP
    last_gap = gap(last_x, every)
    slope = np.zeros(len(cols))

    def gap_slope(x: FloatArray, rows: IntArray) -> tuple[FloatArray, FloatArray]:
        here = gap(x, rows)
        dx = x - last_x[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            secant = (here - last_gap[rows]) / dx
        use = (np.abs(dx) > _SECANT_MIN_STEP) & np.isfinite(secant) & (secant != 0.0)
        slope[rows[use]] = secant[use]
        last_x[rows], last_gap[rows] = x, here
        return here, slope[rows]

    return solve_spread_for_price(
        gap,
        np.zeros(len(cols)),
        FAIR_MARGIN_BRACKET[0],
        FAIR_MARGIN_BRACKET[1],
        value_and_derivative=gap_slope,
        x0=start,
        ids=np.asarray(cols.ids, dtype=str),
        name="fair_margin",
        on_failure="nan",
    )


def price_book(
    cols: LoanColumns,
    flows: LoanFlows,
    ctx: PricingContext,
    credit_spread: FloatArray,
    price: FloatArray | None = None,
) -> dict[str, FloatArray]:
    """Every pricing figure of every loan, ``{name: (n,) array}``.

    ``credit_spread`` (decimal, continuous ACT/365F) is added to the discount curve;
    ``price`` (dirty, at settlement, currency; NaN: use the model price) sets the price
    the yield and z-spread are solved at; ``flows`` are :func:`book_flows` of ``cols``.
    See ``docs/products/loan-valuation.md``.
    """
    n = len(cols)
    z = np.asarray(credit_spread, dtype=np.float64)
    pv, _ = _values(flows, cols.currency, ctx, z, at_settlement=False)
    model_price, accrued = _values(flows, cols.currency, ctx, z, at_settlement=True)
    given = np.full(n, np.nan) if price is None else np.asarray(price, dtype=np.float64)
    used = np.where(np.isfinite(given), given, model_price)
    cf = flows.matrix
    ytm = yield_from_price(cf, used, on_failure="nan")
    z_solved = np.full(n, np.nan)
    spread01 = np.zeros(n)
    for code, rows in _groups(cols.currency).items():
        sub = cf.take(rows)
        z_solved[rows] = z_spread_from_price(
            sub, ctx.discount[code], used[rows], guess=z[rows], on_failure="nan"
        )
        spread01[rows] = cs01(sub, ctx.discount[code], z_spread=z[rows], settlement=ctx.as_of)
    safe_y = np.where(np.isfinite(ytm), ytm, 0.0)
    solved = np.isfinite(ytm)
    down = _pv_as_of(cols, ctx.shifted(-DV01_BUMP), z)
    up = _pv_as_of(cols, ctx.shifted(DV01_BUMP), z)
    # One solve: every loan at its credit spread (fees included: the fair margin is net
    # of fees for fixed and floating loans alike), and the fixed loans again at no spread
    # and without fees (their risk-free par rate, the base of both margins); the copies
    # share the originals' schedules.
    fixed = np.flatnonzero(~cols.is_floating)
    both = take_columns(cols, np.concatenate([np.arange(n, dtype=np.int64), fixed]))
    no_fee = np.arange(len(both)) >= n
    both = dataclasses.replace(
        both,
        upfront_fee_rate=np.where(no_fee, 0.0, both.upfront_fee_rate),
        commitment_fee_rate=np.where(no_fee, 0.0, both.commitment_fee_rate),
    )
    solved_rates = _fair_rate(both, ctx, np.concatenate([z, np.zeros(fixed.size)]))
    fair = solved_rates[:n]
    par_rate = np.full(n, np.nan)
    par_rate[fixed] = solved_rates[n:]
    contract = np.where(cols.is_floating, cols.margin, cols.fixed_rate - par_rate)
    return {
        "pv": pv,
        "price": model_price,
        "clean_price": model_price - accrued,
        "accrued": accrued,
        "outstanding": flows.outstanding,
        "yield_to_maturity": ytm,
        "z_spread": z_solved,
        "wal": weighted_average_life(cf),
        "macaulay_duration": np.where(solved, macaulay_duration(cf, safe_y), np.nan),
        "modified_duration": np.where(solved, modified_duration(cf, safe_y), np.nan),
        "convexity": np.where(solved, convexity(cf, safe_y), np.nan),
        "dv01": (down - up) * 0.5,
        "cs01": spread01,
        "contract_margin": contract,
        "fair_margin": np.where(cols.is_floating, fair, fair - par_rate),
        "fair_rate": np.where(cols.is_floating, np.nan, fair),
        "par_rate": par_rate,
    }
