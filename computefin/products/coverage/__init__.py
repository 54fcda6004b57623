"""Collateral coverage of a GPU-backed loan: LTV, DSCR, borrowing base, covenants, cash sweep.

>>> from computefin.products.coverage import CoverageTerms
>>> CoverageTerms(max_ltv=0.7, min_dscr=1.35).cash_sweep_share
0.0
"""

from computefin.products.coverage._coverage import (
    BATCH_LOANS,
    CoverageResult,
    CoverageSummary,
    CoverageTerms,
    DebtSchedule,
    collateral_coverage,
    coverage_summaries,
)

__all__ = [
    "BATCH_LOANS",
    "CoverageResult",
    "CoverageSummary",
    "CoverageTerms",
    "DebtSchedule",
    "collateral_coverage",
    "coverage_summaries",
]
