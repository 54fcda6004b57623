"""Market inputs of a pool projection: GPU price paths and remarketing (residual) values.

Prices are per GPU-hour in the pool currency, ``(paths, periods)``: the ScenarioSet's path
for the accelerator (converted at the snapshot's FX) or, without one, a flat price from
``Performance.spot_prices`` or the snapshot's spot quote; every price is multiplied by
``1 + price_shock``.

The remarketing value of one GPU sold at the end of pool period ``m`` is the risk module's
economic value (:meth:`computefin.risk.ResidualValueModel.value`) on that date, the
buyer pricing its remaining economic life at the path's price at ``m`` held flat:
``V = A_m max(P - c / u, 0) + R_m`` with ``A_m`` the model's income value at a price of
1 (utilization ``u`` included, no opex) and ``R_m`` its resale value; ``c`` is the opex
per GPU-hour. ``A`` and ``R`` do not depend on the price, so they are computed once per
pool and grid and reused for every price shock.

>>> import numpy as np
>>> values = ResidualTable(group=np.array([0]), income=np.array([[2.0]]),
...                        resale=np.array([[5.0]]), accelerator=("nvidia-h20",))
>>> values.per_gpu(np.array([[3.0]]), 0, opex=1.0, utilization=0.5).tolist()  # 2 x (3 - 2) + 5
[[7.0]]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from computefin._typing import FloatArray, IntArray
from computefin.domain.accelerators import active_catalog
from computefin.domain.market import MarketSnapshot
from computefin.errors import MarketDataError, ValidationError
from computefin.risk.grid import PeriodGrid, period_grid

if TYPE_CHECKING:
    from computefin.products.abs.performance import Performance
    from computefin.products.abs.pool import Pool
    from computefin.risk.scenario_set import ScenarioSet

__all__ = [
    "ResidualTable",
    "default_periods",
    "deterministic_price",
    "price_paths",
    "residual_table",
]


def deterministic_price(
    accelerator: str, pool: Pool, performance: Performance, market: MarketSnapshot | None
) -> float:
    """Flat spot price per GPU-hour in the pool currency (before the shock).

    From ``performance.spot_prices``, else the snapshot's spot quote in the pool currency,
    else its quote in another currency converted at the snapshot's FX.
    """
    if accelerator in performance.spot_prices:
        return float(performance.spot_prices[accelerator])
    if market is not None:
        quotes = [q for q in market.gpu_prices if q.accelerator_id == accelerator]
        for quote in quotes:
            if quote.currency == pool.currency:
                return quote.spot_per_gpu_hour
        for quote in quotes:
            return quote.spot_per_gpu_hour * market.fx(quote.currency, pool.currency)
    raise ValidationError(
        f"Performance.spot_prices[{accelerator}]",
        "no price for this accelerator: give spot_prices, a market snapshot quoting it, "
        "or a ScenarioSet with its price path",
    )


def price_paths(
    accelerators: set[str],
    pool: Pool,
    performance: Performance,
    market: MarketSnapshot | None,
    scenarios: ScenarioSet | None,
    shape: tuple[int, int],
) -> dict[str, FloatArray]:
    """Price per GPU-hour in the pool currency, ``shape = (paths, periods)``, shock applied."""
    out: dict[str, FloatArray] = {}
    factor = 1.0 + performance.price_shock
    n_paths, n_periods = shape
    for acc in sorted(accelerators):
        if scenarios is not None and acc in scenarios.prices:
            ccy = scenarios.price_currency[acc]
            fx = 1.0
            if ccy != pool.currency:
                if market is None:
                    raise ValidationError(
                        "market",
                        f"needed to convert the {acc} price path from {ccy.value} to "
                        f"{pool.currency.value}",
                    )
                fx = market.fx(ccy, pool.currency)
            path = np.asarray(scenarios.prices[acc], dtype=np.float64)[:, :n_periods]
            out[acc] = path * (fx * factor)
        else:
            flat = deterministic_price(acc, pool, performance, market)
            out[acc] = np.full((n_paths, n_periods), flat * factor)
    return out


@dataclass(frozen=True, eq=False)
class ResidualTable:
    """Price-independent parts of the remarketing value per GPU, by lease group.

    ``group[a]`` the row of lease ``a`` (``-1`` for other assets); ``income[g, m]`` the
    income value at a price of 1 per GPU-hour, ``resale[g, m]`` the resale value, for a
    sale at the end of period ``m``; ``accelerator[g]`` the group's accelerator.
    """

    group: IntArray
    income: FloatArray
    resale: FloatArray
    accelerator: tuple[str, ...]

    def per_gpu(self, price: FloatArray, g: int, *, opex: float, utilization: float) -> FloatArray:
        """Value of one GPU of group ``g`` for prices ``(paths, periods)``."""
        if utilization <= 0.0:
            return np.broadcast_to(self.resale[g], price.shape).copy()
        net = np.maximum(price - opex / utilization, 0.0)
        out: FloatArray = self.income[g] * net + self.resale[g]
        return out


def _gpu_cost(pool: Pool, index: int, market: MarketSnapshot | None) -> float:
    lease = pool.leases[index]
    if lease.gpu_cost is not None:
        return lease.gpu_cost
    accel = active_catalog()[lease.accelerator_id]
    if accel.list_price_currency == pool.currency:
        return accel.list_price
    if market is None:
        raise ValidationError(
            f"Pool.leases[{index}].gpu_cost",
            f"needed for remarketing (or a market snapshot with {accel.list_price_currency.value}/"
            f"{pool.currency.value} FX to convert the catalog list price)",
        )
    try:
        return accel.list_price * market.fx(accel.list_price_currency, pool.currency)
    except MarketDataError as exc:
        raise ValidationError(f"Pool.leases[{index}].gpu_cost", str(exc)) from exc


def residual_table(
    pool: Pool, performance: Performance, grid: PeriodGrid, market: MarketSnapshot | None
) -> ResidualTable:
    """Income and resale values per GPU for every lease group and sale period.

    Groups are distinct (accelerator, cost per GPU, acquisition date); one valuation grid
    per sale date is shared by all groups.
    """
    model = performance.residual
    rate = (
        pool.pool_discount_rate
        if performance.residual_discount_rate is None
        else performance.residual_discount_rate
    )
    keys: dict[tuple[str, float, str], int] = {}
    group = np.full(len(pool.asset_ids), -1, dtype=np.int64)
    for i, lease in enumerate(pool.leases):
        key = (lease.accelerator_id, _gpu_cost(pool, i, market), lease.acquired.isoformat())
        group[i] = keys.setdefault(key, len(keys))
    n_groups, n_periods = len(keys), grid.n_periods
    income = np.zeros((n_groups, n_periods))
    resale = np.zeros((n_groups, n_periods))
    by_model: dict[tuple[str, float], list[tuple[int, str]]] = {}
    for (acc, cost, acquired), g in keys.items():
        by_model.setdefault((acc, cost), []).append((g, acquired))
    acquired_all = np.array([k[2] for k in keys], dtype="datetime64[D]")
    for m in range(n_periods):
        on = grid.end_dates[m].item()
        life = model.remaining_life_years(acquired_all, on) if n_groups else np.zeros(0)
        months = max(1, math.ceil(float(life.max(initial=0.0)) * 12.0) + 1)
        value_grid = period_grid(on, months)
        df = (1.0 + rate) ** (-value_grid.times)
        for (acc, cost), members in by_model.items():
            rows = [g for g, _ in members]
            ev = model.value(
                acc,
                np.array([d for _, d in members], dtype="datetime64[D]"),
                value_grid,
                1.0,
                utilization=performance.residual_utilization,
                discount=df,
                list_price=cost,
            )
            income[rows, m] = ev.income_pv
            resale[rows, m] = ev.resale_pv
    accelerators = tuple(k[0] for k in keys)
    return ResidualTable(group=group, income=income, resale=resale, accelerator=accelerators)


def default_periods(
    obligors: tuple[str, ...],
    scenarios: ScenarioSet | None,
    grid: PeriodGrid,
    n_paths: int,
) -> IntArray:
    """Period of each obligor's default per path, ``(assets, paths)``; ``T`` = none.

    A default at ``tau`` years falls in the period with ``start < tau <= end``; ``tau = 0``
    in the first period.
    """
    out = np.full((len(obligors), n_paths), grid.n_periods, dtype=np.int64)
    if scenarios is None:
        return out
    times = grid.times
    for a, who in enumerate(obligors):
        tau: FloatArray | None = scenarios.default_times.get(who)
        if tau is not None:
            out[a] = np.searchsorted(times, np.asarray(tau, dtype=np.float64), side="left")
    return out
