"""The fleet cash-flow kernel: one array pass over paths and periods, groups and contracts.

All money is in the fleet's currency, unrounded. Shapes: ``G`` server groups, ``C``
contracts, ``P`` paths, ``T`` periods. The deterministic (expected) case is the same
kernel with ``P = 1`` and expected inputs.

Per period ``t`` and path ``p`` (``h`` hours, ``m`` months, ``y`` years in the period):

- GPUs in service ``g_G`` (after permanent failures and retirement), servers
  ``g_G / gpus_per_server_G``; availability ``1 - downtime_G``;
- committed GPUs ``K = Σ_c gpus_c A_c`` (``A_c`` paid share of the period), delivered
  share ``f = min(1, Σ_G g_G / K)`` (a shrunken fleet cannot deliver more than it has);
- contracted revenue ``Σ_c price_c gpus_c A_c f h avail (top_c + (1 - top_c) usage)``:
  the take-or-pay share is paid whether used or not; the rest as used;
- idle GPUs ``Σ_c gpus_c I_c`` (defaulted contracts' GPUs during re-marketing), spot GPUs
  ``S = max(Σ_G g_G - K f - idle, 0)`` split over groups pro rata to ``g_G``;
- spot revenue ``Σ_G S_G h avail_G util price_G``;
- opex: power ``Σ_G servers_G kW_G PUE h e``; colocation ``Σ_G servers_G kW_G c m``;
  maintenance and insurance ``share x capex_G (g_G / g0_G) y``; repairs as simulated;
- NOI = revenue - opex.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from computefin._typing import FloatArray
from computefin.errors import ComputefinError

__all__ = ["CASH_FLOW_LINES", "ContractArrays", "GroupArrays", "PathArrays", "project_arrays"]


CASH_FLOW_LINES = (
    "gpus_in_service",
    "contracted_gpus",
    "spot_gpus",
    "idle_gpus",
    "contracted_revenue",
    "spot_revenue",
    "revenue",
    "power_cost",
    "colocation_cost",
    "maintenance_cost",
    "insurance_cost",
    "repair_cost",
    "opex",
    "noi",
)
"""The per-period lines of a projection, in reporting order (counts, then money)."""


@dataclass(frozen=True)
class GroupArrays:
    """Server-group constants, each ``(G,)``: GPUs at the start, GPUs per server,
    IT kW per server, capex (fleet currency)."""

    gpus0: FloatArray
    gpus_per_server: FloatArray
    power_kw: FloatArray
    capex: FloatArray


@dataclass(frozen=True)
class ContractArrays:
    """Contract constants, each ``(C,)``: GPUs, price per GPU-hour (fleet currency),
    take-or-pay share."""

    gpus: FloatArray
    price: FloatArray
    take_or_pay: FloatArray


@dataclass(frozen=True)
class PathArrays:
    """Per-path inputs: ``price``, ``gpus_in_service``, ``downtime_share``, ``repair_cost``
    are ``(G, P, T)``; ``utilization`` is ``(P, T)``."""

    price: FloatArray
    utilization: FloatArray
    gpus_in_service: FloatArray
    downtime_share: FloatArray
    repair_cost: FloatArray


class ProjectionIdentityError(ComputefinError, AssertionError):
    """A projection broke an accounting identity (a bug, never bad input)."""


def project_arrays(
    *,
    hours: FloatArray,
    months: FloatArray,
    years: FloatArray,
    groups: GroupArrays,
    contracts: ContractArrays,
    contract_shares: Callable[[int], tuple[FloatArray, FloatArray]],
    paths: PathArrays,
    pue: float,
    electricity_price: float,
    colocation_per_kw_month: float,
    contract_usage: float,
    maintenance_share: float,
    insurance_share: float,
) -> dict[str, FloatArray]:
    """Cash-flow lines ``(P, T)`` for one chunk of paths; see the module docstring.

    ``contract_shares(c)`` returns the paid and idle shares ``(P, T)`` of contract ``c``.
    """
    g = paths.gpus_in_service
    total = g.sum(axis=0)
    avail = 1.0 - paths.downtime_share
    servers = g / groups.gpus_per_server[:, None, None]
    it_kw = servers * groups.power_kw[:, None, None]

    committed = np.zeros_like(total)
    committed_value = np.zeros_like(total)
    idle = np.zeros_like(total)
    for c in range(contracts.gpus.size):
        paid, idle_share = contract_shares(c)
        gpus = contracts.gpus[c]
        committed += gpus * paid
        top = contracts.take_or_pay[c]
        committed_value += (contracts.price[c] * gpus * (top + (1.0 - top) * contract_usage)) * paid
        idle += gpus * idle_share
    with np.errstate(divide="ignore", invalid="ignore"):
        delivered = np.where(committed > total, total / committed, 1.0)
        weight = np.where(total > 0.0, g / total, 0.0)
    fleet_avail = (weight * avail).sum(axis=0)
    contracted_gpus = committed * delivered
    contracted_revenue = committed_value * delivered * hours * fleet_avail
    spot_gpus = np.clip(total - contracted_gpus - idle, 0.0, None)
    spot_by_group = weight * spot_gpus
    spot_revenue_by_group = spot_by_group * hours * avail * paths.utilization * paths.price
    spot_revenue = spot_revenue_by_group.sum(axis=0)

    power = (it_kw * (pue * electricity_price) * hours).sum(axis=0)
    colocation = (it_kw * colocation_per_kw_month * months).sum(axis=0)
    in_service = g / groups.gpus0[:, None, None]
    capex_years = (groups.capex[:, None, None] * in_service).sum(axis=0) * years
    maintenance = capex_years * maintenance_share
    insurance = capex_years * insurance_share
    repair = paths.repair_cost.sum(axis=0)

    revenue = contracted_revenue + spot_revenue
    opex = power + colocation + maintenance + insurance + repair
    noi = revenue - opex
    lines = {
        "gpus_in_service": total,
        "contracted_gpus": contracted_gpus,
        "spot_gpus": spot_gpus,
        "idle_gpus": np.minimum(idle, total - contracted_gpus),
        "contracted_revenue": contracted_revenue,
        "spot_revenue": spot_revenue,
        "revenue": revenue,
        "power_cost": power,
        "colocation_cost": colocation,
        "maintenance_cost": maintenance,
        "insurance_cost": insurance,
        "repair_cost": repair,
        "opex": opex,
        "noi": noi,
    }
    _check_identities(lines, spot_revenue_by_group)
    return lines


def _check_identities(lines: dict[str, FloatArray], spot_by_group: FloatArray) -> None:
    """Raise if an accounting identity fails: a kernel bug must never reach a report."""
    for name, values in lines.items():
        if not np.isfinite(values).all():
            raise ProjectionIdentityError(f"projection line {name!r} is not finite")
    if (lines["gpus_in_service"] < 0).any():
        raise ProjectionIdentityError("GPUs in service went negative")
    scale = 1.0 + np.abs(lines["revenue"]) + np.abs(lines["opex"])
    # NOI rebuilt from its parts the other way round: group spot revenue plus contracts,
    # less each cost line.
    rebuilt = (
        spot_by_group.sum(axis=0)
        + lines["contracted_revenue"]
        - sum(
            lines[k]
            for k in (
                "power_cost",
                "colocation_cost",
                "maintenance_cost",
                "insurance_cost",
                "repair_cost",
            )
        )
    )
    if (np.abs(rebuilt - lines["noi"]) > 1e-9 * scale).any():
        raise ProjectionIdentityError("revenue - opex does not equal NOI")
    used = lines["contracted_gpus"] + lines["spot_gpus"]
    if (used > lines["gpus_in_service"] * (1 + 1e-12) + 1e-9).any():
        raise ProjectionIdentityError("contracted plus spot GPUs exceed GPUs in service")
