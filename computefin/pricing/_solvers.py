"""Vectorised root finders: Newton on every unconverged element, a bracketing fallback.

A *problem* here is ``n`` independent scalar equations ``f_i(x_i) = 0`` solved at once,
one per instrument (a yield, a z-spread, a loan's fair margin). The function is an
*array function* ``f(x, rows)``: ``x`` holds trial values for the problems listed in
``rows`` (int64 indices into ``0..n-1``) and the result holds ``f_rows(x)`` in the same
order. Passing ``rows`` lets the solver evaluate only the elements still iterating, so a
million-instrument solve does not recompute the 999,990 that have converged.

Two stages, both on whole arrays:

1. **Newton** (optional, when an analytic derivative is supplied): every active element
   takes ``x <- x - f/f'`` at once. An element is done when ``|step| <= tol``; it leaves
   Newton for the fallback if a step is not finite or lands outside ``[lo, hi]``, or after
   ``newton_iter`` steps.
2. **Bracketing fallback** (Illinois regula falsi, with a bisection step whenever an
   iteration fails to halve the bracket, so the bracket at least halves every second
   iteration): for every element Newton did not settle. It needs ``f(lo)`` and ``f(hi)`` of
   opposite signs and stops when the bracket is narrower than ``2 tol`` (the midpoint is
   then within ``tol`` of the root) or ``f`` is exactly zero.

Elements that neither stage settles are reported: :class:`~computefin.errors.ConvergenceError`
names them (``ids`` or their row numbers), or, with ``on_failure="nan"``, they come back
as NaN.

>>> import numpy as np
>>> targets = np.array([2.0, 3.0, 10.0])
>>> def f(x, rows):
...     return x**3 - targets[rows]
>>> solve_monotone(f, 0.0, 5.0, size=3).round(12)
array([1.25992105, 1.44224957, 2.15443469])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from computefin._typing import BoolArray, FloatArray, IntArray
from computefin.errors import ConvergenceError, ValidationError

__all__ = [
    "ArrayFunction",
    "ArrayFunctionWithDerivative",
    "OnFailure",
    "fail_report",
    "solve_monotone",
    "solve_spread_for_price",
]

ArrayFunction = Callable[[FloatArray, IntArray], FloatArray]
"""``f(x, rows) -> values``: ``f`` of the problems ``rows`` at trial points ``x``."""
ArrayFunctionWithDerivative = Callable[[FloatArray, IntArray], tuple[FloatArray, FloatArray]]
"""``f(x, rows) -> (values, derivatives)``: value and ``df/dx`` for the problems ``rows``."""
OnFailure = Literal["raise", "nan"]
"""What to do with elements that do not converge: raise ``ConvergenceError`` or give NaN."""

DEFAULT_TOL: Final[float] = 1e-12
"""Default absolute tolerance on the solved variable (a yield or spread: 1e-12 = 1e-8 bp)."""


def _bounds(
    lo: float | npt.ArrayLike, hi: float | npt.ArrayLike, size: int | None
) -> tuple[FloatArray, FloatArray]:
    try:
        lo_a = np.asarray(lo, dtype=np.float64)
        hi_a = np.asarray(hi, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError("lo", "bounds must be numbers or float arrays") from exc
    if size is None:
        shape = np.broadcast_shapes(lo_a.shape, hi_a.shape)
        if len(shape) != 1:
            raise ValidationError(
                "size", "give size= (the number of problems) when lo and hi are scalars"
            )
        size = shape[0]
    try:
        lo_b = np.array(np.broadcast_to(lo_a, (size,)), dtype=np.float64)
        hi_b = np.array(np.broadcast_to(hi_a, (size,)), dtype=np.float64)
    except ValueError as exc:
        raise ValidationError(
            "lo", f"bounds of shapes {lo_a.shape} and {hi_a.shape} do not fit {size} problems"
        ) from exc
    if not bool(np.all(np.isfinite(lo_b) & np.isfinite(hi_b))):
        raise ValidationError("lo", "bounds must be finite")
    if bool(np.any(lo_b >= hi_b)):
        at = int(np.flatnonzero(lo_b >= hi_b)[0])
        raise ValidationError("hi", f"must be above lo (problem {at})", float(hi_b[at]))
    return lo_b, hi_b


def _newton(
    fdf: ArrayFunctionWithDerivative,
    x0: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
    tol: float,
    max_iter: int,
) -> tuple[FloatArray, BoolArray]:
    """Newton on all elements at once; returns the iterates and a converged mask."""
    x = np.clip(x0, lo, hi)
    converged = np.zeros(x.size, dtype=np.bool_)
    active = np.arange(x.size, dtype=np.int64)
    for _ in range(max_iter):
        if active.size == 0:
            break
        xa = x[active]
        value, slope = fdf(xa, active)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            step = np.where(value == 0.0, 0.0, value / slope)
            new = xa - step
        good = np.isfinite(new) & (new >= lo[active]) & (new <= hi[active])
        done = good & (np.abs(step) <= tol)
        x[active[good]] = new[good]
        converged[active[done]] = True
        active = active[good & ~done]
    return x, converged


def _bracket(
    f: ArrayFunction,
    lo: FloatArray,
    hi: FloatArray,
    rows: IntArray,
    tol: float,
    max_iter: int,
) -> tuple[FloatArray, BoolArray]:
    """Illinois regula falsi with bisection safeguard on ``rows``; (roots, converged)."""
    a = lo[rows].copy()
    b = hi[rows].copy()
    with np.errstate(over="ignore", invalid="ignore"):
        fa = np.asarray(f(a, rows), dtype=np.float64).copy()
        fb = np.asarray(f(b, rows), dtype=np.float64).copy()
    root = np.full(rows.size, np.nan)
    ok = fa == 0.0
    root[ok] = a[ok]
    at_b = (fb == 0.0) & ~ok
    root[at_b] = b[at_b]
    ok |= at_b
    bracketed = (np.sign(fa) * np.sign(fb) < 0.0) & ~ok
    active = np.flatnonzero(bracketed).astype(np.int64)
    side = np.zeros(rows.size, dtype=np.int8)
    bisect = np.zeros(rows.size, dtype=np.bool_)
    for _ in range(max_iter):
        if active.size == 0:
            break
        aa, bb, fa_, fb_ = a[active], b[active], fa[active], fb[active]
        width = bb - aa
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            c = (aa * fb_ - bb * fa_) / (fb_ - fa_)
        mid = aa + 0.5 * width
        use_mid = bisect[active] | ~np.isfinite(c) | (c <= aa) | (c >= bb)
        c = np.where(use_mid, mid, c)
        with np.errstate(over="ignore", invalid="ignore"):
            fc = np.asarray(f(c, rows[active]), dtype=np.float64)
        exact = fc == 0.0
        broken = np.isnan(fc)
        left = (np.sign(fc) == np.sign(fb_)) & ~exact & ~broken  # root in [a, c]
        right = ~left & ~exact & ~broken  # root in [c, b]
        idx_l = active[left]
        b[idx_l] = c[left]
        fb[idx_l] = fc[left]
        halve_a = idx_l[side[idx_l] == -1]
        fa[halve_a] *= 0.5
        side[idx_l] = -1
        idx_r = active[right]
        a[idx_r] = c[right]
        fa[idx_r] = fc[right]
        halve_b = idx_r[side[idx_r] == 1]
        fb[halve_b] *= 0.5
        side[idx_r] = 1
        root[active[exact]] = c[exact]
        ok[active[exact]] = True
        new_width = b[active] - a[active]
        narrow = (new_width <= 2.0 * tol) & ~exact & ~broken
        root[active[narrow]] = a[active[narrow]] + 0.5 * new_width[narrow]
        ok[active[narrow]] = True
        bisect[active] = new_width > 0.5 * width
        active = active[~exact & ~broken & ~narrow]
    return root, ok


def fail_report(
    name: str,
    failed: IntArray,
    n: int,
    tol: float,
    ids: Sequence[str] | npt.NDArray[Any] | None,
) -> ConvergenceError:
    """The :class:`ConvergenceError` naming the problems ``failed`` (of ``n``).

    >>> fail_report("f", np.array([1]), 2, 1e-12, ["a", "b"]).items
    ('b',)
    """
    rows = failed.tolist()
    items = [str(ids[i]) for i in rows] if ids is not None else [f"row {i}" for i in rows]
    return ConvergenceError(
        f"{name}: {failed.size} of {n} did not converge to {tol:g} (no sign change of the "
        "equation between the bounds, or a non-finite value)",
        items=items,
    )


def solve_monotone(
    f: ArrayFunction,
    lo: float | npt.ArrayLike,
    hi: float | npt.ArrayLike,
    *,
    f_and_derivative: ArrayFunctionWithDerivative | None = None,
    x0: float | npt.ArrayLike | None = None,
    size: int | None = None,
    tol: float = DEFAULT_TOL,
    newton_iter: int = 50,
    max_iter: int = 200,
    ids: Sequence[str] | npt.NDArray[Any] | None = None,
    name: str = "solve_monotone",
    on_failure: OnFailure = "raise",
) -> FloatArray:
    """Solve ``f_i(x_i) = 0`` for every problem ``i``, each ``f_i`` monotone on ``[lo_i, hi_i]``.

    Parameters
    ----------
    f:
        Array function ``f(x, rows)`` (see the module docstring); increasing or decreasing,
        each element on its own.
    lo, hi:
        Bounds (scalars or ``(n,)`` arrays), finite, ``lo < hi``; the root must lie between
        them (``f(lo)`` and ``f(hi)`` of opposite signs) for the fallback to find it.
        Newton iterates outside them are treated as a Newton failure.
    f_and_derivative:
        Optional ``f(x, rows) -> (value, df/dx)``; when given, Newton runs first from
        ``x0`` (default: the midpoint of the bounds) and the bracketing fallback only
        handles the elements Newton does not settle.
    size:
        Number of problems when ``lo``, ``hi`` and ``ids`` do not say it.
    tol:
        Absolute tolerance on ``x`` (default 1e-12).
    ids:
        Names of the problems (instrument ids) for the convergence report.
    on_failure:
        ``"raise"`` (default): :class:`~computefin.errors.ConvergenceError` naming the
        problems that did not converge; ``"nan"``: NaN there, the rest solved.

    Returns
    -------
    ``(n,)`` float64 roots.

    A loan's fair margin: the margin ``m`` at which the PV of the loan's cash flows equals
    the amount lent (``pv`` decreasing in ``m``):

    >>> import numpy as np
    >>> lent = np.array([100.0, 100.0])
    >>> def gap(m, rows):
    ...     coupon = (0.03 + m) * 100.0
    ...     return coupon / 1.04 + (coupon + 100.0) / 1.04**2 - lent[rows]
    >>> solve_monotone(gap, -0.05, 0.5, size=2).round(12)
    array([0.01, 0.01])
    >>> solve_monotone(gap, 0.02, 0.5, size=2, ids=["loan-a", "loan-b"])
    Traceback (most recent call last):
    ...
    computefin.errors.ConvergenceError: solve_monotone: 2 of 2 did not converge ... [loan-a, loan-b]
    """
    if ids is not None:
        if size is not None and size != len(ids):
            raise ValidationError("ids", f"{len(ids)} ids for {size} problems")
        size = len(ids)
    lo_b, hi_b = _bounds(lo, hi, size)
    n = lo_b.size
    if not (np.isfinite(tol) and tol > 0.0):
        raise ValidationError("tol", "must be a positive number", tol)
    if on_failure not in ("raise", "nan"):
        raise ValidationError("on_failure", "must be 'raise' or 'nan'", on_failure)
    x = np.full(n, np.nan)
    done = np.zeros(n, dtype=np.bool_)
    if f_and_derivative is not None and n:
        start = 0.5 * (lo_b + hi_b) if x0 is None else np.asarray(x0, dtype=np.float64)
        try:
            start = np.array(np.broadcast_to(start, (n,)), dtype=np.float64)
        except ValueError as exc:
            raise ValidationError("x0", f"shape {start.shape} does not fit {n} problems") from exc
        if not bool(np.all(np.isfinite(start))):
            raise ValidationError("x0", "starting points must be finite")
        xn, conv = _newton(f_and_derivative, start, lo_b, hi_b, tol, newton_iter)
        x[conv] = xn[conv]
        done = conv
    rest = np.flatnonzero(~done).astype(np.int64)
    if rest.size:
        roots, ok = _bracket(f, lo_b, hi_b, rest, tol, max_iter)
        x[rest[ok]] = roots[ok]
        done[rest[ok]] = True
    if not bool(done.all()):
        failed = np.flatnonzero(~done).astype(np.int64)
        if on_failure == "raise":
            raise fail_report(name, failed, n, tol, ids)
        x[failed] = np.nan
    return x


def solve_spread_for_price(
    value: ArrayFunction,
    price: npt.ArrayLike,
    lo: float | npt.ArrayLike,
    hi: float | npt.ArrayLike,
    *,
    value_and_derivative: ArrayFunctionWithDerivative | None = None,
    x0: float | npt.ArrayLike | None = None,
    tol: float = DEFAULT_TOL,
    ids: Sequence[str] | npt.NDArray[Any] | None = None,
    name: str = "solve_spread_for_price",
    on_failure: OnFailure = "raise",
) -> FloatArray:
    """The spread (margin, yield, ...) ``s_i`` at which ``value(s_i)`` equals ``price_i``.

    ``value(s, rows)`` is an array function giving the value of the instruments ``rows``
    at spreads ``s`` (monotone in ``s``), in the same units as ``price``. This is the
    fair-margin helper for products: the loan module supplies the PV of its cash flows
    as a function of the margin and the amount lent as the price.
    ``value_and_derivative`` (value and ``d value / d s``) turns on Newton. Other
    arguments as in :func:`solve_monotone`.

    >>> import numpy as np
    >>> def pv(s, rows):          # a 2-year 5% annual bond at flat yield s
    ...     return 5.0 / (1 + s) + 105.0 / (1 + s) ** 2
    >>> solve_spread_for_price(pv, [100.0, 98.0], -0.5, 1.0).round(10)
    array([0.05      , 0.06092285])
    """
    try:
        target = np.asarray(price, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError("price", "must be numbers") from exc
    if target.ndim != 1:
        raise ValidationError("price", f"must be a 1-D array, got shape {target.shape}")
    if not bool(np.all(np.isfinite(target))):
        raise ValidationError("price", "must be finite")

    def gap(s: FloatArray, rows: IntArray) -> FloatArray:
        return np.asarray(value(s, rows) - target[rows], dtype=np.float64)

    gap_d: ArrayFunctionWithDerivative | None = None
    if value_and_derivative is not None:
        vd = value_and_derivative

        def gap_d(s: FloatArray, rows: IntArray) -> tuple[FloatArray, FloatArray]:
            v, d = vd(s, rows)
            return np.asarray(v - target[rows], dtype=np.float64), d

    return solve_monotone(
        gap,
        lo,
        hi,
        f_and_derivative=gap_d,
        x0=x0,
        size=target.size,
        tol=tol,
        ids=ids,
        name=name,
        on_failure=on_failure,
    )
