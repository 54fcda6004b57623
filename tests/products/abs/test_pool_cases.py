"""Small hand-checkable pools shared by the pool and performance tests (no tests here)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from computefin.products.abs.pool import GpuLease, Pool

CUT_OFF = dt.date(2027, 1, 31)
RATE = 0.06
RENT = 100_000.0
GPUS = 8
LESSEE = "lessee-a"


def lease(**changes: Any) -> GpuLease:
    """A 12-month H20 lease starting on the cut-off: 8 GPUs, CNY 100,000 a month in arrears."""
    data: dict[str, Any] = {
        "id": "ls-1",
        "lessee_counterparty_id": LESSEE,
        "accelerator_id": "nvidia-h20",
        "gpus": GPUS,
        "currency": "CNY",
        "rent_per_period": RENT,
        "start": CUT_OFF,
        "term_months": 12,
        "gpu_cost": 90_000.0,
    }
    data.update(changes)
    return GpuLease(**data)


def one_lease_pool(**changes: Any) -> Pool:
    """A pool of the one lease of :func:`lease` (with ``changes``), 6% pool rate, CNY."""
    return Pool(
        id="pool-1", cut_off=CUT_OFF, currency="CNY", pool_discount_rate=RATE,
        leases=[lease(**changes)],
    )  # fmt: skip


def annuity(n: int, i: float = RATE / 12) -> float:
    """Present value of 1 a period for ``n`` periods at ``i`` a period, in arrears."""
    return (1.0 - (1.0 + i) ** -n) / i
