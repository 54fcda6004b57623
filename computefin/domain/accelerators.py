"""The accelerator catalog: GPU and NPU models with their datasheet facts and successors.

One :class:`Accelerator` row per model (per GPU, not per server): memory, power, dense BF16
throughput, an approximate list price, its launch date and the model that replaced it.
Obsolescence follows the ``successor`` links, so the catalog checks that they form valid
chains (every successor exists and launched later).

The package ships a catalog (``computefin/domain/data/accelerators.csv``, see
``docs/catalog.md``); a bank lays its own file on top with :func:`load_catalog`, and
scopes a catalog to a block of code with :func:`use_catalog`. Other domain models validate
accelerator ids against :func:`active_catalog`.

>>> cat = catalog()
>>> cat["nvidia-h100-sxm"].memory_gb
80.0
>>> cat.successor_chain("nvidia-a100-80gb-sxm")
['nvidia-h100-sxm', 'nvidia-h200-sxm', 'nvidia-b200', 'nvidia-b300']
"""

from __future__ import annotations

import contextlib
import contextvars
import csv
import datetime as dt
import difflib
import functools
import importlib.resources
import io
import math
import os
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, NoReturn, TextIO

from pydantic import Field, field_validator, model_validator

from computefin.domain._base import DomainModel
from computefin.domain._types import Currency, PositiveFloat, Slug
from computefin.errors import FieldProblem, ValidationError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Accelerator",
    "AcceleratorCatalog",
    "Market",
    "active_catalog",
    "catalog",
    "load_catalog",
    "use_catalog",
]

_MAX_MEMORY_GB: Final = 4096.0
_MIN_TDP_W: Final = 10.0
_MAX_TDP_W: Final = 10_000.0
_MIN_TFLOPS: Final = 10.0
_MAX_TFLOPS: Final = 1_000_000.0


class Market(StrEnum):
    """Where a model is sold: worldwide, or only in China.

    ``china`` covers NVIDIA's export-control parts (A800, H800, H20, L20) and domestic
    Chinese accelerators (Huawei Ascend).

    >>> Market("china") is Market.CHINA
    True
    """

    GLOBAL = "global"
    CHINA = "china"


class Accelerator(DomainModel):
    """One accelerator model, per GPU (or NPU package), with public datasheet facts.

    >>> h100 = Accelerator(
    ...     id="nvidia-h100-sxm", vendor="NVIDIA", model="H100 SXM5 80GB",
    ...     launch_date="2022-03-22", memory_gb=80, tdp_w=700, dense_bf16_tflops=989.4,
    ...     list_price=30000, list_price_currency="USD", successor="nvidia-h200-sxm",
    ...     market="global", source="NVIDIA H100 datasheet; price approx. per press 2023")
    >>> (h100.memory_gb, h100.tdp_w, h100.launch_date.year)
    (80.0, 700.0, 2022)
    >>> Accelerator.model_validate({**h100.model_dump(), "successor": "nvidia-h100-sxm"})
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: Accelerator.successor: must differ from the model's own ...
    """

    id: Slug = Field(
        description="Catalog key, a lowercase slug: vendor-model[-variant], "
        "e.g. 'nvidia-h100-sxm', 'huawei-ascend-910b'."
    )
    vendor: str = Field(min_length=1, max_length=64, description="Vendor name, e.g. 'NVIDIA'.")
    model: str = Field(
        min_length=1, max_length=128, description="Marketing name and variant, e.g. 'H100 SXM5'."
    )
    launch_date: dt.date = Field(
        description="Vendor launch (announcement) date; first day of the month or quarter "
        "when only that is public (the source then says approx.)."
    )
    memory_gb: PositiveFloat = Field(
        description="On-package accelerator memory per GPU, in GB (decimal gigabytes)."
    )
    tdp_w: PositiveFloat = Field(
        description="Maximum board / module power (TDP or TBP) per GPU, in watts."
    )
    dense_bf16_tflops: PositiveFloat = Field(
        description="Peak dense BF16 (FP16 where BF16 is not quoted) tensor throughput per GPU, "
        "in TFLOPS, without structured sparsity."
    )
    list_price: PositiveFloat = Field(
        description="Approximate new price per GPU in list_price_currency; mostly street "
        "prices from press reports, not vendor list prices (see source)."
    )
    list_price_currency: Currency = Field(description="ISO 4217 currency of list_price.")
    successor: Slug | None = Field(
        default=None,
        description="Id of the model that replaced this one in the same slot (form factor "
        "and market); None if none is in the catalog. Must launch later.",
    )
    market: Market = Field(
        description="'global', or 'china' for China-market export parts and domestic parts."
    )
    source: str = Field(
        min_length=1,
        max_length=1000,
        description="Public sources of the row: datasheet and price report; '(approx.)' marks "
        "figures from secondary reporting.",
    )

    @field_validator("memory_gb")
    @classmethod
    def _memory_in_gb(cls, value: float) -> float:
        if value > _MAX_MEMORY_GB:
            raise ValueError(f"memory_gb is in GB; {value!r} is above 4096 and looks like MB")
        return value

    @field_validator("tdp_w")
    @classmethod
    def _power_in_watts(cls, value: float) -> float:
        if value < _MIN_TDP_W:
            raise ValueError(f"tdp_w is in watts; {value!r} is below 10 and looks like kW")
        if value > _MAX_TDP_W:
            raise ValueError(f"tdp_w is per GPU in watts; {value!r} is above 10000")
        return value

    @field_validator("dense_bf16_tflops")
    @classmethod
    def _throughput_in_tflops(cls, value: float) -> float:
        if value < _MIN_TFLOPS:
            raise ValueError(
                f"dense_bf16_tflops is in TFLOPS; {value!r} is below 10 and looks like PFLOPS"
            )
        if value > _MAX_TFLOPS:
            raise ValueError(f"dense_bf16_tflops is per GPU in TFLOPS; {value!r} is too large")
        return value

    @model_validator(mode="after")
    def _successor_is_another_model(self) -> Accelerator:
        if self.successor is not None and self.successor == self.id:
            raise ValidationError(
                "successor", "must differ from the model's own id", self.successor
            )
        return self


_FIELDS: Final[tuple[str, ...]] = tuple(Accelerator.model_fields)
_REQUIRED: Final[frozenset[str]] = frozenset(
    name for name, info in Accelerator.model_fields.items() if info.is_required()
)

# An accelerator and, when it came from a file or a frame, where ("bank.csv line 5").
_Entry = tuple[Accelerator, str | None]


class AcceleratorCatalog:
    """An immutable set of accelerators keyed by id, with valid successor chains.

    Indexing and ``get`` look up by id; iteration yields :class:`Accelerator` objects in
    file order; ``in`` accepts an id (or an Accelerator).

    >>> cat = catalog()
    >>> "nvidia-h100-sxm" in cat, len(cat) >= 18
    (True, True)
    >>> cat["nvidia-h100-sxm"].tdp_w
    700.0
    >>> cat["nvidia-h100"]  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: accelerator_id: unknown accelerator id; close known ids: ...
    """

    __slots__ = ("_by_id",)
    _by_id: Mapping[str, Accelerator]

    def __init__(self, accelerators: Iterable[Accelerator] = ()) -> None:
        entries: list[_Entry] = [(a, None) for a in accelerators]
        object.__setattr__(self, "_by_id", _validated(_index(entries, "AcceleratorCatalog")))

    @classmethod
    def _from_entries(cls, entries: Sequence[_Entry]) -> AcceleratorCatalog:
        out = cls.__new__(cls)
        object.__setattr__(out, "_by_id", _validated(_index(entries, "AcceleratorCatalog")))
        return out

    # --- immutability, equality, pickling -------------------------------------------------

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("AcceleratorCatalog is immutable; use merged() to derive a new one")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("AcceleratorCatalog is immutable")

    def __reduce__(self) -> tuple[type[AcceleratorCatalog], tuple[tuple[Accelerator, ...]]]:
        return (AcceleratorCatalog, (tuple(self._by_id.values()),))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AcceleratorCatalog):
            return NotImplemented
        return dict(self._by_id) == dict(other._by_id)

    def __hash__(self) -> int:
        return hash(frozenset(self._by_id.values()))

    def __repr__(self) -> str:
        return f"AcceleratorCatalog({len(self._by_id)} accelerators)"

    # --- mapping-like access --------------------------------------------------------------

    def __getitem__(self, accelerator_id: str) -> Accelerator:
        try:
            return self._by_id[accelerator_id]
        except (KeyError, TypeError):
            self._unknown(accelerator_id)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, Accelerator):
            return self._by_id.get(item.id) == item
        return isinstance(item, str) and item in self._by_id

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Accelerator]:
        return iter(self._by_id.values())

    @property
    def ids(self) -> tuple[str, ...]:
        """The ids, in catalog order.

        >>> catalog().ids[:2]
        ('nvidia-a100-40gb-sxm', 'nvidia-a100-80gb-sxm')
        """
        return tuple(self._by_id)

    def get(self, accelerator_id: str, default: Accelerator | None = None) -> Accelerator | None:
        """The accelerator with this id, or ``default`` when there is none.

        >>> catalog().get("no-such-gpu") is None
        True
        """
        return self._by_id.get(accelerator_id, default)

    def _unknown(self, accelerator_id: object) -> NoReturn:
        if not isinstance(accelerator_id, str):
            raise ValidationError(
                "accelerator_id", "must be a string id", type(accelerator_id).__name__
            )
        raise ValidationError(
            "accelerator_id", self._unknown_reason(accelerator_id), accelerator_id
        )

    def _unknown_reason(self, accelerator_id: str) -> str:
        key = accelerator_id.strip().lower()
        ids = list(self._by_id)
        close = [i for i in ids if key and key in i][:3]
        for match in difflib.get_close_matches(key, ids, n=5, cutoff=0.4):
            if match not in close and len(close) < 5:
                close.append(match)
        if close:
            return "unknown accelerator id; close known ids: " + ", ".join(close)
        return f"unknown accelerator id; none of the {len(ids)} known ids is close"

    # --- successors -----------------------------------------------------------------------

    def successor_chain(self, accelerator_id: str) -> list[str]:
        """The ids of the successive replacements of a model, nearest first (not itself).

        >>> catalog().successor_chain("nvidia-a800-sxm")
        ['nvidia-h800-sxm', 'nvidia-h20']
        >>> catalog().successor_chain("nvidia-b300")
        []
        """
        chain: list[str] = []
        successor = self[accelerator_id].successor
        while successor is not None:  # launch dates strictly increase, so this ends
            chain.append(successor)
            successor = self._by_id[successor].successor
        return chain

    # --- derivation and conversion --------------------------------------------------------

    def merged(self, other: AcceleratorCatalog | Iterable[Accelerator]) -> AcceleratorCatalog:
        """A new catalog: this one with ``other``'s rows replacing or adding by id.

        Successor links are checked on the result, so ``other`` may point at ids that only
        this catalog holds.

        >>> base = catalog()
        >>> cheaper = base["nvidia-h100-sxm"].model_copy(update={"list_price": 22000.0})
        >>> merged = base.merged([cheaper])
        >>> merged["nvidia-h100-sxm"].list_price, base["nvidia-h100-sxm"].list_price
        (22000.0, 30000.0)
        >>> len(merged) == len(base)
        True
        """
        extra: list[_Entry] = [(a, None) for a in other]
        return self._merged_entries(extra, "AcceleratorCatalog.merged")

    def _merged_entries(self, extra: Sequence[_Entry], where: str) -> AcceleratorCatalog:
        combined: dict[str, _Entry] = {key: (a, None) for key, a in self._by_id.items()}
        combined.update(_index(extra, where))
        out = AcceleratorCatalog.__new__(AcceleratorCatalog)
        object.__setattr__(out, "_by_id", _validated(combined))
        return out

    def to_frame(self) -> pd.DataFrame:
        """A pandas DataFrame indexed by id, one column per other field (plain values).

        >>> frame = catalog().to_frame()
        >>> float(frame.loc["nvidia-h200-sxm", "memory_gb"])
        141.0
        >>> list(frame.columns[:3])
        ['vendor', 'model', 'launch_date']
        """
        import pandas as pd

        records = [_plain(a) for a in self._by_id.values()]
        return pd.DataFrame.from_records(records, columns=list(_FIELDS)).set_index("id")

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, origin: str = "DataFrame") -> AcceleratorCatalog:
        """Build a catalog from a DataFrame shaped like :meth:`to_frame` (or with an id column).

        Errors name ``origin``, the row position (0-based) and the field.

        >>> cat = catalog()
        >>> AcceleratorCatalog.from_frame(cat.to_frame()) == cat
        True
        """
        if "id" not in frame.columns and frame.index.name == "id":
            frame = frame.reset_index()
        _check_columns([str(c) for c in frame.columns], f"{origin} columns")
        entries: list[_Entry] = []
        problems: list[FieldProblem] = []
        for position, record in enumerate(frame.to_dict(orient="records")):
            _parse_row(record, f"{origin} row {position}", entries, problems)
        if problems:
            raise ValidationError.from_problems(problems)
        return cls._from_entries(entries)

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str]) -> AcceleratorCatalog:
        """Read a catalog from a UTF-8 CSV file with a header row of field names.

        Empty cells are missing values (``successor`` may be empty). Errors name the file,
        the line and the field.

        >>> import tempfile, pathlib
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     path = pathlib.Path(tmp, "bad.csv")
        ...     _ = path.write_text(
        ...         "id,vendor,model,launch_date,memory_gb,tdp_w,dense_bf16_tflops,"
        ...         "list_price,list_price_currency,successor,market,source\\n"
        ...         "acme-x1,Acme,X1,2024-01-01,-80,700,900,1000,USD,,global,test\\n")
        ...     AcceleratorCatalog.from_csv(path)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        computefin.errors.ValidationError: .../bad.csv line 2: Accelerator.memory_gb: Input ...
        """
        return cls._from_entries(_read_csv_path(path))


# --- validation helpers ---------------------------------------------------------------------


def _index(entries: Iterable[_Entry], where: str) -> dict[str, _Entry]:
    """Key entries by id; reject non-Accelerators and duplicate ids."""
    out: dict[str, _Entry] = {}
    problems: list[FieldProblem] = []
    for position, entry in enumerate(entries):
        accelerator, origin = entry
        if not isinstance(accelerator, Accelerator):
            problems.append(FieldProblem(f"{where}[{position}]", "must be an Accelerator", None))
            continue
        if accelerator.id in out:
            first = out[accelerator.id][1]
            seen = f" (first at {first})" if first else ""
            label = f"{origin}: Accelerator.id" if origin else f"{where}[{position}].id"
            problems.append(FieldProblem(label, f"duplicate id{seen}", accelerator.id))
            continue
        out[accelerator.id] = (accelerator, origin)
    if problems:
        raise ValidationError.from_problems(problems)
    return out


def _validated(entries: Mapping[str, _Entry]) -> Mapping[str, Accelerator]:
    """Check every successor exists and launched later; return a read-only id map."""
    problems: list[FieldProblem] = []
    for key, (accelerator, origin) in entries.items():
        successor = accelerator.successor
        if successor is None:
            continue
        label = (
            f"{origin}: Accelerator.successor"
            if origin
            else f"AcceleratorCatalog[{key!r}].successor"
        )
        if successor not in entries:
            problems.append(FieldProblem(label, "successor id is not in the catalog", successor))
            continue
        later = entries[successor][0]
        if later.launch_date <= accelerator.launch_date:
            problems.append(
                FieldProblem(
                    label,
                    f"successor must launch after {key} ({accelerator.launch_date.isoformat()}) "
                    f"but launched {later.launch_date.isoformat()}",
                    successor,
                )
            )
    if problems:
        raise ValidationError.from_problems(problems)
    return MappingProxyType({key: accelerator for key, (accelerator, _) in entries.items()})


def _plain(accelerator: Accelerator) -> dict[str, object]:
    row: dict[str, object] = dict(accelerator)
    row["list_price_currency"] = accelerator.list_price_currency.value
    row["market"] = accelerator.market.value
    return row


def _check_columns(columns: Sequence[str], where: str) -> None:
    stripped = [c.strip() for c in columns]
    problems: list[FieldProblem] = []
    duplicates = sorted({c for c in stripped if stripped.count(c) > 1})
    if duplicates:
        problems.append(FieldProblem(where, "duplicate columns: " + ", ".join(duplicates)))
    unknown = [c for c in stripped if c not in _FIELDS]
    if unknown:
        problems.append(
            FieldProblem(
                where,
                "unknown columns: "
                + ", ".join(repr(c) for c in unknown)
                + "; expected "
                + ", ".join(_FIELDS),
            )
        )
    missing = [c for c in _FIELDS if c in _REQUIRED and c not in stripped]
    if missing:
        problems.append(FieldProblem(where, "missing columns: " + ", ".join(missing)))
    if problems:
        raise ValidationError.from_problems(problems)


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    # pandas' missing markers (NA, NaT) without importing pandas here
    return type(value).__name__ in {"NAType", "NaTType"}


def _clean(value: object) -> object:
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        value = item()  # numpy scalar -> Python scalar
    if isinstance(value, dt.datetime) and value.tzinfo is None and value.time() == dt.time():
        return value.date()
    return value


def _parse_row(
    record: Mapping[Hashable, Any],
    where: str,
    entries: list[_Entry],
    problems: list[FieldProblem],
) -> None:
    data = {str(k).strip(): _clean(v) for k, v in record.items() if not _is_missing(v)}
    try:
        entries.append((Accelerator.model_validate(data), where))
    except ValidationError as exc:
        problems.extend(
            FieldProblem(f"{where}: {p.field}", p.reason, p.value) for p in exc.problems
        )


def _parse_csv(stream: TextIO, origin: str) -> list[_Entry]:
    reader = csv.DictReader(stream, restkey="\x00extra")
    entries: list[_Entry] = []
    problems: list[FieldProblem] = []
    try:
        header = reader.fieldnames
        if header is None:
            raise ValidationError(
                f"{origin} line 1", "empty file; expected a header row: " + ",".join(_FIELDS)
            )
        _check_columns(list(header), f"{origin} line 1")
        for row in reader:
            where = f"{origin} line {reader.line_num}"
            extra = row.pop("\x00extra", None)
            if extra:
                problems.append(
                    FieldProblem(where, f"row has {len(extra)} more values than the header")
                )
                continue
            _parse_row(row, where, entries, problems)
    except csv.Error as exc:
        raise ValidationError(f"{origin} line {reader.line_num}", f"malformed CSV: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ValidationError(origin, f"not UTF-8 text: {exc.reason}") from exc
    if problems:
        raise ValidationError.from_problems(problems)
    return entries


def _read_csv_path(path: str | os.PathLike[str]) -> list[_Entry]:
    origin = os.fspath(path)
    with open(path, encoding="utf-8-sig", newline="") as stream:
        return _parse_csv(stream, origin)


# --- the shipped and the active catalog -------------------------------------------------------

_PACKAGE_FILE: Final = "computefin/domain/data/accelerators.csv"


@functools.cache
def catalog() -> AcceleratorCatalog:
    """The catalog shipped with the package, read once from its data file.

    >>> catalog() is catalog()
    True
    >>> catalog()["huawei-ascend-910b"].list_price_currency.value
    'CNY'
    """
    resource = importlib.resources.files("computefin.domain") / "data" / "accelerators.csv"
    text = resource.read_text(encoding="utf-8-sig")
    return AcceleratorCatalog._from_entries(
        _parse_csv(io.StringIO(text, newline=""), _PACKAGE_FILE)
    )


def load_catalog(
    path: str | os.PathLike[str], base: AcceleratorCatalog | None = None
) -> AcceleratorCatalog:
    """``base`` (default: the shipped catalog) with a bank's CSV file laid on top by id.

    The file has the same columns as the shipped one; its rows replace rows with the same
    id and add new ones. Successor links are checked on the result, and errors name the
    bank's file and line.

    >>> import tempfile, pathlib
    >>> row = catalog()["nvidia-h20"].model_copy(
    ...     update={"list_price": 95000.0, "list_price_currency": Currency.CNY})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp, "bank.csv")
    ...     AcceleratorCatalog([row]).to_frame().to_csv(path)
    ...     mine = load_catalog(path)
    >>> mine["nvidia-h20"].list_price, mine["nvidia-h20"].list_price_currency.value
    (95000.0, 'CNY')
    """
    start = catalog() if base is None else base
    if not isinstance(start, AcceleratorCatalog):
        raise ValidationError("base", "must be an AcceleratorCatalog", type(start).__name__)
    return start._merged_entries(_read_csv_path(path), os.fspath(path))


_ACTIVE: Final[contextvars.ContextVar[AcceleratorCatalog | None]] = contextvars.ContextVar(
    "computefin_active_accelerator_catalog", default=None
)


def active_catalog() -> AcceleratorCatalog:
    """The catalog in force: the one set by :func:`use_catalog`, else the shipped one.

    Cheap (a context-variable read), so validators may call it on every model.

    >>> active_catalog() is catalog()
    True
    """
    current = _ACTIVE.get()
    return catalog() if current is None else current


@contextlib.contextmanager
def use_catalog(cat: AcceleratorCatalog) -> Iterator[AcceleratorCatalog]:
    """Make ``cat`` the :func:`active_catalog` inside a ``with`` block (thread/task local).

    The previous catalog comes back when the block ends, also on an exception.

    >>> mine = AcceleratorCatalog([catalog()["nvidia-h20"]])
    >>> with use_catalog(mine):
    ...     len(active_catalog())
    1
    >>> active_catalog() is catalog()
    True
    """
    if not isinstance(cat, AcceleratorCatalog):
        raise ValidationError("catalog", "must be an AcceleratorCatalog", type(cat).__name__)
    token = _ACTIVE.set(cat)
    try:
        yield cat
    finally:
        _ACTIVE.reset(token)
