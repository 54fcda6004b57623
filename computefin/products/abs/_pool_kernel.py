"""The pool projection kernel: one loop over periods, arrays over (assets, paths).

Per period ``k``, for every asset and path, with ``S`` the share of the asset still
performing (neither defaulted nor prepaid) at the period start:

1. defaults: ``d = S q`` with ``q = 1 - (1 - MDR_k)(1 - D_k)``, ``D_k = 1`` when the
   obligor's scenario default time falls in the period; the defaulted share pays nothing
   in the period; ``defaulted balance = d B_start``; the security deposit applies at once
   (up to the defaulted balance), ``recovery_rate`` of the rest arrives
   ``recovery_lag_periods`` later;
2. scheduled collections ``(S - d)`` x (interest, principal) and renewal rent weighted by
   the renewal weights ``W``;
3. prepayments (only while a contractual balance remains): ``p = (S - d) SMM_k`` pays
   ``p B_end`` (a lease's early buy-out at its discounted balance);
4. ``S <- S - d - p``; ``pool balance = S B_end``.

GPUs of a lease come back on default (continuation: sold ``remarketing_lag_periods``
later; termination: re-leased after ``re_lease_gap_periods`` at the path's spot price
until the end of the current term, then sold), on prepayment, and at the end of each
term for the share not renewed; sales realise the residual value x (1 - haircut) when
``remarketing`` is on. Cash identities are checked at the end of every run.

>>> KernelOut.__name__
'KernelOut'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from computefin._typing import FloatArray, IntArray
from computefin.errors import ComputefinError
from computefin.products.abs._pool_market import ResidualTable
from computefin.products.abs._pool_schedule import Schedule

if TYPE_CHECKING:
    from computefin.products.abs.performance import Performance

__all__ = ["ASSET_FIELDS", "KernelOut", "PoolIdentityError", "run_kernel"]

CENT = 0.005
"""Half a cent: the tolerance of every cash identity (plus 1e-12 of the pool's cash)."""

ASSET_FIELDS = (
    "interest",
    "principal",
    "prepayments",
    "renewal_rent",
    "defaulted_balance",
    "recoveries",
    "re_lease_rent",
    "remarketing_proceeds",
    "pool_balance",
)
"""Per-asset path-mean series kept by the kernel, in this order."""


class PoolIdentityError(ComputefinError, ArithmeticError):
    """A pool cash identity failed: a bug, never a data problem (the message says which).

    >>> str(PoolIdentityError("balance roll-forward", 3, 12.5))
    'pool identity broken: balance roll-forward, off by 12.5 (path 3)'
    """

    def __init__(self, identity: str, path: int, error: float) -> None:
        self.identity, self.path, self.error = identity, path, error
        super().__init__(f"pool identity broken: {identity}, off by {error:.6g} (path {path})")


@dataclass(frozen=True, eq=False)
class KernelOut:
    """Pool arrays ``(paths, periods)`` and per-asset path means ``(assets, periods)``."""

    interest: FloatArray
    principal: FloatArray
    prepayments: FloatArray
    recoveries: FloatArray
    remarketing: FloatArray
    defaulted: FloatArray
    balance: FloatArray
    rent_remaining: FloatArray
    assets: dict[str, FloatArray]


def _renewal_weights(
    s: Schedule,
    performance: Performance,
    price_stack: FloatArray,
    acc_index: IntArray,
    n_paths: int,
) -> FloatArray:
    """Cumulative renewal weights ``W[a, p, seg]`` (1 for the original term)."""
    n_assets, n_seg = s.segment_end.shape
    weights = np.ones((n_assets, n_paths, n_seg))
    n_periods = s.n_periods
    for seg in range(1, n_seg):
        exists = s.segment_end[:, seg] >= 0
        if performance.renewal_rule == "probability":
            q = np.full((n_assets, n_paths), performance.renewal_probability)
        else:
            decide = s.segment_end[:, seg - 1]
            inside = (decide >= 0) & (decide < n_periods)
            k = np.clip(decide, 0, n_periods - 1)
            price = price_stack[acc_index, :, k]  # (A, P)
            market_rent = price * (s.gpus * s.hours_per_rent_period)[:, None]
            q = (market_rent >= s.renewal_rent[:, seg][:, None]).astype(np.float64)
            q = np.where(inside[:, None], q, 0.0)
        weights[:, :, seg] = weights[:, :, seg - 1] * np.where(exists[:, None], q, 0.0)
    return weights


def run_kernel(
    s: Schedule,
    performance: Performance,
    prices: dict[str, FloatArray],
    default_period: IntArray,
    residual: ResidualTable | None,
    n_paths: int,
) -> KernelOut:
    """Project the pool; arrays as :class:`KernelOut`. Raises :class:`PoolIdentityError`."""
    n_assets, n_periods = s.cash.shape
    n_seg = s.segment_end.shape[1]
    shape = (n_assets, n_paths)
    ppy = s.grid.frequency.periods_per_year
    mdr = performance.period_rates("cdr", n_periods, ppy)
    smm = performance.period_rates("cpr", n_periods, ppy)
    continuation = performance.lease_default_mode == "continuation"
    keep = 1.0 - performance.haircut

    names = sorted(prices)
    price_stack = (
        np.stack([prices[n] for n in names]) if names else np.zeros((1, n_paths, n_periods))
    )
    acc_index = np.array(
        [names.index(x) if x in prices else 0 for x in s.accelerator], dtype=np.int64
    )
    weights = _renewal_weights(s, performance, price_stack, acc_index, n_paths)
    rows = np.arange(n_assets)

    # remarketing value per GPU, (groups, paths, periods), after the haircut
    sell_value: FloatArray | None = None
    if residual is not None and performance.remarketing and residual.income.shape[0]:
        sell_value = np.stack(
            [
                residual.per_gpu(
                    prices[acc],
                    g,
                    opex=performance.residual_opex_per_gpu_hour,
                    utilization=performance.residual_utilization,
                )
                * keep
                for g, acc in enumerate(residual.accelerator)
            ]
        )
    group = residual.group if residual is not None else np.zeros(n_assets, dtype=np.int64)

    lag = performance.recovery_lag_periods
    sale_lag = performance.remarketing_lag_periods
    gap = performance.re_lease_gap_periods
    ring = np.zeros((n_assets, n_paths, n_seg, gap + 1))
    held = np.zeros((n_assets, n_paths, n_seg))
    relet = np.zeros((n_assets, n_paths, n_seg))

    out = {
        name: np.zeros((n_paths, n_periods))
        for name in ("int", "prin", "prepay", "rec", "mkt", "dflt")
    }
    balance = np.zeros((n_paths, n_periods))
    remaining = np.zeros((n_paths, n_periods))
    late_rec = np.zeros((n_paths, n_periods + lag + 1))
    asset = {name: np.zeros((n_assets, n_periods)) for name in ASSET_FIELDS}
    late_asset_rec = np.zeros((n_assets, n_periods + lag + 1))

    survive = np.ones(shape)
    hours = s.grid.hours
    lease_gpus = s.gpus[:, None]
    relet_factor = performance.re_lease_utilization

    # identity accumulators, per path
    balance_prev = np.full(n_paths, float(s.opening.sum()))
    roll_error = np.zeros(n_paths)
    collected = np.zeros(n_paths)
    lost = np.zeros(n_paths)
    forgone = np.zeros(n_paths)
    recovery_due = np.zeros(n_paths)

    def sell(units: FloatArray, period: int) -> None:
        """Sell ``units`` GPU shares (assets, paths) at the end of ``period``."""
        if sell_value is None or period >= n_periods:
            return
        cash = units * lease_gpus * sell_value[group, :, period]
        out["mkt"][:, period] += cash.sum(axis=0)
        asset["remarketing_proceeds"][:, period] += cash.mean(axis=1)

    for k in range(n_periods):
        active = s.active[:, k][:, None]
        hit = default_period == k
        q = 1.0 - (1.0 - mdr[k]) * (1.0 - hit)
        d = survive * q * active
        seg = s.segment[:, k]
        in_service = np.where(seg[:, None] >= 0, weights[rows, :, np.maximum(seg, 0)], 0.0)
        start_balance = s.balance_start[:, k][:, None]
        defaulted = d * start_balance
        performing = survive - d
        interest = performing * s.interest[:, k][:, None]
        principal = performing * s.principal[:, k][:, None]
        renewal = performing * np.einsum("aps,as->ap", weights, s.renewal_cash[:, :, k])
        can_prepay = (s.balance_end[:, k] > 0.0)[:, None]
        prepaid = performing * smm[k] * can_prepay
        prepay_cash = prepaid * s.balance_end[:, k][:, None]
        survive = performing - prepaid
        end_balance = survive * s.balance_end[:, k][:, None]

        deposit = np.minimum(d * s.deposit[:, None], defaulted)
        later = performance.recovery_rate * (defaulted - deposit)
        late_rec[:, k] += deposit.sum(axis=0)
        late_rec[:, k + lag] += later.sum(axis=0)
        late_asset_rec[:, k] += deposit.mean(axis=1)
        late_asset_rec[:, k + lag] += later.mean(axis=1)
        recovery_due += (deposit + later).sum(axis=0)

        # GPUs: re-lease starts (defaults of period k - gap - 1), defaults, prepayments
        slot = k % (gap + 1)
        starting = ring[:, :, :, slot]
        still_on = (s.segment_end >= k)[:, None, :]
        relet += np.where(still_on, starting, 0.0)
        ring[:, :, :, slot] = 0.0
        repossessed = d * in_service
        if continuation:
            sell(repossessed, k + sale_lag)
        else:
            index = (rows, slice(None), np.maximum(seg, 0))
            leased = seg >= 0
            held[index] += np.where(leased[:, None], repossessed, 0.0)
            ring[:, :, :, slot][index] += np.where(leased[:, None], repossessed, 0.0)
        sell(prepaid, k + sale_lag)
        price_k = price_stack[acc_index, :, k]
        relet_rent = relet.sum(axis=2) * lease_gpus * price_k * hours[k] * relet_factor

        for g in range(n_seg):
            ending = (s.segment_end[:, g] == k)[:, None]
            if not ending.any():
                continue
            after = weights[:, :, g + 1] if g + 1 < n_seg else 0.0
            sell(np.where(ending, survive * (weights[:, :, g] - after), 0.0), k + sale_lag)
            if not continuation:
                sell(np.where(ending, held[:, :, g], 0.0), k + sale_lag)
                held[:, :, g] = np.where(ending, 0.0, held[:, :, g])
                relet[:, :, g] = np.where(ending, 0.0, relet[:, :, g])

        out["int"][:, k] = (interest + renewal).sum(axis=0)
        out["prin"][:, k] = (principal + prepay_cash).sum(axis=0)
        out["prepay"][:, k] = prepay_cash.sum(axis=0)
        out["dflt"][:, k] = defaulted.sum(axis=0)
        out["rec"][:, k] += relet_rent.sum(axis=0)
        balance[:, k] = end_balance.sum(axis=0)
        remaining[:, k] = (survive * s.due_after[:, k][:, None]).sum(axis=0)
        for name, value in (
            ("interest", interest + renewal),
            ("principal", principal + prepay_cash),
            ("prepayments", prepay_cash),
            ("renewal_rent", renewal),
            ("defaulted_balance", defaulted),
            ("re_lease_rent", relet_rent),
            ("pool_balance", end_balance),
        ):
            asset[name][:, k] = value.mean(axis=1)

        roll = balance_prev - (principal + prepay_cash + defaulted).sum(axis=0) - balance[:, k]
        roll_error = np.maximum(roll_error, np.abs(roll))
        balance_prev = balance[:, k]
        collected += (interest + principal).sum(axis=0)
        lost += (d * (s.cash[:, k] + s.due_after[:, k])[:, None]).sum(axis=0)
        forgone += (prepaid * s.due_after[:, k][:, None]).sum(axis=0)

    out["rec"] += late_rec[:, :n_periods]
    asset["recoveries"] = late_asset_rec[:, :n_periods] + asset["re_lease_rent"]
    scale = CENT + 1e-12 * float(s.cash.sum())
    _check(
        "balance roll-forward: B[k-1] - principal - prepaid - defaulted = B[k]", roll_error, scale
    )
    still_due = (survive * s.due_after[:, -1][:, None]).sum(axis=0)
    contractual = float(s.cash.sum())
    _check(
        "scheduled collections = contractual - lost to defaults - forgone by prepayment "
        "- still due after the horizon",
        collected + lost + forgone + still_due - contractual,
        scale,
    )
    _check(
        "recoveries in and after the horizon = deposits + recovery rate x rest of defaults",
        late_rec.sum(axis=1) - recovery_due,
        scale,
    )
    return KernelOut(
        interest=out["int"],
        principal=out["prin"],
        prepayments=out["prepay"],
        recoveries=out["rec"],
        remarketing=out["mkt"],
        defaulted=out["dflt"],
        balance=balance,
        rent_remaining=remaining,
        assets=asset,
    )


def _check(identity: str, error: FloatArray, tolerance: float) -> None:
    bad = np.abs(error) > tolerance
    if bad.any() or not np.isfinite(error).all():
        path = int(np.argmax(np.abs(np.nan_to_num(error, nan=np.inf))))
        raise PoolIdentityError(identity, path, float(error[path]))
