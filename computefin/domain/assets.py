"""Physical compute assets: sites, server groups and fleets.

Units are in the field names: ``power_kw`` is kilowatts per server at typical load,
``unit_cost`` is the price of one server in ``currency``, ``electricity_price_per_kwh`` is
per kilowatt-hour, ``colocation_cost_per_kw_month`` per kilowatt of IT load per month.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from computefin.domain._base import DomainModel
from computefin.domain._types import (
    CountryCode,
    Currency,
    Identifier,
    NonNegativeFloat,
    PositiveFloat,
)
from computefin.domain.accelerators import active_catalog
from computefin.errors import ValidationError

__all__ = ["AcceleratorId", "Fleet", "ResourceId", "ServerGroup", "Site"]


def _known_accelerator(value: str) -> str:
    try:
        active_catalog()[value]  # raises ValidationError naming close known ids
    except ValidationError as exc:
        # the field is named by the model holding it: pass on the reason only
        raise ValueError("; ".join(p.reason for p in exc.problems)) from None
    return value


AcceleratorId = Annotated[str, AfterValidator(_known_accelerator)]
"""An accelerator id that must be in the active catalog (:func:`active_catalog`)."""

ResourceId = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$", min_length=1, max_length=128)
]
"""Standard compute identifier (算力标识) under which a compute interconnection platform
registers a resource; platform occupancy and monitoring feeds join to fleets by it."""

# A server drawing less than half its GPUs' TDP, or more than three times it plus 10 kW,
# is almost always a unit slip (watts typed as kilowatts, or per-rack typed as per-server).
_MIN_POWER_SHARE_OF_TDP = 0.5
_MAX_POWER_MULTIPLE_OF_TDP = 3.0
_MAX_POWER_OVERHEAD_KW = 10.0


class Site(DomainModel):
    """A data-centre site: where a fleet runs and what power and space cost there.

    >>> site = Site(name="Zhongwei DC-1", region="Ningxia", country="CN", pue=1.25,
    ...             electricity_price_per_kwh=0.36, colocation_cost_per_kw_month=150.0,
    ...             currency="CNY")
    >>> site.pue
    1.25
    >>> Site(name="x", region="y", country="CN", pue=0.9, electricity_price_per_kwh=0.4,
    ...      colocation_cost_per_kw_month=0.0, currency="CNY")
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: Site.pue: Input should be greater than or equal to 1 ...
    """

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    region: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="Region or province, e.g. 'Ningxia', 'Texas'."
    )
    country: CountryCode = Field(description="ISO 3166-1 alpha-2 code, e.g. 'CN', 'US'.")
    pue: float = Field(
        ge=1.0, le=5.0, description="Power usage effectiveness: facility power / IT power (>= 1)."
    )
    electricity_price_per_kwh: PositiveFloat = Field(
        description="Electricity price per kWh, in `currency`."
    )
    colocation_cost_per_kw_month: NonNegativeFloat = Field(
        default=0.0, description="Colocation (space and cooling) cost per kW of IT load per month."
    )
    currency: Currency

    def facility_power_kw(self, it_power_kw: float) -> float:
        """Facility power (kW) drawn for a given IT load (kW): IT load x PUE.

        >>> Site(name="a", region="b", country="US", pue=1.5, electricity_price_per_kwh=0.07,
        ...      currency="USD").facility_power_kw(10.0)
        15.0
        """
        return it_power_kw * self.pue


class ServerGroup(DomainModel):
    """Identical servers bought together: the unit in which a fleet is financed.

    ``unit_cost`` and ``power_kw`` are per server. The accelerator id must be in the
    active catalog (:func:`computefin.domain.active_catalog`).

    >>> group = ServerGroup(accelerator_id="nvidia-h100-sxm", servers=16, gpus_per_server=8,
    ...                     unit_cost=300_000.0, currency="USD",
    ...                     acquired=dt.date(2024, 3, 1), power_kw=10.2)
    >>> (group.gpus, group.power_kw_total, group.capex)
    (128, 163.2, 4800000.0)
    """

    accelerator_id: AcceleratorId = Field(description="Catalog id, e.g. 'nvidia-h100-sxm'.")
    servers: int = Field(gt=0, le=1_000_000, description="Number of servers.")
    gpus_per_server: int = Field(gt=0, le=1024, description="Accelerators per server.")
    unit_cost: PositiveFloat = Field(description="Purchase cost of one server, in `currency`.")
    currency: Currency
    acquired: dt.date = Field(description="Date the servers were acquired (capex date).")
    power_kw: PositiveFloat = Field(description="IT power of one server at typical load, kW.")
    resource_id: ResourceId | None = Field(
        default=None, description="Standard compute identifier (算力标识) on the platform."
    )

    @model_validator(mode="after")
    def _plausible_power(self) -> ServerGroup:
        tdp_kw = active_catalog()[self.accelerator_id].tdp_w * self.gpus_per_server / 1000.0
        low = _MIN_POWER_SHARE_OF_TDP * tdp_kw
        high = _MAX_POWER_MULTIPLE_OF_TDP * tdp_kw + _MAX_POWER_OVERHEAD_KW
        if not low <= self.power_kw <= high:
            raise ValidationError(
                "power_kw",
                f"{self.power_kw} kW per server is implausible for {self.gpus_per_server} x "
                f"{self.accelerator_id} ({tdp_kw:.1f} kW of GPU TDP); expected {low:.1f} to "
                f"{high:.1f} kW: is it in watts, or per rack?",
                self.power_kw,
            )
        return self

    @property
    def gpus(self) -> int:
        """Accelerators in the group."""
        return self.servers * self.gpus_per_server

    @property
    def power_kw_total(self) -> float:
        """IT power of the whole group, kW."""
        return self.servers * self.power_kw

    @property
    def capex(self) -> float:
        """Purchase cost of the whole group, in `currency`."""
        return self.servers * self.unit_cost


class Fleet(DomainModel):
    """A fleet: server groups at one site, owned by one counterparty; the collateral unit.

    All server groups of a fleet are costed in one currency so that ``capex`` is one
    figure; convert before loading if the invoices were in several.

    >>> site = Site(name="Dallas-2", region="Texas", country="US", pue=1.3,
    ...             electricity_price_per_kwh=0.072, colocation_cost_per_kw_month=184.0,
    ...             currency="USD")
    >>> group = ServerGroup(accelerator_id="nvidia-h100-sxm", servers=4, gpus_per_server=8,
    ...                     unit_cost=300_000.0, currency="USD",
    ...                     acquired=dt.date(2024, 3, 1), power_kw=10.2)
    >>> fleet = Fleet(id="fleet-dal-1", owner_counterparty_id="neocloud-a", site=site,
    ...               server_groups=[group])
    >>> (fleet.gpus, fleet.power_kw, fleet.facility_power_kw, fleet.capex)
    (32, 40.8, 53.04, 1200000.0)
    """

    id: Identifier
    owner_counterparty_id: Identifier = Field(description="Counterparty id of the owner.")
    site: Site
    server_groups: tuple[ServerGroup, ...] = Field(min_length=1)
    resource_id: ResourceId | None = Field(
        default=None, description="Standard compute identifier (算力标识) of the whole fleet."
    )

    @model_validator(mode="after")
    def _one_currency(self) -> Fleet:
        first = self.server_groups[0].currency
        for i, group in enumerate(self.server_groups):
            if group.currency != first:
                raise ValidationError(
                    f"server_groups[{i}].currency",
                    f"all server groups of a fleet must share one currency ({first.value})",
                    group.currency.value,
                )
        ids = [g.resource_id for g in self.server_groups if g.resource_id is not None]
        if len(ids) != len(set(ids)):
            raise ValidationError("server_groups", "resource_id values must be unique", ids)
        return self

    @property
    def currency(self) -> Currency:
        """Currency of the fleet's capex."""
        return self.server_groups[0].currency

    @property
    def gpus(self) -> int:
        """Accelerators in the fleet."""
        return sum(g.gpus for g in self.server_groups)

    @property
    def servers(self) -> int:
        """Servers in the fleet."""
        return sum(g.servers for g in self.server_groups)

    @property
    def power_kw(self) -> float:
        """IT power of the fleet at typical load, kW."""
        return sum(g.power_kw_total for g in self.server_groups)

    @property
    def facility_power_kw(self) -> float:
        """Facility power including cooling and losses (IT power x PUE), kW."""
        return self.site.facility_power_kw(self.power_kw)

    @property
    def capex(self) -> float:
        """Purchase cost of all server groups, in `currency`."""
        return sum(g.capex for g in self.server_groups)

    def gpus_by_accelerator(self) -> dict[str, int]:
        """GPUs per accelerator id.

        >>> site = Site(name="s", region="r", country="CN", pue=1.3,
        ...             electricity_price_per_kwh=0.5, currency="CNY")
        >>> groups = [ServerGroup(accelerator_id=a, servers=2, gpus_per_server=8,
        ...                       unit_cost=1_200_000.0, currency="CNY",
        ...                       acquired=dt.date(2025, 1, 1), power_kw=p)
        ...           for a, p in [("nvidia-h20", 5.0), ("huawei-ascend-910b", 5.6)]]
        >>> Fleet(id="f", owner_counterparty_id="o", site=site,
        ...       server_groups=groups).gpus_by_accelerator()
        {'nvidia-h20': 16, 'huawei-ascend-910b': 16}
        """
        out: dict[str, int] = {}
        for group in self.server_groups:
            out[group.accelerator_id] = out.get(group.accelerator_id, 0) + group.gpus
        return out
