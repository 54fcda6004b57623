"""A lease pool with one defaulting lessee through a two-class sequential waterfall,
period by period by hand: pool side and waterfall side joined, as a deal is run."""

from __future__ import annotations

import datetime as dt

import numpy as np
from abs_waterfall_pools import build

from computefin.products.abs import GpuLease, Performance, Pool, project_pool, run_waterfall
from computefin.risk import ScenarioSet

CUT_OFF = dt.date(2026, 12, 31)


def _lease(lessee: str) -> GpuLease:
    return GpuLease(
        id=f"lease-{lessee}", lessee_counterparty_id=lessee, accelerator_id="nvidia-h20",
        gpus=8, currency="CNY", rent_per_period=100.0, start=CUT_OFF, term_months=4,
    )  # fmt: skip


def test_one_defaulting_lease_through_a_sequential_deal_by_hand() -> None:
    # Two 4-month leases of 100 a month in arrears; pool rate 0, so the discounted balance
    # is the rent still owed (800) and all rent is principal. Lessee Y defaults in month
    # 2 (continuation: its lease ends, no recovery, no resale).
    pool = Pool(id="p", cut_off=CUT_OFF, currency="CNY", pool_discount_rate=0.0,
                leases=[_lease("x"), _lease("y")])  # fmt: skip
    grid = pool.projection_grid()
    default_in_month_2 = float(grid.start_times[1] + grid.times[1]) / 2.0
    paths = ScenarioSet.create(
        grid=grid, seed=0, n_paths=1, default_times={"y": np.array([default_in_month_2])}
    )
    flows = project_pool(pool, Performance(), paths)
    # pool side, month by month: collections, defaulted balance, balance at month end
    np.testing.assert_allclose(flows.principal_collections[0], [200.0, 100.0, 100.0, 100.0])
    np.testing.assert_allclose(flows.interest_collections[0], [0.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(flows.defaulted_balance[0], [0.0, 300.0, 0.0, 0.0])
    np.testing.assert_allclose(flows.net_loss[0], [0.0, 300.0, 0.0, 0.0])
    np.testing.assert_allclose(flows.pool_balance[0], [600.0, 200.0, 100.0, 0.0])

    # A 500 / B 200 at 0%, equity 100 (the over-collateralisation), sequential, no fees.
    # Principal distribution amount (PDA) = notes - pool balance at the month end:
    # month 1: funds 200, PDA 700 - 600 = 100 -> A 100; 100 left -> equity; A 400, B 200
    # month 2: funds 100, PDA 600 - 200 = 400 -> A 100; deficiency 300 carried; A 300
    # month 3: funds 100, PDA 500 - 100 = 400 -> A 100; A 200
    # month 4 (last): funds 100, PDA = all notes 400 -> A 100; A 100 and B 200 unpaid:
    #   written down (deficiency ledger, last period)
    deal = build(
        {
            "name": "one-default", "currency": "CNY",
            "tranches": [
                {"name": "A", "balance": 500.0, "seniority": 1,
                 "coupon": {"type": "fixed", "rate": 0.0}},
                {"name": "B", "balance": 200.0, "seniority": 2,
                 "coupon": {"type": "fixed", "rate": 0.0}},
                {"name": "E", "kind": "equity", "balance": 100.0, "seniority": 3},
            ],
            "waterfall": {
                "interest": [{"action": "pay_interest", "tranches": ["A", "B"]}],
                "principal": [
                    {"action": "pay_principal", "tranches": ["A", "B"], "mode": "sequential"},
                    {"action": "pay_residual", "tranche": "E"},
                ],
            },
        }
    )  # fmt: skip
    res = run_waterfall(deal, flows)
    a, b, e = (res.index(n) for n in ("A", "B", "E"))
    np.testing.assert_allclose(res.principal[a, 0], [100.0, 100.0, 100.0, 100.0])
    np.testing.assert_allclose(res.principal[b, 0], [0.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(res.residual[e, 0], [100.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(res.balance[a, 0], [400.0, 300.0, 200.0, 0.0])
    np.testing.assert_allclose(res.balance[b, 0], [200.0, 200.0, 200.0, 0.0])
    np.testing.assert_allclose(res.writedown[a, 0], [0.0, 0.0, 0.0, 100.0])
    np.testing.assert_allclose(res.writedown[b, 0], [0.0, 0.0, 0.0, 200.0])
    # every period: collections = distributions (no accounts, no fees)
    paid = res.principal[:, 0].sum(axis=0) + res.residual[:, 0].sum(axis=0)
    np.testing.assert_allclose(paid, flows.total_collections[0])
