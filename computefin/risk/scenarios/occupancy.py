"""The compute platform occupancy feed: read, validate, and turn into utilization series.

A compute interconnection platform publishes, per registered resource (keyed by its
standard compute identifier, 算力标识), how many GPU cards it has and how many are busy.
The feed is a UTF-8 CSV with a header row and the columns of :data:`OCCUPANCY_COLUMNS`
(any order; other columns are ignored); see ``docs/occupancy-feed.md``. Rows join to
:class:`computefin.domain.Fleet` and :class:`computefin.domain.ServerGroup` by their
``resource_id``.

>>> import pathlib, tempfile
>>> text = ("timestamp,resource_id,provider,region,accelerator,gpus_total,gpus_busy\\n"
...         "2026-06-01T00:00,CN-NX-ZW-0001,acme,Ningxia,nvidia-h20,512,160\\n"
...         "2026-06-01T12:00,CN-NX-ZW-0001,acme,Ningxia,nvidia-h20,512,192\\n")
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = pathlib.Path(tmp, "feed.csv")
...     _ = path.write_text(text)
...     frame = read_occupancy_csv(path)
>>> occupancy_series(frame, "CN-NX-ZW-0001").round(4).tolist()
[0.3438]
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, TextIO

import numpy as np

from computefin.domain.accelerators import active_catalog
from computefin.errors import FieldProblem, ValidationError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["OCCUPANCY_COLUMNS", "occupancy_series", "read_occupancy_csv"]

OCCUPANCY_COLUMNS: Final[tuple[str, ...]] = (
    "timestamp",
    "resource_id",
    "provider",
    "region",
    "accelerator",
    "gpus_total",
    "gpus_busy",
)
"""Required columns of the occupancy feed, in the order the reader returns them."""

_MAX_PROBLEMS: Final = 50
_RESOURCE_ID: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$")
_WHOLE: Final = re.compile(r"^[+-]?\d+$")
_MAX_GPUS: Final = 100_000_000


class _Problems:
    """Bad cells collected across the whole file, reported together (capped)."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.items: list[tuple[int, str, str, object]] = []

    def add(self, line: int, column: str, reason: str, value: object = None) -> None:
        self.items.append((line, column, reason, value))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        self.items.sort(
            key=lambda item: (
                item[0],
                OCCUPANCY_COLUMNS.index(item[1]) if item[1] in OCCUPANCY_COLUMNS else -1,
            )
        )
        shown = [
            FieldProblem(f"{self.origin} line {line}: {column}", reason, value)
            for line, column, reason, value in self.items[:_MAX_PROBLEMS]
        ]
        if len(self.items) > _MAX_PROBLEMS:
            rest = len(self.items) - _MAX_PROBLEMS
            shown.append(FieldProblem(self.origin, f"... and {rest} more problems"))
        raise ValidationError.from_problems(shown)


def read_occupancy_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read and validate an occupancy feed; a frame with one row per CSV row, file order.

    Every row is checked (up to 50 problems are reported at once, each naming the file,
    the line and the column): a parseable ISO 8601 ``timestamp`` (all with a UTC offset or
    all without), a ``resource_id`` of letters, digits and ``_ . : / -``, non-empty
    ``provider`` and ``region``, an ``accelerator`` id in the active catalog, whole-number
    ``gpus_total`` > 0 and ``0 <= gpus_busy <= gpus_total``, and no repeated
    (``timestamp``, ``resource_id``) pair. Any problem raises
    :class:`computefin.errors.ValidationError`; nothing partial is returned.

    Columns of the result: ``timestamp`` (datetime64; UTC when the file has offsets),
    ``resource_id``, ``provider``, ``region``, ``accelerator`` (str), ``gpus_total``,
    ``gpus_busy`` (int64).

    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp, "bad.csv")
    ...     _ = path.write_text(
    ...         "timestamp,resource_id,provider,region,accelerator,gpus_total,gpus_busy\\n"
    ...         "2026-06-01,R-1,acme,Ningxia,nvidia-h20,8,9\\n")
    ...     read_occupancy_csv(path)
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: .../bad.csv line 2: gpus_busy: exceeds gpus_total ...
    """
    origin = os.fspath(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as stream:
            header, rows, lines = _read_rows(stream, origin)
    except UnicodeDecodeError as exc:
        raise ValidationError(origin, f"not UTF-8 text: {exc.reason}") from exc
    except OSError as exc:
        raise ValidationError("path", f"cannot read the occupancy feed: {exc}", origin) from exc
    return _validated_frame(header, rows, lines, origin)


def _read_rows(stream: TextIO, origin: str) -> tuple[list[str], list[list[str]], list[int]]:
    reader = csv.reader(stream)
    try:
        first = next(reader, None)
        if first is None:
            raise ValidationError(
                f"{origin} line 1",
                "empty file; expected a header row: " + ",".join(OCCUPANCY_COLUMNS),
            )
        header = [name.strip() for name in first]
        problems: list[FieldProblem] = []
        duplicated = sorted({name for name in header if header.count(name) > 1})
        if duplicated:
            problems.append(
                FieldProblem(f"{origin} line 1", "duplicate columns: " + ", ".join(duplicated))
            )
        missing = [name for name in OCCUPANCY_COLUMNS if name not in header]
        if missing:
            problems.append(
                FieldProblem(f"{origin} line 1", "missing columns: " + ", ".join(missing))
            )
        if problems:
            raise ValidationError.from_problems(problems)
        rows: list[list[str]] = []
        lines: list[int] = []
        for row in reader:
            if not row or all(not cell.strip() for cell in row):
                continue  # blank line
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise ValidationError(f"{origin} line {reader.line_num}", f"malformed CSV: {exc}") from exc
    return header, rows, lines


def _parse_timestamp(text: str) -> dt.datetime:
    value = text.strip()
    if len(value) == 10:  # a bare date
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
    return dt.datetime.fromisoformat(value)


def _validated_frame(
    header: list[str], rows: list[list[str]], lines: list[int], origin: str
) -> pd.DataFrame:
    import pandas as pd

    problems = _Problems(origin)
    width = len(header)
    position = {name: header.index(name) for name in OCCUPANCY_COLUMNS}
    good_rows: list[list[str]] = []
    good_lines: list[int] = []
    for row, line in zip(rows, lines, strict=True):
        if len(row) != width:
            problems.add(line, "row", f"has {len(row)} values, the header has {width}")
            continue
        good_rows.append(row)
        good_lines.append(line)
    cols = {name: [row[i].strip() for row in good_rows] for name, i in position.items()}
    n = len(good_rows)

    stamps: list[dt.datetime | None] = []
    aware_first: bool | None = None
    for line, text in zip(good_lines, cols["timestamp"], strict=True):
        try:
            stamp = _parse_timestamp(text)
        except ValueError:
            problems.add(line, "timestamp", "not an ISO 8601 date or date-time", text)
            stamps.append(None)
            continue
        aware = stamp.tzinfo is not None
        if aware_first is None:
            aware_first = aware
        elif aware != aware_first:
            first_has = "has one" if aware_first else "has none"
            reason = f"mixes timestamps with and without a UTC offset (the first row {first_has})"
            problems.add(line, "timestamp", reason, text)
        stamps.append(stamp)

    for line, value in zip(good_lines, cols["resource_id"], strict=True):
        if not _RESOURCE_ID.match(value):
            problems.add(line, "resource_id", "must be 1-128 letters, digits or _ . : / -", value)
    for name in ("provider", "region"):
        for line, value in zip(good_lines, cols[name], strict=True):
            if not value:
                problems.add(line, name, "must not be empty")
    cat = active_catalog()
    unknown: dict[str, str] = {}
    for value in set(cols["accelerator"]):
        if value not in cat:
            try:
                cat[value]
            except ValidationError as exc:
                unknown[value] = exc.problems[0].reason
    if unknown:
        for line, value in zip(good_lines, cols["accelerator"], strict=True):
            if value in unknown:
                problems.add(line, "accelerator", unknown[value], value)

    counts: dict[str, list[int]] = {}
    for name, low in (("gpus_total", 1), ("gpus_busy", 0)):
        parsed: list[int] = []
        for line, value in zip(good_lines, cols[name], strict=True):
            if not _WHOLE.match(value):
                problems.add(line, name, "must be a whole number", value)
                parsed.append(-1)
                continue
            number = int(value)
            if number < low or number > _MAX_GPUS:
                problems.add(
                    line, name, f"must be a whole number from {low} to {_MAX_GPUS:,}", value
                )
            parsed.append(number)
        counts[name] = parsed
    total = np.asarray(counts["gpus_total"], dtype=np.int64)
    busy = np.asarray(counts["gpus_busy"], dtype=np.int64)
    over = np.nonzero((total >= 1) & (busy > total))[0]
    for i in over:
        problems.add(
            good_lines[i], "gpus_busy", f"exceeds gpus_total ({total[i]})", cols["gpus_busy"][i]
        )

    seen: dict[tuple[dt.datetime, str], int] = {}
    for line, when, resource in zip(good_lines, stamps, cols["resource_id"], strict=True):
        if when is None:
            continue
        first = seen.setdefault((when, resource), line)
        if first != line:
            problems.add(
                line,
                "timestamp",
                f"repeats line {first} for resource {resource}",
                when.isoformat(),
            )
    problems.raise_if_any()

    parsed_stamps = [when for when in stamps if when is not None]  # all, after the checks
    if n == 0:
        times = pd.DatetimeIndex([], dtype="datetime64[ns]")
    elif aware_first:
        times = pd.DatetimeIndex(pd.to_datetime(parsed_stamps, utc=True))
    else:
        times = pd.DatetimeIndex(pd.to_datetime(parsed_stamps))
    return pd.DataFrame(
        {
            "timestamp": times,
            "resource_id": pd.Series(cols["resource_id"], dtype=object),
            "provider": pd.Series(cols["provider"], dtype=object),
            "region": pd.Series(cols["region"], dtype=object),
            "accelerator": pd.Series(cols["accelerator"], dtype=object),
            "gpus_total": total,
            "gpus_busy": busy,
        }
    )


def occupancy_series(
    frame: pd.DataFrame, resource_id: str | Sequence[str], freq: str = "D"
) -> pd.Series:
    """Share of GPUs busy per period for one resource (or several together).

    ``sum(gpus_busy) / sum(gpus_total)`` over the rows of the resource(s) in each period
    of ``freq`` (a pandas offset alias: ``"D"``, ``"h"``, ``"W"``, ``"MS"``): the
    GPU-weighted mean of the observed shares. Periods without rows are left out, never
    filled. Periods follow the frame's timestamps (UTC when the file had offsets; convert
    the ``timestamp`` column first for local days). The series is named after the
    resource(s) and indexed by period start.

    >>> import pandas as pd
    >>> frame = pd.DataFrame({
    ...     "timestamp": pd.to_datetime(["2026-06-01 00:00", "2026-06-01 00:00",
    ...                                  "2026-06-02 00:00"]),
    ...     "resource_id": ["A", "B", "A"], "provider": "p", "region": "r",
    ...     "accelerator": "nvidia-h20", "gpus_total": [100, 300, 100],
    ...     "gpus_busy": [50, 30, 80]})
    >>> occupancy_series(frame, ["A", "B"]).tolist()  # (50 + 30) / 400, then 80 / 100
    [0.2, 0.8]
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise ValidationError("frame", "must be a pandas DataFrame", type(frame).__name__)
    missing = [
        name
        for name in ("timestamp", "resource_id", "gpus_total", "gpus_busy")
        if name not in frame.columns
    ]
    if missing:
        raise ValidationError("frame", "missing columns: " + ", ".join(missing))
    ids = [resource_id] if isinstance(resource_id, str) else list(resource_id)
    if not ids or not all(isinstance(i, str) for i in ids):
        raise ValidationError("resource_id", "must be a resource id or a list of them", ids)
    rows = frame.loc[frame["resource_id"].isin(ids)]
    if rows.empty:
        known = sorted(map(str, frame["resource_id"].unique()))[:5]
        raise ValidationError(
            "resource_id",
            "no rows for it in the occupancy frame; resources there include "
            + (", ".join(known) if known else "none"),
            resource_id,
        )
    counts = rows.set_index(pd.DatetimeIndex(rows["timestamp"]))[["gpus_total", "gpus_busy"]]
    try:
        sums = counts.astype(np.float64).resample(freq).sum()
    except (ValueError, TypeError) as exc:
        raise ValidationError("freq", f"not a pandas frequency: {exc}", freq) from exc
    sums = sums.loc[sums["gpus_total"] > 0]
    share = sums["gpus_busy"] / sums["gpus_total"]
    share.name = "+".join(ids)
    share.index.name = "timestamp"
    return share
