"""Files into the store and out: JSON, CSV and Parquet, validated through the domain models.

One file is one transaction: every record is validated (types, ranges, references to
what is already stored, over-committed fleets) before anything is written, and the first
bad record stops the load with its file, line (CSV), row (Parquet) or position (JSON)
and field; nothing of that file is kept.

Kinds: ``counterparties``, ``fleets``, ``contracts``, ``loans`` (tables or JSON lists),
``portfolio`` (a JSON document with counterparties, fleets and contracts), ``snapshot``
(a market snapshot, JSON), ``abs_deals`` (JSON: pool, structure and performance of each
deal), ``holdings`` (table or JSON: positions in ABS tranches) and ``certificates``
(JSON: compute rights certificates). Without ``kind``, the file name says it
(``loans.csv``, ``market.json``) or, for JSON, the content does. Tables have one column
per model field; nested fields are dotted columns (``site.name``) or JSON cells
(``server_groups``); loans use the layout of
:meth:`~computefin.products.LoanBook.to_frame`. An empty cell means the field's default.

>>> import tempfile, pathlib
>>> from computefin.engine.store import open_store
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> store = open_store(f"sqlite:///{folder / 'l.db'}", create=True)
>>> _ = (folder / "parties.csv").write_text(
...     "id,name,rating,rating_scale,sector,country\\n"
...     "p1,Operator One,AA,cn-domestic,neocloud,CN\\n"
...     "p2,Operator Two,AA,cn-domestic,neocloud,China\\n")
>>> load_file(store, folder / "parties.csv", kind="counterparties")
Traceback (most recent call last):
...
computefin.errors.ValidationError: ...parties.csv: line 3: Counterparty.country: ...
>>> count(store, "counterparties")  # nothing of the file was written
0
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pandas as pd
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from computefin.domain import Contract, Counterparty, Fleet, MarketSnapshot, Portfolio
from computefin.engine.holdings import Holding
from computefin.engine.store import Store
from computefin.engine.store.records import (
    load_abs_deals,
    load_certificates,
    load_holdings,
    load_loans,
    load_portfolio,
    save_abs_deals,
    save_certificates,
    save_contracts,
    save_counterparties,
    save_fleets,
    save_holdings,
    save_loans,
    save_portfolio,
    save_snapshot,
)
from computefin.engine.store.schema import (
    AbsDealRow,
    CertificateRow,
    ContractRow,
    CounterpartyRow,
    FleetRow,
    HoldingRow,
    LoanRow,
    MarketSnapshotRow,
)
from computefin.errors import FieldProblem, ValidationError
from computefin.products import CollateralLoan, LoanBook
from computefin.products.abs import AbsDeal
from computefin.products.certificate import ComputeCertificate

__all__ = ["KINDS", "LoadReport", "count", "export_file", "load_file", "read_records"]

KINDS: Final[tuple[str, ...]] = (
    "counterparties",
    "fleets",
    "contracts",
    "loans",
    "portfolio",
    "snapshot",
    "abs_deals",
    "holdings",
    "certificates",
)
"""What :func:`load_file` reads."""

_MODELS: Final[dict[str, type[BaseModel]]] = {
    "counterparties": Counterparty,
    "fleets": Fleet,
    "contracts": Contract,
    "loans": CollateralLoan,
    "abs_deals": AbsDeal,
    "holdings": Holding,
    "certificates": ComputeCertificate,
}
_ROWS: Final[dict[str, Any]] = {
    "counterparties": CounterpartyRow,
    "fleets": FleetRow,
    "contracts": ContractRow,
    "loans": LoanRow,
    "snapshot": MarketSnapshotRow,
    "abs_deals": AbsDealRow,
    "holdings": HoldingRow,
    "certificates": CertificateRow,
}
_TABLES: Final[frozenset[str]] = frozenset({".csv", ".parquet", ".pq"})


@dataclass(frozen=True)
class LoadReport:
    """What one file added: its kind and the number of records."""

    path: Path
    kind: str
    records: int


def _kind_of(path: Path, kind: str | None) -> str:
    if kind is not None:
        if kind not in KINDS:
            raise ValidationError("kind", f"must be one of {', '.join(KINDS)}", kind)
        return kind
    stem = path.stem.lower()
    if "abs" in stem or "deal" in stem:
        return "abs_deals"
    if "certificate" in stem:
        return "certificates"
    for name in KINDS:
        if name in stem or name.rstrip("s") in stem:
            return name
    if "market" in stem:
        return "snapshot"
    if path.suffix.lower() == ".json":
        data = _json(path)
        if isinstance(data, dict) and "as_of" in data:
            return "snapshot"
        if isinstance(data, dict) and {"counterparties", "fleets", "contracts"} & data.keys():
            return "portfolio"
    raise ValidationError(
        "kind", f"cannot tell what {path.name} holds from its name: pass --kind", None
    )


def _where(path: Path, label: Hashable) -> str:
    if path.suffix.lower() == ".csv" and isinstance(label, int):
        return f"{path}: line {label + 2}"  # header is line 1; no multi-line cells
    if path.suffix.lower() in _TABLES and isinstance(label, int):
        return f"{path}: row {label + 1}"
    return f"{path}: [{label}]"


def _located(path: Path, label: Hashable, exc: ValidationError) -> ValidationError:
    return ValidationError.from_problems(
        FieldProblem(f"{_where(path, label)}: {p.field}", p.reason, p.value) for p in exc.problems
    )


def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False)
        return pd.read_parquet(path)
    except (OSError, ValueError, ImportError) as exc:
        raise ValidationError(str(path), f"cannot read the file: {exc}") from exc


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in "[{":
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                return value
        return text
    if hasattr(value, "item"):
        return value.item()
    return value


def _row_data(row: Mapping[Hashable, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, raw in row.items():
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        if isinstance(raw, float) and raw != raw:  # NaN cell in a Parquet file
            continue
        parts = str(key).split(".")
        target = data
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = _cell(raw)
    return data


def read_records(path: Path, kind: str) -> list[BaseModel]:
    """The file's records as validated models (the first bad one raises, located)."""
    suffix = path.suffix.lower()
    if kind == "loans" and suffix in _TABLES:
        frame = _read_table(path)
        try:
            return list(LoanBook.from_frame(frame).loans)
        except ValidationError as exc:
            raise ValidationError.from_problems(
                FieldProblem(f"{path}: {p.field}", _line_note(path, p.reason), p.value)
                for p in exc.problems
            ) from None
    model = _MODELS[kind]
    if suffix in _TABLES:
        items: list[tuple[Hashable, Any]] = list(
            enumerate(_row_data(r) for r in _read_table(path).to_dict("records"))
        )
    elif suffix == ".json":
        items = list(enumerate(_json_list(path, kind)))
    else:
        raise ValidationError(str(path), "files must be .json, .csv or .parquet", suffix)
    out = []
    for label, data in items:
        try:
            out.append(model.model_validate(data))
        except ValidationError as exc:
            raise _located(path, label, exc) from None
    return out


def _line_note(path: Path, reason: str) -> str:
    """LoanBook says ``(frame row 3)``; a CSV reader wants the file line."""
    if path.suffix.lower() != ".csv" or "(frame row " not in reason:
        return reason
    head, _, tail = reason.rpartition("(frame row ")
    row = tail.rstrip(")")
    return f"{head}(line {int(row) + 2})" if row.isdigit() else reason


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(str(path), f"cannot read JSON: {exc}") from exc


def _json_list(path: Path, kind: str) -> list[Any]:
    data = _json(path)
    if isinstance(data, dict) and isinstance(data.get(kind), list):
        data = data[kind]
    if not isinstance(data, list):
        raise ValidationError(
            str(path), f"must hold a JSON list of {kind} (or {{{kind!r}: [...]}})"
        )
    return data


def _save_checked(
    session: Session, path: Path, save: Callable[[Session, Any], int], items: Any
) -> int:
    try:
        return save(session, items)
    except ValidationError as exc:
        raise ValidationError.from_problems(
            FieldProblem(f"{path}: {p.field}", p.reason, p.value) for p in exc.problems
        ) from None


def load_file(store: Store, path: str | Path, kind: str | None = None) -> LoadReport:
    """Validate one file and add its records to the store in one transaction."""
    path = Path(path)
    if not path.is_file():
        raise ValidationError(str(path), "no such file")
    kind = _kind_of(path, kind)
    if kind == "snapshot":
        try:
            market = MarketSnapshot.model_validate(_json(path))
        except ValidationError as exc:
            raise _located(path, "snapshot", exc) from None
        with store.session() as session:
            save_snapshot(session, market)
        return LoadReport(path, kind, 1)
    if kind == "portfolio":
        try:
            portfolio = Portfolio.model_validate(_json(path))
        except ValidationError as exc:
            raise _located(path, "portfolio", exc) from None
        with store.session() as session:
            added = _save_checked(session, path, lambda s, p: save_portfolio(s, p), portfolio)
        return LoadReport(path, kind, added)
    records = read_records(path, kind)
    savers: dict[str, Callable[[Session, Sequence[Any]], int]] = {
        "counterparties": save_counterparties,
        "fleets": save_fleets,
        "contracts": save_contracts,
        "loans": save_loans,
        "abs_deals": save_abs_deals,
        "holdings": save_holdings,
        "certificates": save_certificates,
    }
    with store.session() as session:
        added = _save_checked(session, path, savers[kind], records)
        if kind in ("fleets", "contracts"):
            _save_checked(session, path, lambda s, _: len(load_portfolio(s).fleets), [])
    return LoadReport(path, kind, added)


def count(store: Store, kind: str) -> int:
    """Records of one kind in the store."""
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(_ROWS[kind])) or 0)


def _flat(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, f"{name}."))
        elif isinstance(value, list):
            out[name] = json.dumps(value)
        else:
            out[name] = value
    return out


def export_file(store: Store, kind: str, path: str | Path) -> int:
    """Write every stored record of ``kind`` to ``path`` (JSON, CSV or Parquet) in the
    layout :func:`load_file` reads back; returns the number of records."""
    path = Path(path)
    if kind not in _MODELS:
        raise ValidationError("kind", f"export one of {', '.join(_MODELS)}", kind)
    with store.session() as session:
        if kind == "loans":
            items: list[BaseModel] = list(load_loans(session))
        elif kind == "abs_deals":
            items = list(load_abs_deals(session).values())
        elif kind == "holdings":
            items = list(load_holdings(session))
        elif kind == "certificates":
            items = list(load_certificates(session))
        else:
            portfolio = load_portfolio(session)
            items = list(getattr(portfolio, kind))
    suffix = path.suffix.lower()
    if suffix == ".json":
        text = json.dumps([m.model_dump(mode="json") for m in items], indent=1)
        path.write_text(text + "\n", encoding="utf-8")
        return len(items)
    if kind == "loans":
        frame = LoanBook.from_models(items).to_frame()  # type: ignore[arg-type]
    else:
        frame = pd.DataFrame([_flat(m.model_dump(mode="json")) for m in items])
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix in (".parquet", ".pq"):
        frame.astype(str).where(frame.notna(), "").to_parquet(path, index=False)
    else:
        raise ValidationError(str(path), "files must be .json, .csv or .parquet", suffix)
    return len(items)
