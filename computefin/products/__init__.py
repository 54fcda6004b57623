"""Products on compute assets: collateral loans, ABS, certificates, insurance and funds.

- :mod:`computefin.products.loan`: compute collateral loans (算力抵质押贷款): terms, a
  book-wide cash-flow kernel;
- :mod:`computefin.products.coverage`: LTV, DSCR, borrowing base, covenant breaches and
  the cash sweep against fleet projections;
- :mod:`computefin.products.valuation`: ``value_loan`` / ``value_book``: PV and risk
  measures, fair margin, coverage, PD/LGD/EL/ECL and capital, one row per loan;
- :mod:`computefin.products.abs`: compute ABS (算力资产证券化): pools, waterfalls, tranches;
- :mod:`computefin.products.certificate`: compute rights certificates (算力权益凭证);
- :mod:`computefin.products.insurance`: downtime, revenue shortfall and residual value
  covers (算力保险);
- :mod:`computefin.products.fund`: funds of certificates, tranches and loans (算力理财及基金).

>>> from computefin.products import CollateralLoan, LoanBook
>>> CollateralLoan.__name__, LoanBook.__name__
('CollateralLoan', 'LoanBook')
"""

from computefin.products.certificate import (
    CertificateValuation,
    ComputeCertificate,
    ExerciseDate,
    GpuHoursEntitlement,
    NoiShareEntitlement,
    RevenueShareEntitlement,
    value_certificate,
    value_certificates,
)
from computefin.products.coverage import (
    CoverageResult,
    CoverageTerms,
    DebtSchedule,
    collateral_coverage,
)
from computefin.products.fund import (
    CertificateHolding,
    ComputeFund,
    FundValuation,
    LoanHolding,
    RiskScale,
    TrancheHolding,
    demo_fund,
    risk_level,
    value_fund,
)
from computefin.products.insurance import (
    DowntimeCover,
    InsuranceQuote,
    ResidualValueInsurance,
    RevenueShortfallCover,
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
    "CertificateHolding",
    "CertificateValuation",
    "CollateralLoan",
    "ComputeCertificate",
    "ComputeFund",
    "CoverageResult",
    "CoverageTerms",
    "DatedAmount",
    "DebtSchedule",
    "DowntimeCover",
    "ExerciseDate",
    "FloorCapBasis",
    "FundValuation",
    "GpuHoursEntitlement",
    "InsuranceQuote",
    "LoanBook",
    "LoanCashflows",
    "LoanCollateral",
    "LoanCovenants",
    "LoanHolding",
    "LoanRowError",
    "LoanValuation",
    "NoiShareEntitlement",
    "ResidualValueInsurance",
    "RevenueShareEntitlement",
    "RevenueShortfallCover",
    "RiskScale",
    "TrancheHolding",
    "collateral_coverage",
    "demo_fund",
    "risk_level",
    "value_book",
    "value_certificate",
    "value_certificates",
    "value_fund",
    "value_loan",
]
