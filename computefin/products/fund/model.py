"""The compute wealth product / fund (算力理财及基金) as a validated, frozen model.

A :class:`ComputeFund` holds compute rights certificates, ABS tranches and shares of
compute collateral loans, plus cash, less accrued liabilities, against a number of units
outstanding. Holdings are data (:class:`CertificateHolding`, :class:`TrancheHolding`,
:class:`LoanHolding`, a union tagged by ``kind``); an ABS deal is inline in its holding or
listed once in ``ComputeFund.deals`` and referenced by id. Money is in each product's own
currency and converted to the fund's at the snapshot's spot FX when the fund is valued.
Errors name the field: ``ComputeFund.units_outstanding: Input should be greater than 0``.
NAV and figures: ``docs/products/fund.md``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from pydantic import Discriminator, Field, Tag, model_validator

from computefin.domain._base import DomainModel
from computefin.domain._types import Currency, Identifier, NonNegativeFloat, PositiveFloat
from computefin.errors import FieldProblem, ValidationError
from computefin.products.abs import AbsDeal
from computefin.products.certificate import ComputeCertificate
from computefin.products.loan import CollateralLoan

if TYPE_CHECKING:
    from computefin.domain import MarketSnapshot, Portfolio
    from computefin.products.fund.valuation import FundValuation

__all__ = [
    "CertificateHolding",
    "ComputeFund",
    "Holding",
    "LoanHolding",
    "TrancheHolding",
]

_KINDS = ("certificate", "abs_tranche", "loan")
_TAGGED = re.compile(r"(\.holdings\[\d+\])\.(certificate|abs_tranche|loan)\.([A-Za-z_]+)")
_PRODUCT_TAG = re.compile(r"\.(?:ComputeCertificate|CollateralLoan)\[[^\]]*\](?=\.|$)")
_HOLDING_FIELDS = {
    "certificate": {"kind", "certificate", "quantity"},
    "abs_tranche": {"kind", "deal", "deal_id", "tranche", "face"},
    "loan": {"kind", "loan", "share"},
}


def _untag(match: re.Match[str]) -> str:
    where, tag, name = match.group(1), match.group(2), match.group(3)
    return f"{where}.{name}" if name in _HOLDING_FIELDS[tag] else match.group(0)


def _tidy(exc: ValidationError) -> ValidationError:
    """The same problems without the union tag (``holdings[0].certificate.quantity`` is
    the holding's quantity) and without a nested product's own ``Model[id]`` prefix."""
    problems = []
    for p in exc.problems:
        field = _PRODUCT_TAG.sub("", _TAGGED.sub(_untag, p.field, count=1))
        problems.append(FieldProblem(field, p.reason, p.value))
    return ValidationError.from_problems(problems)


class CertificateHolding(DomainModel):
    """``quantity`` units of a compute rights certificate (at most the issue's ``units``).

    Value: the certificate's ``fair_value_per_unit`` x ``quantity``, in its currency.

    >>> from computefin.products.fund import demo_fund
    >>> h = demo_fund().holdings[0]
    >>> h.kind, h.quantity, h.key
    ('certificate', 8000.0, 'certificate:nx-h20-cert-fund')
    """

    kind: Literal["certificate"] = "certificate"
    certificate: ComputeCertificate
    quantity: PositiveFloat = Field(description="Certificate units held (> 0, <= units).")

    @model_validator(mode="after")
    def _within_issue(self) -> Self:
        if self.quantity > self.certificate.units:
            raise ValidationError(
                "quantity",
                f"more than the {self.certificate.units} units of certificate "
                f"{self.certificate.id!r}",
                self.quantity,
            )
        return self

    @property
    def key(self) -> str:
        """The holding's name in results: ``certificate:<certificate id>``."""
        return f"certificate:{self.certificate.id}"

    @property
    def currency(self) -> Currency:
        """Currency of the holding's values (the certificate's)."""
        return self.certificate.currency


class TrancheHolding(DomainModel):
    """``face`` (original principal, deal currency) of one tranche of an ABS deal.

    The deal is ``deal`` (inline) or ``deal_id`` (an entry of ``ComputeFund.deals``), not
    both. Value: ``face`` / the tranche's original balance x the tranche's ``pv`` from
    :func:`~computefin.products.abs.value_deal` (the bank's batch convention).

    >>> from computefin.products.fund import demo_fund
    >>> h = demo_fund().holdings[1]
    >>> h.kind, h.deal_id, h.tranche, h.face
    ('abs_tranche', 'abs-demo-gpu-lease-2026', 'B', 30000000.0)
    """

    kind: Literal["abs_tranche"] = "abs_tranche"
    deal: AbsDeal | None = Field(default=None, description="The deal, inline.")
    deal_id: Identifier | None = Field(
        default=None, description="Id of a deal in ComputeFund.deals."
    )
    tranche: str = Field(min_length=1, description="Tranche name in the deal's structure.")
    face: PositiveFloat = Field(description="Original face held, in the deal currency.")

    @model_validator(mode="after")
    def _one_deal(self) -> Self:
        if (self.deal is None) == (self.deal_id is None):
            raise ValidationError(
                "deal_id", "give the deal inline (deal) or by reference (deal_id), not both"
            )
        if self.deal is not None:
            _check_tranche(self, self.deal, "tranche", "face")
        return self

    @property
    def deal_key(self) -> str:
        """Id of the deal: the inline deal's, or ``deal_id``."""
        return self.deal.id if self.deal is not None else str(self.deal_id)

    @property
    def key(self) -> str:
        """The holding's name in results: ``abs:<deal id>:<tranche>``."""
        return f"abs:{self.deal_key}:{self.tranche}"


def _check_tranche(holding: TrancheHolding, deal: AbsDeal, where: str, face_where: str) -> None:
    names = [t.name for t in deal.structure.tranches]
    if holding.tranche not in names:
        raise ValidationError(
            where, f"no such tranche in deal {deal.id!r}; tranches: {', '.join(names)}",
            holding.tranche,
        )  # fmt: skip
    balance = next(t.balance for t in deal.structure.tranches if t.name == holding.tranche)
    if holding.face > balance:
        raise ValidationError(
            face_where,
            f"more than tranche {holding.tranche}'s original balance ({balance:,.2f})",
            holding.face,
        )


class LoanHolding(DomainModel):
    """A ``share`` in (0, 1] of a compute collateral loan (a participation).

    Value: ``share`` x the loan's ``pv`` from :func:`~computefin.products.valuation.value_book`.

    >>> from computefin.products.fund import demo_fund
    >>> h = demo_fund().holdings[2]
    >>> h.kind, h.share, h.loan.currency.value
    ('loan', 0.75, 'CNY')
    """

    kind: Literal["loan"] = "loan"
    loan: CollateralLoan
    share: float = Field(gt=0.0, le=1.0, description="Share of the loan held, in (0, 1].")

    @property
    def key(self) -> str:
        """The holding's name in results: ``loan:<loan id>``."""
        return f"loan:{self.loan.id}"

    @property
    def currency(self) -> Currency:
        """Currency of the holding's values (the loan's)."""
        return self.loan.currency


def _kind(value: Any) -> str | None:
    found = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return found if isinstance(found, str) else None


Holding = Annotated[
    Annotated[CertificateHolding, Tag("certificate")]
    | Annotated[TrancheHolding, Tag("abs_tranche")]
    | Annotated[LoanHolding, Tag("loan")],
    Discriminator(
        _kind,
        custom_error_type="unknown_kind",
        custom_error_message=f"unknown kind; known: {', '.join(_KINDS)}",
    ),
]
"""A fund position: ``certificate``, ``abs_tranche`` or ``loan``."""


class ComputeFund(DomainModel):
    """A fund of compute products: holdings, cash and liabilities against units.

    ``units_outstanding`` (> 0) units share the NAV = holdings' values (in ``currency``) +
    ``cash`` - ``liabilities`` (accrued fees and other payables). ``management_fee_rate``
    (decimal a year, on NAV, all-in) is charged over the horizon of the scenario figures
    and deducted from the distributions. ``deals`` holds ABS deals referenced by
    ``TrancheHolding.deal_id``. :meth:`subscribe` and :meth:`redeem` return the fund after
    a subscription or redemption at a NAV per unit.

    >>> from computefin.products.fund import demo_fund
    >>> fund = demo_fund()
    >>> fund.currency.value, fund.units_outstanding, [h.kind for h in fund.holdings]
    ('CNY', 50000000.0, ['certificate', 'abs_tranche', 'loan'])
    >>> fund.model_copy(update={"units_outstanding": -1.0})
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: ComputeFund.units_outstanding: Input should be greater than 0 (got -1.0)
    """  # noqa: E501

    id: Identifier
    name: str = Field(default="", max_length=300)
    currency: Currency = Field(description="Currency of the NAV.")
    units_outstanding: PositiveFloat = Field(description="Units in issue (> 0).")
    cash: NonNegativeFloat = Field(default=0.0, description="Cash held, in `currency`.")
    liabilities: NonNegativeFloat = Field(
        default=0.0, description="Accrued fees and other payables, in `currency`."
    )
    management_fee_rate: float = Field(
        default=0.0, ge=0.0, le=0.1, description="All-in fee, decimal a year on NAV."
    )
    holdings: tuple[Holding, ...] = Field(default=(), description="The fund's positions.")
    deals: tuple[AbsDeal, ...] = Field(
        default=(), description="ABS deals referenced by TrancheHolding.deal_id."
    )

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _tidy(exc) from exc

    @classmethod
    def model_validate(cls, *args: Any, **kwargs: Any) -> Self:
        """Validate a mapping; errors name ``ComputeFund.<field>``."""
        try:
            return super().model_validate(*args, **kwargs)
        except ValidationError as exc:
            raise _tidy(exc) from exc

    @classmethod
    def model_validate_json(cls, *args: Any, **kwargs: Any) -> Self:
        """Validate a JSON document; errors name ``ComputeFund.<field>``."""
        try:
            return super().model_validate_json(*args, **kwargs)
        except ValidationError as exc:
            raise _tidy(exc) from exc

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems: list[FieldProblem] = []
        deals: dict[str, AbsDeal] = {}
        for i, deal in enumerate(self.deals):
            if deal.id in deals:
                problems.append(
                    FieldProblem(f"deals[{i}].id", "duplicates an earlier deal", deal.id)
                )
            deals[deal.id] = deal
        seen: set[str] = set()
        for i, holding in enumerate(self.holdings):
            if isinstance(holding, TrancheHolding) and holding.deal is None:
                deal_ = deals.get(str(holding.deal_id))
                if deal_ is None:
                    problems.append(
                        FieldProblem(
                            f"holdings[{i}].deal_id",
                            f"not in deals ({', '.join(deals) or 'none given'})",
                            holding.deal_id,
                        )
                    )
                    continue
                try:
                    _check_tranche(holding, deal_, f"holdings[{i}].tranche", f"holdings[{i}].face")
                except ValidationError as exc:
                    problems.extend(exc.problems)
                    continue
            if holding.key in seen:
                problems.append(
                    FieldProblem(f"holdings[{i}]", "duplicates an earlier holding", holding.key)
                )
            seen.add(holding.key)
        if problems:
            raise ValidationError.from_problems(problems)
        return self

    # -- derived --------------------------------------------------------------------------

    def deal(self, holding: TrancheHolding) -> AbsDeal:
        """The ABS deal of a tranche holding (inline, or from ``deals`` by id).

        >>> from computefin.products.fund import demo_fund
        >>> fund = demo_fund()
        >>> fund.deal(fund.holdings[1]).id
        'abs-demo-gpu-lease-2026'
        """
        if holding.deal is not None:
            return holding.deal
        return next(d for d in self.deals if d.id == holding.deal_id)

    # -- unit dealing -----------------------------------------------------------------------

    def subscribe(self, amount: float, nav_per_unit: float) -> ComputeFund:
        """The fund after ``amount`` (currency) is subscribed at ``nav_per_unit``: units
        grow by ``amount / nav_per_unit`` and cash by ``amount``, so NAV per unit is kept.

        >>> from computefin.products.fund import demo_fund
        >>> after = demo_fund().subscribe(1_000_000.0, 1.25)
        >>> after.units_outstanding - demo_fund().units_outstanding, after.cash - demo_fund().cash
        (800000.0, 1000000.0)
        """
        amount = _positive(amount, "amount")
        nav = _positive(nav_per_unit, "nav_per_unit")
        return self.model_copy(
            update={
                "units_outstanding": self.units_outstanding + amount / nav,
                "cash": self.cash + amount,
            }
        )

    def redeem(self, units: float, nav_per_unit: float) -> ComputeFund:
        """The fund after ``units`` are redeemed at ``nav_per_unit``, paid from cash: units
        fall by ``units`` and cash by ``units x nav_per_unit`` (NAV per unit is kept).
        Redeeming every unit, or more than the cash pays, is refused: sell holdings first.

        >>> from computefin.products.fund import demo_fund
        >>> after = demo_fund().redeem(2_000_000.0, 1.05)
        >>> demo_fund().cash - after.cash
        2100000.0
        >>> demo_fund().redeem(50_000_000.0, 1.05)
        Traceback (most recent call last):
        ...
        computefin.errors.ValidationError: ComputeFund.redeem.units: must be below the units outstanding (50000000.0) (got 50000000.0)
        """  # noqa: E501
        units = _positive(units, "units")
        nav = _positive(nav_per_unit, "nav_per_unit")
        if units >= self.units_outstanding:
            raise ValidationError(
                "ComputeFund.redeem.units",
                f"must be below the units outstanding ({self.units_outstanding})",
                units,
            )
        amount = units * nav
        if amount > self.cash:
            raise ValidationError(
                "ComputeFund.redeem.units",
                f"pays {amount:,.2f}, more than the cash ({self.cash:,.2f}): sell holdings first",
                units,
            )
        return self.model_copy(
            update={"units_outstanding": self.units_outstanding - units, "cash": self.cash - amount}
        )

    def value(
        self,
        market: MarketSnapshot,
        portfolio: Portfolio,
        scenarios: int | None = None,
        *,
        seed: int = 0,
        **options: Any,
    ) -> FundValuation:
        """The fund's valuation: :func:`~computefin.products.fund.value_fund` (see it).

        >>> from computefin.domain import demo_market, demo_portfolio
        >>> from computefin.products.fund import demo_fund
        >>> v = demo_fund().value(demo_market(), demo_portfolio())
        >>> round(v.nav_per_unit, 4), v.n_paths
        (1.093, 1)
        """
        from computefin.products.fund.valuation import value_fund

        return value_fund(self, market, portfolio, scenarios, seed=seed, **options)


def _positive(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(f"ComputeFund.{name}", "must be a number", value)
    number = float(value)
    if not number > 0.0 or number == float("inf"):
        raise ValidationError(f"ComputeFund.{name}", "must be a positive finite number", value)
    return number
