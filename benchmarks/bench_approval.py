"""Credit-approval latency: p50 / p99 over 1,000 requests, each with a 1,000-path collateral
simulation, through the HTTP service (FastAPI TestClient) and in-process.

Run: ``python -m benchmarks.bench_approval [--n 1000] [--paths 1000]``. The requests are
the worked example application with a different requested amount each time (so no
request repeats another's inputs); the service decides them one at a time, as one worker
process does. For reference it also times ``value_loan`` with 1,000 paths on the same
loan: its fleet projection runs over a fixed 30-year grid, which is where its time goes.

BLAS threads are pinned to one (``OPENBLAS_NUM_THREADS=1``, set before numpy loads), as
the service should run: the projection's small eigen-solves (Gauss-Hermite nodes) are
many times slower with two BLAS threads competing on a busy two-core machine.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import platform
import time
from collections.abc import Callable

import numpy as np


def _machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{cpu}; {os.cpu_count()} logical CPUs; load average {load}; python "
        f"{platform.python_version()}, numpy {np.__version__}; "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}"
    )


def _summary(name: str, seconds: list[float]) -> str:
    ms = np.asarray(seconds) * 1e3
    p50, p90, p99 = np.percentile(ms, [50, 90, 99])
    return (
        f"  {name:<34} n={ms.size:>5}  p50 {p50:7.1f} ms  p90 {p90:7.1f} ms  "
        f"p99 {p99:7.1f} ms  max {ms.max():7.1f} ms  mean {ms.mean():7.1f} ms"
    )


def _time(calls: list[Callable[[], object]]) -> list[float]:
    out = []
    for call in calls:
        start = time.perf_counter()
        call()
        out.append(time.perf_counter() - start)
    return out


def run(n: int = 1000, paths: int = 1000) -> str:
    """Time ``n`` decisions over HTTP and in-process; return the report."""
    from fastapi.testclient import TestClient

    from computefin.domain import demo_market
    from computefin.engine.approval import CreditApplication, decide, default_policy
    from computefin.engine.approval._analysis import MarketContext, analyse
    from computefin.engine.approval.examples import example_application_data
    from computefin.engine.approval.service import create_app
    from computefin.products.valuation import value_loan

    market = demo_market()
    policy = default_policy().model_copy(update={"scenarios": paths})
    token = "bench-token-000"
    client = TestClient(create_app(market, policy, token=token))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bodies = []
    for i in range(n):
        data = example_application_data()
        data["requested_amount"] = 6e6 + 5_000.0 * i
        bodies.append(json.dumps(data).encode())

    def post(body: bytes) -> Callable[[], object]:
        def call() -> object:
            response = client.post("/v1/decisions", content=body, headers=headers)
            assert response.status_code == 200, response.text
            return response

        return call

    for body in bodies[:5]:  # warm caches (curves, QuantLib, numpy dispatch)
        post(body)()
    http = _time([post(b) for b in bodies])
    apps = [CreditApplication.model_validate_json(b) for b in bodies[: max(n // 5, 20)]]
    direct = _time([lambda a=a: decide(a, market, policy) for a in apps])
    ctx = MarketContext.of(market)
    parts = _time([lambda a=a: analyse(a, ctx, policy) for a in apps[:50]])
    an = analyse(apps[0], ctx, policy)
    loan = an.loan.model_copy(update={"covenants": {"max_ltv": 0.75, "min_dscr": 1.2}})
    valuation = _time(
        [
            lambda: value_loan(
                loan, apps[0].portfolio(), market, paths, seed=1, curves=dict(ctx.curves)
            )
            for _ in range(10)
        ]
    )
    lines = [
        f"credit approval latency, {paths} collateral paths per request",
        f"  machine: {_machine()}",
        _summary("HTTP POST /v1/decisions", http),
        _summary("decide() in process", direct),
        _summary("  of which collateral analysis", parts),
        _summary("value_loan, 30-year grid (reference)", valuation),
    ]
    return "\n".join(lines)


def main() -> None:
    """Parse the options and print the report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1000, help="requests to time")
    parser.add_argument("--paths", type=int, default=1000, help="collateral paths per request")
    args = parser.parse_args()
    print(run(args.n, args.paths))


if __name__ == "__main__":
    main()
