"""Compute assets as typed data: accelerators, sites, fleets, contracts, counterparties, markets.

Every model is a frozen pydantic v2 model that rejects unknown fields, survives a JSON
round trip unchanged and exports a JSON Schema (:func:`json_schemas`). Bad input raises
:class:`computefin.errors.ValidationError` naming the field and the reason.

>>> from computefin.domain import catalog
>>> catalog()["nvidia-h100-sxm"].memory_gb
80.0
"""

from computefin.domain._types import Currency
from computefin.domain.accelerators import (
    Accelerator,
    AcceleratorCatalog,
    Market,
    active_catalog,
    catalog,
    load_catalog,
    use_catalog,
)
from computefin.domain.assets import Fleet, ServerGroup, Site
from computefin.domain.contracts import HOURS_PER_YEAR, Contract
from computefin.domain.conventions import BusinessDayConvention, DayCount, Frequency, StubRule
from computefin.domain.demo import demo_market, demo_portfolio
from computefin.domain.generations import GENERATIONS, accelerator_generation
from computefin.domain.market import (
    Fixing,
    FxRate,
    GpuRentalQuote,
    MarketSnapshot,
    PdEntry,
    QuoteKind,
    RateIndex,
    RateQuote,
    ResaleObservation,
)
from computefin.domain.parties import RATING_NOTCHES, Counterparty, RatingScale, Sector
from computefin.domain.portfolio import Portfolio
from computefin.domain.schemas import json_schemas, write_json_schemas

__all__ = [
    "GENERATIONS",
    "HOURS_PER_YEAR",
    "RATING_NOTCHES",
    "Accelerator",
    "AcceleratorCatalog",
    "BusinessDayConvention",
    "Contract",
    "Counterparty",
    "Currency",
    "DayCount",
    "Fixing",
    "Fleet",
    "Frequency",
    "FxRate",
    "GpuRentalQuote",
    "Market",
    "MarketSnapshot",
    "PdEntry",
    "Portfolio",
    "QuoteKind",
    "RateIndex",
    "RateQuote",
    "RatingScale",
    "ResaleObservation",
    "Sector",
    "ServerGroup",
    "Site",
    "StubRule",
    "accelerator_generation",
    "active_catalog",
    "catalog",
    "demo_market",
    "demo_portfolio",
    "json_schemas",
    "load_catalog",
    "use_catalog",
    "write_json_schemas",
]
