"""Loan terms straight from columns: vectorised checks, no model per loan.

:func:`parse_columns` reads a frame in the :meth:`LoanBook.from_frame` layout column by
column. Categorical cells (currencies, enums, ISO dates) are factorized and only their
distinct values are parsed in Python; numbers stay arrays. Each of
:class:`CollateralLoan`'s rules is then an array test over all rows.

A row that passes every test is *fast*: its :class:`LoanColumns` entries are built from
the arrays, and its model only if someone asks for it. Any other row (a broken rule, a
spelling the fast parser does not take, draws, a custom schedule, collateral or
covenants) is *slow*: it goes through ``CollateralLoan.model_validate`` exactly like a
:meth:`LoanBook.from_frame` row, so its errors, and its loan, are the model's own. The fast
tests only ever accept what the model accepts, with the same values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from computefin.domain._types import Currency
from computefin.domain.conventions import BusinessDayConvention, DayCount, Frequency, StubRule
from computefin.domain.market import RateIndex
from computefin.pricing import CALENDAR_NAMES, calendar
from computefin.products.loan._columns import (
    AMORTIZATION_CODES,
    CONVENTIONS,
    DAY_COUNT_CODES,
    FREQUENCIES,
    STUBS,
    BoolArray,
    FloatArray,
    IntArray,
    Layout,
    LoanColumns,
)
from computefin.products.loan._fields import LOAN_INDICES, MAX_SPREAD, Amortization, FloorCapBasis
from computefin.products.loan.model import DEFAULT_CALENDARS, DEFAULT_FIXING_LAG_DAYS

__all__ = ["FAST_COLUMNS", "ParsedColumns", "parse_columns"]

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}")
_IDS = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}\n)*")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")

FAST_COLUMNS: Final[frozenset[str]] = frozenset(
    {
        "id",
        "borrower_counterparty_id",
        "principal",
        "currency",
        "start",
        "maturity",
        "frequency",
        "amortization",
        "balloon_share",
        "fixed_rate",
        "index",
        "margin",
        "floor",
        "cap",
        "floor_cap_on",
        "fixing_lag_days",
        "day_count",
        "calendar",
        "business_day_convention",
        "stub",
        "upfront_fee_rate",
        "commitment_fee_rate",
        "availability_end",
    }
)
"""Columns the fast path reads; a non-blank cell in any other column makes its row slow."""


@dataclass(frozen=True, eq=False)
class ParsedColumns:
    """Result of :func:`parse_columns`: the fast rows' columns and the rows left slow."""

    fast: IntArray
    slow: IntArray
    columns: LoanColumns


def _blank(values: npt.NDArray[Any]) -> BoolArray:
    """Cells :meth:`LoanBook.from_frame` treats as not given (None, NaN, NaT, blank text)."""
    out: BoolArray = np.asarray(pd.isna(values), dtype=bool).reshape(values.shape)
    if values.dtype == object:
        codes, uniques = pd.factorize(values[~out], use_na_sentinel=True)
        blank_u = np.asarray(
            [isinstance(u, str) and not u.strip() for u in uniques.tolist()], dtype=bool
        )
        if blank_u.any():
            sub = np.zeros(codes.shape, dtype=bool)
            sub[codes >= 0] = blank_u[codes[codes >= 0]]
            out[np.flatnonzero(~out)[sub]] = True
    return out


_EMPTY_JSON: Final[frozenset[str]] = frozenset({"[]", "{}"})
_ZERO_DEFAULTS: Final[frozenset[str]] = frozenset({"cash_sweep_share"})


def _defaulted(name: str, values: npt.NDArray[Any]) -> BoolArray:
    """Cells of a column the fast path does not read that leave the field at its default:
    blank, an empty JSON list or object (``to_frame`` writes them), or a zero sweep share."""
    out = _blank(values)
    if values.dtype == object:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        empty = np.asarray(
            [
                (isinstance(u, str) and u.strip() in _EMPTY_JSON)
                or (name in _ZERO_DEFAULTS and type(u) is float and u == 0.0)
                for u in uniques.tolist()
            ]
            + [False],
            dtype=bool,
        )
        out |= empty[codes]
    elif name in _ZERO_DEFAULTS and values.dtype.kind == "f":
        out |= values == 0.0
    return out


def _categorical(
    values: npt.NDArray[Any], parse: Callable[[Any], Any]
) -> tuple[list[Any], IntArray, BoolArray]:
    """Distinct values parsed once: (parsed uniques, code per row (-1 blank), odd rows).

    ``parse`` returns the canonical value or raises ``ValueError`` / ``TypeError`` /
    ``KeyError`` for a spelling the fast path does not take.
    """
    missing = _blank(values)
    codes = np.full(values.shape, -1, dtype=np.int64)
    sub_codes, uniques = pd.factorize(values[~missing], use_na_sentinel=True)
    codes[~missing] = sub_codes
    parsed: list[Any] = []
    bad: list[bool] = []
    for u in list(uniques):
        try:
            parsed.append(parse(u))
            bad.append(False)
        except (ValueError, TypeError, KeyError):
            parsed.append(None)
            bad.append(True)
    bad_u = np.asarray(bad, dtype=bool)
    odd = np.zeros(values.shape, dtype=bool)
    if bad_u.any():
        odd[codes >= 0] = bad_u[codes[codes >= 0]]
    return parsed, codes, odd


def _enum_parser(table: dict[str, Any]) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        if not isinstance(value, str):
            raise TypeError(value)
        return table[value]

    return parse


def _day(value: Any) -> int:
    if isinstance(value, pd.Timestamp):
        if value != value.normalize() or value.tz is not None:
            raise ValueError(value)
        value = value.to_pydatetime().date()
    elif isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
        return _day(value)
    elif isinstance(value, str):
        if not _ISO.fullmatch(value):
            raise ValueError(value)
        value = dt.date.fromisoformat(value)
    if type(value) is not dt.date:
        raise TypeError(value)
    return (value - dt.date(1970, 1, 1)).days


def _dates(values: npt.NDArray[Any]) -> tuple[IntArray, BoolArray, BoolArray]:
    """Day numbers, blank mask, odd mask of a date column."""
    n = values.shape[0]
    if values.dtype.kind == "M":
        missing: BoolArray = np.isnat(values)
        as_days = values.astype("datetime64[D]")
        odd: BoolArray = ~missing & (as_days != values)
        out = np.where(missing, 0, as_days.astype(np.int64))
        return out, missing, odd
    parsed, codes, odd = _categorical(values, _day)
    table = np.asarray([0 if p is None else p for p in parsed], dtype=np.int64)
    out = np.zeros(n, dtype=np.int64)
    have = codes >= 0
    out[have] = table[codes[have]]
    return out, codes < 0, odd


def _numbers(
    values: npt.NDArray[Any], integer: bool = False
) -> tuple[FloatArray, BoolArray, BoolArray]:
    """Floats, blank mask, odd mask of a numeric column (booleans and text are odd)."""
    if values.dtype.kind in "fiu":
        out = values.astype(np.float64)
        missing: BoolArray = np.isnan(out)
        odd: BoolArray = np.zeros(out.shape, dtype=bool)
    else:

        def parse(value: Any) -> float:
            if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
                raise TypeError(value)
            return float(value)

        parsed, codes, odd = _categorical(values, parse)
        table = np.asarray([np.nan if p is None else p for p in parsed], dtype=np.float64)
        out = np.full(values.shape, np.nan)
        have = codes >= 0
        out[have] = table[codes[have]]
        missing = codes < 0
    if integer:
        odd = odd | (~missing & np.isfinite(out) & (out != np.round(out)))
    return out, missing, odd


def _identifiers(values: npt.NDArray[Any]) -> tuple[tuple[str, ...], BoolArray]:
    """The ids as a tuple and the rows whose id is not a plain identifier (odd)."""
    items = values.tolist()
    if all(type(s) is str for s in items):
        joined = "".join(f"{s}\n" for s in items)
        if joined.count("\n") == len(items) and _IDS.fullmatch(joined):
            return tuple(items), np.zeros(len(items), dtype=bool)
    odd = np.asarray(
        [not (type(s) is str and _ID.fullmatch(s) is not None) for s in items], dtype=bool
    )
    return tuple(s if type(s) is str else "" for s in items), odd


def _coverage(names: tuple[str, ...]) -> tuple[IntArray, IntArray]:
    first = np.asarray(
        [(calendar(c).first_date - dt.date(1970, 1, 1)).days for c in names], dtype=np.int64
    )
    last = np.asarray(
        [(calendar(c).last_date - dt.date(1970, 1, 1)).days for c in names], dtype=np.int64
    )
    return first, last


def parse_columns(frame: pd.DataFrame, validate: bool = True) -> ParsedColumns:
    """Split rows into fast (columns built here) and slow (for the model); see module docs."""
    n = len(frame)
    slow = np.zeros(n, dtype=bool)

    def column(name: str) -> npt.NDArray[Any]:
        if name in frame.columns:
            return np.asarray(frame[name].to_numpy())
        return np.full(n, None, dtype=object)

    for name in frame.columns:
        if str(name) not in FAST_COLUMNS:
            slow |= ~_defaulted(str(name), np.asarray(frame[name].to_numpy()))

    ids, odd = _identifiers(column("id"))
    slow |= odd | _blank(column("id"))
    borrower = column("borrower_counterparty_id")
    _, odd = _identifiers(borrower)
    slow |= odd | _blank(borrower)

    def categorical(name: str, table: dict[str, Any]) -> tuple[list[Any], IntArray]:
        parsed, codes, odd = _categorical(column(name), _enum_parser(table))
        nonlocal slow
        slow |= odd
        return parsed, codes

    def mapped(
        parsed: list[Any], codes: IntArray, default: int, fn: Callable[[Any], int]
    ) -> IntArray:
        table = np.asarray([fn(p) if p is not None else default for p in parsed] + [default])
        return table[codes].astype(np.int64)  # code -1 picks the default

    cur_u, cur_c = categorical("currency", {c.value: c for c in Currency})
    freq_u, freq_c = categorical("frequency", {f.value: f for f in Frequency})
    amort_u, amort_c = categorical("amortization", {a.value: a for a in Amortization})
    index_u, index_c = categorical("index", {i.value: i for i in RateIndex})
    basis_u, basis_c = categorical("floor_cap_on", {b.value: b for b in FloorCapBasis})
    dc_u, dc_c = categorical("day_count", {d.value: d for d in DayCount})
    conv_u, conv_c = categorical(
        "business_day_convention", {c.value: c for c in BusinessDayConvention}
    )
    stub_u, stub_c = categorical("stub", {s.value: s for s in StubRule})

    def calendar_name(value: Any) -> str:
        if not isinstance(value, str) or value.strip().upper() not in CALENDAR_NAMES:
            raise ValueError(value)
        return value.strip().upper()

    cal_u, cal_c, odd = _categorical(column("calendar"), calendar_name)
    slow |= odd

    start, start_missing, odd = _dates(column("start"))
    slow |= odd | start_missing
    maturity, maturity_missing, odd = _dates(column("maturity"))
    slow |= odd | maturity_missing
    avail, avail_missing, odd = _dates(column("availability_end"))
    slow |= odd

    numbers: dict[str, tuple[FloatArray, BoolArray]] = {}
    for name in (
        "principal",
        "balloon_share",
        "fixed_rate",
        "margin",
        "floor",
        "cap",
        "fixing_lag_days",
        "upfront_fee_rate",
        "commitment_fee_rate",
    ):
        values, missing, odd = _numbers(column(name), integer=name == "fixing_lag_days")
        numbers[name] = (values, missing)
        slow |= odd
    for required in (cur_c, freq_c, amort_c):
        slow |= required < 0
    slow |= numbers["principal"][1]

    # currency and index as codes; a loan index must be of the loan's currency
    currency_of = np.asarray([c.value if c is not None else "" for c in cur_u] + [""], dtype=object)
    index_pos = {idx: i for i, idx in enumerate(LOAN_INDICES)}
    index_code = mapped(index_u, index_c, -1, lambda i: index_pos.get(i, -2))
    floating = index_c >= 0
    fixed_rate, fixed_missing = numbers["fixed_rate"]
    margin, margin_missing = numbers["margin"]
    floor, floor_missing = numbers["floor"]
    cap, cap_missing = numbers["cap"]
    lag, lag_missing = numbers["fixing_lag_days"]
    balloon, balloon_missing = numbers["balloon_share"]
    principal = numbers["principal"][0]
    upfront, upfront_missing = numbers["upfront_fee_rate"]
    commitment, commitment_missing = numbers["commitment_fee_rate"]
    kind = mapped(amort_u, amort_c, 0, lambda a: AMORTIZATION_CODES[a])

    # calendar: given, else the currency's default
    default_cal = {c.value: DEFAULT_CALENDARS.get(c, "") for c in Currency}
    cal_given = np.asarray([c if c is not None else "" for c in cal_u] + [""], dtype=object)[cal_c]
    cal_default = np.asarray(
        [default_cal[c.value] if c is not None else "" for c in cur_u] + [""], dtype=object
    )[cur_c]
    cal_names_all = np.where(cal_c >= 0, cal_given, cal_default)
    slow |= cal_names_all == ""

    if validate:
        bad = np.zeros(n, dtype=bool)
        with np.errstate(invalid="ignore"):
            bad |= ~(principal > 0.0) | ~np.isfinite(principal)
            bad |= maturity <= start
            cal_code, cal_names = pd.factorize(cal_names_all)
            if len(cal_names):
                valid = np.asarray([c in CALENDAR_NAMES for c in cal_names], dtype=bool)
                names = tuple(
                    str(c) if v else "CN-IB" for c, v in zip(cal_names, valid, strict=True)
                )
                first, last = _coverage(names)
                bad |= ~valid[cal_code]
                for day in (start, maturity):
                    bad |= (day < first[cal_code]) | (day > last[cal_code])
            bad |= ~avail_missing & ~((start < avail) & (avail <= maturity))
            bad |= fixed_missing == ~floating  # exactly one of fixed_rate / index
            fixed = ~fixed_missing
            bad |= fixed & ~(margin_missing & floor_missing & cap_missing & lag_missing)
            index_currency = np.asarray(
                [i.currency.value if i is not None else "" for i in index_u] + [""], dtype=object
            )[index_c]
            bad |= floating & ((index_code < 0) | (index_currency != currency_of[cur_c]))
            bad |= floating & margin_missing
            bad |= ~floor_missing & ~cap_missing & (floor > cap)
            for values, missing in (
                (fixed_rate, fixed_missing),
                (floor, floor_missing),
                (cap, cap_missing),
            ):
                bad |= ~missing & ~((values > -1.0) & (values <= 1.0))
            bad |= ~margin_missing & ~(np.abs(margin) <= MAX_SPREAD)
            for values, missing in ((upfront, upfront_missing), (commitment, commitment_missing)):
                bad |= ~missing & ~((values >= 0.0) & (values <= MAX_SPREAD))
            bad |= ~lag_missing & ~((lag >= 0) & (lag <= 10))
            is_balloon = kind == AMORTIZATION_CODES[Amortization.BALLOON]
            bad |= is_balloon == balloon_missing
            bad |= ~balloon_missing & ~((balloon > 0.0) & (balloon < 1.0))
            bad |= kind == AMORTIZATION_CODES[Amortization.CUSTOM]  # needs a schedule
        slow |= bad

    fast = np.flatnonzero(~slow)
    default_lag = np.asarray(
        [DEFAULT_FIXING_LAG_DAYS.get(i, 0) if i is not None else 0 for i in index_u] + [0],
        dtype=np.int64,
    )[index_c]
    lag_days = np.where(lag_missing, default_lag, np.nan_to_num(lag)).astype(np.int64)
    f = fast
    start_f, maturity_f = start[f], maturity[f]
    cal_f = tuple(cal_names_all[f].tolist())
    freq_code = mapped(freq_u, freq_c, 0, FREQUENCIES.index)[f]
    conv_code = mapped(
        conv_u,
        conv_c,
        CONVENTIONS.index(BusinessDayConvention.MODIFIED_FOLLOWING),
        CONVENTIONS.index,
    )[f]
    stub_code = mapped(stub_u, stub_c, STUBS.index(StubRule.SHORT_FRONT), STUBS.index)[f]
    start_dates = start_f.astype("datetime64[D]").tolist()
    maturity_dates = maturity_f.astype("datetime64[D]").tolist()
    freq_t = np.asarray(FREQUENCIES, dtype=object)[freq_code].tolist()
    conv_t = np.asarray(CONVENTIONS, dtype=object)[conv_code].tolist()
    stub_t = np.asarray(STUBS, dtype=object)[stub_code].tolist()
    ids_f = tuple(ids[i] for i in f.tolist()) if f.size != n else ids
    principal_f = principal[f]
    on_index = mapped(basis_u, basis_c, 0, lambda b: int(b is FloorCapBasis.INDEX))
    cols = LoanColumns(
        ids=ids_f,
        currency=tuple(currency_of[cur_c[f]].tolist()),
        principal=principal_f,
        fixed_rate=np.where(fixed_missing, 0.0, fixed_rate)[f],
        index_code=index_code[f],
        margin=np.where(margin_missing, 0.0, margin)[f],
        floor=np.where(floor_missing, -np.inf, floor)[f],
        cap=np.where(cap_missing, np.inf, cap)[f],
        floor_on_index=on_index[f].astype(bool),
        fixing_lag=np.where(floating, lag_days, 0)[f],
        day_count=mapped(
            dc_u, dc_c, DAY_COUNT_CODES[DayCount.ACT_360], DAY_COUNT_CODES.__getitem__
        )[f],
        calendar=cal_f,
        amortization=kind[f],
        balloon_share=np.where(balloon_missing, 0.0, balloon)[f],
        upfront_fee_rate=np.where(upfront_missing, 0.0, upfront)[f],
        commitment_fee_rate=np.where(commitment_missing, 0.0, commitment)[f],
        availability_end=np.where(avail_missing, maturity, avail)[f],
        schedule_key=tuple(
            zip(start_dates, maturity_dates, freq_t, cal_f, conv_t, stub_t, strict=True)
        ),
        draw_loan=np.arange(f.size, dtype=np.int64),
        draw_day=start_f.copy(),
        draw_amount=principal_f.copy(),
        custom_loan=np.zeros(0, dtype=np.int64),
        custom_day=np.zeros(0, dtype=np.int64),
        custom_amount=np.zeros(0, dtype=np.float64),
    )
    cols.__dict__["layout"] = Layout.from_codes(
        start_f, maturity_f, freq_code, cal_f, conv_code, stub_code
    )
    return ParsedColumns(fast=fast, slow=np.flatnonzero(slow), columns=cols)
