"""Year-fraction kernels against QuantLib, with property tests."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import QuantLib as ql
from hypothesis import given, settings, strategies as st

from computefin.domain.conventions import DayCount
from computefin.errors import ValidationError
from computefin.pricing._ql import ql_day_count
from computefin.pricing.daycounts import DAY_COUNTS, parse_day_count, year_fraction

EPOCH = 25569  # QuantLib serial number of 1970-01-01
LO = int(np.datetime64("2020-01-01").astype(np.int64))
HI = int(np.datetime64("2060-12-31").astype(np.int64))
# QuantLib's whole range, less its last year: ACT/ACT ISDA needs 1 January of the year
# after the end date, which QuantLib cannot represent after 2199.
QL_LO = int(np.datetime64("1901-01-01").astype(np.int64))
QL_HI = int(np.datetime64("2198-12-31").astype(np.int64))

REFERENCE = {
    DayCount.ACT_365F: ql.Actual365Fixed(),
    DayCount.ACT_360: ql.Actual360(),
    DayCount.THIRTY_360: ql.Thirty360(ql.Thirty360.BondBasis),
    DayCount.ACT_ACT: ql.ActualActual(ql.ActualActual.ISDA),
}


def ql_fractions(dc: DayCount, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    counter = REFERENCE[dc]
    return np.array(
        [
            counter.yearFraction(ql.Date(int(a) + EPOCH), ql.Date(int(b) + EPOCH))
            for a, b in zip(start.astype(np.int64), end.astype(np.int64), strict=True)
        ]
    )


def test_reference_day_counters_are_the_engines() -> None:
    for dc in DAY_COUNTS:
        assert ql_day_count(dc).name() == REFERENCE[dc].name()
        assert ql_day_count(dc.value.lower()).name() == REFERENCE[dc].name()
    assert ql_day_count(" act/360 ").name() == "Actual/360"


@pytest.mark.parametrize("dc", DAY_COUNTS)
def test_random_samples_match_quantlib_exactly(dc: DayCount) -> None:
    """Bit-for-bit equality over QuantLib's whole date range (1901 to 2198)."""
    rng = np.random.default_rng(12345)
    start = rng.integers(QL_LO, QL_HI + 1, size=1500)
    end = rng.integers(QL_LO, QL_HI + 1, size=1500)  # any order, any length
    near = slice(0, 800)  # and periods of up to three years, both ways
    end[near] = np.clip(start[near] + rng.integers(-3 * 366, 3 * 366, size=800), QL_LO, QL_HI)
    s, e = start.astype("datetime64[D]"), end.astype("datetime64[D]")
    np.testing.assert_array_equal(year_fraction(s, e, dc), ql_fractions(dc, s, e))


@pytest.mark.parametrize("dc", DAY_COUNTS)
def test_month_end_and_february_edges_match_quantlib(dc: DayCount) -> None:
    """Every pair among days near month ends (30/360's 30th/31st rules, leap Februaries)."""
    month_starts = np.arange("2023-01", "2025-04", dtype="datetime64[M]").astype("datetime64[D]")
    near_ends = (month_starts[:, None] + np.arange(-3, 1)).ravel()
    grid_s, grid_e = np.meshgrid(near_ends, near_ends, indexing="ij")
    s = grid_s.ravel().astype("datetime64[D]")
    e = grid_e.ravel().astype("datetime64[D]")
    np.testing.assert_array_equal(year_fraction(s, e, dc), ql_fractions(dc, s, e))


def test_scalars_give_floats_and_arrays_broadcast() -> None:
    value = year_fraction(dt.date(2026, 1, 31), "2026-07-31", "30/360")
    assert isinstance(value, float)
    assert value == 0.5
    assert year_fraction(np.datetime64("2026-01-01"), "2026-01-01", "ACT/ACT") == 0.0
    starts = np.array([["2026-01-01", "2026-07-01"]], dtype="datetime64[D]")
    ends = np.array(["2027-01-01", "2028-01-01"], dtype="datetime64[D]").reshape(2, 1)
    assert year_fraction(starts, ends, "ACT/365F").shape == (2, 2)
    listed = year_fraction(["2026-01-01", dt.date(2026, 7, 1)], "2027-01-01", "act/360")
    np.testing.assert_allclose(listed, [365 / 360, 184 / 360])
    assert parse_day_count(" 30/360 ") is DayCount.THIRTY_360


@settings(max_examples=150, deadline=None)
@given(
    a=st.integers(LO, HI),
    b=st.integers(LO, HI),
    c=st.integers(LO, HI),
    dc=st.sampled_from([DayCount.ACT_365F, DayCount.ACT_360, DayCount.ACT_ACT]),
)
def test_actual_day_counts_are_additive(a: int, b: int, c: int, dc: DayCount) -> None:
    a, b, c = sorted((a, b, c))
    d = np.array([a, b, c], dtype=np.int64).astype("datetime64[D]")
    whole = year_fraction(d[0], d[2], dc)
    parts = year_fraction(d[0], d[1], dc) + year_fraction(d[1], d[2], dc)
    assert abs(whole - parts) <= 1e-12
    assert abs(year_fraction(d[2], d[0], dc) + whole) <= 1e-15  # antisymmetric


@settings(max_examples=100, deadline=None)
@given(name=st.text(max_size=12))
def test_unknown_day_counts_are_rejected(name: str) -> None:
    if name.strip().upper() in {d.value for d in DayCount}:
        return
    with pytest.raises(ValidationError) as info:
        year_fraction("2026-01-01", "2027-01-01", name)
    assert info.value.fields == ("day_count",)


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2026-02-30", "2027-01-01", "start"),
        ("2026-01-01", "1 Jan 2027", "end"),
        (np.datetime64("NaT"), "2027-01-01", "start"),
        (20260101, "2027-01-01", "start"),
        (np.array([1, 2]), "2027-01-01", "start"),
        (np.array(["2026-01-01", "NaT"], dtype="datetime64[D]"), "2027-01-01", "start"),
        (np.array(["2026-01-01"] * 3, dtype="datetime64[D]"), ["2027-01-01"] * 2, "end"),
        (["2026-01"], "2027-01-01", "start"),
        ([object()], "2027-01-01", "start"),
        (True, "2027-01-01", "start"),
        (1.5, "2027-01-01", "start"),
        ("2026-01-01", np.int64(3), "end"),
        ("1800-01-01", "2027-01-01", "start"),
        ("2026-01-01", np.datetime64("2200-01-01"), "end"),
        (["2026-01-01", "1900-12-31"], "2027-01-01", "start"),
        ("2026-01-01T00:00", "2027-01-01", "start"),
        ("2026-W01-1", "2027-01-01", "start"),
    ],
)
def test_bad_dates_are_rejected(start: object, end: object, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        year_fraction(start, end, "ACT/365F")  # type: ignore[call-overload]
    assert info.value.fields == (field,)


def test_empty_arrays_give_empty_results() -> None:
    empty = np.array([], dtype="datetime64[D]")
    assert year_fraction(empty, "2027-01-01", "ACT/360").shape == (0,)
    assert year_fraction([], [], "30/360").shape == (0,)
    assert year_fraction(np.empty((0, 2), "datetime64[D]"), "2027-01-01", "ACT/ACT").shape == (
        0,
        2,
    )


def test_quantlib_range_ends_are_accepted() -> None:
    assert year_fraction("1901-01-01", "2199-12-31", "ACT/365F") == (
        REFERENCE[DayCount.ACT_365F].yearFraction(ql.Date(1, 1, 1901), ql.Date(31, 12, 2199))
    )
