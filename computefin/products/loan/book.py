"""A book of collateral loans: load from models or a table, compute cash flows in one pass.

A frame has one row per loan and one column per :class:`CollateralLoan` field, with the
collateral and covenant fields flattened (``fleet_ids``, ``max_ltv``, ...). List-like
fields (``draws``, ``custom_principal_schedule``, ``fleet_ids``,
``assigned_contract_ids``, ``advance_rate_contracts_by_quality``) are JSON strings; an
empty cell means "not given" (the field's default).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from computefin.domain.market import MarketSnapshot, RateIndex
from computefin.errors import FieldProblem, ValidationError
from computefin.pricing import Curve, MarketCalendar, build_curves
from computefin.products.loan._columns import LoanColumns
from computefin.products.loan._fields import LoanCollateral, LoanCovenants
from computefin.products.loan.cashflows import LoanCashflows, book_cashflows
from computefin.products.loan.model import CollateralLoan

__all__ = ["FRAME_JSON_COLUMNS", "LoanBook", "LoanRowError"]

_NESTED: Final[dict[str, tuple[str, ...]]] = {
    "collateral": tuple(LoanCollateral.model_fields),
    "covenants": tuple(LoanCovenants.model_fields),
}
FRAME_JSON_COLUMNS: Final[frozenset[str]] = frozenset(
    {
        "draws",
        "custom_principal_schedule",
        "fleet_ids",
        "assigned_contract_ids",
        "advance_rate_contracts_by_quality",
        "collateral",
        "covenants",
    }
)
"""Frame columns that hold JSON (lists or mappings)."""

_FRAME_COLUMNS: Final[tuple[str, ...]] = tuple(
    sub for name in CollateralLoan.model_fields for sub in _NESTED.get(name, (name,))
)


@dataclass(frozen=True)
class LoanRowError:
    """A frame row that did not load: where, which loan, which field, why.

    >>> LoanRowError(row=3, loan_id="loan-7", field="CollateralLoan[loan-7].margin",
    ...              reason="margins and fees are decimals ...").row
    3
    """

    row: Hashable
    loan_id: str | None
    field: str
    reason: str
    value: object = None


def _missing(value: Any) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _plain(value: Any) -> Any:
    """numpy scalars to Python, timestamps to dates (a midnight timestamp is a date)."""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().date() if value == value.normalize() else value
    if isinstance(value, np.generic):
        return value.item()
    return value


def _row_to_data(row: Mapping[Hashable, Any], loan_id: str | None) -> dict[str, Any]:
    """A frame row as model input: blanks dropped, JSON parsed, nested fields folded."""
    data: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    tag = f"CollateralLoan[{loan_id or '?'}]"
    for key, raw in row.items():
        name = str(key)
        if _missing(raw):
            continue
        value = _plain(raw)
        if name in FRAME_JSON_COLUMNS and isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                problems.append(FieldProblem(f"{tag}.{name}", f"not valid JSON: {exc}", raw))
                continue
        data[name] = value
    if problems:
        raise ValidationError.from_problems(problems)
    for parent, children in _NESTED.items():
        given = {c: data.pop(c) for c in children if c in data}
        if given:
            nested = data.get(parent, {})
            if not isinstance(nested, dict):
                raise ValidationError(f"{tag}.{parent}", "must be a JSON object", nested)
            data[parent] = {**nested, **given}
    return data


class LoanBook:
    """Validated loans with unique ids, and the array kernel that values them together.

    >>> loans = [CollateralLoan(id=f"l-{i}", borrower_counterparty_id="b",
    ...     principal=1e6 * (i + 1), currency="USD", start=dt.date(2027, 1, 15),
    ...     maturity=dt.date(2030, 1, 15), frequency="quarterly", amortization="level",
    ...     fixed_rate=0.08) for i in range(3)]
    >>> book = LoanBook.from_models(loans)
    >>> cf = book.cashflows()
    >>> cf.shape, round(float(cf.principal.sum()), 2)
    ((3, 12), 6000000.0)
    >>> LoanBook.from_frame(book.to_frame()).loans == book.loans
    True
    """

    def __init__(
        self, loans: Sequence[CollateralLoan] = (), errors: Sequence[LoanRowError] = ()
    ) -> None:
        found = tuple(loans)
        seen: dict[str, int] = {}
        problems: list[FieldProblem] = []
        for i, loan in enumerate(found):
            if not isinstance(loan, CollateralLoan):
                raise ValidationError(
                    f"LoanBook.loans[{i}]", "must be a CollateralLoan", type(loan).__name__
                )
            if loan.id in seen:
                problems.append(
                    FieldProblem(
                        f"CollateralLoan[{loan.id}].id",
                        f"duplicates the id of loans[{seen[loan.id]}]",
                        loan.id,
                    )
                )
            seen.setdefault(loan.id, i)
        if problems:
            raise ValidationError.from_problems(problems)
        self._loans = found
        self._errors = tuple(errors)

    @classmethod
    def from_models(cls, loans: Sequence[CollateralLoan]) -> LoanBook:
        """A book of already validated loans (ids must be unique)."""
        return cls(loans)

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, errors: Literal["raise", "collect"] = "raise"
    ) -> LoanBook:
        """Load one loan per row (columns as in the module docs).

        ``errors="raise"`` (default): any bad row raises one
        :class:`~computefin.errors.ValidationError` listing every problem of every bad row,
        each reason ending with ``(frame row <label>)``. ``errors="collect"``: bad rows are
        left out and reported in :attr:`errors` (row label, loan id, field, reason); the
        good rows load. A repeated id is an error of the later row.

        >>> frame = pd.DataFrame([
        ...     {"id": "a", "borrower_counterparty_id": "b", "principal": 100.0,
        ...      "currency": "CNY", "start": "2027-01-15", "maturity": "2029-01-15",
        ...      "frequency": "annual", "amortization": "bullet", "index": "LPR1Y",
        ...      "margin": 0.01, "draws": '[["2027-01-15", 60.0], ["2027-06-01", 40.0]]'},
        ...     {"id": "b", "borrower_counterparty_id": "b", "principal": 100.0,
        ...      "currency": "CNY", "start": "2027-01-15", "maturity": "2029-01-15",
        ...      "frequency": "annual", "amortization": "bullet", "index": "LPR1Y",
        ...      "margin": 1.5}])
        >>> book = LoanBook.from_frame(frame, errors="collect")
        >>> book.ids, [(e.row, e.loan_id, e.field) for e in book.errors]
        (('a',), [(1, 'b', 'CollateralLoan[b].margin')])
        """
        if errors not in ("raise", "collect"):
            raise ValidationError("errors", "must be 'raise' or 'collect'", errors)
        loans: list[CollateralLoan] = []
        bad: list[LoanRowError] = []
        seen: dict[str, Hashable] = {}
        for label, row in zip(frame.index, frame.to_dict("records"), strict=True):
            raw_id = row.get("id")
            loan_id = None if _missing(raw_id) else str(_plain(raw_id)).strip()
            try:
                loan = CollateralLoan.model_validate(_row_to_data(row, loan_id))
            except ValidationError as exc:
                bad.extend(
                    LoanRowError(label, loan_id, p.field, p.reason, p.value) for p in exc.problems
                )
                continue
            if loan.id in seen:
                bad.append(
                    LoanRowError(
                        label,
                        loan.id,
                        f"CollateralLoan[{loan.id}].id",
                        f"duplicates the id of frame row {seen[loan.id]}",
                        loan.id,
                    )
                )
                continue
            seen[loan.id] = label
            loans.append(loan)
        if bad and errors == "raise":
            raise ValidationError.from_problems(
                FieldProblem(e.field, f"{e.reason} (frame row {e.row})", e.value) for e in bad
            )
        return cls(loans, bad)

    def to_frame(self) -> pd.DataFrame:
        """One row per loan, in the layout :meth:`from_frame` reads (JSON list columns)."""
        records = []
        for loan in self._loans:
            as_json = loan.model_dump(mode="json")
            flat: dict[str, Any] = {}
            for name in CollateralLoan.model_fields:
                if name in _NESTED:
                    flat.update(as_json[name])
                else:
                    flat[name] = getattr(loan, name) if name in _DATE_FIELDS else as_json[name]
            for name in FRAME_JSON_COLUMNS & flat.keys():
                flat[name] = json.dumps(flat[name])
            records.append(flat)
        return pd.DataFrame(records, columns=list(_FRAME_COLUMNS))

    @property
    def loans(self) -> tuple[CollateralLoan, ...]:
        """The loans, in load order."""
        return self._loans

    @property
    def errors(self) -> tuple[LoanRowError, ...]:
        """Rows left out by ``from_frame(errors="collect")`` (empty otherwise)."""
        return self._errors

    @property
    def ids(self) -> tuple[str, ...]:
        """Loan ids, in load order."""
        return tuple(loan.id for loan in self._loans)

    def __len__(self) -> int:
        return len(self._loans)

    def __iter__(self) -> Iterator[CollateralLoan]:
        return iter(self._loans)

    def __getitem__(self, key: int | str) -> CollateralLoan:
        if isinstance(key, str):
            for loan in self._loans:
                if loan.id == key:
                    return loan
            raise KeyError(f"no loan {key!r} in the book")
        return self._loans[key]

    def __repr__(self) -> str:
        return f"LoanBook({len(self)} loans, {len(self._errors)} row errors)"

    @cached_property
    def columns(self) -> LoanColumns:
        """The loans' terms as arrays (built once, on first use)."""
        return LoanColumns.from_loans(self._loans)

    def cashflows(
        self,
        market: MarketSnapshot | None = None,
        *,
        curves: Mapping[RateIndex, Curve] | None = None,
        calendars: Mapping[str, MarketCalendar] | None = None,
    ) -> LoanCashflows:
        """Per-period cash flows of every loan at once (:mod:`.cashflows` has the formulas).

        ``market`` gives past fixings and, through ``build_curves``, the curves that
        project future ones; it may be omitted for a book of fixed-rate loans. ``curves``
        replaces the snapshot's curves (``{RateIndex: Curve}``); ``calendars`` replaces
        calendars by name (``{"CN-IB": calendar("CN-IB", bank_table)}``).
        """
        return book_cashflows(self.columns, market, curves, calendars)

    def iter_cashflows(
        self,
        market: MarketSnapshot | None = None,
        *,
        chunk_size: int = 50_000,
        curves: Mapping[RateIndex, Curve] | None = None,
        calendars: Mapping[str, MarketCalendar] | None = None,
    ) -> Iterator[LoanCashflows]:
        """:meth:`cashflows` chunk by chunk (``chunk_size`` loans each), curves built once."""
        if chunk_size < 1:
            raise ValidationError("chunk_size", "must be at least 1", chunk_size)
        if curves is None and market is not None and any(loan.is_floating for loan in self):
            curves = build_curves(market)
        for lo in range(0, len(self), chunk_size):
            part = LoanBook(self._loans[lo : lo + chunk_size])
            yield part.cashflows(market, curves=curves, calendars=calendars)


_DATE_FIELDS: Final[frozenset[str]] = frozenset(
    name
    for name, info in CollateralLoan.model_fields.items()
    if info.annotation in (dt.date, dt.date | None)
)
