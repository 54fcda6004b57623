"""The fused loan valuation kernel: one compiled pass per loan from terms to figures.

The staged path (:func:`computefin.products.loan.measures.staged_book_measures`) writes
every loan's 17 ``(loans, periods)`` cash-flow arrays (:class:`LoanCashflows`), builds a
:class:`~computefin.pricing.analytics.CashflowMatrix` of the lender's receipts and runs
:func:`~computefin.pricing.analytics.bond_measures` over it: about 8 KB of memory written
and read again per 60-period loan. This kernel computes a loan's period flows (the
balance recursion, annuity factor, interest and principal of
:func:`computefin.products.loan._fused._loop_py`, operation for operation) and, period
by period, their terms in the PV, WAL and yield sums, in a few scratch rows that stay in
the core's L1 cache; then the yield at that PV (Halley, QuantLib's stepwise
compounding) and the risks at it. Only six numbers per loan are written: PV, yield,
WAL, modified and Macaulay duration, convexity.

What depends on the dates alone (which slots are paid after the settlement, their
discount factors over the settlement's, WAL times, the yield's stepwise times and
distinct steps) is computed once per (schedule shape, settlement, yield day count,
curve) by :func:`computefin.pricing._fused._schedule_py` (:func:`_keys_py`), not once
per loan; the yield by :func:`computefin.pricing._fused._halley_py`. Both are the
per-instrument operations of the compiled ``bond_measures``, so the figures are the
staged path's bit for bit (``tests/products/test_loan_fused_measures.py``): the receipts
are ``(interest + principal) + 0.0`` (the commitment fee, zero on the loans this kernel
takes), the rows as wide as the book's cash-flow arrays (the pairwise sums' grouping).

Loans flagged in ``skip`` are not valued (status 3), loans whose custom schedule repays
more than is owed get status 2, loans whose Halley iteration fails status 1; the caller
values those by the staged path (which raises its errors). numba's cache does not see
edits of :mod:`computefin.pricing._fused`: touch this file after changing
``_schedule_py``, ``_halley_py``, ``_terms_py`` or ``_pairwise_py`` there (the
bit-for-bit tests catch a stale cache).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from typing import Any, Final

import numpy as np

from computefin.pricing import _fused as pricing_kernels
from computefin.pricing._parallel import run_blocks
from computefin.products.loan._columns import FloatArray, IntArray

__all__ = ["BLOCK", "OVER_REPAID", "SKIPPED", "UNSOLVED", "valuation_loop"]

BLOCK: Final[int] = 2048
"""Loans per work item handed to a thread (each block allocates its scratch rows once)."""
UNSOLVED: Final[int] = 1
OVER_REPAID: Final[int] = 2
SKIPPED: Final[int] = 3


def _value_py(
    lo_row: int,
    hi_row: int,
    shape_row: Any,
    yf_row: Any,
    variant: Any,
    t_start: Any,
    t_end: Any,
    t_m: Any,
    t_yf: Any,
    v_index: Any,
    fixed_rate: Any,
    margin: Any,
    floor: Any,
    cap: Any,
    floor_on_index: Any,
    amortization: Any,
    balloon_share: Any,
    draw_ptr: Any,
    draw_k: Any,
    draw_amount: Any,
    draw_weight: Any,
    custom_ptr: Any,
    custom_k: Any,
    custom_amount: Any,
    codes: Any,
    cent: float,
    skip: Any,
    t_key: Any,
    k_use: Any,
    k_ratio: Any,
    k_wal: Any,
    k_times: Any,
    k_slot: Any,
    k_steps: Any,
    k_count: Any,
    k_n_steps: Any,
    k_chained: Any,
    freq: Any,
    x0: Any,
    y_lo: float,
    y_hi: float,
    tol: float,
    max_iter: int,
    compounded: bool,
    pv: Any,
    ytm: Any,
    wal: Any,
    modified: Any,
    macaulay: Any,
    convexity: Any,
    status: Any,
) -> None:
    """Figures of the loans ``lo_row:hi_row`` (see the module docs)."""
    width = t_start.shape[1]
    level, straight, bullet, balloon_code = codes[0], codes[1], codes[2], codes[3]
    d_amt = np.zeros(width)
    d_w = np.zeros(width)
    c_amt = np.zeros(width)
    terms = np.zeros(width)
    cash = np.zeros(width)
    weights = np.zeros(width)
    flows = np.zeros(width)
    factors = np.zeros(k_steps.shape[1])
    for i in range(lo_row, hi_row):
        if skip[i]:
            status[i] = SKIPPED
            pv[i] = np.nan
            ytm[i] = np.nan
            wal[i] = np.nan
            modified[i] = np.nan
            macaulay[i] = np.nan
            convexity[i] = np.nan
            continue
        s = shape_row[i]
        yr = yf_row[i]
        v = variant[i]
        m = t_m[s]
        kind = amortization[i]
        for t in range(width):
            d_amt[t] = 0.0
            d_w[t] = 0.0
            c_amt[t] = 0.0
        for j in range(draw_ptr[i], draw_ptr[i + 1]):
            d_amt[draw_k[j]] += draw_amount[j]
            d_w[draw_k[j]] += draw_weight[j]
        for j in range(custom_ptr[i], custom_ptr[i + 1]):
            c_amt[custom_k[j]] += custom_amount[j]
        balance = 0.0
        drawn = 0.0  # drawn to date, this period's draws included (balloon)
        first_bad = -1
        key = t_key[i]
        count = 0
        fixed = fixed_rate[i]
        mg, r_lo, r_hi = margin[i], floor[i], cap[i]
        on_index = floor_on_index[i]
        share = balloon_share[i]
        for t in range(width):
            live = t < m
            year = t_yf[yr, t]
            if v >= 0:
                idx = v_index[v, t]
                # the floor and cap bound the index (then the margin) or the all-in rate
                all_in = (
                    min(max(idx, r_lo), r_hi) + mg if on_index else min(max(idx + mg, r_lo), r_hi)
                )
                r = all_in if live else 0.0
            else:
                r = fixed if live else 0.0
            dr = d_amt[t]
            before = balance
            owed = balance + dr
            drawn += dr
            paid = 0.0
            if live:
                if t == m - 1:
                    paid = owed
                elif kind == bullet:
                    paid = 0.0
                elif kind == straight:
                    paid = owed / max(m - t, 1)
                elif kind in (level, balloon_code):
                    x = max(r * year, -0.999999)
                    left = max(m - t, 1)
                    if abs(x) < 1e-14:
                        factor = 1.0 / left
                    else:
                        growth = math.expm1(left * math.log1p(x))
                        factor = x / growth if growth != 0.0 else 0.0
                    base = owed if kind == level else owed - share * drawn
                    paid = base * factor
                else:
                    paid = c_amt[t]
            if first_bad < 0 and paid > owed + cent:
                first_bad = t
            balance = owed - paid
            accrued = r * (before * year + d_w[t])
            # the lender's receipts: interest + principal + commitment fee (0.0 here),
            # and their terms in the PV, WAL and yield sums (as bond_measures forms them)
            amt = (accrued + paid) + 0.0
            if k_use[key, t]:
                terms[t] = amt * k_ratio[key, t]
                cash[t] = paid
                weights[t] = paid * k_wal[key, t]
                flows[count] = amt
                count += 1
            else:
                terms[t] = 0.0
                cash[t] = 0.0
                weights[t] = 0.0
        if first_bad >= 0:
            status[i] = OVER_REPAID
            continue
        value = _pairwise(terms, 0, width)
        total = _pairwise(cash, 0, width)
        pv[i] = value
        wal[i] = _pairwise(weights, 0, width) / total if total != 0.0 else 0.0
        out = _halley(
            flows,
            k_times[key],
            k_slot[key],
            k_count[key],
            k_steps[key],
            factors,
            k_n_steps[key],
            k_chained[key],
            value,
            x0[i],
            y_lo,
            y_hi,
            tol,
            max_iter,
            freq[i],
            compounded,
        )
        ytm[i] = out[0]
        modified[i] = out[1]
        macaulay[i] = out[2]
        convexity[i] = out[3]
        status[i] = out[4]


def _keys_py(
    shape: Any,
    settle: Any,
    yield_code: Any,
    curve: Any,
    wal_code: int,
    t_start: Any,
    t_end: Any,
    t_alive: Any,
    dens: Any,
    years: Any,
    tables: Any,
    first: int,
    use: Any,
    ratio: Any,
    wal_years: Any,
    times: Any,
    slot: Any,
    steps: Any,
    count: Any,
    n_steps: Any,
    chained: Any,
) -> None:
    """The dates' part of every key (schedule shape, settlement, yield day count, curve):
    :func:`computefin.pricing._fused._schedule_py` on the shape's template."""
    for u in range(shape.size):
        s = shape[u]
        got = _schedule(
            t_end[s],
            t_alive[s],
            t_start[s],
            True,
            settle[u],
            yield_code[u],
            wal_code,
            dens,
            years,
            tables[curve[u]],
            first,
            use[u],
            ratio[u],
            wal_years[u],
            times[u],
            slot[u],
            steps[u],
        )
        count[u] = got[0]
        n_steps[u] = got[1]
        chained[u] = got[2]


_schedule: Any = None
_halley: Any = None
_pairwise: Any = None


@cache
def _compiled() -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Compile (or load from numba's on-disk cache) the kernels, once a process."""
    import numba

    glb = globals()
    glb["_schedule"], glb["_halley"], glb["_pairwise"] = pricing_kernels.instrument_kernel()
    value = numba.njit(cache=True, nogil=True)(_value_py)
    keys = numba.njit(cache=True, nogil=True)(_keys_py)
    return value, keys


def _c(x: Any, dtype: Any) -> Any:
    """``x`` as a C-contiguous array of ``dtype`` (no copy if it already is): one compiled
    signature whatever views the caller passes."""
    return np.ascontiguousarray(x, dtype=dtype)


def _key_codes(parts: list[IntArray]) -> tuple[IntArray, IntArray]:
    """Distinct rows of the integer columns ``parts``: a row holding each, and each
    row's code (by counting when the packed keys are few, else by sorting)."""
    n = int(parts[0].size)
    key = np.zeros(n, dtype=np.int64)
    for part in parts:
        lo = int(part.min(initial=0))
        key = key * (int(part.max(initial=0)) - lo + 1) + (part - lo)
    top = int(key.max(initial=0)) + 1
    if top <= 16 * n + 1024:
        seen = np.zeros(top, dtype=np.int64)
        seen[key] = 1
        present = np.flatnonzero(seen)
        position = np.zeros(top, dtype=np.int64)
        position[present] = np.arange(present.size)
        code = position[key]
        first = np.zeros(present.size, dtype=np.int64)
        first[code] = np.arange(n)  # a row of each code (they hold the same key)
        return first, code
    _, first_, code_ = np.unique(key, return_index=True, return_inverse=True)
    return first_.astype(np.int64), code_.reshape(n).astype(np.int64)


def valuation_loop(
    loop_inputs: tuple[Any, ...],
    template_alive: Any,
    codes: IntArray,
    cent: float,
    skip: Any,
    settle: IntArray,
    curve_row: IntArray,
    tables: FloatArray,
    first: int,
    yield_code: IntArray,
    wal_code: int,
    freq: FloatArray,
    x0: FloatArray,
    bounds: tuple[float, float],
    tol: float,
    max_iter: int,
    compounded: bool,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, IntArray]:
    """Run the kernel over every loan: PV, yield, WAL, modified and Macaulay duration,
    convexity and the status per loan (0 valued, :data:`UNSOLVED`, :data:`OVER_REPAID`,
    :data:`SKIPPED`).

    ``loop_inputs`` are the cash-flow loop's columns
    (:attr:`computefin.products.loan.cashflows.KernelInputs.inputs`), ``template_alive``
    the shapes' live periods; ``tables[c, d - first]`` the discount factor of day ``d``
    on curve ``c`` (``curve_row[i]`` the loan's); ``yield_code`` / ``wal_code`` index
    the day-count denominators ``[360, 365]``; ``settle`` day numbers (on or after
    ``first`` where not ``skip``); ``freq`` the yield's compounding per year. What
    depends on the dates only (which slots count, discount factors over the
    settlement's, stepwise times) is computed once per (shape, settlement, yield day
    count, curve).
    """
    (shape_row, yf_row, variant, t_start, t_end, t_m, t_yf, v_index, _fix, _src, fixed_rate,
     margin, floor, cap, floor_on_index, amortization, balloon_share, _amount, _upfront,
     _avail, draw_ptr, draw_k, draw_amount, draw_weight, custom_ptr, custom_k,
     custom_amount) = loop_inputs  # fmt: skip
    n = int(shape_row.size)
    width = int(t_start.shape[1])
    i8, f8 = np.int64, np.float64
    value_kernel, keys_kernel = _compiled()
    taken = np.flatnonzero(~np.asarray(skip, dtype=bool))
    t_key = np.zeros(n, dtype=np.int64)
    parts = [np.asarray(x, dtype=np.int64)[taken] for x in (shape_row, settle, yield_code,
                                                            curve_row)]  # fmt: skip
    rep, code = _key_codes(parts)
    t_key[taken] = code
    k = int(rep.size)
    dens = np.asarray([360.0, 365.0])
    years = np.arange(int(tables.shape[1]), dtype=np.float64)[None, :] / dens[:, None]
    use = np.zeros((k, width), dtype=np.bool_)
    ratio = np.zeros((k, width))
    wal_years = np.zeros((k, width))
    times = np.zeros((k, width))
    slot = np.zeros((k, width), dtype=np.int64)
    steps = np.zeros((k, pricing_kernels.MAX_STEPS))
    count = np.zeros(k, dtype=np.int64)
    n_steps = np.zeros(k, dtype=np.int64)
    chained = np.zeros(k, dtype=np.bool_)
    keys_kernel(
        *(_c(part[rep], i8) for part in parts[:1]),
        _c(parts[1][rep], i8),
        _c(parts[2][rep], i8),
        _c(parts[3][rep], i8),
        int(wal_code),
        _c(t_start, i8),
        _c(t_end, i8),
        _c(template_alive, np.bool_),
        dens,
        years,
        _c(tables, f8),
        int(first),
        use,
        ratio,
        wal_years,
        times,
        slot,
        steps,
        count,
        n_steps,
        chained,
    )
    out = [np.empty(n) for _ in range(6)]
    status = np.zeros(n, dtype=np.int64)
    run_blocks(
        value_kernel,
        n,
        BLOCK,
        _c(shape_row, i8),
        _c(yf_row, i8),
        _c(variant, i8),
        _c(t_start, i8),
        _c(t_end, i8),
        _c(t_m, i8),
        _c(t_yf, f8),
        _c(v_index, f8),
        _c(fixed_rate, f8),
        _c(margin, f8),
        _c(floor, f8),
        _c(cap, f8),
        _c(floor_on_index, np.bool_),
        _c(amortization, i8),
        _c(balloon_share, f8),
        _c(draw_ptr, i8),
        _c(draw_k, i8),
        _c(draw_amount, f8),
        _c(draw_weight, f8),
        _c(custom_ptr, i8),
        _c(custom_k, i8),
        _c(custom_amount, f8),
        _c(codes, i8),
        float(cent),
        _c(skip, np.bool_),
        t_key,
        use,
        ratio,
        wal_years,
        times,
        slot,
        steps,
        count,
        n_steps,
        chained,
        _c(freq, f8),
        _c(x0, f8),
        float(bounds[0]),
        float(bounds[1]),
        float(tol),
        int(max_iter),
        bool(compounded),
        *out,
        status,
    )
    return out[0], out[1], out[2], out[3], out[4], out[5], status
