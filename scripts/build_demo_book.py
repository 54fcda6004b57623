"""Write the engine's demo book (computefin/engine/data/demo_*.json|csv).

Run from the repo root: ``.venv/bin/python scripts/build_demo_book.py``. Deterministic
(numpy seed 20261127): the same script writes the same bytes, and a test checks the
shipped files against it. The book builds on the domain demo portfolio (its sites,
lessees and five fleets) and adds borrowers and fleets so the batch job has a few
hundred loans on H100 / H200 / H20 / H800 / Ascend fleets in Chinese and US sites, plus
the products' demo ABS deal (a CNY GPU-lease pool), the bank's holdings in its tranches
and four compute rights certificates on the demo fleets.
Figures are illustrative, drawn from the public ranges in DOMAIN.md; they are not the
terms of any real loan.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np

from computefin.domain import Contract, Counterparty, Fleet, Portfolio, ServerGroup, demo_portfolio
from computefin.products import CollateralLoan, LoanBook
from computefin.products.abs import demo_deal
from computefin.products.certificate import ComputeCertificate

DATA = Path(__file__).resolve().parents[1] / "computefin" / "engine" / "data"
AS_OF = dt.date(2026, 11, 27)
SEED = 20261127
EXTRA_FLEETS = 55
LOANS_PER_FLEET = 5

# (accelerator, currency, server cost, kW per server, contract price per GPU-hour)
CN_KINDS = (
    ("nvidia-h20", "CNY", 1_100_000.0, 5.6, 7.5),
    ("huawei-ascend-910b", "CNY", 1_300_000.0, 5.6, 8.0),
    ("huawei-ascend-910c", "CNY", 2_000_000.0, 7.5, 10.5),
    ("nvidia-h800-sxm", "CNY", 2_600_000.0, 10.2, 11.0),
)
US_KINDS = (
    ("nvidia-h100-sxm", "USD", 300_000.0, 10.2, 2.35),
    ("nvidia-h200-sxm", "USD", 340_000.0, 10.2, 2.90),
)
CN_RATINGS = ("AAA", "AA+", "AA", "AA-", "A+", "A")
US_RATINGS = ("BBB", "BBB-", "BB+", "BB", "BB-", "B+")
CN_LESSEES = ("cn-telecom", "cn-internet", "cn-ailab")
US_LESSEES = ("us-hyperscaler", "us-ailab")


def _month(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + y, m + 1, min(day.day, 28))


def book() -> tuple[Portfolio, list[CollateralLoan]]:
    """The demo portfolio plus generated borrowers, fleets, contracts and loans."""
    rng = np.random.default_rng(SEED)
    base = demo_portfolio()
    sites = {f.site.country: [] for f in base.fleets}  # type: dict[str, list]
    for f in base.fleets:
        if f.site not in sites[f.site.country]:
            sites[f.site.country].append(f.site)
    parties = list(base.counterparties)
    fleets = list(base.fleets)
    contracts = list(base.contracts)
    for n in range(EXTRA_FLEETS):
        china = n % 5 < 3
        country = "CN" if china else "US"
        kinds = CN_KINDS if china else US_KINDS
        accelerator, ccy, cost, kw, price = kinds[int(rng.integers(len(kinds)))]
        owner = Counterparty(
            id=f"borrower-{n:03d}",
            name=f"{'Western China' if china else 'American'} Compute Operator {n:03d}",
            rating=(CN_RATINGS if china else US_RATINGS)[int(rng.integers(6))],
            rating_scale="cn-domestic" if china else "global",
            sector="neocloud" if n % 2 else "enterprise",
            country=country,
        )
        parties.append(owner)
        site = sites[country][int(rng.integers(len(sites[country])))]
        servers = int(rng.integers(4, 33)) * 8
        acquired = _month(dt.date(2024, 1, 1), int(rng.integers(0, 30)))
        fleet = Fleet(
            id=f"fleet-{n:03d}-{accelerator.split('-')[-1]}",
            owner_counterparty_id=owner.id,
            site=site,
            server_groups=[
                ServerGroup(
                    accelerator_id=accelerator, servers=servers, gpus_per_server=8,
                    unit_cost=round(cost * float(rng.uniform(0.9, 1.1)), -3), currency=ccy,
                    acquired=acquired, power_kw=kw,
                )
            ],
        )  # fmt: skip
        fleets.append(fleet)
        lessees = CN_LESSEES if china else US_LESSEES
        share_left = 1.0
        for k in range(int(rng.integers(1, 3))):
            share = round(float(rng.uniform(0.3, 0.45)), 2)
            share_left -= share
            start = _month(acquired, int(rng.integers(0, 6)))
            contracts.append(
                Contract(
                    id=f"ctr-{n:03d}-{k}",
                    counterparty_id=lessees[int(rng.integers(len(lessees)))],
                    fleet_id=fleet.id,
                    gpus_committed=int(fleet.gpus * share),
                    price_per_gpu_hour=round(price * float(rng.uniform(0.9, 1.1)), 2),
                    currency=ccy,
                    start=start,
                    end=_month(start, int(rng.choice([24, 36, 48]))),
                    take_or_pay_share=round(float(rng.uniform(0.6, 1.0)), 2),
                )
            )
    portfolio = Portfolio(counterparties=parties, fleets=fleets, contracts=contracts)
    loans: list[CollateralLoan] = []
    for fleet in fleets:
        capex = sum(g.servers * g.unit_cost for g in fleet.server_groups)
        ccy = fleet.server_groups[0].currency
        mine = [c.id for c in portfolio.contracts_on(fleet.id)]
        for k in range(LOANS_PER_FLEET):
            floating = bool(rng.integers(2))
            tenor_years = int(rng.integers(2, 6))
            start = (
                _month(AS_OF, int(rng.integers(1, 7)))
                if floating
                else _month(AS_OF, -int(rng.integers(1, 13)))
            )
            amortization = str(
                rng.choice(["level", "straight", "balloon", "bullet"], p=[0.4, 0.4, 0.15, 0.05])
            )
            terms: dict[str, object] = {}
            if floating:
                index = "SOFR" if ccy == "USD" else str(rng.choice(["LPR1Y", "SHIBOR3M"]))
                terms = {"index": index, "margin": round(float(rng.uniform(0.01, 0.045)), 4)}
            else:
                low, high = (0.065, 0.11) if ccy == "USD" else (0.035, 0.06)
                fixed = float(rng.uniform(low, high))
                terms = {"fixed_rate": round(fixed, 4)}
            loans.append(
                CollateralLoan(
                    id=f"loan-{fleet.id.removeprefix('fleet-')}-{k}",
                    borrower_counterparty_id=fleet.owner_counterparty_id,
                    principal=round(capex * float(rng.uniform(0.04, 0.12)), -4),
                    currency=ccy,
                    start=start,
                    maturity=_month(start, 12 * tenor_years),
                    frequency=str(rng.choice(["monthly", "quarterly"])),
                    amortization=amortization,
                    balloon_share=0.3 if amortization == "balloon" else None,
                    day_count="ACT/360" if ccy == "USD" else "ACT/365F",
                    calendar="US-SOFR" if ccy == "USD" else "CN-IB",
                    upfront_fee_rate=0.005,
                    collateral={"fleet_ids": [fleet.id], "assigned_contract_ids": mine},
                    covenants={
                        "max_ltv": round(float(rng.uniform(0.7, 0.85)), 2),
                        "min_dscr": round(float(rng.uniform(1.1, 1.3)), 2),
                    },
                    **terms,
                )
            )
    return portfolio, loans


HOLDINGS = (("hold-abs-a-1", "A", 300e6), ("hold-abs-a-2", "A", 150e6),
            ("hold-abs-b-1", "B", 80e6), ("hold-abs-e-1", "E", 40e6))  # fmt: skip
"""The bank's positions in the demo ABS deal: (id, tranche, face CNY)."""


def certificates() -> list[ComputeCertificate]:
    """A handful of compute rights certificates the bank holds on the demo fleets."""
    base = {"issue_date": "2026-12-31", "maturity": "2028-12-31", "frequency": "quarterly"}
    rows: list[dict[str, object]] = [
        {"id": "cert-nx-h20-noi", "fleet_id": "fleet-nx-h20", "currency": "CNY",
         "entitlement": {"kind": "noi_share", "share": 0.15}, "issue_price": 3_200_000.0,
         "units": 3_200, "floor_per_period": 100_000.0, "cap_per_period": 900_000.0,
         "senior_claim": True, "calls": [{"date": "2027-12-31", "price": 450_000.0}]},
        {"id": "cert-gz-910b-hours", "fleet_id": "fleet-gz-910b", "currency": "CNY",
         "entitlement": {"kind": "gpu_hours", "gpu_hours_per_period": 50_000.0,
                         "accelerator_id": "huawei-ascend-910b"},
         "issue_price": 3_000_000.0, "units": 3_000},
        {"id": "cert-dal-h100-rev", "fleet_id": "fleet-dal-h100", "currency": "USD",
         "entitlement": {"kind": "revenue_share", "share": 0.05}, "issue_price": 900_000.0,
         "units": 900, "puts": [{"date": "2027-12-31", "price": 100_000.0}]},
        {"id": "cert-ash-h200-noi", "fleet_id": "fleet-ash-h200", "currency": "USD",
         "entitlement": {"kind": "noi_share", "share": 0.10}, "issue_price": 1_100_000.0,
         "units": 1_100, "senior_claim": True},
    ]  # fmt: skip
    return [ComputeCertificate.model_validate({**base, **row}) for row in rows]


def main() -> None:
    """Write the portfolio, loans, ABS deal and holdings files."""
    portfolio, loans = book()
    DATA.mkdir(parents=True, exist_ok=True)
    text = json.dumps(portfolio.model_dump(mode="json"), indent=1, sort_keys=True) + "\n"
    (DATA / "demo_book.json").write_text(text, encoding="utf-8")
    frame = LoanBook.from_models(loans).to_frame()
    frame.to_csv(DATA / "demo_loans.csv", index=False, lineterminator="\n")
    deal = demo_deal()
    text = json.dumps([deal.model_dump(mode="json")], indent=1, sort_keys=True) + "\n"
    (DATA / "demo_abs_deals.json").write_text(text, encoding="utf-8")
    lines = ["id,instrument_type,instrument_id,tranche,face"]
    lines += [f"{i},abs_tranche,{deal.id},{t},{face:.2f}" for i, t, face in HOLDINGS]
    (DATA / "demo_holdings.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    certs = [c.model_dump(mode="json") for c in certificates()]
    text = json.dumps(certs, indent=1, sort_keys=True) + "\n"
    (DATA / "demo_certificates.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
