"""The credit application and the decision, as validated, frozen, JSON round-trippable models.

A :class:`CreditApplication` carries everything the decision needs inline: the borrower
and every lessee (counterparties), the pledged fleets (their server groups are the
components), the assigned contracts, the loan terms asked for and, optionally, the
borrower's financial statements. Money is in the application's ``currency`` unless a
model says otherwise (fleets and contracts carry their own currency and are converted at
the snapshot's FX rates); rates, margins and shares are decimals (0.025 = 2.5% = 250bp).
The JSON Schema is published as ``docs/approval-application.schema.json``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import Field, StringConstraints, model_validator

from computefin.domain import (
    Contract,
    Counterparty,
    Currency,
    Fleet,
    Frequency,
    Portfolio,
    RateIndex,
)
from computefin.domain._base import DomainModel
from computefin.domain._types import Identifier, NonNegativeFloat, PositiveFloat
from computefin.errors import FieldProblem, ValidationError
from computefin.products.loan import Amortization, LoanCovenants
from computefin.products.loan._fields import Margin
from computefin.products.loan.model import DEFAULT_CALENDARS
from computefin.risk.grid import add_months

__all__ = [
    "DEFAULT_INDEX",
    "CollateralFigures",
    "Covenant",
    "CreditApplication",
    "CreditFigures",
    "Decision",
    "FinancialStatements",
    "MarginBreakdown",
    "Outcome",
    "RateType",
    "RuleOutcome",
    "RuleStatus",
]

DEFAULT_INDEX: Final[dict[Currency, RateIndex]] = {
    Currency.CNY: RateIndex.LPR1Y,
    Currency.USD: RateIndex.SOFR,
}
"""The index of a floating application that names none, by currency."""

_LOAN_CURRENCIES: Final = tuple(DEFAULT_CALENDARS)
_EARLIEST: Final = dt.date(1990, 1, 1)
_LATEST: Final = dt.date(2150, 12, 31)
_APP = "CreditApplication"


class RateType(StrEnum):
    """``floating`` (index + margin) or ``fixed`` (par rate on the discount curve + margin).

    >>> RateType("fixed").value
    'fixed'
    """

    FIXED = "fixed"
    FLOATING = "floating"


class FinancialStatements(DomainModel):
    """The borrower's latest annual financial statements, in the application's currency.

    >>> fs = FinancialStatements(period_end=dt.date(2025, 12, 31), currency="USD",
    ...     revenue=80e6, ebitda=40e6, total_debt=60e6, cash=10e6)
    >>> fs.net_debt
    50000000.0
    """

    period_end: dt.date = Field(description="Last day of the reported year.")
    currency: Currency
    revenue: NonNegativeFloat = Field(description="Revenue of the year.")
    ebitda: float = Field(ge=-1e15, le=1e15, description="EBITDA of the year (may be < 0).")
    total_debt: NonNegativeFloat = Field(description="Financial debt at period end.")
    cash: NonNegativeFloat = Field(default=0.0, description="Cash at period end.")

    @property
    def net_debt(self) -> float:
        """Total debt minus cash."""
        return self.total_debt - self.cash


class CreditApplication(DomainModel):
    """A request for a compute collateral loan, with its collateral and parties inline.

    ``counterparties`` must hold the borrower, every fleet owner and every lessee;
    ``contracts`` are the contracts assigned to the lender, all on the pledged
    ``fleets``. Floating loans pay ``index`` (default LPR1Y for CNY, SOFR for USD) plus
    ``requested_margin``; fixed loans pay the par rate of the currency's discount curve
    on the loan's schedule plus ``requested_margin``. ``tenor_months`` runs from
    ``start``; the loan currency is CNY or USD (the currencies with a default calendar).

    >>> from computefin.domain import demo_portfolio
    >>> p = demo_portfolio()
    >>> app = CreditApplication(id="app-1", borrower_counterparty_id="us-neocloud",
    ...     counterparties=p.counterparties, requested_amount=10e6, currency="USD",
    ...     start=dt.date(2026, 12, 15), tenor_months=24, amortization="straight",
    ...     rate_type="floating", requested_margin=0.045,
    ...     fleets=[p.fleet("fleet-dal-h100")],
    ...     contracts=[c for c in p.contracts if c.fleet_id == "fleet-dal-h100"])
    >>> app.index.value, app.maturity.isoformat()
    ('SOFR', '2028-12-15')
    >>> CreditApplication.model_validate({**app.model_dump(), "index": "LPR1Y"})
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: CreditApplication.index: LPR1Y is a CNY index; ...
    """

    id: Identifier = Field(description="The bank's application reference.")
    borrower_counterparty_id: Identifier = Field(description="Borrower, among counterparties.")
    counterparties: tuple[Counterparty, ...] = Field(
        min_length=1, max_length=500, description="Borrower, fleet owners and lessees."
    )
    requested_amount: PositiveFloat = Field(le=1e13, description="Amount requested, in `currency`.")
    currency: Currency = Field(description="Loan currency: CNY or USD.")
    start: dt.date = Field(description="Drawdown date; on or after the market snapshot date.")
    tenor_months: int = Field(ge=1, le=360, description="Months from start to maturity.")
    frequency: Frequency = Field(
        default=Frequency.QUARTERLY, description="Interest and principal frequency."
    )
    amortization: Amortization = Field(description="level, straight, bullet or balloon.")
    balloon_share: float | None = Field(
        default=None, gt=0.0, lt=1.0, description="Balloon share of the amount (balloon only)."
    )
    rate_type: RateType
    index: RateIndex | None = Field(
        default=None, description="Floating index (default LPR1Y for CNY, SOFR for USD)."
    )
    requested_margin: Margin = Field(
        description="Margin asked for, decimal p.a. (0.045 = 450bp), over the index or par."
    )
    fleets: tuple[Fleet, ...] = Field(
        min_length=1, max_length=50, description="Pledged fleets (their server groups)."
    )
    contracts: tuple[Contract, ...] = Field(
        default=(), max_length=1000, description="Contracts assigned to the lender."
    )
    financial_statements: FinancialStatements | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_index(cls, data: Any) -> Any:
        if (
            isinstance(data, dict)
            and data.get("rate_type") == "floating"
            and data.get("index") is None
            and data.get("currency") in _LOAN_CURRENCIES
        ):
            return {**data, "index": DEFAULT_INDEX[Currency(data["currency"])].value}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> CreditApplication:
        problems: list[FieldProblem] = []
        if self.currency not in _LOAN_CURRENCIES:
            problems.append(
                FieldProblem(
                    "currency",
                    f"loans are made in {' or '.join(c.value for c in _LOAN_CURRENCIES)}",
                    self.currency.value,
                )
            )
        if self.amortization is Amortization.CUSTOM:
            problems.append(
                FieldProblem("amortization", "use level, straight, bullet or balloon", "custom")
            )
        if (self.amortization is Amortization.BALLOON) != (self.balloon_share is not None):
            problems.append(
                FieldProblem("balloon_share", "is required with, and only with, 'balloon'")
            )
        if self.rate_type is RateType.FIXED and self.index is not None:
            problems.append(FieldProblem("index", "must be empty for a fixed-rate loan"))
        if self.index is not None and self.index.currency != self.currency:
            problems.append(
                FieldProblem(
                    "index",
                    f"{self.index.value} is a {self.index.currency.value} index; the loan is "
                    f"in {self.currency.value}",
                    self.index.value,
                )
            )
        if self.index is RateIndex.FR007:
            problems.append(FieldProblem("index", "loans reset on LPR, Shibor or SOFR", "FR007"))
        if self.requested_margin < 0.0:
            problems.append(FieldProblem("requested_margin", "must not be negative"))
        fs = self.financial_statements
        if fs is not None and fs.currency != self.currency:
            problems.append(
                FieldProblem(
                    "financial_statements.currency",
                    f"must be the loan currency {self.currency.value}; convert first",
                    fs.currency.value,
                )
            )
        if self.borrower_counterparty_id not in {c.id for c in self.counterparties}:
            problems.append(
                FieldProblem(
                    "borrower_counterparty_id",
                    "is not among counterparties",
                    self.borrower_counterparty_id,
                )
            )
        for i, fleet in enumerate(self.fleets):
            for j, group in enumerate(fleet.server_groups):
                if not _EARLIEST <= group.acquired <= self.start:
                    problems.append(
                        FieldProblem(
                            f"fleets[{i}].server_groups[{j}].acquired",
                            f"must be between {_EARLIEST.isoformat()} and the loan start "
                            "(pledged servers must exist at drawdown)",
                            group.acquired.isoformat(),
                        )
                    )
        for i, contract in enumerate(self.contracts):
            for name in ("start", "end"):
                day = getattr(contract, name)
                if not _EARLIEST <= day <= _LATEST:
                    problems.append(
                        FieldProblem(
                            f"contracts[{i}].{name}",
                            f"must be between {_EARLIEST.isoformat()} and {_LATEST.isoformat()}",
                            day.isoformat(),
                        )
                    )
        pledged = {f.id for f in self.fleets}
        for i, contract in enumerate(self.contracts):
            if contract.fleet_id not in pledged:
                problems.append(
                    FieldProblem(
                        f"contracts[{i}].fleet_id", "is not a pledged fleet", contract.fleet_id
                    )
                )
        if problems:
            raise ValidationError.from_problems(problems)
        self.portfolio()  # references, duplicates, over-commitment
        return self

    @property
    def maturity(self) -> dt.date:
        """``start`` plus ``tenor_months`` (month ends stay month ends)."""
        return add_months(self.start, self.tenor_months)

    def portfolio(self) -> Portfolio:
        """The counterparties, fleets and contracts as a validated portfolio."""
        try:
            return Portfolio(
                counterparties=self.counterparties, fleets=self.fleets, contracts=self.contracts
            )
        except ValidationError as exc:
            raise ValidationError.from_problems(
                FieldProblem(p.field.removeprefix("Portfolio."), p.reason, p.value)
                for p in exc.problems
            ) from exc


class Outcome(StrEnum):
    """The decision: ``approve``, ``refer`` (to a credit officer) or ``decline``."""

    APPROVE = "approve"
    REFER = "refer"
    DECLINE = "decline"


class RuleStatus(StrEnum):
    """A rule's outcome: ``pass``, ``fail`` or ``not_applicable``."""

    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"


_Text = Annotated[str, StringConstraints(max_length=2000)]


class RuleOutcome(DomainModel):
    """One rule applied to the requested amount: measured value, limit, outcome, words.

    ``max_amount`` is the largest amount this rule alone allows (amount-dependent rules;
    None for the others).

    >>> RuleOutcome(rule="max_stressed_ltv", title="Stressed LTV", status="pass",
    ...     on_breach="decline", measured=0.5, limit=0.8, comparison="<=", unit="share",
    ...     amount_dependent=True, explanation="ok").status.value
    'pass'
    """

    rule: str
    title: str
    status: RuleStatus
    on_breach: Literal["decline", "refer"]
    measured: float | None
    limit: float
    comparison: Literal["<=", ">="]
    unit: Literal["share", "multiple", "years", "count", "rate"]
    amount_dependent: bool
    max_amount: float | None = None
    explanation: _Text


class Covenant(DomainModel):
    """A covenant to attach to the loan, with its threshold where it has one.

    >>> Covenant(name="min_dscr", threshold=1.2, text="DSCR at least 1.20x").threshold
    1.2
    """

    name: str
    threshold: float | None = None
    text: _Text


class MarginBreakdown(DomainModel):
    """The risk-based margin at the requested amount, decimals per year.

    ``risk_based_margin = expected_loss + capital_charge + funding + operating``;
    ``raroc = (requested_margin - funding - operating - expected_loss) / capital``
    with ``capital = capital_ratio x risk_weight``.

    >>> MarginBreakdown(expected_loss=0.01, capital_charge=0.02, funding=0.006,
    ...     operating=0.004, risk_based_margin=0.04, requested_margin=0.045,
    ...     capital_per_unit=0.1, raroc=0.15).risk_based_margin
    0.04
    """

    expected_loss: float
    capital_charge: float
    funding: float
    operating: float
    risk_based_margin: float
    requested_margin: float
    capital_per_unit: float
    raroc: float | None


class CollateralFigures(DomainModel):
    """Collateral values in the loan currency (economic value of the pledged fleets).

    >>> CollateralFigures(value_now=1.0, stressed_value=0.5, stressed_by="q",
    ...     value_at_default=0.7, contracted_revenue_in_tenor=0.2,
    ...     remaining_life_years=3.0).stressed_value
    0.5
    """

    value_now: float = Field(description="Mean simulated value at the first period end.")
    stressed_value: float = Field(description="Lowest of the downturn and stressed values.")
    stressed_by: str = Field(description="What gave the stressed value.")
    value_at_default: float = Field(description="Downturn quantile at the default horizon.")
    contracted_revenue_in_tenor: float = Field(description="Take-or-pay revenue in tenor.")
    remaining_life_years: float = Field(description="Shortest remaining economic life.")


class CreditFigures(DomainModel):
    """Credit and capital at the requested amount (money in the loan currency).

    >>> CreditFigures(pd_1y=0.02, lgd=0.3, expected_loss=6.0, ead=1000.0, rwa=1150.0,
    ...     risk_weight=1.15, slotting_category="satisfactory", ltv=0.5,
    ...     base_dscr=1.6).risk_weight
    1.15
    """

    pd_1y: float
    lgd: float
    expected_loss: float
    ead: float
    rwa: float
    risk_weight: float
    slotting_category: str
    ltv: float = Field(description="Amount / expected collateral value now.")
    base_dscr: float | None


class Decision(DomainModel):
    """The answer to an application: outcome, amounts, margin, covenants and every rule.

    ``outcome`` is ``decline`` when a rule with ``on_breach: decline`` fails, else
    ``refer`` when any rule fails, else ``approve``. ``max_amount`` is the largest amount
    passing every rule (0 when a rule that does not depend on the amount fails).
    ``input_hash`` is the SHA-256 of the application, market snapshot and policy.

    >>> Decision.model_fields["outcome"].annotation.__name__
    'Outcome'
    """

    application_id: str
    outcome: Outcome
    summary: _Text
    currency: str
    requested_amount: float
    max_amount: float
    max_amount_by_amount_rules: float = Field(
        description="Largest amount passing every amount-dependent rule."
    )
    requested_margin: float
    risk_based_margin: float
    margin: MarginBreakdown
    credit: CreditFigures
    collateral: CollateralFigures
    covenants: tuple[Covenant, ...]
    loan_covenants: LoanCovenants
    rules: tuple[RuleOutcome, ...]
    reasons: tuple[_Text, ...] = Field(description="The failed rules, in words.")
    maturity: dt.date
    fixed_rate: float | None = Field(description="The coupon of a fixed-rate loan.")
    policy_name: str
    policy_version: str
    policy_hash: str
    market_as_of: dt.date
    market_hash: str
    input_hash: str
    scenarios: int
    seed: int
    engine_version: str
