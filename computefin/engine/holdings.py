"""Positions the bank holds in securitisations (and, later, certificates).

>>> Holding(id="h-1", instrument_type="abs_tranche", instrument_id="abs-1", tranche="A",
...         face=100e6).face
100000000.0
>>> Holding(id="h-2", instrument_type="abs_tranche", instrument_id="abs-1", face=1.0)
Traceback (most recent call last):
...
computefin.errors.ValidationError: Holding.tranche: an ABS holding names its tranche
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveFloat, model_validator

from computefin.domain._base import DomainModel
from computefin.domain._types import Identifier
from computefin.errors import ValidationError

__all__ = ["Holding"]


class Holding(DomainModel):
    """A position: ``face`` held of an instrument, in the instrument's currency (an ABS
    tranche: principal face; its share of the tranche is face / tranche balance)."""

    id: Identifier
    instrument_type: Literal["abs_tranche"] = Field(description="What is held.")
    instrument_id: Identifier = Field(description="The deal (or instrument) id.")
    tranche: str | None = Field(default=None, description="The tranche name, ABS only.")
    face: PositiveFloat = Field(description="Face held, instrument currency.")

    @model_validator(mode="after")
    def _tranche(self) -> Holding:
        if self.instrument_type == "abs_tranche" and not self.tranche:
            raise ValidationError("tranche", "an ABS holding names its tranche", self.tranche)
        return self
