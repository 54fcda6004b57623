"""Conversions between computefin's plain types and QuantLib's, and the evaluation-date guard.

QuantLib keeps one process-global evaluation date. :func:`evaluation_date` is the only
place computefin sets it, and it always restores the previous value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt
import QuantLib as ql

from computefin.domain.conventions import BusinessDayConvention, DayCount, Frequency
from computefin.errors import ValidationError

__all__ = [
    "DateLike",
    "evaluation_date",
    "from_ql_date",
    "ql_business_day_convention",
    "ql_day_count",
    "ql_frequency",
    "ql_period",
    "to_datetime64",
    "to_ql_date",
]

DateLike = dt.date | np.datetime64 | str
"""A date as ``datetime.date``, ``numpy.datetime64`` or ISO string ``YYYY-MM-DD``."""

_EPOCH_SERIAL = ql.Date(1, 1, 1970).serialNumber()


def to_ql_date(value: DateLike | ql.Date) -> ql.Date:
    """Convert a date to ``QuantLib.Date``.

    >>> to_ql_date("2027-10-01").ISO()
    '2027-10-01'
    """
    if isinstance(value, ql.Date):
        return value
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValidationError("date", "must be an ISO date YYYY-MM-DD", value) from exc
    if isinstance(value, np.datetime64):
        days = int(value.astype("datetime64[D]").astype(np.int64))
        return ql.Date(_EPOCH_SERIAL + days)
    return ql.Date(value.day, value.month, value.year)


def from_ql_date(value: ql.Date) -> dt.date:
    """Convert ``QuantLib.Date`` to ``datetime.date``.

    >>> from_ql_date(ql.Date(4, 10, 2027))
    datetime.date(2027, 10, 4)
    """
    return dt.date(value.year(), value.month(), value.dayOfMonth())


def to_datetime64(values: Any) -> npt.NDArray[np.datetime64]:
    """Convert dates (one or many; dates, strings, QuantLib dates) to ``datetime64[D]``.

    >>> to_datetime64(["2026-01-31", ql.Date(1, 2, 2026)])
    array(['2026-01-31', '2026-02-01'], dtype='datetime64[D]')
    """
    if isinstance(values, np.ndarray) and np.issubdtype(values.dtype, np.datetime64):
        return values.astype("datetime64[D]")
    if isinstance(values, ql.Date):
        return np.array([values.serialNumber() - _EPOCH_SERIAL], dtype="datetime64[D]")
    items = values if isinstance(values, list | tuple) else [values]
    serials = [
        (v.serialNumber() - _EPOCH_SERIAL) if isinstance(v, ql.Date) else np.datetime64(v, "D")
        for v in items
    ]
    out = np.array(serials)
    if out.dtype.kind in "iu":
        return out.astype("datetime64[D]")
    return out.astype("datetime64[D]")


_DAY_COUNTS: dict[DayCount, ql.DayCounter] = {
    DayCount.ACT_365F: ql.Actual365Fixed(),
    DayCount.ACT_360: ql.Actual360(),
    DayCount.THIRTY_360: ql.Thirty360(ql.Thirty360.BondBasis),
    DayCount.ACT_ACT: ql.ActualActual(ql.ActualActual.ISDA),
}


def ql_day_count(name: DayCount | str) -> ql.DayCounter:
    """QuantLib day counter for a name: ``ACT/365F``, ``ACT/360``, ``30/360`` or ``ACT/ACT``.

    >>> ql_day_count("ACT/360").name()
    'Actual/360'
    """
    try:
        return _DAY_COUNTS[DayCount(name)]
    except ValueError as exc:
        known = ", ".join(d.value for d in DayCount)
        raise ValidationError("day_count", f"unknown day count; known: {known}", name) from exc


_FREQUENCIES = {
    Frequency.MONTHLY: ql.Monthly,
    Frequency.QUARTERLY: ql.Quarterly,
    Frequency.SEMIANNUAL: ql.Semiannual,
    Frequency.ANNUAL: ql.Annual,
}


def ql_frequency(name: Frequency | str) -> int:
    """QuantLib frequency constant for a frequency name.

    >>> ql_frequency("quarterly") == ql.Quarterly
    True
    """
    try:
        return int(_FREQUENCIES[Frequency(name)])
    except ValueError as exc:
        known = ", ".join(f.value for f in Frequency)
        raise ValidationError("frequency", f"unknown frequency; known: {known}", name) from exc


_CONVENTIONS = {
    BusinessDayConvention.FOLLOWING: ql.Following,
    BusinessDayConvention.MODIFIED_FOLLOWING: ql.ModifiedFollowing,
    BusinessDayConvention.PRECEDING: ql.Preceding,
    BusinessDayConvention.MODIFIED_PRECEDING: ql.ModifiedPreceding,
    BusinessDayConvention.UNADJUSTED: ql.Unadjusted,
}


def ql_business_day_convention(name: BusinessDayConvention | str) -> int:
    """QuantLib business-day convention constant for a convention name.

    >>> ql_business_day_convention("modified_following") == ql.ModifiedFollowing
    True
    """
    try:
        return int(_CONVENTIONS[BusinessDayConvention(name)])
    except ValueError as exc:
        known = ", ".join(c.value for c in BusinessDayConvention)
        raise ValidationError(
            "business_day_convention", f"unknown convention; known: {known}", name
        ) from exc


def ql_period(tenor: str) -> ql.Period:
    """QuantLib period from a tenor string such as ``3M``, ``1Y``, ``1W``, ``ON``.

    >>> ql_period("18M").length(), ql_period("18M").units() == ql.Months
    (18, True)
    """
    text = tenor.strip().upper()
    if text in {"ON", "O/N", "TN", "T/N"}:
        return ql.Period(1, ql.Days)
    units = {"D": ql.Days, "W": ql.Weeks, "M": ql.Months, "Y": ql.Years}
    if len(text) >= 2 and text[:-1].isdigit() and text[-1] in units and int(text[:-1]) > 0:
        return ql.Period(int(text[:-1]), units[text[-1]])
    raise ValidationError("tenor", "must look like 1D, 1W, 3M, 5Y or ON", tenor)


@contextmanager
def evaluation_date(date: DateLike | ql.Date) -> Iterator[ql.Date]:
    """Set QuantLib's global evaluation date inside the block and restore it afterwards.

    >>> before = ql.Settings.instance().evaluationDate
    >>> with evaluation_date("2026-06-30") as d:
    ...     ql.Settings.instance().evaluationDate.ISO()
    '2026-06-30'
    >>> ql.Settings.instance().evaluationDate == before
    True
    """
    settings = ql.Settings.instance()
    previous = settings.evaluationDate
    target = to_ql_date(date)
    settings.evaluationDate = target
    try:
        yield target
    finally:
        settings.evaluationDate = previous
