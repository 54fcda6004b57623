"""Loan valuation: PV, yield, spreads, durations, fair margin, coverage, credit and capital.

:func:`value_loan` values one :class:`~computefin.products.loan.CollateralLoan` against a
portfolio (its borrower, pledged fleets, assigned contracts) and a market snapshot, and
returns a :class:`LoanValuation`; :func:`value_book` values a whole book at once, one
row per loan. See ``docs/products/loan-valuation.md``.

>>> from computefin.products.valuation import LoanValuation
>>> "fair_margin" in LoanValuation.__dataclass_fields__
True
"""

from computefin.products.valuation._credit import slotting_category
from computefin.products.valuation._valuation import LoanValuation, value_book, value_loan

__all__ = ["LoanValuation", "slotting_category", "value_book", "value_loan"]
