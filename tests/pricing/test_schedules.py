"""Schedules against ql.Schedule on random samples, stubs, validation and properties."""

from __future__ import annotations

import datetime as dt
import itertools
import pickle
from typing import Any

import numpy as np
import pandas as pd
import pytest
import QuantLib as ql
from hypothesis import given, settings
from hypothesis import strategies as st

from computefin.domain.conventions import DayCount, Frequency, StubRule
from computefin.errors import ValidationError
from computefin.pricing.calendars import calendar
from computefin.pricing.schedules import Schedule, make_schedule

EPOCH = 25569  # QuantLib serial number of 1970-01-01
FREQUENCIES = {
    "monthly": ql.Monthly,
    "quarterly": ql.Quarterly,
    "semiannual": ql.Semiannual,
    "annual": ql.Annual,
}
CONVENTIONS = {
    "following": ql.Following,
    "modified_following": ql.ModifiedFollowing,
    "preceding": ql.Preceding,
    "modified_preceding": ql.ModifiedPreceding,
    "unadjusted": ql.Unadjusted,
}
DAY_COUNTERS = {
    DayCount.ACT_365F: ql.Actual365Fixed(),
    DayCount.ACT_360: ql.Actual360(),
    DayCount.THIRTY_360: ql.Thirty360(ql.Thirty360.BondBasis),
    DayCount.ACT_ACT: ql.ActualActual(ql.ActualActual.ISDA),
}
# Reference calendars: QuantLib's own where it is the source; for CN-IB the calendar's
# QuantLib twin (its days are checked against ql.China and the holidays library in
# test_calendars.py).
REFERENCE_CALENDARS = {
    "US-SOFR": lambda: ql.UnitedStates(ql.UnitedStates.SOFR),
    "TARGET": ql.TARGET,
    "CN-IB": lambda: calendar("CN-IB").ql,
}


def qd(day: int) -> ql.Date:
    return ql.Date(int(day) + EPOCH)


def ql_days(schedule: ql.Schedule) -> np.ndarray:
    return np.array([d.serialNumber() - EPOCH for d in schedule.dates()], dtype=np.int64)


def reference_schedule(case: dict[str, Any]) -> ql.Schedule:
    """ql.Schedule for a case; long stubs via QuantLib's firstDate / nextToLastDate."""
    rule = (
        ql.DateGeneration.Backward if case["stub"].endswith("front") else ql.DateGeneration.Forward
    )
    conv = CONVENTIONS[case["convention"]]
    term = CONVENTIONS[case["termination_convention"] or case["convention"]]
    args = (
        qd(case["start"]),
        qd(case["end"]),
        ql.Period(FREQUENCIES[case["frequency"]]),
        REFERENCE_CALENDARS[case["calendar"]](),
        conv,
        term,
        rule,
        case["end_of_month"],
    )
    short = ql.Schedule(*args)
    n = len(short)
    if n < 3 or not case["stub"].startswith("long"):
        return short
    grid = ql.Schedule(
        *args[:3], ql.NullCalendar(), ql.Unadjusted, ql.Unadjusted, rule, case["end_of_month"]
    )
    if case["stub"] == "long_front" and not short.isRegular(1):
        return ql.Schedule(*args, grid.dates()[2], ql.Date())
    if case["stub"] == "long_back" and not short.isRegular(n - 1):
        return ql.Schedule(*args, ql.Date(), grid.dates()[len(grid) - 3])
    return short


def random_cases(seed: int, n: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    lo = np.datetime64("2020-01-01").astype(np.int64)
    hi = np.datetime64("2058-12-31").astype(np.int64)
    cases = []
    for _ in range(n):
        start = int(rng.integers(lo, hi))
        if rng.random() < 0.3:  # month ends exercise end-of-month rules
            month = np.datetime64(start, "D").astype("datetime64[M]") + 1
            start = int(month.astype("datetime64[D]").astype(np.int64)) - 1
        cases.append(
            {
                "start": start,
                "end": start + int(rng.integers(1, 3653)),
                "frequency": str(rng.choice(list(FREQUENCIES))),
                "calendar": str(rng.choice(list(REFERENCE_CALENDARS))),
                "convention": str(rng.choice(list(CONVENTIONS))),
                "termination_convention": (
                    None if rng.random() < 0.3 else str(rng.choice(list(CONVENTIONS)))
                ),
                "end_of_month": bool(rng.random() < 0.5),
                "stub": str(rng.choice([s.value for s in StubRule])),
            }
        )
    return cases


def build(case: dict[str, Any]) -> Schedule:
    return make_schedule(
        np.datetime64(case["start"], "D"),
        np.datetime64(case["end"], "D"),
        case["frequency"],
        calendar=case["calendar"],
        convention=case["convention"],
        termination_convention=case["termination_convention"],
        end_of_month=case["end_of_month"],
        stub=case["stub"],
    )


CASES = random_cases(seed=20260701, n=400)


def test_random_schedules_match_quantlib_dates_flags_and_year_fractions() -> None:
    merged = 0
    for case in CASES:
        try:
            ref = reference_schedule(case)
        except RuntimeError:  # QuantLib rejects it (a degenerate one-date schedule)
            with pytest.raises(ValidationError):
                build(case)
            continue
        ours = build(case)
        expected = ql_days(ref)
        np.testing.assert_array_equal(ours.dates.astype(np.int64), expected, err_msg=str(case))
        regular = [ref.isRegular(i) for i in range(1, len(ref))]
        np.testing.assert_array_equal(ours.is_regular, regular, err_msg=str(case))
        merged += case["stub"].startswith("long") and not all(regular)
        for dc, counter in DAY_COUNTERS.items():
            want = [counter.yearFraction(qd(a), qd(b)) for a, b in itertools.pairwise(expected)]
            np.testing.assert_allclose(ours.year_fractions(dc), want, rtol=0, atol=1e-12)
    assert merged > 50  # long stubs were exercised, not only whole-period terms


def test_unadjusted_dates_are_the_null_calendar_schedule_and_adjust_to_dates() -> None:
    checked = 0
    for case in CASES:
        try:
            ours = build(case)
        except ValidationError:
            continue
        rule = (
            ql.DateGeneration.Backward
            if case["stub"].endswith("front")
            else ql.DateGeneration.Forward
        )
        raw = ql_days(
            ql.Schedule(
                qd(case["start"]),
                qd(case["end"]),
                ql.Period(FREQUENCIES[case["frequency"]]),
                ql.NullCalendar(),
                ql.Unadjusted,
                ql.Unadjusted,
                rule,
                case["end_of_month"],
            )
        )
        unadjusted = ours.unadjusted_dates
        if not case["end_of_month"]:
            assert set(unadjusted.astype(np.int64)) <= set(raw)
        assert unadjusted[0] == np.datetime64(case["start"], "D")
        assert unadjusted[-1] == np.datetime64(case["end"], "D")
        assert unadjusted.size == ours.dates.size
        cal = calendar(case["calendar"])
        conv = case["convention"]
        term = case["termination_convention"] or conv
        np.testing.assert_array_equal(cal.adjust_array(unadjusted[:-1], conv), ours.dates[:-1])
        assert cal.adjust(unadjusted[-1], term) == ours.dates[-1].astype(dt.date)
        checked += 1
    assert checked > 100


def test_year_fractions_on_unadjusted_dates() -> None:
    s = make_schedule("2027-01-31", "2028-01-31", "quarterly", "US-SOFR", end_of_month=True)
    np.testing.assert_array_equal(s.year_fractions("30/360", adjusted=False), [0.25] * 4)
    assert s.unadjusted_dates.tolist() == [
        dt.date(2027, 1, 31),
        dt.date(2027, 4, 30),
        dt.date(2027, 7, 31),
        dt.date(2027, 10, 31),
        dt.date(2028, 1, 31),
    ]
    # Adjusted: end of month rolls to the last business day.
    assert s.dates[2] == np.datetime64("2027-07-30")


@pytest.mark.parametrize(
    ("stub", "expected", "regular"),
    [
        ("short_front", ["2027-03-10", "2027-04-15", "2027-07-15", "2027-10-15"], [0, 1, 1]),
        ("long_front", ["2027-03-10", "2027-07-15", "2027-10-15"], [0, 1]),
        ("short_back", ["2027-03-10", "2027-06-10", "2027-09-10", "2027-10-15"], [1, 1, 0]),
        ("long_back", ["2027-03-10", "2027-06-10", "2027-10-15"], [1, 0]),
    ],
)
def test_stub_rules(stub: str, expected: list[str], regular: list[int]) -> None:
    s = make_schedule("2027-03-10", "2027-10-15", "quarterly", "TARGET", stub=stub)
    np.testing.assert_array_equal(s.dates, np.array(expected, dtype="datetime64[D]"))
    np.testing.assert_array_equal(s.is_regular, np.array(regular, dtype=bool))
    np.testing.assert_array_equal(s.start_dates, s.dates[:-1])
    np.testing.assert_array_equal(s.end_dates, s.dates[1:])


def test_single_short_period_is_not_merged() -> None:
    s = make_schedule("2027-03-10", "2027-04-15", "quarterly", "TARGET", stub="long_front")
    assert s.n_periods == 1
    assert not s.is_regular[0]


def test_explicit_first_and_next_to_last_dates_match_quantlib() -> None:
    s = make_schedule(
        "2027-03-10",
        "2029-03-10",
        "semiannual",
        "US-SOFR",
        stub="long_front",
        first_date="2027-05-20",
        next_to_last_date="2028-12-01",
    )
    ref = ql.Schedule(
        ql.Date(10, 3, 2027),
        ql.Date(10, 3, 2029),
        ql.Period(ql.Semiannual),
        ql.UnitedStates(ql.UnitedStates.SOFR),
        ql.ModifiedFollowing,
        ql.ModifiedFollowing,
        ql.DateGeneration.Backward,
        False,
        ql.Date(20, 5, 2027),
        ql.Date(1, 12, 2028),
    )
    np.testing.assert_array_equal(s.dates.astype(np.int64), ql_days(ref))
    assert s.first_date == dt.date(2027, 5, 20)


def test_stub_vanishing_after_adjustment_follows_quantlib() -> None:
    """A 2-day stub whose two dates adjust to the same day: QuantLib keeps one date."""
    s = make_schedule("2027-10-01", "2028-10-03", "annual", "CN-IB", convention="following")
    ref = ql.Schedule(
        ql.Date(1, 10, 2027),
        ql.Date(3, 10, 2028),
        ql.Period(ql.Annual),
        calendar("CN-IB").ql,
        ql.Following,
        ql.Following,
        ql.DateGeneration.Backward,
        False,
    )
    np.testing.assert_array_equal(s.dates.astype(np.int64), ql_days(ref))
    assert s.dates.size == s.unadjusted_dates.size == 2
    assert s.dates[0] == np.datetime64("2027-10-06")  # 1 and 3 Oct both adjust to 6 Oct
    assert s.unadjusted_dates[0] == np.datetime64("2027-10-01")
    assert s.is_regular.tolist() == [True]


def test_china_schedule_skips_projected_holidays() -> None:
    s = make_schedule("2026-10-01", "2029-10-01", "annual", "CN-IB", convention="following")
    np.testing.assert_array_equal(
        s.dates, np.array(["2026-10-08", "2027-10-06", "2028-10-05", "2029-10-04"], "datetime64[D]")
    )


def test_frame_pickle_and_read_only() -> None:
    s = make_schedule("2027-01-15", "2029-01-15", "semiannual", "CN-IB")
    frame = s.to_frame("ACT/ACT")
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == [
        "start_date",
        "end_date",
        "unadjusted_start",
        "unadjusted_end",
        "is_regular",
        "days",
        "year_fraction",
    ]
    assert len(frame) == s.n_periods == 4
    np.testing.assert_array_equal(frame["year_fraction"].to_numpy(), s.year_fractions("ACT/ACT"))
    assert "year_fraction" not in s.to_frame().columns
    back = pickle.loads(pickle.dumps(s))
    np.testing.assert_array_equal(back.dates, s.dates)
    assert back.frequency is Frequency.SEMIANNUAL
    with pytest.raises(ValueError, match="read-only"):
        s.dates[0] = np.datetime64("2000-01-01")
    with pytest.raises(AttributeError):
        s.stub = StubRule.LONG_BACK  # type: ignore[misc]


def test_calendar_object_and_holiday_table_are_honoured() -> None:
    table_cal = calendar("CN-IB", pd.DataFrame({"date": ["2027-07-15"]}))
    s = make_schedule("2027-01-15", "2028-01-15", "semiannual", table_cal)
    assert s.dates[1] == np.datetime64("2027-07-16")
    assert s.calendar == table_cal.identifier
    assert make_schedule("2027-01-15", "2028-01-15", "semiannual").dates[1] == np.datetime64(
        "2027-07-15"
    )


# -- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "fields"),
    [
        ({"end": "2027-01-15"}, ("end",)),
        ({"end": "2026-12-31"}, ("end",)),
        ({"start": "2027-02-30"}, ("start",)),
        ({"start": None}, ("start",)),
        ({"frequency": "weekly"}, ("frequency",)),
        ({"frequency": "3M"}, ("frequency",)),
        ({"calendar": "CN-XX"}, ("calendar",)),
        ({"convention": "nearest"}, ("convention",)),
        ({"termination_convention": "nearest"}, ("termination_convention",)),
        ({"stub": "middle"}, ("stub",)),
        ({"end_of_month": "yes"}, ("end_of_month",)),
        ({"first_date": "2027-01-10"}, ("first_date",)),
        ({"first_date": "2031-01-10"}, ("first_date",)),
        ({"next_to_last_date": "2030-01-15"}, ("next_to_last_date",)),
        (
            {"first_date": "2028-06-01", "next_to_last_date": "2028-01-01"},
            ("next_to_last_date",),
        ),
        ({"end": "2100-01-15"}, ("end",)),
        ({"start": "1899-01-01"}, ("start",)),
        ({"frequency": "weekly", "calendar": "XX", "end": "2026-01-01"}, None),
    ],
)
def test_bad_inputs_name_the_field(kwargs: dict[str, Any], fields: tuple[str, ...] | None) -> None:
    args: dict[str, Any] = {
        "start": "2027-01-15",
        "end": "2030-01-15",
        "frequency": "quarterly",
        "calendar": "CN-IB",
    }
    args.update(kwargs)
    with pytest.raises(ValidationError) as info:
        make_schedule(**args)
    if fields is None:
        assert set(info.value.fields) == {"frequency", "calendar", "end"}
    else:
        assert info.value.fields == fields


def test_schedule_running_past_coverage_is_rejected() -> None:
    # 2099-12-31 is the last covered day; declared a holiday, following it needs 2100.
    cal = calendar("CN-IB", pd.DataFrame({"date": ["2099-12-31"]}))
    with pytest.raises(ValidationError, match="coverage") as info:
        make_schedule("2099-06-30", "2099-12-31", "quarterly", cal, convention="following")
    assert info.value.fields == ("end",)


DATES = st.dates(dt.date(1990, 1, 1), dt.date(2120, 12, 31))
JUNK = st.one_of(st.text(max_size=10), st.integers(), st.none(), st.floats(allow_nan=True))


@settings(max_examples=150, deadline=None)
@given(
    start=DATES,
    end=DATES,
    frequency=st.one_of(st.sampled_from([f.value for f in Frequency]), JUNK),
    cal=st.one_of(st.sampled_from(["CN-IB", "US-SOFR", "TARGET"]), JUNK),
    stub=st.one_of(st.sampled_from([s.value for s in StubRule]), JUNK),
    first=st.one_of(st.none(), DATES),
)
def test_any_input_gives_a_schedule_or_a_validation_error(
    start: dt.date, end: dt.date, frequency: Any, cal: Any, stub: Any, first: dt.date | None
) -> None:
    try:
        s = make_schedule(start, end, frequency, calendar=cal, stub=stub, first_date=first)
    except ValidationError as exc:
        fields = exc.fields
        assert fields
        assert end > start or "end" in fields
        return
    assert end > start
    assert s.dates.size >= 2
    assert np.all(np.diff(s.dates.astype(np.int64)) > 0)
    assert s.is_regular.size == s.n_periods


@settings(max_examples=60, deadline=None)
@given(start=DATES, days=st.integers(-4000, 0))
def test_end_not_after_start_is_rejected(start: dt.date, days: int) -> None:
    end = start + dt.timedelta(days=days)
    with pytest.raises(ValidationError) as info:
        make_schedule(start, end, "monthly", "US-SOFR")
    assert "end" in info.value.fields


def test_start_and_end_on_the_same_business_day_are_rejected() -> None:
    """QuantLib would raise 'degenerate single date schedule'; the check comes first."""
    with pytest.raises(ValidationError, match="same business day") as info:
        make_schedule(
            "2046-11-30", "2046-12-01", "monthly", "TARGET", termination_convention="preceding"
        )
    assert info.value.fields == ("end",)
