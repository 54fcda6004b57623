"""A loan book's PV, yield, WAL and risks: one fused compiled pass, or by stages.

:func:`book_measures` values every loan of a book at its settlement date: the lender's
receipts (interest, principal and commitment fee, paid on the pay dates; draws and the
upfront fee left out) discounted on the loan's currency's curve (dirty PV), the yield
that reprices the loan at that PV (compounded ``frequency`` times a year in the yield's
day count, QuantLib's stepwise compounding), WAL of the principal, and the modified and
Macaulay duration and convexity at that yield (:class:`BondMeasures`).

:func:`staged_book_measures` does it by stages: :func:`book_cashflows` (17
``(loans, periods)`` arrays), a :class:`CashflowMatrix` per currency
(:meth:`CashflowMatrix.from_trusted`), :func:`bond_measures`. :func:`book_measures`
computes the same figures in one compiled pass per loan
(:mod:`computefin.products.loan._valuation_kernel`) without writing the cash flows, bit
for bit the staged path's for the loans it takes:

* the yield and WAL day counts ACT/360 or ACT/365F, compounded or continuous yields;
* no commitment fee (no fee rate, and a single draw of the whole principal at start);
  other draws, custom repayment schedules and every amortization, fixed and floating
  rates, floors and caps, upfront fees are taken;
* a settlement on or after the curve's as-of date, up to 128 periods, the book's pay
  dates within 200,000 days;
* the numba kernels available (``COMPUTEFIN_NUMBA`` not ``0``).

Every other loan, and every loan whose yield iteration fails, goes through the staged
path on those loans alone (same figures to rounding; non-convergence raises the staged
path's :class:`~computefin.errors.ConvergenceError`, naming the loans). A custom schedule
that repays more than is owed raises the staged path's
:class:`~computefin.errors.ValidationError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np

from computefin.domain.conventions import DayCount
from computefin.domain.market import MarketSnapshot, RateIndex
from computefin.errors import ValidationError
from computefin.pricing import Curve, MarketCalendar, _fused as pricing_kernels
from computefin.pricing._solvers import DEFAULT_TOL, OnFailure, fail_report
from computefin.pricing.analytics import (
    _NEWTON_ITER,
    _YIELD_HI,
    _YIELD_LO,
    BondMeasures,
    CashflowMatrix,
    bond_measures,
)
from computefin.pricing.daycounts import parse_day_count
from computefin.products.loan import _fused, _valuation_kernel
from computefin.products.loan._columns import (
    DAY_COUNTS,
    BoolArray,
    FloatArray,
    IntArray,
    LoanColumns,
    select_columns,
)
from computefin.products.loan._grid import GridCache
from computefin.products.loan.cashflows import _needs_fee, book_cashflows, kernel_inputs
from computefin.products.loan.model import CENT

if TYPE_CHECKING:
    from computefin.products.loan.book import LoanBook

__all__ = ["book_measures", "staged_book_measures"]

Compounding = Literal["compounded", "continuous"]

_DENOMINATOR_ROW: Final[dict[DayCount, int]] = {DayCount.ACT_360: 0, DayCount.ACT_365F: 1}
"""Day counts the fused kernel takes, by their row in its ``[360, 365]`` denominators."""
_MAX_DAYS: Final[int] = 200_000
"""Widest span of days (settlement to last pay date) discounted through a per-day table."""


def _columns(book: LoanBook | LoanColumns) -> LoanColumns:
    return book if isinstance(book, LoanColumns) else book.columns


def _settlement_days(settlement: Any, cols: LoanColumns) -> IntArray:
    """Settlement day numbers per loan: ``"start"`` (each loan's start), one date, or one
    date per loan."""
    n = len(cols)
    if isinstance(settlement, str) and settlement == "start":
        out: IntArray = np.asarray(cols.layout.start_day, dtype=np.int64)
        return out
    try:
        days = np.asarray(settlement, dtype="datetime64[D]")
    except (TypeError, ValueError) as exc:
        raise ValidationError("settlement", f"must be 'start', a date or {n} dates") from exc
    if days.ndim == 0:
        days = np.full(n, days)
    if days.shape != (n,) or bool(np.isnat(days).any()):
        raise ValidationError("settlement", f"must be 'start', a date or {n} dates", settlement)
    return days.astype(np.int64)


def _frequencies(cols: LoanColumns, frequency: int | None) -> FloatArray:
    """Yield compounding per year: ``frequency``, or each loan's payment frequency."""
    if frequency is not None:
        if int(frequency) < 1:
            raise ValidationError("frequency", "must be at least 1 a year", frequency)
        return np.full(len(cols), float(frequency))
    layout = cols.layout
    per_shape = np.asarray([float(key[2].periods_per_year) for key in layout.shapes])
    out: FloatArray = per_shape[layout.shape_code] if per_shape.size else np.zeros(0)
    return out


def _yield_day_codes(cols: LoanColumns, day_count: Any) -> IntArray:
    """Codes (:data:`DAY_COUNTS`) of the yield's day count: ``day_count`` or each loan's."""
    if day_count is None:
        return cols.day_count
    code = DAY_COUNTS.index(parse_day_count(day_count))
    return np.full(len(cols), code, dtype=np.int64)


def _currency_codes(cols: LoanColumns) -> tuple[IntArray, list[str]]:
    """Each loan's currency as a code into the returned names (first-seen order)."""
    names = list(dict.fromkeys(cols.currency))
    table = {name: code for code, name in enumerate(names)}
    codes = np.fromiter(map(table.__getitem__, cols.currency), np.int64, len(cols))
    return codes, names


def _curve_of(discount_curves: Mapping[str, Curve], currency: str) -> Curve:
    curve = discount_curves.get(currency)
    if curve is None:
        raise ValidationError(
            "discount_curves", f"no discount curve for currency {currency}", sorted(discount_curves)
        )
    return curve


def staged_book_measures(
    book: LoanBook | LoanColumns,
    market: MarketSnapshot | None,
    discount_curves: Mapping[str, Curve],
    *,
    settlement: Any = "start",
    curves: Mapping[RateIndex, Curve] | None = None,
    calendars: Mapping[str, MarketCalendar] | None = None,
    frequency: int | None = None,
    day_count: Any = None,
    wal_day_count: Any = DayCount.ACT_365F,
    compounding: Compounding = "compounded",
    guess: float = 0.05,
    tol: float = DEFAULT_TOL,
    on_failure: OnFailure = "raise",
    cache: GridCache | None = None,
) -> BondMeasures:
    """:func:`book_measures` by stages: :func:`book_cashflows`, one
    :meth:`CashflowMatrix.from_trusted` per currency (views of the cash-flow arrays when
    the currency's loans are contiguous), :func:`bond_measures` (the reference the fused
    pass is tested against, and what values the loans it does not take).

    >>> from computefin.pricing.curves import flat_curve
    >>> cols = _example_columns()
    >>> m = staged_book_measures(cols, None, {"USD": flat_curve("2027-01-15", 0.05)})
    >>> m.pv.round(2).tolist(), m.wal.round(4).tolist()
    ([1016587.86, 1016587.86], [1.672, 1.672])
    """
    cols = _columns(book)
    n = len(cols)
    out = [np.full(n, np.nan) for _ in range(6)]
    if n == 0:
        return BondMeasures(*out)
    settle = _settlement_days(settlement, cols).astype("datetime64[D]")
    freq = _frequencies(cols, frequency)
    names = np.asarray([dc.value for dc in DAY_COUNTS])[_yield_day_codes(cols, day_count)]
    currency, currencies = _currency_codes(cols)
    chosen = [_curve_of(discount_curves, name) for name in currencies]
    cf = book_cashflows(cols, market, curves, calendars, cache)
    for code, curve in enumerate(chosen):
        found = np.flatnonzero(currency == code)
        lo, hi = int(found[0]), int(found[-1]) + 1
        part: IntArray | slice = slice(lo, hi) if hi - lo == found.size else found
        matrix = CashflowMatrix.from_trusted(
            ids=np.asarray(cf.loan_ids)[part],
            pay_dates=cf.pay_date[part],
            amounts=cf.interest[part] + cf.principal[part] + cf.commitment_fee[part],
            alive=cf.alive[part],
            settlement=settle[part],
            frequency=freq[part],
            day_count=names[part],
            accrual_start=cf.accrual_start[part],
            accrual_end=cf.accrual_end[part],
            coupon_amounts=cf.interest[part],
            principal=cf.principal[part],
        )
        got = bond_measures(
            matrix,
            curve,
            compounding=compounding,
            wal_day_count=wal_day_count,
            guess=guess,
            tol=tol,
            on_failure=on_failure,
        )
        for target, values in zip(out, got, strict=True):
            target[part] = values
    return BondMeasures(*out)


def book_measures(
    book: LoanBook | LoanColumns,
    market: MarketSnapshot | None,
    discount_curves: Mapping[str, Curve],
    *,
    settlement: Any = "start",
    curves: Mapping[RateIndex, Curve] | None = None,
    calendars: Mapping[str, MarketCalendar] | None = None,
    frequency: int | None = None,
    day_count: Any = None,
    wal_day_count: Any = DayCount.ACT_365F,
    compounding: Compounding = "compounded",
    guess: float = 0.05,
    tol: float = DEFAULT_TOL,
    on_failure: OnFailure = "raise",
    cache: GridCache | None = None,
) -> BondMeasures:
    """PV, yield, WAL, modified and Macaulay duration and convexity of every loan, in one
    compiled pass per loan (see the module docs for what is valued and when the staged
    path is used instead).

    Parameters
    ----------
    book:
        A :class:`LoanBook` or its :class:`LoanColumns`.
    market:
        Past fixings and (through ``build_curves``) the projection curves of floating
        loans; may be None for fixed-rate books.
    discount_curves:
        ``{currency: Curve}``: each loan's receipts are discounted on its currency's.
    settlement:
        ``"start"`` (default: each loan valued at its start, as a bond at issue), one
        date, or one date per loan; receipts paid after it count.
    curves, calendars, cache:
        As :func:`book_cashflows` (projection curves, calendar overrides, schedules).
    frequency:
        The yield's compounding per year (default: each loan's payment frequency).
    day_count:
        The yield's day count (default: each loan's); ``wal_day_count`` WAL's
        (default ACT/365F). Years.
    compounding, guess, tol, on_failure:
        As :func:`bond_measures` (``"raise"``: a yield that does not converge raises
        :class:`~computefin.errors.ConvergenceError` naming the loans; ``"nan"``: NaN).

    Returns
    -------
    BondMeasures
        ``(n,)`` arrays in book order: PV in each loan's currency, yield (decimal), WAL
        and durations (years), convexity (years squared).

    >>> from computefin.pricing.curves import flat_curve
    >>> m = book_measures(_example_columns(), None, {"USD": flat_curve("2027-01-15", 0.05)})
    >>> m.pv.round(2).tolist(), m.ytm.round(8).tolist()
    ([1016587.86, 1016587.86], [0.04962032, 0.04962032])
    >>> m.modified_duration.round(6).tolist()
    [1.591956, 1.591956]
    """
    cols = _columns(book)
    n = len(cols)
    args: dict[str, Any] = {
        "settlement": settlement, "curves": curves, "calendars": calendars,
        "frequency": frequency, "day_count": day_count, "wal_day_count": wal_day_count,
        "compounding": compounding, "guess": guess, "tol": tol, "on_failure": on_failure,
        "cache": cache,
    }  # fmt: skip
    wal_row = _DENOMINATOR_ROW.get(parse_day_count(wal_day_count))
    if (
        n == 0
        or wal_row is None
        or compounding not in ("compounded", "continuous")
        or on_failure not in ("raise", "nan")
        or not (np.isfinite(tol) and tol > 0.0)
        or not (_fused.available() and pricing_kernels.available())
    ):
        return staged_book_measures(cols, market, discount_curves, **args)
    prep = kernel_inputs(cols, market, curves, calendars, cache)
    if prep is None or prep.templates.width > pricing_kernels.MAX_WIDTH:
        return staged_book_measures(cols, market, discount_curves, **args)
    settle = _settlement_days(settlement, cols)
    freq = _frequencies(cols, frequency)
    row_of_code = np.full(len(DAY_COUNTS), -1, dtype=np.int64)
    for dc, row in _DENOMINATOR_ROW.items():
        row_of_code[DAY_COUNTS.index(dc)] = row
    yield_code = row_of_code[_yield_day_codes(cols, day_count)]
    skip: BoolArray = (yield_code < 0) | _needs_fee(cols)
    currency, currencies = _currency_codes(cols)
    chosen = [_curve_of(discount_curves, name) for name in currencies]
    as_of = np.asarray([np.datetime64(c.as_of, "D").astype(np.int64) for c in chosen])
    skip |= settle < as_of[currency]
    taken = ~skip
    t_end = prep.templates.template_end
    first = int(settle[taken].min()) if bool(taken.any()) else 0
    last = max(int(t_end.max()), int(settle[taken].max())) if bool(taken.any()) else 0
    if not bool(taken.any()) or last - first > _MAX_DAYS:
        return staged_book_measures(cols, market, discount_curves, **args)
    days = np.arange(first, last + 1).astype("datetime64[D]")
    tables = np.stack([np.asarray(c.discount(days), dtype=np.float64) for c in chosen])
    pv, ytm, wal, modified, macaulay, convex, status = _valuation_kernel.valuation_loop(
        prep.inputs,
        prep.templates.template_alive,
        prep.kinds,
        CENT,
        skip,
        settle,
        currency,
        tables,
        first,
        np.maximum(yield_code, 0),
        wal_row,
        freq,
        np.full(n, float(guess)),
        (_YIELD_LO, _YIELD_HI),
        float(tol),
        _NEWTON_ITER,
        compounding == "compounded",
    )
    if bool(np.any(status == _valuation_kernel.OVER_REPAID)):
        return staged_book_measures(cols, market, discount_curves, **args)  # raises
    left = np.flatnonzero(status != 0)
    if left.size:
        sub = select_columns(cols, left)
        got = staged_book_measures(
            sub, market, discount_curves, **{**args, "on_failure": "nan",
            "settlement": settle[left].astype("datetime64[D]")}
        )  # fmt: skip
        for target, values in zip((pv, ytm, wal, modified, macaulay, convex), got, strict=True):
            target[left] = values
        failed = left[np.isnan(got.ytm)]
        if failed.size and on_failure == "raise":
            raise fail_report("yield_from_price", failed, n, tol, cols.ids)
    return BondMeasures(pv, ytm, wal, modified, macaulay, convex)


def _example_columns() -> LoanColumns:
    """Two identical fixed-rate level loans, USD, quarterly, 3 years (for the examples)."""
    from computefin.products.loan.model import CollateralLoan

    loans = [
        CollateralLoan(id=f"l-{i}", borrower_counterparty_id="b", principal=1e6,
                       currency="USD", start=dt.date(2027, 1, 15), maturity=dt.date(2030, 1, 15),
                       frequency="quarterly", amortization="level", fixed_rate=0.06)
        for i in range(2)
    ]  # fmt: skip
    return LoanColumns.from_loans(loans)
