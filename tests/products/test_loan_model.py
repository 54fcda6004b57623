"""CollateralLoan validation, JSON round trips, and loading a LoanBook from a frame."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

import numpy as np
import pandas as pd
import pytest

from computefin.domain import demo_market
from computefin.errors import ComputefinError, ValidationError
from computefin.products.loan import (
    Amortization,
    CollateralLoan,
    DatedAmount,
    LoanBook,
    LoanCovenants,
)


def base(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "loan-7",
        "borrower_counterparty_id": "neocloud-a",
        "principal": 10_000_000.0,
        "currency": "CNY",
        "start": dt.date(2027, 1, 15),
        "maturity": dt.date(2030, 1, 15),
        "frequency": "quarterly",
        "amortization": "level",
        "fixed_rate": 0.045,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def floating(**changes: Any) -> dict[str, Any]:
    return base(**{"fixed_rate": None, "index": "LPR1Y", "margin": 0.01, **changes})


def problem_fields(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return list(exc.value.fields)


# -- valid loans ---------------------------------------------------------------------------


def test_defaults_are_written_into_the_model() -> None:
    fixed = CollateralLoan(**base())
    assert fixed.calendar == "CN-IB"
    assert fixed.fixing_lag_days is None
    assert fixed.day_count.value == "ACT/360"
    assert fixed.draw_schedule == (DatedAmount(date=fixed.start, amount=fixed.principal),)
    usd = CollateralLoan(**base(currency="USD", fixed_rate=None, index="SOFR", margin=0.0225))
    assert (usd.calendar, usd.fixing_lag_days) == ("US-SOFR", 2)
    assert CollateralLoan(**floating()).fixing_lag_days == 0
    assert CollateralLoan(**floating(index="SHIBOR3M")).fixing_lag_days == 1
    assert CollateralLoan(**base(calendar="us-sofr")).calendar == "US-SOFR"


def test_full_loan_round_trips_through_json() -> None:
    loan = CollateralLoan(
        **floating(
            amortization="custom",
            custom_principal_schedule=[("2028-01-15", 4_000_000.0), ("2030-01-15", 5_000_000.0)],
            draws=[("2027-01-15", 6_000_000.0), ("2027-06-30", 3_000_000.0)],
            availability_end="2027-12-31",
            floor=0.03,
            cap=0.08,
            floor_cap_on="index",
            upfront_fee_rate=0.01,
            commitment_fee_rate=0.005,
            collateral={"fleet_ids": ["fleet-1"], "assigned_contract_ids": ["c-1", "c-2"]},
            covenants={
                "max_ltv": 0.7,
                "min_dscr": 1.35,
                "cash_sweep_share": 0.5,
                "advance_rate_contracts_by_quality": {
                    "investment_grade": 0.9,
                    "sub_investment_grade": 0.6,
                },
                "advance_rate_gpu_value": 0.5,
            },
        )
    )
    again = CollateralLoan.model_validate_json(loan.model_dump_json())
    assert again == loan
    assert CollateralLoan.model_validate(json.loads(loan.model_dump_json())) == loan
    assert loan.drawn_total == 9_000_000.0
    assert loan.custom_principal_schedule[0].amount == 4_000_000.0
    assert loan.covenants.advance_rate_contracts_by_quality["sub_investment_grade"] == 0.6


def test_draws_and_schedules_accept_pairs_and_records() -> None:
    pairs = CollateralLoan(**base(draws=[("2027-01-15", 5e6), ("2027-03-01", 5e6)]))
    records = CollateralLoan(
        **base(
            draws=[
                {"date": "2027-01-15", "amount": 5e6},
                {"date": "2027-03-01", "amount": 5e6},
            ]
        )
    )
    assert pairs == records


def test_the_model_is_frozen() -> None:
    loan = CollateralLoan(**base())
    with pytest.raises(pydantic_error()):
        loan.principal = 1.0  # type: ignore[misc]


def pydantic_error() -> type[Exception]:
    import pydantic

    return pydantic.ValidationError


# -- errors name the loan and the field -----------------------------------------------------


def test_maturity_before_start_names_loan_and_field() -> None:
    with pytest.raises(ValidationError) as exc:
        CollateralLoan(**base(maturity=dt.date(2026, 1, 15)))
    assert str(exc.value).startswith("CollateralLoan[loan-7].maturity: must be after start")


@pytest.mark.parametrize("margin", [250, 250.0, 2.5, -1.5])
def test_margin_in_percent_or_bp_is_rejected(margin: float) -> None:
    with pytest.raises(ValidationError) as exc:
        CollateralLoan(**floating(margin=margin))
    assert problem_fields(exc) == ["CollateralLoan[loan-7].margin"]
    assert "percentage or basis points" in str(exc.value)


@pytest.mark.parametrize("margin", [0.25, 0.9, -0.3])
def test_margin_above_twenty_percent_is_a_likely_slip(margin: float) -> None:
    with pytest.raises(ValidationError) as exc:
        CollateralLoan(**floating(margin=margin))
    assert problem_fields(exc) == ["CollateralLoan[loan-7].margin"]
    assert "slip" in str(exc.value)


def test_negative_margin_below_the_index_is_allowed() -> None:
    assert CollateralLoan(**floating(margin=-0.002)).margin == -0.002


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"index": "LPR1Y", "margin": 0.01}, "fixed_rate", "not both"),
        ({"fixed_rate": None}, "fixed_rate", "either"),
        ({"fixed_rate": 4.5}, "fixed_rate", "percentage"),
        ({"floor": 0.01}, "floor", "only for a floating loan"),
        ({"fixing_lag_days": 2}, "fixing_lag_days", "only for a floating loan"),
        ({"amortization": "balloon"}, "balloon_share", "required"),
        ({"balloon_share": 0.3}, "balloon_share", "only with"),
        ({"amortization": "balloon", "balloon_share": 1.0}, "balloon_share", "less than 1"),
        ({"amortization": "custom"}, "custom_principal_schedule", "required"),
        (
            {"custom_principal_schedule": [("2030-01-15", 1e7)]},
            "custom_principal_schedule",
            "only with",
        ),
        ({"calendar": "MARS"}, "calendar", "unknown calendar"),
        ({"currency": "EUR"}, "calendar", "required"),
        ({"principal": -5.0}, "principal", "greater than 0"),
        ({"principal": True}, "principal", "boolean"),
        ({"start": 20270115}, "start", "must be a date"),
        ({"frequency": "weekly"}, "frequency", "Input should be"),
        ({"amortization": "annuity"}, "amortization", "Input should be"),
        ({"upfront_fee_rate": 2.0}, "upfront_fee_rate", "percentage or basis points"),
        ({"commitment_fee_rate": -0.001}, "commitment_fee_rate", "negative"),
        ({"colour": "green"}, "colour", "Extra inputs"),
        ({"availability_end": "2031-01-01"}, "availability_end", "not after maturity"),
        ({"maturity": "2150-01-15"}, "maturity", "coverage"),
    ],
)
def test_bad_fixed_loan_inputs(changes: dict[str, Any], field: str, words: str) -> None:
    data = base()
    data.update(changes)
    data = {k: v for k, v in data.items() if v is not None}
    with pytest.raises(ValidationError) as exc:
        CollateralLoan(**data)
    assert f"CollateralLoan[loan-7].{field}" in problem_fields(exc), str(exc.value)
    assert words in str(exc.value)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"index": "FR007"}, "index", "not a loan reference rate"),
        ({"index": "SOFR"}, "index", "USD index"),
        ({"margin": None}, "margin", "required"),
        ({"floor": 0.05, "cap": 0.04}, "floor", "must not exceed cap"),
        ({"floor_cap_on": "margin"}, "floor_cap_on", "Input should be"),
        ({"fixing_lag_days": 20}, "fixing_lag_days", "less than or equal to 10"),
    ],
)
def test_bad_floating_loan_inputs(changes: dict[str, Any], field: str, words: str) -> None:
    data = floating()
    data.update(changes)
    data = {k: v for k, v in data.items() if v is not None}
    with pytest.raises(ValidationError) as exc:
        CollateralLoan(**data)
    assert f"CollateralLoan[loan-7].{field}" in problem_fields(exc), str(exc.value)
    assert words in str(exc.value)


def test_custom_schedule_that_does_not_repay_is_rejected_to_the_cent() -> None:
    schedule = [("2028-01-15", 4_000_000.0), ("2030-01-15", 5_999_999.99)]
    with pytest.raises(ValidationError) as exc:
        CollateralLoan(**base(amortization="custom", custom_principal_schedule=schedule))
    assert problem_fields(exc) == ["CollateralLoan[loan-7].custom_principal_schedule"]
    assert "must repay exactly the principal drawn" in str(exc.value)
    assert "-0.01" in str(exc.value)
    # Half a cent off is "to the cent".
    ok = [("2028-01-15", 4_000_000.0), ("2030-01-15", 5_999_999.996)]
    assert CollateralLoan(**base(amortization="custom", custom_principal_schedule=ok))


def test_custom_schedule_repays_what_was_drawn_not_the_commitment() -> None:
    draws = [("2027-01-15", 6e6), ("2028-06-01", 2e6)]
    with pytest.raises(ValidationError, match="must repay exactly the principal drawn"):
        CollateralLoan(
            **base(
                amortization="custom", draws=draws, custom_principal_schedule=[("2030-01-15", 1e7)]
            )
        )
    early = [("2028-01-15", 7e6), ("2030-01-15", 1e6)]
    with pytest.raises(ValidationError) as exc:
        CollateralLoan(**base(amortization="custom", draws=draws, custom_principal_schedule=early))
    assert problem_fields(exc) == ["CollateralLoan[loan-7].custom_principal_schedule[0]"]
    assert "more than the 6000000.0 drawn by then" in str(exc.value)


def test_custom_schedule_dates() -> None:
    bad = [("2027-01-15", 5e6), ("2030-01-15", 5e6)]
    with pytest.raises(ValidationError) as exc:
        CollateralLoan(**base(amortization="custom", custom_principal_schedule=bad))
    assert problem_fields(exc) == ["CollateralLoan[loan-7].custom_principal_schedule[0].date"]
    unordered = [("2029-01-15", 5e6), ("2028-01-15", 5e6)]
    with pytest.raises(ValidationError, match="dates must increase"):
        CollateralLoan(**base(amortization="custom", custom_principal_schedule=unordered))


@pytest.mark.parametrize(
    ("draws", "field", "words"),
    [
        ([("2027-01-15", 6e6), ("2027-06-01", 5e6)], "draws", "more than the principal"),
        ([("2026-12-31", 1e6)], "draws[0].date", "on or after start"),
        ([("2030-01-15", 1e6)], "draws[0].date", "before maturity"),
        ([("2027-06-01", 1e6), ("2027-03-01", 1e6)], "draws[1].date", "must increase"),
        ([("2027-06-01", 0.0)], "draws[0].amount", "greater than 0"),
        ([("2027-06-01", 1e6, 3)], "draws[0]", "valid dictionary"),
    ],
)
def test_bad_draws(draws: list[Any], field: str, words: str) -> None:
    with pytest.raises(ValidationError) as exc:
        CollateralLoan(**base(draws=draws))
    assert f"CollateralLoan[loan-7].{field}" in problem_fields(exc), str(exc.value)
    assert words in str(exc.value)


def test_draws_must_fall_before_availability_end() -> None:
    with pytest.raises(ValidationError, match=r"before availability_end \(2027-06-30\)"):
        CollateralLoan(**base(availability_end="2027-06-30", draws=[("2027-07-01", 1e6)]))


def test_several_problems_are_reported_together() -> None:
    with pytest.raises(ValidationError) as exc:
        CollateralLoan(**base(maturity="2026-01-15", amortization="balloon"))
    assert set(problem_fields(exc)) == {
        "CollateralLoan[loan-7].maturity",
        "CollateralLoan[loan-7].balloon_share",
    }


def test_json_and_copy_errors_name_the_loan() -> None:
    text = CollateralLoan(**base()).model_dump_json()
    broken = text.replace('"fixed_rate":0.045', '"fixed_rate":45.0')
    with pytest.raises(ValidationError) as exc:
        CollateralLoan.model_validate_json(broken)
    assert problem_fields(exc) == ["CollateralLoan[loan-7].fixed_rate"]
    with pytest.raises(ValidationError, match=r"CollateralLoan\[loan-7\]\.margin"):
        CollateralLoan(**floating()).model_copy(update={"margin": 2.5})
    with pytest.raises(ValidationError, match=r"CollateralLoan\[\?\]\.id"):
        CollateralLoan(**base(id=None))


def test_covenants() -> None:
    with pytest.raises(ValidationError) as exc:
        CollateralLoan(**base(covenants={"max_ltv": 70}))
    assert problem_fields(exc) == ["CollateralLoan[loan-7].covenants.max_ltv"]
    assert "looks like a percentage" in str(exc.value)
    with pytest.raises(ValidationError, match="must not exceed investment_grade"):
        LoanCovenants(
            advance_rate_contracts_by_quality={"investment_grade": 0.5, "sub_investment_grade": 0.6}
        )
    with pytest.raises(ValidationError, match="advance_rate_contracts_by_quality"):
        LoanCovenants(advance_rate_contracts_by_quality={"Investment Grade": 0.5})
    with pytest.raises(ValidationError, match=r"fleet_ids: .*twice"):
        CollateralLoan(**base(collateral={"fleet_ids": ["f-1", "f-1"]}))


def test_errors_are_computefin_errors() -> None:
    with pytest.raises(ComputefinError):
        CollateralLoan(**base(amortization=Amortization.BALLOON))


# -- the book from a frame ------------------------------------------------------------------


def frame_rows() -> list[dict[str, Any]]:
    rows = []
    for i in range(4):
        row = base(id=f"loan-{i}", principal=1e6 * (i + 1))
        row["start"], row["maturity"] = "2027-01-15", "2030-01-15"
        rows.append(row)
    rows[1].update(
        draws=json.dumps([["2027-01-15", 1e6], ["2027-05-03", 1e6]]),
        fleet_ids='["fleet-1"]',
        max_ltv=0.7,
        advance_rate_contracts_by_quality='{"investment_grade": 0.9}',
    )
    return rows


def test_book_from_frame_loads_json_columns_and_flat_covenants() -> None:
    book = LoanBook.from_frame(pd.DataFrame(frame_rows()))
    assert book.ids == ("loan-0", "loan-1", "loan-2", "loan-3")
    assert book.errors == ()
    loan = book["loan-1"]
    assert loan.drawn_total == 2e6
    assert loan.collateral.fleet_ids == ("fleet-1",)
    assert loan.covenants.max_ltv == 0.7
    assert loan.covenants.advance_rate_contracts_by_quality == {"investment_grade": 0.9}
    assert book["loan-0"].covenants.max_ltv is None  # blank cell = not given
    again = LoanBook.from_frame(book.to_frame())
    assert again.loans == book.loans


def test_book_from_frame_with_one_bad_row() -> None:
    rows = frame_rows()
    rows[2]["margin"] = 250.0
    frame = pd.DataFrame(rows, index=[10, 11, 12, 13])
    with pytest.raises(ValidationError) as exc:
        LoanBook.from_frame(frame)
    assert "CollateralLoan[loan-2].margin" in exc.value.fields
    assert "(frame row 12)" in str(exc.value)

    book = LoanBook.from_frame(frame, errors="collect")
    assert book.ids == ("loan-0", "loan-1", "loan-3")
    assert len(book.errors) == 1
    err = book.errors[0]
    assert (err.row, err.loan_id, err.field) == (12, "loan-2", "CollateralLoan[loan-2].margin")
    assert "percentage or basis points" in err.reason
    assert len(book.cashflows().loan_ids) == 3


def test_collect_mode_reports_bad_json_and_duplicate_ids() -> None:
    rows = frame_rows()
    rows[0]["draws"] = "[[2027-01-15, 1e6]"
    rows[3]["id"] = "loan-1"
    book = LoanBook.from_frame(pd.DataFrame(rows), errors="collect")
    assert book.ids == ("loan-1", "loan-2")
    found = {(e.row, e.field) for e in book.errors}
    assert (0, "CollateralLoan[loan-0].draws") in found
    assert (3, "CollateralLoan[loan-1].id") in found
    assert any("not valid JSON" in e.reason for e in book.errors)
    assert any("duplicates the id of frame row 1" in e.reason for e in book.errors)


def test_book_rejects_duplicate_ids_and_bad_errors_argument() -> None:
    loan = CollateralLoan(**base())
    with pytest.raises(ValidationError, match=r"CollateralLoan\[loan-7\]\.id: duplicates"):
        LoanBook.from_models([loan, loan])
    with pytest.raises(ValidationError, match="errors"):
        LoanBook.from_frame(pd.DataFrame(frame_rows()), errors="ignore")  # type: ignore[arg-type]


# -- the book from columns (vectorised checks) ------------------------------------------------

# (column, bad or unusual values): every rule of CollateralLoan the array checks cover, and
# spellings they leave to the model (which must then accept or reject them as from_frame does)
MUTATIONS: list[tuple[str, list[Any]]] = [
    ("id", ["", " loan x", "bad id", 7, "l" * 129, " padded "]),
    ("borrower_counterparty_id", [None, "has space", 3.0]),
    ("principal", [0.0, -5.0, float("inf"), None, "12", True]),
    ("currency", ["usd", "XXX", None, "EUR", 5]),
    ("start", ["2027-13-01", "2031-01-15", "2027/01/15", "1800-01-01", None, 20270115]),
    ("maturity", ["2026-12-31", "2027-01-15", "2200-01-15", None, "2030-01-15T00:00"]),
    ("frequency", ["weekly", None, "Monthly"]),
    ("amortization", ["balloon", "custom", "annuity", None]),
    ("balloon_share", [0.5, 1.0, 50.0, 0.0]),
    ("fixed_rate", [None, 5.0, -1.0, float("nan"), "0.05"]),
    ("index", ["LPR1Y", "SOFR", "FR007", "libor"]),
    ("margin", [0.01, 150.0, 0.25, -0.3]),
    ("floor", [0.0, 2.0, 0.09]),
    ("cap", [0.02, 1.5]),
    ("floor_cap_on", ["index", "both"]),
    ("fixing_lag_days", [1.0, 2.5, 11.0, -1.0]),
    ("day_count", ["30/360", "act/360", "ACT/ACT"]),
    ("calendar", ["us-sofr", "TARGET", "NOPE", "  "]),
    ("business_day_convention", ["following", "nearest"]),
    ("stub", ["long_back", "middle"]),
    ("upfront_fee_rate", [0.01, -0.01, 0.5, 25.0]),
    ("commitment_fee_rate", [0.003, 3.0]),
    ("availability_end", ["2028-01-15", "2027-01-15", "2031-01-15", "2027-01-14"]),
    ("draws", ['[["2027-01-15", 5e6]]', '[["2027-01-15", 5e7]]', "[[", "[]"]),
    ("max_ltv", [0.7, 70.0]),
    ("cash_sweep_share", [0.0, 0.5, 2.0]),
    ("unknown_column", ["x"]),
]


def mutated_frame(n: int = 240, seed: int = 3) -> pd.DataFrame:
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for i in range(n):
        row: dict[str, Any] = base(id=f"loan-{i}", principal=1e6 * (1 + i % 7))
        row["start"], row["maturity"] = "2027-01-15", "2030-01-15"
        if i % 2:
            row.update(fixed_rate=None, index="LPR1Y", margin=0.01)
        for _ in range(rng.choice([0, 0, 1, 1, 2])):
            column, values = rng.choice(MUTATIONS)
            row[column] = rng.choice(values)
        if i % 31 == 5:
            row["id"] = "loan-3"  # a repeated id
        rows.append(row)
    return pd.DataFrame(rows, index=[100 + i for i in range(n)])


def test_from_columns_reports_what_from_frame_reports() -> None:
    frame = mutated_frame()
    slow = LoanBook.from_frame(frame, errors="collect")
    fast = LoanBook.from_columns(frame, errors="collect")
    assert len(slow.errors) > 20
    assert len(slow) > 50
    assert fast.errors == slow.errors
    assert fast.ids == slow.ids
    assert len(fast) == len(slow)
    assert fast.loans == slow.loans
    with pytest.raises(ValidationError) as by_frame:
        LoanBook.from_frame(frame)
    with pytest.raises(ValidationError) as by_columns:
        LoanBook.from_columns(frame)
    assert str(by_columns.value) == str(by_frame.value)
    assert by_columns.value.fields == by_frame.value.fields


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_from_columns_matches_from_frame_on_more_random_rows(seed: int) -> None:
    frame = mutated_frame(120, seed)
    slow = LoanBook.from_frame(frame, errors="collect")
    fast = LoanBook.from_columns(frame, errors="collect")
    assert (fast.errors, fast.ids, fast.loans) == (slow.errors, slow.ids, slow.loans)


def test_from_columns_takes_arrays_and_builds_models_lazily() -> None:
    data = {
        "id": np.asarray(["a", "b", "c"], dtype=object),
        "borrower_counterparty_id": ["x", "x", "y"],
        "principal": np.asarray([1e6, 2e6, 3e6]),
        "currency": ["CNY", "USD", "CNY"],
        "start": np.asarray(["2027-01-15"] * 3, dtype="datetime64[D]"),
        "maturity": np.asarray(["2030-01-15", "2031-01-15", "2029-06-30"], dtype="datetime64[D]"),
        "frequency": ["quarterly", "monthly", "annual"],
        "amortization": ["level", "bullet", "straight"],
        "fixed_rate": np.asarray([0.04, np.nan, 0.05]),
        "index": [None, "SOFR", None],
        "margin": np.asarray([np.nan, 0.02, np.nan]),
    }
    book = LoanBook.from_columns(data)
    assert book.ids == ("a", "b", "c")
    assert len(book) == 3
    assert book._loans is None  # no model built yet
    cf = book.cashflows(demo_market())
    assert cf.shape == (3, 48)
    assert book._loans is None
    frame = pd.DataFrame(data)
    assert book.loans == LoanBook.from_frame(frame).loans
    assert book["b"].fixing_lag_days == 2
    assert book["b"].calendar == "US-SOFR"
    trusted = LoanBook.from_columns(data, validate=False)
    assert trusted.ids == book.ids
    with pytest.raises(ValidationError, match="errors"):
        LoanBook.from_columns(data, errors="ignore")  # type: ignore[arg-type]
