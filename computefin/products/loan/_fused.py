"""The loan cash-flow kernel as one compiled loop per loan (numba), from shape templates.

The numpy kernel (:func:`computefin.products.loan.cashflows.numpy_book_cashflows`) works
on whole ``(loans, periods)`` arrays: gathers of the schedule templates, rates, annuity
factors, then a Python loop over periods. This module computes the same cells in one
pass per loan: dates, year fraction and index rate come from per-shape and per-variant
templates (:func:`~computefin.products.loan._grid.build_templates`,
:func:`~computefin.products.loan._rates.rate_templates`), and the balance recursion,
interest, undrawn commitment, upfront fee and totals are computed period by period
without ``(loans, periods)`` temporaries. Blocks of loans run on the machine's cores
(:func:`computefin.pricing._parallel.run_blocks`: the compiled loop releases the GIL);
each loan's numbers do not depend on the split.

The arithmetic is the numpy kernel's, operation for operation, so every cell is bit for
bit the same except the level and balloon annuity factor ``r / ((1 + r)^n - 1)``:
numpy's ``log1p`` / ``expm1`` (SIMD on AVX-512 machines) and the C library's that numba
calls differ by at most one unit in the last place, which moves those loans' principal
by about ``1e-16`` relative (``tests/products/test_loan_fused.py`` states the bounds).

Draws, custom repayments and the commitment fee stay with numpy (per draw or only on the
loans that have a fee); the kernel receives draws and repayments as per-loan lists.
"""

from __future__ import annotations

import math
import os
import threading
import weakref
from collections.abc import Callable
from functools import cache
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from computefin.pricing._parallel import run_blocks
from computefin.products.loan._columns import BoolArray, FloatArray, IntArray

__all__ = ["BLOCK", "POOL", "BufferPool", "available", "cashflow_loop", "slots", "staggered"]

BLOCK: Final[int] = 2048
"""Loans per work item handed to a thread (each block allocates its scratch rows once)."""

_DISABLE: Final[str] = "COMPUTEFIN_NUMBA"
"""Environment variable: ``0`` turns the compiled kernels off (numpy path everywhere)."""


def _slots_py(
    owner: Any, day: Any, shape_row: Any, t_end: Any, t_uend: Any, t_m: Any, custom: bool
) -> Any:
    """Period of each dated amount: draws, the first period whose end is after the date
    (``end <= day`` passed); custom repayments, the first whose end (adjusted or not) is
    on or after it (``max(end, unadjusted_end) < day`` passed); at most the last."""
    out = np.empty(owner.size, dtype=np.int64)
    for j in range(owner.size):
        s = shape_row[owner[j]]
        m = t_m[s]
        passed = 0
        for t in range(m):
            end = t_end[s, t]
            if custom:
                if t_uend[s, t] > end:
                    end = t_uend[s, t]
                if end < day[j]:
                    passed += 1
            elif end <= day[j]:
                passed += 1
        out[j] = min(passed, m - 1)
    return out


def _loop_py(
    lo: int,
    hi: int,
    shape_row: Any,
    yf_row: Any,
    variant: Any,
    t_start: Any,
    t_end: Any,
    t_m: Any,
    t_yf: Any,
    v_index: Any,
    v_fix: Any,
    v_src: Any,
    fixed_rate: Any,
    margin: Any,
    floor: Any,
    cap: Any,
    floor_on_index: Any,
    amortization: Any,
    balloon_share: Any,
    principal_amount: Any,
    upfront_rate: Any,
    availability_end: Any,
    draw_ptr: Any,
    draw_k: Any,
    draw_amount: Any,
    draw_weight: Any,
    custom_ptr: Any,
    custom_k: Any,
    custom_amount: Any,
    codes: Any,
    cent: float,
    alive: Any,
    start: Any,
    end: Any,
    pay: Any,
    fixing: Any,
    source: Any,
    yf: Any,
    opening: Any,
    draw: Any,
    undrawn: Any,
    index_rate: Any,
    rate: Any,
    interest: Any,
    principal: Any,
    upfront: Any,
    fee: Any,
    total: Any,
    closing: Any,
    bad: Any,
) -> None:
    """Every cell of the loans ``lo:hi`` (see the module docs); ``bad[i]``: first period
    whose principal exceeds what is owed by more than ``cent`` (-1 if none)."""
    width = t_start.shape[1]
    level, straight, bullet, balloon_code = codes[0], codes[1], codes[2], codes[3]
    d_amt = np.zeros(width)
    d_w = np.zeros(width)
    c_amt = np.zeros(width)
    for i in range(lo, hi):
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
        drawn_before = 0.0  # drawn before this period (undrawn commitment)
        first_bad = -1
        fixed = fixed_rate[i]
        mg, lo, hi = margin[i], floor[i], cap[i]
        on_index = floor_on_index[i]
        share = balloon_share[i]
        amount = principal_amount[i]
        avail = availability_end[i]
        for t in range(width):
            live = t < m
            st = t_start[s, t]
            en = t_end[s, t]
            year = t_yf[yr, t]
            alive[i, t] = live
            start[i, t] = st
            end[i, t] = en
            pay[i, t] = en
            yf[i, t] = year
            if v >= 0:
                idx = v_index[v, t]
                fixing[i, t] = v_fix[v, t]
                source[i, t] = v_src[v, t]
                # the floor and cap bound the index (then the margin) or the all-in rate
                all_in = min(max(idx, lo), hi) + mg if on_index else min(max(idx + mg, lo), hi)
                r = all_in if live else 0.0
                index_rate[i, t] = idx if live else 0.0
            else:
                fixing[i, t] = st
                source[i, t] = 0
                r = fixed if live else 0.0
                index_rate[i, t] = 0.0
            rate[i, t] = r
            dr = d_amt[t]
            before = balance
            opening[i, t] = before
            draw[i, t] = dr
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
            principal[i, t] = paid
            balance = owed - paid
            closing[i, t] = balance
            accrued = r * (before * year + d_w[t])
            interest[i, t] = accrued
            free = amount - drawn_before if live and avail > st else 0.0
            undrawn[i, t] = free
            drawn_before += dr
            fee_up = 0.0
            if t == 0 and live:
                fee_up = upfront_rate[i] * amount
            upfront[i, t] = fee_up
            fee[i, t] = 0.0  # the commitment fee is added afterwards where there is one
            total[i, t] = accrued + paid + 0.0 + fee_up - dr
        bad[i] = first_bad


def available() -> bool:
    """Whether the compiled kernels are on (numba importable, not disabled).

    >>> isinstance(available(), bool)
    True
    """
    if os.environ.get(_DISABLE, "1") == "0":
        return False
    try:
        _compiled()
    except ImportError:
        return False
    return True


@cache
def _compiled() -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Compile (or load from numba's on-disk cache) the two kernels, once a process."""
    import numba

    loop = numba.njit(cache=True, nogil=True)(_loop_py)
    slot = numba.njit(cache=True, nogil=True)(_slots_py)
    return loop, slot


def slots(
    owner: IntArray,
    day: IntArray,
    shape_row: IntArray,
    t_end: IntArray,
    t_uend: IntArray,
    t_m: IntArray,
    custom: bool,
) -> IntArray:
    """Period index of each draw (``custom=False``) or custom repayment (``True``).

    >>> one = np.zeros(1, dtype=np.int64)
    >>> ends = np.array([[31, 59, 90]])
    >>> slots(one, np.array([40]), one, ends, ends, np.array([3]), False).tolist()
    [1]
    """
    out: IntArray = _compiled()[1](
        *(_c(x, np.int64) for x in (owner, day, shape_row, t_end, t_uend, t_m)), bool(custom)
    )
    return out


class BufferPool:
    """Memory for the kernel's output arrays, recycled once every array on it is gone.

    A book valued chunk by chunk allocates the same few hundred megabytes per chunk;
    fresh memory costs the kernel as much as the loop itself (the system zeroes each
    page on first touch: 1.2 µs a loan instead of 0.8, measured). :meth:`block` hands
    out a ``uint8`` array over a pooled buffer; every array carved from it (and every
    view of those) keeps it alive, and when the last is garbage the buffer returns to
    the pool for the next call. Buffers a caller still holds are never reused. At most
    ``keep`` free buffers of at most ``limit`` bytes are kept; :meth:`clear` drops them.

    >>> pool = BufferPool()
    >>> a = pool.block(100); a[:] = 7
    >>> del a
    >>> b = pool.block(80); int(b.size), len(pool)
    (80, 0)
    """

    def __init__(self, keep: int = 1, limit: int = 1 << 30) -> None:
        self.keep = keep
        self.limit = limit
        self._free: list[npt.NDArray[np.uint8]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._free)

    def block(self, nbytes: int) -> npt.NDArray[np.uint8]:
        """A writable ``(nbytes,)`` array (contents undefined)."""
        if nbytes > self.limit:
            return np.empty(nbytes, dtype=np.uint8)
        buffer = None
        with self._lock:
            fits = [b for b in self._free if b.size >= nbytes]
            if fits:
                buffer = min(fits, key=lambda b: b.size)
                self._free = [b for b in self._free if b is not buffer]
        if buffer is None:
            buffer = np.empty(nbytes, dtype=np.uint8)
        # an array over a memoryview: views of it keep *it* alive (numpy stops the base
        # chain at an array whose base is not an array), so its end means all are gone
        out: npt.NDArray[np.uint8] = np.frombuffer(buffer.data, dtype=np.uint8)[:nbytes]
        anchor = out.base
        assert isinstance(anchor, np.ndarray)
        done = weakref.finalize(anchor, self._give_back, buffer)
        done.atexit = False
        return out

    def _give_back(self, buffer: npt.NDArray[np.uint8]) -> None:
        with self._lock:
            if len(self._free) < self.keep:
                self._free.append(buffer)

    def clear(self) -> None:
        """Drop the free buffers (memory in use is not touched)."""
        with self._lock:
            self._free.clear()


POOL: Final[BufferPool] = BufferPool()
"""The pool of :func:`staggered` (one free buffer of up to 1 GiB: a 50,000-loan chunk
of 60 periods takes 420 MB)."""

_PAGE: Final[int] = 4096
_STAGGER: Final[int] = 320  # five cache lines: 18 streams on 18 different cache sets


def staggered(dtypes: list[Any], shape: tuple[int, int]) -> list[Any]:
    """Empty C-contiguous arrays of ``shape``, one per dtype, carved from one block so
    that their starts differ by a multiple of five cache lines modulo a page.

    Arrays allocated one by one all start at the same offset in a page, and a loop that
    writes the same cell of each (the kernel writes 17 per loan period) then lands every
    store in the same cache set: measured, 2.1 µs a loan instead of 0.8.

    >>> a, b = staggered([np.float64, np.int64], (3, 2))
    >>> a.shape, b.dtype, (b.ctypes.data - a.ctypes.data) % 4096
    ((3, 2), dtype('int64'), 320)
    """
    sizes = [np.dtype(d).itemsize * shape[0] * shape[1] for d in dtypes]
    spans = [-(-size // _PAGE) * _PAGE + _PAGE for size in sizes]
    block = POOL.block(sum(spans) + _PAGE)
    offset = (-block.ctypes.data) % _PAGE
    out = []
    for i, (dtype, size, span) in enumerate(zip(dtypes, sizes, spans, strict=True)):
        start = offset + (i * _STAGGER) % _PAGE
        out.append(block[start : start + size].view(dtype).reshape(shape))
        offset += span
    return out


def _c(x: Any, dtype: Any) -> Any:
    """``x`` as a C-contiguous array of ``dtype`` (no copy if it already is): one compiled
    signature whatever views the caller passes."""
    return np.ascontiguousarray(x, dtype=dtype)


def cashflow_loop(
    inputs: tuple[Any, ...], codes: IntArray, cent: float, n: int, width: int
) -> tuple[dict[str, Any], IntArray]:
    """Run the fused loop on ``inputs`` (the columns :func:`_loop_py` takes, in order, up
    to ``custom_amount``); returns the cells by :class:`LoanCashflows` field name and
    the first over-repaid period per loan (-1 if none)."""
    shape = (n, width)
    made = staggered(
        [np.bool_] + [np.int64] * len(_INT_OUT) + [np.float64] * len(_FLOAT_OUT), shape
    )
    alive: BoolArray = made[0]
    ints = dict(zip(_INT_OUT, made[1 : 1 + len(_INT_OUT)], strict=True))
    floats: dict[str, FloatArray] = dict(zip(_FLOAT_OUT, made[1 + len(_INT_OUT) :], strict=True))
    bad: IntArray = np.empty(n, dtype=np.int64)
    typed = [
        _c(x, np.bool_ if x.dtype == np.bool_ else np.float64 if x.dtype.kind == "f" else np.int64)
        for x in inputs
    ]
    run_blocks(
        _compiled()[0],
        n,
        BLOCK,
        *typed,
        _c(codes, np.int64),
        float(cent),
        alive,
        *(ints[name] for name in _INT_OUT),
        *(floats[name] for name in _FLOAT_OUT),
        bad,
    )
    out: dict[str, Any] = {"alive": alive, **ints, **floats}
    return out, bad


_INT_OUT: Final[tuple[str, ...]] = ("start", "end", "pay", "fixing", "source")
_FLOAT_OUT: Final[tuple[str, ...]] = (
    "yf",
    "opening",
    "draw",
    "undrawn",
    "index_rate",
    "rate",
    "interest",
    "principal",
    "upfront",
    "fee",
    "total",
    "closing",
)
