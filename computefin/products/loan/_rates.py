"""The rate of every loan period: fixed, a past fixing, or a fixing projected from a curve.

A floating period fixes ``fixing_lag_days`` business days (loan calendar) before its
accrual start. A fixing date on or before the snapshot's ``as_of`` takes the latest
published fixing on or before it (``MarketSnapshot.fixing`` semantics), which must be at
most :data:`MAX_FIXING_AGE_DAYS` old; a later fixing date is projected:

* SHIBOR3M, SOFR: the simple forward of the index's curve (``build_curves``) over the
  period's accrual dates in the loan's day count, ``(D(start) / D(end) - 1) / yf``.
* LPR1Y, LPR5Y (no curve exists): the latest LPR fixing plus the change, from ``as_of`` to
  the fixing date, of the FR007 curve's (else SHIBOR3M's) simple ACT/365F forward over the
  LPR's own tenor (365 / 1,826 days): the LPR-to-repo spread is held constant.

Floor and cap then bound the all-in rate (default) or the index before the margin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from computefin.domain.conventions import BusinessDayConvention, DayCount
from computefin.domain.market import MarketSnapshot, RateIndex
from computefin.errors import MarketDataError
from computefin.pricing import Curve, MarketCalendar, build_curves
from computefin.products.loan._columns import (
    AMORTIZATION_CODES,
    DAY_COUNTS,
    FloatArray,
    IntArray,
    Layout,
    LoanColumns,
    select_columns,
)
from computefin.products.loan._fields import Amortization
from computefin.products.loan._grid import GridTemplates, PeriodGrid, loan_calendar
from computefin.products.loan.model import LOAN_INDICES

__all__ = [
    "FIXED",
    "HISTORICAL",
    "LPR_REFERENCE_INDICES",
    "LPR_WINDOW_DAYS",
    "MAX_FIXING_AGE_DAYS",
    "PROJECTED",
    "STALE",
    "PeriodRates",
    "RateTemplates",
    "period_rates",
    "rate_templates",
]

FIXED: Final[int] = 0
HISTORICAL: Final[int] = 1
PROJECTED: Final[int] = 2
_RATE_DEPENDENT = np.array(
    [AMORTIZATION_CODES[Amortization.LEVEL], AMORTIZATION_CODES[Amortization.BALLOON]]
)

STALE: Final[int] = 3
"""A period paid before the as-of date whose fixing the snapshot lacks, on a loan whose
balance does not depend on its rate (not level or balloon): the nearest fixing in the
snapshot is shown. Nothing valued after the as-of date depends on it."""

MAX_FIXING_AGE_DAYS: Final[dict[RateIndex, int]] = {
    RateIndex.SHIBOR3M: 10,
    RateIndex.SOFR: 10,
    RateIndex.LPR1Y: 40,
    RateIndex.LPR5Y: 40,
}
"""Oldest fixing (calendar days before the fixing date) accepted: daily indices allow a
long holiday, LPR (published monthly on the 20th) a month and a little."""

LPR_WINDOW_DAYS: Final[dict[RateIndex, int]] = {RateIndex.LPR1Y: 365, RateIndex.LPR5Y: 1826}
"""Length of the reference forward whose change moves a projected LPR."""

LPR_REFERENCE_INDICES: Final[tuple[RateIndex, ...]] = (RateIndex.FR007, RateIndex.SHIBOR3M)
"""Curves that drive projected LPR, first found wins (FR007 tracks the 7-day repo that
anchors LPR since 2024)."""

_EPOCH = np.datetime64("1970-01-01", "D")


@dataclass(frozen=True, eq=False)
class PeriodRates:
    """Per period: all-in rate, index rate (0 if fixed), fixing date and its source."""

    rate: FloatArray
    index_rate: FloatArray
    fixing_day: IntArray
    source: IntArray


def _iso(day: int) -> str:
    return str(_EPOCH + np.timedelta64(int(day), "D"))


def _fail(cols: LoanColumns, rows: Iterable[int], reason: str) -> MarketDataError:
    ids = list(dict.fromkeys(cols.ids[r] for r in rows))
    more = ""
    if len(ids) > 1:
        shown = ", ".join(ids[1:6]) + (" ..." if len(ids) > 6 else "")
        more = f" (also loans {shown})"
    return MarketDataError(f"CollateralLoan[{ids[0]}].index: {reason}{more}")


def _by_day(days: IntArray, fn: Callable[[IntArray], IntArray | FloatArray]) -> npt.NDArray[Any]:
    """``fn`` of each day number, evaluated once per distinct day (a dense lookup table)."""
    if days.size == 0:
        return fn(days)
    lo = int(days.min())
    present = np.zeros(int(days.max()) - lo + 1, dtype=bool)
    present[days - lo] = True
    unique = np.flatnonzero(present) + lo
    values = np.asarray(fn(unique))
    table = np.zeros(present.size, dtype=values.dtype)
    table[unique - lo] = values
    return table[days - lo]


def _fixing_days(
    cols: LoanColumns,
    grid: PeriodGrid,
    rows: IntArray,
    calendars: Mapping[str, MarketCalendar] | None,
) -> IntArray:
    """``fixing_lag`` business days before each accrual start, per (calendar, lag) group."""
    out = grid.start[rows].copy()
    layout = cols.layout
    lag_of = cols.fixing_lag[rows]
    cal_of = layout.calendar_code[rows]
    pairs = sorted(
        {
            (layout.calendar_names[c], c, lag)
            for c, lag in zip(cal_of.tolist(), lag_of.tolist(), strict=True)
        }
    )
    for name, code, lag in pairs:
        if lag == 0:
            continue
        picked = (cal_of == code) & (lag_of == lag)
        cal = loan_calendar(name, calendars)

        def moved(unique: IntArray, cal: MarketCalendar = cal, lag: int = lag) -> IntArray:
            out_days = unique.astype("datetime64[D]")
            for _ in range(lag):
                out_days = cal.adjust_array(out_days - 1, BusinessDayConvention.PRECEDING)
            return out_days.astype(np.int64)

        out[picked] = _by_day(out[picked], moved)
    return out


def _history(market: MarketSnapshot, index: RateIndex) -> tuple[IntArray, FloatArray]:
    found = sorted((f.date, f.rate) for f in market.fixings if f.index == index)
    dates = np.asarray([d for d, _ in found], dtype="datetime64[D]").astype(np.int64)
    return dates, np.asarray([r for _, r in found], dtype=np.float64)


def _forward(curve: Curve, start: IntArray, end: IntArray, day_count: DayCount) -> FloatArray:
    out = curve.forward_rate(
        start.astype("datetime64[D]"), end.astype("datetime64[D]"), day_count=day_count
    )
    return np.asarray(out, dtype=np.float64).reshape(start.shape)


def period_rates(
    cols: LoanColumns,
    grid: PeriodGrid,
    market: MarketSnapshot | None,
    curves: Mapping[RateIndex, Curve] | None = None,
    calendars: Mapping[str, MarketCalendar] | None = None,
) -> PeriodRates:
    """All-in rate of every period (see the module docs for fixings and projections)."""
    shape = grid.shape
    rate = np.where(grid.alive, cols.fixed_rate[:, None], 0.0)
    index_rate = np.zeros(shape, dtype=np.float64)
    fixing_day = grid.start.copy()
    source = np.zeros(shape, dtype=np.int64)
    floating = np.flatnonzero(cols.is_floating)
    if floating.size == 0:
        return PeriodRates(rate, index_rate, fixing_day, source)
    if market is None:
        raise _fail(
            cols, floating.tolist(), "a floating loan needs a market snapshot (fixings, curves)"
        )
    fixing_day[floating] = _fixing_days(cols, grid, floating, calendars)
    as_of = int(np.datetime64(market.as_of, "D").astype(np.int64))
    built: dict[RateIndex, Curve] | None = None if curves is None else dict(curves)

    def curve_for(index: RateIndex) -> Curve | None:
        nonlocal built
        if built is None:
            built = build_curves(market)
        return built.get(index)

    for code in np.unique(cols.index_code[floating]).tolist():
        index = cols.index_of(code)
        rows = floating[cols.index_code[floating] == code]
        alive = grid.alive[rows]
        fix = fixing_day[rows]
        values = np.zeros(fix.shape, dtype=np.float64)
        past = alive & (fix <= as_of)
        future = alive & (fix > as_of)
        hist_days, hist_rates = _history(market, index)
        max_age = MAX_FIXING_AGE_DAYS[index]
        stale = np.zeros(fix.shape, dtype=bool)
        if past.any():
            pos = np.searchsorted(hist_days, fix[past], side="right") - 1
            ok = pos >= 0
            ok[ok] = fix[past][ok] - hist_days[pos[ok]] <= max_age
            # A period already paid needs its fixing only when the balance depends on the
            # rate (level and balloon payments); otherwise nothing after as_of uses it.
            rate_sets_balance = np.isin(cols.amortization[rows], _RATE_DEPENDENT)[:, None]
            optional = ((grid.end[rows] <= as_of) & ~rate_sets_balance)[past]
            if hist_rates.size and not ok.all():
                nearest = np.clip(pos, 0, hist_rates.size - 1)
                use_nearest = ~ok & optional
                pos = np.where(use_nearest, nearest, pos)
                stale[np.nonzero(past)] = use_nearest
                ok = ok | use_nearest
            if not ok.all():
                bad_row = np.nonzero(past)[0][~ok]
                bad_day = int(fix[past][~ok][0])
                raise _fail(
                    cols,
                    rows[bad_row].tolist(),
                    f"no {index.value} fixing in the {max_age} days up to the fixing date "
                    f"{_iso(bad_day)} in the snapshot of {market.as_of} (past fixings come "
                    "from MarketSnapshot.fixings)",
                )
            values[past] = hist_rates[pos]
        if future.any():
            bad = rows[future.any(axis=1)].tolist()
            if index in LPR_WINDOW_DAYS:
                values[future] = _project_lpr(
                    cols, bad, index, fix[future], as_of, hist_days, hist_rates, curve_for, market
                )
            else:
                curve = curve_for(index)
                if curve is None:
                    raise _fail(
                        cols,
                        bad,
                        f"no {index.value} curve to project fixings after {market.as_of} "
                        f"(add {index.value} rate quotes to the snapshot, or pass curves=)",
                    )
                codes = cols.day_count[rows]
                for code in np.unique(codes).tolist():
                    picked = np.flatnonzero(codes == code)
                    shape_row = grid.shape_row[rows[picked]]
                    used = np.unique(shape_row)
                    # future fixings accrue after as_of (the fixing precedes the start)
                    live = grid.template_alive[used] & (grid.template_start[used] > as_of)
                    per_shape = np.zeros(live.shape, dtype=np.float64)
                    per_shape[live] = _forward(
                        curve,
                        grid.template_start[used][live],
                        grid.template_end[used][live],
                        DAY_COUNTS[code],
                    )
                    gathered = per_shape[np.searchsorted(used, shape_row)]
                    sub = future[picked]
                    part = values[picked]
                    part[sub] = gathered[sub]
                    values[picked] = part
        index_rate[rows] = values
        source[rows] = np.where(
            stale, STALE, np.where(past, HISTORICAL, np.where(future, PROJECTED, FIXED))
        )
    f = floating
    margin, floor, cap = cols.margin[f, None], cols.floor[f, None], cols.cap[f, None]
    idx = index_rate[f]
    all_in = np.where(
        cols.floor_on_index[f, None],
        np.clip(idx, floor, cap) + margin,
        np.clip(idx + margin, floor, cap),
    )
    live = grid.alive[f]
    rate[f] = np.where(live, all_in, rate[f])
    index_rate[f] = np.where(live, idx, 0.0)
    return PeriodRates(rate, index_rate, fixing_day, source)


def _project_lpr(
    cols: LoanColumns,
    rows: list[int],
    index: RateIndex,
    fix: IntArray,
    as_of: int,
    hist_days: IntArray,
    hist_rates: FloatArray,
    curve_for: Callable[[RateIndex], Curve | None],
    market: MarketSnapshot,
) -> FloatArray:
    """Latest LPR + change of the reference forward (FR007, else SHIBOR3M) since ``as_of``."""
    pos = int(np.searchsorted(hist_days, as_of, side="right")) - 1
    max_age = MAX_FIXING_AGE_DAYS[index]
    if pos < 0 or as_of - int(hist_days[pos]) > max_age:
        raise _fail(
            cols,
            rows,
            f"no {index.value} fixing in the {max_age} days up to {market.as_of} to project "
            "future LPR from (LPR has no curve; add the latest LPR to MarketSnapshot.fixings)",
        )
    reference: Curve | None = None
    for candidate in LPR_REFERENCE_INDICES:
        reference = curve_for(candidate)
        if reference is not None:
            break
    if reference is None:
        names = " or ".join(i.value for i in LPR_REFERENCE_INDICES)
        raise _fail(
            cols,
            rows,
            f"projecting {index.value} after {market.as_of} needs a {names} curve "
            "(add its rate quotes to the snapshot, or pass curves=)",
        )
    window = LPR_WINDOW_DAYS[index]
    today = np.asarray([as_of], dtype=np.int64)
    base = _forward(reference, today, today + window, DayCount.ACT_365F)[0]
    moved = _by_day(fix, lambda d: _forward(reference, d, d + window, DayCount.ACT_365F))
    out: FloatArray = float(hist_rates[pos]) + (moved - base)
    return out


@dataclass(frozen=True, eq=False)
class RateTemplates:
    """Index rates of a book's floating loans, computed once per *variant*.

    A variant is what a floating period's index rate, fixing date and source depend on:
    (index, schedule shape, fixing lag, day count, whether the balance depends on the
    rate). ``variant[i]`` is loan ``i``'s row in the ``(n_variants, P)`` tables (-1 for a
    fixed loan); ``index_rate`` is 0 on dead cells, as in :class:`PeriodRates`.
    """

    variant: IntArray
    index_rate: FloatArray
    fixing_day: IntArray
    source: IntArray


def rate_templates(
    cols: LoanColumns,
    templates: GridTemplates,
    market: MarketSnapshot | None,
    curves: Mapping[RateIndex, Curve] | None = None,
    calendars: Mapping[str, MarketCalendar] | None = None,
) -> RateTemplates:
    """:func:`period_rates` of one representative loan per variant (see
    :class:`RateTemplates`): the same numbers as the per-loan call, gathered by variant.

    Errors (a missing fixing or curve) are raised by the per-loan :func:`period_rates`,
    so they name the same loans.
    """
    n, width = len(cols), templates.width
    variant = np.full(n, -1, dtype=np.int64)
    floating = np.flatnonzero(cols.is_floating)
    empty = np.zeros((0, width), dtype=np.float64)
    if floating.size == 0:
        return RateTemplates(variant, empty, empty.astype(np.int64), empty.astype(np.int64))
    key = np.zeros(floating.size, dtype=np.int64)
    index_code = cols.index_code[floating]
    shape_row = templates.shape_row[floating]
    # what does not change a loan's index rates leaves the key: whether the balance
    # depends on the rate matters only for periods paid by the as-of date, the day count
    # only for curve projections (LPR moves with a fixed-tenor ACT/365F forward)
    dependent = np.isin(cols.amortization[floating], _RATE_DEPENDENT)
    if market is not None:
        as_of = int(np.datetime64(market.as_of, "D").astype(np.int64))
        dependent &= templates.template_end[shape_row, 0] <= as_of
    lpr = np.asarray([cols.index_of(c) in LPR_WINDOW_DAYS for c in range(len(LOAN_INDICES))])
    day_count = np.where(lpr[index_code], 0, cols.day_count[floating])
    for part in (index_code, shape_row, cols.fixing_lag[floating], day_count, dependent):
        lo = int(part.min())
        key = key * (int(part.max()) - lo + 1) + (part.astype(np.int64) - lo)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    variant[floating] = inverse.reshape(floating.size)
    rep = floating[first]
    rep_cols = select_columns(cols, rep)
    layout = cols.layout
    rep_cols.__dict__["layout"] = Layout(
        layout.start_day[rep],
        layout.maturity_day[rep],
        layout.shape_code[rep],
        layout.shapes,
        layout.calendar_code[rep],
        layout.calendar_names,
    )
    try:
        got = period_rates(rep_cols, templates.grid(rep), market, curves, calendars)
    except MarketDataError:
        period_rates(cols, templates.grid(), market, curves, calendars)  # names every loan
        raise
    return RateTemplates(variant, got.index_rate, got.fixing_day, got.source)
