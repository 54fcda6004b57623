"""Bond measures as one compiled loop per instrument (numba): PV, yield, WAL, risks.

:func:`computefin.pricing.analytics.bond_measures` computes PV, yield to maturity, WAL
and the yield risks with whole-array numpy kernels (``(n, k)`` buffers, Newton on the
unconverged rows). For the common case, integer-day day counts (``ACT/360``,
``ACT/365F``) for the yield and WAL, a :class:`~computefin.pricing.curves.Curve` whose
discount factors come from a per-day table, and compounded or continuous yields, this
module does the same per instrument in one pass, blocks of instruments on every core
(:func:`computefin.pricing._parallel.run_blocks`; the compiled loop releases the GIL):

* the flows after settlement, QuantLib's stepwise times (broken first periods included)
  and PV, with the numpy kernel's element operations and numpy's pairwise summation
  order, so PV and WAL are bit for bit the numpy path's;
* the yield by Halley's method (price, ``P'`` and ``P''`` come together; cubic
  convergence) from the caller's guess, accepted, as in the numpy solver, when a step is
  at most ``tol``. An evaluation discounts stepwise, as QuantLib does: the discount
  factor of flow ``i`` is that of flow ``i - 1`` times ``exp(-r dt_i)``, and the few
  distinct ``dt`` of a schedule (28 to 31 days for monthly flows) take one ``exp`` each
  per evaluation instead of one per flow. Yields agree with the numpy kernel's to about
  ``1e-16``, risks to about ``1e-15`` relative (tests state the bounds);
* modified and Macaulay duration and convexity at the solved yield (from the last
  Halley evaluation when its step was below ``1e-16``, else evaluated again).

An instrument whose Halley iteration leaves the bracket, produces a non-finite value or
does not settle within the iteration budget is flagged; the caller re-solves those with
the numpy solver (bracketing fallback and :class:`~computefin.errors.ConvergenceError`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from functools import cache
from typing import Any, Final

import numpy as np

from computefin._typing import BoolArray, FloatArray, IntArray
from computefin.pricing._parallel import run_blocks

__all__ = ["MAX_STEPS", "MAX_WIDTH", "available", "instrument_kernel", "measures"]

_DISABLE: Final[str] = "COMPUTEFIN_NUMBA"
"""Environment variable: ``0`` turns the compiled kernels off (numpy path everywhere)."""
_NAT: Final[int] = int(np.iinfo(np.int64).min)
_MAX_STEPS: Final[int] = 8
MAX_STEPS: Final[int] = _MAX_STEPS
"""Distinct step lengths an instrument may have for the one-``exp``-per-step evaluation;
more and every flow gets its own ``exp``."""
_REUSE: Final[float] = 1e-16
"""A last yield step at most this small (below the yield's rounding noise, about 1e-16
to 1e-15) moves price and derivatives by about ``1e-15`` relative at most (duration and
convexity times the step): they are not evaluated again at the final yield."""
BLOCK: Final[int] = 2048
"""Instruments per work item handed to a thread (each allocates its scratch rows once)."""
MAX_WIDTH: Final[int] = 128
"""Widest matrix (payment slots) the kernel takes: numpy sums rows up to 128 long in one
block of eight accumulators, which :func:`_pairwise_py` reproduces."""


def _pairwise_py(a: Any, lo: int, n: int) -> Any:
    """numpy's pairwise sum of ``a[lo:lo + n]``, ``n <= 128`` (``np.add.reduce`` on a
    contiguous row of at most :data:`MAX_WIDTH`): the same additions in the same order,
    so the same result bit for bit."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    stop = n - n % 8
    while i < stop:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


pairwise: Any = _pairwise_py


def _measures_py(
    lo_row: int,
    hi_row: int,
    pay: Any,
    alive: Any,
    amounts: Any,
    acc_start: Any,
    has_acc: bool,
    principal: Any,
    has_principal: bool,
    settle: Any,
    freq: Any,
    yield_code: Any,
    wal_code: Any,
    dens: Any,
    years: Any,
    table: Any,
    first: int,
    target: Any,
    has_target: bool,
    x0: Any,
    lo: Any,
    hi: Any,
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
    """Every instrument's figures (see the module docs); ``status`` 0 solved, 1 for the
    numpy fallback."""
    k = pay.shape[1]
    terms = np.zeros(k)
    weights = np.zeros(k)
    cash = np.zeros(k)
    flows = np.zeros(k)
    times = np.zeros(k)
    slot = np.zeros(k, dtype=np.int64)
    steps = np.zeros(_MAX_STEPS)
    factors = np.zeros(_MAX_STEPS)
    for i in range(lo_row, hi_row):
        s = settle[i]
        yc = yield_code[i]
        wc = wal_code[i]
        d_set = table[s - first]
        prev = s
        total_t = 0.0
        count = 0
        n_steps = 0
        chained = True
        for j in range(k):
            p = pay[i, j]
            if alive[i, j] and p > s:
                a = acc_start[i, j] if has_acc else _NAT
                if a != _NAT and a != prev:  # a broken period: QuantLib's split
                    step = float(p - a) / dens[yc] - float(prev - a) / dens[yc]
                else:  # whole days over the denominator, the division done once a day
                    step = years[yc, p - prev]
                total_t += step
                prev = p
                terms[j] = amounts[i, j] * (table[p - first] / d_set)
                if has_principal:
                    cash[j] = principal[i, j]
                    weights[j] = principal[i, j] * years[wc, p - s]
                # the flow in the yield sums, with its step's slot
                u = 0
                while u < n_steps and steps[u] != step:
                    u += 1
                if u == n_steps:
                    if n_steps < _MAX_STEPS:
                        steps[u] = step
                        n_steps += 1
                    else:
                        u = -1
                        chained = False
                slot[count] = u
                times[count] = total_t
                flows[count] = amounts[i, j]
                count += 1
            else:
                terms[j] = 0.0
                cash[j] = 0.0
                weights[j] = 0.0
        value = pairwise(terms, 0, k)
        pv[i] = value
        if has_principal:
            paid = pairwise(cash, 0, k)
            wal[i] = pairwise(weights, 0, k) / paid if paid != 0.0 else 0.0
        else:
            wal[i] = np.nan
        goal = value if not has_target else target[i]
        f = freq[i]
        # Halley on P(y) - goal
        y = min(max(x0[i], lo[i]), hi[i])
        ok = False
        step_y = 0.0
        price = 0.0
        slope = 0.0
        second = 0.0
        for _ in range(max_iter):
            price, slope, second = _terms(
                flows, times, slot, count, steps, factors, n_steps, y, f, compounded, chained
            )
            gap = price - goal
            if gap == 0.0:
                step_y = 0.0
            else:
                newton = gap / slope
                ratio = gap * second / (2.0 * slope * slope)
                step_y = newton / (1.0 - ratio) if abs(ratio) < 0.5 else newton
            new = y - step_y
            if not (math.isfinite(new) and lo[i] <= new <= hi[i]):
                break
            y = new
            if abs(step_y) <= tol:
                ok = True
                break
        if not ok:
            status[i] = 1
            ytm[i] = np.nan
            modified[i] = np.nan
            macaulay[i] = np.nan
            convexity[i] = np.nan
            continue
        status[i] = 0
        ytm[i] = y
        if abs(step_y) > _REUSE:  # else the last evaluation is at y to rounding
            price, slope, second = _terms(
                flows, times, slot, count, steps, factors, n_steps, y, f, compounded, chained
            )
        mod = -slope / price if price != 0.0 else 0.0
        modified[i] = mod
        convexity[i] = second / price if price != 0.0 else 0.0
        macaulay[i] = (1.0 + y / f) * mod if compounded else np.nan


def _schedule_py(
    pay: Any,
    alive: Any,
    acc_start: Any,
    has_acc: bool,
    s: int,
    yc: int,
    wc: int,
    dens: Any,
    years: Any,
    table: Any,
    first: int,
    use: Any,
    ratio: Any,
    wal_years: Any,
    times: Any,
    slot: Any,
    steps: Any,
) -> tuple[int, int, bool]:
    """What :func:`_measures_py` derives from an instrument's dates alone (1-D rows of
    ``k`` slots, settled on day ``s``), for instruments that share them (a loan book's
    schedule templates): per slot whether it counts (``use``), its discount factor over
    the settlement's (``ratio``) and its WAL time (``wal_years``); per counted flow its
    stepwise time (``times``) and step slot (``slot``); the distinct steps (``steps``).
    Returns ``(count, n_steps, chained)``. The same operations as :func:`_measures_py`,
    so an instrument's terms ``amounts[j] * ratio[j]`` and ``principal[j] *
    wal_years[j]`` and its yield sums are that function's bit for bit.
    """
    k = pay.shape[0]
    d_set = table[s - first]
    prev = s
    total_t = 0.0
    count = 0
    n_steps = 0
    chained = True
    for j in range(k):
        p = pay[j]
        if alive[j] and p > s:
            a = acc_start[j] if has_acc else _NAT
            if a != _NAT and a != prev:  # a broken period: QuantLib's split
                step = float(p - a) / dens[yc] - float(prev - a) / dens[yc]
            else:  # whole days over the denominator, the division done once a day
                step = years[yc, p - prev]
            total_t += step
            prev = p
            use[j] = True
            ratio[j] = table[p - first] / d_set
            wal_years[j] = years[wc, p - s]
            u = 0
            while u < n_steps and steps[u] != step:
                u += 1
            if u == n_steps:
                if n_steps < _MAX_STEPS:
                    steps[u] = step
                    n_steps += 1
                else:
                    u = -1
                    chained = False
            slot[count] = u
            times[count] = total_t
            count += 1
        else:
            use[j] = False
            ratio[j] = 0.0
            wal_years[j] = 0.0
    return count, n_steps, chained


def _halley_py(
    flows: Any,
    times: Any,
    slot: Any,
    count: int,
    steps: Any,
    factors: Any,
    n_steps: int,
    chained: bool,
    goal: float,
    x0: float,
    lo: float,
    hi: float,
    tol: float,
    max_iter: int,
    f: float,
    compounded: bool,
) -> tuple[float, float, float, float, int]:
    """The yield solve and risks of :func:`_measures_py` for one instrument's ``count``
    flows (``times``, ``slot``, ``steps`` as :func:`_schedule_py` makes them): ``(ytm,
    modified, macaulay, convexity, status)``, status 0 solved, 1 for the numpy fallback
    (then NaN figures). The same operations as :func:`_measures_py` (the same bits; a
    test holds them equal)."""
    y = min(max(x0, lo), hi)
    ok = False
    step_y = 0.0
    price = 0.0
    slope = 0.0
    second = 0.0
    for _ in range(max_iter):
        price, slope, second = _terms(
            flows, times, slot, count, steps, factors, n_steps, y, f, compounded, chained
        )
        gap = price - goal
        if gap == 0.0:
            step_y = 0.0
        else:
            newton = gap / slope
            ratio = gap * second / (2.0 * slope * slope)
            step_y = newton / (1.0 - ratio) if abs(ratio) < 0.5 else newton
        new = y - step_y
        if not (math.isfinite(new) and lo <= new <= hi):
            break
        y = new
        if abs(step_y) <= tol:
            ok = True
            break
    if not ok:
        return np.nan, np.nan, np.nan, np.nan, 1
    if abs(step_y) > _REUSE:  # else the last evaluation is at y to rounding
        price, slope, second = _terms(
            flows, times, slot, count, steps, factors, n_steps, y, f, compounded, chained
        )
    mod = -slope / price if price != 0.0 else 0.0
    convex = second / price if price != 0.0 else 0.0
    mac = (1.0 + y / f) * mod if compounded else np.nan
    return y, mod, mac, convex, 0


_schedule: Any = _schedule_py
_halley: Any = _halley_py


def _terms_py(
    flows: Any,
    times: Any,
    slot: Any,
    count: int,
    steps: Any,
    factors: Any,
    n_steps: int,
    y: float,
    f: float,
    compounded: bool,
    chained: bool,
) -> tuple[float, float, float]:
    """Price, ``P'`` and ``P''`` at yield ``y`` of the ``count`` flows after settlement.

    Stepwise discount factors with one ``exp`` per distinct step length (``chained``:
    every flow's step has a slot), run as two interleaved chains (even and odd flows,
    each multiplied by the product of two steps' factors) so that neither the product
    nor the sums wait on the previous flow; otherwise one ``exp`` per flow.
    """
    if compounded:
        base = 1.0 + y / f
        rate = f * math.log1p(y / f)
    else:
        base = 1.0
        rate = y
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    if not chained:
        for c in range(count):
            t = times[c]
            w = flows[c] * math.exp(-rate * t)
            s0 += w
            s1 += w * t
            s2 += w * t * t
    else:
        for u in range(n_steps):
            factors[u] = math.exp(-rate * steps[u])
        e0 = 0.0
        e1 = 0.0
        e2 = 0.0
        d_even = factors[slot[0]] if count else 1.0
        d_odd = d_even * factors[slot[1]] if count > 1 else 1.0
        c = 0
        while c + 1 < count:
            t = times[c]
            w = flows[c] * d_even
            s0 += w
            s1 += w * t
            s2 += w * t * t
            t = times[c + 1]
            w = flows[c + 1] * d_odd
            e0 += w
            e1 += w * t
            e2 += w * t * t
            if c + 2 < count:
                d_even = d_even * (factors[slot[c + 1]] * factors[slot[c + 2]])
            if c + 3 < count:
                d_odd = d_odd * (factors[slot[c + 2]] * factors[slot[c + 3]])
            c += 2
        if c < count:
            t = times[c]
            w = flows[c] * d_even
            s0 += w
            s1 += w * t
            s2 += w * t * t
        s0 += e0
        s1 += e1
        s2 += e2
    if compounded:
        return s0, -s1 / base, (s2 + s1 / f) / (base * base)
    return s0, -s1, s2


def available() -> bool:
    """Whether the compiled kernel is on (numba importable, not disabled).

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


_terms: Any = _terms_py


@cache
def _compiled() -> Callable[..., Any]:
    """Compile (or load from numba's on-disk cache) the kernel, once a process."""
    import numba

    glb = globals()
    glb["pairwise"] = numba.njit(cache=True, nogil=True)(_pairwise_py)
    glb["_terms"] = numba.njit(cache=True, nogil=True)(_terms_py)
    out: Callable[..., Any] = numba.njit(cache=True, nogil=True)(_measures_py)
    return out


@cache
def instrument_kernel() -> tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]:
    """The compiled :func:`_schedule_py`, :func:`_halley_py` and :func:`pairwise`: the
    parts of :func:`_measures_py`'s per-instrument work, for kernels of other modules
    that compute an instrument's flows themselves (and share its dates with others) and
    must give :func:`measures`'s bits.

    numba's cache does not follow calls into another module: a caller cached with
    ``cache=True`` keeps the version of these it was compiled with until its own source
    file changes (touch it after editing these).
    """
    import numba

    _compiled()
    glb = globals()
    glb["_schedule"] = numba.njit(cache=True, nogil=True)(_schedule_py)
    glb["_halley"] = numba.njit(cache=True, nogil=True)(_halley_py)
    return glb["_schedule"], glb["_halley"], glb["pairwise"]


def measures(
    pay: IntArray,
    alive: BoolArray,
    amounts: FloatArray,
    acc_start: IntArray | None,
    principal: FloatArray | None,
    settle: IntArray,
    freq: FloatArray,
    yield_den: FloatArray,
    wal_den: FloatArray,
    table: FloatArray,
    first: int,
    target: FloatArray | None,
    x0: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
    tol: float,
    max_iter: int,
    compounded: bool,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, BoolArray]:
    """PV, yield, WAL (NaN without ``principal``), modified and Macaulay duration (NaN
    unless ``compounded``), convexity, and the instruments left to the numpy solver.

    ``pay`` / ``acc_start`` are day numbers (NaT as int64's minimum), ``*_den`` the
    day-count denominators (360, 365), ``table[d - first]`` the discount factor of day
    ``d``; ``target`` the price to solve for (default: the PV).

    >>> pay = np.array([[365, 730]]); one = np.ones(1)
    >>> out = measures(pay, pay > 0, np.array([[5.0, 105.0]]), None, None,
    ...                np.zeros(1, np.int64), one, one * 365, one * 365,
    ...                np.exp(-0.05 * np.arange(731) / 365), 0, None,
    ...                one * 0.05, one * -0.99, one * 10.0, 1e-12, 50, True)
    >>> round(float(out[1][0]), 12), bool(out[6][0])
    (0.051271096376, False)
    """
    n = pay.shape[0]
    out = [np.empty(n) for _ in range(6)]
    status = np.empty(n, dtype=np.int8)
    dummy_i = np.zeros((1, 1), dtype=np.int64)
    dummy_f = np.zeros((1, 1))
    i8, f8 = np.int64, np.float64
    dens = np.unique(np.concatenate([yield_den, wal_den]))  # 360, 365: whole days / den
    run_blocks(
        _compiled(),
        n,
        BLOCK,
        _c(pay, i8),
        _c(alive, np.bool_),
        _c(amounts, f8),
        _c(dummy_i if acc_start is None else acc_start, i8),
        acc_start is not None,
        _c(dummy_f if principal is None else principal, f8),
        principal is not None,
        _c(settle, i8),
        _c(freq, f8),
        _c(np.searchsorted(dens, yield_den), i8),
        _c(np.searchsorted(dens, wal_den), i8),
        dens,
        np.arange(table.size, dtype=f8)[None, :] / dens[:, None],
        _c(table, f8),
        int(first),
        _c(np.zeros(1) if target is None else target, f8),
        target is not None,
        _c(x0, f8),
        _c(lo, f8),
        _c(hi, f8),
        float(tol),
        int(max_iter),
        bool(compounded),
        *out,
        status,
    )
    return out[0], out[1], out[2], out[3], out[4], out[5], status != 0


def _c(x: Any, dtype: Any) -> Any:
    """``x`` as a C-contiguous array of ``dtype`` (no copy if it already is): one compiled
    signature whatever views the caller passes."""
    return np.ascontiguousarray(x, dtype=dtype)
