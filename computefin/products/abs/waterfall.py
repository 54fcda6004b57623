"""The waterfall runner: a deal's priorities of payment over every pool path at once.

:func:`run_waterfall` takes an :class:`~computefin.products.abs.structure.AbsStructure`
and the pool's :class:`~computefin.products.abs.pool_flows.PoolFlows` and loops over the
payment dates; each step of each priority list is one array operation over all paths.
Money is in the deal currency and never rounded inside.

Each period, per path (the full conventions are in ``docs/products/abs-waterfall.md``):

1. **Funds.** Interest funds = interest collections; principal funds = principal
   collections + recoveries + remarketing proceeds (+ the clean-up call's proceeds).
   Account cash above the account's target is released into the interest funds. During a
   revolving period the principal funds buy new receivables (``reinvestment``).
2. **Amounts due.** Fees: fixed ``amount_per_year * tau`` or ``rate * pool balance at the
   period start * tau`` plus arrears. Interest: ``balance at the period start * rate *
   tau`` (``tau`` in the tranche's day count; a floating rate is the index curve's simple
   forward over the accrual period plus margin, floored) plus carried shortfall (no
   interest on interest). Principal distribution amount (PDA): ``max(notes - pool balance
   at the period end * (1 - oc_target), 0)``; all of the notes in the last period, at the
   clean-up call and after an event of default.
3. **Priorities.** The interest waterfall spends the interest funds; a ``pay_principal``
   step there pays only the *principal deficiency*, the part of the PDA the principal
   funds cannot cover. Its leftover joins the principal funds, which the principal
   waterfall spends down to its final ``pay_residual``. After an event of default all
   funds go through the post-default waterfall and every account is released.
4. **Losses.** ``deficiency_ledger``: the excess of the notes over the pool balance is
   carried (``deficiency``) and excess spread may cure it; what is unpaid in the last
   period is written down. ``writedown``: the excess is written down every period, junior
   first. Unpaid interest of a class without ``defer_interest`` (and any arrears left in
   the last period) is ``interest_lost``.
5. **Triggers** are tested after the payments; a breach takes effect from the next period.
6. **Conservation**: collections + call proceeds + account draws = fees + interest +
   principal + residual + reinvestment + account deposits, to the cent on every path, or
   :class:`ConservationError` names the period and the path.

>>> from computefin.products.abs.structure import AbsStructure, DEMO_DEAL_PATH
>>> from computefin.pricing.curves import flat_curve
>>> deal = AbsStructure.from_yaml(DEMO_DEAL_PATH)
>>> res = run_waterfall(deal, demo_pool_flows(), curves=flat_curve("2027-01-01", 0.018))
>>> res.n_paths, res.n_periods, res.tranche_names
(1, 60, ('A', 'B', 'E'))
>>> float(res.writedown.sum()), round(float(res.tranche_cash("A").sum()) / 1e6, 3)
(0.0, 857.747)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from computefin._typing import BoolArray, DateArray, FloatArray
from computefin.domain.market import Fixing, RateIndex
from computefin.errors import ComputefinError, MarketDataError, ValidationError
from computefin.pricing.curves import Curve
from computefin.pricing.daycounts import year_fraction_days
from computefin.products.abs.pool_flows import PoolFlows
from computefin.products.abs.structure import (
    AbsStructure,
    FloatingCoupon,
    PayFee,
    PayInterest,
    PayPrincipal,
    PayResidual,
    TopUpReserve,
    Tranche,
    WaterfallStep,
)

__all__ = [
    "CENT",
    "ConservationError",
    "CurveInput",
    "WaterfallResult",
    "demo_pool_flows",
    "run_waterfall",
    "tranche_rates",
]

CENT: Final[float] = 0.005
"""Tolerance of the per-period cash conservation check (half a cent)."""

CurveInput = Curve | Mapping[RateIndex | str, Curve] | None
"""Index curves for floating coupons: one curve for every index, ``{index: curve}``, or
``None`` when no tranche floats."""


class ConservationError(ComputefinError):
    """Cash in and cash out of a period differ by more than a cent on some path.

    >>> str(ConservationError("period 3 (2027-04-01), path 0: off by 1.00"))
    'period 3 (2027-04-01), path 0: off by 1.00'
    """


# -- coupon rates ---------------------------------------------------------------------------


def _curve_for(curves: CurveInput, index: RateIndex, tranche: str) -> Curve:
    if isinstance(curves, Curve):
        return curves
    if curves is not None:
        for key, curve in curves.items():
            if str(key.value if isinstance(key, RateIndex) else key).upper() == index.value:
                return curve
    raise MarketDataError(
        f"AbsStructure.tranches[{tranche}].coupon: no curve for {index.value}; pass "
        "curves=<Curve> or {index: Curve} to run_waterfall"
    )


def tranche_rates(
    structure: AbsStructure,
    period_starts: DateArray,
    payment_dates: DateArray,
    curves: CurveInput,
    fixings: Sequence[Fixing] | None = None,
) -> FloatArray:
    """All-in coupon rate of every tranche in every period, ``(tranches, periods)``, decimals.

    Fixed: the rate; floating: the index curve's simple forward over
    ``[max(start, curve.as_of), end]`` in the tranche's day count, plus margin, floored;
    plus the step-up from accrual periods starting on or after its date. Equity rows are 0.
    With ``fixings`` (the snapshot's), a period that started before the curve date pays
    the index's last fixing on or before its start (set in advance), so a seasoned deal
    can be run from its cut-off; without them, a period ending on or before the curve date
    raises ``MarketDataError``, as does a period with no fixing at or before its start.

    >>> from computefin.products.abs.structure import AbsStructure, DEMO_DEAL_PATH
    >>> from computefin.pricing.curves import flat_curve
    >>> deal = AbsStructure.from_yaml(DEMO_DEAL_PATH)
    >>> s = np.array(["2027-01-01"], dtype="datetime64[D]")
    >>> e = np.array(["2027-02-01"], dtype="datetime64[D]")
    >>> tranche_rates(deal, s, e, flat_curve("2027-01-01", 0.02)).round(6)
    array([[0.029017],
           [0.042   ],
           [0.      ]])
    """
    starts = np.asarray(period_starts, dtype="datetime64[D]")
    ends = np.asarray(payment_dates, dtype="datetime64[D]")
    out = np.zeros((len(structure.tranches), starts.size), dtype=np.float64)
    for j, tr in enumerate(structure.tranches):
        coupon = tr.coupon
        if coupon is None:
            continue
        if isinstance(coupon, FloatingCoupon):
            curve = _curve_for(curves, coupon.index, tr.name)
            as_of = np.datetime64(curve.as_of, "D")
            if fixings is not None and bool((starts < as_of).any()):
                rate = _with_fixings(curve, fixings, coupon.index, tr, starts, ends, as_of)
                rate = rate + coupon.margin
            elif bool((ends <= as_of).any()):
                raise MarketDataError(
                    f"AbsStructure.tranches[{tr.name}].coupon: the period ending "
                    f"{ends[ends <= as_of][0]} is before the {coupon.index.value} curve's date "
                    f"{as_of} and would need a fixing; build the curve at or before the first "
                    "period, or pass the snapshot's fixings"
                )
            else:
                fwd = np.asarray(
                    curve.forward_rate(np.maximum(starts, as_of), ends, day_count=tr.day_count),
                    dtype=np.float64,
                )
                rate = fwd + coupon.margin
        else:
            rate = np.full(starts.size, coupon.rate)
        if tr.step_up is not None:
            rate = rate + np.where(
                starts >= np.datetime64(tr.step_up.from_date, "D"), tr.step_up.increase, 0.0
            )
        if isinstance(coupon, FloatingCoupon) and coupon.floor is not None:
            rate = np.maximum(rate, coupon.floor)
        out[j] = rate
    return out


def _with_fixings(
    curve: Curve,
    fixings: Sequence[Fixing],
    index: RateIndex,
    tranche: Tranche,
    starts: DateArray,
    ends: DateArray,
    as_of: np.datetime64,
) -> FloatArray:
    """Index rates per period: the last fixing on or before the start for periods that
    started before the curve date, the curve's forward for the others."""
    mine = sorted((np.datetime64(f.date, "D"), f.rate) for f in fixings if f.index == index)
    dates = np.array([d for d, _ in mine], dtype="datetime64[D]")
    values = np.array([r for _, r in mine], dtype=np.float64)
    out = np.empty(starts.size, dtype=np.float64)
    past = starts < as_of
    if past.any():
        at = np.searchsorted(dates, starts[past], side="right") - 1
        if (at < 0).any():
            first = starts[past][at < 0][0]
            raise MarketDataError(
                f"AbsStructure.tranches[{tranche.name}].coupon: no {index.value} fixing on or "
                f"before {first} in the snapshot (the period starting then is already fixed)"
            )
        out[past] = values[at]
    later = ~past
    if later.any():
        out[later] = curve.forward_rate(starts[later], ends[later], day_count=tranche.day_count)
    return out


# -- the result -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class WaterfallResult:
    """Everything a waterfall run produced, as arrays, with DataFrame views.

    Tranche arrays are ``(tranches, paths, periods)`` in the order of
    ``structure.tranches`` (equity rows: only ``residual`` and ``balance``); fee arrays
    ``(fees, paths, periods)``; account arrays ``(accounts, paths, periods)``; trigger
    arrays ``(triggers, paths, periods)``; deal arrays ``(paths, periods)``. Money in the
    deal currency, unrounded; balances are at the period end.
    """

    structure: AbsStructure
    pool: PoolFlows
    coupon_rate: FloatArray
    """All-in coupon rate per tranche and period, ``(tranches, periods)``."""
    balance_start: FloatArray
    interest_due: FloatArray
    """Interest accrued in the period (excluding arrears)."""
    interest: FloatArray
    principal: FloatArray
    residual: FloatArray
    writedown: FloatArray
    interest_shortfall: FloatArray
    """Interest unpaid at the period end (carried or lost)."""
    interest_lost: FloatArray
    balance: FloatArray
    fees_paid: FloatArray
    fees_unpaid: FloatArray
    account_balance: FloatArray
    account_draws: FloatArray
    """Cash taken out of an account: releases above target and draws by steps."""
    account_deposits: FloatArray
    trigger_value: FloatArray
    trigger_breached: FloatArray
    """1.0 where the test failed this period."""
    trigger_active: FloatArray
    """1.0 where the trigger is in effect after this period (for the next one)."""
    collections: FloatArray
    """Pool collections counted by the deal (zero after a clean-up call)."""
    call_proceeds: FloatArray
    reinvestment: FloatArray
    deficiency: FloatArray
    """Notes in excess of the pool balance after the period's payments (the PDL)."""
    event_of_default: BoolArray
    """Whether the post-default waterfall applied in the period."""
    called: BoolArray
    """Whether the clean-up call was exercised on the period's payment date."""

    # -- shape and lookup -------------------------------------------------------------

    @property
    def n_paths(self) -> int:
        """Number of paths."""
        return self.pool.n_paths

    @property
    def n_periods(self) -> int:
        """Number of periods."""
        return self.pool.n_periods

    @property
    def tranche_names(self) -> tuple[str, ...]:
        """Tranche names, in the order of the arrays' first axis."""
        return self.structure.tranche_names

    @property
    def payment_dates(self) -> DateArray:
        """Payment dates, ``datetime64[D]``."""
        return self.pool.payment_dates

    @property
    def period_starts(self) -> DateArray:
        """Accrual start of each period, ``datetime64[D]``."""
        return self.pool.period_starts

    def index(self, name: str) -> int:
        """Position of tranche ``name`` on the tranche axis."""
        try:
            return self.tranche_names.index(name)
        except ValueError:
            raise KeyError(
                f"no tranche {name!r}; tranches: {', '.join(self.tranche_names)}"
            ) from None

    def tranche_cash(self, name: str) -> FloatArray:
        """Cash paid to a tranche each period: interest + principal + residual; ``(P, T)``."""
        j = self.index(name)
        out: FloatArray = self.interest[j] + self.principal[j] + self.residual[j]
        return out

    def tranche_loss(self, name: str) -> FloatArray:
        """Principal written down plus interest lost, per path over the life; ``(P,)``."""
        j = self.index(name)
        out: FloatArray = self.writedown[j].sum(axis=1) + self.interest_lost[j].sum(axis=1)
        return out

    # -- frames -----------------------------------------------------------------------

    def _pick(self, arr: FloatArray | BoolArray, path: int | None) -> FloatArray:
        """``(P, T)`` -> ``(T,)``: one path, or the mean over paths."""
        if path is None:
            values = np.asarray(arr, dtype=np.float64)
            if not bool(np.isnan(values).any()):
                mean: FloatArray = values.mean(axis=0)
                return mean
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                out: FloatArray = np.nanmean(values, axis=0)
            return out
        if not 0 <= path < self.n_paths:
            raise ValidationError("path", f"must be in 0..{self.n_paths - 1}", path)
        return np.asarray(arr[path], dtype=np.float64)

    def _frame(self, columns: dict[str, FloatArray]) -> pd.DataFrame:
        frame = pd.DataFrame(columns, index=pd.DatetimeIndex(self.payment_dates, name="date"))
        frame.insert(0, "period_start", pd.DatetimeIndex(self.period_starts))
        return frame

    def tranche_frame(self, name: str, path: int | None = None) -> pd.DataFrame:
        """One tranche by payment date: balances, interest, principal, losses, rate.

        ``path=None`` averages over paths; an int picks one path. Money in the deal
        currency; ``coupon_rate`` a decimal.
        """
        j = self.index(name)
        return self._frame(
            {
                "balance_start": self._pick(self.balance_start[j], path),
                "coupon_rate": self.coupon_rate[j],
                "interest_due": self._pick(self.interest_due[j], path),
                "interest": self._pick(self.interest[j], path),
                "principal": self._pick(self.principal[j], path),
                "residual": self._pick(self.residual[j], path),
                "writedown": self._pick(self.writedown[j], path),
                "interest_shortfall": self._pick(self.interest_shortfall[j], path),
                "interest_lost": self._pick(self.interest_lost[j], path),
                "balance": self._pick(self.balance[j], path),
                "cash": self._pick(self.tranche_cash(name), path),
            }
        )

    def accounts_frame(self, path: int | None = None) -> pd.DataFrame:
        """Each account's end balance, draws and deposits, and each fee paid and unpaid."""
        cols: dict[str, FloatArray] = {}
        for a, acc in enumerate(self.structure.accounts):
            cols[f"{acc.name}_balance"] = self._pick(self.account_balance[a], path)
            cols[f"{acc.name}_draws"] = self._pick(self.account_draws[a], path)
            cols[f"{acc.name}_deposits"] = self._pick(self.account_deposits[a], path)
        for f, fee in enumerate(self.structure.fees):
            cols[f"{fee.name}_fee_paid"] = self._pick(self.fees_paid[f], path)
            cols[f"{fee.name}_fee_unpaid"] = self._pick(self.fees_unpaid[f], path)
        return self._frame(cols)

    def triggers_frame(self, path: int | None = None) -> pd.DataFrame:
        """Each trigger's test value, breach and state, plus default and call flags.

        Averaged over paths, the flags are the share of paths where they hold.
        """
        cols: dict[str, FloatArray] = {}
        for k, trig in enumerate(self.structure.triggers):
            cols[f"{trig.name}_value"] = self._pick(self.trigger_value[k], path)
            cols[f"{trig.name}_breached"] = self._pick(self.trigger_breached[k], path)
            cols[f"{trig.name}_active"] = self._pick(self.trigger_active[k], path)
        cols["event_of_default"] = self._pick(self.event_of_default, path)
        cols["called"] = self._pick(self.called, path)
        return self._frame(cols)

    def pool_frame(self, path: int | None = None) -> pd.DataFrame:
        """The pool's flows by payment date (as given, before the call cuts them off)."""
        p = self.pool
        return self._frame(
            {
                "interest_collections": self._pick(p.interest_collections, path),
                "principal_collections": self._pick(p.principal_collections, path),
                "recoveries": self._pick(p.recoveries, path),
                "remarketing_proceeds": self._pick(p.remarketing_proceeds, path),
                "defaulted_balance": self._pick(p.defaulted_balance, path),
                "net_loss": self._pick(p.net_loss, path),
                "pool_balance": self._pick(p.pool_balance, path),
                "collections_counted": self._pick(self.collections, path),
                "call_proceeds": self._pick(self.call_proceeds, path),
            }
        )

    def summary(self, path: int | None = None) -> pd.DataFrame:
        """The deal by payment date: cash in, cash out by destination, balances.

        ``cash_in`` (collections + call proceeds + account draws) equals ``cash_out``
        (fees + interest + principal + residual + reinvestment + deposits) in every row.
        """
        notes = [j for j, t in enumerate(self.structure.tranches) if t.is_note]
        cash_in = self.collections + self.call_proceeds + self.account_draws.sum(axis=0)
        fees = self.fees_paid.sum(axis=0)
        interest = self.interest[notes].sum(axis=0)
        principal = self.principal[notes].sum(axis=0)
        residual = self.residual.sum(axis=0)
        deposits = self.account_deposits.sum(axis=0)
        out = fees + interest + principal + residual + self.reinvestment + deposits
        return self._frame(
            {
                "collections": self._pick(self.collections, path),
                "call_proceeds": self._pick(self.call_proceeds, path),
                "account_draws": self._pick(self.account_draws.sum(axis=0), path),
                "cash_in": self._pick(cash_in, path),
                "fees": self._pick(fees, path),
                "note_interest": self._pick(interest, path),
                "note_principal": self._pick(principal, path),
                "residual": self._pick(residual, path),
                "reinvestment": self._pick(self.reinvestment, path),
                "account_deposits": self._pick(deposits, path),
                "cash_out": self._pick(out, path),
                "note_balance": self._pick(self.balance[notes].sum(axis=0), path),
                "pool_balance": self._pick(self.pool.pool_balance, path),
                "account_balance": self._pick(self.account_balance.sum(axis=0), path),
                "deficiency": self._pick(self.deficiency, path),
                "writedown": self._pick(self.writedown.sum(axis=0), path),
            }
        )

    def tranche_summary(self) -> pd.DataFrame:
        """One row per tranche: original balance and mean totals over the life.

        ``expected_loss`` is the mean of (writedown + interest lost) / original balance.
        """
        rows = []
        for j, tr in enumerate(self.structure.tranches):
            loss = self.tranche_loss(tr.name)
            rows.append(
                {
                    "tranche": tr.name,
                    "seniority": tr.seniority,
                    "original_balance": tr.balance,
                    "interest": float(self.interest[j].sum(axis=1).mean()),
                    "principal": float(self.principal[j].sum(axis=1).mean()),
                    "residual": float(self.residual[j].sum(axis=1).mean()),
                    "writedown": float(self.writedown[j].sum(axis=1).mean()),
                    "interest_lost": float(self.interest_lost[j].sum(axis=1).mean()),
                    "expected_loss": float(loss.mean() / tr.balance) if tr.balance else 0.0,
                    "final_balance": float(self.balance[j, :, -1].mean()),
                }
            )
        return pd.DataFrame(rows).set_index("tranche")


# -- the runner -----------------------------------------------------------------------------


class _State:
    """Mutable per-path state of one run (private to :func:`run_waterfall`)."""

    def __init__(self, deal: AbsStructure, n_paths: int) -> None:
        p = n_paths
        self.names = {t.name: j for j, t in enumerate(deal.tranches)}
        self.fee_ix = {f.name: i for i, f in enumerate(deal.fees)}
        self.acc_ix = {a.name: i for i, a in enumerate(deal.accounts)}
        self.seniority = np.array([t.seniority for t in deal.tranches])
        self.is_note = np.array([t.is_note for t in deal.tranches])
        self.bal = np.tile(
            np.array([t.balance if t.is_note else 0.0 for t in deal.tranches])[:, None], (1, p)
        )
        self.arrears = np.zeros_like(self.bal)
        self.fee_arrears = np.zeros((len(deal.fees), p))
        self.acc = np.tile(
            np.array([a.initial_balance for a in deal.accounts], dtype=np.float64)[:, None], (1, p)
        )
        self.active = np.zeros((len(deal.triggers), p), dtype=bool)
        self.passes = np.zeros((len(deal.triggers), p), dtype=np.int64)
        self.eod = np.zeros(p, dtype=bool)
        self.done = np.zeros(p, dtype=bool)
        self.rev_ended = np.zeros(p, dtype=bool)
        self.cum_loss = np.zeros(p)
        # per-period working arrays, reset by run_waterfall each period
        self.int_due = np.zeros_like(self.bal)
        self.fee_due = np.zeros_like(self.fee_arrears)
        self.target = np.zeros_like(self.acc)
        self.pda = np.zeros(p)
        self.sequential = np.zeros(p, dtype=bool)
        self.trap_to = np.full(p, -1, dtype=np.int64)
        self.int_paid = np.zeros_like(self.bal)
        self.prin_paid = np.zeros_like(self.bal)
        self.resid_paid = np.zeros_like(self.bal)
        self.fees_paid = np.zeros_like(self.fee_arrears)
        self.draws = np.zeros_like(self.acc)
        self.deposits = np.zeros_like(self.acc)


def _draw(st: _State, accounts: tuple[str, ...], due: FloatArray, mask: BoolArray) -> FloatArray:
    """Draw up to ``due`` (per path) from ``accounts`` in order; returns the amount drawn."""
    got = np.zeros_like(due)
    for name in accounts:
        a = st.acc_ix[name]
        take = np.where(mask, np.minimum(st.acc[a], due - got), 0.0)
        take = np.maximum(take, 0.0)
        st.acc[a] -= take
        st.draws[a] += take
        got += take
    return got


def _pay_pro_rata(due: FloatArray, available: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Pay ``due`` ``(n, P)`` pro rata from ``available`` ``(P,)``: (paid per row, total)."""
    total_due = due.sum(axis=0)
    paid_total = np.minimum(available, total_due)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total_due > 0.0, paid_total / total_due, 0.0)
    paid = due * share
    return paid, paid.sum(axis=0)


def _run_steps(
    st: _State,
    steps: tuple[WaterfallStep, ...],
    funds: FloatArray,
    mask: BoolArray,
    deficiency_only: FloatArray | None,
) -> FloatArray:
    """Run one priority list on ``funds`` (paths where ``mask``); returns the funds left.

    ``deficiency_only``: cap on what ``pay_principal`` may pay (the interest waterfall
    pays only the principal deficiency).
    """
    funds = np.where(mask, funds, 0.0)
    cap = None if deficiency_only is None else deficiency_only.copy()
    for step in steps:
        funds = np.maximum(funds, 0.0)  # rounding in pro rata splits must not go negative
        if isinstance(step, PayFee):
            f = st.fee_ix[step.fee]
            pay = np.minimum(funds, st.fee_due[f])
            funds = funds - pay
            st.fee_due[f] -= pay
            drawn = _draw(st, step.draw_from, st.fee_due[f], mask)
            st.fee_due[f] -= drawn
            st.fees_paid[f] += pay + drawn
        elif isinstance(step, PayInterest):
            rows = [st.names[n] for n in step.tranches]
            paid, total = _pay_pro_rata(st.int_due[rows], funds)
            funds = funds - total
            st.int_due[rows] -= paid
            st.int_paid[rows] += paid
            if step.draw_from:
                due = st.int_due[rows]
                drawn = _draw(st, step.draw_from, due.sum(axis=0), mask)
                paid, _ = _pay_pro_rata(due, drawn)
                st.int_due[rows] -= paid
                st.int_paid[rows] += paid
        elif isinstance(step, PayPrincipal):
            rows = [st.names[n] for n in step.tranches]
            bal = st.bal[rows]
            limit = np.minimum(funds, np.minimum(st.pda, bal.sum(axis=0)))
            if cap is not None:
                limit = np.minimum(limit, cap)
            limit = np.maximum(limit, 0.0)
            paid = _principal_split(st, rows, bal, limit, step.mode)
            amount = paid.sum(axis=0)
            st.bal[rows] -= paid
            st.prin_paid[rows] += paid
            funds = funds - amount
            st.pda -= amount
            if cap is not None:
                cap -= amount
        elif isinstance(step, TopUpReserve):
            a = st.acc_ix[step.account]
            dep = np.minimum(funds, np.maximum(st.target[a] - st.acc[a], 0.0))
            st.acc[a] += dep
            st.deposits[a] += dep
            funds = funds - dep
        else:
            assert isinstance(step, PayResidual)
            j = st.names[step.tranche]
            trapped = st.trap_to >= 0
            for a in np.unique(st.trap_to[trapped]).tolist():
                into = np.where(st.trap_to == a, funds, 0.0)
                st.acc[a] += into
                st.deposits[a] += into
            st.resid_paid[j] += np.where(trapped, 0.0, funds)
            funds = np.zeros_like(funds)
    return funds


def _principal_split(
    st: _State, rows: list[int], bal: FloatArray, amount: FloatArray, mode: str
) -> FloatArray:
    """Split ``amount`` ``(P,)`` over ``rows``: sequential (listed order; by seniority when a
    trigger forces it) or pro rata to balances."""
    order = sorted(range(len(rows)), key=lambda i: st.seniority[rows[i]])
    seq = np.zeros_like(bal)
    left = amount.copy()
    for i in range(len(rows)) if mode == "sequential" else order:
        seq[i] = np.minimum(bal[i], left)
        left = left - seq[i]
    total = bal.sum(axis=0)
    full = amount >= total  # everything repaid: exactly the balances, no rounding residue
    if mode == "sequential":
        seq_out: FloatArray = np.where(full, bal, seq)
        return seq_out
    with np.errstate(divide="ignore", invalid="ignore"):
        pro = np.where(amount >= total, bal, np.where(total > 0.0, bal * (amount / total), 0.0))
    out: FloatArray = np.where(full, bal, np.where(st.sequential, seq, pro))
    return out


def _year_fractions(deal: AbsStructure, starts: DateArray, ends: DateArray) -> FloatArray:
    s = starts.astype(np.int64)
    e = ends.astype(np.int64)
    return np.array(
        [year_fraction_days(s, e, t.day_count) for t in deal.tranches]
        + [year_fraction_days(s, e, f.day_count) for f in deal.fees]
    ).reshape(len(deal.tranches) + len(deal.fees), s.size)


def run_waterfall(
    structure: AbsStructure,
    pool_flows: PoolFlows,
    curves: CurveInput = None,
    fixings: Sequence[Fixing] | None = None,
) -> WaterfallResult:
    """Run the deal's waterfall over every path of ``pool_flows``; see the module docstring.

    ``curves`` projects floating coupons, ``fixings`` set those already fixed
    (:func:`tranche_rates`). Raises
    :class:`ConservationError` if a period's cash does not reconcile to a cent on a path,
    :class:`~computefin.errors.MarketDataError` if a floating index has no curve, and
    :class:`~computefin.errors.ValidationError` if the pool's currency is not the deal's.

    >>> from computefin.products.abs.structure import AbsStructure, DEMO_DEAL_PATH
    >>> from computefin.pricing.curves import flat_curve
    >>> res = run_waterfall(AbsStructure.from_yaml(DEMO_DEAL_PATH), demo_pool_flows(),
    ...                     curves=flat_curve("2027-01-01", 0.018))
    >>> frame = res.tranche_frame("A")
    >>> round(float(frame["balance"].iloc[0]) / 1e6, 3), bool(res.called.any())
    (787.785, True)
    """
    deal = structure
    pool = pool_flows
    if str(pool.currency).upper() != deal.currency.value:
        raise ValidationError(
            "pool_flows.currency", f"the deal is in {deal.currency.value}", pool.currency
        )
    n_tr, n_fee, n_acc, n_trig = (
        len(deal.tranches),
        len(deal.fees),
        len(deal.accounts),
        len(deal.triggers),
    )
    p, n_t = pool.n_paths, pool.n_periods
    rates = tranche_rates(deal, pool.period_starts, pool.payment_dates, curves, fixings)
    yf = _year_fractions(deal, pool.period_starts, pool.payment_dates)
    tau_tr, tau_fee = yf[:n_tr], yf[n_tr:]
    st = _State(deal, p)
    notes = st.is_note

    def cube(n: int) -> FloatArray:
        return np.zeros((n, p, n_t))

    out = {
        name: cube(n_tr)
        for name in (
            "balance_start",
            "interest_due",
            "interest",
            "principal",
            "residual",
            "writedown",
            "interest_shortfall",
            "interest_lost",
            "balance",
        )
    }
    fees_paid, fees_unpaid = cube(n_fee), cube(n_fee)
    acc_bal, acc_draws, acc_dep = cube(n_acc), cube(n_acc), cube(n_acc)
    trig_val, trig_breach, trig_active = cube(n_trig), cube(n_trig), cube(n_trig)
    collections, proceeds_out, reinvest_out, deficiency_out = (np.zeros((p, n_t)) for _ in range(4))
    eod_out = np.zeros((p, n_t), dtype=bool)
    called_out = np.zeros((p, n_t), dtype=bool)

    orig = float(pool.original_pool_balance)
    call = deal.clean_up_call
    oc_keep = 1.0 - deal.oc_target
    senior_rank = {
        k: (
            notes
            if t.tranche is None
            else notes & (st.seniority <= st.seniority[st.names[t.tranche]])
        )
        for k, t in enumerate(deal.triggers)
    }
    basis = [
        notes if not a.basis else np.isin(np.array(deal.tranche_names), np.array(a.basis))
        for a in deal.accounts
    ]
    revolving_end = None if deal.revolving is None else np.datetime64(deal.revolving.end, "D")

    for t in range(n_t):
        live = ~st.done
        last = t == n_t - 1
        pool_start = np.full(p, orig) if t == 0 else pool.pool_balance[:, t - 1]
        pool_end = pool.pool_balance[:, t]
        ic = np.where(live, pool.interest_collections[:, t], 0.0)
        pool_principal = np.where(
            live,
            pool.principal_collections[:, t]
            + pool.recoveries[:, t]
            + pool.remarketing_proceeds[:, t],
            0.0,
        )
        eod = st.eod & live
        # amounts due
        out["balance_start"][:, :, t] = st.bal
        period_int = st.bal * (rates[:, t] * tau_tr[:, t])[:, None]
        st.int_due = st.arrears + period_int
        for f, fee in enumerate(deal.fees):
            accrued = (
                fee.amount_per_year * tau_fee[f, t]
                if fee.basis == "fixed"
                else fee.rate * pool_start * tau_fee[f, t]
            )
            st.fee_due[f] = st.fee_arrears[f] + np.where(live, accrued, 0.0)
        fee_period = st.fee_due.sum(axis=0) - st.fee_arrears.sum(axis=0)
        # clean-up call: only where the proceeds and all the cash repay every note in full
        call_now = np.zeros(p, dtype=bool)
        if call is not None and not last:
            owed = st.bal[notes].sum(axis=0) + st.int_due[notes].sum(axis=0)
            cash = ic + pool_principal + st.acc.sum(axis=0) + pool_end * call.price
            call_now = (
                live
                & (pool_end > 0.0)
                & (pool_end <= call.pool_share * orig)
                & (cash >= owed + st.fee_due.sum(axis=0))
            )
        proceeds = np.where(call_now, pool_end * call.price if call is not None else 0.0, 0.0)
        final = live & (call_now | last)
        # accounts: release cash above target
        st.draws = np.zeros_like(st.acc)
        st.deposits = np.zeros_like(st.acc)
        trap_active = np.zeros((n_acc, p), dtype=bool)
        st.trap_to = np.full(p, -1, dtype=np.int64)
        for k, trig in enumerate(deal.triggers):
            if trig.effect == "trap_cash" and trig.account is not None:
                a = st.acc_ix[trig.account]
                on = st.active[k] & ~final & ~eod
                trap_active[a] |= on
                st.trap_to = np.where(on & (st.trap_to < 0), a, st.trap_to)
        for a, acc in enumerate(deal.accounts):
            if acc.kind == "cash_trap":
                target = np.where(trap_active[a], st.acc[a], 0.0)
            else:
                base = st.bal[basis[a]].sum(axis=0)
                target = np.minimum(np.maximum(acc.target_share * base, acc.floor), base)
                target = np.where(final | eod, 0.0, target)
            st.target[a] = target
        release = np.maximum(st.acc - st.target, 0.0)
        release = np.where(live, release, 0.0)
        st.acc -= release
        st.draws += release
        interest_funds = ic + release.sum(axis=0)
        # revolving period
        revolving = np.zeros(p, dtype=bool)
        if revolving_end is not None and pool.payment_dates[t] < revolving_end:
            revolving = live & ~st.rev_ended & ~eod & ~final
        reinvest = np.where(revolving, pool_principal, 0.0)
        principal_funds = pool_principal - reinvest + proceeds
        # principal distribution amount and trigger effects
        notes_total = st.bal[notes].sum(axis=0)
        st.pda = np.where(  # accelerated: every note is due (limited by balances only)
            final | eod, np.inf, np.maximum(notes_total - pool_end * oc_keep, 0.0)
        )
        st.pda = np.where(live, st.pda, 0.0)
        st.sequential = np.zeros(p, dtype=bool)
        for k, trig in enumerate(deal.triggers):
            if trig.effect == "switch_to_sequential":
                st.sequential |= st.active[k]
        st.sequential |= eod | final
        st.int_paid = np.zeros_like(st.bal)
        st.prin_paid = np.zeros_like(st.bal)
        st.resid_paid = np.zeros_like(st.bal)
        st.fees_paid = np.zeros_like(st.fee_arrears)
        # the priorities of payment
        normal = live & ~eod
        deficiency_cap = np.where(final | eod, np.inf, np.maximum(st.pda - principal_funds, 0.0))
        left = _run_steps(st, deal.waterfall.interest, interest_funds, normal, deficiency_cap)
        left = _run_steps(st, deal.waterfall.principal, principal_funds + left, normal, None)
        if deal.waterfall.post_default:
            left = left + _run_steps(
                st,
                deal.waterfall.post_default,
                interest_funds + principal_funds,
                eod,
                None,
            )
        # interest shortfalls and fee arrears
        remaining = np.where(live, st.int_due, 0.0)
        defer = np.array([t_.defer_interest for t_ in deal.tranches])[:, None]
        lost = np.where(defer & ~final, 0.0, remaining)
        st.arrears = remaining - lost
        st.fee_arrears = np.where(final, 0.0, st.fee_due)
        # losses
        notes_after = st.bal[notes].sum(axis=0)
        excess = np.maximum(notes_after - np.where(final, 0.0, pool_end), 0.0)
        excess = np.where(live, excess, 0.0)
        per_period = deal.loss_allocation == "writedown"
        to_write = excess if per_period else np.where(final, excess, 0.0)
        wd = np.zeros_like(st.bal)
        for j in sorted(np.flatnonzero(notes).tolist(), key=lambda i: -st.seniority[i]):
            wd[j] = np.minimum(st.bal[j], to_write)
            to_write = to_write - wd[j]
        st.bal -= wd
        deficiency = np.maximum(st.bal[notes].sum(axis=0) - np.where(final, 0.0, pool_end), 0.0)
        # cash conservation
        cash_in = ic + pool_principal + proceeds + st.draws.sum(axis=0)
        cash_out = (
            st.fees_paid.sum(axis=0)
            + st.int_paid.sum(axis=0)
            + st.prin_paid.sum(axis=0)
            + st.resid_paid.sum(axis=0)
            + reinvest
            + st.deposits.sum(axis=0)
        )
        _check_conservation(cash_in, cash_out, left, t, pool.payment_dates[t])
        # triggers, tested after the payments
        st.cum_loss += np.where(live, pool.net_loss[:, t], 0.0)
        coll = ic + pool_principal
        test = live & ~final
        for k, trig in enumerate(deal.triggers):
            value, breach = _trigger_test(
                trig.kind,
                trig.threshold,
                pool_end=pool_end,
                notes_through=st.bal[senior_rank[k]].sum(axis=0),
                interest_collections=ic,
                collections=coll,
                fee_period=fee_period,
                interest_through=period_int[senior_rank[k]].sum(axis=0),
                scheduled_principal=np.where(live, pool.scheduled_principal[:, t], 0.0),
                cnl=st.cum_loss / orig,
            )
            breach &= test
            passed = test & ~breach
            st.passes[k] = np.where(breach, 0, np.where(passed, st.passes[k] + 1, st.passes[k]))
            cured = (
                passed & (st.passes[k] >= trig.cure_periods)
                if trig.cure_periods is not None
                else np.zeros(p, dtype=bool)
            )
            st.active[k] = (st.active[k] | breach) & ~cured
            st.active[k] &= ~final
            trig_val[k, :, t] = np.where(test, value, np.nan)
            trig_breach[k, :, t] = breach
            trig_active[k, :, t] = st.active[k]
            if trig.effect == "event_of_default":
                st.eod |= st.active[k]
            elif trig.effect == "end_revolving":
                st.rev_ended |= st.active[k]
        # record
        out["interest_due"][:, :, t] = np.where(live, period_int, 0.0)
        out["interest"][:, :, t] = st.int_paid
        out["principal"][:, :, t] = st.prin_paid
        out["residual"][:, :, t] = st.resid_paid
        out["writedown"][:, :, t] = wd
        out["interest_shortfall"][:, :, t] = remaining
        out["interest_lost"][:, :, t] = lost
        equity_bal = np.where(
            live & ~final, np.maximum(pool_end - st.bal[notes].sum(axis=0), 0.0), 0.0
        )
        out["balance"][:, :, t] = np.where(notes[:, None], st.bal, equity_bal)
        fees_paid[:, :, t] = st.fees_paid
        fees_unpaid[:, :, t] = np.where(live, st.fee_due, 0.0)
        acc_bal[:, :, t] = st.acc
        acc_draws[:, :, t] = st.draws
        acc_dep[:, :, t] = st.deposits
        collections[:, t] = ic + pool_principal
        proceeds_out[:, t] = proceeds
        reinvest_out[:, t] = reinvest
        deficiency_out[:, t] = np.where(live, deficiency, 0.0)
        eod_out[:, t] = eod
        called_out[:, t] = call_now
        st.done |= final
    return WaterfallResult(
        structure=deal,
        pool=pool,
        coupon_rate=rates,
        balance_start=out["balance_start"],
        interest_due=out["interest_due"],
        interest=out["interest"],
        principal=out["principal"],
        residual=out["residual"],
        writedown=out["writedown"],
        interest_shortfall=out["interest_shortfall"],
        interest_lost=out["interest_lost"],
        balance=out["balance"],
        fees_paid=fees_paid,
        fees_unpaid=fees_unpaid,
        account_balance=acc_bal,
        account_draws=acc_draws,
        account_deposits=acc_dep,
        trigger_value=trig_val,
        trigger_breached=trig_breach,
        trigger_active=trig_active,
        collections=collections,
        call_proceeds=proceeds_out,
        reinvestment=reinvest_out,
        deficiency=deficiency_out,
        event_of_default=eod_out,
        called=called_out,
    )


def _check_conservation(
    cash_in: FloatArray, cash_out: FloatArray, left: FloatArray, t: int, date: Any
) -> None:
    gap = np.abs(cash_in - cash_out)
    worst = int(np.argmax(gap)) if gap.size else 0
    if gap.size and float(gap[worst]) > CENT:
        raise ConservationError(
            f"cash not conserved in period {t} ({date}), path {worst}: in "
            f"{float(cash_in[worst]):.6f}, out {float(cash_out[worst]):.6f}, gap "
            f"{float(cash_in[worst] - cash_out[worst]):.6f}"
        )
    if left.size and float(np.abs(left).max()) > CENT:
        bad = int(np.argmax(np.abs(left)))
        raise ConservationError(
            f"cash left undistributed in period {t} ({date}), path {bad}: {float(left[bad]):.6f}"
        )


def _trigger_test(
    kind: str,
    threshold: float,
    *,
    pool_end: FloatArray,
    notes_through: FloatArray,
    interest_collections: FloatArray,
    collections: FloatArray,
    fee_period: FloatArray,
    interest_through: FloatArray,
    scheduled_principal: FloatArray,
    cnl: FloatArray,
) -> tuple[FloatArray, BoolArray]:
    """``(value, breached)`` of one test on every path (a zero denominator passes)."""
    if kind == "cnl":
        return cnl, cnl > threshold
    if kind == "oc":
        num, den = pool_end, notes_through
    elif kind == "ic":
        num, den = interest_collections - fee_period, interest_through
    else:
        num, den = collections - fee_period, interest_through + scheduled_principal
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(den > 0.0, num / den, math.inf)
    return value, value < threshold


# -- a demo pool for examples ---------------------------------------------------------------


def demo_pool_flows(
    *,
    n_periods: int = 60,
    balance: float = 1_000_000_000.0,
    annual_rate: float = 0.08,
    cdr: float = 0.02,
    recovery: float = 0.4,
    start: str = "2027-01-01",
) -> PoolFlows:
    """A one-path level-pay lease pool (monthly), for examples and the shipped demo deal.

    Pays ``balance`` down with a level monthly payment at ``annual_rate / 12``; each
    month a share ``MDR = 1 - (1 - cdr)^(1/12)`` of the surviving balance defaults at
    the period start and recovers ``recovery`` of it in the same period. The pool side
    (``computefin.products.abs.pool``) builds real pools; this is a stand-in.

    >>> flows = demo_pool_flows(n_periods=12, cdr=0.0)
    >>> round(float(flows.pool_balance[0, -1]), 6), round(float(flows.principal_collections.sum()))
    (0.0, 1000000000)
    """
    r = annual_rate / 12.0
    mdr = 1.0 - (1.0 - cdr) ** (1.0 / 12.0)
    starts = np.datetime64(start, "M") + np.arange(n_periods)
    period_starts = starts.astype("datetime64[D]")
    payment_dates = (starts + 1).astype("datetime64[D]")
    bal = balance
    rows: dict[str, list[float]] = {
        k: [] for k in ("int", "prin", "rec", "dflt", "loss", "bal", "rent")
    }
    for k in range(n_periods):
        default = bal * mdr
        surviving = bal - default
        left = n_periods - k
        payment = surviving * r / (1.0 - (1.0 + r) ** -left) if r > 0 else surviving / left
        interest = surviving * r
        principal = payment - interest
        bal = surviving - principal
        rows["int"].append(interest)
        rows["prin"].append(principal)
        rows["rec"].append(default * recovery)
        rows["dflt"].append(default)
        rows["loss"].append(default * (1.0 - recovery))
        rows["bal"].append(max(bal, 0.0))
        rows["rent"].append(payment * (left - 1))
    z = np.zeros((1, n_periods))
    return PoolFlows(
        currency="CNY",
        period_starts=period_starts,
        payment_dates=payment_dates,
        original_pool_balance=balance,
        interest_collections=np.array([rows["int"]]),
        principal_collections=np.array([rows["prin"]]),
        recoveries=np.array([rows["rec"]]),
        remarketing_proceeds=z,
        defaulted_balance=np.array([rows["dflt"]]),
        net_loss=np.array([rows["loss"]]),
        pool_balance=np.array([rows["bal"]]),
        contractual_rent_remaining=np.array([rows["rent"]]),
    )
