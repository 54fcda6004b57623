"""Shared field types: currencies, decimal rates, shares, identifiers, money.

Units live in field names (``price_per_gpu_hour``, ``power_kw``) and in these types.
Rates are decimals: 0.05 means five per cent; a value above 1 is rejected because it
almost always is a percentage typed by mistake.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

__all__ = [
    "CountryCode",
    "Currency",
    "Identifier",
    "NonNegativeFloat",
    "PositiveFloat",
    "Rate",
    "Share",
    "Slug",
    "check_rate",
]


class Currency(StrEnum):
    """ISO 4217 currencies the engine accepts; anything else is rejected.

    >>> Currency("CNY") is Currency.CNY
    True
    """

    CNY = "CNY"
    USD = "USD"
    EUR = "EUR"
    HKD = "HKD"
    JPY = "JPY"
    GBP = "GBP"
    SGD = "SGD"
    CHF = "CHF"
    AUD = "AUD"
    CAD = "CAD"
    KRW = "KRW"
    TWD = "TWD"
    AED = "AED"
    SAR = "SAR"
    INR = "INR"


def check_rate(value: float) -> float:
    """Accept a decimal rate in (-1, 1]; reject percentages and non-finite values.

    >>> check_rate(0.05)
    0.05
    >>> check_rate(5.0)
    Traceback (most recent call last):
    ...
    ValueError: rates are decimals (0.05 means 5%); 5.0 is above 1 and looks like a percentage
    """
    if not math.isfinite(value):
        raise ValueError(f"rate must be a finite number, got {value!r}")
    if value > 1.0:
        raise ValueError(
            f"rates are decimals (0.05 means 5%); {value!r} is above 1 and looks like a percentage"
        )
    if value <= -1.0:
        raise ValueError(f"rate must be above -1 (minus 100%), got {value!r}")
    return value


Rate = Annotated[
    float,
    AfterValidator(check_rate),
    Field(json_schema_extra={"exclusiveMinimum": -1.0, "maximum": 1.0}),
]
"""A decimal rate (0.05 = 5%), rejected above 1 as a likely percentage."""

Share = Annotated[float, Field(ge=0.0, le=1.0)]
"""A fraction in [0, 1] (a take-or-pay share, an advance rate, a utilization)."""

PositiveFloat = Annotated[float, Field(gt=0.0)]
NonNegativeFloat = Annotated[float, Field(ge=0.0)]

Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=2, max_length=64),
]
"""A lowercase slug such as ``nvidia-h100-sxm``."""

Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$", min_length=1, max_length=128),
]
"""An id chosen by the bank: letters, digits and ``_ . : / -``, no spaces."""

CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
"""ISO 3166-1 alpha-2 country code, upper case (``CN``, ``US``)."""
