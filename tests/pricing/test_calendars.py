"""Market calendars against QuantLib, the holidays library and bank tables."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import QuantLib as ql
from holidays.countries.china import China as ChinaHolidays

from computefin.errors import ValidationError
from computefin.pricing.calendars import (
    CALENDAR_NAMES,
    CN_LAST_OFFICIAL_YEAR,
    CN_PROJECTION_LAST_YEAR,
    HolidayTable,
    MarketCalendar,
    calendar,
)
from computefin.pricing.schedules import make_schedule

DATA = Path(__file__).parent / "data"
EPOCH = 25569  # QuantLib serial number of 1970-01-01
CONVENTIONS = {
    "following": ql.Following,
    "modified_following": ql.ModifiedFollowing,
    "preceding": ql.Preceding,
    "modified_preceding": ql.ModifiedPreceding,
    "unadjusted": ql.Unadjusted,
}
QL_RULE_CALENDARS = {
    "US-SOFR": lambda: ql.UnitedStates(ql.UnitedStates.SOFR),
    "US-NY": lambda: ql.UnitedStates(ql.UnitedStates.NYSE),
    "US-GOVT": lambda: ql.UnitedStates(ql.UnitedStates.GovernmentBond),
    "US-SETTLEMENT": lambda: ql.UnitedStates(ql.UnitedStates.Settlement),
    "TARGET": ql.TARGET,
    "WEEKENDS": ql.WeekendsOnly,
}


def days(start: str, end: str) -> np.ndarray:
    """Every day from start to end inclusive."""
    return np.arange(np.datetime64(start), np.datetime64(end) + 1, dtype="datetime64[D]")


def qd(day: np.datetime64) -> ql.Date:
    return ql.Date(int(day.astype(np.int64)) + EPOCH)


def from_qd(date: ql.Date) -> dt.date:
    return dt.date(date.year(), date.month(), date.dayOfMonth())


def ql_flags(cal: ql.Calendar, span: np.ndarray) -> np.ndarray:
    return np.array([cal.isBusinessDay(qd(d)) for d in span])


def china_2027_spring_festival_weekdays() -> list[dt.date]:
    rules = ChinaHolidays(years=2027)  # type: ignore[no-untyped-call]
    return sorted(d for d, name in rules.items() if "Chinese New Year" in name and d.weekday() < 5)


# -- the required China checks --------------------------------------------------------


def test_last_official_year_is_computed_from_quantlib() -> None:
    assert CN_LAST_OFFICIAL_YEAR >= 2026
    for market in (ql.China.IB, ql.China.SSE):
        cal = ql.China(market)
        official = cal.holidayList(
            ql.Date(1, 1, CN_LAST_OFFICIAL_YEAR), ql.Date(31, 12, CN_LAST_OFFICIAL_YEAR)
        )
        assert any(not (d.month() == 1 and d.dayOfMonth() == 1) for d in official)
        later = cal.holidayList(ql.Date(1, 1, CN_LAST_OFFICIAL_YEAR + 1), ql.Date(31, 12, 2150))
        assert all(d.month() == 1 and d.dayOfMonth() == 1 for d in later)
    cn = calendar("CN-IB")
    assert cn.last_official_year == CN_LAST_OFFICIAL_YEAR
    assert cn.projected_years == range(CN_LAST_OFFICIAL_YEAR + 1, CN_PROJECTION_LAST_YEAR + 1)


# CN-IB weekday holidays of the first projected years, written out from the holidays
# library's China rules (holidays 0.109, category public, observed days included) and
# checked by hand against holidays.China(years=...): an independent literal expectation.
CN_IB_WEEKDAY_HOLIDAYS = {
    2027: [
        "2027-01-01",  # New Year's Day
        "2027-02-05",  # Spring Festival eve
        "2027-02-08",  # Spring Festival
        "2027-02-09",  # Spring Festival (observed)
        "2027-02-10",  # Spring Festival (observed)
        "2027-04-05",  # Qingming
        "2027-05-03",  # Labour Day (observed)
        "2027-05-04",  # Labour Day (observed)
        "2027-06-09",  # Dragon Boat
        "2027-09-15",  # Mid-Autumn
        "2027-10-01",  # National Day
        "2027-10-04",  # National Day (observed)
        "2027-10-05",  # National Day (observed)
    ],
    2028: [
        "2028-01-03",  # New Year's Day (observed)
        "2028-01-25",  # Spring Festival eve
        "2028-01-26",  # Spring Festival
        "2028-01-27",  # Spring Festival
        "2028-01-28",  # Spring Festival
        "2028-04-04",  # Qingming
        "2028-05-01",  # Labour Day
        "2028-05-02",  # Labour Day
        "2028-05-29",  # Dragon Boat (observed)
        "2028-10-02",  # National Day
        "2028-10-03",  # National Day and Mid-Autumn
        "2028-10-04",  # National Day (observed)
    ],
}


@pytest.mark.parametrize("year", sorted(CN_IB_WEEKDAY_HOLIDAYS))
def test_cn_ib_projected_weekday_holidays_are_the_literal_list(year: int) -> None:
    if year <= CN_LAST_OFFICIAL_YEAR:
        pytest.skip(f"{year} is an official QuantLib year in this QuantLib version")
    expected = np.array(CN_IB_WEEKDAY_HOLIDAYS[year], dtype="datetime64[D]")
    got = calendar("CN-IB").holidays(f"{year}-01-01", f"{year}-12-31")
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(
        calendar("CN-SSE").holidays(f"{year}-01-01", f"{year}-12-31"), expected
    )
    span = days(f"{year}-01-01", f"{year}-12-31")
    weekday = (span.astype(np.int64) + 3) % 7 < 5
    closed = span[weekday & ~calendar("CN-IB").is_business_day_array(span)]
    np.testing.assert_array_equal(closed, expected)


def test_cn_ib_required_dates() -> None:
    cn = calendar("CN-IB")
    assert cn.is_holiday("2026-10-01")
    assert not cn.is_business_day("2026-10-01")
    assert not cn.is_business_day("2027-10-01")
    assert not cn.is_business_day("2027-10-04")
    spring = china_2027_spring_festival_weekdays()
    assert {dt.date(2027, 2, 8), dt.date(2027, 2, 9), dt.date(2027, 2, 10)} <= set(spring)
    for day in spring:
        assert not cn.is_business_day(day), day
    assert cn.is_business_day("2027-03-10")
    assert cn.is_business_day(dt.date(2027, 3, 10))
    assert cn.is_business_day(np.datetime64("2027-03-10"))


@pytest.mark.parametrize(("name", "market"), [("CN-IB", ql.China.IB), ("CN-SSE", ql.China.SSE)])
def test_china_official_years_agree_with_quantlib_every_day(name: str, market: int) -> None:
    span = days("2020-01-01", f"{CN_LAST_OFFICIAL_YEAR}-12-31")
    ours = calendar(name).is_business_day_array(span)
    np.testing.assert_array_equal(ours, ql_flags(ql.China(market), span))


def test_cn_ib_keeps_make_up_working_weekends_in_official_years() -> None:
    cn, sse = calendar("CN-IB"), calendar("CN-SSE")
    for day in ("2026-01-04", "2026-02-14", "2026-10-10", "2025-09-28"):
        assert cn.is_weekend(day)
        assert cn.is_business_day(day)
        assert not sse.is_business_day(day)


@pytest.mark.parametrize("name", ["CN-IB", "CN-SSE"])
def test_projected_years_follow_the_holidays_library(name: str) -> None:
    cal = calendar(name)
    first = CN_LAST_OFFICIAL_YEAR + 1
    span = days(f"{first}-01-01", f"{CN_PROJECTION_LAST_YEAR}-12-31")
    rules = ChinaHolidays(years=range(first, CN_PROJECTION_LAST_YEAR + 1))  # type: ignore[no-untyped-call]
    rule_days = np.array(sorted(rules), dtype="datetime64[D]")
    weekday = (span.astype(np.int64) + 3) % 7
    expected = (weekday < 5) & ~np.isin(span, rule_days)
    np.testing.assert_array_equal(cal.is_business_day_array(span), expected)
    # No make-up working weekends are invented for projected years.
    assert not cal.is_business_day_array(span[weekday >= 5]).any()


def test_quantlib_shared_china_calendar_would_be_wrong_after_official_years() -> None:
    """Why projection exists: QuantLib's own China calendar treats 1 October as open."""
    year = CN_LAST_OFFICIAL_YEAR + 1
    national_day = ql.Date(1, 10, year)
    if national_day.weekday() in (ql.Saturday, ql.Sunday):
        pytest.skip("1 October falls on a weekend")
    assert ql.China(ql.China.IB).isBusinessDay(national_day)
    assert not calendar("CN-IB").is_business_day(f"{year}-10-01")


# -- QuantLib rule calendars -----------------------------------------------------------


def test_us_sofr_agrees_with_quantlib_every_day_2020_2035() -> None:
    span = days("2020-01-01", "2035-12-31")
    ours = calendar("US-SOFR").is_business_day_array(span)
    np.testing.assert_array_equal(ours, ql_flags(ql.UnitedStates(ql.UnitedStates.SOFR), span))


@pytest.mark.parametrize("name", sorted(QL_RULE_CALENDARS))
def test_rule_calendars_agree_with_quantlib(name: str) -> None:
    span = days("2020-01-01", "2040-12-31")[::3]
    ours = calendar(name).is_business_day_array(span)
    np.testing.assert_array_equal(ours, ql_flags(QL_RULE_CALENDARS[name](), span))


@pytest.mark.parametrize("name", CALENDAR_NAMES)
def test_quantlib_twin_matches_numpy_over_whole_coverage(name: str) -> None:
    cal = calendar(name)
    last = min(cal.last_date, dt.date(2199, 12, 30))  # holidayList cannot reach 2199-12-31
    listed = cal.ql.holidayList(ql.Date(1, 1, 1901), ql.Date(last.day, last.month, last.year), True)
    ql_days = np.array([from_qd(d) for d in listed], dtype="datetime64[D]")
    np.testing.assert_array_equal(ql_days, cal.holidays("1901-01-01", last, include_weekends=True))
    assert isinstance(cal.ql, ql.BespokeCalendar)


# -- isolation and caching -------------------------------------------------------------


def test_tables_never_leak_into_quantlib_or_other_builds() -> None:
    extra = "2027-03-10"  # an ordinary Wednesday
    before_shared = ql.China(ql.China.IB).isBusinessDay(ql.Date(10, 3, 2027))
    with_table = calendar("CN-IB", HolidayTable.from_dates(holidays=[extra]))
    assert not with_table.is_business_day(extra)
    assert not with_table.ql.isBusinessDay(ql.Date(10, 3, 2027))
    # The default build, a rebuilt default, QuantLib's shared China calendars and the
    # other computefin calendars are untouched.
    assert calendar("CN-IB").is_business_day(extra)
    assert calendar("CN-IB").ql.isBusinessDay(ql.Date(10, 3, 2027))
    assert ql.China(ql.China.IB).isBusinessDay(ql.Date(10, 3, 2027)) == before_shared
    assert ql.China(ql.China.IB).isBusinessDay(ql.Date(10, 3, 2027))
    assert ql.China(ql.China.SSE).isBusinessDay(ql.Date(10, 3, 2027))
    assert calendar("CN-SSE").is_business_day(extra)
    # Another table gets only its own dates.
    other = calendar("CN-IB", HolidayTable.from_dates(holidays=["2027-03-11"]))
    assert other.is_business_day(extra)
    assert not other.is_business_day("2027-03-11")
    assert with_table.is_business_day("2027-03-11")
    assert with_table.identifier != other.identifier != "CN-IB"


def test_fresh_builds_are_identical_and_do_not_double_add() -> None:
    from computefin.pricing import calendars as module

    table = HolidayTable.from_dates(holidays=["2027-03-10"], business_days=["2027-09-26"])
    first = module._build("CN-IB", table)
    second = module._build("CN-IB", table)
    assert first is not second
    np.testing.assert_array_equal(
        first.holidays("1901-01-01", "2099-12-31", include_weekends=True),
        second.holidays("1901-01-01", "2099-12-31", include_weekends=True),
    )
    default = module._build("CN-IB", None)
    diff = np.setxor1d(
        first.holidays("2027-01-01", "2027-12-31", include_weekends=True),
        default.holidays("2027-01-01", "2027-12-31", include_weekends=True),
    )
    np.testing.assert_array_equal(diff, np.array(["2027-03-10", "2027-09-26"], "datetime64[D]"))


def test_builds_are_cached_and_read_only() -> None:
    assert calendar("CN-IB") is calendar("cn-ib")
    table = HolidayTable.from_dates(holidays=["2027-03-10"])
    again = HolidayTable.from_dates(holidays=[dt.date(2027, 3, 10)])
    assert calendar("CN-IB", table) is calendar("CN-IB", again)
    assert calendar("CN-IB", HolidayTable()) is calendar("CN-IB")
    cal = calendar("CN-IB")
    with pytest.raises(AttributeError):
        cal.name = "X"  # type: ignore[misc]
    span = cal.holidays("2027-01-01", "2027-12-31")
    span[0] = np.datetime64("2000-01-01")  # a copy: the calendar is unchanged
    assert cal.holidays("2027-01-01", "2027-12-31")[0] == np.datetime64("2027-01-01")


def test_cached_calendar_names_its_own_table_source(tmp_path: Path) -> None:
    """Equal tables from different sources: each calendar's sources name its own."""
    first, second = tmp_path / "bank_a.csv", tmp_path / "bank_b.csv"
    for path in (first, second):
        path.write_text("date,kind\n2027-03-11,holiday\n")
    cal_a, cal_b = calendar("CN-IB", first), calendar("CN-IB", second)
    assert str(first) in cal_a.sources[-1]
    assert str(second) in cal_b.sources[-1]
    assert str(first) not in cal_b.sources[-1]
    assert cal_a.holiday_table is not None
    assert cal_a.holiday_table.source == str(first)
    assert cal_b.holiday_table is not None
    assert cal_b.holiday_table.source == str(second)
    # Same dates, so the same identifier and the same answers.
    assert cal_a.identifier == cal_b.identifier
    assert not cal_a.is_business_day("2027-03-11")
    assert not cal_b.is_business_day("2027-03-11")
    assert calendar("CN-IB", first) is cal_a  # same dates, same source: cached


@pytest.mark.parametrize("name", ["US-SOFR", "CN-IB"])
def test_mutating_ql_cannot_change_computefin_answers(name: str) -> None:
    """``.ql`` is a copy: holidays a caller adds to it affect nothing else."""
    day = "2027-03-10"  # an ordinary Wednesday
    cal = calendar(name)
    before = make_schedule("2027-01-10", "2028-01-10", "monthly", cal, convention="following")
    leaked = cal.ql
    leaked.addHoliday(ql.Date(10, 3, 2027))
    leaked.removeHoliday(ql.Date(1, 10, 2027))
    assert not leaked.isBusinessDay(ql.Date(10, 3, 2027))  # the caller's copy changed
    for fresh in (cal, calendar(name)):
        assert fresh.is_business_day(day)
        assert fresh.adjust(day, "following") == dt.date(2027, 3, 10)
        assert fresh.advance("2027-03-09", 1) == dt.date(2027, 3, 10)
        np.testing.assert_array_equal(
            fresh.adjust_array(np.array([day], dtype="datetime64[D]")),
            np.array([day], dtype="datetime64[D]"),
        )
        assert fresh.ql.isBusinessDay(ql.Date(10, 3, 2027))
        after = make_schedule("2027-01-10", "2028-01-10", "monthly", fresh, convention="following")
        np.testing.assert_array_equal(after.dates, before.dates)
        assert np.datetime64(day) in after.dates
    assert cal.ql is not cal.ql
    assert cal.ql.name() == cal.identifier


def test_pickle_round_trip_rebuilds() -> None:
    table = HolidayTable.from_dates(holidays=["2027-03-10"])
    cal = calendar("CN-IB", table)
    back = pickle.loads(pickle.dumps(cal))
    assert isinstance(back, MarketCalendar)
    assert back.identifier == cal.identifier
    assert not back.is_business_day("2027-03-10")


# -- bank holiday tables ----------------------------------------------------------------


def test_csv_table_overrides_projection_and_official_years() -> None:
    path = DATA / "cn_ib_2027_example.csv"
    cal = calendar("CN-IB", path)
    assert cal.holiday_table is not None
    assert len(cal.holiday_table) == 6
    for holiday in ("2027-02-11", "2027-10-06", "2027-10-07"):
        assert not cal.is_business_day(holiday)
    for working in ("2027-02-20", "2027-09-26", "2027-10-09"):
        assert cal.is_weekend(working)
        assert cal.is_business_day(working)
        assert cal.ql.isBusinessDay(ql.Date(int(working[8:]), int(working[5:7]), 2027))
    assert not cal.is_business_day("2027-10-04")  # the projection stays where not overridden
    assert calendar("CN-IB", str(path)) is cal
    assert "bank holiday table" in cal.sources[-1]


def test_table_can_unholiday_projected_and_official_dates() -> None:
    frame = pd.DataFrame(
        {"date": ["2027-10-04", "2026-10-01", "2025-03-12"], "kind": ["business_day", "", None]}
    )
    frame.loc[1, "kind"] = "business_day"
    cal = calendar("CN-IB", frame)
    assert cal.is_business_day("2027-10-04")
    assert cal.is_business_day("2026-10-01")
    assert not cal.is_business_day("2025-03-12")  # blank kind means holiday


def test_table_without_kind_column_means_holidays() -> None:
    table = HolidayTable.from_frame(pd.DataFrame({"DATE": ["2027-03-10", "2027-03-10"]}))
    assert table.holidays == (dt.date(2027, 3, 10),)
    assert table.to_frame().to_dict("list") == {"date": ["2027-03-10"], "kind": ["holiday"]}


def test_bad_tables_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        HolidayTable.from_frame(
            pd.DataFrame({"date": ["2027-13-01", "2027-10-06"], "kind": ["holiday", "closed"]})
        )
    assert info.value.fields == ("holiday_table.date", "holiday_table.kind")
    with pytest.raises(ValidationError, match="both as holiday and as business_day"):
        HolidayTable.from_dates(holidays=["2027-10-06"], business_days=["2027-10-06"])
    with pytest.raises(ValidationError, match="'date' column"):
        HolidayTable.from_frame(pd.DataFrame({"day": ["2027-10-06"]}))
    with pytest.raises(ValidationError, match="file not found"):
        calendar("CN-IB", tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ValidationError, match="cannot read CSV"):
        HolidayTable.from_csv(empty)
    with pytest.raises(ValidationError, match="coverage"):
        calendar("CN-IB", HolidayTable.from_dates(holidays=["2100-10-01"]))
    with pytest.raises(ValidationError):
        calendar("CN-IB", 42)  # type: ignore[arg-type]


# -- operations against QuantLib on random samples --------------------------------------


def random_days(rng: np.random.Generator, n: int, start: str, end: str) -> np.ndarray:
    lo, hi = np.datetime64(start).astype(np.int64), np.datetime64(end).astype(np.int64)
    return rng.integers(lo, hi + 1, size=n).astype("datetime64[D]")


REFERENCES = [
    ("US-SOFR", lambda: ql.UnitedStates(ql.UnitedStates.SOFR), "2020-01-01", "2060-12-31"),
    ("TARGET", ql.TARGET, "2020-01-01", "2060-12-31"),
    ("CN-IB", lambda: ql.China(ql.China.IB), "2020-01-01", f"{CN_LAST_OFFICIAL_YEAR}-12-20"),
    ("CN-IB", lambda: calendar("CN-IB").ql, "2020-01-01", "2060-12-31"),
]


@pytest.mark.parametrize(("name", "factory", "start", "end"), REFERENCES)
def test_adjust_matches_quantlib(name: str, factory: object, start: str, end: str) -> None:
    rng = np.random.default_rng(20260701)
    cal, ref = calendar(name), factory()  # type: ignore[operator]
    sample = random_days(rng, 300, start, end)
    for convention, ql_conv in CONVENTIONS.items():
        expected = [from_qd(ref.adjust(qd(d), ql_conv)) for d in sample]
        assert [cal.adjust(d, convention) for d in sample] == expected
        np.testing.assert_array_equal(
            cal.adjust_array(sample, convention), np.array(expected, dtype="datetime64[D]")
        )


@pytest.mark.parametrize(("name", "factory", "start", "end"), REFERENCES)
def test_advance_matches_quantlib(name: str, factory: object, start: str, end: str) -> None:
    rng = np.random.default_rng(7)
    cal, ref = calendar(name), factory()  # type: ignore[operator]
    units = {"D": ql.Days, "W": ql.Weeks, "M": ql.Months, "Y": ql.Years}
    for day in random_days(rng, 300, start, end):
        unit = str(rng.choice(list(units)))
        n = int(rng.integers(-3, 4)) if unit == "Y" else int(rng.integers(-12, 13))
        convention = str(rng.choice(list(CONVENTIONS)))
        eom = bool(rng.random() < 0.5)
        moved = ref.advance(qd(day), n, units[unit], CONVENTIONS[convention], eom)
        end_date = from_qd(moved)
        if not dt.date.fromisoformat(start) <= end_date <= dt.date.fromisoformat(end):
            continue  # outside the reference's trusted range
        assert cal.advance(day, n, unit, convention, eom) == end_date
        if n and unit != "D":
            assert cal.advance(day, f"{n}{unit}", convention=convention, end_of_month=eom) == (
                end_date
            )


@pytest.mark.parametrize(("name", "factory", "start", "end"), REFERENCES)
def test_business_days_between_matches_quantlib(
    name: str, factory: object, start: str, end: str
) -> None:
    rng = np.random.default_rng(11)
    cal, ref = calendar(name), factory()  # type: ignore[operator]
    a = random_days(rng, 200, start, end)
    b = a + rng.integers(-60, 61, size=a.size).astype("timedelta64[D]")
    b = np.clip(b, np.datetime64(start), np.datetime64(end))
    for include_first in (True, False):
        for include_last in (True, False):
            expected = [
                ref.businessDaysBetween(qd(x), qd(y), include_first, include_last)
                for x, y in zip(a, b, strict=True)
            ]
            got = cal.business_days_between_array(a, b, include_first, include_last)
            np.testing.assert_array_equal(got, expected)
            assert (
                cal.business_days_between(a[0], b[0], include_first, include_last) == (expected[0])
            )


def test_holidays_list_matches_quantlib() -> None:
    cal = calendar("US-SOFR")
    ref = ql.UnitedStates(ql.UnitedStates.SOFR)
    for include_weekends in (False, True):
        expected = [
            from_qd(d)
            for d in ref.holidayList(ql.Date(1, 1, 2026), ql.Date(31, 12, 2030), include_weekends)
        ]
        got = cal.holidays("2026-01-01", "2030-12-31", include_weekends)
        np.testing.assert_array_equal(got, np.array(expected, dtype="datetime64[D]"))


def test_names_are_case_insensitive_and_empty_arrays_give_empty_results() -> None:
    cal = calendar("cn-ib")
    assert cal.adjust("2027-10-01", "Modified Following") == cal.adjust(
        "2027-10-01", "modified_following"
    )
    assert cal.adjust("2027-10-01", "FOLLOWING") == dt.date(2027, 10, 6)
    assert cal.advance("2027-09-30", "1d") == dt.date(2027, 10, 6)
    assert cal.advance("2027-09-30", 1, "day") == dt.date(2027, 10, 6)
    empty = np.array([], dtype="datetime64[D]")
    assert cal.is_business_day_array(empty).shape == (0,)
    assert cal.adjust_array([]).dtype == np.dtype("datetime64[D]")
    assert cal.adjust_array([]).shape == (0,)
    assert cal.business_days_between_array(empty, "2027-01-01").shape == (0,)
    assert cal.is_business_day_array(np.empty((0, 3), dtype="datetime64[D]")).shape == (0, 3)


def test_array_api_keeps_shape_and_accepts_date_likes() -> None:
    cal = calendar("CN-IB")
    grid = days("2027-09-27", "2027-10-10").reshape(2, 7)
    flags = cal.is_business_day_array(grid)
    assert flags.shape == (2, 7)
    assert flags.sum() == 7  # 27-30 Sep and 6-8 Oct
    assert cal.is_business_day_array(["2027-10-01", dt.date(2027, 10, 6)]).tolist() == [
        False,
        True,
    ]


# -- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: calendar("CN-XX"), "calendar"),
        (lambda: calendar(None), "calendar"),  # type: ignore[arg-type]
        (lambda: calendar("CN-IB").is_business_day("2027-02-30"), "date"),
        (lambda: calendar("CN-IB").is_business_day("2027-2-3"), "date"),
        (lambda: calendar("CN-IB").is_business_day(20270203), "date"),  # type: ignore[arg-type]
        (lambda: calendar("CN-IB").is_business_day(True), "date"),  # type: ignore[arg-type]
        (lambda: calendar("CN-IB").is_business_day(np.int64(3)), "date"),  # type: ignore[arg-type]
        (lambda: calendar("US-SOFR").is_business_day("1800-01-01"), "date"),
        (lambda: calendar("US-SOFR").is_business_day("2027-10-01T00:00"), "date"),
        (lambda: calendar("CN-IB").is_business_day(ql.Date()), "date"),
        (lambda: calendar("CN-IB").advance("2027-01-04", "99999999999M"), "tenor"),
        (lambda: calendar("CN-IB").advance("2027-01-04", 99999999999, "M"), "n"),
        (lambda: calendar("CN-IB").advance("2027-01-04", "TN"), "tenor"),
        (lambda: calendar("CN-IB").advance("2027-01-04", "0M"), "tenor"),
        (lambda: calendar("CN-IB").advance("2027-01-04", "1M", convention="nearest"), "convention"),
        (lambda: calendar("US-SOFR").is_business_day_array([np.datetime64("2300-01-01")]), "dates"),
        (lambda: calendar("US-SOFR").is_business_day_array([1.5]), "dates"),
        (lambda: calendar("CN-IB").is_business_day(np.datetime64("NaT")), "date"),
        (lambda: calendar("CN-IB").is_business_day("2100-01-04"), "date"),
        (lambda: calendar("CN-IB").adjust("2027-10-01", "nearest"), "convention"),
        (lambda: calendar("CN-IB").advance("2027-10-01", 1, "Q"), "unit"),
        (lambda: calendar("CN-IB").advance("2027-10-01", 1.5), "n"),  # type: ignore[arg-type]
        (lambda: calendar("CN-IB").advance("2027-10-01", "3X"), "tenor"),
        (lambda: calendar("CN-IB").advance("2027-10-01", "3M", "M"), "unit"),
        (lambda: calendar("CN-IB").advance("2099-12-01", "2M"), "date"),
        (lambda: calendar("US-SOFR").advance("2199-12-01", "2M"), "n"),
        (lambda: calendar("CN-IB").is_business_day_array(np.array([1, 2])), "dates"),
        (lambda: calendar("CN-IB").is_business_day_array(["2027-10"]), "dates"),
        (
            lambda: calendar("CN-IB").is_business_day_array(
                np.array(["2027-10-01", "NaT"], dtype="datetime64[D]")
            ),
            "dates",
        ),
        (lambda: calendar("CN-IB").adjust_array(["2100-01-04"]), "dates"),
        (lambda: calendar("CN-IB").holidays("2027-01-01", "2100-01-01"), "end"),
    ],
)
def test_bad_input_raises_validation_error(call: object, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        call()  # type: ignore[operator]
    assert info.value.fields[0] == field
