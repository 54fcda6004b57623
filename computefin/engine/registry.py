"""Products plug into the batch job here: one handler per instrument type.

A handler lists the store's instruments of its type (id and input hash, in the order the
batch should chunk them), loads a chunk of them from the store as plain data (JSON
text: what a Dask worker can receive), and values loaded data against a run's market,
scenarios and stress, returning one :class:`ResultRecord` per instrument. The batch job knows
nothing else about products: a new product registers a handler and is valued, stored
and reported like the others.

>>> 'loan' in handlers()
True
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from computefin.domain import MarketSnapshot, Portfolio
from computefin.engine.attributes import counterparty_ratings, fleet_accelerators, generation_of
from computefin.engine.store.records import load_loan_payloads
from computefin.engine.store.schema import LoanRow
from computefin.errors import ValidationError
from computefin.products import CollateralLoan, value_book
from computefin.risk import StressScenario

__all__ = [
    "ATTRIBUTE_COLUMNS",
    "HandlerBase",
    "LoanHandler",
    "ProductHandler",
    "ResultRecord",
    "RunContext",
    "handlers",
    "plain",
    "register",
]


ATTRIBUTE_COLUMNS = ("instrument_id", "counterparty_id", "rating", "accelerator_id", "generation")
"""Columns of :meth:`ProductHandler.attributes`."""


@dataclass(frozen=True)
class RunContext:
    """What every chunk of a run is valued against.

    ``cache``: scratch space handlers keep between the chunks of one run (the loan
    handler's portfolio index and boundary fleet projections); it never changes a figure.
    """

    market: MarketSnapshot
    snapshot_id: str
    portfolio: Portfolio
    n_scenarios: int | None
    seed: int
    scenario_hash: str | None
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


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

    def load(self, session: Session, ids: Sequence[str]) -> Any:
        """These instruments (and what they refer to, e.g. an ABS holding's deal) as plain,
        picklable data: JSON text, no model objects, no QuantLib objects."""
        ...

    def value_loaded(
        self, data: Any, context: RunContext, stress: StressScenario | None
    ) -> list[ResultRecord]:
        """Value loaded instruments (in the order loaded); failures become records with
        ``error``. Runs in the batch process or on a Dask worker."""
        ...

    def value(
        self,
        session: Session,
        ids: Sequence[str],
        context: RunContext,
        stress: StressScenario | None,
    ) -> list[ResultRecord]:
        """Load and value in one step (the single-process batch)."""
        ...

    def attributes(self, session: Session) -> pd.DataFrame:
        """What reports group by, one row per stored instrument: ``instrument_id``,
        ``counterparty_id``, ``rating``, ``accelerator_id``, ``generation``."""
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


class HandlerBase:
    """``value`` = ``value_loaded(load(...))`` for every handler."""

    def load(self, session: Session, ids: Sequence[str]) -> Any:
        """Plain data for these ids (subclasses)."""
        raise NotImplementedError

    def value_loaded(
        self, data: Any, context: RunContext, stress: StressScenario | None
    ) -> list[ResultRecord]:
        """Records for loaded data (subclasses)."""
        raise NotImplementedError

    def value(
        self,
        session: Session,
        ids: Sequence[str],
        context: RunContext,
        stress: StressScenario | None,
    ) -> list[ResultRecord]:
        """Load the chunk, then value it."""
        return self.value_loaded(self.load(session, ids), context, stress)


class LoanHandler(HandlerBase):
    """Compute collateral loans: valued with :func:`~computefin.products.value_book`.

    Batch order groups loans by their first pledged fleet, so a chunk projects each of
    its fleets once.
    """

    instrument_type = "loan"

    def attributes(self, session: Session) -> pd.DataFrame:
        """Borrower rating and the first pledged fleet's main accelerator per loan."""
        ratings = counterparty_ratings(session)
        main = fleet_accelerators(session)
        rows = []
        for loan_id, borrower, first_fleet in session.execute(
            select(LoanRow.id, LoanRow.borrower_counterparty_id, LoanRow.first_fleet_id)
        ):
            accelerator = main.get(first_fleet) if first_fleet is not None else None
            rows.append(
                {
                    "instrument_id": loan_id,
                    "counterparty_id": borrower,
                    "rating": ratings.get(borrower),
                    "accelerator_id": accelerator,
                    "generation": generation_of(accelerator),
                }
            )
        return pd.DataFrame(rows, columns=list(ATTRIBUTE_COLUMNS))

    def instruments(self, session: Session) -> list[tuple[str, str]]:
        """Stored loans, grouped by first pledged fleet, then by id."""
        rows = session.execute(
            select(LoanRow.id, LoanRow.input_hash).order_by(
                LoanRow.first_fleet_id.is_(None), LoanRow.first_fleet_id, LoanRow.id
            )
        )
        return [(i, h) for i, h in rows]

    def load(self, session: Session, ids: Sequence[str]) -> list[str]:
        """The loans' JSON, in the order asked."""
        return load_loan_payloads(session, ids)

    def value_loaded(
        self, data: Any, context: RunContext, stress: StressScenario | None
    ) -> list[ResultRecord]:
        """Value the loans with errors collected per loan."""
        loans = [CollateralLoan.model_validate_json(text) for text in data]
        frame = value_book(
            loans,
            context.portfolio,
            context.market,
            context.n_scenarios,
            seed=context.seed,
            stress=stress,
            errors="collect",
            cache=context.cache.setdefault(self.instrument_type, {}),
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
