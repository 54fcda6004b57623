"""A compute rights certificate (算力权益凭证) on an H20 fleet at a western-China site.

Run: ``.venv/bin/python examples/h20_certificate.py [--paths N] [--seed S] [--out DIR]``.
The certificate pays 15% of the NOI of the demo portfolio's ``fleet-nx-h20`` (512 NVIDIA
H20 in Ningxia, 384 of them let to a telecom cloud until October 2027) every quarter for
two years, with a floor, a cap, a senior claim on the fleet's cash, an issuer call and a
holder put. It prints the terms, the expected-case payoff schedule and valuation, the
valuation over simulated paths (fair value, holder IRR percentiles, probability of
losing principal, durations, sensitivities), a small book valued in one call, and writes
one chart (payoff fan and IRR distribution) to ``--out`` (default: a new temporary
directory). Figures are illustrative (docs/products/certificate.md).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from computefin.domain import demo_market, demo_portfolio
from computefin.products.certificate import (
    CertificateValuation,
    ComputeCertificate,
    value_certificate,
    value_certificates,
)

MARKET = demo_market()
PORTFOLIO = demo_portfolio()
CHART = "certificate-nx-h20.png"


def example_certificate() -> ComputeCertificate:
    """15% of fleet-nx-h20's NOI, quarterly, 2026-11-27 to 2028-11-27, CNY 3.2m at issue."""
    return ComputeCertificate.model_validate(
        {
            "id": "nx-h20-cert-2026a",
            "fleet_id": "fleet-nx-h20",
            "currency": "CNY",
            "entitlement": {"kind": "noi_share", "share": 0.15},
            "issue_date": "2026-11-27",
            "maturity": "2028-11-27",
            "frequency": "quarterly",
            "issue_price": 3_200_000.0,
            "units": 3_200,
            "floor_per_period": 100_000.0,
            "cap_per_period": 900_000.0,
            "senior_claim": True,
            "calls": [{"date": "2027-11-27", "price": 450_000.0}],
            "puts": [{"date": "2028-05-27", "price": 200_000.0}],
        }
    )


def variants(base: ComputeCertificate) -> list[ComputeCertificate]:
    """The certificate, a plain version without options, and a GPU-hours version."""
    plain = base.model_copy(
        update={"id": "nx-h20-plain", "calls": (), "puts": (), "floor_per_period": None,
                "cap_per_period": None, "senior_claim": False}
    )  # fmt: skip
    hours = base.model_copy(
        update={"id": "nx-h20-hours", "calls": (), "puts": (), "floor_per_period": None,
                "cap_per_period": None,
                "entitlement": {"kind": "gpu_hours", "gpu_hours_per_period": 60_000.0}}
    )  # fmt: skip
    return [base, plain, hours]


def show(title: str, frame: pd.DataFrame | pd.Series) -> None:
    print(f"\n== {title} ==")
    with pd.option_context("display.width", 140, "display.max_columns", 20,
                           "display.float_format", "{:,.4f}".format):  # fmt: skip
        print(frame.to_string())


def chart(v: CertificateValuation, cert: ComputeCertificate, target: Path) -> Path:
    """Payoff fan per quarter (5-95%, median, mean; floor and cap) and the IRR histogram."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dates = [d.isoformat()[:7] for d in cert.payment_dates()]
    flows = v.flows / 1e3
    p5, p50, p95 = np.percentile(flows, [5, 50, 95], axis=0)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)
    x = np.arange(len(dates))
    left.fill_between(x, p5, p95, alpha=0.25, color="tab:blue", label="5-95%")
    left.plot(x, p50, color="tab:blue", lw=1.4, label="median")
    left.plot(x, flows.mean(axis=0), color="black", ls="--", lw=1.2, label="mean")
    for level, name in ((cert.floor_per_period, "floor"), (cert.cap_per_period, "cap")):
        if level is not None:
            left.axhline(level / 1e3, color="grey", lw=0.8, ls=":")
            left.annotate(name, (x[-1], level / 1e3), fontsize=8, va="bottom", ha="right")
    left.set_xticks(x, dates, rotation=45, fontsize=8)
    left.set_ylabel("CNY thousand per quarter")
    left.set_title("Paid to the holder (coupons, call/put prices)", fontsize=10)
    left.grid(alpha=0.3)
    left.legend(fontsize=8)
    right.hist(v.irr * 100, bins=40, color="tab:green", alpha=0.8)
    right.axvline(0.0, color="black", lw=0.8)
    right.axvline(v.irr_p50 * 100, color="tab:red", ls="--", lw=1.2,
                  label=f"median {v.irr_p50:.1%}")  # fmt: skip
    right.set_xlabel("holder IRR, % a year (bought at issue)")
    right.set_title(f"P(loss of principal) = {v.loss_probability:.1%}", fontsize=10)
    right.legend(fontsize=8)
    fig.suptitle(f"{cert.id}: 15% of fleet-nx-h20 NOI, {v.n_paths} paths", fontsize=11)
    fig.tight_layout()
    fig.savefig(target)
    plt.close(fig)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=2000, help="simulated paths")
    parser.add_argument("--seed", type=int, default=2026, help="random seed")
    parser.add_argument("--out", type=Path, default=None, help="directory for the chart")
    args = parser.parse_args()
    cert = example_certificate()
    fleet = PORTFOLIO.fleet(cert.fleet_id)
    models = ", ".join(fleet.gpus_by_accelerator())
    print(f"Certificate {cert.id} on {fleet.id}: {fleet.gpus} x {models} at "
          f"{fleet.site.region} ({fleet.site.name}); valuation date {MARKET.as_of}")  # fmt: skip
    show("Certificate terms", pd.Series(cert.model_dump(mode="json")).astype(str))

    expected = value_certificate(cert, MARKET, PORTFOLIO)
    show("Payoff schedule, expected case (CNY)", expected.schedule.set_index("payment_date"))
    show("Certificate valuation, expected case", expected.to_frame().T)

    paths = value_certificate(cert, MARKET, PORTFOLIO, args.paths, seed=args.seed)
    show(f"Payoff schedule over {args.paths} paths (CNY)", paths.schedule.set_index("payment_date"))
    show(f"Certificate valuation over {args.paths} paths", paths.to_frame().T)

    book = value_certificates(variants(cert), PORTFOLIO, MARKET, args.paths, seed=args.seed)
    columns = ["fair_value", "npv", "irr_p5", "irr_p50", "irr_p95", "loss_probability",
               "macaulay_duration", "delta_rental_price_1pct", "delta_utilization_1pt",
               "dv01"]  # fmt: skip
    show("A book of three certificates on the fleet, one call", book.set_index("id")[columns])

    out = args.out if args.out is not None else Path(tempfile.mkdtemp(prefix="certificate-"))
    out.mkdir(parents=True, exist_ok=True)
    print(f"\nChart: {chart(paths, cert, out / CHART)}")


if __name__ == "__main__":
    main()
