"""Compute insurance (算力保险): downtime, revenue shortfall and residual value covers.

Each cover is a validated policy model whose ``price(market, portfolio, scenarios,
seed)`` reads the insured fleet's simulated paths (failures, revenue, economic value
per GPU, discount factors) and returns an :class:`InsuranceQuote`: expected loss,
discounted expected loss, premium, VaR / TVaR, the loss distribution and the Monte
Carlo standard error. See ``docs/products/insurance.md``.

>>> from computefin.products.insurance import xl_layer
>>> xl_layer([250.0], deductible=100.0, limit=100.0).tolist()
[100.0]
"""

from computefin.products.insurance._context import DEFAULT_INSURANCE_PATHS
from computefin.products.insurance._downtime import DowntimeCover
from computefin.products.insurance._payoffs import (
    aggregate_layer_payments,
    residual_value_put,
    xl_layer,
)
from computefin.products.insurance._quote import CONFIDENCE_LEVELS, InsuranceQuote
from computefin.products.insurance._rvi import ResidualValueInsurance
from computefin.products.insurance._shortfall import RevenueShortfallCover

__all__ = [
    "CONFIDENCE_LEVELS",
    "DEFAULT_INSURANCE_PATHS",
    "DowntimeCover",
    "InsuranceQuote",
    "ResidualValueInsurance",
    "RevenueShortfallCover",
    "aggregate_layer_payments",
    "residual_value_put",
    "xl_layer",
]
