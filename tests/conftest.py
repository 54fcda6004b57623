"""Shared fixtures: small valid models that tests vary one field at a time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest


@pytest.fixture
def site_data() -> dict[str, Any]:
    return {
        "name": "Zhongwei DC-1",
        "region": "Ningxia",
        "country": "CN",
        "pue": 1.2,
        "electricity_price_per_kwh": 0.36,
        "colocation_cost_per_kw_month": 120.0,
        "currency": "CNY",
    }


@pytest.fixture
def group_data() -> dict[str, Any]:
    return {
        "accelerator_id": "nvidia-h100-sxm",
        "servers": 16,
        "gpus_per_server": 8,
        "unit_cost": 300_000.0,
        "currency": "USD",
        "acquired": dt.date(2024, 3, 1),
        "power_kw": 10.2,
    }


@pytest.fixture
def contract_data() -> dict[str, Any]:
    return {
        "id": "c-1",
        "counterparty_id": "lab-a",
        "fleet_id": "fleet-1",
        "gpus_committed": 64,
        "price_per_gpu_hour": 2.35,
        "currency": "USD",
        "start": dt.date(2026, 1, 1),
        "end": dt.date(2029, 1, 1),
        "take_or_pay_share": 0.8,
        "billing_frequency": "monthly",
        "deposit": 100_000.0,
    }
