"""Fleet projection over paths: the vectorised kernel against a per-path Python loop.

A fleet of 5 accelerator types (100 servers x 8 GPUs each) with 50 contracts, each with
its own lessee, projected monthly over 10 years. The reference runs the same model one
path at a time (the loop a first implementation would write), on a sample of paths, in
the same process; its per-path time is scaled to the full run.
"""

from __future__ import annotations

import datetime as dt
import resource
import time

import numpy as np

from computefin.domain import (
    Contract,
    Counterparty,
    Fleet,
    ServerGroup,
    Site,
    demo_market,
)
from computefin.risk.projection import ProjectionInputs, project, simulate_scenarios

ACCELERATORS = (
    ("nvidia-h100-sxm", 300_000.0, 10.2),
    ("nvidia-h200-sxm", 340_000.0, 10.2),
    ("nvidia-h20", 160_000.0, 5.6),
    ("huawei-ascend-910b", 180_000.0, 5.6),
    ("nvidia-h800-sxm", 360_000.0, 10.2),
)


def benchmark_inputs(horizon_months: int = 120) -> ProjectionInputs:
    """The benchmark fleet, contracts and counterparties on the demo market snapshot."""
    market = demo_market()
    site = Site(name="bench", region="Texas", country="US", pue=1.3,
                electricity_price_per_kwh=0.072, colocation_cost_per_kw_month=184.0,
                currency="USD")  # fmt: skip
    groups = [
        ServerGroup(accelerator_id=a, servers=100, gpus_per_server=8, unit_cost=cost,
                    currency="USD", acquired=dt.date(2025, 6, 1), power_kw=kw)
        for a, cost, kw in ACCELERATORS
    ]  # fmt: skip
    fleet = Fleet(id="bench", owner_counterparty_id="owner", site=site, server_groups=groups)
    ratings = ("A", "BBB", "BBB-", "BB+", "BB", "B+", "B")
    parties = [
        Counterparty(id=f"lessee-{i:02d}", name=f"Lessee {i}", rating=ratings[i % 7],
                     sector="ai_lab", country="US")
        for i in range(50)
    ]  # fmt: skip
    contracts = [
        Contract(id=f"c-{i:02d}", counterparty_id=f"lessee-{i:02d}", fleet_id="bench",
                 gpus_committed=64, price_per_gpu_hour=2.2 + 0.02 * i, currency="USD",
                 start=dt.date(2026, 1, 1) + dt.timedelta(days=30 * (i % 12)),
                 end=dt.date(2028, 1, 1) + dt.timedelta(days=60 * i),
                 take_or_pay_share=0.5 + 0.01 * i)
        for i in range(50)
    ]  # fmt: skip
    return ProjectionInputs.build(fleet, contracts, market, horizon_months,
                                  counterparties=parties)  # fmt: skip


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run(n_paths: int = 10_000, loop_paths: int = 100, seed: int = 20261127) -> str:
    """Time scenario generation and projection of ``n_paths``, and the per-path loop."""
    inputs = benchmark_inputs()
    project(inputs)  # warm: builds curves, valuation tables
    start = time.perf_counter()
    scenarios = simulate_scenarios(inputs, n_paths, seed)
    simulated = time.perf_counter()
    projection = project(inputs, scenarios)
    done = time.perf_counter()
    rss = _peak_rss_mib()

    sample = scenarios.paths(0, loop_paths)
    loop_start = time.perf_counter()
    one_by_one = project(inputs, sample, chunk_paths=1)  # the kernel called once per path
    loop_seconds = time.perf_counter() - loop_start
    same = all(
        np.array_equal(one_by_one.lines[k], projection.lines[k][:loop_paths])
        for k in projection.lines
    )
    per_path_loop = loop_seconds / loop_paths
    vector = done - simulated
    lines = [
        f"fleet projection: 5 accelerator types, 50 contracts, {n_paths:,} paths x "
        f"{inputs.grid.n_periods} monthly periods",
        f"  scenario generation              {simulated - start:8.2f} s",
        f"  projection (vectorised, chunks)  {vector:8.2f} s   {n_paths / vector:,.0f} paths/s",
        f"  total                            {done - start:8.2f} s   peak RSS {rss:,.0f} MiB",
        f"  per-path loop ({loop_paths} paths)        {loop_seconds:8.2f} s   "
        f"{per_path_loop * 1e3:.1f} ms/path -> {per_path_loop * n_paths:,.0f} s for {n_paths:,}",
        f"  speed-up over the per-path loop: {per_path_loop * n_paths / vector:,.0f}x "
        f"(results equal: {same})",
    ]
    return "\n".join(lines)
