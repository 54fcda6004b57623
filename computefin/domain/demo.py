"""The shipped demo portfolio and market snapshot (written by scripts/build_demo_data.py).

>>> demo_portfolio().fleet("fleet-dal-h100").gpus
1024
>>> demo_market().as_of.isoformat()
'2026-11-27'
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from computefin.domain.market import MarketSnapshot
from computefin.domain.portfolio import Portfolio

__all__ = ["demo_market", "demo_portfolio"]


def _read(name: str) -> str:
    return resources.files("computefin.domain").joinpath("data", name).read_text(encoding="utf-8")


@cache
def demo_portfolio() -> Portfolio:
    """The demo collateral: five fleets (H20, Ascend, H800 in China; H100, H200 in the US)."""
    return Portfolio.model_validate_json(_read("demo_portfolio.json"))


@cache
def demo_market() -> MarketSnapshot:
    """An illustrative market snapshot dated 2026-11-27 (curves, LPR, GPU prices, FX, PDs)."""
    return MarketSnapshot.model_validate_json(_read("demo_market.json"))
