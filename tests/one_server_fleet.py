"""A one-server fleet with one contract and no randomness that matters, shared by tests.

One 8 x H100 server in Texas (USD 300,000, 10.2 kW, PUE 1.3, USD 0.07/kWh, colocation
USD 150/kW-month), one 4-GPU contract at USD 2.50 from 2026-06-01 to 2027-06-01 with 80%
take-or-pay, constant spot price 2.00 and utilization 0.50, no failures, PD 1e-12, a flat
4% discount curve. Its first month's NOI is worked out by hand in
tests/risk/test_projection.py.
"""

from __future__ import annotations

import datetime as dt

from computefin.domain import (
    Contract,
    Counterparty,
    Fleet,
    GpuRentalQuote,
    MarketSnapshot,
    ServerGroup,
    Site,
)
from computefin.pricing import flat_curve
from computefin.risk.projection import ProjectionAssumptions, ProjectionInputs
from computefin.risk.scenarios import FailureModel, GpuPriceModel, UtilizationModel

AS_OF = dt.date(2026, 11, 27)


def one_server_inputs(horizon: int = 12) -> ProjectionInputs:
    """One 8 x H100 server in Texas, one 4-GPU contract ending 2027-06-01, no randomness
    that matters: constant price 2.00, utilization 0.50, no failures, PD 1e-12."""
    site = Site(name="s", region="Texas", country="US", pue=1.3, electricity_price_per_kwh=0.07,
                colocation_cost_per_kw_month=150.0, currency="USD")  # fmt: skip
    group = ServerGroup(accelerator_id="nvidia-h100-sxm", servers=1, gpus_per_server=8,
                        unit_cost=300_000.0, currency="USD", acquired=dt.date(2026, 1, 1),
                        power_kw=10.2)  # fmt: skip
    fleet = Fleet(id="one", owner_counterparty_id="owner", site=site, server_groups=[group])
    lab = Counterparty(id="lab", name="Lab", rating="A", sector="ai_lab", country="US",
                       pd_override=1e-12)  # fmt: skip
    contract = Contract(id="c", counterparty_id="lab", fleet_id="one", gpus_committed=4,
                        price_per_gpu_hour=2.50, currency="USD", start=dt.date(2026, 6, 1),
                        end=dt.date(2027, 6, 1), take_or_pay_share=0.8)  # fmt: skip
    market = MarketSnapshot(
        as_of=AS_OF,
        gpu_prices=[
            GpuRentalQuote(
                accelerator_id="nvidia-h100-sxm",
                spot_per_gpu_hour=2.0,
                term_per_gpu_hour=2.2,
                currency="USD",
            )
        ],
    )
    price = GpuPriceModel(accelerator_id="nvidia-h100-sxm", currency="USD", as_of=AS_OF,
                          level=2.0, trend_decline_per_year=0.0, successor_step=0.0,
                          kappa=0.0, sigma=0.0)  # fmt: skip
    return ProjectionInputs.build(
        fleet, [contract], market, horizon, counterparties=[lab],
        price_models={"nvidia-h100-sxm": price},
        utilization=UtilizationModel(key="one", theta=0.5, u0=0.5, sigma=0.0),
        failures=[FailureModel(interruption_rate_per_gpu_year=0.0,
                               permanent_failure_rate_per_gpu_year=0.0)],
        assumptions=ProjectionAssumptions(contract_usage=0.9),
        discount_curve=flat_curve(AS_OF, 0.04, currency="USD"),
    )  # fmt: skip
