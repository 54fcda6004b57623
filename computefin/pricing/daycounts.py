"""Day-count year fractions as vectorised numpy kernels, exact against QuantLib.

Dates are whole days (``datetime64[D]``). Every kernel reproduces QuantLib's arithmetic
operation by operation, so results agree with ``ql.DayCounter.yearFraction`` to the last
bit, not merely to a tolerance:

* ``ACT/365F``: ``(d2 - d1) / 365`` (``ql.Actual365Fixed``)
* ``ACT/360``: ``(d2 - d1) / 360`` (``ql.Actual360``)
* ``30/360``: bond basis (``ql.Thirty360(ql.Thirty360.BondBasis)``):
  ``D1 = min(D1, 30)``; ``D2 = 30`` if ``D2 == 31`` and ``D1 >= 30``;
  ``(360 (Y2 - Y1) + 30 (M2 - M1) + D2 - D1) / 360``
* ``ACT/ACT``: ISDA (``ql.ActualActual(ql.ActualActual.ISDA)``), split at 1 January:
  ``(Y2 - Y1 - 1) + days(d1, 1 Jan Y1+1) / basis(Y1) + days(1 Jan Y2, d2) / basis(Y2)``
  with ``basis`` 366 in leap years, 365 otherwise.

Reversed periods (end before start) follow QuantLib too: negative for the actual
conventions, the plain formula for 30/360.

>>> float(year_fraction("2026-01-31", "2026-07-31", "30/360"))
0.5
"""

from __future__ import annotations

from typing import Any, overload

import numpy as np

from computefin.domain.conventions import DayCount
from computefin.errors import ValidationError
from computefin.pricing._dates import DateLike, DatesLike, FloatArray, IntArray, as_days
from computefin.pricing._ql import parse_day_count

__all__ = ["DAY_COUNTS", "parse_day_count", "year_fraction", "year_fraction_days"]

DAY_COUNTS: tuple[DayCount, ...] = tuple(DayCount)
"""The supported day counts, in :class:`~computefin.domain.conventions.DayCount` order."""


def _year_month_day(days: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    months = days.astype("datetime64[D]").astype("datetime64[M]")
    month_index = months.astype(np.int64)  # months since 1970-01
    year = month_index // 12 + 1970
    month = month_index % 12 + 1
    day = days - months.astype("datetime64[D]").astype(np.int64) + 1
    return year, month, day


def _jan1(year: IntArray) -> IntArray:
    return (year - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)


def _days_in_year(year: IntArray) -> FloatArray:
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    return np.where(leap, 366.0, 365.0)


def _thirty_360_bond_basis(d1: IntArray, d2: IntArray) -> FloatArray:
    y1, m1, dd1 = _year_month_day(d1)
    y2, m2, dd2 = _year_month_day(d2)
    dd1 = np.minimum(dd1, 30)
    dd2 = np.where((dd2 == 31) & (dd1 >= 30), 30, dd2)
    count = 360 * (y2 - y1) + 30 * (m2 - m1) + (dd2 - dd1)
    out: FloatArray = count.astype(np.float64) / 360.0
    return out


def _act_act_isda(d1: IntArray, d2: IntArray) -> FloatArray:
    lo = np.minimum(d1, d2)
    hi = np.maximum(d1, d2)
    y1 = _year_month_day(lo)[0]
    y2 = _year_month_day(hi)[0]
    total = (y2 - y1 - 1).astype(np.float64)
    total = total + (_jan1(y1 + 1) - lo).astype(np.float64) / _days_in_year(y1)
    total = total + (hi - _jan1(y2)).astype(np.float64) / _days_in_year(y2)
    signed = np.where(d1 > d2, -total, total)
    return np.where(d1 == d2, 0.0, signed)


def year_fraction_days(start: IntArray, end: IntArray, day_count: DayCount | str) -> FloatArray:
    """Year fractions (in years) for int64 day numbers (days since 1970-01-01), broadcast.

    The kernel behind :func:`year_fraction` and
    :meth:`~computefin.pricing.schedules.Schedule.year_fractions`; inputs are not checked.

    >>> days = np.array([0, 31], dtype=np.int64)   # 1970-01-01, 1970-02-01
    >>> year_fraction_days(days[:1], days[1:], "ACT/360")
    array([0.08611111])
    """
    dc = parse_day_count(day_count)
    d1 = np.asarray(start, dtype=np.int64)
    d2 = np.asarray(end, dtype=np.int64)
    d1, d2 = np.broadcast_arrays(d1, d2)
    if dc is DayCount.ACT_365F:
        return (d2 - d1).astype(np.float64) / 365.0
    if dc is DayCount.ACT_360:
        return (d2 - d1).astype(np.float64) / 360.0
    if dc is DayCount.THIRTY_360:
        return _thirty_360_bond_basis(d1, d2)
    return _act_act_isda(d1, d2)


@overload
def year_fraction(start: DateLike, end: DateLike, day_count: DayCount | str) -> float: ...


@overload
def year_fraction(
    start: DatesLike, end: DateLike | DatesLike, day_count: DayCount | str
) -> FloatArray: ...


@overload
def year_fraction(start: DateLike, end: DatesLike, day_count: DayCount | str) -> FloatArray: ...


def year_fraction(start: Any, end: Any, day_count: DayCount | str) -> float | FloatArray:
    """Year fraction (in years) from ``start`` to ``end`` under a day count.

    Scalars give a ``float``; arrays (``datetime64`` or lists of dates) give a float64
    array of the broadcast shape. Exact against ``ql.DayCounter.yearFraction``.

    >>> year_fraction("2024-01-01", "2025-01-01", "ACT/365F")
    1.0027397260273974
    >>> starts = np.array(["2026-01-31", "2026-12-15"], dtype="datetime64[D]")
    >>> year_fraction(starts, np.datetime64("2027-03-31"), "ACT/ACT")
    array([1.16164384, 0.29041096])
    """
    dc = parse_day_count(day_count)
    d1 = as_days(start, "start")
    d2 = as_days(end, "end")
    try:
        d1, d2 = np.broadcast_arrays(d1, d2)
    except ValueError as exc:
        raise ValidationError(
            "end", f"shape {d2.shape} does not broadcast with start shape {d1.shape}"
        ) from exc
    out = year_fraction_days(d1, d2, dc)
    if out.ndim == 0:
        return float(out)
    return out
