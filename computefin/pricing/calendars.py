"""Market calendars: QuantLib rules, projected China holidays and bank holiday tables.

:func:`calendar` builds a :class:`MarketCalendar` by name. Every build is a fresh
``ql.BespokeCalendar`` (Saturday and Sunday as weekend, every other non-business day
added as a holiday, make-up working weekends removed), so no build ever touches
QuantLib's shared calendar singletons (``ql.China(...)`` and friends) and no build can
leak holidays into another.

China (``CN-IB``, ``CN-SSE``): QuantLib carries the official arrangement, including the
interbank market's make-up working weekends (调休), up to :data:`CN_LAST_OFFICIAL_YEAR`
(computed from QuantLib, not hard-coded). Later years, through
:data:`CN_PROJECTION_LAST_YEAR`, use the ``holidays`` library's China public-holiday
rules (Spring Festival, Qingming, Labour Day, Dragon Boat, Mid-Autumn, National Day,
New Year, with their observed days). Projected years have no make-up working days. A
bank holiday table (:class:`HolidayTable`) overrides both, date by date.

>>> cn = calendar("CN-IB")
>>> cn.is_business_day("2027-10-01"), cn.is_business_day("2027-03-10")
(False, True)
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.metadata
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import QuantLib as ql
from holidays.countries.china import China as _ChinaHolidays

from computefin.domain.conventions import BusinessDayConvention
from computefin.errors import FieldProblem, ValidationError
from computefin.pricing._dates import (
    FIRST_DAY,
    LAST_DAY,
    BoolArray,
    DateArray,
    DateLike,
    IntArray,
    as_day,
    as_days,
    date_to_day,
    day_to_date,
    day_to_iso,
    day_to_ql,
    ql_to_day,
)
from computefin.pricing._ql import (
    MAX_TENOR,
    parse_convention,
    parse_tenor,
    ql_business_day_convention,
    ql_time_unit,
)

__all__ = [
    "CALENDAR_NAMES",
    "CN_LAST_OFFICIAL_YEAR",
    "CN_PROJECTION_LAST_YEAR",
    "HolidayKind",
    "HolidayTable",
    "HolidayTableLike",
    "MarketCalendar",
    "calendar",
]


def _year_start(year: int) -> int:
    return date_to_day(dt.date(year, 1, 1))


def _year_end(year: int) -> int:
    return date_to_day(dt.date(year, 12, 31))


def _weekday(days: IntArray) -> IntArray:
    """0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday)."""
    return (days + 3) % 7


def _ql_non_business_days(cal: ql.Calendar, first: int, last: int) -> IntArray:
    """Every non-business day of a QuantLib calendar in [first, last], weekends included."""
    # holidayList cannot reach QuantLib's very last date; check that day separately.
    stop = min(last, LAST_DAY - 1)
    found = [ql_to_day(d) for d in cal.holidayList(day_to_ql(first), day_to_ql(stop), True)]
    if last > stop and not cal.isBusinessDay(day_to_ql(last)):
        found.append(last)
    return np.asarray(found, dtype=np.int64)


def _china_last_official_year(market: int) -> int:
    """Last year in which QuantLib's China calendar has holidays beyond 1 January.

    After it, QuantLib's China calendars fall back to weekends plus New Year's Day, so
    1 October and the Spring Festival would be business days.
    """
    cal = ql.China(market)
    days = cal.holidayList(ql.Date(1, 1, 1990), ql.Date(31, 12, 2198), False)
    years = [int(d.year()) for d in days if not (d.month() == 1 and d.dayOfMonth() == 1)]
    return max(years)


_CN_LAST_OFFICIAL: Final[dict[int, int]] = {
    market: _china_last_official_year(market) for market in (ql.China.IB, ql.China.SSE)
}

CN_LAST_OFFICIAL_YEAR: Final[int] = min(_CN_LAST_OFFICIAL.values())
"""Last year with QuantLib's official China holidays (computed from QuantLib at import)."""

_HOLIDAYS_VERSION: Final[str] = importlib.metadata.version("holidays")

CN_PROJECTION_LAST_YEAR: Final[int] = min(2099, int(_ChinaHolidays.end_year))
"""Last year for which China holidays are projected from the ``holidays`` library rules."""


class HolidayKind(StrEnum):
    """What a row of a bank holiday table declares about its date.

    ``holiday``: the date is not a business day. ``business_day``: the date is a business
    day (a make-up working weekend, or a projected holiday that is not one after all).

    >>> HolidayKind("business_day") is HolidayKind.BUSINESS_DAY
    True
    """

    HOLIDAY = "holiday"
    BUSINESS_DAY = "business_day"


def _normalise_dates(values: Iterable[Any], field_name: str) -> tuple[dt.date, ...]:
    days = sorted({as_day(v, field_name) for v in values})
    return tuple(day_to_date(d) for d in days)


@dataclass(frozen=True)
class HolidayTable:
    """A bank-supplied holiday table that overrides a calendar date by date.

    ``holidays`` become non-business days, ``business_days`` become business days; both
    win over QuantLib's official data and over projected holidays. Dates are stored
    sorted and unique; a date may not be in both sets. Build one with
    :meth:`from_csv`, :meth:`from_frame` or :meth:`from_dates`.

    >>> table = HolidayTable.from_dates(holidays=["2027-10-06"], business_days=["2027-09-26"])
    >>> table.holidays, len(table)
    ((datetime.date(2027, 10, 6),), 2)
    """

    holidays: tuple[dt.date, ...] = ()
    business_days: tuple[dt.date, ...] = ()
    source: str = field(default="", compare=False)
    """Where the table came from (a file path or a label); not part of equality, but part
    of :func:`calendar`'s cache key, so a calendar's ``sources`` name its own table."""

    def __post_init__(self) -> None:
        hol = _normalise_dates(self.holidays, "holiday_table.date")
        bus = _normalise_dates(self.business_days, "holiday_table.date")
        both = sorted(set(hol) & set(bus))
        if both:
            raise ValidationError(
                "holiday_table.kind",
                "dates listed both as holiday and as business_day: "
                + ", ".join(d.isoformat() for d in both[:5]),
            )
        object.__setattr__(self, "holidays", hol)
        object.__setattr__(self, "business_days", bus)

    def __len__(self) -> int:
        """Number of dates in the table (holidays plus business days)."""
        return len(self.holidays) + len(self.business_days)

    @property
    def digest(self) -> str:
        """A short content hash (12 hex digits) that identifies the table's dates.

        >>> HolidayTable.from_dates(holidays=["2027-10-06"]).digest
        'fb3175f2fefe'
        >>> HolidayTable.from_dates(holidays=["2027-10-06"], source="a.csv").digest
        'fb3175f2fefe'
        >>> HolidayTable.from_dates(business_days=["2027-10-06"]).digest
        'dae02aaf564d'
        """
        text = ";".join(
            [f"H{d.isoformat()}" for d in self.holidays]
            + [f"B{d.isoformat()}" for d in self.business_days]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    @classmethod
    def from_dates(
        cls,
        holidays: Iterable[DateLike] = (),
        business_days: Iterable[DateLike] = (),
        source: str = "",
    ) -> HolidayTable:
        """Table from lists of dates (``datetime.date``, ``datetime64`` or ISO strings).

        >>> len(HolidayTable.from_dates(holidays=["2027-10-06", "2027-10-07"]))
        2
        """
        return cls(tuple(holidays), tuple(business_days), source)  # type: ignore[arg-type]

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, source: str = "") -> HolidayTable:
        """Table from a DataFrame with a ``date`` column and an optional ``kind`` column.

        ``kind`` is ``holiday`` (the default when missing or blank) or ``business_day``;
        other columns (a ``name``, say) are ignored.

        >>> frame = pd.DataFrame({"date": ["2027-10-06", "2027-09-26"],
        ...                       "kind": ["holiday", "business_day"]})
        >>> HolidayTable.from_frame(frame).business_days
        (datetime.date(2027, 9, 26),)
        """
        columns = {str(c).strip().lower(): c for c in frame.columns}
        if "date" not in columns:
            raise ValidationError(
                "holiday_table.date", "the table needs a 'date' column", list(frame.columns)
            )
        dates = frame[columns["date"]].tolist()
        if "kind" in columns:
            kinds = frame[columns["kind"]].tolist()
        else:
            kinds = [HolidayKind.HOLIDAY.value] * len(dates)
        holidays: list[dt.date] = []
        business: list[dt.date] = []
        problems: list[FieldProblem] = []
        for row, (raw_date, raw_kind) in enumerate(zip(dates, kinds, strict=True), start=1):
            try:
                day = day_to_date(as_day(_scalar_date(raw_date), "holiday_table.date"))
            except ValidationError as exc:
                problems.append(
                    FieldProblem(
                        "holiday_table.date", f"row {row}: {exc.problems[0].reason}", raw_date
                    )
                )
                continue
            kind_text = "" if _is_blank(raw_kind) else str(raw_kind).strip().lower()
            try:
                kind = HolidayKind(kind_text or HolidayKind.HOLIDAY.value)
            except ValueError:
                problems.append(
                    FieldProblem(
                        "holiday_table.kind",
                        f"row {row}: must be 'holiday' or 'business_day'",
                        raw_kind,
                    )
                )
                continue
            (holidays if kind is HolidayKind.HOLIDAY else business).append(day)
        if problems:
            raise ValidationError.from_problems(problems)
        return cls(tuple(holidays), tuple(business), source)

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str]) -> HolidayTable:
        """Table from a CSV file with a ``date`` column and an optional ``kind`` column.

        >>> import tempfile, pathlib
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     p = pathlib.Path(tmp) / "cn.csv"
        ...     _ = p.write_text("date,kind\\n2027-10-06,holiday\\n2027-09-26,business_day\\n")
        ...     len(HolidayTable.from_csv(p))
        2
        """
        file = Path(path)
        if not file.is_file():
            raise ValidationError("holiday_table", "file not found", str(path))
        try:
            frame = pd.read_csv(file, dtype=str, keep_default_na=False, skipinitialspace=True)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise ValidationError("holiday_table", f"cannot read CSV: {exc}", str(path)) from exc
        return cls.from_frame(frame, source=str(path))

    def to_frame(self) -> pd.DataFrame:
        """The table as a DataFrame with ``date`` and ``kind`` columns, sorted by date.

        >>> HolidayTable.from_dates(holidays=["2027-10-06"]).to_frame()
                 date     kind
        0  2027-10-06  holiday
        """
        rows = [(d.isoformat(), HolidayKind.HOLIDAY.value) for d in self.holidays] + [
            (d.isoformat(), HolidayKind.BUSINESS_DAY.value) for d in self.business_days
        ]
        rows.sort()
        return pd.DataFrame(rows, columns=["date", "kind"])


def _is_blank(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _scalar_date(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


HolidayTableLike = HolidayTable | pd.DataFrame | str | os.PathLike[str]
"""A holiday table, a DataFrame in the table format, or the path of a CSV file."""


def _as_holiday_table(value: HolidayTableLike) -> HolidayTable:
    if isinstance(value, HolidayTable):
        return value
    if isinstance(value, pd.DataFrame):
        return HolidayTable.from_frame(value)
    if isinstance(value, str | os.PathLike):
        return HolidayTable.from_csv(value)
    raise ValidationError(
        "holiday_table", "must be a HolidayTable, a DataFrame or a CSV path", type(value).__name__
    )


@dataclass(frozen=True)
class _Spec:
    name: str
    description: str
    factory: Callable[[], ql.Calendar]
    china_market: int | None = None


_SPECS: Final[dict[str, _Spec]] = {
    spec.name: spec
    for spec in (
        _Spec(
            "CN-IB", "China interbank market (CFETS)", lambda: ql.China(ql.China.IB), ql.China.IB
        ),
        _Spec("CN-SSE", "Shanghai Stock Exchange", lambda: ql.China(ql.China.SSE), ql.China.SSE),
        _Spec("US-SOFR", "US SOFR fixing calendar", lambda: ql.UnitedStates(ql.UnitedStates.SOFR)),
        _Spec(
            "US-NY",
            "New York Stock Exchange trading days",
            lambda: ql.UnitedStates(ql.UnitedStates.NYSE),
        ),
        _Spec(
            "US-GOVT",
            "US government bond market (SIFMA)",
            lambda: ql.UnitedStates(ql.UnitedStates.GovernmentBond),
        ),
        _Spec(
            "US-SETTLEMENT",
            "US settlement (Federal Reserve banking days)",
            lambda: ql.UnitedStates(ql.UnitedStates.Settlement),
        ),
        _Spec("TARGET", "TARGET2 (euro settlement)", ql.TARGET),
        _Spec("WEEKENDS", "Saturday and Sunday only, no holidays", ql.WeekendsOnly),
    )
}

CALENDAR_NAMES: Final[tuple[str, ...]] = tuple(_SPECS)
"""The names :func:`calendar` accepts (case-insensitive)."""


def _spec(name: str) -> _Spec:
    key = name.strip().upper() if isinstance(name, str) else None
    if key is None or key not in _SPECS:
        raise ValidationError(
            "calendar", f"unknown calendar; known: {', '.join(CALENDAR_NAMES)}", name
        )
    return _SPECS[key]


_UNITS: Final[dict[str, str]] = {
    "D": "D", "DAY": "D", "DAYS": "D",
    "W": "W", "WEEK": "W", "WEEKS": "W",
    "M": "M", "MONTH": "M", "MONTHS": "M",
    "Y": "Y", "YEAR": "Y", "YEARS": "Y",
}  # fmt: skip

_Roll = Literal["forward", "modifiedfollowing", "backward", "modifiedpreceding"]

_ROLLS: Final[dict[BusinessDayConvention, _Roll]] = {
    BusinessDayConvention.FOLLOWING: "forward",
    BusinessDayConvention.MODIFIED_FOLLOWING: "modifiedfollowing",
    BusinessDayConvention.PRECEDING: "backward",
    BusinessDayConvention.MODIFIED_PRECEDING: "modifiedpreceding",
}


class MarketCalendar:
    """A business-day calendar with a QuantLib twin and numpy kernels over the same days.

    Build it with :func:`calendar`. The object is immutable: its day arrays are
    read-only, and :attr:`ql` hands out a fresh QuantLib copy on every access, so a
    caller who adds holidays to that copy changes nothing else; the methods use a
    private QuantLib instance. Dates may be
    ``datetime.date``, ``numpy.datetime64`` or ISO strings; dates outside the coverage
    (:attr:`first_date` to :attr:`last_date`) raise
    :class:`~computefin.errors.ValidationError`. Pickling sends the name and the table
    and rebuilds on the other side (QuantLib objects do not pickle).

    >>> sofr = calendar("US-SOFR")
    >>> sofr.adjust("2027-07-04", "following")
    datetime.date(2027, 7, 6)
    """

    __slots__ = (
        "_busdaycal",
        "_first",
        "_last",
        "_last_official_year",
        "_name",
        "_non_business",
        "_projected",
        "_ql",
        "_ql_holidays",
        "_ql_identifier",
        "_ql_working_weekends",
        "_sources",
        "_table",
    )

    def __init__(
        self,
        *,
        name: str,
        non_business_days: IntArray,
        first_day: int,
        last_day: int,
        sources: tuple[str, ...],
        table: HolidayTable | None = None,
        last_official_year: int | None = None,
        projected_years: range = range(0),
    ) -> None:
        days = np.unique(np.asarray(non_business_days, dtype=np.int64))
        days.setflags(write=False)
        self._name = name
        self._non_business = days
        self._first = int(first_day)
        self._last = int(last_day)
        self._sources = sources
        self._table = table
        self._last_official_year = last_official_year
        self._projected = projected_years
        # numpy: every day of the week is a "weekday"; every non-business day, weekends
        # included, is a holiday. Make-up working weekends are then just absent from
        # the holiday list, so is_busday, busday_offset and busday_count are exact.
        self._busdaycal = np.busdaycalendar(
            weekmask="1111111", holidays=days.astype("datetime64[D]")
        )
        self._ql_identifier = name if table is None else f"{name}+table:{table.digest}"
        # The QuantLib twin: weekday holidays added, make-up working weekends removed.
        # The two date lists are kept so that a fresh copy (``.ql``) is cheap.
        span = np.arange(self._first, self._last + 1, dtype=np.int64)
        weekends = span[_weekday(span) >= 5]
        self._ql_holidays = tuple(day_to_ql(d) for d in days[_weekday(days) < 5].tolist())
        self._ql_working_weekends = tuple(
            day_to_ql(d) for d in np.setdiff1d(weekends, days, assume_unique=True).tolist()
        )
        self._ql = self._new_ql()

    def _new_ql(self) -> ql.Calendar:
        cal = ql.BespokeCalendar(self._ql_identifier)
        cal.addWeekend(ql.Saturday)
        cal.addWeekend(ql.Sunday)
        for date in self._ql_holidays:
            cal.addHoliday(date)
        for date in self._ql_working_weekends:
            cal.removeHoliday(date)
        return cal

    def _ql_calendar(self) -> ql.Calendar:
        """The private QuantLib twin, for computefin's own QuantLib calls only.

        Never hand it to a caller: a holiday added to it would make QuantLib's answers
        (``adjust``, ``advance``, schedules) disagree with numpy's.
        """
        return self._ql

    def __repr__(self) -> str:
        table = "" if self._table is None else f", table={self._table.digest}"
        span = f"{day_to_iso(self._first)}..{day_to_iso(self._last)}"
        return f"MarketCalendar({self._name!r}, {span}{table})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (calendar, (self._name, self._table))

    # -- descriptive properties -------------------------------------------------------

    @property
    def name(self) -> str:
        """The calendar name, such as ``CN-IB``.

        >>> calendar("cn-ib").name
        'CN-IB'
        """
        return self._name

    @property
    def identifier(self) -> str:
        """The name plus the holiday table's digest, if any; also the QuantLib name.

        >>> calendar("US-SOFR").identifier
        'US-SOFR'
        """
        return self._ql_identifier

    @property
    def ql(self) -> ql.Calendar:
        """A fresh QuantLib copy of the calendar (a ``ql.BespokeCalendar``), on every access.

        The copy is the caller's: adding or removing holidays on it changes neither this
        object nor any other computefin answer (a copy costs about 2 ms). Its QuantLib
        name is :attr:`identifier`.

        >>> cn = calendar("CN-IB")
        >>> cn.ql.isBusinessDay(ql.Date(1, 10, 2027)), cn.ql is cn.ql
        (False, False)
        """
        return self._new_ql()

    @property
    def first_date(self) -> dt.date:
        """First date covered.

        >>> calendar("TARGET").first_date
        datetime.date(1901, 1, 1)
        """
        return day_to_date(self._first)

    @property
    def last_date(self) -> dt.date:
        """Last date covered (China: 31 December of :data:`CN_PROJECTION_LAST_YEAR`).

        >>> calendar("CN-IB").last_date
        datetime.date(2099, 12, 31)
        """
        return day_to_date(self._last)

    @property
    def last_official_year(self) -> int | None:
        """Last year of official (QuantLib) China data; ``None`` for rule-based calendars.

        >>> calendar("CN-IB").last_official_year == CN_LAST_OFFICIAL_YEAR
        True
        """
        return self._last_official_year

    @property
    def projected_years(self) -> range:
        """Years whose holidays are projected from rules (empty outside China).

        >>> calendar("CN-IB").projected_years[0] == CN_LAST_OFFICIAL_YEAR + 1
        True
        """
        return self._projected

    @property
    def sources(self) -> tuple[str, ...]:
        """Where the holidays come from, one line per source.

        >>> calendar("WEEKENDS").sources == (
        ...     f"QuantLib {ql.__version__} weekends only: Saturday and Sunday only, no holidays",)
        True
        >>> cn = calendar("CN-IB").sources
        >>> cn[0].startswith(f"QuantLib {ql.__version__} China IB: official holidays")
        True
        >>> f"projected {CN_LAST_OFFICIAL_YEAR + 1}-{CN_PROJECTION_LAST_YEAR}" in cn[1]
        True
        """
        return self._sources

    @property
    def holiday_table(self) -> HolidayTable | None:
        """The bank holiday table applied on top of the default, if any.

        >>> calendar("CN-IB").holiday_table is None
        True
        """
        return self._table

    # -- checks and conversions -------------------------------------------------------

    def _day(self, value: Any, field_name: str = "date") -> int:
        day = as_day(value, field_name)
        self._check_range(np.asarray([day], dtype=np.int64), field_name, value)
        return day

    def _days(self, values: Any, field_name: str = "dates") -> IntArray:
        days = as_days(values, field_name)
        self._check_range(days, field_name, None)
        return days

    def _check_range(self, days: IntArray, field_name: str, value: Any) -> None:
        if days.size and (int(days.min()) < self._first or int(days.max()) > self._last):
            bad = int(days.min()) if int(days.min()) < self._first else int(days.max())
            raise ValidationError(
                field_name,
                f"{day_to_iso(bad)} is outside the {self._name} calendar's coverage "
                f"{day_to_iso(self._first)}..{day_to_iso(self._last)}",
                value,
            )

    def _result(self, date: Any) -> dt.date:
        day = ql_to_day(date)
        self._check_range(np.asarray([day], dtype=np.int64), "date", None)
        return day_to_date(day)

    # -- scalar API ---------------------------------------------------------------------

    def is_business_day(self, date: DateLike) -> bool:
        """Whether ``date`` is a business day.

        >>> calendar("CN-IB").is_business_day("2026-10-10")   # a make-up Saturday
        True
        """
        return bool(np.is_busday(np.datetime64(self._day(date), "D"), busdaycal=self._busdaycal))

    def is_holiday(self, date: DateLike) -> bool:
        """Whether ``date`` is not a business day (QuantLib's sense: weekends count).

        >>> sofr = calendar("US-SOFR")
        >>> sofr.is_holiday("2027-07-05"), sofr.is_holiday("2027-07-06")
        (True, False)
        """
        return not self.is_business_day(date)

    def is_weekend(self, date: DateLike) -> bool:
        """Whether ``date`` is a Saturday or a Sunday (working or not).

        >>> calendar("CN-IB").is_weekend("2026-10-10")
        True
        """
        return bool(_weekday(np.asarray(self._day(date))) >= 5)

    def adjust(
        self,
        date: DateLike,
        convention: BusinessDayConvention | str = BusinessDayConvention.FOLLOWING,
    ) -> dt.date:
        """Move a non-business ``date`` to a business day by ``convention``.

        >>> calendar("CN-IB").adjust("2027-10-01", "following")
        datetime.date(2027, 10, 6)
        """
        conv = ql_business_day_convention(parse_convention(convention))
        day = self._day(date)
        try:
            return self._result(self._ql.adjust(day_to_ql(day), conv))
        except RuntimeError as exc:
            raise ValidationError("date", f"cannot adjust: {exc}", date) from exc

    def advance(
        self,
        date: DateLike,
        n: int | str,
        unit: str | None = None,
        convention: BusinessDayConvention | str = BusinessDayConvention.FOLLOWING,
        end_of_month: bool = False,
    ) -> dt.date:
        """Move ``date`` by ``n`` units, QuantLib style, then adjust by ``convention``.

        ``n`` is an integer with ``unit`` ``D`` (business days, the default), ``W``, ``M``
        or ``Y``, or a tenor string such as ``3M`` or ``-1Y`` (then leave ``unit`` out).
        ``end_of_month``: a month-end start stays on month ends for ``M``/``Y`` moves.

        >>> cn = calendar("CN-IB")
        >>> cn.advance("2027-09-30", 1), cn.advance("2027-01-29", "1M", end_of_month=True)
        (datetime.date(2027, 10, 6), datetime.date(2027, 2, 26))
        """
        conv = ql_business_day_convention(parse_convention(convention))
        day = self._day(date)
        if isinstance(n, str):
            if unit is not None:
                raise ValidationError("unit", "leave unit out when n is a tenor string", unit)
            length, unit_key = parse_tenor(n, signed=True)
        elif isinstance(n, int | np.integer) and not isinstance(n, bool):
            length = int(n)
            unit_key = "D" if unit is None else _UNITS.get(str(unit).strip().upper(), "")
            if not unit_key:
                raise ValidationError("unit", "must be D, W, M or Y", unit)
            if abs(length) > MAX_TENOR[unit_key]:
                raise ValidationError(
                    "n", f"too far: at most {MAX_TENOR[unit_key]} {unit_key} either way", n
                )
        else:
            raise ValidationError("n", "must be an integer or a tenor string like 3M", n)
        if not isinstance(end_of_month, bool | np.bool_):
            raise ValidationError("end_of_month", "must be True or False", end_of_month)
        ql_unit = ql_time_unit(unit_key)
        try:
            moved = self._ql.advance(day_to_ql(day), length, ql_unit, conv, bool(end_of_month))
        except RuntimeError as exc:
            raise ValidationError("n", f"cannot advance: {exc}", n) from exc
        return self._result(moved)

    def business_days_between(
        self,
        start: DateLike,
        end: DateLike,
        include_first: bool = True,
        include_last: bool = False,
    ) -> int:
        """Business days from ``start`` to ``end`` (negative if ``end`` is earlier).

        Same semantics as QuantLib's ``businessDaysBetween``: by default ``start`` counts
        and ``end`` does not.

        >>> calendar("CN-IB").business_days_between("2027-09-30", "2027-10-08")
        3
        """
        out = self.business_days_between_array(start, end, include_first, include_last)
        return int(out)

    def holidays(self, start: DateLike, end: DateLike, include_weekends: bool = False) -> DateArray:
        """Non-business days in ``[start, end]`` as ``datetime64[D]``.

        Weekends are left out unless ``include_weekends`` (QuantLib's ``holidayList``).

        >>> calendar("CN-IB").holidays("2027-09-25", "2027-10-10")
        array(['2027-10-01', '2027-10-04', '2027-10-05'], dtype='datetime64[D]')
        """
        lo = self._day(start, "start")
        hi = self._day(end, "end")
        days = self._non_business
        picked = days[(days >= lo) & (days <= hi)]
        if not include_weekends:
            picked = picked[_weekday(picked) < 5]
        return picked.astype("datetime64[D]")

    # -- vectorised API -----------------------------------------------------------------

    def is_business_day_array(self, dates: Any) -> BoolArray:
        """Business-day flags for an array of dates (``datetime64`` or date-likes).

        >>> days = np.arange("2027-09-30", "2027-10-09", dtype="datetime64[D]")
        >>> calendar("CN-IB").is_business_day_array(days).astype(int)
        array([1, 0, 0, 0, 0, 0, 1, 1, 1])
        """
        days = self._days(dates)
        return np.is_busday(days.astype("datetime64[D]"), busdaycal=self._busdaycal)

    def adjust_array(
        self,
        dates: Any,
        convention: BusinessDayConvention | str = BusinessDayConvention.FOLLOWING,
    ) -> DateArray:
        """Adjust an array of dates by ``convention`` (exact against QuantLib's ``adjust``).

        >>> calendar("CN-IB").adjust_array(
        ...     np.array(["2027-10-01", "2027-10-07"], dtype="datetime64[D]"), "preceding")
        array(['2027-09-30', '2027-10-07'], dtype='datetime64[D]')
        """
        conv = parse_convention(convention)
        days: DateArray = self._days(dates).astype("datetime64[D]")
        if conv is BusinessDayConvention.UNADJUSTED:
            return days
        try:
            out: DateArray = np.busday_offset(days, 0, roll=_ROLLS[conv], busdaycal=self._busdaycal)
        except ValueError as exc:
            raise ValidationError("dates", f"cannot adjust: {exc}") from exc
        self._check_range(out.astype(np.int64), "dates", None)
        return out

    def business_days_between_array(
        self,
        start: Any,
        end: Any,
        include_first: bool = True,
        include_last: bool = False,
    ) -> npt.NDArray[np.int64]:
        """:meth:`business_days_between` over arrays of dates (broadcast).

        >>> calendar("US-SOFR").business_days_between_array(
        ...     np.array(["2027-07-01"], dtype="datetime64[D]"), "2027-07-09")
        array([5])
        """
        d1 = self._days(start, "start")
        d2 = self._days(end, "end")
        try:
            d1, d2 = np.broadcast_arrays(d1, d2)
        except ValueError as exc:
            raise ValidationError("end", "does not broadcast with start") from exc
        lo = np.minimum(d1, d2).astype("datetime64[D]")
        hi = np.maximum(d1, d2).astype("datetime64[D]")
        count = np.busday_count(lo, hi, busdaycal=self._busdaycal).astype(np.int64)
        bd1 = np.is_busday(d1.astype("datetime64[D]"), busdaycal=self._busdaycal)
        bd2 = np.is_busday(d2.astype("datetime64[D]"), busdaycal=self._busdaycal)
        # busday_count counts [lo, hi): drop the first day if excluded, add the last.
        forward = count - (bd1 & (not include_first)) + (bd2 & include_last)
        backward = -(count - (bd2 & (not include_last)) + (bd1 & include_first))
        same = (bd1 & include_first & include_last).astype(np.int64)
        out = np.where(d1 < d2, forward, np.where(d1 > d2, backward, same))
        return out.astype(np.int64)


# -- building -------------------------------------------------------------------------


def _china_non_business_days(spec: _Spec) -> tuple[IntArray, tuple[str, ...], int, range]:
    market = spec.china_market
    assert market is not None
    last_official = _CN_LAST_OFFICIAL[market]
    official = _ql_non_business_days(spec.factory(), FIRST_DAY, _year_end(last_official))
    projected = range(last_official + 1, CN_PROJECTION_LAST_YEAR + 1)
    span = np.arange(_year_start(projected[0]), _year_end(projected[-1]) + 1, dtype=np.int64)
    weekends = span[_weekday(span) >= 5]
    rules = _ChinaHolidays(years=projected, categories=("public",))  # type: ignore[no-untyped-call]
    rule_days = np.asarray(sorted(date_to_day(d) for d in rules), dtype=np.int64)
    projected_days = np.union1d(weekends, rule_days)
    working: IntArray = np.asarray([], dtype=np.int64)
    if market == ql.China.IB:
        # Empty today; if a future `holidays` release carries an official arrangement
        # for these years, its make-up working weekends are honoured.
        extra: set[dt.date] = set(getattr(rules, "weekend_workdays", set()))
        working = np.asarray(
            sorted(date_to_day(d) for d in extra if d.year in projected),
            dtype=np.int64,
        )
    projected_days = np.setdiff1d(projected_days, working)
    sources = (
        f"QuantLib {ql.__version__} China {'IB' if market == ql.China.IB else 'SSE'}: "
        f"official holidays{' and make-up working weekends' if market == ql.China.IB else ''}"
        f" through {last_official}",
        f"holidays {_HOLIDAYS_VERSION} China public-holiday rules incl. observed days: "
        f"projected {projected[0]}-{projected[-1]}, no make-up working days",
    )
    return np.union1d(official, projected_days), sources, last_official, projected


def _build(name: str, table: HolidayTable | None) -> MarketCalendar:
    spec = _spec(name)
    if spec.china_market is not None:
        days, sources, last_official, projected = _china_non_business_days(spec)
        first, last = FIRST_DAY, _year_end(CN_PROJECTION_LAST_YEAR)
    else:
        first, last = FIRST_DAY, LAST_DAY
        base = spec.factory()
        days = _ql_non_business_days(base, first, last)
        sources = (f"QuantLib {ql.__version__} {base.name()}: {spec.description}",)
        last_official, projected = None, range(0)
    if table is not None and len(table):
        hol = np.asarray([date_to_day(d) for d in table.holidays], np.int64)
        bus = np.asarray([date_to_day(d) for d in table.business_days], np.int64)
        for values in (hol, bus):
            if values.size and (int(values.min()) < first or int(values.max()) > last):
                bad = int(values.min()) if int(values.min()) < first else int(values.max())
                raise ValidationError(
                    "holiday_table.date",
                    f"{day_to_iso(bad)} is outside the {spec.name} calendar's coverage "
                    f"{day_to_iso(first)}..{day_to_iso(last)}",
                )
        days = np.setdiff1d(np.union1d(days, hol), bus)
        label = table.source or "in memory"
        sources = (
            *sources,
            f"bank holiday table ({label}): {len(table.holidays)} holidays, "
            f"{len(table.business_days)} business days, digest {table.digest}; "
            "overrides the above",
        )
    return MarketCalendar(
        name=spec.name,
        non_business_days=days,
        first_day=first,
        last_day=last,
        sources=sources,
        table=table if table is not None and len(table) else None,
        last_official_year=last_official,
        projected_years=projected,
    )


@functools.cache
def _default(name: str) -> MarketCalendar:
    return _build(name, None)


@functools.cache
def _with_table(name: str, table: HolidayTable, source: str) -> MarketCalendar:
    # ``source`` is part of the key: tables compare by their dates only, and a cached
    # calendar's ``sources`` must name the file it was built from.
    return _build(name, table)


def calendar(name: str, holiday_table: HolidayTableLike | None = None) -> MarketCalendar:
    """The market calendar ``name``, optionally overridden by a bank holiday table.

    Names (case-insensitive): ``CN-IB``, ``CN-SSE``, ``US-SOFR``, ``US-NY`` (NYSE),
    ``US-GOVT``, ``US-SETTLEMENT``, ``TARGET``, ``WEEKENDS``. ``holiday_table`` is a
    :class:`HolidayTable`, a DataFrame or a CSV path (``date`` and optional ``kind``
    columns). Builds are cached for the life of the process, keyed by the name, the
    table's dates and its ``source``: equal tables from the same source give the same
    object; every distinct table stays in the cache (tables are small and few).

    >>> cn = calendar("CN-IB", HolidayTable.from_dates(holidays=["2027-10-06"]))
    >>> cn.is_business_day("2027-10-06"), calendar("CN-IB").is_business_day("2027-10-06")
    (False, True)
    """
    spec = _spec(name)
    if holiday_table is None:
        return _default(spec.name)
    table = _as_holiday_table(holiday_table)
    if not len(table):
        return _default(spec.name)
    return _with_table(spec.name, table, table.source)
