"""The period grid of a loan book: schedules made once per shape, padded to a rectangle.

Loans that share (start, maturity, frequency, calendar, convention, stub) share one
:func:`computefin.pricing.make_schedule` call and one year-fraction array per day count.
Rows are loans, columns periods; ``alive`` marks real periods. Dead cells repeat the loan's
last date, so every date-based formula stays finite there (a zero year fraction).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from computefin.errors import FieldProblem, ValidationError
from computefin.pricing import MarketCalendar, calendar, make_schedule, year_fraction_days
from computefin.products.loan._columns import (
    DAY_COUNTS,
    BoolArray,
    FloatArray,
    IntArray,
    LoanColumns,
    ScheduleKey,
)

__all__ = ["GridCache", "PeriodGrid", "build_grid", "loan_calendar", "year_fractions"]

_SCHEDULE_FIELDS = {"end": "maturity", "convention": "business_day_convention"}


@dataclass(frozen=True, eq=False)
class PeriodGrid:
    """Adjusted accrual dates (day numbers) of every loan's periods, padded to ``P``.

    ``shape_row[i]`` is loan ``i``'s row in the per-shape templates (``template_*``,
    ``(n_shapes, P)``): every loan's dates are its template's.
    """

    start: IntArray
    end: IntArray
    unadjusted_start: IntArray
    unadjusted_end: IntArray
    alive: BoolArray
    n_periods: IntArray
    year_fraction: FloatArray
    shape_row: IntArray
    template_start: IntArray
    template_end: IntArray
    template_alive: BoolArray

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_loans, n_periods)`` of the padded arrays."""
        return (int(self.start.shape[0]), int(self.start.shape[1]))


@dataclass(frozen=True, eq=False)
class _Made:
    dates: IntArray
    unadjusted: IntArray
    year_fraction: dict[int, FloatArray]


class GridCache:
    """Schedules already made, by schedule key, for one set of calendar overrides.

    :meth:`LoanBook.iter_cashflows` keeps one for the whole book, so each schedule shape
    is made (and its year fractions computed) once, not once per chunk.
    """

    def __init__(self, calendars: Mapping[str, MarketCalendar] | None = None) -> None:
        self.calendars = calendars
        self._made: dict[ScheduleKey, _Made] = {}

    def get(self, key: ScheduleKey) -> _Made | None:
        """The schedule of ``key`` if already made."""
        return self._made.get(key)

    def put(self, key: ScheduleKey, made: _Made) -> None:
        """Remember a schedule."""
        self._made[key] = made

    def __len__(self) -> int:
        return len(self._made)

    def clear(self) -> None:
        """Forget every schedule."""
        self._made.clear()


_SHARED = GridCache(None)
"""Schedules on the built-in calendars (which never change), shared by every call."""
_SHARED_LIMIT = 100_000


def loan_calendar(name: str, calendars: Mapping[str, MarketCalendar] | None) -> MarketCalendar:
    """The calendar for a loan's calendar name: the caller's override, else the built-in."""
    if calendars is not None and name in calendars:
        return calendars[name]
    return calendar(name)


def year_fractions(codes: IntArray, d1: IntArray, d2: IntArray) -> FloatArray:
    """Year fractions of ``d1 -> d2``, element by element in day count ``DAY_COUNTS[codes]``.

    ``codes``, ``d1`` and ``d2`` share a shape; one kernel call per distinct day count.

    >>> import numpy as np
    >>> year_fractions(np.array([1, 0]), np.array([0, 0]), np.array([360, 365]))
    array([1., 1.])
    """
    out = np.zeros(d1.shape, dtype=np.float64)
    for code in np.unique(codes).tolist():
        mask = codes == code
        out[mask] = year_fraction_days(d1[mask], d2[mask], DAY_COUNTS[code])
    return out


def _make(cols: LoanColumns, key: ScheduleKey, rows: IntArray, cache: GridCache) -> _Made:
    start, maturity, frequency, cal_name, convention, stub = key
    try:
        schedule = make_schedule(
            start,
            maturity,
            frequency,
            calendar=loan_calendar(cal_name, cache.calendars),
            convention=convention,
            stub=stub,
        )
    except ValidationError as exc:
        ids = [cols.ids[i] for i in rows.tolist()]
        more = f" (and {len(ids) - 1} more loans with the same schedule)" if len(ids) > 1 else ""
        raise ValidationError.from_problems(
            FieldProblem(
                f"CollateralLoan[{ids[0]}].{_SCHEDULE_FIELDS.get(p.field, p.field)}",
                f"no schedule: {p.reason}{more}",
                p.value,
            )
            for p in exc.problems
        ) from exc
    return _Made(schedule.dates.astype(np.int64), schedule.unadjusted_dates.astype(np.int64), {})


def build_grid(
    cols: LoanColumns,
    calendars: Mapping[str, MarketCalendar] | None = None,
    cache: GridCache | None = None,
) -> PeriodGrid:
    """Schedules of every loan, one ``make_schedule`` per distinct schedule shape.

    The shapes are padded into ``(n_shapes, P)`` templates and every loan's rows gathered
    from its template; ``cache`` (for the same ``calendars``) carries made schedules over
    from earlier calls.

    >>> grid = build_grid(LoanColumns.from_loans([]))
    >>> grid.shape
    (0, 0)
    """
    if cache is None or cache.calendars is not calendars:
        cache = _SHARED if calendars is None else GridCache(calendars)
    if cache is _SHARED and len(_SHARED) > _SHARED_LIMIT:
        _SHARED.clear()
    n = len(cols)
    layout = cols.layout
    present, shape_row = np.unique(layout.shape_code, return_inverse=True)
    shape_row = shape_row.reshape(n).astype(np.int64)
    made: list[_Made] = []
    for u, code in enumerate(present.tolist()):
        key = layout.shapes[code]
        found = cache.get(key)
        if found is None:
            found = _make(cols, key, np.flatnonzero(shape_row == u), cache)
            cache.put(key, found)
        made.append(found)
    k = len(made)
    width = max((m.dates.size - 1 for m in made), default=0)
    t_start = np.zeros((k, width), dtype=np.int64)
    t_end = np.zeros((k, width), dtype=np.int64)
    t_ustart = np.zeros((k, width), dtype=np.int64)
    t_uend = np.zeros((k, width), dtype=np.int64)
    t_alive = np.zeros((k, width), dtype=bool)
    t_m = np.zeros(k, dtype=np.int64)
    for u, m in enumerate(made):
        dates, unadjusted = m.dates, m.unadjusted
        p = dates.size - 1
        t_start[u, :p] = dates[:-1]
        t_start[u, p:] = dates[-1]
        t_end[u, :p] = dates[1:]
        t_end[u, p:] = dates[-1]
        t_ustart[u, :p] = unadjusted[:-1]
        t_ustart[u, p:] = unadjusted[-1]
        t_uend[u, :p] = unadjusted[1:]
        t_uend[u, p:] = unadjusted[-1]
        t_alive[u, :p] = True
        t_m[u] = p
    # year fractions: one template per (shape, day count) present
    yf = np.zeros((n, width), dtype=np.float64)
    for code in np.unique(cols.day_count).tolist():
        rows = np.flatnonzero(cols.day_count == code)
        t_yf = np.zeros((k, width), dtype=np.float64)
        for u in np.unique(shape_row[rows]).tolist():
            m = made[u]
            got = m.year_fraction.get(code)
            if got is None:
                got = year_fraction_days(m.dates[:-1], m.dates[1:], DAY_COUNTS[code])
                m.year_fraction[code] = got
            t_yf[u, : got.size] = got
        yf[rows] = t_yf[shape_row[rows]]
    return PeriodGrid(
        start=t_start[shape_row],
        end=t_end[shape_row],
        unadjusted_start=t_ustart[shape_row],
        unadjusted_end=t_uend[shape_row],
        alive=t_alive[shape_row],
        n_periods=t_m[shape_row],
        year_fraction=yf,
        shape_row=shape_row,
        template_start=t_start,
        template_end=t_end,
        template_alive=t_alive,
    )
