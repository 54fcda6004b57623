"""A small H100 fleet whose every model is set by the test: the insurance checks' fixture.

Eight 8-GPU servers in Texas, as of 2026-11-27, a flat 4% USD curve (also as SOFR zero
quotes in the market, for covers priced with default inputs) and no rate randomness;
one optional contract on all 64 GPUs (take-or-pay share chosen by the test) with a
lessee whose PD is 1e-12 (it never defaults in practice).
"""

from __future__ import annotations

import datetime as dt

from computefin.domain import (
    Contract,
    Counterparty,
    Fleet,
    GpuRentalQuote,
    MarketSnapshot,
    Portfolio,
    RateQuote,
    ServerGroup,
    Site,
)
from computefin.pricing import flat_curve
from computefin.risk import ResidualValueModel
from computefin.risk.projection import ProjectionAssumptions, ProjectionInputs
from computefin.risk.scenarios import FailureModel, GpuPriceModel, RateShiftModel

AS_OF = dt.date(2026, 11, 27)
GPUS = 64
RATE = 0.04
CONTRACT_PRICE = 2.5

MARKET = MarketSnapshot(
    as_of=AS_OF,
    rate_quotes=[RateQuote(index="SOFR", kind="zero", tenor=t, rate=RATE) for t in ("1Y", "10Y")],
    gpu_prices=[
        GpuRentalQuote(accelerator_id="nvidia-h100-sxm", spot_per_gpu_hour=2.4,
                       term_per_gpu_hour=2.6, currency="USD")
    ],
)  # fmt: skip


def book(
    *, contract: bool = False, take_or_pay: float = 1.0, electricity: float = 0.07
) -> Portfolio:
    """The fleet "ins-fleet" (64 H100), its owner and, if asked, one contract on all GPUs
    from 2026-06-01 to 2028-06-01 at USD 2.50 per GPU-hour."""
    site = Site(name="s", region="Texas", country="US", pue=1.3,
                electricity_price_per_kwh=electricity, colocation_cost_per_kw_month=0.0,
                currency="USD")  # fmt: skip
    group = ServerGroup(accelerator_id="nvidia-h100-sxm", servers=8, gpus_per_server=8,
                        unit_cost=250_000.0, currency="USD", acquired=dt.date(2026, 6, 1),
                        power_kw=10.2)  # fmt: skip
    fleet = Fleet(id="ins-fleet", owner_counterparty_id="owner", site=site, server_groups=[group])
    parties = [
        Counterparty(id="owner", name="Owner", rating="BB", sector="neocloud", country="US",
                     pd_override=1e-12),
        Counterparty(id="lab", name="Lab", rating="A", sector="ai_lab", country="US",
                     pd_override=1e-12),
    ]  # fmt: skip
    contracts = []
    if contract:
        contracts.append(
            Contract(id="c", counterparty_id="lab", fleet_id="ins-fleet", gpus_committed=GPUS,
                     price_per_gpu_hour=CONTRACT_PRICE, currency="USD",
                     start=dt.date(2026, 6, 1), end=dt.date(2028, 6, 1),
                     take_or_pay_share=take_or_pay)
        )  # fmt: skip
    return Portfolio(counterparties=parties, fleets=[fleet], contracts=contracts)


def inputs(
    portfolio: Portfolio,
    horizon: int,
    *,
    failures: FailureModel | None = None,
    sigma: float = 0.3,
    kappa: float = 0.5,
    residual: ResidualValueModel | None = None,
    costless: bool = False,
    contract_usage: float = 0.9,
) -> ProjectionInputs:
    """Projection inputs of "ins-fleet" with the given failure model and price volatility.

    ``costless``: no maintenance or insurance share (power is priced by the site).
    """
    price = GpuPriceModel(accelerator_id="nvidia-h100-sxm", currency="USD", as_of=AS_OF,
                          level=2.4, sigma=sigma, kappa=kappa)  # fmt: skip
    shares = {"maintenance_share_of_capex_per_year": 0.0,
              "insurance_share_of_capex_per_year": 0.0} if costless else {}  # fmt: skip
    return ProjectionInputs.build(
        portfolio.fleet("ins-fleet"), portfolio.contracts, MARKET, horizon,
        counterparties=portfolio.counterparties,
        price_models={"nvidia-h100-sxm": price},
        failures=[failures or FailureModel()],
        rates=RateShiftModel(sigma=0.0),
        residual=residual,
        assumptions=ProjectionAssumptions(contract_usage=contract_usage, **shares),
        discount_curve=flat_curve(AS_OF, RATE, currency="USD"),
    )  # fmt: skip
