"""Names to QuantLib objects, and the evaluation-date guard.

Every convention name the pricing layer accepts is parsed here, once: day counts,
business-day conventions, frequencies and tenors. Names are case-insensitive and
surrounding blanks are ignored (``"act/360"``, ``" Modified_Following "``,
``"modified-following"``, ``"Quarterly"``, ``"3m"``); anything else raises
:class:`~computefin.errors.ValidationError` naming the field. Dates are parsed by
:mod:`computefin.pricing._dates`.

QuantLib keeps one process-global evaluation date. :func:`evaluation_date` is the only
place computefin sets it, and it always restores the previous state.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import QuantLib as ql

from computefin.domain.conventions import BusinessDayConvention, DayCount, Frequency
from computefin.errors import ValidationError
from computefin.pricing._dates import DateLike, as_day, day_to_date, day_to_ql, ql_to_day

__all__ = [
    "MAX_TENOR",
    "DateLike",
    "evaluation_date",
    "from_ql_date",
    "parse_convention",
    "parse_day_count",
    "parse_frequency",
    "parse_tenor",
    "ql_business_day_convention",
    "ql_day_count",
    "ql_frequency",
    "ql_period",
    "to_ql_date",
]


def to_ql_date(value: DateLike | ql.Date, field: str = "date") -> ql.Date:
    """Convert a date to ``QuantLib.Date`` (strict: see :mod:`computefin.pricing._dates`).

    >>> to_ql_date("2027-10-01").ISO()
    '2027-10-01'
    """
    return day_to_ql(as_day(value, field))


def from_ql_date(value: ql.Date) -> dt.date:
    """Convert ``QuantLib.Date`` to ``datetime.date``.

    >>> from_ql_date(ql.Date(4, 10, 2027))
    datetime.date(2027, 10, 4)
    """
    return day_to_date(ql_to_day(value))


def _key(value: str) -> str:
    return value.strip().lower().replace("-", "_").replace(" ", "_")


# -- day counts ---------------------------------------------------------------------------

_DAY_COUNT_NAMES: Final[dict[str, DayCount]] = {d.value.lower(): d for d in DayCount}
_DAY_COUNTS: Final[dict[DayCount, ql.DayCounter]] = {
    DayCount.ACT_365F: ql.Actual365Fixed(),
    DayCount.ACT_360: ql.Actual360(),
    DayCount.THIRTY_360: ql.Thirty360(ql.Thirty360.BondBasis),
    DayCount.ACT_ACT: ql.ActualActual(ql.ActualActual.ISDA),
}


def parse_day_count(name: DayCount | str, field: str = "day_count") -> DayCount:
    """Parse a day-count name (case-insensitive) into :class:`DayCount`.

    Raises :class:`~computefin.errors.ValidationError` (field ``day_count``) if unknown.

    >>> parse_day_count("act/365f")
    <DayCount.ACT_365F: 'ACT/365F'>
    """
    if isinstance(name, DayCount):
        return name
    if isinstance(name, str) and name.strip().lower() in _DAY_COUNT_NAMES:
        return _DAY_COUNT_NAMES[name.strip().lower()]
    known = ", ".join(d.value for d in DayCount)
    raise ValidationError(field, f"unknown day count; known: {known}", name)


def ql_day_count(name: DayCount | str) -> ql.DayCounter:
    """QuantLib day counter for a name: ``ACT/365F``, ``ACT/360``, ``30/360`` or ``ACT/ACT``.

    >>> ql_day_count("act/360").name()
    'Actual/360'
    """
    return _DAY_COUNTS[parse_day_count(name)]


# -- frequencies --------------------------------------------------------------------------

_FREQUENCY_NAMES: Final[dict[str, Frequency]] = {f.value: f for f in Frequency}
_FREQUENCIES: Final[dict[Frequency, int]] = {
    Frequency.MONTHLY: ql.Monthly,
    Frequency.QUARTERLY: ql.Quarterly,
    Frequency.SEMIANNUAL: ql.Semiannual,
    Frequency.ANNUAL: ql.Annual,
}


def parse_frequency(name: Frequency | str, field: str = "frequency") -> Frequency:
    """Parse a frequency name (case-insensitive) into :class:`Frequency`.

    >>> parse_frequency("Quarterly")
    <Frequency.QUARTERLY: 'quarterly'>
    """
    if isinstance(name, Frequency):
        return name
    if isinstance(name, str) and _key(name) in _FREQUENCY_NAMES:
        return _FREQUENCY_NAMES[_key(name)]
    known = ", ".join(f.value for f in Frequency)
    raise ValidationError(field, f"unknown frequency; known: {known}", name)


def ql_frequency(name: Frequency | str) -> int:
    """QuantLib frequency constant for a frequency name.

    >>> ql_frequency("quarterly") == ql.Quarterly
    True
    """
    return int(_FREQUENCIES[parse_frequency(name)])


# -- business-day conventions ---------------------------------------------------------------

_CONVENTION_NAMES: Final[dict[str, BusinessDayConvention]] = {
    c.value: c for c in BusinessDayConvention
}
_CONVENTIONS: Final[dict[BusinessDayConvention, int]] = {
    BusinessDayConvention.FOLLOWING: ql.Following,
    BusinessDayConvention.MODIFIED_FOLLOWING: ql.ModifiedFollowing,
    BusinessDayConvention.PRECEDING: ql.Preceding,
    BusinessDayConvention.MODIFIED_PRECEDING: ql.ModifiedPreceding,
    BusinessDayConvention.UNADJUSTED: ql.Unadjusted,
}


def parse_convention(
    name: BusinessDayConvention | str, field: str = "convention"
) -> BusinessDayConvention:
    """Parse a business-day convention (case-insensitive; blanks or hyphens for ``_``).

    >>> parse_convention("Modified Following")
    <BusinessDayConvention.MODIFIED_FOLLOWING: 'modified_following'>
    """
    if isinstance(name, BusinessDayConvention):
        return name
    if isinstance(name, str) and _key(name) in _CONVENTION_NAMES:
        return _CONVENTION_NAMES[_key(name)]
    known = ", ".join(c.value for c in BusinessDayConvention)
    raise ValidationError(field, f"unknown convention; known: {known}", name)


def ql_business_day_convention(name: BusinessDayConvention | str) -> int:
    """QuantLib business-day convention constant for a convention name.

    >>> ql_business_day_convention("modified_following") == ql.ModifiedFollowing
    True
    """
    return int(_CONVENTIONS[parse_convention(name, "business_day_convention")])


# -- tenors ---------------------------------------------------------------------------------

_TENOR = re.compile(r"([+-]?)(\d+)([DWMY])")
_UNITS: Final[dict[str, int]] = {"D": ql.Days, "W": ql.Weeks, "M": ql.Months, "Y": ql.Years}
MAX_TENOR: Final[dict[str, int]] = {"D": 110_000, "W": 16_000, "M": 3_600, "Y": 300}
"""Longest tenor per unit: anything longer leaves QuantLib's 299-year date range."""


def parse_tenor(tenor: Any, field: str = "tenor", *, signed: bool = False) -> tuple[int, str]:
    """A tenor string as ``(length, unit)`` with unit ``D``, ``W``, ``M`` or ``Y``.

    ``ON`` (or ``O/N``) is one day. ``TN`` is rejected: tomorrow-next is a one-day period
    that starts tomorrow, not a length from the start date. ``signed`` allows a leading
    ``+`` or ``-``. Lengths must be positive and within :data:`MAX_TENOR`.

    >>> parse_tenor("18m"), parse_tenor("ON"), parse_tenor("-1Y", signed=True)
    ((18, 'M'), (1, 'D'), (-1, 'Y'))
    >>> parse_tenor("TN")
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: tenor: TN (tomorrow-next) ... (got 'TN')
    """
    hint = "must look like 1D, 1W, 3M, 5Y or ON"
    if not isinstance(tenor, str):
        raise ValidationError(field, hint, tenor)
    text = tenor.strip().upper()
    if text in {"ON", "O/N"}:
        return 1, "D"
    if text in {"TN", "T/N"}:
        raise ValidationError(
            field,
            "TN (tomorrow-next) is a one-day period starting tomorrow, not a tenor from the "
            "start date; it is not supported (quote the overnight rate as ON)",
            tenor,
        )
    match = _TENOR.fullmatch(text)
    if match is None or (match.group(1) and not signed):
        raise ValidationError(field, hint, tenor)
    length, unit = int(match.group(2)), match.group(3)
    if length == 0:
        raise ValidationError(field, "length must be positive", tenor)
    if length > MAX_TENOR[unit]:
        raise ValidationError(
            field,
            f"longer than QuantLib's date range allows (at most {MAX_TENOR[unit]}{unit})",
            tenor,
        )
    return (-length if match.group(1) == "-" else length), unit


def ql_period(tenor: str, field: str = "tenor") -> ql.Period:
    """QuantLib period from a tenor string such as ``3M``, ``1Y``, ``1W``, ``ON``.

    >>> ql_period("18M").length(), ql_period("18M").units() == ql.Months
    (18, True)
    """
    length, unit = parse_tenor(tenor, field)
    return ql.Period(length, _UNITS[unit])


def ql_time_unit(unit: str) -> int:
    """QuantLib time unit for ``D``, ``W``, ``M`` or ``Y``."""
    return int(_UNITS[unit])


# -- evaluation date --------------------------------------------------------------------------


def _evaluation_date_is_unset() -> bool:
    """Whether QuantLib's evaluation date is unset (it then follows today's date).

    QuantLib has no query for this. ``anchorEvaluationDate()`` sets the date to today
    only if it is unset, and a setting notifies every term structure that moves with
    the evaluation date; a throw-away observer on such a term structure tells the two
    cases apart. If the date was unset it is reset again at once.
    """
    settings = ql.Settings.instance()
    if settings.evaluationDate != ql.Date.todaysDate():
        return False
    notified: list[bool] = []
    probe = ql.FlatForward(0, ql.NullCalendar(), 0.0, ql.Actual365Fixed())
    observer = ql.Observer(lambda: notified.append(True))
    observer.registerWith(probe)
    settings.anchorEvaluationDate()
    observer.unregisterWith(probe)
    if notified:
        settings.resetEvaluationDate()
        return True
    return False


@contextmanager
def evaluation_date(date: DateLike | ql.Date) -> Iterator[ql.Date]:
    """Set QuantLib's global evaluation date inside the block and restore it afterwards.

    Restores the previous date, or, if the evaluation date was unset before (QuantLib
    then uses today's date, whatever day that is), unsets it again with
    ``resetEvaluationDate()`` rather than pinning today's date. Not thread-safe:
    QuantLib's settings are process-global, so two threads inside ``evaluation_date``
    (or any thread using QuantLib meanwhile) see each other's dates. Run QuantLib work
    in one thread per process.

    >>> before = ql.Settings.instance().evaluationDate
    >>> with evaluation_date("2026-06-30") as d:
    ...     ql.Settings.instance().evaluationDate.ISO()
    '2026-06-30'
    >>> ql.Settings.instance().evaluationDate == before
    True
    """
    settings = ql.Settings.instance()
    target = to_ql_date(date)
    unset = _evaluation_date_is_unset()
    previous = settings.evaluationDate
    settings.evaluationDate = target
    try:
        yield target
    finally:
        if unset:
            settings.resetEvaluationDate()
        else:
            settings.evaluationDate = previous
