"""Names of market conventions shared by the data models and the pricing layer.

The domain layer only names conventions; :mod:`computefin.pricing` turns the names
into QuantLib objects.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["BusinessDayConvention", "DayCount", "Frequency", "StubRule"]


class Frequency(StrEnum):
    """Payment or billing frequency.

    >>> Frequency.QUARTERLY.periods_per_year
    4
    >>> Frequency.MONTHLY.months
    1
    """

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    ANNUAL = "annual"

    @property
    def periods_per_year(self) -> int:
        """Number of regular periods in a year."""
        return {"monthly": 12, "quarterly": 4, "semiannual": 2, "annual": 1}[self.value]

    @property
    def months(self) -> int:
        """Length of one regular period in months."""
        return 12 // self.periods_per_year


class DayCount(StrEnum):
    """Day-count conventions by their market names.

    ``30/360`` is the bond basis (ISDA 30/360, QuantLib ``Thirty360.BondBasis``);
    ``ACT/ACT`` is ISDA actual/actual.

    >>> DayCount("ACT/365F").value
    'ACT/365F'
    """

    ACT_365F = "ACT/365F"
    ACT_360 = "ACT/360"
    THIRTY_360 = "30/360"
    ACT_ACT = "ACT/ACT"


class BusinessDayConvention(StrEnum):
    """How a date that falls on a holiday is moved.

    >>> BusinessDayConvention("modified_following").value
    'modified_following'
    """

    FOLLOWING = "following"
    MODIFIED_FOLLOWING = "modified_following"
    PRECEDING = "preceding"
    MODIFIED_PRECEDING = "modified_preceding"
    UNADJUSTED = "unadjusted"


class StubRule(StrEnum):
    """Where an irregular period goes when the term is not a whole number of periods.

    ``short_front``: dates generated backward from maturity, the first period is short.
    ``long_front``: as short_front, then the short first period is merged into the next.
    ``short_back`` / ``long_back``: generated forward from the start, the odd period last.

    >>> StubRule.SHORT_FRONT.value
    'short_front'
    """

    SHORT_FRONT = "short_front"
    LONG_FRONT = "long_front"
    SHORT_BACK = "short_back"
    LONG_BACK = "long_back"
