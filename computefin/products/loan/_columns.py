"""A loan book as columns: one numpy array per term, ragged lists (draws) flattened.

Built once from validated :class:`CollateralLoan` models (a single pass over attributes);
the cash-flow kernel then works on these arrays only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from computefin.domain.conventions import BusinessDayConvention, DayCount, Frequency, StubRule
from computefin.domain.market import RateIndex
from computefin.products.loan._fields import Amortization, DatedAmount, FloorCapBasis
from computefin.products.loan.model import LOAN_INDICES, CollateralLoan

__all__ = [
    "AMORTIZATION_CODES",
    "DAY_COUNTS",
    "DAY_COUNT_CODES",
    "FREQUENCIES",
    "Layout",
    "LoanColumns",
    "ScheduleKey",
    "concat_columns",
    "days",
    "select_columns",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

AMORTIZATION_CODES: Final[dict[Amortization, int]] = {a: i for i, a in enumerate(Amortization)}
"""Integer code of each amortization type in :attr:`LoanColumns.amortization`."""

DAY_COUNTS: Final[tuple[DayCount, ...]] = tuple(DayCount)
"""Day counts by their code in :attr:`LoanColumns.day_count`."""
DAY_COUNT_CODES: Final[dict[DayCount, int]] = {dc: i for i, dc in enumerate(DAY_COUNTS)}

FREQUENCIES: Final[tuple[Frequency, ...]] = tuple(Frequency)
FREQUENCY_CODES: Final[dict[Frequency, int]] = {f: i for i, f in enumerate(FREQUENCIES)}
CONVENTIONS: Final[tuple[BusinessDayConvention, ...]] = tuple(BusinessDayConvention)
CONVENTION_CODES: Final[dict[BusinessDayConvention, int]] = {
    c: i for i, c in enumerate(CONVENTIONS)
}
STUBS: Final[tuple[StubRule, ...]] = tuple(StubRule)
STUB_CODES: Final[dict[StubRule, int]] = {s: i for i, s in enumerate(STUBS)}

ScheduleKey = tuple[dt.date, dt.date, Frequency, str, BusinessDayConvention, StubRule]
"""What fixes a loan's schedule: start, maturity, frequency, calendar, convention, stub."""


def days(values: Sequence[dt.date]) -> IntArray:
    """Dates as day numbers since 1970-01-01 (int64).

    >>> days([dt.date(1970, 1, 2)])
    array([1])
    """
    return np.asarray(values, dtype="datetime64[D]").astype(np.int64).reshape(len(values))


def factorize(values: Sequence[str]) -> tuple[IntArray, tuple[str, ...]]:
    """Codes of ``values`` (first-seen order) and the distinct values.

    >>> factorize(["b", "a", "b"])
    (array([0, 1, 0]), ('b', 'a'))
    """
    table: dict[str, int] = {}
    codes = [table.setdefault(v, len(table)) for v in values]
    return np.asarray(codes, dtype=np.int64).reshape(len(codes)), tuple(table)


def _ragged(
    lists: Sequence[Sequence[DatedAmount]],
) -> tuple[IntArray, IntArray, FloatArray]:
    """Flatten per-loan lists of dated amounts: (loan position, day, amount), loan order."""
    owner: list[int] = []
    dates: list[dt.date] = []
    amounts: list[float] = []
    for i, items in enumerate(lists):
        for item in items:
            owner.append(i)
            dates.append(item.date)
            amounts.append(item.amount)
    return (
        np.asarray(owner, dtype=np.int64),
        days(dates),
        np.asarray(amounts, dtype=np.float64),
    )


def _merge_default_draws(
    given: tuple[IntArray, IntArray, FloatArray],
    loans: IntArray,
    day: IntArray,
    amount: FloatArray,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Given draws plus one draw per loan in ``loans``, ordered by loan (stable)."""
    owner = np.concatenate([given[0], loans.astype(np.int64)])
    order = np.argsort(owner, kind="stable")
    return (
        owner[order],
        np.concatenate([given[1], day.astype(np.int64)])[order],
        np.concatenate([given[2], amount.astype(np.float64)])[order],
    )


@dataclass(frozen=True, eq=False)
class Layout:
    """Integer view of the loans' schedule shapes and calendars, for the kernel.

    ``shape_code[i]`` indexes :attr:`shapes` (distinct schedule keys); ``calendar_code[i]``
    indexes :attr:`calendar_names`.
    """

    start_day: IntArray
    maturity_day: IntArray
    shape_code: IntArray
    shapes: tuple[ScheduleKey, ...]
    calendar_code: IntArray
    calendar_names: tuple[str, ...]

    @classmethod
    def from_codes(
        cls,
        start_day: IntArray,
        maturity_day: IntArray,
        frequency: IntArray,
        calendar: Sequence[str],
        convention: IntArray,
        stub: IntArray,
    ) -> Layout:
        """Group loans by schedule key with one ``np.unique`` over a packed int64 key."""
        cal_code, cal_names = factorize(calendar)
        n = int(start_day.size)
        if n == 0:
            empty = np.zeros(0, dtype=np.int64)
            return cls(start_day, maturity_day, empty, (), cal_code, cal_names)
        s0, m0 = int(start_day.min()), int(maturity_day.min())
        span = int(maturity_day.max()) - m0 + 1
        key = (start_day - s0) * span + (maturity_day - m0)
        for code, size in (
            (frequency, len(FREQUENCIES)),
            (cal_code, max(len(cal_names), 1)),
            (convention, len(CONVENTIONS)),
            (stub, len(STUBS)),
        ):
            key = key * size + code
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        first_list = first.tolist()
        start_dates = start_day[first].astype("datetime64[D]").tolist()
        maturity_dates = maturity_day[first].astype("datetime64[D]").tolist()
        shapes = tuple(
            (
                start_dates[u],
                maturity_dates[u],
                FREQUENCIES[int(frequency[i])],
                cal_names[int(cal_code[i])],
                CONVENTIONS[int(convention[i])],
                STUBS[int(stub[i])],
            )
            for u, i in enumerate(first_list)
        )
        return cls(
            start_day,
            maturity_day,
            inverse.reshape(n).astype(np.int64),
            shapes,
            cal_code,
            cal_names,
        )

    @classmethod
    def of(cls, keys: Sequence[ScheduleKey], calendar: Sequence[str]) -> Layout:
        """The layout of schedule-key tuples (the slow path, for columns built elsewhere)."""
        parts = list(zip(*keys, strict=True)) if keys else [()] * 6
        return cls.from_codes(
            days(parts[0]),
            days(parts[1]),
            np.asarray([FREQUENCY_CODES[Frequency(f)] for f in parts[2]], dtype=np.int64),
            calendar,
            np.asarray(
                [CONVENTION_CODES[BusinessDayConvention(c)] for c in parts[4]], dtype=np.int64
            ),
            np.asarray([STUB_CODES[StubRule(s)] for s in parts[5]], dtype=np.int64),
        )

    def take(self, lo: int, hi: int) -> Layout:
        """The layout of loans ``lo:hi`` (the shape table is shared)."""
        return Layout(
            self.start_day[lo:hi],
            self.maturity_day[lo:hi],
            self.shape_code[lo:hi],
            self.shapes,
            self.calendar_code[lo:hi],
            self.calendar_names,
        )


@dataclass(frozen=True, eq=False)
class LoanColumns:
    """The terms of ``n`` loans as arrays of length ``n`` (draws and repayments flattened).

    ``day_count`` holds codes into :data:`DAY_COUNTS`; ``index_code`` is the position in
    :data:`LOAN_INDICES` (-1 for a fixed loan); ``floor`` / ``cap`` are -inf / +inf when
    absent; ``fixed_rate`` is 0 on floating loans.
    """

    ids: tuple[str, ...]
    currency: tuple[str, ...]
    principal: FloatArray
    fixed_rate: FloatArray
    index_code: IntArray
    margin: FloatArray
    floor: FloatArray
    cap: FloatArray
    floor_on_index: BoolArray
    fixing_lag: IntArray
    day_count: IntArray
    calendar: tuple[str, ...]
    amortization: IntArray
    balloon_share: FloatArray
    upfront_fee_rate: FloatArray
    commitment_fee_rate: FloatArray
    availability_end: IntArray
    schedule_key: tuple[ScheduleKey, ...]
    draw_loan: IntArray
    draw_day: IntArray
    draw_amount: FloatArray
    custom_loan: IntArray
    custom_day: IntArray
    custom_amount: FloatArray

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def is_floating(self) -> BoolArray:
        """True where the loan resets on an index."""
        out: BoolArray = self.index_code >= 0
        return out

    @cached_property
    def layout(self) -> Layout:
        """Integer codes of the schedule shapes and calendars (derived once, not a field)."""
        return Layout.of(self.schedule_key, self.calendar)

    @classmethod
    def from_loans(cls, loans: Sequence[CollateralLoan]) -> LoanColumns:
        """Columns of validated loans (one pass over their attributes, no per-loan models).

        >>> cols = LoanColumns.from_loans([])
        >>> len(cols), cols.principal.shape
        (0, (0,))
        """
        n = len(loans)
        fields = [
            "id",
            "currency",
            "principal",
            "fixed_rate",
            "index",
            "margin",
            "floor",
            "cap",
            "floor_cap_on",
            "fixing_lag_days",
            "day_count",
            "calendar",
            "amortization",
            "balloon_share",
            "upfront_fee_rate",
            "commitment_fee_rate",
            "availability_end",
            "start",
            "maturity",
            "frequency",
            "business_day_convention",
            "stub",
            "draws",
            "custom_principal_schedule",
        ]
        get = attrgetter(*fields)
        values = list(zip(*(get(loan) for loan in loans), strict=True)) if n else [()] * len(fields)
        col = dict(zip(fields, values, strict=True))
        index_pos: dict[RateIndex | None, int] = {idx: i for i, idx in enumerate(LOAN_INDICES)}
        index_pos[None] = -1

        def floats(values: Sequence[float | None], missing: float) -> FloatArray:
            return np.asarray([missing if v is None else v for v in values], dtype=np.float64)

        def codes(values: Sequence[Any], table: Mapping[Any, int]) -> IntArray:
            return np.asarray([table[v] for v in values], dtype=np.int64)

        start_day = days(col["start"])
        maturity_day = days(col["maturity"])
        principal = floats(col["principal"], 0.0)
        end = col["availability_end"]
        availability_end = np.where(
            np.asarray([e is None for e in end], dtype=bool),
            maturity_day,
            days([e or dt.date(1970, 1, 1) for e in end]),
        )
        draw_loan, draw_day, draw_amount = _ragged(col["draws"])
        default = np.flatnonzero(np.bincount(draw_loan, minlength=n) == 0)
        draw_loan, draw_day, draw_amount = _merge_default_draws(
            (draw_loan, draw_day, draw_amount), default, start_day[default], principal[default]
        )
        custom_loan, custom_day, custom_amount = _ragged(col["custom_principal_schedule"])
        calendar = tuple(col["calendar"])
        schedule_key = tuple(
            zip(
                col["start"],
                col["maturity"],
                col["frequency"],
                calendar,
                col["business_day_convention"],
                col["stub"],
                strict=True,
            )
        )
        out = cls(
            ids=tuple(col["id"]),
            currency=tuple(c.value for c in col["currency"]),
            principal=principal,
            fixed_rate=floats(col["fixed_rate"], 0.0),
            index_code=codes(col["index"], index_pos),
            margin=floats(col["margin"], 0.0),
            floor=floats(col["floor"], -np.inf),
            cap=floats(col["cap"], np.inf),
            floor_on_index=np.asarray(
                [b is FloorCapBasis.INDEX for b in col["floor_cap_on"]], dtype=bool
            ),
            fixing_lag=np.asarray([lag or 0 for lag in col["fixing_lag_days"]], dtype=np.int64),
            day_count=codes(col["day_count"], DAY_COUNT_CODES),
            calendar=calendar,
            amortization=codes(col["amortization"], AMORTIZATION_CODES),
            balloon_share=floats(col["balloon_share"], 0.0),
            upfront_fee_rate=floats(col["upfront_fee_rate"], 0.0),
            commitment_fee_rate=floats(col["commitment_fee_rate"], 0.0),
            availability_end=availability_end,
            schedule_key=schedule_key,
            draw_loan=draw_loan,
            draw_day=draw_day,
            draw_amount=draw_amount,
            custom_loan=custom_loan,
            custom_day=custom_day,
            custom_amount=custom_amount,
        )
        out.__dict__["layout"] = Layout.from_codes(
            start_day,
            maturity_day,
            codes(col["frequency"], FREQUENCY_CODES),
            calendar,
            codes(col["business_day_convention"], CONVENTION_CODES),
            codes(col["stub"], STUB_CODES),
        )
        return out

    def take(self, rows: slice) -> LoanColumns:
        """The loans of a contiguous ``rows`` slice (draws and repayments re-indexed).

        >>> LoanColumns.from_loans([]).take(slice(0, 5)).principal.shape
        (0,)
        """
        lo, hi, _ = rows.indices(len(self))
        hi = max(lo, hi)
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name.startswith(("draw_", "custom_")):
                continue
            changes[f.name] = getattr(self, f.name)[lo:hi]
        for prefix in ("draw", "custom"):
            owner: IntArray = getattr(self, f"{prefix}_loan")
            picked = np.flatnonzero((owner >= lo) & (owner < hi))
            changes[f"{prefix}_loan"] = owner[picked] - lo
            changes[f"{prefix}_day"] = getattr(self, f"{prefix}_day")[picked]
            changes[f"{prefix}_amount"] = getattr(self, f"{prefix}_amount")[picked]
        out = dataclasses.replace(self, **changes)
        if "layout" in self.__dict__:
            out.__dict__["layout"] = self.layout.take(lo, hi)
        return out

    def index_of(self, code: int) -> RateIndex:
        """The rate index behind an ``index_code``."""
        return LOAN_INDICES[code]


def concat_columns(first: LoanColumns, second: LoanColumns) -> LoanColumns:
    """The loans of ``first`` then those of ``second``.

    >>> len(concat_columns(LoanColumns.from_loans([]), LoanColumns.from_loans([])))
    0
    """
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(first):
        a, b = getattr(first, f.name), getattr(second, f.name)
        if f.name in ("draw_loan", "custom_loan"):
            b = b + len(first)
        changes[f.name] = a + b if isinstance(a, tuple) else np.concatenate([a, b])
    return LoanColumns(**changes)


def select_columns(cols: LoanColumns, rows: IntArray) -> LoanColumns:
    """The loans ``rows`` of ``cols``, in that order (distinct rows; ragged lists kept in
    their order within a loan).

    >>> len(select_columns(LoanColumns.from_loans([]), np.zeros(0, dtype=np.int64)))
    0
    """
    new_of = np.full(len(cols), -1, dtype=np.int64)
    new_of[rows] = np.arange(rows.size)
    picked = rows.tolist()
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(cols):
        value = getattr(cols, f.name)
        if f.name.startswith(("draw_", "custom_")):
            continue
        changes[f.name] = (
            tuple(value[i] for i in picked) if isinstance(value, tuple) else value[rows]
        )
    for prefix in ("draw", "custom"):
        owner = new_of[getattr(cols, f"{prefix}_loan")]
        kept = np.flatnonzero(owner >= 0)
        order = kept[np.argsort(owner[kept], kind="stable")]
        changes[f"{prefix}_loan"] = owner[order]
        changes[f"{prefix}_day"] = getattr(cols, f"{prefix}_day")[order]
        changes[f"{prefix}_amount"] = getattr(cols, f"{prefix}_amount")[order]
    return LoanColumns(**changes)
