"""Dates in the pricing layer: one strict parser and the day-number conversions.

Inside the pricing layer a date is a *day number*: whole days since 1970-01-01 (the
integer behind ``numpy.datetime64[D]``). This module is the only place that converts
between day numbers and ``datetime.date``, ``numpy.datetime64``, ISO strings and
``QuantLib.Date``, and the only place that parses a caller's dates.

Accepted (scalars, or arrays / lists / tuples of them, any shape):

* ``datetime.date`` and ``datetime.datetime`` (the time of day is dropped; a
  ``pandas.Timestamp`` is a ``datetime``);
* ``numpy.datetime64`` of any unit (floored to the day) and ``datetime64`` arrays;
* ISO strings ``YYYY-MM-DD`` exactly (no other formats, no surrounding text);
* ``QuantLib.Date`` (not the null ``ql.Date()``).

Rejected with :class:`~computefin.errors.ValidationError` naming the field: numbers of
any kind (``int``, ``float``, ``bool``, numpy numbers: a number is never read as a date),
``NaT``, malformed strings, and dates outside QuantLib's range 1901-01-01 .. 2199-12-31.

Empty input: an empty array, list or tuple gives an empty result of the same shape,
never an error (the array APIs then return empty arrays).

>>> as_day("1970-01-02"), day_to_iso(as_day(np.datetime64("2027-10-01T13:00")))
(1, '2027-10-01')
>>> as_days([]).shape
(0,)
>>> as_day(20270101)
Traceback (most recent call last):
...
computefin.errors.ValidationError: date: a number is not a date; ... (got 20270101)
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import QuantLib as ql

from computefin._typing import BoolArray, DateArray, FloatArray, IntArray
from computefin.errors import ValidationError

__all__ = [
    "EPOCH_ORDINAL",
    "EPOCH_SERIAL",
    "FIRST_DAY",
    "LAST_DAY",
    "BoolArray",
    "DateArray",
    "DateLike",
    "DatesLike",
    "FloatArray",
    "IntArray",
    "as_day",
    "as_days",
    "date_to_day",
    "day_to_date",
    "day_to_iso",
    "day_to_ql",
    "ql_to_day",
]


DateLike = dt.date | np.datetime64 | str
"""A date as ``datetime.date``, ``numpy.datetime64`` or ISO string ``YYYY-MM-DD``."""
DatesLike = npt.NDArray[Any] | list[Any] | tuple[Any, ...]
"""Many dates: a ``datetime64`` array, or an array, list or tuple of date-likes."""

EPOCH_ORDINAL: Final[int] = dt.date(1970, 1, 1).toordinal()
"""``datetime.date.toordinal()`` of day 0 (1970-01-01)."""
EPOCH_SERIAL: Final[int] = int(ql.Date(1, 1, 1970).serialNumber())
"""QuantLib serial number of day 0 (1970-01-01): 25569."""
FIRST_DAY: Final[int] = int(ql.Date.minDate().serialNumber()) - EPOCH_SERIAL
"""Day number of 1901-01-01, QuantLib's first date."""
LAST_DAY: Final[int] = int(ql.Date.maxDate().serialNumber()) - EPOCH_SERIAL
"""Day number of 2199-12-31, QuantLib's last date."""

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_HINT: Final[str] = "must be a date: datetime.date, numpy.datetime64 or ISO string YYYY-MM-DD"
_NUMBER: Final[str] = "a number is not a date; " + _HINT
_NUMBERS: Final[str] = "numbers are not dates; " + _HINT


def day_to_ql(day: int | np.integer[Any]) -> ql.Date:
    """``QuantLib.Date`` of a day number (no range check: QuantLib raises outside it).

    >>> day_to_ql(0).ISO()
    '1970-01-01'
    """
    return ql.Date(int(day) + EPOCH_SERIAL)


def ql_to_day(date: ql.Date) -> int:
    """Day number of a ``QuantLib.Date``.

    >>> ql_to_day(ql.Date(2, 1, 1970))
    1
    """
    return int(date.serialNumber()) - EPOCH_SERIAL


def day_to_date(day: int | np.integer[Any]) -> dt.date:
    """``datetime.date`` of a day number.

    >>> day_to_date(365)
    datetime.date(1971, 1, 1)
    """
    return dt.date.fromordinal(int(day) + EPOCH_ORDINAL)


def date_to_day(date: dt.date) -> int:
    """Day number of a ``datetime.date``.

    >>> date_to_day(dt.date(1971, 1, 1))
    365
    """
    return date.toordinal() - EPOCH_ORDINAL


def day_to_iso(day: int | np.integer[Any]) -> str:
    """ISO string of a day number (any year numpy can represent).

    >>> day_to_iso(-1)
    '1969-12-31'
    """
    return str(np.datetime64(int(day), "D"))


_RANGE: Final[str] = (
    f"outside QuantLib's date range {day_to_iso(FIRST_DAY)}..{day_to_iso(LAST_DAY)}"
)


def _unchecked_day(value: Any, field: str) -> int:
    if isinstance(value, ql.Date):
        if int(value.serialNumber()) == 0:
            raise ValidationError(field, "must be a date, got QuantLib's null Date()")
        return ql_to_day(value)
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            raise ValidationError(field, "must be a date, got NaT", value)
        return int(value.astype("datetime64[D]").astype(np.int64))
    if isinstance(value, dt.datetime):
        try:
            return date_to_day(value.date())
        except ValueError as exc:  # pandas.NaT is a datetime that has no date
            raise ValidationError(field, "must be a date, got NaT", str(value)) from exc
    if isinstance(value, dt.date):
        return date_to_day(value)
    if isinstance(value, str):
        text = value.strip()
        if _ISO.fullmatch(text) is None:
            raise ValidationError(field, "must be an ISO date YYYY-MM-DD", value)
        try:
            return date_to_day(dt.date.fromisoformat(text))
        except ValueError as exc:
            raise ValidationError(field, "must be an ISO date YYYY-MM-DD", value) from exc
    if isinstance(value, bool | int | float | complex | np.number | np.bool_):
        raise ValidationError(field, _NUMBER, value)
    raise ValidationError(field, _HINT, value)


def as_day(value: Any, field: str = "date") -> int:
    """One date as a day number; the strict parser (see the module docs).

    >>> as_day(dt.date(2027, 10, 1)) == as_day("2027-10-01") == as_day(ql.Date(1, 10, 2027))
    True
    >>> as_day("1800-01-01", "as_of")
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: as_of: outside QuantLib's date range ... (got '1800-01-01')
    """
    day = _unchecked_day(value, field)
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError(field, _RANGE, value)
    return day


def _check_array_range(days: IntArray, field: str) -> None:
    if days.size:
        lo, hi = int(days.min()), int(days.max())
        if lo < FIRST_DAY or hi > LAST_DAY:
            raise ValidationError(field, _RANGE, day_to_iso(lo if lo < FIRST_DAY else hi))


def as_days(values: Any, field: str = "dates") -> IntArray:
    """Dates (a scalar or an array-like of any shape) as an int64 array of day numbers.

    A scalar gives a 0-d array; an empty input an empty array of the same shape.

    >>> as_days(np.array(["2027-01-01", "2027-01-02"], dtype="datetime64[D]")) - 20819
    array([0, 1])
    >>> as_days(["2027-01-01", dt.date(2027, 1, 2)], "start").shape
    (2,)
    """
    if isinstance(values, dt.date | np.datetime64 | str | ql.Date):
        return np.asarray(as_day(values, field), dtype=np.int64)
    if isinstance(values, bool | int | float | complex | np.number | np.bool_):
        raise ValidationError(field, _NUMBER, values)
    if isinstance(values, np.ndarray):
        arr: npt.NDArray[Any] = values
    else:
        try:
            arr = np.asarray(values)
        except (ValueError, TypeError) as exc:  # ragged nesting, odd objects
            raise ValidationError(field, _HINT) from exc
    if arr.size == 0:
        return np.zeros(arr.shape, dtype=np.int64)
    kind = arr.dtype.kind
    if kind == "M":
        floored = arr.astype("datetime64[D]")
        nat = np.isnat(floored)
        if bool(nat.any()):
            where = int(np.flatnonzero(nat)[0])
            raise ValidationError(field, f"must be dates, got NaT at position {where}")
        days: IntArray = floored.astype(np.int64)
    elif kind == "U":
        text = np.char.strip(arr)
        try:
            parsed = text.astype("datetime64[D]")
            strict = not bool(np.isnat(parsed).any()) and bool(
                np.all(np.datetime_as_string(parsed, unit="D") == text)
            )
        except ValueError:
            strict = False
        if not strict:  # find and report the first bad string
            for item in arr.ravel().tolist():
                _unchecked_day(item, field)
            raise ValidationError(field, "must be ISO dates YYYY-MM-DD")
        days = parsed.astype(np.int64)
    elif kind == "O":
        flat = [_unchecked_day(v, field) for v in arr.ravel().tolist()]
        days = np.asarray(flat, dtype=np.int64).reshape(arr.shape)
    elif kind in "biufc":
        raise ValidationError(field, _NUMBERS)
    else:
        raise ValidationError(field, _HINT)
    _check_array_range(days, field)
    return days
