"""The one strict date parser of the pricing layer (computefin.pricing._dates)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
import QuantLib as ql
from hypothesis import given, settings, strategies as st

from computefin.errors import ValidationError
from computefin.pricing._dates import (
    EPOCH_SERIAL,
    FIRST_DAY,
    LAST_DAY,
    as_day,
    as_days,
    date_to_day,
    day_to_date,
    day_to_iso,
    day_to_ql,
    ql_to_day,
)


def test_constants_are_quantlibs_range() -> None:
    assert EPOCH_SERIAL == 25569
    assert day_to_date(FIRST_DAY) == dt.date(1901, 1, 1)
    assert day_to_date(LAST_DAY) == dt.date(2199, 12, 31)
    assert day_to_ql(FIRST_DAY) == ql.Date.minDate()
    assert day_to_ql(LAST_DAY) == ql.Date.maxDate()


@settings(max_examples=200, deadline=None)
@given(day=st.dates(dt.date(1901, 1, 1), dt.date(2199, 12, 31)))
def test_every_form_of_a_date_gives_the_same_day(day: dt.date) -> None:
    n = date_to_day(day)
    forms = [
        day,
        dt.datetime(day.year, day.month, day.day, 23, 59),
        pd.Timestamp(day),
        np.datetime64(day, "D"),
        np.datetime64(day, "D").astype("datetime64[s]") + np.timedelta64(86399, "s"),
        day.isoformat(),
        f" {day.isoformat()} ",
        ql.Date(day.day, day.month, day.year),
    ]
    for form in forms:
        assert as_day(form) == n, form
    assert day_to_date(n) == day
    assert day_to_iso(n) == day.isoformat()
    assert ql_to_day(day_to_ql(n)) == n
    np.testing.assert_array_equal(as_days(forms), np.full(len(forms), n))
    np.testing.assert_array_equal(as_days(np.array([day.isoformat()] * 3)), np.full(3, n))


@pytest.mark.parametrize(
    "value",
    [
        20270101,
        True,
        np.int64(3),
        np.float64(3.0),
        1.5,
        np.datetime64("NaT"),
        pd.NaT,
        ql.Date(),
        "2027-1-1",
        "2027-02-30",
        "2027-01-01T00:00",
        "2027-W01-1",
        "20270101",
        "NaT",
        "1900-12-31",
        "2200-01-01",
        dt.date(1800, 1, 1),
        np.datetime64("2300-01-01"),
        None,
        object(),
    ],
)
def test_non_dates_are_rejected_naming_the_field(value: object) -> None:
    with pytest.raises(ValidationError) as info:
        as_day(value, "as_of")
    assert info.value.fields == ("as_of",)
    with pytest.raises(ValidationError) as info:
        as_days([value], "dates")
    assert info.value.fields == ("dates",)


@pytest.mark.parametrize(
    "values",
    [
        np.array([1, 2]),
        np.array([1.5]),
        np.array([True]),
        [1, 2],
        np.array(["2027-01-01", "NaT"], dtype="datetime64[D]"),
        np.array(["2027-01-01", "2027-13-01"]),
        [np.datetime64("2027-01-01"), np.datetime64("NaT")],
        np.array(["1850-01-01"], dtype="datetime64[D]"),
        [["2027-01-01"], ["2027-01-02", "2027-01-03"]],
        3,
    ],
)
def test_bad_arrays_are_rejected(values: object) -> None:
    with pytest.raises(ValidationError) as info:
        as_days(values, "dates")
    assert info.value.fields == ("dates",)


def test_shapes_are_kept_and_empty_input_gives_empty_output() -> None:
    grid = np.arange("2027-01-01", "2027-01-07", dtype="datetime64[D]").reshape(2, 3)
    assert as_days(grid).shape == (2, 3)
    assert as_days(grid.astype("datetime64[ns]")).shape == (2, 3)
    assert as_days("2027-01-01").shape == ()
    assert as_days(pd.Series(pd.to_datetime(["2027-01-01", "2027-01-02"]))).tolist() == [
        20819,
        20820,
    ]
    empties: list[Any] = [[], (), np.array([]), np.array([], "datetime64[D]"), np.empty((0, 2))]
    for empty in empties:
        out = as_days(empty)
        assert out.size == 0
        assert out.dtype == np.int64
    assert as_days(np.empty((0, 2), dtype="datetime64[D]")).shape == (0, 2)
