"""The fleet cash-flow kernel against a plain scalar reference written from its documentation.

The reference loops over paths, periods, groups and contracts one number at a time, so a
vectorisation slip (an axis, a broadcast, a mask) in the kernel shows up as a mismatch.
"""

from __future__ import annotations

import numpy as np
import pytest

from computefin.risk.projection._kernel import (
    ContractArrays,
    GroupArrays,
    PathArrays,
    project_arrays,
)


def _reference(
    hours: np.ndarray, months: np.ndarray, years: np.ndarray, g: GroupArrays,
    c: ContractArrays, shares: list[tuple[np.ndarray, np.ndarray]], p: PathArrays,
    site: dict[str, float], usage: float, maint: float, ins: float,
) -> dict[str, np.ndarray]:  # fmt: skip
    n_groups, n_paths, n_periods = p.gpus_in_service.shape
    out = {k: np.zeros((n_paths, n_periods)) for k in ("contracted_revenue", "spot_revenue",
                                                       "opex", "noi", "spot_gpus")}  # fmt: skip
    for path in range(n_paths):
        for t in range(n_periods):
            gpus = [p.gpus_in_service[k, path, t] for k in range(n_groups)]
            total = sum(gpus)
            committed = sum(c.gpus[j] * shares[j][0][path, t] for j in range(c.gpus.size))
            idle = sum(c.gpus[j] * shares[j][1][path, t] for j in range(c.gpus.size))
            delivered = min(1.0, total / committed) if committed > 0 else 1.0
            avail = [1.0 - p.downtime_share[k, path, t] for k in range(n_groups)]
            fleet_avail = sum(gpus[k] / total * avail[k] for k in range(n_groups))
            contracted = 0.0
            for j in range(c.gpus.size):
                top = c.take_or_pay[j]
                contracted += (c.price[j] * c.gpus[j] * shares[j][0][path, t] * delivered
                               * hours[t] * fleet_avail * (top + (1 - top) * usage))  # fmt: skip
            spot_total = max(total - committed * delivered - idle, 0.0)
            spot = 0.0
            opex = 0.0
            for k in range(n_groups):
                spot_k = spot_total * gpus[k] / total
                spot += (spot_k * hours[t] * avail[k] * p.utilization[path, t]
                         * p.price[k, path, t])  # fmt: skip
                servers = gpus[k] / g.gpus_per_server[k]
                kw = servers * g.power_kw[k]
                opex += kw * site["pue"] * hours[t] * site["electricity_price"]
                opex += kw * site["colocation_per_kw_month"] * months[t]
                opex += g.capex[k] * gpus[k] / g.gpus0[k] * years[t] * (maint + ins)
                opex += p.repair_cost[k, path, t]
            out["contracted_revenue"][path, t] = contracted
            out["spot_revenue"][path, t] = spot
            out["opex"][path, t] = opex
            out["noi"][path, t] = contracted + spot - opex
            out["spot_gpus"][path, t] = spot_total
    return out


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_kernel_equals_the_scalar_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_groups, n_contracts, n_paths, n_periods = 3, 4, 5, 6
    hours = rng.choice([672.0, 720.0, 744.0], n_periods)
    months, years = hours / 730.0, hours / 8760.0
    gpus0 = rng.integers(8, 200, n_groups).astype(float)
    groups = GroupArrays(gpus0=gpus0, gpus_per_server=np.array([8.0, 8.0, 4.0]),
                         power_kw=rng.uniform(3, 11, n_groups),
                         capex=rng.uniform(1e5, 4e6, n_groups))  # fmt: skip
    contracts = ContractArrays(gpus=rng.integers(4, 80, n_contracts).astype(float),
                               price=rng.uniform(1.0, 12.0, n_contracts),
                               take_or_pay=rng.uniform(0, 1, n_contracts))  # fmt: skip
    shares = []
    for _ in range(n_contracts):
        paid = rng.uniform(0, 1, (n_paths, n_periods)) * (rng.uniform(size=(n_paths, 1)) < 0.8)
        idle = rng.uniform(0, 1, (n_paths, n_periods)) * (1 - paid)
        shares.append((paid, idle))
    paths = PathArrays(
        price=rng.uniform(0.5, 10.0, (n_groups, n_paths, n_periods)),
        utilization=rng.uniform(0, 1, (n_paths, n_periods)),
        gpus_in_service=gpus0[:, None, None]
        * rng.uniform(0.3, 1.0, (n_groups, n_paths, n_periods)),
        downtime_share=rng.uniform(0, 0.1, (n_groups, n_paths, n_periods)),
        repair_cost=rng.uniform(0, 500, (n_groups, n_paths, n_periods)),
    )
    site = {"pue": 1.3, "electricity_price": 0.45, "colocation_per_kw_month": 130.0}
    lines = project_arrays(
        hours=hours, months=months, years=years, groups=groups, contracts=contracts,
        contract_shares=lambda j: shares[j], paths=paths, contract_usage=0.85,
        maintenance_share=0.03, insurance_share=0.005, **site,
    )  # fmt: skip
    reference = _reference(hours, months, years, groups, contracts, shares, paths, site,
                           0.85, 0.03, 0.005)  # fmt: skip
    for name, values in reference.items():
        np.testing.assert_allclose(lines[name], values, rtol=1e-12, atol=1e-9, err_msg=name)
