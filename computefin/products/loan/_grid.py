"""The period grid of a loan book: schedules made once per shape, padded to a rectangle.

Loans that share (start, maturity, frequency, calendar, convention, stub) share one
:func:`computefin.pricing.make_schedule` call and one year-fraction array per day count.
Rows are loans, columns periods; ``alive`` marks real periods. Dead cells repeat the loan's
last date, so every date-based formula stays finite there (a zero year fraction).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

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

__all__ = [
    "GridCache",
    "GridTemplates",
    "PeriodGrid",
    "build_grid",
    "build_templates",
    "loan_calendar",
    "year_fractions",
]

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


@dataclass(frozen=True, eq=False)
class GridTemplates:
    """The schedule shapes of a book, padded to ``P`` columns, and each loan's rows in them.

    ``template_*`` are ``(n_shapes, P)`` (dead cells repeat the shape's last date);
    ``year_fraction`` is ``(n_rows, P)``, one row per (day count, shape) present, and
    ``yf_row[i]`` is loan ``i``'s row in it.
    """

    shape_row: IntArray
    template_start: IntArray
    template_end: IntArray
    template_unadjusted_start: IntArray
    template_unadjusted_end: IntArray
    template_alive: BoolArray
    template_periods: IntArray
    year_fraction: FloatArray
    yf_row: IntArray

    @property
    def width(self) -> int:
        """``P``, the padded number of periods."""
        return int(self.template_start.shape[1])

    def grid(self, rows: IntArray | None = None) -> PeriodGrid:
        """The per-loan :class:`PeriodGrid` of all loans (or of ``rows``), gathered."""
        shape_row = self.shape_row if rows is None else self.shape_row[rows]
        yf_row = self.yf_row if rows is None else self.yf_row[rows]
        return PeriodGrid(
            start=self.template_start[shape_row],
            end=self.template_end[shape_row],
            unadjusted_start=self.template_unadjusted_start[shape_row],
            unadjusted_end=self.template_unadjusted_end[shape_row],
            alive=self.template_alive[shape_row],
            n_periods=self.template_periods[shape_row],
            year_fraction=self.year_fraction[yf_row],
            shape_row=shape_row,
            template_start=self.template_start,
            template_end=self.template_end,
            template_alive=self.template_alive,
        )


def _codes(values: IntArray, size: int) -> tuple[IntArray, IntArray]:
    """``np.unique(values, return_inverse=True)`` for codes in ``0..size-1``, by counting."""
    present = np.flatnonzero(np.bincount(values, minlength=size)).astype(np.int64)
    position = np.zeros(max(size, 1), dtype=np.int64)
    position[present] = np.arange(present.size)
    return present, position[values].astype(np.int64)


def _flat(parts: list[npt.NDArray[Any]], dtype: Any) -> npt.NDArray[Any]:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)


def build_templates(
    cols: LoanColumns,
    calendars: Mapping[str, MarketCalendar] | None = None,
    cache: GridCache | None = None,
) -> GridTemplates:
    """Schedules of every shape of ``cols``, one ``make_schedule`` per distinct shape.

    ``cache`` (for the same ``calendars``) carries made schedules over from earlier
    calls. :func:`build_grid` gathers every loan's rows from these templates.

    >>> t = build_templates(LoanColumns.from_loans([]))
    >>> t.template_start.shape, t.width
    ((0, 0), 0)
    """
    if cache is None or cache.calendars is not calendars:
        cache = _SHARED if calendars is None else GridCache(calendars)
    if cache is _SHARED and len(_SHARED) > _SHARED_LIMIT:
        _SHARED.clear()
    n = len(cols)
    layout = cols.layout
    present, shape_row = _codes(layout.shape_code, len(layout.shapes))
    made: list[_Made] = []
    for u, code in enumerate(present.tolist()):
        key = layout.shapes[code]
        found = cache.get(key)
        if found is None:
            found = _make(cols, key, np.flatnonzero(shape_row == u), cache)
            cache.put(key, found)
        made.append(found)
    k = len(made)
    sizes = np.asarray([m.dates.size for m in made], dtype=np.int64)
    t_m = sizes - 1
    width = int(t_m.max(initial=0))
    # every shape's dates padded to ``width`` columns, dead cells repeating the last date
    first = np.cumsum(sizes) - sizes
    col = np.arange(width)
    at_start = first[:, None] + np.minimum(col, t_m[:, None])
    at_end = first[:, None] + np.minimum(col + 1, t_m[:, None])
    dates = _flat([m.dates for m in made], np.int64)
    unadjusted = _flat([m.unadjusted for m in made], np.int64)
    t_start, t_end = dates[at_start], dates[at_end]
    t_ustart, t_uend = unadjusted[at_start], unadjusted[at_end]
    t_alive = col < t_m[:, None]
    # year fractions: one template row per (day count, shape) present
    codes = np.unique(cols.day_count).tolist()
    t_yf = np.zeros((len(codes) * k, width), dtype=np.float64)
    yf_row = np.zeros(n, dtype=np.int64)
    for c, code in enumerate(codes):
        rows = np.flatnonzero(cols.day_count == code)
        used = _codes(shape_row[rows], k)[0]
        got = []
        for u in used.tolist():
            m = made[u]
            yf = m.year_fraction.get(code)
            if yf is None:
                yf = year_fraction_days(m.dates[:-1], m.dates[1:], DAY_COUNTS[code])
                m.year_fraction[code] = yf
            got.append(yf)
        filled = col < t_m[used, None]
        block = np.zeros((used.size, width), dtype=np.float64)
        block[filled] = _flat(got, np.float64)
        t_yf[c * k + used] = block
        yf_row[rows] = c * k + shape_row[rows]
    return GridTemplates(
        shape_row=shape_row,
        template_start=t_start,
        template_end=t_end,
        template_unadjusted_start=t_ustart,
        template_unadjusted_end=t_uend,
        template_alive=t_alive,
        template_periods=t_m,
        year_fraction=t_yf,
        yf_row=yf_row,
    )


def build_grid(
    cols: LoanColumns,
    calendars: Mapping[str, MarketCalendar] | None = None,
    cache: GridCache | None = None,
) -> PeriodGrid:
    """Schedules of every loan, one ``make_schedule`` per distinct schedule shape.

    The shapes are padded into ``(n_shapes, P)`` templates (:func:`build_templates`) and
    every loan's rows gathered from its template; ``cache`` (for the same ``calendars``)
    carries made schedules over from earlier calls.

    >>> grid = build_grid(LoanColumns.from_loans([]))
    >>> grid.shape
    (0, 0)
    """
    return build_templates(cols, calendars, cache).grid()
