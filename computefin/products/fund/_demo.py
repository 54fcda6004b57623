"""The shipped demo fund: a certificate on the Ningxia H20 fleet, a tranche of the demo
ABS deal and half of a loan on the Guizhou Ascend fleet (all CNY).

>>> demo_fund().id
'fund-compute-income-2026'
"""

from __future__ import annotations

import datetime as dt

from computefin.products.abs import demo_deal
from computefin.products.certificate import ComputeCertificate
from computefin.products.fund.model import (
    CertificateHolding,
    ComputeFund,
    LoanHolding,
    TrancheHolding,
)
from computefin.products.loan import CollateralLoan

__all__ = ["demo_fund"]


def demo_fund() -> ComputeFund:
    """CNY 80m units of a compute income fund (figures illustrative).

    Holdings: 8,000 of 10,000 units of a certificate paying 25% of ``fleet-nx-h20``'s NOI
    quarterly for three years (senior claim on the fleet's cash); CNY 40m face of tranche B
    of :func:`~computefin.products.abs.demo_deal`; half of a CNY 60m three-year loan to
    ``gz-cloud`` secured by ``fleet-gz-910b`` (LPR1Y + 120bp, quarterly level payments).
    Cash CNY 6m, accrued fees CNY 120k, management fee 0.6% a year.

    >>> [h.key for h in demo_fund().holdings]
    ['certificate:nx-h20-cert-fund', 'abs:abs-demo-gpu-lease-2026:B', 'loan:gz-910b-loan']
    """
    cert = ComputeCertificate(
        id="nx-h20-cert-fund",
        fleet_id="fleet-nx-h20",
        currency="CNY",
        entitlement={"kind": "noi_share", "share": 0.3},
        issue_date=dt.date(2026, 11, 27),
        maturity=dt.date(2028, 11, 27),
        frequency="quarterly",
        issue_price=6_500_000.0,
        units=10_000,
        senior_claim=True,
    )
    loan = CollateralLoan(
        id="gz-910b-loan",
        borrower_counterparty_id="gz-cloud",
        principal=20_000_000.0,
        currency="CNY",
        start=dt.date(2026, 6, 1),
        maturity=dt.date(2029, 6, 1),
        frequency="quarterly",
        amortization="level",
        fixed_rate=0.045,
        collateral={"fleet_ids": ["fleet-gz-910b"]},
        covenants={"max_ltv": 0.7, "min_dscr": 1.3},
    )
    deal = demo_deal()
    return ComputeFund(
        id="fund-compute-income-2026",
        name="Demo Compute Income Fund 2026",
        currency="CNY",
        units_outstanding=50_000_000.0,
        cash=5_000_000.0,
        liabilities=80_000.0,
        management_fee_rate=0.006,
        holdings=(
            CertificateHolding(certificate=cert, quantity=8_000.0),
            TrancheHolding(deal_id=deal.id, tranche="B", face=30_000_000.0),
            LoanHolding(loan=loan, share=0.75),
        ),
        deals=(deal,),
    )
