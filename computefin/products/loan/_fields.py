"""Building blocks of a collateral loan: dated amounts, collateral, covenants, unit checks.

Rates, margins, fees and shares are decimals (0.025 = 2.5% = 250bp). A margin or fee
above 0.2 (2,000bp) is rejected as a likely percent or basis-point slip, and a share above
1 as a percentage typed by mistake; the messages say so.
"""

from __future__ import annotations

import datetime as dt
import math
from enum import StrEnum
from typing import Annotated, Any, Final

from pydantic import AfterValidator, Field, StringConstraints, field_validator, model_validator

from computefin.domain._base import DomainModel
from computefin.domain._types import Identifier, PositiveFloat
from computefin.domain.market import RateIndex
from computefin.errors import ValidationError

__all__ = [
    "CENT",
    "LOAN_INDICES",
    "MAX_SPREAD",
    "Amortization",
    "DatedAmount",
    "DecimalShare",
    "FeeRate",
    "FloorCapBasis",
    "LoanCollateral",
    "LoanCovenants",
    "Margin",
    "check_margin",
    "check_share",
    "pairs_to_records",
]

CENT: Final[float] = 0.005
"""Tolerance for sums of money that must agree "to the cent" (half a cent)."""

LOAN_INDICES: Final[tuple[RateIndex, ...]] = (
    RateIndex.LPR1Y,
    RateIndex.LPR5Y,
    RateIndex.SHIBOR3M,
    RateIndex.SOFR,
)
"""Indices a floating loan may reset on."""

MAX_SPREAD: Final[float] = 0.2
"""Largest margin or fee rate accepted (2,000bp); above it the input is almost surely a slip."""


class Amortization(StrEnum):
    """How scheduled principal is repaid (see ``docs/products/loan.md``).

    ``level``: annuity (level payment of interest plus principal), recomputed each period
    on the remaining balance, the remaining number of periods and the period's rate.
    ``straight``: the balance divided by the remaining number of periods (equal principal).
    ``bullet``: everything at maturity. ``balloon``: level payment on the part of the
    balance above the balloon (``balloon_share`` of the amount drawn), the balloon at
    maturity. ``custom``: the amounts of ``custom_principal_schedule``.

    >>> Amortization("level").value
    'level'
    """

    LEVEL = "level"
    STRAIGHT = "straight"
    BULLET = "bullet"
    BALLOON = "balloon"
    CUSTOM = "custom"


class FloorCapBasis(StrEnum):
    """What a floating loan's floor and cap bound.

    ``all_in``: the all-in rate, ``clip(index + margin, floor, cap)`` (the default).
    ``index``: the index before the margin, ``clip(index, floor, cap) + margin`` (a SOFR
    floor in a leveraged loan, say).

    >>> FloorCapBasis("index").value
    'index'
    """

    ALL_IN = "all_in"
    INDEX = "index"


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {value!r}")
    return value


def check_margin(value: float) -> float:
    """Accept a decimal spread in [-0.2, 0.2]; reject percentages and basis points.

    >>> check_margin(0.025)
    0.025
    >>> check_margin(250)
    Traceback (most recent call last):
    ...
    ValueError: margins and fees are decimals (0.025 = 2.5% = 250bp); 250 looks like a ...
    >>> check_margin(0.45)
    Traceback (most recent call last):
    ...
    ValueError: above 0.2 (2,000bp), rejected as a likely percent or basis-point slip; ...
    """
    _finite(value)
    if abs(value) > 1.0:
        raise ValueError(
            "margins and fees are decimals (0.025 = 2.5% = 250bp); "
            f"{value!r} looks like a percentage or basis points"
        )
    if abs(value) > MAX_SPREAD:
        raise ValueError(
            f"above {MAX_SPREAD} (2,000bp), rejected as a likely percent or basis-point slip; "
            f"margins and fees are decimals (0.025 = 250bp), got {value!r}"
        )
    return value


def _non_negative(value: float) -> float:
    if value < 0.0:
        raise ValueError(f"must not be negative, got {value!r}")
    return value


def check_share(value: float) -> float:
    """Accept a decimal share in [0, 1]; a value above 1 is reported as a percentage.

    >>> check_share(0.7)
    0.7
    >>> check_share(70.0)
    Traceback (most recent call last):
    ...
    ValueError: shares are decimals in [0, 1] (0.7 = 70%); 70.0 looks like a percentage
    """
    _finite(value)
    if value > 1.0:
        raise ValueError(
            f"shares are decimals in [0, 1] (0.7 = 70%); {value!r} looks like a percentage"
        )
    if value < 0.0:
        raise ValueError(f"must be in [0, 1], got {value!r}")
    return value


Margin = Annotated[
    float,
    AfterValidator(check_margin),
    Field(json_schema_extra={"minimum": -MAX_SPREAD, "maximum": MAX_SPREAD}),
]
"""A spread over an index as a decimal in [-0.2, 0.2] (0.025 = 250bp)."""

FeeRate = Annotated[
    float,
    AfterValidator(check_margin),
    AfterValidator(_non_negative),
    Field(json_schema_extra={"minimum": 0.0, "maximum": MAX_SPREAD}),
]
"""A fee as a decimal in [0, 0.2] (0.005 = 50bp)."""

DecimalShare = Annotated[
    float, AfterValidator(check_share), Field(json_schema_extra={"minimum": 0.0, "maximum": 1.0})
]
"""A share in [0, 1] whose error message calls out percentages typed by mistake."""

QualityBucket = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
"""A contract-quality bucket name such as ``investment_grade``."""


def pairs_to_records(value: Any) -> Any:
    """Turn ``[(date, amount), ...]`` into ``[{"date": ..., "amount": ...}, ...]``.

    Records (dicts, models) pass through unchanged, so both spellings load.

    >>> pairs_to_records([("2027-01-15", 100.0)])
    [{'date': '2027-01-15', 'amount': 100.0}]
    """
    if not isinstance(value, list | tuple):
        return value
    out: list[Any] = []
    for item in value:
        if isinstance(item, list | tuple) and len(item) == 2:
            out.append({"date": item[0], "amount": item[1]})
        else:
            out.append(item)
    return out


class DatedAmount(DomainModel):
    """An amount of money on a date (a draw, a scheduled repayment), in the loan's currency.

    >>> DatedAmount(date=dt.date(2027, 1, 15), amount=1_000_000.0).amount
    1000000.0
    """

    date: dt.date
    amount: PositiveFloat = Field(description="Amount in the loan's currency (> 0).")


class LoanCollateral(DomainModel):
    """What secures a loan: fleets (GPUs) and the rental contracts assigned to the lender.

    Ids refer to :class:`~computefin.domain.Fleet` and :class:`~computefin.domain.Contract`
    records of a portfolio; this model does not resolve them.

    >>> LoanCollateral(fleet_ids=("fleet-dal-h100",), assigned_contract_ids=("c-1",)).fleet_ids
    ('fleet-dal-h100',)
    """

    fleet_ids: tuple[Identifier, ...] = Field(default=(), description="Pledged fleets.")
    assigned_contract_ids: tuple[Identifier, ...] = Field(
        default=(), description="Rental/offtake contracts assigned to the lender."
    )

    @field_validator("fleet_ids", "assigned_contract_ids")
    @classmethod
    def _unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        seen: set[str] = set()
        for item in value:
            if item in seen:
                raise ValueError(f"lists {item!r} twice")
            seen.add(item)
        return value


class LoanCovenants(DomainModel):
    """Financial covenants and borrowing-base terms (decimals; DSCR a multiple).

    ``max_ltv``: balance / collateral value must stay at or below it. ``min_dscr``: cash
    flow available for debt service / (interest + scheduled principal) at or above it (a
    multiple, 1.35 = 1.35x). ``cash_sweep_share``: share of excess cash swept to
    prepayment when a covenant or the borrowing base is breached. Borrowing base =
    ``advance_rate_contracts_by_quality[bucket]`` x PV of the contracts in each bucket +
    ``advance_rate_gpu_value`` x GPU value.

    >>> cov = LoanCovenants(max_ltv=0.7, min_dscr=1.35, cash_sweep_share=0.5,
    ...     advance_rate_contracts_by_quality={"investment_grade": 0.9,
    ...                                        "sub_investment_grade": 0.6},
    ...     advance_rate_gpu_value=0.5)
    >>> cov.advance_rate_contracts_by_quality["investment_grade"]
    0.9
    >>> LoanCovenants(max_ltv=70)
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: LoanCovenants.max_ltv: shares are decimals ...
    """

    max_ltv: DecimalShare | None = Field(default=None, description="Maximum LTV, decimal.")
    min_dscr: float | None = Field(
        default=None, gt=0.0, le=10.0, description="Minimum DSCR, a multiple (1.35 = 1.35x)."
    )
    cash_sweep_share: DecimalShare = Field(
        default=0.0, description="Share of excess cash swept to prepayment on a breach."
    )
    advance_rate_contracts_by_quality: dict[QualityBucket, DecimalShare] = Field(
        default_factory=dict,
        description="Advance rate on the PV of assigned contracts, by counterparty quality.",
    )
    advance_rate_gpu_value: DecimalShare | None = Field(
        default=None, description="Advance rate on the (stressed) value of the pledged GPUs."
    )

    @model_validator(mode="after")
    def _ordered(self) -> LoanCovenants:
        rates = self.advance_rate_contracts_by_quality
        ig, sub = rates.get("investment_grade"), rates.get("sub_investment_grade")
        if ig is not None and sub is not None and sub > ig:
            raise ValidationError(
                "advance_rate_contracts_by_quality",
                f"sub_investment_grade ({sub}) must not exceed investment_grade ({ig})",
            )
        return self
