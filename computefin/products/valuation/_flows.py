"""A loan book's cash flows to the lender as a :class:`~computefin.pricing.CashflowMatrix`.

Each loan's dated events, merged per (loan, date) and padded to a rectangle:

* receipts on each period's ``pay_date``: interest + principal + commitment fee (the
  interest is the slot's coupon, with the period's accrual dates, for accrued interest
  and QuantLib's stepwise yield times);
* the upfront fee on the loan's adjusted start date (the first accrual start);
* each draw, negative, on its own date (a draw dated before the adjusted start, the
  default draw on a start that falls on a holiday, goes on the adjusted start).

Money is in each loan's currency, unrounded. ``principal`` holds the repayments (for
WAL); ``drawn`` the draws (positive), so that the principal outstanding after a date is
``sum(principal - drawn)`` over the later slots.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import numpy as np

from computefin._typing import BoolArray, DateArray, FloatArray, IntArray
from computefin.domain.conventions import Frequency
from computefin.pricing import CashflowMatrix
from computefin.products.loan import LoanCashflows
from computefin.products.loan._columns import DAY_COUNTS, LoanColumns

__all__ = ["LoanFlows", "loan_flows"]

_NAT: Final[int] = int(np.iinfo(np.int64).min)


@dataclass(frozen=True, eq=False)
class LoanFlows:
    """The book's flows (``matrix``) and what the valuation needs beside them.

    ``settlement`` ``(n,)``: ``max(valuation date, adjusted start)``, the date the
    instrument measures (price, yield, durations, WAL) refer to. ``outstanding``: principal
    owed just after settlement (future repayments less future draws). ``upfront_on_settlement``:
    the upfront fee paid on the settlement date (only when the loan starts on or after the
    valuation date). ``drawn``: draws per slot (positive).
    """

    matrix: CashflowMatrix
    drawn: FloatArray
    settlement: DateArray
    outstanding: FloatArray
    upfront_on_settlement: FloatArray


def _frequency(cols: LoanColumns) -> IntArray:
    return np.asarray(
        [Frequency(key[2]).periods_per_year for key in cols.schedule_key], dtype=np.int64
    )


def loan_flows(cf: LoanCashflows, cols: LoanColumns, valuation_date: dt.date) -> LoanFlows:
    """Merge receipts, draws and the upfront fee of every loan into one matrix (no loop).

    >>> import datetime as dt
    >>> from computefin.products.loan import CollateralLoan, LoanBook
    >>> book = LoanBook.from_models([CollateralLoan(id="a", borrower_counterparty_id="b",
    ...     principal=100.0, currency="USD", start=dt.date(2027, 3, 15),
    ...     maturity=dt.date(2028, 3, 15), frequency="semiannual", amortization="bullet",
    ...     fixed_rate=0.06, upfront_fee_rate=0.01, day_count="30/360")])
    >>> flows = loan_flows(book.cashflows(), book.columns, dt.date(2026, 12, 1))
    >>> flows.matrix.pay_dates[0].astype(str).tolist(), flows.matrix.amounts[0].tolist()
    (['2027-03-15', '2027-09-15', '2028-03-15'], [-99.0, 3.0, 103.0])
    >>> flows.settlement.astype(str).tolist(), flows.outstanding.tolist()
    (['2027-03-15'], [100.0])
    """
    n, width = cf.shape
    alive = cf.alive
    rows = np.repeat(np.arange(n, dtype=np.int64), width).reshape(n, width)
    first_start = cf.accrual_start[:, 0].astype(np.int64) if width else np.zeros(n, np.int64)
    # receipts
    r_loan = rows[alive]
    r_day = cf.pay_date.astype(np.int64)[alive]
    r_amount = (cf.interest + cf.principal + cf.commitment_fee)[alive]
    r_coupon = cf.interest[alive]
    r_principal = cf.principal[alive]
    r_start = cf.accrual_start.astype(np.int64)[alive]
    r_end = cf.accrual_end.astype(np.int64)[alive]
    # upfront fees
    fee = cf.upfront_fee[:, 0] if width else np.zeros(n)
    u_loan = np.flatnonzero(fee > 0.0).astype(np.int64)
    # draws
    d_loan = cols.draw_loan
    d_day = np.maximum(cols.draw_day, first_start[d_loan]) if d_loan.size else cols.draw_day
    k_r, k_u, k_d = r_loan.size, u_loan.size, d_loan.size
    loan = np.concatenate([r_loan, u_loan, d_loan])
    day = np.concatenate([r_day, first_start[u_loan], d_day])
    amount = np.concatenate([r_amount, fee[u_loan], -cols.draw_amount])
    coupon = np.concatenate([r_coupon, np.zeros(k_u + k_d)])
    principal = np.concatenate([r_principal, np.zeros(k_u + k_d)])
    drawn = np.concatenate([np.zeros(k_r + k_u), cols.draw_amount])
    acc_start = np.concatenate([r_start, np.full(k_u + k_d, _NAT)])
    acc_end = np.concatenate([r_end, np.full(k_u + k_d, _NAT)])

    order = np.lexsort((day, loan))
    loan, day = loan[order], day[order]
    new = np.ones(loan.size, dtype=bool)
    new[1:] = (loan[1:] != loan[:-1]) | (day[1:] != day[:-1])
    group = np.cumsum(new) - 1
    n_groups = int(group[-1]) + 1 if group.size else 0
    g_loan = loan[new]
    g_day = day[new]
    first_group = np.searchsorted(g_loan, np.arange(n), side="left")
    col = np.arange(n_groups) - first_group[g_loan]
    counts = np.bincount(g_loan, minlength=n) if n_groups else np.zeros(n, np.int64)
    k = int(counts.max()) if n else 0

    def merged(values: FloatArray) -> FloatArray:
        out = np.zeros((n, k))
        np.add.at(out, (g_loan, col), np.bincount(group, values[order], minlength=n_groups))
        return out

    def latest(values: IntArray) -> DateArray:
        best = np.full(n_groups, _NAT, dtype=np.int64)
        np.maximum.at(best, group, values[order])
        out = np.full((n, k), _NAT, dtype=np.int64)
        out[g_loan, col] = best
        return out.view("datetime64[D]")

    live: BoolArray = np.zeros((n, k), dtype=bool)
    live[g_loan, col] = True
    pay = np.full((n, k), _NAT, dtype=np.int64)
    pay[g_loan, col] = g_day
    as_of = np.datetime64(valuation_date, "D").astype(np.int64)
    settle = np.maximum(first_start, as_of)
    pay_days = pay.view("datetime64[D]")
    amounts = merged(amount)
    repaid = merged(principal)
    draws = merged(drawn)
    later = live & (pay > settle[:, None])
    day_counts = np.asarray([DAY_COUNTS[c].value for c in cols.day_count.tolist()], dtype=str)
    matrix = CashflowMatrix(
        ids=np.asarray(cols.ids, dtype=str),
        pay_dates=pay_days,
        amounts=amounts,
        alive=live,
        settlement=settle.astype("datetime64[D]"),
        frequency=_frequency(cols) if n else 1,
        day_count=day_counts if n else "ACT/365F",
        accrual_start=latest(acc_start),
        accrual_end=latest(acc_end),
        coupon_amounts=merged(coupon),
        principal=repaid,
    )
    on_start = (first_start == settle) & (fee > 0.0)
    return LoanFlows(
        matrix=matrix,
        drawn=draws,
        settlement=settle.astype("datetime64[D]"),
        outstanding=np.where(later, repaid - draws, 0.0).sum(axis=1),
        upfront_on_settlement=np.where(on_start, fee, 0.0),
    )
