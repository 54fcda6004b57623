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
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from computefin.domain.market import MarketSnapshot, RateIndex
from computefin.errors import FieldProblem, ValidationError
from computefin.pricing import Curve, MarketCalendar, build_curves
from computefin.pricing.analytics import BondMeasures
from computefin.products.loan._columnar import ParsedColumns, parse_columns
from computefin.products.loan._columns import LoanColumns, concat_columns, select_columns
from computefin.products.loan._fields import LoanCollateral, LoanCovenants
from computefin.products.loan._grid import GridCache
from computefin.products.loan.cashflows import LoanCashflows, book_cashflows
from computefin.products.loan.measures import book_measures
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


def _load_row(
    label: Hashable, row: Mapping[Hashable, Any], bad: list[LoanRowError]
) -> CollateralLoan | None:
    """One frame row as a model, or ``None`` with its problems appended to ``bad``."""
    raw_id = row.get("id")
    loan_id = None if _missing(raw_id) else str(_plain(raw_id)).strip()
    try:
        return CollateralLoan.model_validate(_row_to_data(row, loan_id))
    except ValidationError as exc:
        bad.extend(LoanRowError(label, loan_id, p.field, p.reason, p.value) for p in exc.problems)
        return None


def _duplicate(label: Hashable, loan_id: str, first: Hashable) -> LoanRowError:
    return LoanRowError(
        label,
        loan_id,
        f"CollateralLoan[{loan_id}].id",
        f"duplicates the id of frame row {first}",
        loan_id,
    )


def _raise_if(bad: Sequence[LoanRowError], errors: str) -> None:
    if bad and errors == "raise":
        raise ValidationError.from_problems(
            FieldProblem(e.field, f"{e.reason} (frame row {e.row})", e.value) for e in bad
        )


def _assemble(
    parsed: ParsedColumns, slow_loans: Mapping[int, CollateralLoan], keep: Sequence[int]
) -> LoanColumns:
    """The columns of the kept rows, in frame order: fast rows' arrays, slow rows' models."""
    fast_pos = parsed.fast
    if not slow_loans and len(keep) == fast_pos.size:
        return parsed.columns
    slow_pos = np.asarray(sorted(slow_loans), dtype=np.int64)
    slow_cols = LoanColumns.from_loans([slow_loans[p] for p in slow_pos.tolist()])
    both = concat_columns(parsed.columns, slow_cols)
    where = {p: i for i, p in enumerate([*fast_pos.tolist(), *slow_pos.tolist()])}
    return select_columns(both, np.asarray([where[p] for p in keep], dtype=np.int64))


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
        self._loans: tuple[CollateralLoan, ...] | None = found
        self._make_loans: Callable[[], tuple[CollateralLoan, ...]] | None = None
        self._ids: tuple[str, ...] | None = None
        self._n = len(found)
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
            loan = _load_row(label, row, bad)
            if loan is None:
                continue
            if loan.id in seen:
                bad.append(_duplicate(label, loan.id, seen[loan.id]))
                continue
            seen[loan.id] = label
            loans.append(loan)
        _raise_if(bad, errors)
        return cls(loans, bad)

    @classmethod
    def from_columns(
        cls,
        data: pd.DataFrame | Mapping[str, Any],
        *,
        validate: bool = True,
        errors: Literal["raise", "collect"] = "raise",
    ) -> LoanBook:
        """Load a book from columns (a frame, or a mapping of equal-length arrays) without
        building a model per loan: the fast way in for large books.

        The layout, the rules, the errors (``raise`` / ``collect``, named
        ``CollateralLoan[<id>].<field>``, with the frame row) and the loans are those of
        :meth:`from_frame`: rules are checked as array operations over all rows, and only
        the rows that break one, or carry what the column checks do not cover (draws, a
        custom schedule, collateral, covenants, unusual spellings), go through
        :class:`CollateralLoan` one by one. :attr:`loans` are built on first use.
        ``validate=False`` skips the array rule checks (for terms already validated
        upstream; a broken rule then goes unreported).

        >>> book = LoanBook.from_columns({
        ...     "id": ["a", "b"], "borrower_counterparty_id": ["x", "x"],
        ...     "principal": [100.0, 250.0], "currency": ["USD", "CNY"],
        ...     "start": np.array(["2027-01-15", "2027-02-01"], dtype="datetime64[D]"),
        ...     "maturity": np.array(["2029-01-15", "2030-02-01"], dtype="datetime64[D]"),
        ...     "frequency": ["quarterly", "annual"], "amortization": ["level", "bullet"],
        ...     "fixed_rate": [0.06, np.nan], "index": [None, "LPR1Y"],
        ...     "margin": [np.nan, 0.01]})
        >>> book.ids, len(book)
        (('a', 'b'), 2)
        >>> book.loans[1].calendar, book.loans[1].fixing_lag_days
        ('CN-IB', 0)
        >>> LoanBook.from_columns({"id": ["c"], "borrower_counterparty_id": ["x"],
        ...     "principal": [1.0], "currency": ["USD"], "start": ["2027-01-15"],
        ...     "maturity": ["2026-01-15"], "frequency": ["annual"],
        ...     "amortization": ["bullet"], "fixed_rate": [0.05]})
        Traceback (most recent call last):
        ...
        computefin.errors.ValidationError: CollateralLoan[c].maturity: must be after start ...
        """
        if errors not in ("raise", "collect"):
            raise ValidationError("errors", "must be 'raise' or 'collect'", errors)
        frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(dict(data))
        parsed = parse_columns(frame, validate=validate)
        labels = list(frame.index)
        problems: dict[int, list[LoanRowError]] = {}
        slow_loans: dict[int, CollateralLoan] = {}
        if parsed.slow.size:
            records = frame.iloc[parsed.slow].to_dict("records")
            for pos, row in zip(parsed.slow.tolist(), records, strict=True):
                found: list[LoanRowError] = []
                loan = _load_row(labels[pos], row, found)
                if loan is None:
                    problems[pos] = found
                else:
                    slow_loans[pos] = loan
        # good rows in frame order; a repeated id is an error of the later row
        fast_ids = dict(zip(parsed.fast.tolist(), parsed.columns.ids, strict=True))
        order = sorted([*fast_ids, *slow_loans]) if slow_loans else list(fast_ids)
        ids = [fast_ids[p] if p in fast_ids else slow_loans[p].id for p in order]
        keep = order
        if len(set(ids)) != len(ids):
            keep = []
            seen: dict[str, int] = {}
            for p, loan_id in zip(order, ids, strict=True):
                if loan_id in seen:
                    problems[p] = [_duplicate(labels[p], loan_id, labels[seen[loan_id]])]
                    continue
                seen[loan_id] = p
                keep.append(p)
        bad = [e for p in sorted(problems) for e in problems[p]]
        _raise_if(bad, errors)
        columns = _assemble(parsed, slow_loans, keep)
        book = cls.__new__(cls)
        book._loans = None
        book._ids = columns.ids
        book._n = len(columns)
        book._errors = tuple(bad)
        book.__dict__["columns"] = columns
        rows = frame.iloc[keep] if len(keep) != len(frame) else frame

        def make() -> tuple[CollateralLoan, ...]:
            out: list[CollateralLoan] = []
            for p, row in zip(keep, rows.to_dict("records"), strict=True):
                found = slow_loans.get(p)
                if found is None:
                    found = CollateralLoan.model_validate(_row_to_data(row, fast_ids[p]))
                out.append(found)
            return tuple(out)

        book._make_loans = make
        return book

    def to_frame(self) -> pd.DataFrame:
        """One row per loan, in the layout :meth:`from_frame` reads (JSON list columns)."""
        records = []
        for loan in self.loans:
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
        """The loans, in load order (a columnar book builds its models on first use)."""
        if self._loans is None:
            assert self._make_loans is not None
            self._loans = self._make_loans()
            self._make_loans = None
        return self._loans

    @property
    def errors(self) -> tuple[LoanRowError, ...]:
        """Rows left out by ``from_frame(errors="collect")`` (empty otherwise)."""
        return self._errors

    @property
    def ids(self) -> tuple[str, ...]:
        """Loan ids, in load order."""
        if self._ids is None:
            self._ids = tuple(loan.id for loan in self.loans)
        return self._ids

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[CollateralLoan]:
        return iter(self.loans)

    def __getitem__(self, key: int | str) -> CollateralLoan:
        if isinstance(key, str):
            for loan in self.loans:
                if loan.id == key:
                    return loan
            raise KeyError(f"no loan {key!r} in the book")
        return self.loans[key]

    def __repr__(self) -> str:
        return f"LoanBook({len(self)} loans, {len(self._errors)} row errors)"

    @cached_property
    def columns(self) -> LoanColumns:
        """The loans' terms as arrays (built once, on first use)."""
        return LoanColumns.from_loans(self.loans)

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

    def measures(
        self,
        market: MarketSnapshot | None,
        discount_curves: Mapping[str, Curve],
        **options: Any,
    ) -> BondMeasures:
        """PV, yield, WAL, durations and convexity of every loan, in one compiled pass
        per loan: :func:`computefin.products.loan.measures.book_measures` (its keyword
        ``options``: ``settlement``, ``curves``, ``frequency``, ``day_count``,
        ``wal_day_count``, ...). ``discount_curves``: ``{currency: Curve}``.

        >>> from computefin.pricing.curves import flat_curve
        >>> loan = CollateralLoan(id="a", borrower_counterparty_id="b", principal=1e6,
        ...     currency="USD", start=dt.date(2027, 1, 15), maturity=dt.date(2030, 1, 15),
        ...     frequency="quarterly", amortization="bullet", fixed_rate=0.05)
        >>> m = LoanBook([loan]).measures(None, {"USD": flat_curve("2027-01-15", 0.05)})
        >>> round(float(m.pv[0]), 2), round(float(m.wal[0]), 4)
        (1001053.67, 3.0027)
        """
        return book_measures(self.columns, market, discount_curves, **options)

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
        columnar = "columns" in self.__dict__
        if columnar:
            floating = bool(self.columns.is_floating.any())
        else:
            floating = any(loan.is_floating for loan in self.loans)
        if curves is None and market is not None and floating:
            curves = build_curves(market)
        cache = GridCache(calendars)  # each schedule shape made once for the whole book
        for lo in range(0, len(self), chunk_size):
            part = (
                self.columns.take(slice(lo, lo + chunk_size))
                if columnar
                else LoanColumns.from_loans(self.loans[lo : lo + chunk_size])
            )
            yield book_cashflows(part, market, curves, calendars, cache)


_DATE_FIELDS: Final[frozenset[str]] = frozenset(
    name
    for name, info in CollateralLoan.model_fields.items()
    if info.annotation in (dt.date, dt.date | None)
)
