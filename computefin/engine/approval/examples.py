"""A worked example application: a new H200 fleet in Texas rented to three lessees.

It is the clean approve of the tests and docs, and the request of the latency benchmark;
it fits the shipped demo market snapshot (dated 2026-11-27).

>>> app = example_application()
>>> app.requested_amount, app.fleets[0].gpus, len({c.counterparty_id for c in app.contracts})
(10000000.0, 512, 3)
"""

from __future__ import annotations

from typing import Any

from computefin.engine.approval.models import CreditApplication

__all__ = ["example_application", "example_application_data"]


def example_application_data() -> dict[str, Any]:
    """The example as JSON-ready data (a fresh dict each call; edit it to make variants).

    >>> example_application_data()["currency"]
    'USD'
    """
    return {
        "id": "app-2026-0001",
        "borrower_counterparty_id": "prairie-gpu",
        "counterparties": [
            {"id": "prairie-gpu", "name": "Prairie GPU Cloud Inc.", "rating": "BB",
             "sector": "neocloud", "country": "US"},
            {"id": "hyperscale-a", "name": "Example Hyperscale Cloud", "rating": "AA",
             "sector": "hyperscaler", "country": "US"},
            {"id": "model-lab-b", "name": "Frontier Model Lab LLC", "rating": "BB",
             "sector": "ai_lab", "country": "US"},
            {"id": "bank-c", "name": "Example Bank Analytics", "rating": "A",
             "sector": "financial", "country": "US"},
        ],
        "requested_amount": 10_000_000.0,
        "currency": "USD",
        "start": "2026-12-15",
        "tenor_months": 36,
        "frequency": "quarterly",
        "amortization": "straight",
        "rate_type": "floating",
        "index": "SOFR",
        "requested_margin": 0.035,
        "fleets": [
            {
                "id": "fleet-dfw-h200",
                "owner_counterparty_id": "prairie-gpu",
                "site": {"name": "Dallas-Fort Worth 3", "region": "Texas", "country": "US",
                         "pue": 1.3, "electricity_price_per_kwh": 0.072,
                         "colocation_cost_per_kw_month": 184.0, "currency": "USD"},
                "server_groups": [
                    {"accelerator_id": "nvidia-h200-sxm", "servers": 64, "gpus_per_server": 8,
                     "unit_cost": 320_000.0, "currency": "USD", "acquired": "2026-09-01",
                     "power_kw": 10.2},
                ],
            }
        ],
        "contracts": [
            {"id": "ctr-hyper-1", "counterparty_id": "hyperscale-a",
             "fleet_id": "fleet-dfw-h200", "gpus_committed": 200, "price_per_gpu_hour": 3.10,
             "currency": "USD", "start": "2026-12-01", "end": "2029-12-01",
             "take_or_pay_share": 1.0},
            {"id": "ctr-lab-1", "counterparty_id": "model-lab-b",
             "fleet_id": "fleet-dfw-h200", "gpus_committed": 150, "price_per_gpu_hour": 3.20,
             "currency": "USD", "start": "2026-12-01", "end": "2028-12-01",
             "take_or_pay_share": 0.85},
            {"id": "ctr-bank-1", "counterparty_id": "bank-c",
             "fleet_id": "fleet-dfw-h200", "gpus_committed": 100, "price_per_gpu_hour": 3.00,
             "currency": "USD", "start": "2026-12-01", "end": "2029-06-01",
             "take_or_pay_share": 0.9},
        ],
        "financial_statements": {"period_end": "2025-12-31", "currency": "USD",
                                 "revenue": 48_000_000.0, "ebitda": 22_000_000.0,
                                 "total_debt": 40_000_000.0, "cash": 8_000_000.0},
    }  # fmt: skip


def example_application() -> CreditApplication:
    """The example as a validated :class:`CreditApplication`.

    >>> example_application().maturity.isoformat()
    '2029-12-15'
    """
    return CreditApplication.model_validate(example_application_data())
