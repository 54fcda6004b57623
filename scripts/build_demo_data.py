"""Write the shipped demo portfolio and market snapshot (computefin/domain/data/demo_*.json).

Run from the repo root: ``.venv/bin/python scripts/build_demo_data.py``. The output is
deterministic: the same script writes the same bytes, and a test checks the shipped
files against it. Figures are illustrative, drawn from the public ranges in DOMAIN.md
(prices, PUE, electricity, capex); they are not market data for any real date.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from computefin.domain import (
    Contract,
    Counterparty,
    Fleet,
    FxRate,
    GpuRentalQuote,
    MarketSnapshot,
    PdEntry,
    Portfolio,
    RateQuote,
    ResaleObservation,
    ServerGroup,
    Site,
)
from computefin.domain.market import Fixing

DATA = Path(__file__).resolve().parents[1] / "computefin" / "domain" / "data"
AS_OF = dt.date(2026, 11, 27)
D = dt.date

SITES = {
    "zhongwei": Site(
        name="Zhongwei Intelligent Computing Centre",
        region="Ningxia",
        country="CN",
        pue=1.20,
        electricity_price_per_kwh=0.36,
        colocation_cost_per_kw_month=120.0,
        currency="CNY",
    ),
    "guian": Site(
        name="Gui'an Data Centre Cluster",
        region="Guizhou",
        country="CN",
        pue=1.25,
        electricity_price_per_kwh=0.40,
        colocation_cost_per_kw_month=130.0,
        currency="CNY",
    ),
    "lingang": Site(
        name="Lingang Computing Hub",
        region="Shanghai",
        country="CN",
        pue=1.30,
        electricity_price_per_kwh=0.75,
        colocation_cost_per_kw_month=400.0,
        currency="CNY",
    ),
    "dallas": Site(
        name="Dallas DFW-2",
        region="Texas",
        country="US",
        pue=1.30,
        electricity_price_per_kwh=0.072,
        colocation_cost_per_kw_month=184.0,
        currency="USD",
    ),
    "ashburn": Site(
        name="Ashburn IAD-7",
        region="Virginia",
        country="US",
        pue=1.35,
        electricity_price_per_kwh=0.080,
        colocation_cost_per_kw_month=195.0,
        currency="USD",
    ),
}


def _group(
    accelerator: str, servers: int, cost: float, ccy: str, acquired: dt.date, kw: float, rid: str
) -> ServerGroup:
    return ServerGroup(
        accelerator_id=accelerator,
        servers=servers,
        gpus_per_server=8,
        unit_cost=cost,
        currency=ccy,
        acquired=acquired,
        power_kw=kw,
        resource_id=rid,
    )


def portfolio() -> Portfolio:
    """The demo collateral: five fleets in China and the US, their owners and lessees."""
    parties = [
        Counterparty(
            id="nx-computing",
            name="Ningxia West Computing Co.",
            rating="AA",
            rating_scale="cn-domestic",
            sector="state_owned",
            country="CN",
        ),
        Counterparty(
            id="gz-cloud",
            name="Guizhou Cloud Compute Ltd.",
            rating="AA-",
            rating_scale="cn-domestic",
            sector="neocloud",
            country="CN",
        ),
        Counterparty(
            id="sh-aiinfra",
            name="Shanghai AI Infrastructure Ltd.",
            rating="A+",
            rating_scale="cn-domestic",
            sector="neocloud",
            country="CN",
        ),
        Counterparty(
            id="us-neocloud",
            name="Prairie GPU Cloud Inc.",
            rating="B+",
            sector="neocloud",
            country="US",
        ),
        Counterparty(
            id="cn-internet",
            name="Example Internet Group",
            rating="A",
            sector="internet",
            country="CN",
        ),
        Counterparty(
            id="cn-telecom",
            name="Example Telecom Cloud",
            rating="AAA",
            rating_scale="cn-domestic",
            sector="telecom",
            country="CN",
        ),
        Counterparty(
            id="cn-ailab",
            name="Example Model Lab",
            rating="A-",
            rating_scale="cn-domestic",
            sector="ai_lab",
            country="CN",
        ),
        Counterparty(
            id="us-ailab", name="Frontier Model Lab LLC", rating="BB", sector="ai_lab", country="US"
        ),
        Counterparty(
            id="us-hyperscaler",
            name="Example Hyperscale Cloud",
            rating="AA",
            sector="hyperscaler",
            country="US",
        ),
    ]
    fleets = [
        Fleet(
            id="fleet-nx-h20",
            owner_counterparty_id="nx-computing",
            site=SITES["zhongwei"],
            resource_id="CN-NX-ZW-0001",
            server_groups=[
                _group("nvidia-h20", 64, 1_100_000.0, "CNY", D(2024, 9, 1), 5.6, "CN-NX-ZW-0001-A")
            ],
        ),
        Fleet(
            id="fleet-gz-910b",
            owner_counterparty_id="gz-cloud",
            site=SITES["guian"],
            resource_id="CN-GZ-GA-0107",
            server_groups=[
                _group(
                    "huawei-ascend-910b",
                    96,
                    1_300_000.0,
                    "CNY",
                    D(2024, 6, 1),
                    5.6,
                    "CN-GZ-GA-0107-A",
                ),
                _group(
                    "huawei-ascend-910c",
                    32,
                    2_000_000.0,
                    "CNY",
                    D(2025, 7, 1),
                    7.5,
                    "CN-GZ-GA-0107-B",
                ),
            ],
        ),
        Fleet(
            id="fleet-sh-h800",
            owner_counterparty_id="sh-aiinfra",
            site=SITES["lingang"],
            resource_id="CN-SH-LG-0042",
            server_groups=[
                _group(
                    "nvidia-h800-sxm",
                    32,
                    2_600_000.0,
                    "CNY",
                    D(2023, 8, 1),
                    10.2,
                    "CN-SH-LG-0042-A",
                )
            ],
        ),
        Fleet(
            id="fleet-dal-h100",
            owner_counterparty_id="us-neocloud",
            site=SITES["dallas"],
            server_groups=[
                _group(
                    "nvidia-h100-sxm", 128, 300_000.0, "USD", D(2024, 3, 1), 10.2, "US-TX-DFW2-H100"
                )
            ],
        ),
        Fleet(
            id="fleet-ash-h200",
            owner_counterparty_id="us-neocloud",
            site=SITES["ashburn"],
            server_groups=[
                _group(
                    "nvidia-h200-sxm", 64, 340_000.0, "USD", D(2025, 2, 1), 10.2, "US-VA-IAD7-H200"
                )
            ],
        ),
    ]

    def contract(
        cid: str,
        cp: str,
        fleet: str,
        gpus: int,
        price: float,
        ccy: str,
        start: dt.date,
        end: dt.date,
        top: float,
        deposit: float,
    ) -> Contract:
        return Contract(
            id=cid,
            counterparty_id=cp,
            fleet_id=fleet,
            gpus_committed=gpus,
            price_per_gpu_hour=price,
            currency=ccy,
            start=start,
            end=end,
            take_or_pay_share=top,
            billing_frequency="monthly",
            deposit=deposit,
        )

    contracts = [
        contract(
            "ctr-nx-telecom",
            "cn-telecom",
            "fleet-nx-h20",
            384,
            7.50,
            "CNY",
            D(2024, 10, 1),
            D(2027, 10, 1),
            0.80,
            2_000_000.0,
        ),
        contract(
            "ctr-gz-internet",
            "cn-internet",
            "fleet-gz-910b",
            512,
            8.00,
            "CNY",
            D(2024, 7, 1),
            D(2028, 7, 1),
            0.90,
            3_000_000.0,
        ),
        contract(
            "ctr-gz-ailab",
            "cn-ailab",
            "fleet-gz-910b",
            256,
            10.50,
            "CNY",
            D(2025, 8, 1),
            D(2027, 8, 1),
            0.60,
            1_000_000.0,
        ),
        contract(
            "ctr-sh-ailab",
            "cn-ailab",
            "fleet-sh-h800",
            192,
            11.00,
            "CNY",
            D(2025, 1, 1),
            D(2027, 1, 1),
            0.50,
            800_000.0,
        ),
        contract(
            "ctr-dal-ailab",
            "us-ailab",
            "fleet-dal-h100",
            768,
            2.35,
            "USD",
            D(2026, 3, 1),
            D(2029, 3, 1),
            0.85,
            1_500_000.0,
        ),
        contract(
            "ctr-ash-hyper",
            "us-hyperscaler",
            "fleet-ash-h200",
            512,
            2.90,
            "USD",
            D(2025, 3, 1),
            D(2030, 3, 1),
            1.00,
            0.0,
        ),
    ]
    return Portfolio(counterparties=parties, fleets=fleets, contracts=contracts)


def market() -> MarketSnapshot:
    """An illustrative snapshot: CNY and USD curves, LPR fixings, GPU prices, FX, PDs."""
    q = RateQuote
    quotes = [
        q(index="SHIBOR3M", kind="deposit", tenor="3M", rate=0.0160),
        *(
            q(index="SHIBOR3M", kind="swap", tenor=t, rate=r)
            for t, r in [
                ("6M", 0.0156),
                ("9M", 0.0155),
                ("1Y", 0.0155),
                ("2Y", 0.0158),
                ("3Y", 0.0162),
                ("4Y", 0.0166),
                ("5Y", 0.0170),
                ("7Y", 0.0178),
                ("10Y", 0.0188),
            ]
        ),
        q(index="FR007", kind="deposit", tenor="1W", rate=0.0150),
        *(
            q(index="FR007", kind="swap", tenor=t, rate=r)
            for t, r in [
                ("3M", 0.0148),
                ("6M", 0.0146),
                ("1Y", 0.0145),
                ("2Y", 0.0148),
                ("3Y", 0.0152),
                ("5Y", 0.0160),
                ("7Y", 0.0168),
                ("10Y", 0.0178),
            ]
        ),
        q(index="SOFR", kind="deposit", tenor="ON", rate=0.0365),
        *(
            q(index="SOFR", kind="ois", tenor=t, rate=r)
            for t, r in [
                ("1M", 0.0362),
                ("3M", 0.0357),
                ("6M", 0.0349),
                ("1Y", 0.0338),
                ("2Y", 0.0330),
                ("3Y", 0.0332),
                ("5Y", 0.0341),
                ("7Y", 0.0352),
                ("10Y", 0.0366),
            ]
        ),
    ]
    fixings = [
        Fixing(index="LPR1Y", date=D(2026, 10, 20), rate=0.0300),
        Fixing(index="LPR5Y", date=D(2026, 10, 20), rate=0.0350),
        Fixing(index="LPR1Y", date=D(2026, 11, 20), rate=0.0300),
        Fixing(index="LPR5Y", date=D(2026, 11, 20), rate=0.0350),
        Fixing(index="SHIBOR3M", date=D(2026, 11, 26), rate=0.0160),
        Fixing(index="SOFR", date=D(2026, 11, 26), rate=0.0365),
    ]
    gpu = GpuRentalQuote
    src = "illustrative, within the public ranges in DOMAIN.md section 3"
    prices = [
        gpu(
            accelerator_id="nvidia-h100-sxm",
            spot_per_gpu_hour=2.42,
            term_per_gpu_hour=2.65,
            currency="USD",
            source="H100 1-yr contract ~2.65, spot 2.42 (Jun 2026, approx.)",
        ),
        gpu(
            accelerator_id="nvidia-h200-sxm",
            spot_per_gpu_hour=2.95,
            term_per_gpu_hour=3.15,
            currency="USD",
            source=src,
        ),
        gpu(
            accelerator_id="nvidia-h20",
            spot_per_gpu_hour=6.50,
            term_per_gpu_hour=7.50,
            currency="CNY",
            source=src,
        ),
        gpu(
            accelerator_id="huawei-ascend-910b",
            spot_per_gpu_hour=7.00,
            term_per_gpu_hour=8.00,
            currency="CNY",
            source=src,
        ),
        gpu(
            accelerator_id="huawei-ascend-910c",
            spot_per_gpu_hour=9.50,
            term_per_gpu_hour=10.50,
            currency="CNY",
            source=src,
        ),
        gpu(
            accelerator_id="nvidia-h800-sxm",
            spot_per_gpu_hour=10.00,
            term_per_gpu_hour=11.00,
            currency="CNY",
            source=src,
        ),
    ]
    resale = [
        ResaleObservation(
            accelerator_id="nvidia-h100-sxm",
            date=D(2026, 2, 15),
            price=23_500.0,
            currency="USD",
            age_years=2.0,
            source="H100 SXM 22-25k by Q1 2026 (approx.)",
        ),
        ResaleObservation(
            accelerator_id="nvidia-h100-sxm",
            date=D(2026, 8, 10),
            price=21_000.0,
            currency="USD",
            age_years=2.5,
            source=src,
        ),
        ResaleObservation(
            accelerator_id="nvidia-a100-80gb-sxm",
            date=D(2026, 5, 20),
            price=9_000.0,
            currency="USD",
            age_years=4.5,
            source=src,
        ),
    ]
    global_pd = [
        ("AAA", 0.0001),
        ("AA+", 0.0002),
        ("AA", 0.0002),
        ("AA-", 0.0003),
        ("A+", 0.0004),
        ("A", 0.0005),
        ("A-", 0.0007),
        ("BBB+", 0.0010),
        ("BBB", 0.0016),
        ("BBB-", 0.0026),
        ("BB+", 0.0035),
        ("BB", 0.0055),
        ("BB-", 0.0100),
        ("B+", 0.0190),
        ("B", 0.0320),
        ("B-", 0.0560),
        ("CCC+", 0.1000),
        ("CCC", 0.1800),
        ("CCC-", 0.2700),
        ("CC", 0.3500),
        ("C", 0.4500),
        ("D", 1.0),
    ]
    domestic_pd = [
        ("AAA", 0.0010),
        ("AA+", 0.0025),
        ("AA", 0.0060),
        ("AA-", 0.0120),
        ("A+", 0.0200),
        ("A", 0.0300),
        ("A-", 0.0450),
        ("BBB+", 0.0600),
        ("BBB", 0.0800),
        ("BBB-", 0.1000),
        ("BB+", 0.1300),
        ("BB", 0.1600),
        ("BB-", 0.2000),
        ("B+", 0.2400),
        ("B", 0.2800),
        ("B-", 0.3300),
        ("CCC+", 0.3800),
        ("CCC", 0.4400),
        ("CCC-", 0.5000),
        ("CC", 0.6000),
        ("C", 0.7000),
        ("D", 1.0),
    ]
    pd_table = [PdEntry(rating_scale="global", rating=r, pd_1y=p) for r, p in global_pd]
    pd_table += [PdEntry(rating_scale="cn-domestic", rating=r, pd_1y=p) for r, p in domestic_pd]
    return MarketSnapshot(
        as_of=AS_OF,
        rate_quotes=quotes,
        fixings=fixings,
        gpu_prices=prices,
        resale_observations=resale,
        fx_rates=[FxRate(base="USD", quote="CNY", rate=7.10)],
        pd_table=pd_table,
    )


def render(model: Any) -> str:
    """Stable JSON text of a model: sorted keys, two-space indent, trailing newline."""
    return (
        json.dumps(
            json.loads(model.model_dump_json()), indent=2, sort_keys=True, ensure_ascii=False
        )
        + "\n"
    )


def main() -> None:
    """Write both demo files."""
    (DATA / "demo_portfolio.json").write_text(render(portfolio()), encoding="utf-8")
    (DATA / "demo_market.json").write_text(render(market()), encoding="utf-8")


if __name__ == "__main__":
    main()
