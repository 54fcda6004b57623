"""Products plug into the batch job here: one handler per instrument type.

A handler lists the store's instruments of its type (id and input hash, in the order the
batch should chunk them) and values a chunk of them against a run's market, scenarios
and stress, returning one :class:`ResultRecord` per instrument. The batch job knows
nothing else about products: a new product registers a handler and is valued, stored
and reported like the others.

>>> sorted(handlers())
['loan']
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from computefin.domain import MarketSnapshot, Portfolio
from computefin.engine.store.records import load_loans
from computefin.engine.store.schema import LoanRow
from computefin.errors import ValidationError
from computefin.products import value_book
from computefin.risk import StressScenario

__all__ = [
    "LoanHandler",
    "ProductHandler",
    "ResultRecord",
    "RunContext",
    "handlers",
    "plain",
    "register",
]


@dataclass(frozen=True)
class RunContext:
    """What every chunk of a run is valued against."""

    market: MarketSnapshot
    snapshot_id: str
    portfolio: Portfolio
    n_scenarios: int | None
    seed: int
    scenario_hash: str | None


@dataclass(frozen=True)
class ResultRecord:
    """One instrument's figures in one case. Money in ``currency``; NaN-free (None)."""

    instrument_id: str
    currency: str | None
    pv: float | None
    ead: float | None
    el: float | None
    ecl: float | None
    rwa: float | None
    ltv: float | None
    error: str | None
    measures: Mapping[str, Any] = field(default_factory=dict)


class ProductHandler(Protocol):
    """What a product provides to the batch job."""

    instrument_type: str

    def instruments(self, session: Session) -> list[tuple[str, str]]:
        """``(id, input_hash)`` of every stored instrument, in batch order."""
        ...

    def value(
        self,
        session: Session,
        ids: Sequence[str],
        context: RunContext,
        stress: StressScenario | None,
    ) -> list[ResultRecord]:
        """Value these instruments (in this order); failures become records with ``error``."""
        ...


def plain(value: Any) -> Any:
    """A JSON-ready value: numpy scalars to Python, dates to ISO text, NaN to None.

    >>> plain(np.float64("nan")) is None, plain(dt.date(2027, 1, 1)), plain(np.int64(3))
    (True, '2027-01-01', 3)
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _number(row: Mapping[Any, Any], name: str) -> float | None:
    value = plain(row.get(name))
    return None if value is None else float(value)


class LoanHandler:
    """Compute collateral loans: valued with :func:`~computefin.products.value_book`.

    Batch order groups loans by their first pledged fleet, so a chunk projects each of
    its fleets once.
    """

    instrument_type = "loan"

    def instruments(self, session: Session) -> list[tuple[str, str]]:
        """Stored loans, grouped by first pledged fleet, then by id."""
        rows = session.execute(
            select(LoanRow.id, LoanRow.input_hash).order_by(
                LoanRow.first_fleet_id.is_(None), LoanRow.first_fleet_id, LoanRow.id
            )
        )
        return [(i, h) for i, h in rows]

    def value(
        self,
        session: Session,
        ids: Sequence[str],
        context: RunContext,
        stress: StressScenario | None,
    ) -> list[ResultRecord]:
        """Value the loans with errors collected per loan."""
        loans = load_loans(session, ids)
        frame = value_book(
            loans,
            context.portfolio,
            context.market,
            context.n_scenarios,
            seed=context.seed,
            stress=stress,
            errors="collect",
        )
        out = []
        for row in frame.to_dict("records"):
            measures = {str(k): plain(v) for k, v in row.items() if k != "error"}
            error = plain(row.get("error"))
            out.append(
                ResultRecord(
                    instrument_id=str(row["id"]),
                    currency=plain(row.get("currency")),
                    pv=_number(row, "pv"),
                    ead=_number(row, "ead"),
                    el=_number(row, "el"),
                    ecl=_number(row, "ecl"),
                    rwa=_number(row, "rwa"),
                    ltv=_number(row, "ltv"),
                    error=None if error is None else str(error),
                    measures=measures,
                )
            )
        return out


_HANDLERS: dict[str, ProductHandler] = {}


def register(handler: ProductHandler) -> None:
    """Add a product's handler (one per instrument type)."""
    if handler.instrument_type in _HANDLERS:
        raise ValidationError(
            "instrument_type", "already has a handler", handler.instrument_type
        )  # fmt: skip
    _HANDLERS[handler.instrument_type] = handler


def handlers() -> Mapping[str, ProductHandler]:
    """The registered handlers by instrument type."""
    return dict(_HANDLERS)


register(LoanHandler())
