"""Products on compute assets: collateral loans now; certificates, ABS, insurance, funds next.

- :mod:`computefin.products.loan`: compute collateral loans (算力抵质押贷款): terms, a
  book-wide cash-flow kernel;
- :mod:`computefin.products.coverage`: LTV, DSCR, borrowing base, covenant breaches and
  the cash sweep against fleet projections;
- :mod:`computefin.products.valuation`: ``value_loan`` / ``value_book``: PV and risk
  measures, fair margin, coverage, PD/LGD/EL/ECL and capital, one row per loan.

>>> from computefin.products import CollateralLoan, LoanBook
>>> CollateralLoan.__name__, LoanBook.__name__
('CollateralLoan', 'LoanBook')
"""

from computefin.products.coverage import (
    CoverageResult,
    CoverageTerms,
    DebtSchedule,
    collateral_coverage,
)
from computefin.products.loan import (
    Amortization,
    CollateralLoan,
    DatedAmount,
    FloorCapBasis,
    LoanBook,
    LoanCashflows,
    LoanCollateral,
    LoanCovenants,
    LoanRowError,
)
from computefin.products.valuation import LoanValuation, value_book, value_loan

__all__ = [
    "Amortization",
    "CollateralLoan",
    "CoverageResult",
    "CoverageTerms",
    "DatedAmount",
    "DebtSchedule",
    "FloorCapBasis",
    "LoanBook",
    "LoanCashflows",
    "LoanCollateral",
    "LoanCovenants",
    "LoanRowError",
    "LoanValuation",
    "collateral_coverage",
    "value_book",
    "value_loan",
]
