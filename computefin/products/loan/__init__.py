"""Compute collateral loans (算力抵质押贷款): terms as data, cash flows as an array kernel.

:class:`CollateralLoan` holds one loan's terms (validated, frozen, JSON round-trippable);
:class:`LoanBook` holds many and computes every loan's per-period cash flows at once
(:class:`LoanCashflows`, arrays ``(n_loans, n_periods)`` with an ``alive`` mask);
``loan.cashflows(market)`` is that kernel with one loan, as a DataFrame. Conventions and
the floating-rate projection: ``docs/products/loan.md``.

>>> import datetime as dt
>>> loan = CollateralLoan(id="loan-1", borrower_counterparty_id="neocloud-a",
...     principal=3_500_000_000.0, currency="USD", start=dt.date(2027, 3, 15),
...     maturity=dt.date(2032, 3, 15), frequency="quarterly", amortization="straight",
...     index="SOFR", margin=0.0225, floor=0.0)
>>> from computefin.domain import demo_market
>>> cf = loan.cashflows(demo_market())
>>> len(cf), round(float(cf.principal.sum()), 2), bool((cf.rate > 0.0225).all())
(20, 3500000000.0, True)
"""

from computefin.products.loan._fields import (
    Amortization,
    DatedAmount,
    FloorCapBasis,
    LoanCollateral,
    LoanCovenants,
)
from computefin.products.loan.book import LoanBook, LoanRowError
from computefin.products.loan.cashflows import FRAME_COLUMNS, LoanCashflows
from computefin.products.loan.measures import book_measures
from computefin.products.loan.model import LOAN_INDICES, CollateralLoan

__all__ = [
    "FRAME_COLUMNS",
    "LOAN_INDICES",
    "Amortization",
    "CollateralLoan",
    "DatedAmount",
    "FloorCapBasis",
    "LoanBook",
    "LoanCashflows",
    "LoanCollateral",
    "LoanCovenants",
    "LoanRowError",
    "book_measures",
]
