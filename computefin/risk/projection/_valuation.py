"""Economic and book value of a fleet at each period end, expected and per path.

Economic value of one GPU in service at time ``t`` (years from the as-of date), from the
expected market path (not its contracts: these are valued as receivables elsewhere):

    V(t) = [ Σ_{s > t} n(s) S(s) DF(s) + R S(L) DF(L) 1{t < L} ] / (S(t) DF(t))

with ``n(s) = max(P(s) u(s) a - c, 0) h(s) r(s)`` the expected net rental income of a
period (price ``P`` x utilization ``u`` x availability ``a`` less opex ``c`` per GPU-hour,
``h`` hours, ``r`` the share of the period before the end of economic life ``L``),
``S(s) = exp(-λ s)`` the chance the GPU has not failed permanently, ``DF`` the discount
curve and ``R`` the end-of-life resale per GPU. The income part of a path's value scales
with the path's price relative to the expected price at ``t`` (mark-to-model: the
current price deviation is applied to all remaining income). The sum runs on a monthly
grid long enough to reach every group's end of economic life, whatever the projection
horizon.

Book value is the accounting schedule of each group's capex, written down in proportion
to GPUs lost to permanent failures, and zero once the group is retired and sold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from computefin._typing import FloatArray
from computefin.domain import active_catalog
from computefin.errors import ValidationError
from computefin.risk.depreciation import depreciation_schedule
from computefin.risk.grid import MAX_HORIZON_MONTHS, PeriodGrid, add_months, period_grid
from computefin.risk.projection.inputs import ProjectionInputs

__all__ = ["FleetValuation", "value_fleet"]

HOURS_PER_YEAR = 8760.0


@dataclass(frozen=True)
class FleetValuation:
    """Per-group value tables on the projection grid (fleet currency).

    ``income_value[G, T]`` and ``resale_value[G, T]`` per GPU in service at each period
    end; ``expected_price[G, T]``; ``book_per_gpu[G, T]`` book value per GPU bought;
    ``eol_period[G]`` the period containing the end of economic life (-1 if beyond the
    horizon or retirement is off); ``eol_share[G]`` that period's share before the end;
    ``eol_value[G]`` resale per GPU at the end of life.
    """

    income_value: FloatArray
    resale_value: FloatArray
    expected_price: FloatArray
    book_per_gpu: FloatArray
    eol_period: npt.NDArray[np.int64]
    eol_share: FloatArray
    eol_value: FloatArray

    def lines(
        self,
        inputs: ProjectionInputs,
        price: FloatArray,
        gpus_in_service: FloatArray,
        discount_factors: FloatArray,
    ) -> dict[str, FloatArray]:
        """Value lines ``(P, T)`` for price and GPU paths ``(G, P, T)`` in fleet currency."""
        ratio = price / self.expected_price[:, None, :]
        per_gpu = self.income_value[:, None, :] * ratio + self.resale_value[:, None, :]
        economic = (gpus_in_service * per_gpu).sum(axis=0)
        book = (gpus_in_service * self.book_per_gpu[:, None, :]).sum(axis=0)
        proceeds = np.zeros_like(economic)
        for g, period in enumerate(self.eol_period):
            if period >= 0:
                sold = gpus_in_service[g, :, period] / self.eol_share[g]
                proceeds[:, period] += sold * self.eol_value[g]
        if not (np.isfinite(economic).all() and np.isfinite(book).all()):
            raise ValidationError("valuation", "produced a non-finite value")
        return {
            "discount_factor": np.broadcast_to(discount_factors, economic.shape).copy(),
            "retirement_proceeds": proceeds,
            "economic_value": economic,
            "book_value": book,
            "book_minus_economic": book - economic,
        }


def _months_between(grid: PeriodGrid, day: np.datetime64) -> int:
    as_of = np.datetime64(grid.as_of, "M")
    return int((day.astype("datetime64[M]") - as_of).astype(int)) + 1


def value_fleet(inputs: ProjectionInputs) -> FleetValuation:
    """Per-group value tables for the projection's grid; see the module docstring."""
    grid, fleet = inputs.grid, inputs.fleet
    groups = fleet.server_groups
    residual = inputs.residual
    eol_dates = residual.end_of_life_date([g.acquired for g in groups])
    horizon = _months_between(grid, grid.end_dates[-1])
    needed = max(_months_between(grid, d) + 1 for d in eol_dates)
    ext = period_grid(grid.as_of, min(max(horizon, needed), MAX_HORIZON_MONTHS), "monthly")
    where = np.searchsorted(ext.end_dates, grid.end_dates)
    if (where >= ext.n_periods).any() or (ext.end_dates[np.minimum(where, ext.n_periods - 1)]
                                          != grid.end_dates).any():  # fmt: skip
        raise ValidationError("grid", "period ends must fall on monthly dates from as_of")
    as_of = np.datetime64(grid.as_of, "D")
    curve = inputs.discount_curve
    df_ext = curve.discount(ext.end_dates) / curve.discount(as_of)
    df_ext = df_ext * np.exp(-inputs.rate_shift * ext.times)
    site = fleet.site
    fx_site = inputs.market.fx(site.currency.value, inputs.currency)
    utilization = inputs.utilization.expected(ext)
    a_ext = (ext.start_dates - as_of).astype(np.float64) / 365.0
    b_ext = ext.times
    assumptions = inputs.assumptions

    income = np.zeros((len(groups), grid.n_periods))
    resale = np.zeros_like(income)
    expected_price = np.zeros_like(income)
    eol_period = np.full(len(groups), -1, dtype=np.int64)
    eol_share = np.ones(len(groups))
    eol_value = np.zeros(len(groups))
    a_grid = (grid.start_dates - as_of).astype(np.float64) / 365.0
    for g, (group, failures) in enumerate(zip(groups, inputs.failures, strict=True)):
        model = inputs.price_models[group.accelerator_id]
        price = model.expected(ext) * inputs.market.fx(model.currency.value, inputs.currency)
        expected_price[g] = price[where]
        kw_per_gpu = group.power_kw / group.gpus_per_server
        cost_per_gpu = group.unit_cost / group.gpus_per_server
        opex_per_hour = (
            kw_per_gpu * site.pue * site.electricity_price_per_kwh * fx_site
            + kw_per_gpu * site.colocation_cost_per_kw_month * fx_site * 12.0 / HOURS_PER_YEAR
            + cost_per_gpu
            * (
                assumptions.maintenance_share_of_capex_per_year
                + assumptions.insurance_share_of_capex_per_year
            )
            / HOURS_PER_YEAR
            + failures.repair_cost_per_interruption
            * failures.interruption_rate_per_gpu_year
            / HOURS_PER_YEAR
        )
        availability = max(
            1.0 - failures.interruption_rate_per_gpu_year * failures.mean_downtime_hours
            / HOURS_PER_YEAR, 0.0,
        )  # fmt: skip
        life_end = float((eol_dates[g] - as_of).astype(np.float64)) / 365.0
        before_end = np.clip((life_end - a_ext) / (b_ext - a_ext), 0.0, 1.0)
        if not assumptions.retire_at_end_of_economic_life:
            before_end = np.ones_like(before_end)
        net = np.maximum(price * utilization * availability - opex_per_hour, 0.0)
        survival = np.exp(-failures.permanent_failure_rate_per_gpu_year * b_ext)
        weight = net * ext.hours * before_end * survival * df_ext
        remaining = weight.sum() - np.cumsum(weight)
        denominator = survival * df_ext
        income[g] = (remaining / denominator)[where]
        successor_launch = _successor_launch(group.accelerator_id, inputs.successor_shift_months)
        launched = successor_launch is not None and successor_launch <= eol_dates[g]
        eol_value[g] = (cost_per_gpu * residual.end_of_life_resale_share
                        * (1.0 - residual.successor_step_down * launched))  # fmt: skip
        if life_end > 0.0:
            df_end = float(curve.discount(eol_dates[g]) / curve.discount(as_of))
            df_end *= math.exp(-inputs.rate_shift * life_end)
            at_end = eol_value[g] * math.exp(
                -failures.permanent_failure_rate_per_gpu_year * life_end
            ) * df_end  # fmt: skip
            alive = b_ext < life_end
            resale[g] = np.where(alive, at_end / denominator, 0.0)[where]
        if assumptions.retire_at_end_of_economic_life and 0.0 < life_end <= grid.times[-1]:
            period = int(np.searchsorted(grid.times, life_end, side="left"))
            eol_period[g] = period
            eol_share[g] = (life_end - a_grid[period]) / grid.year_fractions[period]
    schedule = depreciation_schedule(
        inputs.depreciation,
        grid,
        np.array([g.capex for g in groups], dtype=np.float64),
        np.array([g.acquired for g in groups], dtype="datetime64[D]"),
    )
    gpus0 = np.array([g.gpus for g in groups], dtype=np.float64)
    return FleetValuation(
        income_value=income,
        resale_value=resale,
        expected_price=expected_price,
        book_per_gpu=schedule.book_value / gpus0[:, None],
        eol_period=eol_period,
        eol_share=eol_share,
        eol_value=eol_value,
    )


def _successor_launch(accelerator_id: str, shift_months: int) -> np.datetime64 | None:
    """The successor's launch date, moved ``shift_months`` earlier (a stress)."""
    catalog = active_catalog()
    successor = catalog[accelerator_id].successor
    if successor is None:
        return None
    return np.datetime64(add_months(catalog[successor].launch_date, -shift_months), "D")
