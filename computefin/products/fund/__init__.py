"""Compute wealth products and funds (算力理财及基金): NAV, risk level, liquidity.

A :class:`ComputeFund` holds compute rights certificates, ABS tranches and loan shares
(:class:`CertificateHolding`, :class:`TrancheHolding`, :class:`LoanHolding`) with cash,
liabilities and units outstanding. :func:`value_fund` (or ``fund.value``) values every
holding with its product's own valuation and returns a :class:`FundValuation`: NAV and
NAV per unit, NAV along scenarios at a horizon, distribution yield, liquidity under a
redemption, concentration by fleet, accelerator generation and counterparty, and the
R1-R5 risk level (:class:`RiskScale`, :func:`risk_level`). See ``docs/products/fund.md``.

>>> from computefin.products.fund import ComputeFund, value_fund
>>> ComputeFund.__name__, value_fund.__name__
('ComputeFund', 'value_fund')
"""

from computefin.products.fund._demo import demo_fund
from computefin.products.fund.model import (
    CertificateHolding,
    ComputeFund,
    Holding,
    LoanHolding,
    TrancheHolding,
)
from computefin.products.fund.risk_scale import RISK_LEVELS, RiskScale, risk_level
from computefin.products.fund.valuation import (
    ASSET_CLASSES,
    DEFAULT_HAIRCUTS,
    GENERATIONS,
    SUMMARY_FIELDS,
    FundValuation,
    accelerator_generation,
    value_fund,
)

__all__ = [
    "ASSET_CLASSES",
    "DEFAULT_HAIRCUTS",
    "GENERATIONS",
    "RISK_LEVELS",
    "SUMMARY_FIELDS",
    "CertificateHolding",
    "ComputeFund",
    "FundValuation",
    "Holding",
    "LoanHolding",
    "RiskScale",
    "TrancheHolding",
    "accelerator_generation",
    "demo_fund",
    "risk_level",
    "value_fund",
]
