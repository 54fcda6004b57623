"""The evaluation-date guard and the name parsers of computefin.pricing._ql."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import QuantLib as ql

from computefin.domain.conventions import BusinessDayConvention, DayCount, Frequency
from computefin.errors import ValidationError
from computefin.pricing._ql import (
    evaluation_date,
    parse_convention,
    parse_day_count,
    parse_frequency,
    parse_tenor,
    ql_business_day_convention,
    ql_day_count,
    ql_frequency,
    ql_period,
)


def evaluation_date_is_unset() -> bool:
    """Independent probe: anchorEvaluationDate() changes the date only when it is unset.

    A term structure that moves with the evaluation date notifies its observers when
    the date changes; an unset date is then reset again.
    """
    settings = ql.Settings.instance()
    notified: list[bool] = []
    moving = ql.FlatForward(0, ql.WeekendsOnly(), 0.01, ql.Actual365Fixed())
    observer = ql.Observer(lambda: notified.append(True))
    observer.registerWith(moving)
    settings.anchorEvaluationDate()
    if notified:
        settings.resetEvaluationDate()
    return bool(notified)


@pytest.fixture
def global_date() -> Iterator[None]:
    """Put QuantLib's evaluation date back as it was after the test."""
    settings = ql.Settings.instance()
    unset = evaluation_date_is_unset()
    before = settings.evaluationDate
    yield
    if unset:
        settings.resetEvaluationDate()
    else:
        settings.evaluationDate = before


@pytest.mark.usefixtures("global_date")
def test_an_unset_evaluation_date_is_left_unset() -> None:
    settings = ql.Settings.instance()
    settings.resetEvaluationDate()
    assert evaluation_date_is_unset()
    with evaluation_date("2026-06-30") as inside:
        assert settings.evaluationDate == inside == ql.Date(30, 6, 2026)
        assert not evaluation_date_is_unset()
    assert evaluation_date_is_unset()  # not pinned to today's date
    assert settings.evaluationDate == ql.Date.todaysDate()
    with pytest.raises(ZeroDivisionError), evaluation_date("2026-06-30"):
        raise ZeroDivisionError  # restored on error too
    assert evaluation_date_is_unset()


@pytest.mark.usefixtures("global_date")
@pytest.mark.parametrize("pinned", [ql.Date(3, 3, 2021), ql.Date.todaysDate()])
def test_a_set_evaluation_date_is_restored(pinned: ql.Date) -> None:
    settings = ql.Settings.instance()
    settings.evaluationDate = pinned
    with evaluation_date("2026-06-30"):
        assert settings.evaluationDate == ql.Date(30, 6, 2026)
    assert settings.evaluationDate == pinned
    assert not evaluation_date_is_unset()  # an explicit date, even today's, stays set
    with pytest.raises(ValidationError), evaluation_date("2026-02-30"):
        pass
    assert settings.evaluationDate == pinned


def test_names_parse_case_insensitively() -> None:
    assert parse_day_count(" act/act ") is DayCount.ACT_ACT
    assert ql_day_count("act/365f").name() == "Actual/365 (Fixed)"
    assert ql_day_count("Act/360").name() == "Actual/360"
    assert parse_convention("MODIFIED-FOLLOWING") is BusinessDayConvention.MODIFIED_FOLLOWING
    assert ql_business_day_convention("Preceding") == ql.Preceding
    assert parse_frequency("SemiAnnual") is Frequency.SEMIANNUAL
    assert ql_frequency("ANNUAL") == ql.Annual
    cases: list[tuple[object, Any, str]] = [
        ("act/366", parse_day_count, "day_count"),
        ("nearest", parse_convention, "convention"),
        ("weekly", parse_frequency, "frequency"),
        (None, parse_day_count, "day_count"),
        (3, parse_convention, "convention"),
    ]
    for bad, parser, field in cases:
        with pytest.raises(ValidationError) as info:
            parser(bad)
        assert info.value.fields == (field,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("ON", (1, "D")), ("o/n", (1, "D")), ("3m", (3, "M")), (" 10Y ", (10, "Y")), ("2W", (2, "W"))],
)
def test_tenors(text: str, expected: tuple[int, str]) -> None:
    assert parse_tenor(text) == expected
    period = ql_period(text)
    assert period.length() == expected[0]


@pytest.mark.parametrize(
    "text", ["TN", "T/N", "0M", "3X", "M3", "-1Y", "", "3.5M", "99999999999M", "301Y", None, 3]
)
def test_bad_tenors_are_rejected(text: object) -> None:
    with pytest.raises(ValidationError) as info:
        ql_period(text)  # type: ignore[arg-type]
    assert info.value.fields == ("tenor",)


def test_signed_tenors_and_limits() -> None:
    assert parse_tenor("-18M", signed=True) == (-18, "M")
    assert parse_tenor("+2Y", signed=True) == (2, "Y")
    assert parse_tenor("300Y") == (300, "Y")
    assert parse_tenor("3600M") == (3600, "M")
