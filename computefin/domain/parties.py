"""Counterparties and their credit ratings.

Ratings are stated on a named scale because a Chinese domestic AA is not a global AA:
``global`` uses the S&P/Fitch notation (AAA .. D) of the international agencies;
``cn-domestic`` uses the same letters as China's domestic agencies (CCXI, Dagong,
Lianhe, China Chengxin, ...), whose scale sits several notches above the global one.
A PD table in the market snapshot maps (scale, rating) to a one-year PD.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from computefin.domain._base import DomainModel
from computefin.domain._types import CountryCode, Identifier
from computefin.errors import ValidationError

__all__ = ["RATING_NOTCHES", "Counterparty", "RatingScale", "Sector", "rating_rank"]

RATING_NOTCHES: tuple[str, ...] = (
    "AAA", "AA+", "AA", "AA-", "A+", "A", "A-",
    "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-", "B+", "B", "B-",
    "CCC+", "CCC", "CCC-", "CC", "C", "D",
)  # fmt: skip
"""Rating notches from best to worst; both scales use this notation."""

_RANK = {notch: i for i, notch in enumerate(RATING_NOTCHES)}


def rating_rank(rating: str) -> int:
    """Position of a rating notch, 0 for AAA, increasing as credit worsens.

    >>> rating_rank("AAA"), rating_rank("BBB-"), rating_rank("D")
    (0, 9, 21)
    """
    try:
        return _RANK[rating]
    except KeyError as exc:
        raise ValidationError(
            "rating", f"unknown rating notch; use one of {', '.join(RATING_NOTCHES)}", rating
        ) from exc


class RatingScale(StrEnum):
    """The scale a rating is stated on.

    >>> RatingScale("cn-domestic").value
    'cn-domestic'
    """

    GLOBAL = "global"
    CN_DOMESTIC = "cn-domestic"


class Sector(StrEnum):
    """Business of a counterparty, as it bears on compute credit risk."""

    HYPERSCALER = "hyperscaler"
    AI_LAB = "ai_lab"
    NEOCLOUD = "neocloud"
    INTERNET = "internet"
    TELECOM = "telecom"
    STATE_OWNED = "state_owned"
    ENTERPRISE = "enterprise"
    FINANCIAL = "financial"
    GOVERNMENT = "government"
    OTHER = "other"


class Counterparty(DomainModel):
    """A borrower, lessee, offtaker or fleet owner.

    ``pd_override`` (one-year PD as a decimal) replaces the snapshot's rating-based PD
    when the bank has its own estimate.

    >>> cp = Counterparty(id="telco-a", name="Telco A", rating="A+", rating_scale="global",
    ...                   sector="telecom", country="CN")
    >>> cp.rating_rank
    4
    >>> Counterparty(id="x", name="X", rating="A++", sector="other", country="CN")
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: Counterparty.rating: unknown rating notch; ...
    """

    id: Identifier
    name: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    rating: str = Field(description="Rating notch, e.g. 'BBB+', on `rating_scale`.")
    rating_scale: RatingScale = RatingScale.GLOBAL
    pd_override: float | None = Field(
        default=None, gt=0.0, le=1.0, description="Bank's own one-year PD, decimal (0.02 = 2%)."
    )
    sector: Sector
    country: CountryCode

    @model_validator(mode="after")
    def _known_notch(self) -> Counterparty:
        rating_rank(self.rating)
        return self

    @property
    def rating_rank(self) -> int:
        """Position of the rating notch (0 = AAA)."""
        return rating_rank(self.rating)

    @property
    def is_defaulted(self) -> bool:
        """True when rated D."""
        return self.rating == "D"
