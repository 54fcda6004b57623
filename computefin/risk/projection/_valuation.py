"""Economic and book value of a fleet at each period end, expected and per path.

Economic value of one GPU held at time ``t`` (years from the as-of date), from the
expected market path (not its contracts: those are receivables, valued by the products):

    V(t) = max(G(t) x ratio - C(t), 0) + R S(L) DF(L) / (S(t) DF(t)) 1{t < L}

    G(t) = Σ_{s>t} P(s) u(s) a h(s) r(s) S(s) DF(s) / (S(t) DF(t))   (gross rental)
    C(t) = Σ_{s>t} c h(s) r(s) S(s) DF(s) / (S(t) DF(t))             (operating cost)

with ``P`` the expected spot price, ``u`` utilization, ``a`` availability, ``c`` opex per
GPU-hour, ``h`` hours, ``r`` the share of a period before the group's retirement ``L``,
``S(s) = exp(-λ s)`` the chance the GPU has not failed permanently, ``DF`` the discount
curve and ``R`` the resale per GPU at retirement. ``ratio`` is the path's price over the
expected price at ``t`` (1 in the expected case): a path's price deviation moves the
gross rental, not the costs. The floor at zero is the owner's option to stop operating;
it applies to the remaining income as a whole (not period by period), so expected and
path values use the same formula. The sums run on a monthly grid that reaches every
group's retirement, whatever the projection horizon.

Retirement ``L``: the end of economic life, not before the fleet's last contract ends
and not before the as-of date (``ProjectionInputs.retirement_dates``). ``R`` is
``end_of_life_resale_share`` x the purchase cost per GPU, less ``successor_step_down``
when the successor (price model override, else catalog) has launched by ``L``.

Book value is the accounting schedule of each group's capex, written down in proportion
to GPUs lost to permanent failures, and zero once the group is sold. On sale,
``disposal_gain_loss`` = proceeds - book value at the retirement date.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from computefin._typing import FloatArray
from computefin.domain.contracts import HOURS_PER_YEAR
from computefin.errors import ValidationError
from computefin.risk.depreciation import depreciation_schedule
from computefin.risk.grid import MAX_HORIZON_MONTHS, PeriodGrid, period_grid
from computefin.risk.projection.inputs import ProjectionInputs
from computefin.risk.scenarios.utilization import UtilizationModel

__all__ = ["FleetValuation", "value_fleet"]


@dataclass(frozen=True)
class FleetValuation:
    """Per-group value tables on the projection grid (fleet currency).

    Per GPU held at each period end, ``(G, T)``: ``gross_value`` (PV of expected gross
    rental to retirement), ``cost_value`` (PV of operating cost), ``resale_value``;
    ``expected_price`` ``(G, T)``; ``book_per_gpu`` book value per GPU bought;
    ``sale_period[G]`` the period containing retirement (-1 if none in the horizon);
    ``resale[G]`` proceeds per GPU sold; ``book_at_sale[G]`` book per GPU bought on the
    retirement date.
    """

    gross_value: FloatArray
    cost_value: FloatArray
    resale_value: FloatArray
    expected_price: FloatArray
    book_per_gpu: FloatArray
    sale_period: npt.NDArray[np.int64]
    resale: FloatArray
    book_at_sale: FloatArray

    def prefix(self, periods: int) -> FleetValuation:
        """The tables of the first ``periods`` periods (a sale after them is dropped)."""
        return FleetValuation(
            gross_value=self.gross_value[:, :periods],
            cost_value=self.cost_value[:, :periods],
            resale_value=self.resale_value[:, :periods],
            expected_price=self.expected_price[:, :periods],
            book_per_gpu=self.book_per_gpu[:, :periods],
            sale_period=np.where(self.sale_period < periods, self.sale_period, -1),
            resale=self.resale,
            book_at_sale=self.book_at_sale,
        )

    def lines(
        self,
        price: FloatArray,
        held_at_end: FloatArray,
        held_before_sale: FloatArray,
        discount_factors: FloatArray,
    ) -> dict[str, FloatArray]:
        """Value lines ``(P, T)``.

        ``price`` ``(G, P, T)`` in fleet currency; ``held_at_end`` GPUs still held at each
        period end (zero from the sale on); ``held_before_sale`` GPUs in service before
        any sale (after permanent failures), for the proceeds.
        """
        ratio = price / self.expected_price[:, None, :]
        income = np.maximum(self.gross_value[:, None, :] * ratio - self.cost_value[:, None, :], 0.0)
        per_gpu = income + self.resale_value[:, None, :]
        economic = (held_at_end * per_gpu).sum(axis=0)
        book = (held_at_end * self.book_per_gpu[:, None, :]).sum(axis=0)
        proceeds = np.zeros_like(economic)
        disposal = np.zeros_like(economic)
        for g, period in enumerate(self.sale_period):
            if period >= 0:
                sold = held_before_sale[g, :, period]
                proceeds[:, period] += sold * self.resale[g]
                disposal[:, period] += sold * (self.resale[g] - self.book_at_sale[g])
        if not (np.isfinite(economic).all() and np.isfinite(book).all()):
            raise ValidationError("valuation", "produced a non-finite value")
        return {
            "discount_factor": np.broadcast_to(discount_factors, economic.shape).copy(),
            "retirement_proceeds": proceeds,
            "disposal_gain_loss": disposal,
            "economic_value": economic,
            "book_value": book,
            "book_minus_economic": book - economic,
        }


@functools.lru_cache(maxsize=16)
def monthly_grid(as_of: dt.date, months: int) -> PeriodGrid:
    """``period_grid(as_of, months, "monthly")``, built once per date and length (grids are
    immutable; building one asks QuantLib for a schedule, a few ms)."""
    return period_grid(as_of, months, "monthly")


@functools.lru_cache(maxsize=64)
def _expected_utilization(model: UtilizationModel, grid: PeriodGrid) -> FloatArray:
    """``model.expected(grid)``, once per model and grid (it does not depend on the model's
    random-stream key, which the caller blanks so fleets with one preset share it)."""
    out = model.expected(grid)
    out.setflags(write=False)
    return out


def _months_between(grid: PeriodGrid, day: np.datetime64) -> int:
    as_of = np.datetime64(grid.as_of, "M")
    return int((day.astype("datetime64[M]") - as_of).astype(int)) + 1


def _tail_sum(weights: FloatArray) -> FloatArray:
    """``out[k] = Σ_{s>k} w[s]`` by a reverse cumulative sum (no cancellation)."""
    out: FloatArray = np.concatenate([np.cumsum(weights[::-1])[::-1][1:], [0.0]])
    return out


def value_fleet(inputs: ProjectionInputs) -> FleetValuation:
    """Per-group value tables for the projection's grid; see the module docstring."""
    grid, fleet = inputs.grid, inputs.fleet
    groups = fleet.server_groups
    as_of = np.datetime64(grid.as_of, "D")
    retire = inputs.retirement_dates()
    horizon = _months_between(grid, grid.end_dates[-1])
    needed = max(
        (_months_between(grid, np.datetime64(d, "D")) + 1 for d in retire if d is not None),
        default=horizon,
    )
    ext = monthly_grid(grid.as_of, min(max(horizon, needed), MAX_HORIZON_MONTHS))
    where = np.searchsorted(ext.end_dates, grid.end_dates)
    found = where < ext.n_periods
    if not found.all() or (ext.end_dates[where] != grid.end_dates).any():
        raise ValidationError("grid", "period ends must fall on monthly dates from as_of")
    curve = inputs.discount_curve
    df_ext = curve.discount(ext.end_dates) / curve.discount(as_of)
    df_ext = df_ext * np.exp(-inputs.rate_shift * ext.times)
    site = fleet.site
    fx_site = inputs.market.fx(site.currency.value, inputs.currency)
    utilization = _expected_utilization(
        inputs.utilization.model_copy(update={"key": "shared"}), ext
    )
    a_ext = ext.start_times
    assumptions = inputs.assumptions
    shape = (len(groups), grid.n_periods)
    gross, cost, resale_value, expected_price = (np.zeros(shape) for _ in range(4))
    sale_period = np.full(len(groups), -1, dtype=np.int64)
    resale = np.zeros(len(groups))
    for g, (group, failures) in enumerate(zip(groups, inputs.failures, strict=True)):
        model = inputs.price_models[group.accelerator_id]
        price = model.expected(ext) * inputs.market.fx(model.currency.value, inputs.currency)
        expected_price[g] = price[where]
        kw_per_gpu = group.power_kw / group.gpus_per_server
        cost_per_gpu = group.unit_cost / group.gpus_per_server
        shares = (
            assumptions.maintenance_share_of_capex_per_year
            + assumptions.insurance_share_of_capex_per_year
        )
        opex_per_hour = (
            kw_per_gpu * site.pue * site.electricity_price_per_kwh * fx_site
            + kw_per_gpu * site.colocation_cost_per_kw_month * fx_site * 12.0 / HOURS_PER_YEAR
            + cost_per_gpu * shares / HOURS_PER_YEAR
            + failures.repair_cost_per_interruption
            * failures.interruption_rate_per_gpu_year
            / HOURS_PER_YEAR
        )
        downtime = failures.interruption_rate_per_gpu_year * failures.mean_downtime_hours
        availability = max(1.0 - downtime / HOURS_PER_YEAR, 0.0)
        retire_day = retire[g]
        life_end = math.inf if retire_day is None else inputs.years_to(retire_day)
        before_end = np.clip((life_end - a_ext) / ext.year_fractions, 0.0, 1.0)
        survival = np.exp(-failures.permanent_failure_rate_per_gpu_year * ext.times)
        weight = ext.hours * before_end * survival * df_ext
        denominator = survival * df_ext
        gross[g] = (_tail_sum(price * utilization * availability * weight) / denominator)[where]
        cost[g] = (_tail_sum(opex_per_hour * weight) / denominator)[where]
        if retire_day is None:
            continue
        launch = inputs.successor_launch(group.accelerator_id)
        stepped = launch is not None and launch <= retire_day
        step = inputs.residual.successor_step_down if stepped else 0.0
        resale[g] = cost_per_gpu * inputs.residual.end_of_life_resale_share * (1.0 - step)
        df_end = float(curve.discount(np.datetime64(retire_day, "D")) / curve.discount(as_of))
        at_end = (
            resale[g]
            * math.exp(-failures.permanent_failure_rate_per_gpu_year * life_end)
            * df_end
            * math.exp(-inputs.rate_shift * life_end)
        )
        resale_value[g] = np.where(ext.times < life_end, at_end / denominator, 0.0)[where]
        if life_end <= grid.times[-1]:
            sale_period[g] = int(np.searchsorted(grid.times, life_end, side="left"))
    costs = np.array([g.capex for g in groups], dtype=np.float64)
    acquired = np.array([g.acquired for g in groups], dtype="datetime64[D]")
    schedule = depreciation_schedule(inputs.depreciation, grid, costs, acquired)
    gpus0 = np.array([g.gpus for g in groups], dtype=np.float64)
    sale_days = np.array([d or grid.as_of for d in retire], dtype="datetime64[D]")
    book_at_sale = np.diagonal(schedule.book_value_at(sale_days)) / gpus0
    return FleetValuation(
        gross_value=gross,
        cost_value=cost,
        resale_value=resale_value,
        expected_price=expected_price,
        book_per_gpu=schedule.book_value / gpus0[:, None],
        sale_period=sale_period,
        resale=resale,
        book_at_sale=np.asarray(book_at_sale, dtype=np.float64),
    )
