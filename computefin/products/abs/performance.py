"""Pool performance: defaults, prepayments, recoveries, renewals, re-leasing, remarketing.

:class:`Performance` holds the assumptions (validated data); :func:`project_pool` runs a
:class:`~computefin.products.abs.pool.Pool` through them, deterministically or per path
of a :class:`~computefin.risk.ScenarioSet`, and returns the waterfall's input,
:class:`~computefin.products.abs.pool_flows.PoolFlows`. :class:`PoolFlowsBuilder` (or
:meth:`Pool.flows_builder`) is the ``(cdr, recovery, price_shock) -> PoolFlows`` callable
that breakeven searches and scenario grids need; it lays the schedules and residual
values out once and reuses them.

Rates: ``cdr`` and ``cpr`` are annual (decimals), constant or one value per pool period
(the last value carries on); per period ``MDR = 1 - (1 - CDR)^(1/f)`` and ``SMM = 1 - (1 -
CPR)^(1/f)``, ``f`` pool periods a year. With a ScenarioSet, an obligor whose default
time falls in a period defaults there on that path; CDR applies on top to every asset.
Kernel equations: :mod:`computefin.products.abs._pool_kernel`; the page
``docs/products/abs-pool.md``.

>>> from computefin.products.abs.pool import demo_pool
>>> flows = project_pool(demo_pool(), Performance(cdr=0.05, recovery_rate=0.4,
...                                               recovery_lag_periods=6))
>>> flows.n_paths, flows.n_periods, flows.currency
(1, 68, 'CNY')
>>> bool(flows.pool_balance[0, -1] == 0.0 and flows.recoveries.sum() > 0)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field, field_validator

from computefin._typing import FloatArray
from computefin.domain._base import DomainModel
from computefin.domain._types import NonNegativeFloat, PositiveFloat, Rate, Share
from computefin.domain.assets import AcceleratorId
from computefin.domain.market import MarketSnapshot
from computefin.errors import ValidationError
from computefin.products.abs._pool_kernel import (
    ASSET_FIELDS,
    KernelOut,
    PoolIdentityError,
    run_kernel,
)
from computefin.products.abs._pool_market import (
    ResidualTable,
    default_periods,
    price_paths,
    residual_table,
)
from computefin.products.abs._pool_schedule import Schedule, build_schedule
from computefin.products.abs.pool import Pool
from computefin.products.abs.pool_flows import PoolFlows
from computefin.risk.credit import LIQUIDATION_HAIRCUTS
from computefin.risk.grid import PeriodGrid
from computefin.risk.residual import ResidualValueModel
from computefin.risk.scenario_set import ScenarioSet

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Performance",
    "PoolFlowsBuilder",
    "PoolIdentityError",
    "pool_flows_for",
    "project_pool",
    "project_pool_by_asset",
]

RateVector = float | tuple[float, ...]


class Performance(DomainModel):
    """Performance assumptions of a pool projection (decimals; lags in pool periods).

    - ``cdr``, ``cpr``: annual default and prepayment rates, constant or per period;
      a lease prepays by paying its discounted balance (early buy-out), a loan at par;
    - ``recovery_rate`` of the defaulted balance (after the security deposit), received
      ``recovery_lag_periods`` after the default;
    - ``lease_default_mode``: ``continuation`` (default ends the lease and its renewals)
      or ``termination`` (only the current term ends: the GPUs are re-leased after
      ``re_lease_gap_periods`` at the spot price x GPUs x hours x ``re_lease_utilization``
      until the term's scheduled end);
    - ``renewal_rule``: ``probability`` (each option exercised by ``renewal_probability``
      of the lessees, an expected share) or ``in_the_money`` (exercised on a path when
      the spot rent of the GPUs at the option date is at least the renewal rent);
    - ``remarketing``: GPUs returned (end of term, prepayment, default) are sold
      ``remarketing_lag_periods`` later at the ``residual`` model's economic value x
      (1 - ``liquidation_haircut``); the haircut is the share lost, as in
      :data:`computefin.risk.LIQUIDATION_HAIRCUTS` (a preset name is accepted);
    - ``spot_prices`` (per GPU-hour, pool currency) replace the market snapshot's spot
      quotes; ``price_shock`` moves every price: ``P x (1 + price_shock)``.

    >>> Performance(cdr=[0.02, 0.04], liquidation_haircut="auction").liquidation_haircut
    0.35
    >>> Performance(cdr=5.0)
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: Performance.cdr: annual rates are decimals in [0, 1] ...
    """

    cdr: RateVector = Field(default=0.0, description="Annual default rate, or one per period.")
    cpr: RateVector = Field(default=0.0, description="Annual prepayment rate, or one per period.")
    recovery_rate: Share = 0.0
    recovery_lag_periods: int = Field(default=0, ge=0, le=120)
    lease_default_mode: Literal["continuation", "termination"] = "continuation"
    re_lease_gap_periods: int = Field(default=0, ge=0, le=60)
    re_lease_utilization: Share = Field(default=1.0, description="Share of hours paid.")
    renewal_rule: Literal["probability", "in_the_money"] = "probability"
    renewal_probability: Share = 0.0
    remarketing: bool = False
    remarketing_lag_periods: int = Field(default=0, ge=0, le=60)
    liquidation_haircut: Share = Field(
        default=LIQUIDATION_HAIRCUTS["auction"], description="Share of value lost in a sale."
    )
    residual: ResidualValueModel = Field(default_factory=ResidualValueModel)
    residual_utilization: Share = Field(
        default=0.7, description="Utilization the buyer of a remarketed GPU expects."
    )
    residual_opex_per_gpu_hour: NonNegativeFloat = Field(
        default=0.0, description="Buyer's opex per GPU-hour in the residual value, pool ccy."
    )
    residual_discount_rate: Rate | None = Field(
        default=None, description="Buyer's discount rate p.a.; default the pool's."
    )
    spot_prices: dict[AcceleratorId, PositiveFloat] = Field(
        default_factory=dict, description="Flat spot price per GPU-hour, pool currency."
    )
    price_shock: float = Field(
        default=0.0, gt=-1.0, le=10.0, description="Relative shock to every GPU price."
    )

    @field_validator("cdr", "cpr", mode="before")
    @classmethod
    def _vector(cls, value: Any) -> Any:
        if isinstance(value, list | tuple | np.ndarray):
            items = [float(v) for v in value]
            if not items:
                raise ValueError("needs at least one value")
            return tuple(items)
        return value

    @field_validator("cdr", "cpr")
    @classmethod
    def _annual_rates(cls, value: RateVector) -> RateVector:
        for v in np.atleast_1d(np.asarray(value, dtype=np.float64)).tolist():
            if not 0.0 <= v <= 1.0:
                raise ValueError(
                    f"annual rates are decimals in [0, 1] (0.05 means 5%); {v!r} is not"
                )
        return value

    @field_validator("liquidation_haircut", mode="before")
    @classmethod
    def _preset(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in LIQUIDATION_HAIRCUTS:
            return LIQUIDATION_HAIRCUTS[value.strip().lower()]
        return value

    @property
    def haircut(self) -> float:
        """The liquidation haircut as a float."""
        return float(self.liquidation_haircut)

    @property
    def lag_periods(self) -> int:
        """Periods a projection runs past the last contractual payment: the longest lag.

        >>> Performance(recovery_lag_periods=6, remarketing_lag_periods=2).lag_periods
        6
        """
        return max(self.recovery_lag_periods, self.remarketing_lag_periods)

    def period_rates(
        self, which: Literal["cdr", "cpr"], n_periods: int, periods_per_year: int
    ) -> FloatArray:
        """Per-period MDR or SMM: ``1 - (1 - annual)^(1/periods_per_year)``, ``(n_periods,)``.

        >>> Performance(cdr=(0.0, 1.0)).period_rates("cdr", 3, 12).tolist()
        [0.0, 1.0, 1.0]
        """
        raw = getattr(self, which)
        annual = np.atleast_1d(np.asarray(raw, dtype=np.float64))
        if annual.size < n_periods:
            annual = np.concatenate([annual, np.full(n_periods - annual.size, annual[-1])])
        out: FloatArray = 1.0 - (1.0 - annual[:n_periods]) ** (1.0 / periods_per_year)
        return out


def _needs_prices(pool: Pool, performance: Performance) -> bool:
    if not pool.leases:
        return False
    renewals = any(lease.renewal_options for lease in pool.leases)
    return (
        performance.remarketing
        or performance.lease_default_mode == "termination"
        or (renewals and performance.renewal_rule == "in_the_money")
    )


def _check_scenarios(pool: Pool, scenarios: ScenarioSet) -> PeriodGrid:
    grid = scenarios.grid
    if grid.as_of != pool.cut_off:
        raise ValidationError(
            "scenarios.grid.as_of",
            f"must be the pool cut-off {pool.cut_off.isoformat()}",
            grid.as_of.isoformat(),
        )
    if grid.frequency != pool.payment_frequency:
        raise ValidationError(
            "scenarios.grid.frequency",
            f"must be the pool's payment frequency {pool.payment_frequency.value}",
            grid.frequency.value,
        )
    return grid


class PoolFlowsBuilder:
    """``(cdr, recovery, price_shock) -> PoolFlows`` for one pool, market and scenario set.

    Schedules and residual values are built on the first call and reused; each call runs
    the kernel with ``base`` performance updated by the arguments given (``cdr`` annual,
    constant or per period; ``recovery`` the recovery rate; ``price_shock`` relative, so
    -0.3 is prices 30% lower). ``None`` keeps the base value.

    >>> from computefin.products.abs.pool import demo_pool
    >>> build = PoolFlowsBuilder(demo_pool(), Performance(recovery_rate=0.3))
    >>> low, high = build(cdr=0.01), build(cdr=0.2, recovery=0.1)
    >>> bool(high.net_loss.sum() > low.net_loss.sum())
    True
    """

    def __init__(
        self,
        pool: Pool,
        base: Performance,
        market: MarketSnapshot | None = None,
        *,
        scenarios: ScenarioSet | None = None,
        n_paths: int = 1,
    ) -> None:
        self.pool = pool
        self.base = base
        self.market = market
        self.scenarios = scenarios
        if scenarios is not None:
            self.grid = _check_scenarios(pool, scenarios)
            self.n_paths = scenarios.n_paths
        else:
            if not isinstance(n_paths, int) or n_paths < 1:
                raise ValidationError("n_paths", "must be a whole number >= 1", n_paths)
            self.grid = pool.projection_grid(base.lag_periods)
            self.n_paths = n_paths
        self._schedule: Schedule | None = None
        self._residual: dict[tuple[Any, ...], ResidualTable] = {}

    @property
    def schedule(self) -> Schedule:
        """The pool's contractual schedule on the projection grid (built once)."""
        if self._schedule is None:
            self._schedule = build_schedule(self.pool, self.grid, self.market)
        return self._schedule

    def _residual_for(self, performance: Performance) -> ResidualTable | None:
        if not performance.remarketing or not self.pool.leases:
            return None
        key = (
            performance.residual,
            performance.residual_utilization,
            performance.residual_discount_rate,
        )
        if key not in self._residual:
            self._residual[key] = residual_table(self.pool, performance, self.grid, self.market)
        return self._residual[key]

    def run(self, performance: Performance) -> KernelOut:
        """The kernel's output for ``performance`` (pool and per-asset arrays).

        >>> from computefin.products.abs.pool import demo_pool
        >>> out = PoolFlowsBuilder(demo_pool(), Performance()).run(Performance(cdr=0.1))
        >>> out.assets["defaulted_balance"].shape
        (38, 62)
        """
        s = self.schedule
        prices: dict[str, FloatArray] = {}
        if _needs_prices(self.pool, performance):
            prices = price_paths(
                {lease.accelerator_id for lease in self.pool.leases},
                self.pool,
                performance,
                self.market,
                self.scenarios,
                (self.n_paths, s.n_periods),
            )
        defaults = default_periods(s.obligors, self.scenarios, s.grid, self.n_paths)
        return run_kernel(
            s, performance, prices, defaults, self._residual_for(performance), self.n_paths
        )

    def flows(self, performance: Performance) -> PoolFlows:
        """:class:`PoolFlows` for ``performance`` (any assumptions on the builder's grid).

        >>> from computefin.products.abs.pool import demo_pool
        >>> build = PoolFlowsBuilder(demo_pool(), Performance())
        >>> float(build.flows(Performance(cdr=1.0)).principal_collections.sum())
        0.0
        """
        out = self.run(performance)
        s = self.schedule
        return PoolFlows(
            currency=self.pool.currency.value,
            period_starts=s.grid.start_dates,
            payment_dates=s.grid.end_dates,
            original_pool_balance=float(s.opening.sum()),
            interest_collections=out.interest,
            principal_collections=out.principal,
            prepayments=out.prepayments,
            recoveries=out.recoveries,
            remarketing_proceeds=out.remarketing,
            defaulted_balance=out.defaulted,
            net_loss=out.defaulted - out.recoveries,
            pool_balance=out.balance,
            contractual_rent_remaining=out.rent_remaining,
        )

    def __call__(
        self,
        cdr: float | Sequence[float] | None = None,
        recovery: float | None = None,
        price_shock: float | None = None,
    ) -> PoolFlows:
        update: dict[str, Any] = {}
        if cdr is not None:
            update["cdr"] = cdr
        if recovery is not None:
            update["recovery_rate"] = recovery
        if price_shock is not None:
            update["price_shock"] = price_shock
        performance = self.base.model_copy(update=update) if update else self.base
        return self.flows(performance)


def pool_flows_for(
    pool: Pool,
    base_performance: Performance,
    market: MarketSnapshot | None = None,
    *,
    scenarios: ScenarioSet | None = None,
    n_paths: int = 1,
) -> PoolFlowsBuilder:
    """The ``pool_flows_for(cdr, recovery, price_shock) -> PoolFlows`` callable of a pool.

    >>> from computefin.products.abs.pool import demo_pool
    >>> flows_for = pool_flows_for(demo_pool(), Performance(recovery_rate=0.4))
    >>> flows_for(0.05, 0.4, -0.2).n_periods
    62
    """
    return PoolFlowsBuilder(pool, base_performance, market, scenarios=scenarios, n_paths=n_paths)


def project_pool(
    pool: Pool,
    performance: Performance,
    scenarios: ScenarioSet | None = None,
    n_paths: int = 1,
    *,
    market: MarketSnapshot | None = None,
) -> PoolFlows:
    """Project the pool's collections per path under ``performance``: :class:`PoolFlows`.

    Deterministic without ``scenarios`` (``n_paths`` identical paths on
    ``pool.projection_grid(performance.lag_periods)``); with them, on the set's grid
    (which must start at the cut-off, in the pool's payment frequency, and cover every
    contractual payment; renewals, re-leases and lagged cash after it are not
    projected). ``market`` supplies spot prices, FX and fixings of floating loans.

    >>> from computefin.products.abs.pool import demo_pool
    >>> flows = project_pool(demo_pool(), Performance())
    >>> bool(abs(flows.principal_collections.sum() - flows.original_pool_balance) < 0.01)
    True
    """
    builder = PoolFlowsBuilder(pool, performance, market, scenarios=scenarios, n_paths=n_paths)
    return builder.flows(performance)


def project_pool_by_asset(
    pool: Pool,
    performance: Performance,
    scenarios: ScenarioSet | None = None,
    n_paths: int = 1,
    *,
    market: MarketSnapshot | None = None,
) -> pd.DataFrame:
    """Projected flows by asset and period, averaged over paths: a tidy frame.

    Columns ``asset_id``, ``kind``, ``period``, ``payment_date``, then ``interest``
    (renewal rent included), ``principal`` (prepayments included), ``prepayments``,
    ``renewal_rent``, ``defaulted_balance``, ``recoveries`` (re-lease rent included),
    ``re_lease_rent``, ``remarketing_proceeds``, ``pool_balance``; pool currency.

    >>> from computefin.products.abs.pool import demo_pool
    >>> frame = project_pool_by_asset(demo_pool(), Performance(cdr=0.05))
    >>> frame.groupby("kind").defaulted_balance.sum().gt(0).all()
    np.True_
    """
    import pandas as pd

    builder = PoolFlowsBuilder(pool, performance, market, scenarios=scenarios, n_paths=n_paths)
    out = builder.run(performance)
    s = builder.schedule
    n_assets, n_periods = s.cash.shape
    data: dict[str, Any] = {
        "asset_id": np.repeat(np.asarray(s.ids, dtype=object), n_periods),
        "kind": np.repeat(np.asarray(s.kinds, dtype=object), n_periods),
        "period": np.tile(np.arange(n_periods), n_assets),
        "payment_date": np.tile(s.grid.end_dates, n_assets),
    }
    for name in ASSET_FIELDS:
        data[name] = out.assets[name].reshape(-1)
    return pd.DataFrame(data)
