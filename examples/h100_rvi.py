"""Residual value insurance on the demo's Dallas H100 fleet: a guaranteed value per GPU.

Run: ``.venv/bin/python examples/h100_rvi.py [--paths N] [--seed S] [--out DIR]``. It
prices a guarantee of USD 4,500 per GPU on the 1,024 H100s of ``fleet-dal-h100`` on
2028-11-27 (24 months after the demo market date), prints the simulated value per GPU
at that date, the quote (expected cost, premium, VaR / TVaR, standard error), a ladder
of guarantee levels, the Monte Carlo convergence and the 6-year-life (accounts) view,
and writes one chart, ``insurance-rvi.png``, to ``--out`` (default: a new temporary
directory). Figures are illustrative (docs/products/insurance.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from computefin.domain import demo_market, demo_portfolio
from computefin.products.insurance import ResidualValueInsurance
from computefin.risk import ProjectionInputs, ResidualValueModel

MARKET = demo_market()
PORTFOLIO = demo_portfolio()
GUARANTEE_DATE = dt.date(2028, 11, 27)


def policy(guaranteed: float = 4_500.0) -> ResidualValueInsurance:
    """The guarantee: every H100 of fleet-dal-h100, USD ``guaranteed`` each on 2028-11-27."""
    return ResidualValueInsurance(
        fleet_id="fleet-dal-h100", accelerator_id="nvidia-h100-sxm",
        guarantee_date=GUARANTEE_DATE, guaranteed_value_per_gpu=guaranteed,
        loading=0.20, currency="USD",
    )  # fmt: skip


def main() -> None:
    """Print the figures and write the chart."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--paths", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    pd.set_option("display.width", 140)
    out = args.out if args.out is not None else Path(tempfile.mkdtemp(prefix="h100-rvi-"))
    out.mkdir(parents=True, exist_ok=True)

    rvi = policy()
    quote = rvi.price(MARKET, PORTFOLIO, args.paths, args.seed)
    value = quote.underlying
    assert value is not None
    print("== The policy ==")
    print(rvi.model_dump_json(indent=2))
    print(f"\n== Value per GPU on {quote.details['valuation_date']} (USD, {args.paths:,} paths) ==")
    print(
        pd.Series(
            np.percentile(value, [1, 5, 25, 50, 75, 95, 99]),
            index=["p1", "p5", "p25", "p50", "p75", "p95", "p99"],
        )
        .round(0)
        .to_string()
    )
    print(f"mean {value.mean():,.0f}")  # fmt: skip

    print("\n== Quote (USD) ==")
    print(quote.summary().to_string())

    print("\n== Guarantee ladder (same paths) ==")
    rows = []
    for level in (3_500.0, 4_000.0, 4_500.0, 5_000.0, 5_500.0):
        q = policy(level).price(MARKET, PORTFOLIO, args.paths, args.seed)
        rows.append({"guaranteed_per_gpu": level, "exercise_probability":
                     q.details["exercise_probability"], "discounted_el": q.discounted_expected_loss,
                     "premium": q.premium, "premium_per_gpu": q.premium / 1024,
                     "var_99": q.var(0.99), "tvar_99": q.tvar(0.99),
                     "standard_error": q.standard_error})  # fmt: skip
    print(pd.DataFrame(rows).round(4).to_string(index=False))

    print("\n== Monte Carlo convergence (discounted expected loss, USD) ==")
    rows = []
    for n in (args.paths // 16, args.paths // 4, args.paths):
        q = rvi.price(MARKET, PORTFOLIO, max(n, 2), args.seed)
        rows.append({"paths": max(n, 2), "estimate": q.discounted_expected_loss,
                     "standard_error": q.standard_error})  # fmt: skip
    print(pd.DataFrame(rows).round(0).to_string(index=False))

    print("\n== Accounts view: 6-year economic life ==")
    fleet = PORTFOLIO.fleet("fleet-dal-h100")
    six = ProjectionInputs.build(fleet, PORTFOLIO.contracts, MARKET, 24,
                                 counterparties=PORTFOLIO.counterparties,
                                 residual=ResidualValueModel(economic_life_years=6.0))  # fmt: skip
    q6 = rvi.price(MARKET, PORTFOLIO, args.paths, args.seed, inputs=six)
    print(q6.summary()[["discounted_expected_loss", "premium", "mean_value_per_gpu",
                        "exercise_probability", "var_0.99"]].to_string())  # fmt: skip

    png = quote.plot(out / "insurance-rvi.png",
                     title=f"RVI on 1,024 H100 (fleet-dal-h100), USD 4,500/GPU on "
                     f"{GUARANTEE_DATE}: premium USD {quote.premium:,.0f}")  # fmt: skip
    print(f"\nchart: {png}")


if __name__ == "__main__":
    main()
