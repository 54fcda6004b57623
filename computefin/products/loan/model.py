"""The compute collateral loan (算力抵质押贷款) as a validated, frozen, JSON round-trippable model.

Every bad input raises :class:`computefin.errors.ValidationError` naming the loan and the
field, ``CollateralLoan[loan-7].maturity: must be after start ...``. Units: money in
``currency``; rates, margins, fees and shares as decimals (0.025 = 2.5% = 250bp).
"""

from __future__ import annotations

import datetime as dt
from contextlib import suppress
from typing import TYPE_CHECKING, Any, Final

from pydantic import Field, field_validator, model_validator

from computefin.domain._base import IdTaggedModel
from computefin.domain._types import Currency, Identifier, PositiveFloat, Rate
from computefin.domain.conventions import BusinessDayConvention, DayCount, Frequency, StubRule
from computefin.domain.market import MarketSnapshot, RateIndex
from computefin.errors import FieldProblem, ValidationError
from computefin.pricing import CALENDAR_NAMES, Curve, MarketCalendar
from computefin.products.loan._checks import (
    check_amortization,
    check_draws,
    check_rate,
    check_term,
)
from computefin.products.loan._fields import (
    CENT,
    LOAN_INDICES,
    Amortization,
    DatedAmount,
    FeeRate,
    FloorCapBasis,
    LoanCollateral,
    LoanCovenants,
    Margin,
    pairs_to_records,
)

if TYPE_CHECKING:
    import pandas as pd

    from computefin.domain.portfolio import Portfolio
    from computefin.products.valuation import LoanValuation

__all__ = [
    "CENT",
    "DEFAULT_CALENDARS",
    "DEFAULT_FIXING_LAG_DAYS",
    "LOAN_INDICES",
    "CollateralLoan",
]

DEFAULT_FIXING_LAG_DAYS: Final[dict[RateIndex, int]] = {
    RateIndex.SHIBOR3M: 1,
    RateIndex.SOFR: 2,
    RateIndex.LPR1Y: 0,
    RateIndex.LPR5Y: 0,
}
"""Business days between a floating rate's fixing date and the accrual start, by index."""

DEFAULT_CALENDARS: Final[dict[Currency, str]] = {Currency.CNY: "CN-IB", Currency.USD: "US-SOFR"}
"""The calendar a loan gets when none is given, by currency."""

_NAME = "CollateralLoan"
_NESTED_MODELS = ("DatedAmount", "LoanCollateral", "LoanCovenants")


class CollateralLoan(IdTaggedModel):
    """A term loan secured by GPU fleets and the assignment of their rental contracts.

    Fixed (``fixed_rate``) or floating (``index`` + ``margin``, optional ``floor``/``cap``);
    amortization ``level``, ``straight``, ``bullet``, ``balloon`` or ``custom``; delayed
    draws with a commitment fee on the undrawn amount; an upfront fee. Without ``draws``
    the whole ``principal`` is drawn at ``start``. ``calendar`` defaults by currency
    (``CN-IB`` for CNY, ``US-SOFR`` for USD) and ``fixing_lag_days`` by index (SHIBOR3M 1,
    SOFR 2, LPR 0 business days); the defaults are written into the model, so its JSON
    says what was used. Conventions: ``docs/products/loan.md``.

    >>> loan = CollateralLoan(id="loan-7", borrower_counterparty_id="neocloud-a",
    ...     principal=10_000_000.0, currency="CNY", start=dt.date(2027, 1, 15),
    ...     maturity=dt.date(2030, 1, 15), frequency="quarterly", amortization="level",
    ...     index="LPR1Y", margin=0.015, floor=0.03)
    >>> loan.calendar, loan.fixing_lag_days, loan.is_floating, loan.drawn_total
    ('CN-IB', 0, True, 10000000.0)
    >>> CollateralLoan.model_validate_json(loan.model_dump_json()) == loan
    True
    >>> loan.model_copy(update={"maturity": dt.date(2026, 1, 15)})
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: CollateralLoan[loan-7].maturity: must be after start ...
    >>> loan.model_copy(update={"margin": 150})
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: CollateralLoan[loan-7].margin: margins and fees are ...
    150.0 looks like a percentage or basis points (got 150)
    """

    id: Identifier
    borrower_counterparty_id: Identifier
    principal: PositiveFloat = Field(description="Commitment, in `currency` (> 0).")
    currency: Currency
    start: dt.date = Field(description="Closing date: accrual starts, upfront fee is paid.")
    maturity: dt.date = Field(description="Final maturity (unadjusted), after `start`.")
    frequency: Frequency = Field(description="Interest and principal payment frequency.")
    amortization: Amortization
    balloon_share: float | None = Field(
        default=None,
        gt=0.0,
        lt=1.0,
        description="Balloon as a share of the amount drawn, in (0, 1); only with 'balloon'.",
    )
    custom_principal_schedule: tuple[DatedAmount, ...] = Field(
        default=(),
        description="Repayments (date, amount) that repay exactly the amount drawn; "
        "only with 'custom'.",
    )
    fixed_rate: Rate | None = Field(default=None, description="Fixed rate, decimal p.a.")
    index: RateIndex | None = Field(
        default=None, description="Floating index: LPR1Y, LPR5Y, SHIBOR3M or SOFR."
    )
    margin: Margin | None = Field(
        default=None, description="Spread over the index, decimal (0.025 = 250bp)."
    )
    floor: Rate | None = Field(default=None, description="Rate floor, decimal p.a.")
    cap: Rate | None = Field(default=None, description="Rate cap, decimal p.a.")
    floor_cap_on: FloorCapBasis = Field(
        default=FloorCapBasis.ALL_IN, description="Bound the all-in rate or the index."
    )
    fixing_lag_days: int | None = Field(
        default=None,
        ge=0,
        le=10,
        description="Business days from fixing date to accrual start (floating only).",
    )
    day_count: DayCount = Field(default=DayCount.ACT_360, description="Accrual day count.")
    calendar: str = Field(default="", description="Calendar name, e.g. CN-IB, US-SOFR.")
    business_day_convention: BusinessDayConvention = BusinessDayConvention.MODIFIED_FOLLOWING
    stub: StubRule = Field(default=StubRule.SHORT_FRONT, description="Odd-period placement.")
    upfront_fee_rate: FeeRate = Field(
        default=0.0, description="Upfront fee as a share of the commitment, paid at start."
    )
    commitment_fee_rate: FeeRate = Field(
        default=0.0, description="Fee p.a. on the undrawn commitment while available."
    )
    draws: tuple[DatedAmount, ...] = Field(
        default=(),
        description="Delayed draws (date, amount); empty means fully drawn at start.",
    )
    availability_end: dt.date | None = Field(
        default=None,
        description="End of the availability period (undrawn commitment cancels); "
        "default maturity.",
    )
    collateral: LoanCollateral = Field(default_factory=LoanCollateral)
    covenants: LoanCovenants = Field(default_factory=LoanCovenants)

    # -- entry points that name the loan in every error ---------------------------------

    @classmethod
    def _rename_field(cls, field: str) -> str:
        """Drop the nested models' class names pydantic puts in an error's path."""
        for nested in _NESTED_MODELS:
            field = field.replace(f".{nested}.", ".")
        return field

    # -- validation -----------------------------------------------------------------------

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for name in ("draws", "custom_principal_schedule"):
            if name in out:
                out[name] = pairs_to_records(out[name])
        if not out.get("calendar"):
            # An unknown currency is reported by its own field, a missing default by calendar.
            with suppress(KeyError, ValueError, TypeError):
                out["calendar"] = DEFAULT_CALENDARS[Currency(out["currency"])]
        if out.get("index") is not None and out.get("fixing_lag_days") is None:
            with suppress(KeyError, ValueError, TypeError):  # the index field reports it
                out["fixing_lag_days"] = DEFAULT_FIXING_LAG_DAYS[RateIndex(out["index"])]
        return out

    @field_validator("calendar")
    @classmethod
    def _known_calendar(cls, value: str) -> str:
        name = value.strip().upper()
        if not name:
            raise ValueError(
                "required for currencies without a default calendar "
                f"(defaults: {', '.join(f'{k.value} {v}' for k, v in DEFAULT_CALENDARS.items())})"
            )
        if name not in CALENDAR_NAMES:
            raise ValueError(f"unknown calendar; known: {', '.join(CALENDAR_NAMES)}")
        return name

    @model_validator(mode="after")
    def _consistent(self) -> CollateralLoan:
        problems: list[FieldProblem] = []
        check_term(self, problems)
        check_rate(self, problems)
        check_draws(self, problems)
        check_amortization(self, problems)
        if problems:
            raise ValidationError.from_problems(problems)
        return self

    # -- derived --------------------------------------------------------------------------

    @property
    def is_floating(self) -> bool:
        """True for a loan on an index (``index`` + ``margin``)."""
        return self.index is not None

    @property
    def draw_schedule(self) -> tuple[DatedAmount, ...]:
        """The draws in effect: ``draws``, or the whole principal at ``start``.

        >>> CollateralLoan(id="l", borrower_counterparty_id="b", principal=5.0, currency="USD",
        ...     start=dt.date(2027, 1, 4), maturity=dt.date(2028, 1, 4), frequency="annual",
        ...     amortization="bullet", fixed_rate=0.07).draw_schedule[0].amount
        5.0
        """
        if self.draws:
            return self.draws
        return (DatedAmount(date=self.start, amount=self.principal),)

    @property
    def drawn_total(self) -> float:
        """Sum of the draws in effect, in ``currency`` (at most ``principal``)."""
        return float(sum(d.amount for d in self.draw_schedule))

    def cashflows(
        self,
        market: MarketSnapshot | None = None,
        *,
        curves: dict[RateIndex, Curve] | None = None,
        calendars: dict[str, MarketCalendar] | None = None,
    ) -> pd.DataFrame:
        """The loan's cash flows, one row per period: the book kernel with one loan.

        Columns: ``period, accrual_start, accrual_end, pay_date, opening_balance, draw,
        rate, interest, principal, commitment_fee, upfront_fee, total_cashflow,
        closing_balance``, then ``year_fraction, undrawn_commitment, index_rate,
        fixing_date``. ``total_cashflow`` is to the lender: receipts positive, draws
        negative. Money unrounded, in ``currency``. ``market`` is needed for floating loans
        (fixings, curves); see :meth:`LoanBook.cashflows`.

        >>> loan = CollateralLoan(id="l-1", borrower_counterparty_id="b", principal=1200.0,
        ...     currency="USD", start=dt.date(2027, 1, 15), maturity=dt.date(2027, 7, 15),
        ...     frequency="quarterly", amortization="straight", fixed_rate=0.08,
        ...     day_count="30/360", business_day_convention="unadjusted")
        >>> cf = loan.cashflows()
        >>> print(cf[["period", "opening_balance", "draw", "interest", "principal",
        ...           "total_cashflow"]].to_string(index=False))
         period  opening_balance   draw  interest  principal  total_cashflow
              1              0.0 1200.0      24.0      600.0          -576.0
              2            600.0    0.0      12.0      600.0           612.0
        """
        from computefin.products.loan.book import LoanBook

        book = LoanBook.from_models([self])
        return book.cashflows(market, curves=curves, calendars=calendars).loan_frame(0)

    def value(
        self,
        market: MarketSnapshot,
        portfolio: Portfolio,
        scenarios: int | None = None,
        **options: Any,
    ) -> LoanValuation:
        """The loan's valuation (:func:`computefin.products.valuation.value_loan`).

        ``portfolio`` resolves the borrower, the collateral fleets and the assigned
        contracts the loan names by id; ``scenarios`` is a number of paths (with
        ``seed=...``) or None for the expected case.

        >>> from computefin.domain import demo_market, demo_portfolio
        >>> loan = CollateralLoan(id="fx-2", borrower_counterparty_id="us-neocloud",
        ...     principal=10e6, currency="USD", start=dt.date(2027, 1, 15),
        ...     maturity=dt.date(2030, 1, 15), frequency="quarterly",
        ...     amortization="straight", fixed_rate=0.09)
        >>> loan.value(demo_market(), demo_portfolio()).outstanding
        10000000.0
        """
        # Imported here: the valuation builds on this module.
        from computefin.products.valuation import value_loan

        return value_loan(self, portfolio, market, scenarios, **options)
