"""Cross-field checks of a :class:`CollateralLoan`; each appends problems, none raises.

Field names are bare (``maturity``); the model tags them ``CollateralLoan[<id>].<field>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from computefin.errors import FieldProblem
from computefin.pricing import calendar
from computefin.products.loan._fields import CENT, LOAN_INDICES, Amortization

if TYPE_CHECKING:
    from computefin.products.loan.model import CollateralLoan

__all__ = ["check_amortization", "check_draws", "check_rate", "check_term"]


def check_term(loan: CollateralLoan, problems: list[FieldProblem]) -> None:
    if loan.maturity <= loan.start:
        problems.append(
            FieldProblem(
                "maturity",
                f"must be after start ({loan.start.isoformat()})",
                loan.maturity.isoformat(),
            )
        )
    cal = calendar(loan.calendar)
    for name, day in (("start", loan.start), ("maturity", loan.maturity)):
        if not cal.first_date <= day <= cal.last_date:
            problems.append(
                FieldProblem(
                    name,
                    f"outside the {cal.name} calendar's coverage {cal.first_date}..{cal.last_date}",
                    day.isoformat(),
                )
            )
    end = loan.availability_end
    if end is not None and not loan.start < end <= loan.maturity:
        problems.append(
            FieldProblem(
                "availability_end",
                "must be after start and not after maturity",
                end.isoformat(),
            )
        )


def check_rate(loan: CollateralLoan, problems: list[FieldProblem]) -> None:
    add = problems.append
    if (loan.fixed_rate is None) == (loan.index is None):
        add(FieldProblem("fixed_rate", "give either fixed_rate or index + margin, not both"))
        return
    if loan.index is None:
        for name in ("margin", "floor", "cap", "fixing_lag_days"):
            if getattr(loan, name) is not None:
                add(FieldProblem(name, "only for a floating loan (with index)"))
        return
    if loan.index not in LOAN_INDICES:
        known = ", ".join(i.value for i in LOAN_INDICES)
        add(FieldProblem("index", f"not a loan reference rate; use one of {known}", loan.index))
    elif loan.index.currency is not loan.currency:
        add(
            FieldProblem(
                "index",
                f"{loan.index.value} is a {loan.index.currency.value} index; "
                f"the loan is in {loan.currency.value}",
                loan.index.value,
            )
        )
    if loan.margin is None:
        add(FieldProblem("margin", "required with an index (0.0 for a loan at the index)"))
    if loan.floor is not None and loan.cap is not None and loan.floor > loan.cap:
        add(FieldProblem("floor", f"must not exceed cap ({loan.cap})", loan.floor))


def check_draws(loan: CollateralLoan, problems: list[FieldProblem]) -> None:
    add = problems.append
    end = loan.availability_end or loan.maturity
    for i, draw in enumerate(loan.draws):
        if not loan.start <= draw.date < end:
            what = "availability_end" if loan.availability_end else "maturity"
            add(
                FieldProblem(
                    f"draws[{i}].date",
                    f"must be on or after start and before {what} ({end.isoformat()})",
                    draw.date.isoformat(),
                )
            )
        if i and draw.date <= loan.draws[i - 1].date:
            add(
                FieldProblem(
                    f"draws[{i}].date",
                    "draw dates must increase, without repeats",
                    draw.date.isoformat(),
                )
            )
    total = sum(d.amount for d in loan.draws)
    if total > loan.principal + CENT:
        add(
            FieldProblem(
                "draws",
                f"draws add up to {total!r}, more than the principal {loan.principal!r}",
            )
        )


def check_amortization(loan: CollateralLoan, problems: list[FieldProblem]) -> None:
    add = problems.append
    kind = loan.amortization
    if (kind is Amortization.BALLOON) != (loan.balloon_share is not None):
        reason = (
            "required with amortization='balloon'"
            if kind is Amortization.BALLOON
            else "only with amortization='balloon'"
        )
        add(FieldProblem("balloon_share", reason, loan.balloon_share))
    schedule = loan.custom_principal_schedule
    if kind is not Amortization.CUSTOM:
        if schedule:
            add(FieldProblem("custom_principal_schedule", "only with amortization='custom'"))
        return
    if not schedule:
        add(FieldProblem("custom_principal_schedule", "required with amortization='custom'"))
        return
    for i, item in enumerate(schedule):
        if not loan.start < item.date <= loan.maturity:
            add(
                FieldProblem(
                    f"custom_principal_schedule[{i}].date",
                    "must be after start and not after maturity",
                    item.date.isoformat(),
                )
            )
        if i and item.date <= schedule[i - 1].date:
            add(
                FieldProblem(
                    f"custom_principal_schedule[{i}].date",
                    "dates must increase, without repeats",
                    item.date.isoformat(),
                )
            )
    drawn = loan.drawn_total
    repaid = sum(item.amount for item in schedule)
    if abs(repaid - drawn) > CENT:
        add(
            FieldProblem(
                "custom_principal_schedule",
                f"must repay exactly the principal drawn ({drawn!r}) to the cent; "
                f"it repays {repaid!r}, off by {repaid - drawn:+.2f}",
            )
        )
        return
    draws = loan.draw_schedule
    cumulative = 0.0
    for i, item in enumerate(schedule):
        cumulative += item.amount
        available = sum(d.amount for d in draws if d.date <= item.date)
        if cumulative > available + CENT:
            add(
                FieldProblem(
                    f"custom_principal_schedule[{i}]",
                    f"repays {cumulative!r} by {item.date.isoformat()}, more than the "
                    f"{available!r} drawn by then",
                )
            )
            return
