"""Contractual schedules of a pool's assets on its period grid: ``(n_assets, n_periods)``.

Built once per pool and grid (a Python loop over leases to lay out their rent dates:
setup, not the hot path); the projection kernel then works on arrays only. Conventions
are those of :mod:`computefin.products.abs.pool`.

>>> from computefin.products.abs.pool import demo_pool
>>> pool = demo_pool()
>>> s = build_schedule(pool, pool.projection_grid())
>>> s.cash.shape[0] == len(pool.asset_ids), bool((s.cash >= 0).all())
(True, True)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from computefin._typing import BoolArray, FloatArray, IntArray
from computefin.domain.market import MarketSnapshot
from computefin.errors import ValidationError
from computefin.risk.grid import PeriodGrid, add_months

if TYPE_CHECKING:
    import pandas as pd

    from computefin.products.abs.pool import GpuLease, Pool

__all__ = ["Schedule", "build_schedule", "lease_rent_table", "schedule_frame"]

KINDS = ("lease", "loan", "receivable")


@dataclass(frozen=True, eq=False)
class Schedule:
    """Per-asset contractual arrays ``(A, T)`` in the pool currency, plus lease details.

    ``cash = interest + principal``; ``balance_end = balance_start - principal``;
    ``balance_start[:, 0] = opening``; ``due_after[a, k]`` contractual cash after period
    ``k``. Leases: ``renewal_cash[a, s, k]`` rent of renewal ``s`` (``s >= 1``; row 0
    unused); ``segment_end[a, s]`` the period containing the end of segment ``s`` (0 is
    the original term; ``T`` when after the grid, ``-1`` when the lease has no such
    segment); ``segment[a, k]`` the segment in service in period ``k`` (``-1`` none);
    ``renewal_rent[a, s]`` rent per period of renewal ``s``.
    """

    ids: tuple[str, ...]
    kinds: tuple[str, ...]
    obligors: tuple[str, ...]
    grid: PeriodGrid
    cash: FloatArray
    interest: FloatArray
    principal: FloatArray
    balance_start: FloatArray
    balance_end: FloatArray
    due_after: FloatArray
    opening: FloatArray
    active: BoolArray
    is_lease: BoolArray
    accelerator: tuple[str, ...]
    gpus: FloatArray
    deposit: FloatArray
    hours_per_rent_period: FloatArray
    renewal_cash: FloatArray
    renewal_rent: FloatArray
    segment_end: IntArray
    segment: IntArray

    @property
    def n_assets(self) -> int:
        """Number of assets."""
        return len(self.ids)

    @property
    def n_periods(self) -> int:
        """Number of pool periods."""
        return self.grid.n_periods


def _period_of(grid: PeriodGrid, dates: list[dt.date]) -> IntArray:
    """Pool period of each date (``start < d <= end``); -1 on or before the cut-off."""
    days = np.array(dates, dtype="datetime64[D]")
    k = np.searchsorted(grid.end_dates, days, side="left").astype(np.int64)
    out: IntArray = np.where(days <= grid.start_dates[0], -1, k)
    return out


def lease_rent_table(
    lease: GpuLease, rate: float
) -> tuple[list[dt.date], FloatArray, FloatArray, FloatArray]:
    """Rent dates, rent, and the discounted balance before and after each payment.

    ``B_after[j] = (rent_{j+1} + B_after[j+1]) / (1 + i_{j+1})``, ``i = rate / f`` per
    period (0 for an advance payment on the start date), ``B_before[j] = rent_j +
    B_after[j]`` discounted one period (the balance just after the previous payment).

    >>> import datetime as dt
    >>> from computefin.products.abs.pool import GpuLease
    >>> lease = GpuLease(id="l", lessee_counterparty_id="x", accelerator_id="nvidia-h20",
    ...     gpus=8, currency="CNY", rent_per_period=100.0, start=dt.date(2027, 1, 31),
    ...     term_months=2)
    >>> dates, rent, before, after = lease_rent_table(lease, 0.12)
    >>> dates, round(float(before[0]), 6), float(after[-1])  # 100/1.01 + 100/1.01^2
    ([datetime.date(2027, 2, 28), datetime.date(2027, 3, 31)], 197.039506, 0.0)
    """
    step = lease.rent_frequency.months
    n = lease.term_months // step
    offset = 1 if lease.payment_timing == "arrears" else 0
    dates = [add_months(lease.start, (j + offset) * step) for j in range(n)]
    rent = np.array([lease.rent_on(d) for d in dates], dtype=np.float64)
    per = rate / lease.rent_frequency.periods_per_year
    growth = np.full(n, 1.0 + per)
    if offset == 0:
        growth[0] = 1.0  # paid on the start date: no time, no interest
    after = np.zeros(n)
    before = np.zeros(n)
    following = 0.0
    for j in range(n - 1, -1, -1):
        after[j] = following
        before[j] = (rent[j] + following) / growth[j]
        following = before[j]
    return dates, rent, before, after


def _grid_error(grid: PeriodGrid, what: str, date: dt.date) -> ValidationError:
    end = grid.end_dates[-1].item().isoformat()
    return ValidationError(
        "scenarios.grid",
        f"ends {end}, before {what} due {date.isoformat()}; the grid must cover every "
        "contractual payment (Pool.projection_grid gives one that does)",
    )


def build_schedule(pool: Pool, grid: PeriodGrid, market: MarketSnapshot | None = None) -> Schedule:
    """Lay every asset's contractual flows on ``grid`` (which must start at the cut-off).

    Renewal rent after the grid is dropped (projection horizon); contractual cash after
    it is an error.
    """
    if grid.start_dates[0] != np.datetime64(pool.cut_off, "D"):
        raise ValidationError(
            "scenarios.grid",
            f"must start on the pool cut-off {pool.cut_off.isoformat()}",
            str(grid.start_dates[0]),
        )
    n_l, n_n, n_r = len(pool.leases), len(pool.loans), len(pool.receivables)
    a_total, t_total = n_l + n_n + n_r, grid.n_periods
    n_seg = 1 + max((len(x.renewal_options) for x in pool.leases), default=0)
    cash = np.zeros((a_total, t_total))
    principal = np.zeros((a_total, t_total))
    balance_end = np.zeros((a_total, t_total))
    opening = np.zeros(a_total)
    renewal_cash = np.zeros((a_total, n_seg, t_total))
    renewal_rent = np.zeros((a_total, n_seg))
    segment_end = np.full((a_total, n_seg), -1, dtype=np.int64)
    last_period = np.full(a_total, -1, dtype=np.int64)
    rate = pool.pool_discount_rate
    ends = grid.end_dates

    for a, lease in enumerate(pool.leases):
        dates, rent, before, after = lease_rent_table(lease, rate)
        k = _period_of(grid, dates)
        if k[-1] >= t_total:
            raise _grid_error(grid, f"lease {lease.id}'s last rent", dates[-1])
        paid = k >= 0
        first = int(np.argmax(paid))
        opening[a] = before[first]
        np.add.at(cash[a], k[paid], rent[paid])
        # balance after the last payment on or before each period end
        day = np.array(dates, dtype="datetime64[D]")
        idx = np.searchsorted(day, ends, side="right") - 1
        balance_end[a] = np.where(idx >= first, after[np.maximum(idx, 0)], opening[a])
        last_period[a] = k[-1]
        months = lease.term_months
        segment_end[a, 0] = min(int(_period_of(grid, [lease.end])[0]), t_total)
        step = lease.rent_frequency.months
        offset = 1 if lease.payment_timing == "arrears" else 0
        for s, option in enumerate(lease.renewal_options, start=1):
            begin = add_months(lease.start, months)
            n = option.term_months // step
            r_dates = [add_months(begin, (j + offset) * step) for j in range(n)]
            rk = _period_of(grid, r_dates)
            inside = (rk >= 0) & (rk < t_total)
            np.add.at(renewal_cash[a, s], rk[inside], option.rent_per_period)
            renewal_rent[a, s] = option.rent_per_period
            months += option.term_months
            end_k = int(_period_of(grid, [add_months(lease.start, months)])[0])
            segment_end[a, s] = min(end_k, t_total)

    if n_n:
        from computefin.products.loan import LoanBook

        flows = LoanBook.from_models([h.loan for h in pool.loans]).cashflows(market)
        cut = np.datetime64(pool.cut_off, "D")
        for i, held in enumerate(pool.loans):
            a = n_l + i
            due = flows.alive[i] & (flows.pay_date[i] > cut)
            pays = flows.pay_date[i][due]
            k = np.searchsorted(ends, pays, side="left")
            if k.size and k[-1] >= t_total:
                raise _grid_error(grid, f"loan {held.id}'s last payment", pays[-1].item())
            share = held.share
            interest = (flows.interest[i] + flows.commitment_fee[i])[due] * share
            paid_principal = flows.principal[i][due] * share
            np.add.at(cash[a], k, interest + paid_principal)
            np.add.at(principal[a], k, paid_principal)
            opening[a] = float(paid_principal.sum())
            balance_end[a] = opening[a] - np.cumsum(principal[a])
            if k.size:
                balance_end[a, k[-1] :] = 0.0  # exactly repaid
                last_period[a] = k[-1]

    for i, rec in enumerate(pool.receivables):
        a = n_l + n_n + i
        due_k = int(_period_of(grid, [rec.due_date])[0])
        if due_k >= t_total:
            raise _grid_error(grid, f"receivable {rec.id}", rec.due_date)
        tau = (rec.due_date - pool.cut_off).days / 365.0
        opening[a] = rec.face_amount / (1.0 + rate * tau)
        cash[a, due_k] = rec.face_amount
        balance_end[a, :due_k] = opening[a]
        last_period[a] = due_k

    balance_start = np.concatenate([opening[:, None], balance_end[:, :-1]], axis=1)
    lease_rows = np.arange(a_total) < n_l
    # leases: principal is the fall in the discounted balance, interest the rest of the rent
    principal[lease_rows] = balance_start[lease_rows] - balance_end[lease_rows]
    principal[n_l + n_n :] = balance_start[n_l + n_n :] - balance_end[n_l + n_n :]
    interest = cash - principal
    due_after = np.cumsum(cash[:, ::-1], axis=1)[:, ::-1] - cash
    periods = np.arange(t_total)
    segment = np.full((a_total, t_total), -1, dtype=np.int64)
    for s in range(n_seg - 1, -1, -1):
        ends_s = segment_end[:, s]
        has = ends_s >= 0
        segment = np.where(has[:, None] & (periods[None, :] <= ends_s[:, None]), s, segment)
    active = np.where(lease_rows[:, None], segment >= 0, periods[None, :] <= last_period[:, None])
    hours = np.array(
        [8760.0 / x.rent_frequency.periods_per_year for x in pool.leases] + [0.0] * (n_n + n_r)
    )
    return Schedule(
        ids=pool.asset_ids,
        kinds=("lease",) * n_l + ("loan",) * n_n + ("receivable",) * n_r,
        obligors=tuple(x.lessee_counterparty_id for x in pool.leases)
        + tuple(h.loan.borrower_counterparty_id for h in pool.loans)
        + tuple(r.obligor_counterparty_id for r in pool.receivables),
        grid=grid,
        cash=cash,
        interest=interest,
        principal=principal,
        balance_start=balance_start,
        balance_end=balance_end,
        due_after=due_after,
        opening=opening,
        active=active,
        is_lease=lease_rows,
        accelerator=tuple(x.accelerator_id for x in pool.leases) + ("",) * (n_n + n_r),
        gpus=np.array([x.gpus for x in pool.leases] + [0] * (n_n + n_r), dtype=np.float64),
        deposit=np.array(
            [x.security_deposit for x in pool.leases] + [0.0] * (n_n + n_r), dtype=np.float64
        ),
        hours_per_rent_period=hours,
        renewal_cash=renewal_cash,
        renewal_rent=renewal_rent,
        segment_end=segment_end,
        segment=segment,
    )


def schedule_frame(s: Schedule) -> pd.DataFrame:
    """The schedule as a tidy frame: one row per asset and period with cash or a balance."""
    import pandas as pd

    rows, cols = np.nonzero((s.cash != 0.0) | (s.balance_start != 0.0))
    return pd.DataFrame(
        {
            "asset_id": np.asarray(s.ids, dtype=object)[rows],
            "kind": np.asarray(s.kinds, dtype=object)[rows],
            "period": cols.astype(np.int64),
            "period_start": s.grid.start_dates[cols],
            "payment_date": s.grid.end_dates[cols],
            "opening_balance": s.balance_start[rows, cols],
            "cash": s.cash[rows, cols],
            "interest": s.interest[rows, cols],
            "principal": s.principal[rows, cols],
            "closing_balance": s.balance_end[rows, cols],
        }
    )
