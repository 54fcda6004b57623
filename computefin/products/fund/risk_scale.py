"""Risk levels of a wealth product (理财产品风险等级) R1-R5 from volatility and loss figures.

China's rules for banks' wealth-management business (CBIRC, 商业银行理财业务监督管理办法,
2018) require every product to carry a risk rating on a scale of at least five levels, one
to five from low to high; the method is the bank's own. Banks publish it as R1 (低, low),
R2 (中低, medium-low), R3 (中, medium), R4 (中高, medium-high), R5 (高, high). The
:class:`RiskScale` here is such a method in figures: a level by annualised NAV volatility
(the idea of the UCITS synthetic risk and reward indicator, CESR/10-673, whose class
bounds are 0.5%, 2%, 5%, 10%, 15%, 25%) and a level by the 99% one-year loss of NAV (a
VaR figure, as the PRIIPs market-risk measure uses); the product takes the higher of the
two. The bounds are the bank's policy inputs; the defaults are documented in
``docs/products/fund.md``.
"""

from __future__ import annotations

import bisect
import itertools
import math
from typing import Final, Self

from pydantic import Field, model_validator

from computefin.domain._base import DomainModel
from computefin.errors import ValidationError

__all__ = ["RISK_LEVELS", "RiskScale", "risk_level"]

RISK_LEVELS: Final[dict[str, str]] = {
    "R1": "低 (low)",
    "R2": "中低 (medium-low)",
    "R3": "中 (medium)",
    "R4": "中高 (medium-high)",
    "R5": "高 (high)",
}
"""The five levels, low to high, with their Chinese and English names."""


class RiskScale(DomainModel):
    """Bounds between R1..R5: ``volatility_bounds`` on annualised NAV volatility and
    ``loss_bounds`` on the 99% one-year loss (share of NAV), four increasing decimals each.

    A figure below the first bound is R1, at or above the last R5; a bound belongs to the
    level above it. Defaults: volatility 0.5% / 2% / 5% / 15% (the SRRI bounds, classes 4
    and 5 merged into R4, 6 and 7 into R5); loss 1% / 5% / 12% / 35% (about 2.33 times the
    volatility bounds, the normal 99% quantile, rounded).

    >>> RiskScale().volatility_bounds
    (0.005, 0.02, 0.05, 0.15)
    >>> RiskScale(loss_bounds=(0.01, 0.05, 0.04, 0.35))
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: RiskScale.loss_bounds: must increase strictly (got (0.01, 0.05, 0.04, 0.35))
    """  # noqa: E501

    volatility_bounds: tuple[float, float, float, float] = Field(
        default=(0.005, 0.02, 0.05, 0.15),
        description="Annualised NAV volatility bounds R1|R2|R3|R4|R5, decimals.",
    )
    loss_bounds: tuple[float, float, float, float] = Field(
        default=(0.01, 0.05, 0.12, 0.35),
        description="99% one-year loss bounds R1|R2|R3|R4|R5, decimal shares of NAV.",
    )

    @model_validator(mode="after")
    def _increasing(self) -> Self:
        for name in ("volatility_bounds", "loss_bounds"):
            bounds: tuple[float, ...] = getattr(self, name)
            if bounds[0] <= 0.0:
                raise ValidationError(name, "must be positive", bounds)
            if any(b <= a for a, b in itertools.pairwise(bounds)):
                raise ValidationError(name, "must increase strictly", bounds)
        if self.loss_bounds[-1] > 1.0:
            raise ValidationError("loss_bounds", "shares of NAV: at most 1", self.loss_bounds)
        return self


def _level(value: float, bounds: tuple[float, ...], name: str) -> int:
    if not math.isfinite(value) or value < 0.0:
        raise ValidationError(name, "must be a finite number >= 0", value)
    return bisect.bisect_right(bounds, value)


def risk_level(volatility: float, loss_99: float, scale: RiskScale | None = None) -> str:
    """The level ``"R1"``..``"R5"``: the higher of the levels by ``volatility``
    (annualised, decimal) and by ``loss_99`` (99% one-year loss, share of NAV).

    >>> risk_level(0.004, 0.009), risk_level(0.005, 0.009), risk_level(0.03, 0.2)
    ('R1', 'R2', 'R4')
    >>> RISK_LEVELS[risk_level(0.2, 0.0)]
    '高 (high)'
    """
    used = scale if scale is not None else RiskScale()
    by_vol = _level(volatility, used.volatility_bounds, "volatility")
    by_loss = _level(loss_99, used.loss_bounds, "loss_99")
    return f"R{max(by_vol, by_loss) + 1}"
