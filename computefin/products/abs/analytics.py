"""Tranche analytics on a waterfall run: price, yield, spreads, WAL, duration, losses, IRR.

Each tranche's cash flows on each path become one row of a
:class:`~computefin.pricing.analytics.CashflowMatrix` (:func:`tranche_cashflows`), so the
pricing module's kernels (QuantLib's conventions, tested against QuantLib) price every
path at once. Functions return one figure per path, ``(paths,)``; take the mean for an
expected figure.

Conventions: prices are **per 100 of the tranche's face at settlement** (its balance
outstanding then; the equity piece: its nominal) and dirty unless ``kind="clean"``;
settlement defaults to the first period's start (closing); only flows paid after
settlement count. Yields compound at the payment frequency (inferred from the dates) in
the tranche's day count; the equity IRR is an annual effective rate (ACT/365F).
Discount margins add to the index forward over each accrual period and discount simply
period by period; z-spreads are continuous over ACT/365F on the curve (as
:func:`~computefin.pricing.analytics.z_spread_from_price`). Losses are principal written
down plus interest lost, as a share of the original balance.

For breakeven CDRs and scenario grids the pool side supplies a hook,
:data:`PoolFlowsFor`: ``pool_flows_for(cdr, recovery, price_shock) -> PoolFlows``.

>>> from computefin.pricing.curves import flat_curve
>>> from computefin.products.abs.structure import AbsStructure, DEMO_DEAL_PATH
>>> from computefin.products.abs.waterfall import demo_pool_flows, run_waterfall
>>> curve = flat_curve("2027-01-01", 0.018)
>>> res = run_waterfall(AbsStructure.from_yaml(DEMO_DEAL_PATH), demo_pool_flows(), curve)
>>> tranche_yield(res, "B", 100.0).round(6), tranche_wal(res, "B").round(4)
(array([0.042]), array([2.5942]))
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import brentq

from computefin._typing import DateArray, FloatArray, IntArray
from computefin.domain.conventions import DayCount
from computefin.errors import ValidationError
from computefin.pricing import (
    CashflowMatrix,
    Curve,
    modified_duration,
    price_from_yield,
    solve_monotone,
    weighted_average_life,
    yield_from_price,
    z_spread_from_price,
)
from computefin.pricing.analytics import PriceKind, YieldCompounding
from computefin.pricing.daycounts import year_fraction_days
from computefin.products.abs.pool_flows import PoolFlows
from computefin.products.abs.structure import AbsStructure
from computefin.products.abs.waterfall import CENT, CurveInput, WaterfallResult, run_waterfall

__all__ = [
    "LOSS_QUANTILES",
    "PoolFlowsFor",
    "breakeven_cdr",
    "credit_enhancement",
    "equity_irr",
    "expected_loss",
    "loss_distribution",
    "loss_shares",
    "scenario_grid",
    "tranche_cashflows",
    "tranche_discount_margin",
    "tranche_duration",
    "tranche_face",
    "tranche_measures",
    "tranche_price_from_discount_margin",
    "tranche_price_from_yield",
    "tranche_wal",
    "tranche_yield",
    "tranche_z_spread",
]

PoolFlowsFor = Callable[[float, float, float], PoolFlows]
"""The pool side's hook: ``pool_flows_for(cdr, recovery, price_shock) -> PoolFlows``.

``cdr`` is the annual constant default rate (decimal), ``recovery`` the share of a
defaulted balance recovered (decimal), ``price_shock`` the relative shock to GPU rental
and resale prices (-0.3 = prices 30% lower). The pool module builds it from a pool and a
performance scenario; tests pass a hand-built pool."""

LOSS_QUANTILES: Final[tuple[float, ...]] = (0.5, 0.9, 0.95, 0.99, 0.999)
"""Quantiles reported by :func:`loss_distribution`."""

OnFailure = Literal["raise", "nan"]
"""What a solver does where it does not converge: raise ``ConvergenceError`` or give NaN."""

_DM_BRACKET: Final[tuple[float, float]] = (-0.5, 2.0)


# -- cash flows -----------------------------------------------------------------------------


def _frequency(dates: DateArray) -> int:
    """Payments per year inferred from the median gap between payment dates (1, 2, 4, 12)."""
    if dates.size < 2:
        return 1
    gap = float(np.median(np.diff(dates.astype(np.int64))))
    choices = np.array([1, 2, 4, 12])
    return int(choices[np.argmin(np.abs(365.25 / choices - gap))])


def _settlement(result: WaterfallResult, settlement: Any) -> np.datetime64:
    if settlement is None:
        return np.datetime64(result.period_starts[0], "D")
    try:
        return np.datetime64(settlement, "D")
    except (TypeError, ValueError) as exc:
        raise ValidationError("settlement", "must be a date or ISO string", settlement) from exc


def tranche_cashflows(
    result: WaterfallResult,
    name: str,
    *,
    settlement: Any = None,
    frequency: int | None = None,
) -> CashflowMatrix:
    """The tranche's cash flows, one row per path (ids ``"<name>[<path>]"``).

    Amounts are interest + principal + residual paid on each payment date; coupons are
    the interest paid over each accrual period (for accrued interest); principal is the
    principal paid (the residual, for the equity piece). ``frequency`` (yield
    compounding, per year) defaults to the payment frequency; the day count is the
    tranche's.

    >>> from computefin.products.abs.structure import AbsStructure, DEMO_DEAL_PATH
    >>> from computefin.products.abs.waterfall import demo_pool_flows, run_waterfall
    >>> from computefin.pricing.curves import flat_curve
    >>> res = run_waterfall(AbsStructure.from_yaml(DEMO_DEAL_PATH), demo_pool_flows(),
    ...                     flat_curve("2027-01-01", 0.018))
    >>> cf = tranche_cashflows(res, "A")
    >>> cf.ids.tolist(), cf.k, int(cf.frequency[0])
    (['A[0]'], 60, 12)
    """
    j = result.index(name)
    tranche = result.structure.tranches[j]
    p, t = result.n_paths, result.n_periods
    pay = np.broadcast_to(result.payment_dates, (p, t))
    starts = np.broadcast_to(result.period_starts, (p, t))
    coupons = result.interest[j]
    principal = result.principal[j] if tranche.is_note else result.residual[j]
    return CashflowMatrix(
        ids=[f"{name}[{i}]" for i in range(p)],
        pay_dates=pay,
        amounts=result.tranche_cash(name),
        alive=np.ones((p, t), dtype=bool),
        settlement=_settlement(result, settlement),
        frequency=frequency if frequency is not None else _frequency(result.payment_dates),
        day_count=tranche.day_count,
        accrual_start=starts,
        accrual_end=pay,
        coupon_amounts=coupons,
        principal=principal,
    )


def tranche_face(result: WaterfallResult, name: str, *, settlement: Any = None) -> FloatArray:
    """Face per path at settlement: the balance at the start of the first period paid
    after settlement (the equity piece: its nominal); ``(paths,)``, deal currency.

    >>> from computefin.products.abs.structure import AbsStructure, DEMO_DEAL_PATH
    >>> from computefin.products.abs.waterfall import demo_pool_flows, run_waterfall
    >>> from computefin.pricing.curves import flat_curve
    >>> res = run_waterfall(AbsStructure.from_yaml(DEMO_DEAL_PATH), demo_pool_flows(),
    ...                     flat_curve("2027-01-01", 0.018))
    >>> tranche_face(res, "A"), tranche_face(res, "E")
    (array([8.e+08]), array([80000000.]))
    """
    j = result.index(name)
    tranche = result.structure.tranches[j]
    if not tranche.is_note:
        return np.full(result.n_paths, tranche.balance)
    settle = _settlement(result, settlement)
    after = np.flatnonzero(result.payment_dates > settle)
    if after.size == 0:
        return np.zeros(result.n_paths)
    out: FloatArray = result.balance_start[j, :, int(after[0])].copy()
    return out


def _per_100(money: FloatArray, face: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = np.where(face > 0.0, money / face * 100.0, np.nan)
    return out


def _money(price: float | npt.ArrayLike, face: FloatArray) -> FloatArray:
    arr = np.asarray(price, dtype=np.float64)
    if not bool(np.all(np.isfinite(arr))):
        raise ValidationError("price", "must be finite numbers (per 100 of face)")
    out: FloatArray = np.broadcast_to(arr, face.shape) * face / 100.0
    return out


# -- price, yield, spreads ------------------------------------------------------------------


def tranche_price_from_yield(
    result: WaterfallResult,
    name: str,
    y: float | npt.ArrayLike,
    *,
    settlement: Any = None,
    compounding: YieldCompounding = "compounded",
    frequency: int | None = None,
    kind: PriceKind = "dirty",
) -> FloatArray:
    """Price per 100 of face at yield ``y`` (decimal; scalar or per path); ``(paths,)``.

    >>> from computefin.products.abs.structure import AbsStructure, DEMO_DEAL_PATH
    >>> from computefin.products.abs.waterfall import demo_pool_flows, run_waterfall
    >>> from computefin.pricing.curves import flat_curve
    >>> res = run_waterfall(AbsStructure.from_yaml(DEMO_DEAL_PATH), demo_pool_flows(),
    ...                     flat_curve("2027-01-01", 0.018))
    >>> tranche_price_from_yield(res, "B", 0.05).round(4)
    array([98.0923])
    """
    cf = tranche_cashflows(result, name, settlement=settlement, frequency=frequency)
    money = price_from_yield(cf, y, compounding=compounding, kind=kind)
    return _per_100(money, tranche_face(result, name, settlement=settlement))


def tranche_yield(
    result: WaterfallResult,
    name: str,
    price: float | npt.ArrayLike,
    *,
    settlement: Any = None,
    compounding: YieldCompounding = "compounded",
    frequency: int | None = None,
    kind: PriceKind = "dirty",
    on_failure: OnFailure = "raise",
) -> FloatArray:
    """Yield (decimal) at ``price`` per 100 of face, one per path; ``(paths,)``.

    QuantLib's ``BondFunctions.bondYield`` on the path's flows (see
    :func:`~computefin.pricing.analytics.yield_from_price`). Paths with no flow after
    settlement raise ``ConvergenceError`` (``on_failure="nan"``: NaN).

    >>> from computefin.products.abs.structure import AbsStructure, DEMO_DEAL_PATH
    >>> from computefin.products.abs.waterfall import demo_pool_flows, run_waterfall
    >>> from computefin.pricing.curves import flat_curve
    >>> res = run_waterfall(AbsStructure.from_yaml(DEMO_DEAL_PATH), demo_pool_flows(),
    ...                     flat_curve("2027-01-01", 0.018))
    >>> tranche_yield(res, "B", tranche_price_from_yield(res, "B", 0.05)).round(10)
    array([0.05])
    """
    cf = tranche_cashflows(result, name, settlement=settlement, frequency=frequency)
    face = tranche_face(result, name, settlement=settlement)
    return yield_from_price(
        cf, _money(price, face), kind=kind, compounding=compounding, on_failure=on_failure
    )


def tranche_z_spread(
    result: WaterfallResult,
    name: str,
    price: float | npt.ArrayLike,
    curve: Curve,
    *,
    settlement: Any = None,
    kind: PriceKind = "dirty",
    on_failure: OnFailure = "raise",
) -> FloatArray:
    """Z-spread (continuous, ACT/365F, decimal) over ``curve`` at ``price`` per 100.

    >>> from computefin.products.abs.structure import AbsStructure, DEMO_DEAL_PATH
    >>> from computefin.products.abs.waterfall import demo_pool_flows, run_waterfall
    >>> from computefin.pricing.curves import flat_curve
    >>> curve = flat_curve("2027-01-01", 0.018)
    >>> res = run_waterfall(AbsStructure.from_yaml(DEMO_DEAL_PATH), demo_pool_flows(), curve)
    >>> tranche_z_spread(res, "B", 100.0, curve).round(6)
    array([0.02393])
    """
    cf = tranche_cashflows(result, name, settlement=settlement)
    face = tranche_face(result, name, settlement=settlement)
    return z_spread_from_price(cf, curve, _money(price, face), kind=kind, on_failure=on_failure)


def _dm_discounts(
    result: WaterfallResult, name: str, curve: Curve, settlement: Any
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Counted flows ``(P, T)``, index forwards ``(T,)`` and accrual fractions ``(T,)``."""
    j = result.index(name)
    dc = result.structure.tranches[j].day_count
    settle = _settlement(result, settlement)
    counted = result.payment_dates > settle
    starts = np.maximum(result.period_starts, settle)[counted]
    ends = result.payment_dates[counted]
    fwd = np.zeros(result.n_periods)
    tau = np.zeros(result.n_periods)
    if ends.size:
        fwd[counted] = curve.forward_rate(starts, ends, day_count=dc)
        tau[counted] = year_fraction_days(starts.astype(np.int64), ends.astype(np.int64), dc)
    flows = np.where(counted, result.tranche_cash(name), 0.0)
    return flows, fwd, tau


def _dm_price(
    flows: FloatArray, fwd: FloatArray, tau: FloatArray, dm: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Money price and its derivative in ``dm``, per row of ``flows``."""
    growth = 1.0 + (fwd[None, :] + dm[:, None]) * tau[None, :]
    discount = np.exp(-np.cumsum(np.log(growth), axis=1))
    weighted = flows * discount
    slope = -np.cumsum(tau[None, :] / growth, axis=1)
    return weighted.sum(axis=1), (weighted * slope).sum(axis=1)


def tranche_price_from_discount_margin(
    result: WaterfallResult,
    name: str,
    dm: float | npt.ArrayLike,
    curve: Curve,
    *,
    settlement: Any = None,
) -> FloatArray:
    """Dirty price per 100 of face at discount margin ``dm`` (decimal) over ``curve``.

    Each flow is discounted by ``prod 1 / (1 + (f_k + dm) tau_k)`` over the accrual
    periods up to it, ``f_k`` the curve's simple forward over the period (from settlement
    for the period running at settlement) and ``tau_k`` its year fraction in the
    tranche's day count. A floating tranche paying ``f_k + margin`` is priced at par at
    ``dm = margin`` (absent losses and step-ups; the demo deal's class A steps up 50bp
    from 2030, hence above par).

    >>> from computefin.products.abs.structure import AbsStructure, DEMO_DEAL_PATH
    >>> from computefin.products.abs.waterfall import demo_pool_flows, run_waterfall
    >>> from computefin.pricing.curves import flat_curve
    >>> curve = flat_curve("2027-01-01", 0.018)
    >>> res = run_waterfall(AbsStructure.from_yaml(DEMO_DEAL_PATH), demo_pool_flows(), curve)
    >>> tranche_price_from_discount_margin(res, "A", 0.009, curve).round(6)
    array([100.190721])
    """
    flows, fwd, tau = _dm_discounts(result, name, curve, settlement)
    margin = np.broadcast_to(np.asarray(dm, dtype=np.float64), (result.n_paths,))
    money, _ = _dm_price(flows, fwd, tau, margin)
    return _per_100(money, tranche_face(result, name, settlement=settlement))


def tranche_discount_margin(
    result: WaterfallResult,
    name: str,
    price: float | npt.ArrayLike,
    curve: Curve,
    *,
    settlement: Any = None,
    on_failure: OnFailure = "raise",
) -> FloatArray:
    """Discount margin (decimal) that prices the tranche at ``price`` per 100; ``(paths,)``.

    Inverts :func:`tranche_price_from_discount_margin` by vectorised Newton with a
    bracketing fallback on -50%..200%.

    >>> from computefin.products.abs.structure import AbsStructure, DEMO_DEAL_PATH
    >>> from computefin.products.abs.waterfall import demo_pool_flows, run_waterfall
    >>> from computefin.pricing.curves import flat_curve
    >>> curve = flat_curve("2027-01-01", 0.018)
    >>> res = run_waterfall(AbsStructure.from_yaml(DEMO_DEAL_PATH), demo_pool_flows(), curve)
    >>> tranche_discount_margin(res, "A", 100.0, curve).round(8)
    array([0.0097686])
    """
    flows, fwd, tau = _dm_discounts(result, name, curve, settlement)
    target = _money(price, tranche_face(result, name, settlement=settlement))

    def gap(x: FloatArray, rows: IntArray) -> FloatArray:
        return _dm_price(flows[rows], fwd, tau, x)[0] - target[rows]

    def gap_slope(x: FloatArray, rows: IntArray) -> tuple[FloatArray, FloatArray]:
        value, slope = _dm_price(flows[rows], fwd, tau, x)
        return value - target[rows], slope

    return solve_monotone(
        gap,
        _DM_BRACKET[0],
        _DM_BRACKET[1],
        f_and_derivative=gap_slope,
        x0=0.0,
        size=result.n_paths,
        ids=[f"{name}[{i}]" for i in range(result.n_paths)],
        name="tranche_discount_margin",
        on_failure=on_failure,
    )


# -- life, duration -------------------------------------------------------------------------


def tranche_wal(result: WaterfallResult, name: str, *, settlement: Any = None) -> FloatArray:
    """Weighted average life in years (ACT/365F) of the principal paid after settlement.

    >>> from computefin.products.abs.structure import AbsStructure, DEMO_DEAL_PATH
    >>> from computefin.products.abs.waterfall import demo_pool_flows, run_waterfall
    >>> from computefin.pricing.curves import flat_curve
    >>> res = run_waterfall(AbsStructure.from_yaml(DEMO_DEAL_PATH), demo_pool_flows(),
    ...                     flat_curve("2027-01-01", 0.018))
    >>> tranche_wal(res, "A").round(4)
    array([2.5942])
    """
    cf = tranche_cashflows(result, name, settlement=settlement)
    return weighted_average_life(cf, day_count=DayCount.ACT_365F)


def tranche_duration(
    result: WaterfallResult,
    name: str,
    y: float | npt.ArrayLike,
    *,
    settlement: Any = None,
    compounding: YieldCompounding = "compounded",
    frequency: int | None = None,
) -> FloatArray:
    """Modified duration in years at yield ``y`` (``BondFunctions.duration``); ``(paths,)``.

    >>> from computefin.products.abs.structure import AbsStructure, DEMO_DEAL_PATH
    >>> from computefin.products.abs.waterfall import demo_pool_flows, run_waterfall
    >>> from computefin.pricing.curves import flat_curve
    >>> res = run_waterfall(AbsStructure.from_yaml(DEMO_DEAL_PATH), demo_pool_flows(),
    ...                     flat_curve("2027-01-01", 0.018))
    >>> tranche_duration(res, "B", 0.05).round(4)
    array([2.399])
    """
    cf = tranche_cashflows(result, name, settlement=settlement, frequency=frequency)
    return modified_duration(cf, y, compounding=compounding)


# -- losses ---------------------------------------------------------------------------------


def loss_shares(result: WaterfallResult, name: str) -> FloatArray:
    """Loss per path (principal written down + interest lost) / original balance.

    >>> from computefin.products.abs.structure import AbsStructure, DEMO_DEAL_PATH
    >>> from computefin.products.abs.waterfall import demo_pool_flows, run_waterfall
    >>> from computefin.pricing.curves import flat_curve
    >>> res = run_waterfall(AbsStructure.from_yaml(DEMO_DEAL_PATH),
    ...                     demo_pool_flows(cdr=0.25), flat_curve("2027-01-01", 0.018))
    >>> loss_shares(res, "B").round(4), loss_shares(res, "A").round(4)
    (array([0.9092]), array([0.0389]))
    """
    balance = result.structure.tranche(name).balance
    loss = result.tranche_loss(name)
    out: FloatArray = loss / balance if balance > 0.0 else np.zeros_like(loss)
    return out


def expected_loss(result: WaterfallResult, name: str) -> float:
    """Mean loss share over paths (see :func:`loss_shares`), decimal.

    >>> from computefin.products.abs.structure import AbsStructure, DEMO_DEAL_PATH
    >>> from computefin.products.abs.waterfall import demo_pool_flows, run_waterfall
    >>> from computefin.pricing.curves import flat_curve
    >>> res = run_waterfall(AbsStructure.from_yaml(DEMO_DEAL_PATH), demo_pool_flows(),
    ...                     flat_curve("2027-01-01", 0.018))
    >>> expected_loss(res, "B")
    0.0
    """
    return float(np.mean(loss_shares(result, name)))


def loss_distribution(
    result: WaterfallResult, name: str, quantiles: Iterable[float] = LOSS_QUANTILES
) -> pd.Series:
    """The distribution of the loss share over paths: mean, probability of any loss (more
    than a cent), standard deviation, worst, and ``quantiles``.

    >>> from computefin.products.abs.structure import AbsStructure, DEMO_DEAL_PATH
    >>> from computefin.products.abs.waterfall import demo_pool_flows, run_waterfall
    >>> from computefin.pricing.curves import flat_curve
    >>> res = run_waterfall(AbsStructure.from_yaml(DEMO_DEAL_PATH), demo_pool_flows(),
    ...                     flat_curve("2027-01-01", 0.018))
    >>> float(loss_distribution(res, "A")["probability_of_loss"])
    0.0
    """
    shares = loss_shares(result, name)
    loss = result.tranche_loss(name)
    data: dict[str, float] = {
        "expected_loss": float(shares.mean()),
        "probability_of_loss": float((loss > CENT).mean()),
        "std": float(shares.std()),
        "max": float(shares.max()),
    }
    for q in quantiles:
        data[f"q{q:g}"] = float(np.quantile(shares, q))
    return pd.Series(data, name=name)


def equity_irr(
    result: WaterfallResult,
    name: str | None = None,
    *,
    price: float | npt.ArrayLike = 100.0,
    settlement: Any = None,
) -> FloatArray:
    """IRR of the equity piece per path: the annual effective rate (ACT/365F) at which its
    residual cash equals ``price`` per 100 of its nominal; NaN where it has none.

    ``name`` defaults to the deal's (first) equity tranche.

    >>> from computefin.products.abs.structure import AbsStructure, DEMO_DEAL_PATH
    >>> from computefin.products.abs.waterfall import demo_pool_flows, run_waterfall
    >>> from computefin.pricing.curves import flat_curve
    >>> res = run_waterfall(AbsStructure.from_yaml(DEMO_DEAL_PATH), demo_pool_flows(),
    ...                     flat_curve("2027-01-01", 0.018))
    >>> equity_irr(res).round(4)
    array([0.6305])
    """
    if name is None:
        equity = [t.name for t in result.structure.tranches if not t.is_note]
        if not equity:
            raise ValidationError("name", "the deal has no equity tranche")
        name = equity[0]
    cf = tranche_cashflows(result, name, settlement=settlement, frequency=1)
    face = tranche_face(result, name, settlement=settlement)
    return yield_from_price(
        cf, _money(price, face), day_count=DayCount.ACT_365F, frequency=1, on_failure="nan"
    )


# -- credit enhancement ---------------------------------------------------------------------


def credit_enhancement(result: WaterfallResult, period: int | None = None) -> pd.DataFrame:
    """Credit enhancement of each note as shares of the pool balance (decimals).

    ``subordination``: notes junior to the class; ``overcollateralisation``: pool minus all
    notes; ``reserve``: reserve and liquidity accounts; ``total``: their sum. At closing
    (``period=None``: original balances, initial accounts) or after period ``period``
    (mean over paths).

    >>> from computefin.products.abs.structure import AbsStructure, DEMO_DEAL_PATH
    >>> from computefin.products.abs.waterfall import demo_pool_flows, run_waterfall
    >>> from computefin.pricing.curves import flat_curve
    >>> res = run_waterfall(AbsStructure.from_yaml(DEMO_DEAL_PATH), demo_pool_flows(),
    ...                     flat_curve("2027-01-01", 0.018))
    >>> credit_enhancement(res).round(4).loc["A"].tolist()
    [0.12, 0.08, 0.0184, 0.2184]
    """
    deal = result.structure
    funded = [a for a, acc in enumerate(deal.accounts) if acc.kind != "cash_trap"]
    if period is None:
        pool = float(result.pool.original_pool_balance)
        balances = np.array([t.balance if t.is_note else 0.0 for t in deal.tranches])
        reserve = math.fsum(deal.accounts[a].initial_balance for a in funded)
    else:
        if not -result.n_periods <= period < result.n_periods:
            raise ValidationError("period", f"must be in 0..{result.n_periods - 1}", period)
        pool = float(result.pool.pool_balance[:, period].mean())
        balances = result.balance[:, :, period].mean(axis=1)
        balances = np.where([t.is_note for t in deal.tranches], balances, 0.0)
        reserve = float(result.account_balance[funded, :, period].sum(axis=0).mean())
    rows = []
    seniority = np.array([t.seniority for t in deal.tranches])
    total_notes = float(balances.sum())
    for j, tr in enumerate(deal.tranches):
        if not tr.is_note:
            continue
        junior = float(balances[seniority > seniority[j]].sum())
        scale = 1.0 / pool if pool > 0.0 else 0.0
        sub, oc, res = junior * scale, (pool - total_notes) * scale, reserve * scale
        rows.append(
            {
                "tranche": tr.name,
                "subordination": sub,
                "overcollateralisation": oc,
                "reserve": res,
                "total": sub + oc + res,
            }
        )
    return pd.DataFrame(rows).set_index("tranche")


# -- one table ------------------------------------------------------------------------------


def tranche_measures(
    result: WaterfallResult,
    prices: Mapping[str, float] | None = None,
    curve: Curve | None = None,
    *,
    settlement: Any = None,
) -> pd.DataFrame:
    """One row per tranche, means over paths: price (per 100, default par), yield (equity:
    IRR), z-spread over ``curve`` (if given), WAL, modified duration, expected loss.

    >>> from computefin.products.abs.structure import AbsStructure, DEMO_DEAL_PATH
    >>> from computefin.products.abs.waterfall import demo_pool_flows, run_waterfall
    >>> from computefin.pricing.curves import flat_curve
    >>> curve = flat_curve("2027-01-01", 0.018)
    >>> res = run_waterfall(AbsStructure.from_yaml(DEMO_DEAL_PATH), demo_pool_flows(), curve)
    >>> tranche_measures(res, curve=curve)[["yield", "wal_years"]].round(4).values.tolist()
    [[0.0278, 2.5942], [0.042, 2.5942], [0.6305, 2.1647]]
    """
    rows = []
    for tr in result.structure.tranches:
        price = 100.0 if prices is None else float(prices.get(tr.name, 100.0))
        if tr.is_note:
            y = tranche_yield(result, tr.name, price, settlement=settlement, on_failure="nan")
        else:
            y = equity_irr(result, tr.name, price=price, settlement=settlement)
        row: dict[str, Any] = {
            "tranche": tr.name,
            "price": price,
            "yield": _nanmean(y),
            "wal_years": _nanmean(tranche_wal(result, tr.name, settlement=settlement)),
            "modified_duration": _nanmean(
                _duration_at(result, tr.name, y, settlement, frequency=None if tr.is_note else 1)
            ),
            "expected_loss": expected_loss(result, tr.name),
        }
        if curve is not None:
            row["z_spread"] = _nanmean(
                tranche_z_spread(
                    result, tr.name, price, curve, settlement=settlement, on_failure="nan"
                )
            )
        rows.append(row)
    return pd.DataFrame(rows).set_index("tranche")


def _duration_at(
    result: WaterfallResult, name: str, y: FloatArray, settlement: Any, frequency: int | None
) -> FloatArray:
    ok = np.isfinite(y)
    out = np.full(y.shape, np.nan)
    if ok.any():
        cf = tranche_cashflows(result, name, settlement=settlement, frequency=frequency)
        out[ok] = modified_duration(cf.take(ok), y[ok])
    return out


def _nanmean(x: FloatArray) -> float:
    if not bool(np.isfinite(x).any()):
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmean(x))


# -- breakeven and scenarios ----------------------------------------------------------------


def breakeven_cdr(
    structure: AbsStructure,
    pool_flows_for: PoolFlowsFor,
    tranche: str,
    *,
    recovery: float,
    price_shock: float = 0.0,
    curves: CurveInput = None,
    lo: float = 0.0,
    hi: float = 1.0,
    xtol: float = 1e-10,
    loss_tolerance: float = CENT,
) -> float:
    """The highest CDR (decimal) at which ``tranche`` loses nothing on any path.

    "No loss" is principal written down plus interest lost of at most ``loss_tolerance``
    (default half a cent, deal currency) on every path. Solved with
    :func:`scipy.optimize.brentq` on ``worst loss(cdr) - loss_tolerance`` over ``[lo, hi]``
    to ``xtol``: returns ``lo`` if the class already loses at ``lo`` and ``inf``
    if it loses nothing even at ``hi``. ``pool_flows_for`` is the pool side's hook
    (:data:`PoolFlowsFor`).

    >>> from computefin.products.abs.structure import AbsStructure, DEMO_DEAL_PATH
    >>> from computefin.products.abs.waterfall import demo_pool_flows
    >>> from computefin.pricing.curves import flat_curve
    >>> deal = AbsStructure.from_yaml(DEMO_DEAL_PATH)
    >>> hook = lambda cdr, rec, shock: demo_pool_flows(cdr=cdr, recovery=rec)
    >>> curve = flat_curve("2027-01-01", 0.018)
    >>> round(breakeven_cdr(deal, hook, "B", recovery=0.4, curves=curve), 4)
    0.1429
    """
    structure.tranche(tranche)

    def excess_loss(cdr: float) -> float:
        res = run_waterfall(structure, pool_flows_for(cdr, recovery, price_shock), curves)
        return float(res.tranche_loss(tranche).max()) - loss_tolerance

    if excess_loss(lo) > 0.0:
        return lo
    if excess_loss(hi) <= 0.0:
        return math.inf
    root = brentq(excess_loss, lo, hi, xtol=xtol)
    return float(root)


def scenario_grid(
    structure: AbsStructure,
    pool_flows_for: PoolFlowsFor,
    *,
    cdrs: Sequence[float],
    recoveries: Sequence[float],
    price_shocks: Sequence[float] = (0.0,),
    prices: Mapping[str, float] | None = None,
    curves: CurveInput = None,
    settlement: Any = None,
) -> pd.DataFrame:
    """Run every (CDR, recovery, price shock) scenario; one row per scenario and tranche.

    Columns: ``cdr``, ``recovery``, ``price_shock``, ``tranche``, ``expected_loss`` and
    ``max_loss`` (shares of the original balance), ``wal_years``, ``yield`` at ``prices``
    (per 100, default par; the equity row: its IRR) and ``modified_duration``, means over
    paths (NaN where a class receives nothing).

    >>> from computefin.products.abs.structure import AbsStructure, DEMO_DEAL_PATH
    >>> from computefin.products.abs.waterfall import demo_pool_flows
    >>> from computefin.pricing.curves import flat_curve
    >>> deal = AbsStructure.from_yaml(DEMO_DEAL_PATH)
    >>> hook = lambda cdr, rec, shock: demo_pool_flows(cdr=cdr, recovery=rec)
    >>> grid = scenario_grid(deal, hook, cdrs=[0.02, 0.25], recoveries=[0.4],
    ...                      curves=flat_curve("2027-01-01", 0.018))
    >>> grid.shape, grid.loc[grid.tranche == "B", "expected_loss"].round(4).tolist()
    ((6, 9), [0.0, 0.9092])
    """
    rows: list[dict[str, Any]] = []
    for cdr in cdrs:
        for recovery in recoveries:
            for shock in price_shocks:
                res = run_waterfall(structure, pool_flows_for(cdr, recovery, shock), curves)
                for tr in structure.tranches:
                    price = 100.0 if prices is None else float(prices.get(tr.name, 100.0))
                    if tr.is_note:
                        y = tranche_yield(
                            res, tr.name, price, settlement=settlement, on_failure="nan"
                        )
                    else:
                        y = equity_irr(res, tr.name, price=price, settlement=settlement)
                    shares = loss_shares(res, tr.name)
                    rows.append(
                        {
                            "cdr": cdr,
                            "recovery": recovery,
                            "price_shock": shock,
                            "tranche": tr.name,
                            "expected_loss": float(shares.mean()),
                            "max_loss": float(shares.max()),
                            "wal_years": _nanmean(tranche_wal(res, tr.name, settlement=settlement)),
                            "yield": _nanmean(y),
                            "modified_duration": _nanmean(
                                _duration_at(res, tr.name, y, settlement, None if tr.is_note else 1)
                            ),
                        }
                    )
    return pd.DataFrame(rows)
