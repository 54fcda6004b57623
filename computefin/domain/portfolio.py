"""A portfolio of compute collateral: counterparties, fleets and contracts, cross-checked.

Single models validate themselves; :class:`Portfolio` validates what no single model can:
that every reference resolves and that a fleet is not rented out beyond its GPUs.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import TypeVar

import pandas as pd
from pydantic import model_validator

from computefin.domain._base import DomainModel
from computefin.domain.assets import Fleet
from computefin.domain.contracts import Contract
from computefin.domain.parties import Counterparty
from computefin.errors import ValidationError

__all__ = ["Portfolio"]

_Item = TypeVar("_Item", Counterparty, Fleet)


class Portfolio(DomainModel):
    """Counterparties, fleets and contracts that refer to each other by id.

    Checks: ids unique per kind; every fleet owner and contract counterparty exists;
    every contract's fleet exists; at no date do a fleet's active contracts commit more
    GPUs than the fleet has.

    >>> import json
    >>> from computefin.domain import demo_portfolio
    >>> p = demo_portfolio()
    >>> len(p.fleets) > 0 and p.fleet(p.fleets[0].id) is p.fleets[0]
    True
    >>> data = json.loads(p.model_dump_json())
    >>> data["contracts"][0]["fleet_id"] = "no-such-fleet"
    >>> Portfolio.model_validate(data)
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: Portfolio.contracts[0].fleet_id: unknown fleet id ...
    """

    counterparties: tuple[Counterparty, ...] = ()
    fleets: tuple[Fleet, ...] = ()
    contracts: tuple[Contract, ...] = ()

    @model_validator(mode="after")
    def _references(self) -> Portfolio:
        id_lists: tuple[tuple[str, list[str]], ...] = (
            ("counterparties", [c.id for c in self.counterparties]),
            ("fleets", [f.id for f in self.fleets]),
            ("contracts", [c.id for c in self.contracts]),
        )
        for field, ids in id_lists:
            seen: set[str] = set()
            for i, item_id in enumerate(ids):
                if item_id in seen:
                    raise ValidationError(f"{field}[{i}].id", "duplicates an earlier id", item_id)
                seen.add(item_id)
        parties = {c.id for c in self.counterparties}
        fleets = {f.id: f for f in self.fleets}
        for i, fleet in enumerate(self.fleets):
            if fleet.owner_counterparty_id not in parties:
                raise ValidationError(
                    f"fleets[{i}].owner_counterparty_id",
                    "unknown counterparty id",
                    fleet.owner_counterparty_id,
                )
        for i, contract in enumerate(self.contracts):
            if contract.counterparty_id not in parties:
                raise ValidationError(
                    f"contracts[{i}].counterparty_id",
                    "unknown counterparty id",
                    contract.counterparty_id,
                )
            if contract.fleet_id not in fleets:
                raise ValidationError(
                    f"contracts[{i}].fleet_id", "unknown fleet id", contract.fleet_id
                )
        self._check_commitments(fleets)
        return self

    def _check_commitments(self, fleets: dict[str, Fleet]) -> None:
        # Sweep contract start/end events per fleet: the peak concurrent commitment
        # must not exceed the fleet's GPUs.
        events: dict[str, list[tuple[dt.date, int, int]]] = defaultdict(list)
        for i, c in enumerate(self.contracts):
            events[c.fleet_id].append((c.start, c.gpus_committed, i))
            events[c.fleet_id].append((c.end, -c.gpus_committed, i))
        for fleet_id, rows in events.items():
            committed = 0
            # Ends sort before starts on the same date: [start, end) periods.
            for day, delta, i in sorted(rows, key=lambda r: (r[0], r[1])):
                committed += delta
                if committed > fleets[fleet_id].gpus:
                    raise ValidationError(
                        f"contracts[{i}].gpus_committed",
                        f"contracts on fleet {fleet_id!r} commit {committed} GPUs on "
                        f"{day.isoformat()}, more than its {fleets[fleet_id].gpus}",
                        self.contracts[i].gpus_committed,
                    )

    def counterparty(self, counterparty_id: str) -> Counterparty:
        """The counterparty with this id."""
        return _find(self.counterparties, counterparty_id, "counterparty_id")

    def fleet(self, fleet_id: str) -> Fleet:
        """The fleet with this id."""
        return _find(self.fleets, fleet_id, "fleet_id")

    def contracts_on(self, fleet_id: str) -> tuple[Contract, ...]:
        """Contracts on one fleet."""
        return tuple(c for c in self.contracts if c.fleet_id == fleet_id)

    def fleets_frame(self, as_of: dt.date) -> pd.DataFrame:
        """One row per fleet: site, GPUs, power (kW), capex, and what its contracts commit.

        Columns: ``fleet_id, owner, site, region, country, accelerators, servers, gpus,
        it_power_kw, facility_power_kw, capex, currency, contracted_gpus,
        annual_contract_value, other_currency_contracts``. Contract columns count the
        contracts active on ``as_of`` (so back-to-back contracts are not added up).
        ``annual_contract_value`` sums those billed in the fleet's currency; any billed
        in another currency are named in ``other_currency_contracts``, not converted.

        >>> from computefin.domain import demo_portfolio
        >>> frame = demo_portfolio().fleets_frame(dt.date(2026, 11, 27))
        >>> int(frame.loc["fleet-dal-h100", "gpus"]), int(frame.loc["fleet-dal-h100",
        ...                                                          "contracted_gpus"])
        (1024, 768)
        >>> int(demo_portfolio().fleets_frame(dt.date(2031, 1, 1))["contracted_gpus"].sum())
        0
        """
        rows = []
        for fleet in self.fleets:
            mine = [c for c in self.contracts_on(fleet.id) if c.is_active(as_of)]
            same = [c for c in mine if c.currency == fleet.currency]
            rows.append(
                {
                    "fleet_id": fleet.id,
                    "owner": fleet.owner_counterparty_id,
                    "site": fleet.site.name,
                    "region": fleet.site.region,
                    "country": fleet.site.country,
                    "accelerators": ", ".join(fleet.gpus_by_accelerator()),
                    "servers": fleet.servers,
                    "gpus": fleet.gpus,
                    "it_power_kw": fleet.power_kw,
                    "facility_power_kw": fleet.facility_power_kw,
                    "capex": fleet.capex,
                    "currency": fleet.currency.value,
                    "contracted_gpus": sum(c.gpus_committed for c in mine),
                    "annual_contract_value": sum(c.annual_contract_value for c in same),
                    "other_currency_contracts": ", ".join(c.id for c in mine if c not in same),
                }
            )
        columns = [
            "fleet_id", "owner", "site", "region", "country", "accelerators", "servers", "gpus",
            "it_power_kw", "facility_power_kw", "capex", "currency", "contracted_gpus",
            "annual_contract_value", "other_currency_contracts",
        ]  # fmt: skip
        return pd.DataFrame(rows, columns=columns).set_index("fleet_id")

    @classmethod
    def from_json_file(cls, path: str | Path) -> Portfolio:
        """Load and validate a portfolio JSON file."""
        return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))


def _find(items: tuple[_Item, ...], wanted: str, field: str) -> _Item:
    for item in items:
        if item.id == wanted:
            return item
    raise ValidationError(field, "unknown id", wanted)
