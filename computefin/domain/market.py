"""Market data as typed records: rate quotes, fixings, GPU rental prices, resale prints, FX, PDs.

A :class:`MarketSnapshot` holds everything observed on one date. It is plain data:
:mod:`computefin.pricing` builds curves from it (``build_curves(snapshot)``), because the
domain layer may not import the pricing layer.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from computefin.domain._base import DomainModel
from computefin.domain._types import Currency, Rate

__all__ = ["Fixing", "QuoteKind", "RateIndex", "RateQuote", "Tenor"]

Tenor = Annotated[str, StringConstraints(pattern=r"^(ON|TN|[1-9][0-9]*[DWMY])$")]
"""A tenor such as ``ON``, ``1W``, ``3M``, ``5Y``."""


class RateIndex(StrEnum):
    """Rate indices the engine knows, with their currency.

    >>> RateIndex.SHIBOR3M.currency
    <Currency.CNY: 'CNY'>
    """

    SHIBOR3M = "SHIBOR3M"
    FR007 = "FR007"
    LPR1Y = "LPR1Y"
    LPR5Y = "LPR5Y"
    SOFR = "SOFR"

    @property
    def currency(self) -> Currency:
        """The currency the index is quoted in."""
        return Currency.USD if self is RateIndex.SOFR else Currency.CNY


class QuoteKind(StrEnum):
    """What instrument a rate quote is for.

    ``deposit``: a simple-interest deposit (or the index fixing) for the tenor.
    ``swap``: a fixed-for-floating swap rate against the quote's index.
    ``ois``: an overnight-indexed swap rate (SOFR).
    ``zero``: a continuously compounded zero rate to the tenor, ACT/365F.
    """

    DEPOSIT = "deposit"
    SWAP = "swap"
    OIS = "ois"
    ZERO = "zero"


class RateQuote(DomainModel):
    """One market rate: a deposit, a swap, an OIS or a zero rate, as a decimal.

    >>> q = RateQuote(index="SHIBOR3M", kind="swap", tenor="5Y", rate=0.0185)
    >>> (q.currency.value, q.rate)
    ('CNY', 0.0185)
    >>> RateQuote(index="SOFR", kind="ois", tenor="1Y", rate=4.2)
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: RateQuote.rate: rates are decimals (0.05 means 5%); 4.2 is above 1 and looks like a percentage (got 4.2)
    """

    index: RateIndex
    kind: QuoteKind
    tenor: Tenor
    rate: Rate = Field(description="Quoted rate as a decimal (0.05 = 5%).")

    @field_validator("tenor", mode="before")
    @classmethod
    def _upper_tenor(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @property
    def currency(self) -> Currency:
        """Currency of the quote (from its index)."""
        return self.index.currency


class Fixing(DomainModel):
    """A published fixing of a rate index on a date (LPR, Shibor, SOFR).

    >>> Fixing(index="LPR1Y", date=dt.date(2026, 10, 20), rate=0.03).rate
    0.03
    """

    index: RateIndex
    date: dt.date
    rate: Rate
