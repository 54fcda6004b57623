"""Products on compute assets: collateral loans now; certificates, ABS, insurance, funds next.

- :mod:`computefin.products.loan`: compute collateral loans (算力抵质押贷款): terms, a
  book-wide cash-flow kernel;
- :mod:`computefin.products.coverage`: LTV, DSCR, borrowing base, covenant breaches and
  the cash sweep against fleet projections.

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
    "collateral_coverage",
]
