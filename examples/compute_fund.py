"""A compute income fund (算力理财及基金) of a certificate, an ABS tranche and a loan share.

Run: ``.venv/bin/python examples/compute_fund.py [--paths N] [--seed S] [--out DIR]``.
The demo fund (``computefin.products.fund.demo_fund``) holds 8,000 of 10,000 units of a
certificate paying 30% of the NOI of the Ningxia H20 fleet for two years, CNY 30m face of
tranche B of the demo GPU-lease ABS deal, and 75% of a CNY 20m loan secured by the
Guizhou Ascend fleet, with CNY 5m of cash against 50m units. It prints the holdings and
the NAV, the NAV along simulated paths one year ahead (volatility, 99% loss, the R1-R5
risk level), the distribution yield, a 10% and a 60% redemption, the concentration by
fleet, accelerator generation and counterparty, and writes one chart (one-year NAV per
unit over the paths, and the concentration) to ``--out`` (default: a new temporary
directory). Figures are illustrative (docs/products/fund.md).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from computefin.domain import demo_market, demo_portfolio
from computefin.products.fund import ComputeFund, FundValuation, demo_fund, value_fund

MARKET = demo_market()
PORTFOLIO = demo_portfolio()
CHART = "fund-nav-risk.png"


def show(title: str, frame: pd.DataFrame | pd.Series) -> None:
    print(f"\n== {title} ==")
    with pd.option_context("display.width", 140, "display.max_columns", 20,
                           "display.float_format", "{:,.4f}".format):  # fmt: skip
        print(frame.to_string())


def chart(v: FundValuation, fund: ComputeFund, target: Path) -> Path:
    """One-year NAV per unit over the paths, and the concentration by three dimensions."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    per_unit = v.nav_paths / fund.units_outstanding
    fig, (left, right) = plt.subplots(1, 2, figsize=(11.5, 4.4), dpi=110)
    left.hist(per_unit, bins=60, color="tab:blue", alpha=0.8)
    q1 = float(np.quantile(per_unit, 0.01))
    left.axvline(v.nav_per_unit, color="black", lw=1.0, label=f"today {v.nav_per_unit:.4f}")
    left.axvline(float(per_unit.mean()), color="tab:green", ls="--", lw=1.2,
                 label=f"mean in 1y {per_unit.mean():.4f}")  # fmt: skip
    left.axvline(q1, color="tab:red", ls="--", lw=1.2, label=f"1% quantile {q1:.4f}")
    left.set_xlabel("NAV per unit in one year (CNY, distributions kept)")
    left.set_ylabel("paths")
    name = (v.risk_level_name or "").partition("(")[2].rstrip(")")  # the English name
    left.set_title(f"vol {v.volatility:.2%}, 99% loss {v.loss_99:.2%}: {v.risk_level} "
                   f"({name})", fontsize=10)  # fmt: skip
    left.legend(fontsize=8)
    left.grid(alpha=0.3)
    dims = ("fleet", "generation", "counterparty")
    cmap = plt.get_cmap("tab20")
    for y, dim in enumerate(dims):
        start = 0.0
        table = v.concentration[dim]
        shares = table["share"].to_numpy(dtype=np.float64)
        for k, (label, share) in enumerate(zip(table[dim].astype(str), shares, strict=True)):
            right.barh(y, share, left=start, color=cmap(k % 20), edgecolor="white")
            if share > 0.1:
                right.text(start + share / 2, y, f"{label}\n{share:.0%}",
                           ha="center", va="center", fontsize=7)  # fmt: skip
            start += share
    right.set_yticks(range(len(dims)), dims)
    right.set_xlim(0, 1)
    right.set_xlabel("share of holdings' value (look-through)")
    right.set_title("Concentration", fontsize=10)
    fig.suptitle(f"{fund.name}: NAV {v.nav / 1e6:,.1f}m CNY, {v.n_paths} paths", fontsize=11)
    fig.tight_layout()
    fig.savefig(target)
    plt.close(fig)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--paths", type=int, default=2000, help="simulated paths")
    parser.add_argument("--seed", type=int, default=2026, help="random seed")
    parser.add_argument("--out", type=Path, default=None, help="directory for the chart")
    args = parser.parse_args()
    fund = demo_fund()
    print(f"Fund {fund.id} ({fund.name}), {fund.currency.value}; valuation date {MARKET.as_of}")
    terms = pd.Series({"units_outstanding": fund.units_outstanding, "cash": fund.cash,
                       "liabilities": fund.liabilities,
                       "management_fee_rate": fund.management_fee_rate})  # fmt: skip
    show("Fund terms", terms)

    expected = value_fund(fund, MARKET, PORTFOLIO)
    show("Holdings, expected case (CNY)", expected.holdings.set_index("holding"))
    show("NAV, expected case", expected.to_frame().T)

    v = value_fund(fund, MARKET, PORTFOLIO, args.paths, seed=args.seed)
    show(f"Holdings over {args.paths} paths (CNY)", v.holdings.set_index("holding"))
    show(f"NAV and risk over {args.paths} paths, one-year horizon", v.to_frame().T)
    pct = np.percentile(v.nav_paths / fund.units_outstanding, [1, 5, 50, 95, 99])
    show("NAV per unit in one year, percentiles",
         pd.Series(pct, index=["p1", "p5", "p50", "p95", "p99"]))  # fmt: skip
    show("Liquidity: 10% of units redeemed", v.liquidity.set_index("asset_class"))
    stressed = value_fund(fund, MARKET, PORTFOLIO, seed=args.seed, redemption_share=0.6)
    show("Liquidity: 60% of units redeemed", stressed.liquidity.set_index("asset_class"))
    print(f"60% redemption: liquidation cost {stressed.liquidation_cost:,.0f} CNY; NAV per "
          f"unit for the holders who stay {stressed.nav_per_unit_after:.4f} "
          f"(from {stressed.nav_per_unit:.4f})")  # fmt: skip
    for dim, table in v.concentration.items():
        show(f"Concentration by {dim}", table.set_index(dim))

    out = args.out if args.out is not None else Path(tempfile.mkdtemp(prefix="fund-"))
    out.mkdir(parents=True, exist_ok=True)
    print(f"\nChart: {chart(v, fund, out / CHART)}")


if __name__ == "__main__":
    main()
