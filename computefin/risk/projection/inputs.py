"""Everything a fleet projection needs, gathered and validated in one object.

:class:`ProjectionInputs` holds the fleet, its contracts, the counterparties' PDs, the
grid, one model per risk driver and the assumptions; stresses
(:func:`computefin.risk.stress.apply_stress`) return modified copies of it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np
from pydantic import Field

from computefin.domain import (
    Contract,
    Counterparty,
    Currency,
    Fleet,
    Frequency,
    MarketSnapshot,
    RateIndex,
    active_catalog,
)
from computefin.domain._base import DomainModel
from computefin.domain._types import Share
from computefin.errors import MarketDataError, ValidationError
from computefin.pricing import Curve, build_curves
from computefin.risk.depreciation import DepreciationMethod, DepreciationPolicy
from computefin.risk.grid import PeriodGrid, period_grid
from computefin.risk.residual import ResidualValueModel
from computefin.risk.scenarios.defaults import DefaultModel
from computefin.risk.scenarios.failures import FailureModel
from computefin.risk.scenarios.price import GpuPriceModel
from computefin.risk.scenarios.rates import RateShiftModel
from computefin.risk.scenarios.utilization import UtilizationModel, UtilizationPreset

__all__ = ["DISCOUNT_INDEX", "ProjectionAssumptions", "ProjectionInputs"]

DISCOUNT_INDEX: Mapping[Currency, RateIndex] = MappingProxyType(
    {Currency.CNY: RateIndex.FR007, Currency.USD: RateIndex.SOFR}
)
"""Curve that discounts a fleet's cash flows by currency: the repo/overnight benchmark
(FR007 for CNY, SOFR for USD). Pass ``discount_curve`` for anything else."""


class ProjectionAssumptions(DomainModel):
    """Operating assumptions of a fleet projection, with their defaults.

    >>> ProjectionAssumptions().remarketing_gap_months
    3.0
    """

    contract_usage: Share = Field(
        default=0.9,
        description="Share of the non-take-or-pay contracted hours the lessee uses and pays "
        "(large training clusters run at 80-90%, DOMAIN.md section 3).",
    )
    maintenance_share_of_capex_per_year: float = Field(
        default=0.03, ge=0.0, le=0.5, description="Maintenance per year as a share of capex."
    )
    insurance_share_of_capex_per_year: float = Field(
        default=0.005, ge=0.0, le=0.2, description="Insurance per year as a share of capex."
    )
    remarketing_gap_months: float = Field(
        default=3.0,
        ge=0.0,
        le=36.0,
        description="Months a defaulted lessee's GPUs sit idle before they earn spot revenue.",
    )
    retire_at_end_of_economic_life: bool = Field(
        default=True,
        description="GPUs stop earning at the end of economic life and are sold at the "
        "residual model's end-of-life value (retirement_proceeds).",
    )
    utilization_preset: UtilizationPreset | None = Field(
        default=None,
        description="Spot utilization model when none is given; None picks by the site's "
        "country: China's intelligent-compute centres (30%) for CN sites, large training "
        "clusters (85%) elsewhere (DOMAIN.md section 3). Set it: it drives spot revenue.",
    )

    def utilization_preset_for(self, country: str) -> UtilizationPreset:
        """The preset used for a site in ``country`` (ISO code).

        >>> ProjectionAssumptions().utilization_preset_for("CN").value
        'china-intelligent-compute'
        """
        if self.utilization_preset is not None:
            return self.utilization_preset
        if country == "CN":
            return UtilizationPreset.CHINA_INTELLIGENT_COMPUTE
        return UtilizationPreset.TRAINING_CLUSTER


@dataclass(frozen=True, eq=False)
class ProjectionInputs:
    """A fleet, its contracts and every model and assumption its projection uses.

    Build with :meth:`build`, which fills documented defaults from the market snapshot.
    ``forced_default_years`` fixes a counterparty's default time (a stress); ``rate_shift``
    is a parallel shift (decimal) of the discount curve. Successor launches come from the
    price models (their ``successor_launch`` override, else the catalog), for the rental
    price step and the end-of-life resale step alike.
    """

    fleet: Fleet
    contracts: tuple[Contract, ...]
    pds: Mapping[str, float]
    market: MarketSnapshot
    grid: PeriodGrid
    price_models: Mapping[str, GpuPriceModel]
    utilization: UtilizationModel
    defaults: DefaultModel
    failures: tuple[FailureModel, ...]
    rates: RateShiftModel
    residual: ResidualValueModel
    depreciation: DepreciationPolicy
    assumptions: ProjectionAssumptions
    discount_curve: Curve
    forced_default_years: Mapping[str, float] = field(default_factory=dict)
    rate_shift: float = 0.0

    def __post_init__(self) -> None:
        accelerators = {g.accelerator_id for g in self.fleet.server_groups}
        missing = sorted(accelerators - set(self.price_models))
        if missing:
            raise ValidationError("price_models", "needs a model for every accelerator", missing)
        if len(self.failures) != len(self.fleet.server_groups):
            raise ValidationError("failures", "needs one FailureModel per server group")
        for i, contract in enumerate(self.contracts):
            if contract.fleet_id != self.fleet.id:
                raise ValidationError(
                    f"contracts[{i}].fleet_id", f"is not fleet {self.fleet.id!r}", contract.fleet_id
                )
            if contract.counterparty_id not in self.pds:
                raise ValidationError(
                    f"contracts[{i}].counterparty_id", "has no PD", contract.counterparty_id
                )
        object.__setattr__(self, "pds", MappingProxyType(dict(self.pds)))
        object.__setattr__(self, "price_models", MappingProxyType(dict(self.price_models)))
        object.__setattr__(
            self, "forced_default_years", MappingProxyType(dict(self.forced_default_years))
        )

    @property
    def currency(self) -> Currency:
        """The projection's currency: the fleet's."""
        return self.fleet.currency

    def years_to(self, day: dt.date | np.datetime64) -> float:
        """Years (ACT/365F) from the as-of date to ``day``."""
        days = np.asarray(day, dtype="datetime64[D]") - np.datetime64(self.grid.as_of, "D")
        return float(days.astype(np.float64)) / 365.0

    def group_keys(self) -> tuple[str, ...]:
        """Stable key of each server group's random streams and scenario arrays:
        ``<fleet>/<resource_id>``, or ``<fleet>/<index>`` for groups without one."""
        return tuple(
            f"{self.fleet.id}/{g.resource_id or i}" for i, g in enumerate(self.fleet.server_groups)
        )

    def successor_launch(self, accelerator_id: str) -> dt.date | None:
        """Launch date of the accelerator's successor: the price model's override, else the
        catalog's (None when the catalog names no successor)."""
        override = self.price_models[accelerator_id].successor_launch
        if override is not None:
            return override
        catalog = active_catalog()
        successor = catalog[accelerator_id].successor
        return None if successor is None else catalog[successor].launch_date

    def retirement_dates(self) -> tuple[dt.date | None, ...]:
        """When each server group stops earning and is sold (None: never, within reach).

        The end of economic life, but not while a contract on the fleet still runs (the
        lessor delivers what it sold), and not before the as-of date (a group already past
        its life is sold at once).
        """
        if not self.assumptions.retire_at_end_of_economic_life:
            return tuple(None for _ in self.fleet.server_groups)
        ends = self.residual.end_of_life_date([g.acquired for g in self.fleet.server_groups])
        last_contract = max((c.end for c in self.contracts), default=self.grid.as_of)
        out = []
        for end in ends:
            day = dt.date.fromisoformat(str(end))
            out.append(max(day, last_contract, self.grid.as_of))
        return tuple(out)

    def with_changes(self, **changes: object) -> ProjectionInputs:
        """A copy with some fields replaced (validated again)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def build(
        cls,
        fleet: Fleet,
        contracts: Sequence[Contract],
        market: MarketSnapshot,
        horizon_months: int,
        frequency: Frequency | str = Frequency.MONTHLY,
        *,
        counterparties: Sequence[Counterparty] = (),
        price_models: Mapping[str, GpuPriceModel] | None = None,
        utilization: UtilizationModel | None = None,
        defaults: DefaultModel | None = None,
        failures: Sequence[FailureModel] | None = None,
        rates: RateShiftModel | None = None,
        residual: ResidualValueModel | None = None,
        depreciation: DepreciationPolicy | None = None,
        assumptions: ProjectionAssumptions | None = None,
        discount_curve: Curve | None = None,
    ) -> ProjectionInputs:
        """Inputs with documented defaults for anything not given.

        Only the contracts on ``fleet`` are kept. Each contract's counterparty must be in
        ``counterparties`` (its PD comes from ``market.pd_for``).
        """
        grid = _grid(market.as_of, horizon_months, Frequency(frequency))
        mine = tuple(c for c in contracts if c.fleet_id == fleet.id)
        parties = {c.id: c for c in counterparties}
        pds: dict[str, float] = {}
        for i, contract in enumerate(mine):
            party = parties.get(contract.counterparty_id)
            if party is None:
                raise ValidationError(
                    f"contracts[{i}].counterparty_id",
                    "is not among the counterparties given",
                    contract.counterparty_id,
                )
            pds[party.id] = market.pd_for(party)
        chosen = assumptions or ProjectionAssumptions()
        return cls(
            fleet=fleet,
            contracts=mine,
            pds=pds,
            market=market,
            grid=grid,
            price_models=dict(price_models or {})
            | {
                a: _default_price_model(market, a, fleet.currency)
                for a in sorted({g.accelerator_id for g in fleet.server_groups})
                if a not in (price_models or {})
            },
            utilization=utilization
            or UtilizationModel.preset(
                chosen.utilization_preset_for(fleet.site.country), key=fleet.id
            ),
            defaults=defaults or DefaultModel(),
            failures=tuple(failures)
            if failures is not None
            else tuple(FailureModel.for_accelerator(g.accelerator_id) for g in fleet.server_groups),
            rates=rates or RateShiftModel(),
            residual=residual or ResidualValueModel(),
            depreciation=depreciation
            or DepreciationPolicy(method=DepreciationMethod.STRAIGHT_LINE, useful_life_years=6.0),
            assumptions=chosen,
            discount_curve=discount_curve or _default_curve(market, fleet.currency),
        )


@functools.lru_cache(maxsize=16)
def _grid(as_of: dt.date, months: int, frequency: Frequency) -> PeriodGrid:
    """:func:`period_grid`, built once per date, horizon and frequency (grids are
    immutable; each build asks QuantLib for a schedule, a few ms per fleet otherwise)."""
    return period_grid(as_of, months, frequency)


def _default_price_model(
    market: MarketSnapshot, accelerator_id: str, currency: Currency
) -> GpuPriceModel:
    quotes = [q for q in market.gpu_prices if q.accelerator_id == accelerator_id]
    if not quotes:
        raise MarketDataError(f"no rental price for {accelerator_id!r} in the snapshot")
    preferred = next((q for q in quotes if q.currency == currency), quotes[0])
    return GpuPriceModel.from_market(market, accelerator_id, preferred.currency)


def _default_curve(market: MarketSnapshot, currency: Currency) -> Curve:
    index = DISCOUNT_INDEX.get(currency)
    if index is None:
        raise MarketDataError(f"no default discount curve for {currency.value}; pass one")
    curves = build_curves(market)
    if index not in curves:
        raise MarketDataError(f"the snapshot has no {index.value} quotes to discount with")
    return curves[index]
