"""A CNY GPU-lease ABS end to end: pool, waterfall, tranche analytics and capital.

Run: ``.venv/bin/python examples/gpu_lease_abs.py [--paths N] [--out DIR]``. It prints
the demo pool (36 H100/H200/H20 leases and two loans), its collections under the deal's
performance assumptions, the waterfall of the first periods, each tranche's value,
yield, WAL, duration and losses (deterministic and over simulated GPU-price and lessee
default paths), credit enhancement, the breakeven CDR of each note, a CDR x recovery x
price-shock grid and the SEC-SA / SEC-ERBA risk weights. With ``--out`` it writes a
chart of the note balances over the paths. Figures are illustrative.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from computefin.domain import demo_market, demo_portfolio
from computefin.pricing import build_curves
from computefin.products.abs import (
    breakeven_cdr,
    credit_enhancement,
    demo_deal,
    pool_flows_for,
    run_deal,
    scenario_grid,
    value_deal,
)
from computefin.risk.capital import sec_erba

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 20)


def main() -> None:
    """Print every figure; write the chart with ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--paths", type=int, default=500, help="simulated paths")
    parser.add_argument("--out", type=Path, default=None, help="folder for the chart")
    args = parser.parse_args()
    deal, market, portfolio = demo_deal(), demo_market(), demo_portfolio()

    print(f"== Pool {deal.pool.id}: cut-off {deal.pool.cut_off}, {deal.pool.currency.value}")
    balances = deal.pool.discounted_balance(market)
    print(balances.groupby("kind")[["balance", "contractual_remaining"]].sum().round(0))
    print(f"original pool balance: {deal.pool.original_balance(market):,.0f}")

    result = run_deal(deal, market, portfolio)
    print("\n== Waterfall, first six periods (deterministic)")
    print(result.summary().head(6).select_dtypes("number").round(0))

    print("\n== Tranches, deterministic")
    print(value_deal(deal, market, portfolio).round(4).to_string(index=False))
    print(f"\n== Tranches over {args.paths} simulated paths (seed 7)")
    simulated = value_deal(deal, market, portfolio, args.paths, seed=7)
    print(simulated.round(4).to_string(index=False))

    print("\n== Credit enhancement at closing (shares of the pool)")
    print(credit_enhancement(result).round(4))

    curves = build_curves(market)
    # Rating-agency view for the stress runs: a defaulted lease ends with its renewals
    # (no re-leasing) and returned GPUs are not sold; only the recovery rate comes back.
    agency = deal.performance.model_copy(
        update={"lease_default_mode": "continuation", "remarketing": False}
    )
    builder = pool_flows_for(deal.pool, agency, market)
    print("\n== Breakeven CDR (no loss to the class), recovery 40%, no re-leasing or resale")
    for name in ("A", "B"):
        cdr = breakeven_cdr(deal.structure, builder, name, recovery=0.4, curves=curves)
        print(f"{name}: {cdr:.2%}")

    print("\n== Scenario grid: CDR x recovery x price shock (same view)")
    grid = scenario_grid(
        deal.structure, builder, cdrs=[0.02, 0.10, 0.25], recoveries=[0.2, 0.5],
        price_shocks=[0.0, -0.5], curves=curves,
    )  # fmt: skip
    print(grid.round(4).to_string(index=False))

    print("\n== SEC-ERBA if the notes were rated AAA (A) and BBB (B), 3-year maturity")
    for name, rating, senior in (("A", "AAA", True), ("B", "BBB", False)):
        row = simulated.set_index("tranche").loc[name]
        thickness = float(row.detachment - row.attachment)
        erba = sec_erba(rating, maturity_years=3.0, senior=senior, thickness=thickness)
        print(f"{name}: ERBA {erba.risk_weight:.2%}  vs SEC-SA {row.risk_weight:.2%}")

    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        paths = run_deal(deal, market, portfolio, args.paths, seed=7)
        fig, ax = plt.subplots(figsize=(8, 4.5))
        dates = paths.payment_dates.astype("datetime64[D]").astype(object)
        for j, tranche in enumerate(deal.structure.tranches):
            if not tranche.is_note:
                continue
            bal = paths.balance[j] / 1e6
            ax.plot(dates, bal.mean(axis=0), label=f"{tranche.name} mean")
            ax.fill_between(dates, *np.percentile(bal, [5, 95], axis=0), alpha=0.25)
        ax.set_ylabel("note balance, CNY m")
        ax.set_title("Demo GPU-lease ABS: note balances, mean and 5-95% over paths")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.out / "abs-note-balances.png", dpi=110)
        print(f"\nchart: {args.out / 'abs-note-balances.png'}")


if __name__ == "__main__":
    main()
