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
from hypothesis import given, settings, strategies as st

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


def qd_or_null(day: int | None) -> ql.Date:
    return ql.Date() if day is None else qd(day)


def reference_schedule(case: dict[str, Any]) -> ql.Schedule:
    """ql.Schedule for a case; long stubs via QuantLib's firstDate / nextToLastDate.

    A caller's ``first_date`` / ``next_to_last_date`` go to QuantLib as they are; a long
    stub the caller did not fix is QuantLib's schedule with the stub date set on the
    regular (null-calendar) grid.
    """
    rule = (
        ql.DateGeneration.Backward if case["stub"].endswith("front") else ql.DateGeneration.Forward
    )
    conv = CONVENTIONS[case["convention"]]
    term = CONVENTIONS[case["termination_convention"] or case["convention"]]
    first, ntl = case.get("first_date"), case.get("next_to_last_date")
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
    short = ql.Schedule(*args, qd_or_null(first), qd_or_null(ntl))
    n = len(short)
    if n < 3 or not case["stub"].startswith("long"):
        return short
    grid = ql.Schedule(
        *args[:3],
        ql.NullCalendar(),
        ql.Unadjusted,
        ql.Unadjusted,
        rule,
        case["end_of_month"],
        qd_or_null(first),
        qd_or_null(ntl),
    )
    given = {qd_or_null(first), qd_or_null(ntl)}  # never merged away
    front = case["stub"] == "long_front" and first is None and not short.isRegular(1)
    if front and grid.dates()[1] not in given:
        return ql.Schedule(*args, grid.dates()[2], qd_or_null(ntl))
    back = case["stub"] == "long_back" and ntl is None and not short.isRegular(n - 1)
    if back and grid.dates()[len(grid) - 2] not in given:
        return ql.Schedule(*args, qd_or_null(first), grid.dates()[len(grid) - 3])
    return short


def month_end(day: int) -> int:
    month = np.datetime64(day, "D").astype("datetime64[M]")
    return int((month + 1).astype("datetime64[D]").astype(np.int64)) - 1


def strictly_increasing(days: np.ndarray) -> bool:
    return bool(np.all(np.diff(days.astype(np.int64)) > 0))


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
        end = start + int(rng.integers(1, 3653))
        eom = bool(rng.random() < 0.5)
        stub_dates: dict[str, int | None] = {"first_date": None, "next_to_last_date": None}
        if end - start > 2 and rng.random() < 0.35:  # a caller's stub date or two
            picks = sorted(int(d) for d in rng.integers(start + 1, end, size=2))
            if rng.random() < 0.5:  # often on a month end, valid with end_of_month
                picks = [min(month_end(d), end - 1) for d in picks]
            which = rng.random()
            if which < 0.4:
                stub_dates["first_date"] = picks[0]
            elif which < 0.8:
                stub_dates["next_to_last_date"] = picks[1]
            else:
                stub_dates["first_date"], stub_dates["next_to_last_date"] = picks
        cases.append(
            {
                "start": start,
                "end": end,
                "frequency": str(rng.choice(list(FREQUENCIES))),
                "calendar": str(rng.choice(list(REFERENCE_CALENDARS))),
                "convention": str(rng.choice(list(CONVENTIONS))),
                "termination_convention": (
                    None if rng.random() < 0.3 else str(rng.choice(list(CONVENTIONS)))
                ),
                "end_of_month": eom,
                "stub": str(rng.choice([s.value for s in StubRule])),
                **stub_dates,
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
        first_date=stub_date(case.get("first_date")),
        next_to_last_date=stub_date(case.get("next_to_last_date")),
    )


def stub_date(day: int | None) -> np.datetime64 | None:
    return None if day is None else np.datetime64(day, "D")


def off_month_end_stub(case: dict[str, Any]) -> bool:
    """end_of_month with a caller's stub date that is not a month end (rejected)."""
    stubs = [case.get("first_date"), case.get("next_to_last_date")]
    return case["end_of_month"] and any(d is not None and d != month_end(d) for d in stubs)


CASES = random_cases(seed=20260701, n=500)


def test_random_schedules_match_quantlib_dates_flags_and_year_fractions() -> None:
    merged = with_stub_dates = rejected = 0
    for case in CASES:
        if off_month_end_stub(case):
            with pytest.raises(ValidationError) as info:
                build(case)
            assert set(info.value.fields) <= {"first_date", "next_to_last_date"}, case
            rejected += 1
            continue
        try:
            ref = reference_schedule(case)
        except RuntimeError:  # QuantLib rejects it (a degenerate one-date schedule)
            with pytest.raises(ValidationError):
                build(case)
            continue
        expected = ql_days(ref)
        if not strictly_increasing(expected):  # QuantLib would repeat a date: refused
            with pytest.raises(ValidationError):
                build(case)
            continue
        ours = build(case)
        with_stub_dates += case["first_date"] is not None or case["next_to_last_date"] is not None
        np.testing.assert_array_equal(ours.dates.astype(np.int64), expected, err_msg=str(case))
        regular = [ref.isRegular(i) for i in range(1, len(ref))]
        np.testing.assert_array_equal(ours.is_regular, regular, err_msg=str(case))
        merged += case["stub"].startswith("long") and not all(regular)
        for dc, counter in DAY_COUNTERS.items():
            want = [counter.yearFraction(qd(a), qd(b)) for a, b in itertools.pairwise(expected)]
            np.testing.assert_allclose(ours.year_fractions(dc), want, rtol=0, atol=1e-12)
    assert merged > 50  # long stubs were exercised, not only whole-period terms
    assert with_stub_dates > 60
    assert rejected > 10


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
                qd_or_null(case["first_date"]),
                qd_or_null(case["next_to_last_date"]),
            )
        )
        unadjusted = ours.unadjusted_dates
        if not case["end_of_month"]:
            assert set(unadjusted.astype(np.int64)) <= set(raw)
        assert unadjusted[0] == np.datetime64(case["start"], "D")
        assert unadjusted[-1] == np.datetime64(case["end"], "D")
        assert unadjusted.size == ours.dates.size
        assert strictly_increasing(unadjusted), case
        cal = calendar(case["calendar"])
        for name in ("first_date", "next_to_last_date"):  # the caller's dates stay put
            day = case[name]
            if day is not None and ours.dates[0] < qd_np(day, case) < ours.dates[-1]:
                # ... unless QuantLib kept a regular date on the same business day.
                at = int(np.flatnonzero(ours.dates == qd_np(day, case))[0])
                kept = unadjusted[at]
                assert kept == np.datetime64(day, "D") or cal.adjust(
                    kept, case["convention"]
                ) == cal.adjust(np.datetime64(day, "D"), case["convention"]), (name, case)
        conv = case["convention"]
        term = case["termination_convention"] or conv
        np.testing.assert_array_equal(cal.adjust_array(unadjusted[:-1], conv), ours.dates[:-1])
        assert cal.adjust(unadjusted[-1], term) == ours.dates[-1].astype(dt.date)
        checked += 1
    assert checked > 100


def qd_np(day: int, case: dict[str, Any]) -> np.datetime64:
    """The caller's stub date adjusted by the case's convention."""
    cal = calendar(case["calendar"])
    return np.datetime64(cal.adjust(np.datetime64(day, "D"), case["convention"]), "D")


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


def test_end_of_month_with_a_stub_date_off_month_end_is_rejected() -> None:
    """QuantLib would move the caller's stub date to a month end: a repeated date..."""
    with pytest.raises(ValidationError, match="last day of its month") as info:
        make_schedule(
            "2027-01-15", "2028-01-31", "monthly", "US-SOFR", end_of_month=True,
            first_date="2027-02-10",
        )  # fmt: skip
    assert info.value.fields == ("first_date",)
    assert "2027-02-28" in str(info.value)
    # ... or a lost next-to-last date (QuantLib: 2027-12-10 becomes 2027-12-31).
    with pytest.raises(ValidationError) as info:
        make_schedule(
            "2027-01-31", "2028-01-20", "monthly", "US-SOFR", end_of_month=True,
            next_to_last_date="2027-12-10", stub="short_back",
        )  # fmt: skip
    assert info.value.fields == ("next_to_last_date",)
    # Without end_of_month the same stub dates are fine.
    s = make_schedule("2027-01-15", "2028-01-31", "monthly", "US-SOFR", first_date="2027-02-10")
    assert np.datetime64("2027-02-10") in s.dates
    assert strictly_increasing(s.dates)


def test_end_of_month_with_month_end_stub_dates_keeps_them() -> None:
    s = make_schedule(
        "2027-01-15", "2028-01-31", "monthly", "US-SOFR", end_of_month=True,
        first_date="2027-02-28", next_to_last_date="2027-10-31",
    )  # fmt: skip
    ref = ql.Schedule(
        ql.Date(15, 1, 2027), ql.Date(31, 1, 2028), ql.Period(ql.Monthly),
        ql.UnitedStates(ql.UnitedStates.SOFR), ql.ModifiedFollowing, ql.ModifiedFollowing,
        ql.DateGeneration.Backward, True, ql.Date(28, 2, 2027), ql.Date(31, 10, 2027),
    )  # fmt: skip
    np.testing.assert_array_equal(s.dates.astype(np.int64), ql_days(ref))
    assert strictly_increasing(s.dates)
    assert s.dates[1] == np.datetime64("2027-02-26")  # 28 Feb 2027 is a Sunday
    assert s.dates[-2] == np.datetime64("2027-10-29")  # 31 Oct 2027 is a Sunday
    assert s.unadjusted_dates[1] == np.datetime64("2027-02-28")
    assert s.unadjusted_dates[-2] == np.datetime64("2027-10-31")
    assert s.unadjusted_dates[2] == np.datetime64("2027-03-31")


def test_dates_that_do_not_strictly_increase_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The last line of defence: whatever QuantLib returns, no repeated date gets out."""

    class Repeating:
        def __init__(self, *args: object) -> None:
            self._dates = [ql.Date(15, 1, 2027), ql.Date(26, 2, 2027), ql.Date(26, 2, 2027)]
            self._dates.append(ql.Date(15, 4, 2027))

        def dates(self) -> list[ql.Date]:
            return self._dates

        def __len__(self) -> int:
            return len(self._dates)

        def isRegular(self, i: int) -> bool:  # noqa: N802 (QuantLib's name)
            return True

    monkeypatch.setattr(ql, "Schedule", Repeating)  # the module schedules.py calls
    with pytest.raises(ValidationError, match="strictly increase") as info:
        make_schedule("2027-01-15", "2027-04-15", "monthly", "US-SOFR")
    assert info.value.fields == ("schedule",)


@pytest.mark.parametrize(
    ("stub", "given"),
    [("long_front", "next_to_last_date"), ("long_back", "first_date")],
)
def test_long_stub_merge_never_removes_a_callers_date(stub: str, given: str) -> None:
    """Three dates, both periods odd: the merge would remove the caller's own date."""
    stub_date: dict[str, Any] = {given: "2027-03-01"}
    s = make_schedule("2027-01-15", "2027-04-15", "quarterly", "TARGET", stub=stub, **stub_date)
    np.testing.assert_array_equal(
        s.dates, np.array(["2027-01-15", "2027-03-01", "2027-04-15"], dtype="datetime64[D]")
    )
    assert s.is_regular.tolist() == [False, False]


def test_long_back_after_quantlib_already_merged_a_vanished_stub() -> None:
    """The 1-day stub (1 to 2 Oct 2050) collapses when 1 Oct rolls past the unadjusted
    end; QuantLib's last period is then 6 months and a day, and stays that long."""
    s = make_schedule(
        "2042-04-01", "2050-10-02", "semiannual", "US-SOFR", convention="following",
        termination_convention="unadjusted", end_of_month=True, stub="long_back",
    )  # fmt: skip
    np.testing.assert_array_equal(
        s.dates[-3:], np.array(["2049-10-01", "2050-04-01", "2050-10-02"], "datetime64[D]")
    )
    assert s.is_regular[-1] == np.False_
    ref = ql.Schedule(
        ql.Date(1, 4, 2042), ql.Date(2, 10, 2050), ql.Period(ql.Semiannual),
        ql.UnitedStates(ql.UnitedStates.SOFR), ql.Following, ql.Unadjusted,
        ql.DateGeneration.Forward, True, ql.Date(), ql.Date(1, 4, 2050),
    )  # fmt: skip
    np.testing.assert_array_equal(s.dates.astype(np.int64), ql_days(ref))


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
        ({"start": 20270115}, ("start",)),
        ({"start": True}, ("start",)),
        ({"end": np.datetime64("NaT")}, ("end",)),
        ({"first_date": "1800-01-01"}, ("first_date",)),
        ({"end_of_month": True, "first_date": "2027-03-15"}, ("first_date",)),
        ({"end_of_month": True, "next_to_last_date": "2029-11-29"}, ("next_to_last_date",)),
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
    eom=st.one_of(st.booleans(), JUNK),
    first=st.one_of(st.none(), DATES, JUNK),
    next_to_last=st.one_of(st.none(), DATES),
)
def test_any_input_gives_a_schedule_or_a_validation_error(
    start: dt.date,
    end: dt.date,
    frequency: Any,
    cal: Any,
    stub: Any,
    eom: Any,
    first: Any,
    next_to_last: dt.date | None,
) -> None:
    try:
        s = make_schedule(
            start,
            end,
            frequency,
            calendar=cal,
            stub=stub,
            end_of_month=eom,
            first_date=first,
            next_to_last_date=next_to_last,
        )
    except ValidationError as exc:
        fields = exc.fields
        assert fields
        assert end > start or "end" in fields
        return
    assert end > start
    assert s.dates.size >= 2
    assert strictly_increasing(s.dates)
    assert s.is_regular.size == s.n_periods


def day_of(value: np.datetime64) -> dt.date:
    return dt.date.fromisoformat(str(value))


def last_day(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


@st.composite
def stubbed_schedules(draw: st.DrawFn) -> dict[str, Any]:
    """Valid start/end with optional caller stub dates, often on month ends."""
    start = draw(st.dates(dt.date(1990, 1, 1), dt.date(2085, 12, 31)))
    if draw(st.booleans()):
        start = last_day(start)
    length = draw(st.integers(3, 4000))
    end = start + dt.timedelta(days=length)
    if draw(st.booleans()):
        end = last_day(end)

    def stub_date() -> dt.date | None:
        if draw(st.booleans()):
            return None
        day = start + dt.timedelta(days=draw(st.integers(1, (end - start).days - 1)))
        if draw(st.booleans()):
            day = last_day(day)
        return day if day < end else None

    first, next_to_last = stub_date(), stub_date()
    if first is not None and next_to_last is not None and next_to_last < first:
        first, next_to_last = next_to_last, first
    return {
        "start": start,
        "end": end,
        "frequency": draw(st.sampled_from([f.value for f in Frequency])),
        "calendar": draw(st.sampled_from(["CN-IB", "US-SOFR", "TARGET"])),
        "convention": draw(st.sampled_from(list(CONVENTIONS))),
        "stub": draw(st.sampled_from([s.value for s in StubRule])),
        "end_of_month": draw(st.booleans()),
        "first_date": first,
        "next_to_last_date": next_to_last,
    }


@settings(max_examples=400, deadline=None)
@given(args=stubbed_schedules())
def test_stub_dates_and_end_of_month_never_repeat_or_lose_a_date(args: dict[str, Any]) -> None:
    given_dates = {"first_date": args["first_date"], "next_to_last_date": args["next_to_last_date"]}
    off_month_end = {
        name
        for name, day in given_dates.items()
        if day is not None and last_day(day) != day and args["end_of_month"]
    }
    try:
        s = make_schedule(**args)
    except ValidationError as exc:
        error: ValidationError | None = exc
    else:
        error = None
    if error is not None:
        if off_month_end:
            assert set(error.fields) == off_month_end
            assert "last day of its month" in str(error)
        else:  # start and end adjust to one day
            assert error.fields == ("end",), error
        return
    assert not off_month_end
    assert strictly_increasing(s.dates)
    assert strictly_increasing(s.unadjusted_dates)
    assert s.unadjusted_dates[0] == np.datetime64(args["start"])
    assert s.unadjusted_dates[-1] == np.datetime64(args["end"])
    assert s.is_regular.size == s.n_periods
    cal, conv = calendar(args["calendar"]), args["convention"]
    for day in given_dates.values():
        if day is None:
            continue
        adjusted = np.datetime64(cal.adjust(day, conv))
        if s.dates[0] < adjusted < s.dates[-1]:  # the caller's date is in the schedule
            assert adjusted in s.dates
            # Unadjusted, it is the caller's date, unless QuantLib kept a regular date
            # that adjusts to the same business day (it drops the duplicate stub date).
            at = int(np.flatnonzero(s.dates == adjusted)[0])
            kept = s.unadjusted_dates[at]
            assert kept == np.datetime64(day) or cal.adjust(kept, conv) == day_of(adjusted)


@settings(max_examples=60, deadline=None)
@given(start=DATES, days=st.integers(-4000, 0))
def test_end_not_after_start_is_rejected(start: dt.date, days: int) -> None:
    end = start + dt.timedelta(days=days)
    with pytest.raises(ValidationError) as info:
        make_schedule(start, end, "monthly", "US-SOFR")
    assert "end" in info.value.fields


def test_names_are_case_insensitive() -> None:
    s = make_schedule(
        "2027-01-15", "2028-01-15", "Quarterly", "cn-ib", convention="Modified Following",
        termination_convention="FOLLOWING", stub="Short_Front",
    )  # fmt: skip
    t = make_schedule("2027-01-15", "2028-01-15", "quarterly", "CN-IB")
    np.testing.assert_array_equal(s.dates, t.dates)
    assert s.frequency is Frequency.QUARTERLY
    assert s.stub is StubRule.SHORT_FRONT


def test_start_and_end_on_the_same_business_day_are_rejected() -> None:
    """QuantLib would raise 'degenerate single date schedule'; the check comes first."""
    with pytest.raises(ValidationError, match="same business day") as info:
        make_schedule(
            "2046-11-30", "2046-12-01", "monthly", "TARGET", termination_convention="preceding"
        )
    assert info.value.fields == ("end",)
