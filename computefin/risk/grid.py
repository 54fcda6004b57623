"""The time grid of a projection: regular periods from an as-of date.

Projections and scenarios share one :class:`PeriodGrid`: period ``t`` runs from
``start_dates[t]`` (inclusive) to ``end_dates[t]`` (exclusive); cash flows of a period
are taken at its end. Dates are unadjusted calendar dates (operating cash flows accrue
every day); year fractions are ACT/365F from the as-of date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from computefin._typing import DateArray, FloatArray
from computefin.domain.conventions import Frequency
from computefin.errors import ValidationError
from computefin.pricing import make_schedule

__all__ = ["MAX_HORIZON_MONTHS", "PeriodGrid", "add_months", "period_grid"]

MAX_HORIZON_MONTHS = 360
"""Projections run at most 30 years."""


@dataclass(frozen=True, eq=False)
class PeriodGrid:
    """Regular periods from ``as_of``: ``start_dates``, ``end_dates`` (datetime64[D]).

    >>> grid = period_grid(dt.date(2026, 11, 27), horizon_months=3)
    >>> grid.end_dates
    array(['2026-12-27', '2027-01-27', '2027-02-27'], dtype='datetime64[D]')
    >>> grid.hours.tolist()
    [720.0, 744.0, 744.0]
    >>> period_grid(dt.date(2026, 11, 30), 3).end_dates  # month-end as-of: month ends
    array(['2026-12-31', '2027-01-31', '2027-02-28'], dtype='datetime64[D]')
    """

    as_of: dt.date
    frequency: Frequency
    start_dates: DateArray
    end_dates: DateArray

    def __post_init__(self) -> None:
        for array in (self.start_dates, self.end_dates):
            array.setflags(write=False)

    @property
    def n_periods(self) -> int:
        """Number of periods."""
        return int(self.end_dates.size)

    @cached_property
    def days(self) -> FloatArray:
        """Calendar days in each period."""
        return (self.end_dates - self.start_dates).astype(np.float64)

    @cached_property
    def hours(self) -> FloatArray:
        """Hours in each period (days x 24)."""
        return self.days * 24.0

    @cached_property
    def year_fractions(self) -> FloatArray:
        """Length of each period in years, ACT/365F."""
        return self.days / 365.0

    @cached_property
    def times(self) -> FloatArray:
        """Time of each period's end from ``as_of``, years ACT/365F."""
        as_of = np.datetime64(self.as_of, "D")
        return (self.end_dates - as_of).astype(np.float64) / 365.0

    @cached_property
    def start_times(self) -> FloatArray:
        """Time of each period's start from ``as_of``, years ACT/365F.

        >>> period_grid(dt.date(2026, 1, 1), 2).start_times.round(4).tolist()
        [0.0, 0.0849]
        """
        as_of = np.datetime64(self.as_of, "D")
        return (self.start_dates - as_of).astype(np.float64) / 365.0

    @cached_property
    def months(self) -> FloatArray:
        """Length of each period in months (12 x year fraction, ACT/365F)."""
        return self.year_fractions * 12.0

    def period_of(self, date: dt.date) -> int:
        """Index of the period containing ``date``; ``n_periods`` when after the grid.

        >>> period_of_grid = period_grid(dt.date(2026, 1, 1), 12)
        >>> period_of_grid.period_of(dt.date(2026, 3, 15))
        2
        """
        return int(np.searchsorted(self.end_dates, np.datetime64(date, "D"), side="right"))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, PeriodGrid)
            and self.as_of == other.as_of
            and self.frequency == other.frequency
            and np.array_equal(self.start_dates, other.start_dates)
            and np.array_equal(self.end_dates, other.end_dates)
        )

    def __hash__(self) -> int:
        return hash((self.as_of, self.frequency, self.end_dates.tobytes()))


def period_grid(
    as_of: dt.date, horizon_months: int, frequency: Frequency | str = Frequency.MONTHLY
) -> PeriodGrid:
    """Periods of ``frequency`` from ``as_of`` over ``horizon_months`` (at most 360).

    The last period is short when the horizon is not a whole number of periods.

    >>> period_grid(dt.date(2026, 1, 31), 6, "quarterly").end_dates
    array(['2026-04-30', '2026-07-31'], dtype='datetime64[D]')
    """
    freq = Frequency(frequency)
    if not isinstance(horizon_months, int) or not 0 < horizon_months <= MAX_HORIZON_MONTHS:
        raise ValidationError(
            "horizon_months",
            f"must be a whole number of months from 1 to {MAX_HORIZON_MONTHS} (30 years)",
            horizon_months,
        )
    as_of_d = np.datetime64(as_of, "D")
    end = add_months(as_of, horizon_months)
    schedule = make_schedule(
        as_of_d, end, freq, calendar="WEEKENDS", convention="unadjusted", stub="short_back",
        end_of_month=_is_month_end(as_of),
    )  # fmt: skip
    return PeriodGrid(
        as_of=as_of,
        frequency=freq,
        start_dates=schedule.start_dates.copy(),
        end_dates=schedule.end_dates.copy(),
    )


def _is_month_end(day: dt.date) -> bool:
    return (day + dt.timedelta(days=1)).month != day.month


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months; a month-end stays a month-end, other days clip.

    >>> add_months(dt.date(2026, 1, 31), 1), add_months(dt.date(2026, 3, 15), -12)
    (datetime.date(2026, 2, 28), datetime.date(2025, 3, 15))
    """
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    first_next = dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    last_day = (first_next - dt.timedelta(days=1)).day
    if _is_month_end(day):
        return dt.date(year, month + 1, last_day)
    return dt.date(year, month + 1, min(day.day, last_day))
