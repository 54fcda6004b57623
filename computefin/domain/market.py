"""Market data as typed records: rate quotes, fixings, GPU rental prices, resale prints, FX, PDs.

A :class:`MarketSnapshot` holds everything observed on one date. It is plain data:
:mod:`computefin.pricing` builds curves from it (``build_curves(snapshot)``), because the
domain layer may not import the pricing layer.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from itertools import pairwise
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator, model_validator

from computefin.domain._base import DomainModel
from computefin.domain._types import Currency, NonNegativeFloat, PositiveFloat, Rate
from computefin.domain.assets import AcceleratorId
from computefin.domain.parties import Counterparty, RatingScale, rating_rank
from computefin.errors import MarketDataError, ValidationError

__all__ = [
    "Fixing",
    "FxRate",
    "GpuRentalQuote",
    "MarketSnapshot",
    "PdEntry",
    "QuoteKind",
    "RateIndex",
    "RateQuote",
    "ResaleObservation",
    "Tenor",
]

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
    computefin.errors.ValidationError: RateQuote.rate: rates are decimals (0.05 means 5%); ...
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


class GpuRentalQuote(DomainModel):
    """Rental price index level of one accelerator: spot and term, per GPU-hour.

    >>> q = GpuRentalQuote(accelerator_id="nvidia-h100-sxm", spot_per_gpu_hour=2.42,
    ...                    term_per_gpu_hour=2.65, term_months=12, currency="USD",
    ...                    source="1-yr contract index, Jun 2026 (approx.)")
    >>> q.term_premium
    0.22999999999999998
    """

    accelerator_id: AcceleratorId
    spot_per_gpu_hour: PositiveFloat = Field(description="Spot (on-demand) price per GPU-hour.")
    term_per_gpu_hour: PositiveFloat = Field(description="Term-contract price per GPU-hour.")
    term_months: int = Field(default=12, gt=0, le=120, description="Term of the term price.")
    currency: Currency
    source: str = Field(default="", max_length=500, description="Where the level comes from.")

    @property
    def term_premium(self) -> float:
        """Term price minus spot price, per GPU-hour."""
        return self.term_per_gpu_hour - self.spot_per_gpu_hour


class ResaleObservation(DomainModel):
    """One observed resale price of a used accelerator (per GPU).

    >>> ResaleObservation(accelerator_id="nvidia-h100-sxm", date=dt.date(2026, 2, 15),
    ...                   price=23_500.0, currency="USD", age_years=2.5).price
    23500.0
    """

    accelerator_id: AcceleratorId
    date: dt.date
    price: PositiveFloat = Field(description="Price of one used GPU, in `currency`.")
    currency: Currency
    age_years: NonNegativeFloat | None = Field(
        default=None, le=30.0, description="Age of the GPU at sale, years."
    )
    source: str = Field(default="", max_length=500)


class FxRate(DomainModel):
    """Spot FX: one unit of ``base`` costs ``rate`` units of ``quote``.

    >>> FxRate(base="USD", quote="CNY", rate=7.12).rate
    7.12
    """

    base: Currency
    quote: Currency
    rate: PositiveFloat

    @model_validator(mode="after")
    def _distinct(self) -> FxRate:
        if self.base == self.quote:
            raise ValidationError("quote", "must differ from base", self.quote.value)
        return self


class PdEntry(DomainModel):
    """One-year probability of default for a rating notch on a scale.

    >>> PdEntry(rating="BBB", pd_1y=0.0022).rating_scale.value
    'global'
    """

    rating_scale: RatingScale = RatingScale.GLOBAL
    rating: str
    pd_1y: float = Field(gt=0.0, le=1.0, description="One-year PD, decimal (0.01 = 1%).")

    @model_validator(mode="after")
    def _known_notch(self) -> PdEntry:
        rating_rank(self.rating)
        return self


class MarketSnapshot(DomainModel):
    """Everything observed on one date that valuation needs.

    Curves are built from it by :func:`computefin.pricing.build_curves`.

    >>> snap = MarketSnapshot(
    ...     as_of=dt.date(2026, 11, 27),
    ...     rate_quotes=[RateQuote(index="SOFR", kind="ois", tenor="1Y", rate=0.037)],
    ...     fx_rates=[FxRate(base="USD", quote="CNY", rate=7.10)],
    ...     pd_table=[PdEntry(rating="BBB", pd_1y=0.0022), PdEntry(rating="BB", pd_1y=0.008)])
    >>> round(snap.fx("CNY", "USD"), 6)
    0.140845
    >>> snap.pd("BB")
    0.008
    """

    as_of: dt.date
    rate_quotes: tuple[RateQuote, ...] = ()
    fixings: tuple[Fixing, ...] = ()
    gpu_prices: tuple[GpuRentalQuote, ...] = ()
    resale_observations: tuple[ResaleObservation, ...] = ()
    fx_rates: tuple[FxRate, ...] = ()
    pd_table: tuple[PdEntry, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> MarketSnapshot:
        self._check_unique("rate_quotes", [(q.index, q.kind, q.tenor) for q in self.rate_quotes])
        self._check_unique("fixings", [(f.index, f.date) for f in self.fixings])
        self._check_unique("gpu_prices", [(g.accelerator_id, g.currency) for g in self.gpu_prices])
        self._check_unique("fx_rates", [frozenset((f.base, f.quote)) for f in self.fx_rates])
        self._check_unique("pd_table", [(p.rating_scale, p.rating) for p in self.pd_table])
        dated_lists: tuple[tuple[str, list[dt.date]], ...] = (
            ("fixings", [f.date for f in self.fixings]),
            ("resale_observations", [r.date for r in self.resale_observations]),
        )
        for name, dated in dated_lists:
            for i, day in enumerate(dated):
                if day > self.as_of:
                    raise ValidationError(
                        f"{name}[{i}].date",
                        f"is after the snapshot date {self.as_of.isoformat()}",
                        day.isoformat(),
                    )
        for scale in RatingScale:
            rows = sorted(
                (rating_rank(p.rating), p.pd_1y, p.rating)
                for p in self.pd_table
                if p.rating_scale == scale
            )
            for (_, pd_better, better), (_, pd_worse, worse) in pairwise(rows):
                if pd_worse < pd_better:
                    raise ValidationError(
                        "pd_table",
                        f"PD must not fall as ratings worsen on scale {scale.value}: "
                        f"{worse} has {pd_worse} below {better}'s {pd_better}",
                    )
        return self

    @staticmethod
    def _check_unique(field: str, keys: list[object]) -> None:
        seen: set[object] = set()
        for i, key in enumerate(keys):
            if key in seen:
                raise ValidationError(f"{field}[{i}]", "duplicates an earlier entry", str(key))
            seen.add(key)

    def quotes(self, index: RateIndex | str) -> tuple[RateQuote, ...]:
        """Rate quotes of one index, in snapshot order."""
        wanted = RateIndex(index)
        return tuple(q for q in self.rate_quotes if q.index == wanted)

    def fixing(self, index: RateIndex | str, on: dt.date) -> float:
        """The latest fixing of ``index`` published on or before ``on``.

        Raises :class:`computefin.errors.MarketDataError` when there is none.
        """
        wanted = RateIndex(index)
        found = [f for f in self.fixings if f.index == wanted and f.date <= on]
        if not found:
            raise MarketDataError(
                f"no {wanted.value} fixing on or before {on.isoformat()} in the snapshot"
            )
        return max(found, key=lambda f: f.date).rate

    def gpu_price(self, accelerator_id: str, currency: Currency | str) -> GpuRentalQuote:
        """The rental price quote of an accelerator in a currency."""
        wanted = Currency(currency)
        for quote in self.gpu_prices:
            if quote.accelerator_id == accelerator_id and quote.currency == wanted:
                return quote
        raise MarketDataError(
            f"no rental price for {accelerator_id!r} in {wanted.value} in the snapshot"
        )

    def fx(self, base: Currency | str, quote: Currency | str) -> float:
        """Units of ``quote`` per unit of ``base``: direct, inverted, or crossed through USD."""
        b, q = Currency(base), Currency(quote)
        if b == q:
            return 1.0
        direct = {(f.base, f.quote): f.rate for f in self.fx_rates}
        direct.update({(f.quote, f.base): 1.0 / f.rate for f in self.fx_rates})
        if (b, q) in direct:
            return direct[(b, q)]
        usd = Currency.USD
        if (b, usd) in direct and (usd, q) in direct:
            return direct[(b, usd)] * direct[(usd, q)]
        raise MarketDataError(
            f"no FX rate {b.value}/{q.value} (directly or via USD) in the snapshot"
        )

    def pd(self, rating: str, scale: RatingScale | str = RatingScale.GLOBAL) -> float:
        """One-year PD for a rating notch on a scale, from the PD table."""
        wanted = RatingScale(scale)
        for entry in self.pd_table:
            if entry.rating == rating and entry.rating_scale == wanted:
                return entry.pd_1y
        raise MarketDataError(
            f"no PD for rating {rating!r} on scale {wanted.value!r} in the snapshot"
        )

    def pd_for(self, counterparty: Counterparty) -> float:
        """One-year PD of a counterparty: its override if set, else the table's PD.

        >>> cp = Counterparty(id="x", name="X", rating="BB", sector="neocloud", country="US",
        ...                   pd_override=0.03)
        >>> MarketSnapshot(as_of=dt.date(2026, 1, 5)).pd_for(cp)
        0.03
        """
        if counterparty.pd_override is not None:
            return counterparty.pd_override
        return self.pd(counterparty.rating, counterparty.rating_scale)
