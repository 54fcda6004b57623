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

__all__ = ["PeriodGrid", "build_grid", "loan_calendar", "year_fractions"]

_SCHEDULE_FIELDS = {"end": "maturity", "convention": "business_day_convention"}


@dataclass(frozen=True, eq=False)
class PeriodGrid:
    """Adjusted accrual dates (day numbers) of every loan's periods, padded to ``P``."""

    start: IntArray
    end: IntArray
    unadjusted_start: IntArray
    unadjusted_end: IntArray
    alive: BoolArray
    n_periods: IntArray
    year_fraction: FloatArray

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_loans, n_periods)`` of the padded arrays."""
        return (int(self.start.shape[0]), int(self.start.shape[1]))


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


def build_grid(
    cols: LoanColumns, calendars: Mapping[str, MarketCalendar] | None = None
) -> PeriodGrid:
    """Schedules of every loan, one ``make_schedule`` per distinct schedule shape.

    >>> grid = build_grid(LoanColumns.from_loans([]))
    >>> grid.shape
    (0, 0)
    """
    n = len(cols)
    groups: dict[ScheduleKey, list[int]] = {}
    for i, key in enumerate(cols.schedule_key):
        groups.setdefault(key, []).append(i)
    made: list[tuple[IntArray, IntArray, IntArray]] = []  # (rows, dates, unadjusted)
    for key, members in groups.items():
        start, maturity, frequency, cal_name, convention, stub = key
        try:
            schedule = make_schedule(
                start,
                maturity,
                frequency,
                calendar=loan_calendar(cal_name, calendars),
                convention=convention,
                stub=stub,
            )
        except ValidationError as exc:
            ids = [cols.ids[i] for i in members]
            more = (
                f" (and {len(ids) - 1} more loans with the same schedule)" if len(ids) > 1 else ""
            )
            raise ValidationError.from_problems(
                FieldProblem(
                    f"CollateralLoan[{ids[0]}].{_SCHEDULE_FIELDS.get(p.field, p.field)}",
                    f"no schedule: {p.reason}{more}",
                    p.value,
                )
                for p in exc.problems
            ) from exc
        made.append(
            (
                np.asarray(members, dtype=np.int64),
                schedule.dates.astype(np.int64),
                schedule.unadjusted_dates.astype(np.int64),
            )
        )
    width = max((dates.size - 1 for _, dates, _ in made), default=0)
    start_days = np.zeros((n, width), dtype=np.int64)
    end_days = np.zeros((n, width), dtype=np.int64)
    unadjusted_start = np.zeros((n, width), dtype=np.int64)
    unadjusted_end = np.zeros((n, width), dtype=np.int64)
    alive = np.zeros((n, width), dtype=bool)
    n_periods = np.zeros(n, dtype=np.int64)
    yf = np.zeros((n, width), dtype=np.float64)
    for rows, dates, unadjusted in made:
        m = dates.size - 1
        start_days[rows, :m] = dates[:-1]
        start_days[rows, m:] = dates[-1]
        end_days[rows, :m] = dates[1:]
        end_days[rows, m:] = dates[-1]
        unadjusted_start[rows, :m] = unadjusted[:-1]
        unadjusted_start[rows, m:] = unadjusted[-1]
        unadjusted_end[rows, :m] = unadjusted[1:]
        unadjusted_end[rows, m:] = unadjusted[-1]
        alive[rows, :m] = True
        n_periods[rows] = m
        codes = cols.day_count[rows]
        for code in np.unique(codes).tolist():
            picked = rows[codes == code]
            yf[picked, :m] = year_fraction_days(dates[:-1], dates[1:], DAY_COUNTS[code])
    return PeriodGrid(
        start=start_days,
        end=end_days,
        unadjusted_start=unadjusted_start,
        unadjusted_end=unadjusted_end,
        alive=alive,
        n_periods=n_periods,
        year_fraction=yf,
    )
