"""Rental and offtake contracts: who rents how many GPUs of a fleet, at what price, how firmly.

``take_or_pay_share`` is the share of committed GPU-hours the lessee pays whether or not
it uses them; the rest is paid only as used.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from computefin.domain._base import DomainModel
from computefin.domain._types import Currency, Identifier, NonNegativeFloat, PositiveFloat, Share
from computefin.domain.conventions import Frequency
from computefin.errors import ValidationError

__all__ = ["HOURS_PER_YEAR", "Contract"]

HOURS_PER_YEAR = 8760.0
"""Hours in a 365-day year, the base of annual contract value."""


class Contract(DomainModel):
    """A GPU rental or offtake contract on a fleet.

    >>> c = Contract(id="c-1", counterparty_id="ai-lab-a", fleet_id="fleet-1",
    ...              gpus_committed=256, price_per_gpu_hour=2.35, currency="USD",
    ...              start=dt.date(2026, 1, 1), end=dt.date(2029, 1, 1),
    ...              take_or_pay_share=0.8, billing_frequency="monthly", deposit=500_000.0)
    >>> round(c.annual_contract_value, 2), round(c.annual_take_or_pay_value, 2)
    (5270016.0, 4216012.8)
    >>> round(c.term_years, 4)
    3.0027
    """

    id: Identifier
    counterparty_id: Identifier
    fleet_id: Identifier
    gpus_committed: int = Field(gt=0, le=10_000_000, description="GPUs rented under the contract.")
    price_per_gpu_hour: PositiveFloat = Field(description="Price per GPU-hour, in `currency`.")
    currency: Currency
    start: dt.date
    end: dt.date = Field(description="Last day of service (exclusive end of the rental period).")
    take_or_pay_share: Share = Field(
        description="Share of committed GPU-hours paid whether used or not, in [0, 1]."
    )
    billing_frequency: Frequency = Frequency.MONTHLY
    deposit: NonNegativeFloat = Field(
        default=0.0, description="Security deposit held by the lessor, in `currency`."
    )

    @model_validator(mode="after")
    def _end_after_start(self) -> Contract:
        if self.end <= self.start:
            raise ValidationError(
                "end", f"must be after start ({self.start.isoformat()})", self.end.isoformat()
            )
        return self

    @property
    def term_years(self) -> float:
        """Contract term in years (ACT/365F)."""
        return (self.end - self.start).days / 365.0

    @property
    def annual_contract_value(self) -> float:
        """Committed GPUs x 8,760 hours x price, per year, in `currency`."""
        return self.gpus_committed * HOURS_PER_YEAR * self.price_per_gpu_hour

    @property
    def annual_take_or_pay_value(self) -> float:
        """The part of the annual contract value owed regardless of usage, in `currency`."""
        return self.annual_contract_value * self.take_or_pay_share

    def is_active(self, on: dt.date) -> bool:
        """True when ``on`` falls in [start, end).

        >>> Contract(id="c", counterparty_id="a", fleet_id="f", gpus_committed=8,
        ...          price_per_gpu_hour=12.0, currency="CNY", start=dt.date(2026, 1, 1),
        ...          end=dt.date(2027, 1, 1), take_or_pay_share=1.0).is_active(dt.date(2027, 1, 1))
        False
        """
        return self.start <= on < self.end
