"""The loan cash-flow kernel: every loan of a book at once, periods on the last axis.

Arrays are ``(n_loans, n_periods)``, padded with zeros past each loan's last period and
marked by ``alive``. One Python loop runs over periods (each step an array operation
over loans); none runs over loans. Per period ``t`` of a loan:

* ``draw``: draws dated in the period (``accrual_start <= date < accrual_end``, the first
  period also taking draws before its adjusted start). A draw is disbursed on its own
  date and earns interest from it; a draw dated on a period's unadjusted start (the
  loan's ``start``, the default draw) earns from the adjusted accrual start.
* ``opening_balance``: drawn balance at the accrual start, before the period's draws;
  ``closing_balance = opening_balance + draw - principal``.
* ``interest = rate * (opening_balance * yf + sum(draw_k * yf(draw_date_k, accrual_end)))``.
* ``principal``: by amortization, on ``B = opening_balance + draw`` with ``n`` periods
  left (this one included) and period rate ``r = rate * yf``: level ``B * r / ((1 + r)^n
  - 1)`` (an annuity recomputed each period, so a floating loan's payment moves with its
  rate), straight ``B / n``, bullet 0, balloon level on ``B - s * drawn`` (``s`` the
  balloon share, ``drawn`` the amount drawn to date), custom the scheduled amounts. The
  last period repays whatever is left (a custom schedule's sub-cent rounding included).
* ``commitment_fee = commitment_fee_rate * integral of the undrawn commitment`` over the
  part of the period before ``availability_end`` (day-count year fractions);
  ``undrawn_commitment`` is the amount at the accrual start, 0 once availability ended.
* ``upfront_fee = upfront_fee_rate * principal`` in the first period (paid at start).
* ``total_cashflow = interest + principal + commitment_fee + upfront_fee - draw``: to the
  lender, receipts positive; receipts are paid on ``pay_date`` (the adjusted accrual end,
  no payment lag), draws and the upfront fee on their own dates within the period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from computefin.domain.market import MarketSnapshot, RateIndex
from computefin.errors import ValidationError
from computefin.pricing import Curve, MarketCalendar
from computefin.products.loan import _fused
from computefin.products.loan._columns import (
    AMORTIZATION_CODES,
    BoolArray,
    FloatArray,
    IntArray,
    LoanColumns,
)
from computefin.products.loan._fields import Amortization
from computefin.products.loan._grid import (
    GridCache,
    GridTemplates,
    PeriodGrid,
    build_grid,
    build_templates,
    year_fractions,
)
from computefin.products.loan._rates import (
    FIXED,
    HISTORICAL,
    PROJECTED,
    STALE,
    period_rates,
    rate_templates,
)
from computefin.products.loan.model import CENT

__all__ = [
    "FIXING_SOURCES",
    "FRAME_COLUMNS",
    "KernelInputs",
    "LoanCashflows",
    "book_cashflows",
    "fused_book_cashflows",
    "kernel_inputs",
    "numpy_book_cashflows",
]

DateArray = npt.NDArray[np.datetime64]

FRAME_COLUMNS: Final[tuple[str, ...]] = (
    "period",
    "accrual_start",
    "accrual_end",
    "pay_date",
    "opening_balance",
    "draw",
    "rate",
    "interest",
    "principal",
    "commitment_fee",
    "upfront_fee",
    "total_cashflow",
    "closing_balance",
    "year_fraction",
    "undrawn_commitment",
    "index_rate",
    "fixing_date",
    "fixing_source",
)
"""Columns of :meth:`LoanCashflows.loan_frame`, in order."""

FIXING_SOURCES: Final[dict[int, str]] = {
    FIXED: "fixed",
    HISTORICAL: "historical",
    PROJECTED: "projected",
    STALE: "stale",
}
"""Meaning of :attr:`LoanCashflows.fixing_source` codes."""

_CODE = AMORTIZATION_CODES


@dataclass(frozen=True, eq=False)
class LoanCashflows:
    """Cash flows of a loan book: ``(n_loans, n_periods)`` arrays plus the ``alive`` mask.

    Dates are ``datetime64[D]``, money in each loan's ``currency`` (unrounded), rates and
    year fractions decimals. ``fixing_source``: 0 fixed, 1 historical fixing, 2 projected, 3 stale
    (a period paid before the as-of date with no fixing in the snapshot, on a loan whose
    balance does not depend on its rate: the nearest fixing is shown).
    Padded cells hold zeros (dates repeat the loan's last date).
    """

    loan_ids: tuple[str, ...]
    currency: tuple[str, ...]
    n_periods: IntArray
    alive: BoolArray
    accrual_start: DateArray
    accrual_end: DateArray
    pay_date: DateArray
    fixing_date: DateArray
    fixing_source: IntArray
    year_fraction: FloatArray
    opening_balance: FloatArray
    draw: FloatArray
    undrawn_commitment: FloatArray
    index_rate: FloatArray
    rate: FloatArray
    interest: FloatArray
    principal: FloatArray
    commitment_fee: FloatArray
    upfront_fee: FloatArray
    total_cashflow: FloatArray
    closing_balance: FloatArray

    def __len__(self) -> int:
        return len(self.loan_ids)

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_loans, n_periods)``."""
        return (int(self.alive.shape[0]), int(self.alive.shape[1]))

    def position(self, loan: int | str) -> int:
        """Row of a loan given its id or its position."""
        if isinstance(loan, str):
            try:
                return self.loan_ids.index(loan)
            except ValueError:
                raise KeyError(f"no loan {loan!r} in these cash flows") from None
        if not -len(self) <= loan < len(self):
            raise IndexError(f"loan position {loan} out of range for {len(self)} loans")
        return loan % len(self)

    def _columns(self, rows: Any, cols: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in FRAME_COLUMNS:
            if name == "period":
                continue
            values = getattr(self, name)[rows, cols]
            if name == "fixing_source":
                values = np.asarray([FIXING_SOURCES[int(v)] for v in values.tolist()], object)
            out[name] = values
        return out

    def loan_frame(self, loan: int | str) -> pd.DataFrame:
        """One loan's periods as a DataFrame (columns :data:`FRAME_COLUMNS`).

        ``period`` counts from 1; dates are ``datetime64``.
        """
        row = self.position(loan)
        m = int(self.n_periods[row])
        data: dict[str, Any] = {"period": np.arange(1, m + 1, dtype=np.int64)}
        data.update(self._columns(row, slice(0, m)))
        return pd.DataFrame(data, columns=list(FRAME_COLUMNS))

    def to_frame(self) -> pd.DataFrame:
        """Every loan's periods, stacked: ``loan_id``, ``currency``, then :data:`FRAME_COLUMNS`."""
        rows, cols = np.nonzero(self.alive)
        ids = np.asarray(self.loan_ids, dtype=object)
        currency = np.asarray(self.currency, dtype=object)
        data: dict[str, Any] = {
            "loan_id": ids[rows] if ids.size else np.asarray([], object),
            "currency": currency[rows] if currency.size else np.asarray([], object),
            "period": cols.astype(np.int64) + 1,
        }
        data.update(self._columns(rows, cols))
        return pd.DataFrame(data, columns=["loan_id", "currency", *FRAME_COLUMNS])


def _level_factor(r: FloatArray, n: IntArray) -> FloatArray:
    """``r / ((1 + r)^n - 1)``: share of the balance repaid by a level payment; ``1/n`` at 0."""
    safe = np.maximum(r, -0.999999)
    growth = np.expm1(n * np.log1p(safe))
    small = np.abs(safe) < 1e-14
    out: FloatArray = np.divide(
        safe, growth, out=np.zeros_like(safe), where=~small & (growth != 0.0)
    )
    return np.where(small, 1.0 / n, out)


def _draw_terms(cols: LoanColumns, grid: PeriodGrid) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per period: amount drawn, its interest accrual weight, its fee accrual weight."""
    shape = grid.shape
    draw = np.zeros(shape)
    interest_weight = np.zeros(shape)
    fee_weight = np.zeros(shape)
    loans, day, amount = cols.draw_loan, cols.draw_day, cols.draw_amount
    if loans.size == 0 or shape[1] == 0:
        return draw, interest_weight, fee_weight
    passed = (grid.end[loans] <= day[:, None]) & grid.alive[loans]
    k = np.minimum(passed.sum(axis=1), grid.n_periods[loans] - 1)
    start, end = grid.start[loans, k], grid.end[loans, k]
    # A draw on a period's unadjusted start date (the loan's start, say) counts from the
    # adjusted accrual start, whichever way the holiday moved it.
    accrues_from = np.where(day == grid.unadjusted_start[loans, k], start, day)
    available_end = np.clip(cols.availability_end[loans], start, end)
    codes = cols.day_count[loans]
    yf_interest = year_fractions(codes, np.clip(accrues_from, start, end), end)
    yf_fee = year_fractions(codes, np.clip(accrues_from, start, available_end), available_end)
    np.add.at(draw, (loans, k), amount)
    np.add.at(interest_weight, (loans, k), amount * yf_interest)
    np.add.at(fee_weight, (loans, k), amount * yf_fee)
    return draw, interest_weight, fee_weight


def _custom_terms(cols: LoanColumns, grid: PeriodGrid) -> FloatArray:
    """Custom repayments by period: the first period whose end (adjusted or not) is on or
    after the repayment date."""
    out = np.zeros(grid.shape)
    loans, day = cols.custom_loan, cols.custom_day
    if loans.size == 0:
        return out
    ends = np.maximum(grid.end[loans], grid.unadjusted_end[loans])
    k = np.minimum(
        ((ends < day[:, None]) & grid.alive[loans]).sum(axis=1), grid.n_periods[loans] - 1
    )
    np.add.at(out, (loans, k), cols.custom_amount)
    return out


def _needs_fee(cols: LoanColumns) -> BoolArray:
    """Loans whose commitment fee is not identically +0.0: a fee rate, or draws other than
    the whole principal at start (for the others ``undrawn * yf - weight`` is exactly 0)."""
    n = len(cols)
    out: BoolArray = cols.commitment_fee_rate != 0.0
    count = np.bincount(cols.draw_loan, minlength=n)
    single = count[cols.draw_loan] == 1
    plain = np.zeros(n, dtype=bool)
    owner = cols.draw_loan[single]
    plain[owner] = (cols.draw_day[single] == cols.layout.start_day[owner]) & (
        cols.draw_amount[single] == cols.principal[owner]
    )
    out |= ~plain
    return out


def _amortize(
    kind: int,
    owed_in: FloatArray,
    left: IntArray,
    factor: FloatArray | None,
    balloon: FloatArray,
    drawn: FloatArray,
    custom: FloatArray,
) -> FloatArray:
    """Scheduled principal of one amortization type in one period (rows of that type)."""
    if kind == _CODE[Amortization.BULLET]:
        return np.zeros_like(owed_in)
    if kind == _CODE[Amortization.STRAIGHT]:
        out: FloatArray = owed_in / left
        return out
    if kind == _CODE[Amortization.LEVEL]:
        assert factor is not None
        return owed_in * factor
    if kind == _CODE[Amortization.BALLOON]:
        assert factor is not None
        return (owed_in - balloon * drawn) * factor
    return custom


def _principal(
    cols: LoanColumns, grid: PeriodGrid, rate: FloatArray, draw: FloatArray, custom: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Opening balance and principal paid per period: the one sequential recursion.

    Rows are taken one amortization type at a time, periods on the first axis of
    contiguous ``(P, k)`` copies; annuity factors are computed for all periods up front
    (they depend on the rate and the periods left, not on the balance).
    """
    n, width = grid.shape
    opening = np.zeros((n, width))
    principal = np.zeros((n, width))
    if width == 0:
        return opening, principal
    steps = np.arange(width)
    level_kinds = (_CODE[Amortization.LEVEL], _CODE[Amortization.BALLOON])
    for kind in np.unique(cols.amortization).tolist():
        rows = np.flatnonzero(cols.amortization == kind)
        m = grid.n_periods[rows]
        left = np.maximum(m[:, None] - steps, 1)
        factor_t = None
        if kind in level_kinds:
            yf = grid.year_fraction[rows]
            factor_t = np.ascontiguousarray(_level_factor(rate[rows] * yf, left).T)
        left_t = np.ascontiguousarray(left.T)
        draw_t = np.ascontiguousarray(draw[rows].T)
        live_t = np.ascontiguousarray(grid.alive[rows].T)
        last_t = np.ascontiguousarray((m[:, None] - 1 == steps).T)
        custom_t = np.ascontiguousarray(custom[rows].T)
        drawn_t = np.cumsum(draw_t, axis=0) if kind == _CODE[Amortization.BALLOON] else draw_t
        balloon = cols.balloon_share[rows]
        opening_t = np.empty((width, rows.size))
        paid_t = np.empty((width, rows.size))
        balance = np.zeros(rows.size)
        for t in range(width):
            opening_t[t] = balance
            owed = balance + draw_t[t]
            scheduled = _amortize(
                kind,
                owed,
                left_t[t],
                None if factor_t is None else factor_t[t],
                balloon,
                drawn_t[t],
                custom_t[t],
            )
            paid = np.where(live_t[t], np.where(last_t[t], owed, scheduled), 0.0)
            paid_t[t] = paid
            balance = owed - paid
        opening[rows] = opening_t.T
        principal[rows] = paid_t.T
    return opening, principal


def book_cashflows(
    cols: LoanColumns,
    market: MarketSnapshot | None = None,
    curves: Mapping[RateIndex, Curve] | None = None,
    calendars: Mapping[str, MarketCalendar] | None = None,
    cache: GridCache | None = None,
) -> LoanCashflows:
    """Cash flows of every loan in ``cols`` (see the module docs for the formulas).

    ``cache`` carries schedules over between calls with the same ``calendars``. The
    compiled kernel (:func:`fused_book_cashflows`) runs when numba is available (and
    ``COMPUTEFIN_NUMBA`` is not ``0``), else :func:`numpy_book_cashflows`; they give the
    same cells (bit for bit but for the last place of level and balloon principal).

    >>> from computefin.products.loan._columns import LoanColumns
    >>> book_cashflows(LoanColumns.from_loans([])).shape
    (0, 0)
    """
    if _fused.available():
        return fused_book_cashflows(cols, market, curves, calendars, cache)
    return numpy_book_cashflows(cols, market, curves, calendars, cache)


def numpy_book_cashflows(
    cols: LoanColumns,
    market: MarketSnapshot | None = None,
    curves: Mapping[RateIndex, Curve] | None = None,
    calendars: Mapping[str, MarketCalendar] | None = None,
    cache: GridCache | None = None,
) -> LoanCashflows:
    """:func:`book_cashflows` on whole ``(loans, periods)`` arrays, one Python loop over
    periods (the reference the compiled kernel is tested against)."""
    grid = build_grid(cols, calendars, cache)
    rates = period_rates(cols, grid, market, curves, calendars)
    n, width = grid.shape
    alive, yf, rate = grid.alive, grid.year_fraction, rates.rate
    draw, interest_weight, fee_weight = _draw_terms(cols, grid)
    custom = _custom_terms(cols, grid)
    opening, principal = _principal(cols, grid, rate, draw, custom)
    owed = opening + draw
    over = principal > owed + CENT
    if bool(over.any()):
        t = int(np.flatnonzero(over.any(axis=0))[0])
        bad = int(np.flatnonzero(over[:, t])[0])
        raise ValidationError(
            f"CollateralLoan[{cols.ids[bad]}].custom_principal_schedule",
            f"repays {principal[bad, t]!r} in period {t + 1}, more than the {owed[bad, t]!r} drawn",
        )
    closing = owed - principal
    interest = rate * (opening * yf + interest_weight)
    undrawn = np.zeros((n, width))
    fee = np.zeros((n, width))
    end_of_availability = cols.availability_end[:, None]
    available = alive & (end_of_availability > grid.start)
    if width:
        drawn_before = np.cumsum(draw, axis=1)
        drawn_before[:, 1:] = drawn_before[:, :-1]
        drawn_before[:, 0] = 0.0
        undrawn = np.where(available, cols.principal[:, None] - drawn_before, 0.0)
        rows = np.flatnonzero(_needs_fee(cols))
        if rows.size:
            start = grid.start[rows]
            available_end = np.clip(end_of_availability[rows], start, grid.end[rows])
            codes = np.broadcast_to(cols.day_count[rows, None], start.shape)
            yf_available = year_fractions(codes, start, available_end)
            fee[rows] = cols.commitment_fee_rate[rows, None] * (
                undrawn[rows] * yf_available - fee_weight[rows]
            )
    upfront = np.zeros((n, width))
    if width:
        upfront[:, 0] = np.where(alive[:, 0], cols.upfront_fee_rate * cols.principal, 0.0)
    total = interest + principal + fee + upfront - draw
    start_dates = grid.start.view("datetime64[D]")
    end_dates = grid.end.view("datetime64[D]")
    return LoanCashflows(
        loan_ids=cols.ids,
        currency=cols.currency,
        n_periods=grid.n_periods,
        alive=alive,
        accrual_start=start_dates,
        accrual_end=end_dates,
        pay_date=end_dates.copy(),
        fixing_date=rates.fixing_day.view("datetime64[D]"),
        fixing_source=rates.source,
        year_fraction=yf,
        opening_balance=opening,
        draw=draw,
        undrawn_commitment=undrawn,
        index_rate=rates.index_rate,
        rate=np.where(alive, rate, 0.0),
        interest=interest,
        principal=principal,
        commitment_fee=fee,
        upfront_fee=upfront,
        total_cashflow=total,
        closing_balance=closing,
    )


def _sorted_by_loan(
    owner: IntArray, day: IntArray, amount: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Dated amounts ordered by loan (stable: a loan's amounts keep their order)."""
    if owner.size < 2 or bool(np.all(owner[1:] >= owner[:-1])):
        return owner, day, amount
    order = np.argsort(owner, kind="stable")
    return owner[order], day[order], amount[order]


@dataclass(frozen=True, eq=False)
class KernelInputs:
    """What the compiled per-loan loops take (:func:`kernel_inputs`): the templates, the
    columns of :func:`computefin.products.loan._fused._loop_py` in order (``inputs``, up
    to ``custom_amount``), the amortization codes, and each draw's owner, period, amount,
    accrual start and its period's dates (for the commitment fee)."""

    templates: GridTemplates
    inputs: tuple[Any, ...]
    kinds: IntArray
    draw_owner: IntArray
    draw_period: IntArray
    draw_amount: FloatArray
    draw_accrues_from: IntArray
    draw_start: IntArray
    draw_end: IntArray


def kernel_inputs(
    cols: LoanColumns,
    market: MarketSnapshot | None = None,
    curves: Mapping[RateIndex, Curve] | None = None,
    calendars: Mapping[str, MarketCalendar] | None = None,
    cache: GridCache | None = None,
) -> KernelInputs | None:
    """Templates, rate variants and per-loan draws and repayments for the compiled loops,
    or None where they do not apply (an empty book, a shape without periods)."""
    tpl = build_templates(cols, calendars, cache)
    n, width = len(cols), tpl.width
    if n == 0 or width == 0 or bool(np.any(tpl.template_periods == 0)):
        return None
    rates = rate_templates(cols, tpl, market, curves, calendars)
    owner, day, amount = _sorted_by_loan(cols.draw_loan, cols.draw_day, cols.draw_amount)
    t_start, t_end = tpl.template_start, tpl.template_end
    t_uend, t_m = tpl.template_unadjusted_end, tpl.template_periods
    k = _fused.slots(owner, day, tpl.shape_row, t_end, t_uend, t_m, False)
    rows_of = tpl.shape_row[owner]
    start_k, end_k = t_start[rows_of, k], t_end[rows_of, k]
    # a draw on a period's unadjusted start counts from the adjusted accrual start
    accrues_from = np.where(day == tpl.template_unadjusted_start[rows_of, k], start_k, day)
    codes = cols.day_count[owner]
    weight = amount * year_fractions(codes, np.clip(accrues_from, start_k, end_k), end_k)
    c_owner, c_day, c_amount = _sorted_by_loan(
        cols.custom_loan, cols.custom_day, cols.custom_amount
    )
    c_k = _fused.slots(c_owner, c_day, tpl.shape_row, t_end, t_uend, t_m, True)
    loans = np.arange(n + 1)
    inputs = (
        tpl.shape_row,
        tpl.yf_row,
        rates.variant,
        t_start,
        t_end,
        t_m,
        tpl.year_fraction,
        rates.index_rate,
        rates.fixing_day,
        rates.source,
        cols.fixed_rate,
        cols.margin,
        cols.floor,
        cols.cap,
        cols.floor_on_index,
        cols.amortization,
        cols.balloon_share,
        cols.principal,
        cols.upfront_fee_rate,
        cols.availability_end,
        np.searchsorted(owner, loans),
        k,
        amount,
        weight,
        np.searchsorted(c_owner, loans),
        c_k,
        c_amount,
    )
    kinds = np.asarray(
        [_CODE[a] for a in (Amortization.LEVEL, Amortization.STRAIGHT, Amortization.BULLET,
                            Amortization.BALLOON)],
        dtype=np.int64,
    )  # fmt: skip
    return KernelInputs(tpl, inputs, kinds, owner, k, amount, accrues_from, start_k, end_k)


def fused_book_cashflows(
    cols: LoanColumns,
    market: MarketSnapshot | None = None,
    curves: Mapping[RateIndex, Curve] | None = None,
    calendars: Mapping[str, MarketCalendar] | None = None,
    cache: GridCache | None = None,
) -> LoanCashflows:
    """:func:`book_cashflows` by the compiled per-loan loop (:mod:`._fused`).

    Schedules and index rates are computed once per shape and per variant, draws and
    custom repayments once per dated amount, the commitment fee only on the loans that
    have one; the loop writes every other cell without temporaries.
    """
    prep = kernel_inputs(cols, market, curves, calendars, cache)
    if prep is None:
        return numpy_book_cashflows(cols, market, curves, calendars, cache)
    tpl, inputs, kinds = prep.templates, prep.inputs, prep.kinds
    owner, k, amount = prep.draw_owner, prep.draw_period, prep.draw_amount
    accrues_from, start_k, end_k = prep.draw_accrues_from, prep.draw_start, prep.draw_end
    codes = cols.day_count[owner]
    n, width = len(cols), tpl.width
    t_m = tpl.template_periods
    out, bad = _fused.cashflow_loop(inputs, kinds, CENT, n, width)
    if bool(np.any(bad >= 0)):  # the numpy kernel's error: first period, then first loan
        t = int(bad[bad >= 0].min())
        row = int(np.flatnonzero(bad == t)[0])
        owed = out["opening"][row, t] + out["draw"][row, t]
        raise ValidationError(
            f"CollateralLoan[{cols.ids[row]}].custom_principal_schedule",
            f"repays {out['principal'][row, t]!r} in period {t + 1}, more than the {owed!r} drawn",
        )
    fee = out["fee"]
    rows = np.flatnonzero(_needs_fee(cols))
    if rows.size:
        position = np.full(n, -1, dtype=np.int64)
        position[rows] = np.arange(rows.size)
        mine = position[owner] >= 0
        avail = np.clip(cols.availability_end[owner], start_k, end_k)
        yf_fee = year_fractions(codes, np.clip(accrues_from, start_k, avail), avail)
        fee_weight = np.zeros((rows.size, width))
        np.add.at(fee_weight, (position[owner[mine]], k[mine]), (amount * yf_fee)[mine])
        start = out["start"][rows]
        available_end = np.clip(cols.availability_end[rows, None], start, out["end"][rows])
        day_counts = np.broadcast_to(cols.day_count[rows, None], start.shape)
        yf_available = year_fractions(day_counts, start, available_end)
        fee[rows] = cols.commitment_fee_rate[rows, None] * (
            out["undrawn"][rows] * yf_available - fee_weight
        )
        out["total"][rows] = (
            out["interest"][rows]
            + out["principal"][rows]
            + fee[rows]
            + out["upfront"][rows]
            - out["draw"][rows]
        )
    return LoanCashflows(
        loan_ids=cols.ids,
        currency=cols.currency,
        n_periods=t_m[tpl.shape_row],
        alive=out["alive"],
        accrual_start=out["start"].view("datetime64[D]"),
        accrual_end=out["end"].view("datetime64[D]"),
        pay_date=out["pay"].view("datetime64[D]"),
        fixing_date=out["fixing"].view("datetime64[D]"),
        fixing_source=out["source"],
        year_fraction=out["yf"],
        opening_balance=out["opening"],
        draw=out["draw"],
        undrawn_commitment=out["undrawn"],
        index_rate=out["index_rate"],
        rate=out["rate"],
        interest=out["interest"],
        principal=out["principal"],
        commitment_fee=fee,
        upfront_fee=out["upfront"],
        total_cashflow=out["total"],
        closing_balance=out["closing"],
    )
