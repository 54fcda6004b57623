"""The certificate payoff kernel: floors, caps, the senior claim, calls and puts, on arrays.

Shapes: ``C`` certificates, ``P`` paths, ``K`` payment periods (padded: ``alive`` says
which periods pay after the valuation date). Money is in each certificate's currency,
unrounded. See ``docs/products/certificate.md`` for the payoff.

Per certificate ``c``, path ``p`` and period ``k``:

- contractual amount ``X = min(max(E, floor), cap)`` from the entitlement ``E >= 0``;
- coupon ``Y = min(X, N)`` with a senior claim (``N >= 0``: the fleet's NOI of the period,
  the cash the claim is paid from), else ``Y = X``;
- calls and puts by Longstaff-Schwartz: backwards over the payment dates, the value at
  date ``k`` of what follows (under the policy already fixed for later dates) is
  regressed across paths on the state at ``k``; the issuer calls where the fitted
  continuation exceeds the call price, else the holder puts where it is below the put
  price. With fewer than :data:`MIN_PATHS_FOR_REGRESSION` paths the fit is the mean over
  paths (a deterministic rule: exact for the one-path expected projection).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from computefin._typing import BoolArray, FloatArray, IntArray
from computefin.pricing import solve_monotone

__all__ = [
    "MIN_PATHS_FOR_REGRESSION",
    "KernelInputs",
    "KernelResult",
    "annual_irr",
    "macaulay_and_modified",
    "run_kernel",
]

MIN_PATHS_FOR_REGRESSION: Final = 100
"""Below this many paths the exercise rule uses the mean continuation (constant basis)."""

_X_LO: Final = -30.0  # log(1 + y): y = -1 + 9.4e-14
_X_HI: Final = 7.0  # y = 1096 (109,600% a year)


@dataclass(frozen=True)
class KernelInputs:
    """Arrays of one chunk of certificates.

    ``entitled``, ``cash``, ``state``: ``(C, P, K)``: the entitlement (>= 0), the fleet's
    NOI available to a senior claim (>= 0), and the state the exercise rule regresses on
    (the fleet's economic value at the payment date). ``floor``, ``cap`` (inf when none),
    ``redemption`` ``(C,)``; ``senior`` ``(C,)``; ``alive`` ``(C, K)``; ``last`` ``(C,)``
    the maturity period; ``call_price``, ``put_price`` ``(C, K)``, NaN where none;
    ``discount`` ``(C, K)``: discount factors from the valuation date to each payment date.
    """

    entitled: FloatArray
    cash: FloatArray
    state: FloatArray
    floor: FloatArray
    cap: FloatArray
    senior: BoolArray
    redemption: FloatArray
    alive: BoolArray
    last: IntArray
    call_price: FloatArray
    put_price: FloatArray
    discount: FloatArray


@dataclass(frozen=True)
class KernelResult:
    """``contractual`` ``(C, P, K)`` (after floor and cap), ``coupons`` (paid, before any
    exercise cuts them), ``flows`` (what the holder receives: coupons to the exercise date,
    the exercise price or the redemption), ``pv`` ``(C, P)`` at the valuation date,
    ``exercise`` ``(C, P)`` period of exercise (``K`` when none), ``called``, ``put``."""

    contractual: FloatArray
    coupons: FloatArray
    flows: FloatArray
    pv: FloatArray
    exercise: IntArray
    called: BoolArray
    put: BoolArray


def _standard(x: FloatArray) -> FloatArray:
    """Standardise over paths (axis 1); constant rows become 0."""
    mean = x.mean(axis=1, keepdims=True)
    std = x.std(axis=1, keepdims=True)
    safe = np.where(std > 0.0, std, 1.0)
    out: FloatArray = np.where(std > 0.0, (x - mean) / safe, 0.0)
    return out


def _fitted(y: FloatArray, state: FloatArray, coupon: FloatArray) -> FloatArray:
    """Least-squares fit of ``y`` ``(R, P)`` on a quadratic basis of the state and the
    period's coupon, per row; the mean over paths when there are too few paths."""
    n_paths = y.shape[1]
    if n_paths < MIN_PATHS_FOR_REGRESSION:
        return np.broadcast_to(y.mean(axis=1, keepdims=True), y.shape).copy()
    a, b = _standard(state), _standard(coupon)
    basis = np.stack([np.ones_like(a), a, a * a, b, b * b, a * b], axis=2)
    gram = np.einsum("rpi,rpj->rij", basis, basis)
    rhs = np.einsum("rpi,rp->ri", basis, y)
    coef = np.einsum("rij,rj->ri", np.linalg.pinv(gram, rcond=1e-12), rhs)
    out: FloatArray = np.einsum("rpi,ri->rp", basis, coef)
    return out


def run_kernel(x: KernelInputs) -> KernelResult:
    """Payoffs, exercise decisions and path PVs of a chunk; see the module docstring.

    >>> ones = np.ones((1, 1, 2))
    >>> x = KernelInputs(entitled=ones * [[[50.0, 150.0]]], cash=ones * 120.0,
    ...     state=ones, floor=np.array([80.0]), cap=np.array([140.0]),
    ...     senior=np.array([True]), redemption=np.array([0.0]),
    ...     alive=np.ones((1, 2), bool), last=np.array([1]),
    ...     call_price=np.full((1, 2), np.nan), put_price=np.full((1, 2), np.nan),
    ...     discount=np.array([[1.0, 1.0]]))
    >>> r = run_kernel(x)
    >>> r.contractual[0, 0].tolist(), r.flows[0, 0].tolist(), r.pv.tolist()
    ([80.0, 140.0], [80.0, 120.0], [[200.0]])
    """
    c_n, p_n, k_n = x.entitled.shape
    contractual = np.minimum(np.maximum(x.entitled, x.floor[:, None, None]), x.cap[:, None, None])
    coupons = (
        np.where(x.senior[:, None, None], np.minimum(contractual, x.cash), contractual)
        * x.alive[:, None, :]
    )
    cont = np.zeros((c_n, p_n))  # PV at the valuation date of the flows after date k
    exercise = np.full((c_n, p_n), k_n, dtype=np.int64)
    called = np.zeros((c_n, p_n), dtype=bool)
    put = np.zeros((c_n, p_n), dtype=bool)
    rows_all = np.arange(c_n)
    for k in range(k_n - 1, -1, -1):
        df = x.discount[:, k]
        at_last = (x.last == k) & x.alive[:, k]
        cont += np.where(at_last, x.redemption * df, 0.0)[:, None]
        callable_ = np.isfinite(x.call_price[:, k]) & x.alive[:, k]
        puttable = np.isfinite(x.put_price[:, k]) & x.alive[:, k]
        rows = rows_all[callable_ | puttable]
        if rows.size:
            d = df[rows][:, None]
            fit = _fitted(cont[rows] / d, x.state[rows, :, k], coupons[rows, :, k])
            cp = x.call_price[rows, k][:, None]
            pp = x.put_price[rows, k][:, None]
            call_here = np.isfinite(cp) & (fit > cp)
            put_here = ~call_here & np.isfinite(pp) & (fit < pp)
            price = np.where(call_here, cp, pp)
            here = call_here | put_here
            cont[rows] = np.where(here, price * d, cont[rows])
            exercise[rows] = np.where(here, k, exercise[rows])
            called[rows] = np.where(here, call_here, called[rows])
            put[rows] = np.where(here, put_here, put[rows])
        cont += coupons[:, :, k] * df[:, None]
    periods = np.arange(k_n)
    kept = periods[None, None, :] <= exercise[:, :, None]
    on_exercise = periods[None, None, :] == exercise[:, :, None]
    ex_price = np.where(called, _at(x.call_price, exercise), _at(x.put_price, exercise))
    flows = coupons * kept + np.where(on_exercise, ex_price[:, :, None], 0.0)
    at_maturity = (periods[None, :] == x.last[:, None]) & x.alive
    no_exercise = exercise == k_n
    flows = flows + np.where(
        at_maturity[:, None, :] & no_exercise[:, :, None], x.redemption[:, None, None], 0.0
    )
    return KernelResult(
        contractual=contractual,
        coupons=coupons,
        flows=flows,
        pv=cont,
        exercise=exercise,
        called=called,
        put=put,
    )


def _at(prices: FloatArray, period: IntArray) -> FloatArray:
    """``prices[c, period[c, p]]`` ``(C, P)``, 0 where ``period`` is past the last column."""
    k_n = prices.shape[1]
    safe = np.minimum(period, k_n - 1)
    picked = np.take_along_axis(prices, safe, axis=1)
    out: FloatArray = np.where((period < k_n) & np.isfinite(picked), picked, 0.0)
    return out


def annual_irr(flows: FloatArray, times: FloatArray, price: FloatArray) -> FloatArray:
    """Annually compounded IRR (ACT/365F) of paying ``price`` at time 0 for ``flows``.

    ``flows`` and ``times`` ``(N, K)`` (years after the purchase, > 0 where a flow is
    non-zero; flows >= 0), ``price`` ``(N,)`` > 0. Solves
    ``sum_k flows_k (1 + y)^(-t_k) = price`` on ``x = ln(1 + y)`` (the value falls in
    ``x``, so the root is unique): vectorised Newton, then bracketing. ``-1`` where nothing
    is paid (or the yield is below -99.99999999999%).

    >>> annual_irr(np.array([[5.0, 105.0]]), np.array([[1.0, 2.0]]), np.array([100.0]))
    array([0.05])
    """
    n = flows.shape[0]
    out = np.full(n, -1.0)
    total = flows.sum(axis=1)
    if n == 0:
        return out
    times = np.where(flows != 0.0, times, 0.0)

    def value(x: FloatArray, rows: IntArray) -> tuple[FloatArray, FloatArray]:
        with np.errstate(over="ignore", invalid="ignore"):
            growth = flows[rows] * np.exp(-x[:, None] * times[rows])
            return growth.sum(axis=1) - price[rows], -(growth * times[rows]).sum(axis=1)

    every = np.arange(n, dtype=np.int64)
    at_lo, _ = value(np.full(n, _X_LO), every)
    at_hi, _ = value(np.full(n, _X_HI), every)
    solvable = (total > 0.0) & (at_lo >= 0.0) & (at_hi <= 0.0)
    out[(total > 0.0) & (at_hi > 0.0)] = np.expm1(_X_HI)
    rows = np.flatnonzero(solvable).astype(np.int64)
    if rows.size:

        def f(x: FloatArray, sub: IntArray) -> FloatArray:
            return value(x, rows[sub])[0]

        def fd(x: FloatArray, sub: IntArray) -> tuple[FloatArray, FloatArray]:
            return value(x, rows[sub])

        x = solve_monotone(
            f,
            _X_LO,
            _X_HI,
            f_and_derivative=fd,
            x0=np.full(rows.size, np.log1p(0.05)),
            size=rows.size,
            name="certificate IRR",
            on_failure="nan",
        )
        out[rows] = np.expm1(x)
    return out


def macaulay_and_modified(
    flows: FloatArray, times: FloatArray, price: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Yield (annual, ACT/365F), Macaulay and modified duration (years) of ``flows``
    ``(N, K)`` at ``times`` (years from today) priced at ``price`` ``(N,)``.

    Macaulay ``D = sum t PV(t) / sum PV(t)`` at the yield ``y`` that reprices the flows;
    modified ``D / (1 + y)``. NaN where the price or the flows are not positive.

    >>> y, mac, mod = macaulay_and_modified(np.array([[5.0, 105.0]]),
    ...                                     np.array([[1.0, 2.0]]), np.array([100.0]))
    >>> y.round(12).tolist(), mac.round(6).tolist(), mod.round(6).tolist()
    ([0.05], [1.952381], [1.85941])
    """
    times = np.where(flows != 0.0, times, 0.0)
    ok = (price > 0.0) & (flows.sum(axis=1) > 0.0)
    safe_price = np.where(ok, price, 1.0)
    y = np.where(ok, annual_irr(flows, times, safe_price), np.nan)
    growth = flows * np.power(1.0 + np.where(ok, y, 0.0)[:, None], -times)
    with np.errstate(divide="ignore", invalid="ignore"):
        mac = np.where(ok, (growth * times).sum(axis=1) / growth.sum(axis=1), np.nan)
    return y, mac, mac / (1.0 + y)
