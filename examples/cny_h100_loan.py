"""A CNY loan against an H100 fleet at a western-China site with two offtake contracts.

Run: ``.venv/bin/python examples/cny_h100_loan.py [--paths N] [--out DIR]``. It prints the
loan's cash flows, the fleet's expected projection, the collateral coverage (expected
and over simulated paths: LTV, DSCR, borrowing base, breach probability, first-breach
dates) and the loan's valuation (PV, yield, durations, fair margin, LTV, DSCR, PD, LGD,
EL, ECL, RWA) expected and over the paths; with ``--out``
it writes a fan chart of the fleet's NOI. Figures are illustrative (docs/examples.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from computefin.domain import (
    Contract,
    Counterparty,
    Fleet,
    Portfolio,
    ServerGroup,
    Site,
    demo_market,
)
from computefin.products import (
    CollateralLoan,
    CoverageTerms,
    DebtSchedule,
    LoanBook,
    collateral_coverage,
    value_book,
    value_loan,
)
from computefin.risk import ProjectionInputs, project, simulate_scenarios

MARKET = demo_market()


def example_portfolio() -> Portfolio:
    """The borrower, its two offtakers and the H100 fleet in Zhongwei, Ningxia."""
    site = Site(name="Zhongwei Intelligent Computing Centre", region="Ningxia", country="CN",
                pue=1.2, electricity_price_per_kwh=0.36, colocation_cost_per_kw_month=120.0,
                currency="CNY")  # fmt: skip
    fleet = Fleet(
        id="fleet-nx-h100", owner_counterparty_id="nx-gpu-cloud", site=site,
        resource_id="CN-NX-ZW-0203",
        server_groups=[ServerGroup(accelerator_id="nvidia-h100-sxm", servers=64,
                                   gpus_per_server=8, unit_cost=2_200_000.0, currency="CNY",
                                   acquired=dt.date(2025, 6, 1), power_kw=10.2,
                                   resource_id="CN-NX-ZW-0203-A")],
    )  # fmt: skip
    parties = [
        Counterparty(id="nx-gpu-cloud", name="Ningxia GPU Cloud Co.", rating="AA-",
                     rating_scale="cn-domestic", sector="neocloud", country="CN"),
        Counterparty(id="cn-telecom", name="Example Telecom Cloud", rating="AAA",
                     rating_scale="cn-domestic", sector="telecom", country="CN"),
        Counterparty(id="cn-internet", name="Example Internet Group", rating="A",
                     sector="internet", country="CN"),
    ]  # fmt: skip
    contracts = [
        Contract(id="offtake-telecom", counterparty_id="cn-telecom", fleet_id=fleet.id,
                 gpus_committed=256, price_per_gpu_hour=12.0, currency="CNY",
                 start=dt.date(2026, 1, 1), end=dt.date(2029, 1, 1), take_or_pay_share=0.9),
        Contract(id="offtake-internet", counterparty_id="cn-internet", fleet_id=fleet.id,
                 gpus_committed=192, price_per_gpu_hour=11.5, currency="CNY",
                 start=dt.date(2026, 7, 1), end=dt.date(2028, 7, 1), take_or_pay_share=0.7),
    ]  # fmt: skip
    return Portfolio(counterparties=parties, fleets=[fleet], contracts=contracts)


def example_loan() -> CollateralLoan:
    """CNY 25m over three years, quarterly level payments, LPR1Y + 150 bp."""
    return CollateralLoan.model_validate(
        {
            "id": "nx-h100-term-loan",
            "borrower_counterparty_id": "nx-gpu-cloud",
            "principal": 25_000_000.0,
            "currency": "CNY",
            "start": "2026-12-01",
            "maturity": "2029-12-01",
            "frequency": "quarterly",
            "amortization": "level",
            "index": "LPR1Y",
            "margin": 0.015,
            "day_count": "ACT/360",
            "upfront_fee_rate": 0.005,
            "collateral": {"fleet_ids": ["fleet-nx-h100"],
                           "assigned_contract_ids": ["offtake-telecom", "offtake-internet"]},
            "covenants": {"max_ltv": 0.7, "min_dscr": 1.35, "cash_sweep_share": 0.5,
                          "advance_rate_contracts_by_quality": {"investment_grade": 0.9,
                                                                "sub_investment_grade": 0.6},
                          "advance_rate_gpu_value": 0.5},
        }
    )  # fmt: skip


def debt_schedule(loan: CollateralLoan) -> DebtSchedule:
    """The loan's contractual schedule from the cash-flow kernel, for the coverage test."""
    cf = loan.cashflows(MARKET)
    return DebtSchedule(
        pay_dates=cf["pay_date"].to_numpy(dtype="datetime64[D]"),
        opening_balance=(cf["opening_balance"] + cf["draw"]).to_numpy(dtype=np.float64),
        scheduled_principal=cf["principal"].to_numpy(dtype=np.float64),
        rate=cf["rate"].to_numpy(dtype=np.float64),
        year_fractions=cf["year_fraction"].to_numpy(dtype=np.float64),
    )


def main() -> None:
    """Print every output of the example; optionally write the NOI fan chart."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--paths", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    pd.set_option("display.width", 160)
    pd.set_option("display.max_columns", 20)
    portfolio, loan = example_portfolio(), example_loan()
    print("== Loan cash flows (CNY) ==")
    flows = loan.cashflows(MARKET)
    print(flows.round(dict.fromkeys(flows.select_dtypes("number").columns, 2)).to_string())
    fleet = portfolio.fleet("fleet-nx-h100")
    inputs = ProjectionInputs.build(fleet, portfolio.contracts, MARKET, 40,
                                    counterparties=portfolio.counterparties)  # fmt: skip
    expected = project(inputs)
    print("\n== Fleet projection, expected (CNY, first 8 months) ==")
    cols = ["gpus_in_service", "contracted_revenue", "spot_revenue", "opex", "noi",
            "economic_value", "book_value"]  # fmt: skip
    print(expected.summary()[cols].head(8).round(0).to_string())
    terms = CoverageTerms(max_ltv=0.7, min_dscr=1.35, cash_sweep_share=0.5,
                          advance_rate_gpu_value=0.5, advance_rate_contracts=0.8)  # fmt: skip
    debt = debt_schedule(loan)
    cover = collateral_coverage(debt, [expected], terms, MARKET, "CNY")
    print("\n== Collateral coverage, expected case ==")
    print(cover.to_frame()[["cfads", "interest", "principal", "closing_balance", "dscr",
                            "collateral_value", "ltv", "borrowing_base",
                            "shortfall"]].round(2).to_string())  # fmt: skip
    paths = project(inputs, simulate_scenarios(inputs, args.paths, args.seed))
    stressed = collateral_coverage(debt, [paths], terms, MARKET, "CNY")
    print(f"\n== Collateral coverage over {args.paths:,} paths ==")
    print(f"breach probability: {stressed.breach_probability:.2%}")
    print(f"worst DSCR, 5th percentile: {np.percentile(stressed.worst_dscr, 5):.2f}")
    first = stressed.first_breach()
    print("first breach (share of paths) by payment date:")
    print(first[first > 0].round(4).to_string() if (first > 0).any() else "  none")
    print("\n== Loan valuation, expected case ==")
    print(value_loan(loan, portfolio, MARKET).to_frame().T.to_string())
    print(f"\n== Loan valuation over {args.paths:,} paths (seed {args.seed}) ==")
    book = LoanBook.from_models([loan])
    print(value_book(book, portfolio, MARKET, scenarios=args.paths, seed=args.seed).T.to_string())
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        png = paths.plot(args.out / "nx-h100-noi.png", expected=expected)
        print(f"\nchart: {png}")


if __name__ == "__main__":
    main()
