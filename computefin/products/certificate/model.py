"""The compute rights certificate (算力权益凭证) as a validated, frozen, JSON round-trippable model.

A certificate entitles its holder, each payment period from ``issue_date`` to
``maturity``, to a share of a named fleet's net operating income or revenue, or to a
number of GPU-hours valued at the rental price. Every bad input raises
:class:`computefin.errors.ValidationError` naming the certificate and the field,
``ComputeCertificate[cert-1].floor_per_period: ...``. Money is in ``currency``; shares are
decimals in [0, 1]. Payoff and valuation: ``docs/products/certificate.md``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from computefin.domain._base import DomainModel, IdTaggedModel
from computefin.domain._types import Currency, Identifier, NonNegativeFloat, PositiveFloat, Share
from computefin.domain.assets import AcceleratorId
from computefin.domain.conventions import Frequency
from computefin.errors import FieldProblem, ValidationError
from computefin.risk.grid import add_months

if TYPE_CHECKING:
    from computefin.domain import MarketSnapshot, Portfolio
    from computefin.products.certificate.valuation import CertificateValuation

__all__ = [
    "ComputeCertificate",
    "Entitlement",
    "ExerciseDate",
    "GpuHoursEntitlement",
    "NoiShareEntitlement",
    "RevenueShareEntitlement",
]

_NAME = "ComputeCertificate"
_MAX_PERIODS = 360


class NoiShareEntitlement(DomainModel):
    """A share of the fleet's net operating income (revenue less opex) each period.

    A period's loss is not charged to the holder: the entitlement is
    ``max(share x NOI, 0)`` over the payment period.

    >>> NoiShareEntitlement(share=0.2).kind
    'noi_share'
    """

    kind: Literal["noi_share"] = "noi_share"
    share: Share = Field(description="Share of the fleet's NOI, decimal in [0, 1].")


class RevenueShareEntitlement(DomainModel):
    """A share of the fleet's gross revenue (contracted plus spot) each period.

    >>> RevenueShareEntitlement(share=0.05).share
    0.05
    """

    kind: Literal["revenue_share"] = "revenue_share"
    share: Share = Field(description="Share of the fleet's revenue, decimal in [0, 1].")


class GpuHoursEntitlement(DomainModel):
    """A number of GPU-hours per payment period, valued at the rental price of the period.

    The hours are valued at the scenario's spot rental price of ``accelerator_id`` (per
    GPU-hour, at each projection month's end, converted to the certificate's currency);
    ``None`` takes the fleet's accelerator (a fleet of several models must name one).

    >>> GpuHoursEntitlement(gpu_hours_per_period=50_000.0).accelerator_id is None
    True
    """

    kind: Literal["gpu_hours"] = "gpu_hours"
    gpu_hours_per_period: PositiveFloat = Field(description="GPU-hours per payment period.")
    accelerator_id: AcceleratorId | None = Field(
        default=None, description="Accelerator whose rental price values the hours."
    )


_KINDS = ("noi_share", "revenue_share", "gpu_hours")


def _kind(value: Any) -> str | None:
    found = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return found if isinstance(found, str) else None


Entitlement = Annotated[
    Annotated[NoiShareEntitlement, Tag("noi_share")]
    | Annotated[RevenueShareEntitlement, Tag("revenue_share")]
    | Annotated[GpuHoursEntitlement, Tag("gpu_hours")],
    Discriminator(
        _kind,
        custom_error_type="unknown_kind",
        custom_error_message=f"unknown kind; known: {', '.join(_KINDS)}",
    ),
]
"""What the holder receives each period: ``noi_share``, ``revenue_share`` or ``gpu_hours``."""


class ExerciseDate(DomainModel):
    """An issuer call or holder put: on ``date`` (a payment date) at ``price`` (currency).

    >>> ExerciseDate(date=dt.date(2027, 11, 27), price=2_500_000.0).price
    2500000.0
    """

    date: dt.date
    price: NonNegativeFloat = Field(description="Amount paid to the holder on exercise.")


class ComputeCertificate(IdTaggedModel):
    """A compute rights certificate on one fleet: what it pays, when, and its options.

    Payment dates run every ``frequency`` from ``issue_date`` to ``maturity`` (a whole
    number of periods). Each period pays the entitlement, bounded below by
    ``floor_per_period`` and above by ``cap_per_period`` (money per period); with
    ``senior_claim`` the payment is also limited to the fleet's NOI of the period (paid
    ahead of the owner's equity, out of the fleet's cash only). ``redemption`` is paid at
    maturity. The issuer may call on ``calls`` dates, the holder put on ``puts`` dates,
    each at its price, after that date's payment. ``units``: how many certificates the
    terms are split into (figures per unit are reported beside the totals).

    >>> cert = ComputeCertificate(id="nx-1", fleet_id="fleet-nx-h20", currency="CNY",
    ...     entitlement={"kind": "noi_share", "share": 0.1}, issue_date=dt.date(2026, 11, 27),
    ...     maturity=dt.date(2028, 11, 27), frequency="quarterly", issue_price=2.4e6,
    ...     floor_per_period=100_000.0, cap_per_period=600_000.0,
    ...     calls=[{"date": dt.date(2027, 11, 27), "price": 1.2e6}])
    >>> len(cert.payment_dates()), cert.payment_dates()[0]
    (8, datetime.date(2027, 2, 27))
    >>> ComputeCertificate.model_validate_json(cert.model_dump_json()) == cert
    True
    >>> cert.model_copy(update={"cap_per_period": 50_000.0})
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: ComputeCertificate[nx-1].floor_per_period: must not ...
    """

    id: Identifier
    fleet_id: Identifier = Field(description="The fleet whose cash flows pay the certificate.")
    currency: Currency = Field(description="Currency of every amount of the certificate.")
    entitlement: Entitlement
    issue_date: dt.date = Field(description="Issue date: the holder pays issue_price.")
    maturity: dt.date = Field(description="Last payment date: whole periods after issue.")
    frequency: Frequency = Field(default=Frequency.QUARTERLY, description="Payment frequency.")
    issue_price: PositiveFloat = Field(description="Price paid at issue, in `currency`.")
    units: int = Field(default=1, ge=1, le=10**12, description="Certificates in the issue.")
    floor_per_period: NonNegativeFloat | None = Field(
        default=None, description="Minimum payment per period, in `currency`."
    )
    cap_per_period: PositiveFloat | None = Field(
        default=None, description="Maximum payment per period, in `currency`."
    )
    redemption: NonNegativeFloat = Field(
        default=0.0, description="Amount paid at maturity (0: the entitlement only)."
    )
    calls: tuple[ExerciseDate, ...] = Field(
        default=(), description="Issuer call dates (payment dates) and prices."
    )
    puts: tuple[ExerciseDate, ...] = Field(
        default=(), description="Holder put dates (payment dates) and prices."
    )
    senior_claim: bool = Field(
        default=False,
        description="Paid ahead of the owner's equity out of the fleet's NOI: each "
        "period's payment is capped by the period's NOI (never below zero).",
    )

    # -- entry points that name the certificate in every error --------------------------

    @classmethod
    def _rename_field(cls, field: str) -> str:
        """Drop the entitlement's union tag and a catalog check's repeated field name."""
        for kind in _KINDS:
            field = field.replace(f".entitlement.{kind}.", ".entitlement.")
        head, _, leaf = field.rpartition(".")
        return head if head.endswith(f".{leaf}") else field

    # -- validation -----------------------------------------------------------------------

    @model_validator(mode="after")
    def _consistent(self) -> ComputeCertificate:
        problems: list[FieldProblem] = []
        self._check_term(problems)
        if (
            self.floor_per_period is not None
            and self.cap_per_period is not None
            and self.floor_per_period > self.cap_per_period
        ):
            problems.append(
                FieldProblem(
                    "floor_per_period",
                    f"must not exceed cap_per_period ({self.cap_per_period})",
                    self.floor_per_period,
                )
            )
        if not problems:
            dates = set(self.payment_dates())
            for name in ("calls", "puts"):
                self._check_exercise(name, dates, problems)
        if problems:
            raise ValidationError.from_problems(problems)
        return self

    def _check_term(self, problems: list[FieldProblem]) -> None:
        if self.maturity <= self.issue_date:
            problems.append(
                FieldProblem(
                    "maturity",
                    f"must be after issue_date ({self.issue_date.isoformat()})",
                    self.maturity.isoformat(),
                )
            )
            return
        step = self.frequency.months
        months = (self.maturity.year - self.issue_date.year) * 12 + (
            self.maturity.month - self.issue_date.month
        )
        n = months // step
        if months % step or add_months(self.issue_date, months) != self.maturity:
            problems.append(
                FieldProblem(
                    "maturity",
                    f"must be a whole number of {self.frequency.value} periods after "
                    f"issue_date ({self.issue_date.isoformat()}); stub periods are not "
                    "supported",
                    self.maturity.isoformat(),
                )
            )
        elif n > _MAX_PERIODS:
            problems.append(
                FieldProblem("maturity", f"at most {_MAX_PERIODS} periods", self.maturity)
            )

    def _check_exercise(self, name: str, dates: set[dt.date], problems: list[FieldProblem]) -> None:
        schedule: tuple[ExerciseDate, ...] = getattr(self, name)
        seen: set[dt.date] = set()
        for i, item in enumerate(schedule):
            where = f"{name}[{i}].date"
            if item.date >= self.maturity:
                problems.append(
                    FieldProblem(
                        where,
                        f"must be before maturity ({self.maturity.isoformat()})",
                        item.date.isoformat(),
                    )
                )
            elif item.date not in dates:
                problems.append(
                    FieldProblem(
                        where,
                        "must be a payment date (issue_date plus whole "
                        f"{self.frequency.value} periods)",
                        item.date.isoformat(),
                    )
                )
            elif item.date in seen:
                problems.append(FieldProblem(where, "duplicates an earlier date", item.date))
            seen.add(item.date)

    # -- derived --------------------------------------------------------------------------

    @property
    def n_periods(self) -> int:
        """Number of payment periods from issue to maturity."""
        months = (self.maturity.year - self.issue_date.year) * 12 + (
            self.maturity.month - self.issue_date.month
        )
        return months // self.frequency.months

    def payment_dates(self) -> list[dt.date]:
        """Payment dates (unadjusted): ``issue_date`` plus 1, 2, ... periods to maturity.

        >>> ComputeCertificate(id="c", fleet_id="f", currency="USD",
        ...     entitlement={"kind": "revenue_share", "share": 0.05},
        ...     issue_date=dt.date(2027, 1, 31), maturity=dt.date(2027, 7, 31),
        ...     frequency="quarterly", issue_price=1.0).payment_dates()
        [datetime.date(2027, 4, 30), datetime.date(2027, 7, 31)]
        """
        step = self.frequency.months
        return [add_months(self.issue_date, k * step) for k in range(1, self.n_periods + 1)]

    def value(
        self,
        market: MarketSnapshot,
        portfolio: Portfolio | None = None,
        scenarios: int | None = None,
        **options: Any,
    ) -> CertificateValuation:
        """The certificate's valuation: :func:`value_certificate` (see it for options).

        >>> from computefin.domain import demo_market, demo_portfolio
        >>> cert = ComputeCertificate(id="nx-2", fleet_id="fleet-nx-h20", currency="CNY",
        ...     entitlement={"kind": "noi_share", "share": 0.1},
        ...     issue_date=dt.date(2026, 11, 27), maturity=dt.date(2027, 11, 27),
        ...     issue_price=2.0e6)
        >>> v = cert.value(demo_market(), demo_portfolio(), sensitivities=False)
        >>> round(v.fair_value / 1e6, 3), v.n_paths
        (1.922, 1)
        """
        from computefin.products.certificate.valuation import value_certificate

        return value_certificate(self, market, portfolio, scenarios, **options)
