"""Accounting depreciation of GPU assets, vectorised over many asset groups.

Four methods (:class:`DepreciationMethod`): straight-line, declining-balance (with an
optional switch to straight-line), sum-of-years-digits and units-of-production. A
:class:`DepreciationPolicy` is the cheap, validated specification; the kernels take arrays
of cost, salvage, useful life and in-service dates (one entry per asset group) and loop
only over depreciation years, never over groups.

Conventions (see ``docs/models/depreciation.md``):

* Depreciation year ``k`` of a group runs from the ``k``-th to the ``k+1``-th anniversary
  of its in-service date (month-end dates roll to month ends, as on a
  :class:`~computefin.risk.grid.PeriodGrid`). The annual amounts follow the textbook
  tables; a fractional life (Meta's 5.5 years) ends with a partial year.
* ``accrual="daily"`` (default): within a depreciation year the year's amount accrues pro
  rata by calendar days. ``accrual="monthly"``: it accrues in twelfths, one at each
  monthly anniversary of the in-service date (a bank's monthly close).
* Book value never falls below salvage; it reaches salvage at the end of the useful life.

>>> import datetime as dt
>>> policy = DepreciationPolicy(method="straight_line", useful_life_years=5, salvage_share=0.1)
>>> annual_depreciation(policy, [100_000.0]).round(2).tolist()
[[18000.0, 18000.0, 18000.0, 18000.0, 18000.0]]
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field

from computefin._typing import DateArray, FloatArray, IntArray
from computefin.domain._base import DomainModel
from computefin.domain.assets import ServerGroup
from computefin.errors import ConvergenceError, FieldProblem, ValidationError
from computefin.risk.grid import PeriodGrid

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ACCOUNTING_USEFUL_LIVES",
    "MAX_USEFUL_LIFE_YEARS",
    "DepreciationMethod",
    "DepreciationPolicy",
    "DepreciationSchedule",
    "annual_depreciation",
    "depreciation_schedule",
    "group_depreciation_schedule",
]


MAX_USEFUL_LIFE_YEARS: Final = 30.0
"""Longest useful life accepted, years (the projection grid's limit too)."""

ACCOUNTING_USEFUL_LIVES: Final[Mapping[str, float]] = MappingProxyType(
    {
        "Microsoft": 6.0,
        "Alphabet": 6.0,
        "CoreWeave": 6.0,
        "Meta": 5.5,
        "Amazon": 5.0,
        "Nebius": 4.0,
    }
)
"""Useful lives of servers and GPUs in published accounts, years (company filings as
reported in 2025; Amazon shortened part of its fleet back to 5). Critics argue 2-3 years
of economic life: see :mod:`computefin.risk.residual`."""

_TOL: Final = 1e-9


class DepreciationMethod(StrEnum):
    """Accounting depreciation methods.

    >>> DepreciationMethod("declining_balance") is DepreciationMethod.DECLINING_BALANCE
    True
    """

    STRAIGHT_LINE = "straight_line"
    DECLINING_BALANCE = "declining_balance"
    SUM_OF_YEARS_DIGITS = "sum_of_years_digits"
    UNITS_OF_PRODUCTION = "units_of_production"


class DepreciationPolicy(DomainModel):
    """How a bank depreciates an asset class: method, useful life, salvage, conventions.

    ``salvage_share`` is salvage as a share of cost (an absolute salvage per group can be
    passed to the kernels instead). ``db_factor`` is the declining-balance rate multiple
    (2.0 = double-declining: rate 2 / life a year). ``useful_life_years`` is ignored by
    units-of-production, which follows the units schedule.

    >>> DepreciationPolicy(method="sum_of_years_digits", useful_life_years=5).accrual
    'daily'
    >>> DepreciationPolicy(method="straight_line", useful_life_years=40)
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: DepreciationPolicy.useful_life_years: Input should be ...
    """

    method: DepreciationMethod = Field(description="Depreciation method.")
    useful_life_years: float = Field(
        default=6.0,
        gt=0.0,
        le=MAX_USEFUL_LIFE_YEARS,
        description="Accounting useful life, years (6 at Microsoft, Alphabet, CoreWeave).",
    )
    salvage_share: float = Field(
        default=0.0, ge=0.0, lt=1.0, description="Salvage value as a share of cost, [0, 1)."
    )
    db_factor: float = Field(
        default=2.0,
        gt=0.0,
        le=10.0,
        description="Declining-balance multiple: annual rate = db_factor / useful life.",
    )
    switch_to_straight_line: bool = Field(
        default=True,
        description="Declining balance switches to straight-line on the remaining base "
        "(book - salvage over remaining life) once that is larger. Without the switch the "
        "final year writes the book down to salvage.",
    )
    accrual: Literal["daily", "monthly"] = Field(
        default="daily",
        description="Within a depreciation year: 'daily' pro rata by calendar days, or "
        "'monthly' in twelfths at each monthly anniversary of the in-service date.",
    )


@dataclass(frozen=True, eq=False)
class DepreciationSchedule:
    """Per-period depreciation and book value of ``n`` asset groups on a grid.

    Arrays (currency of each group's cost): ``depreciation`` and ``book_value`` are
    ``(n, n_periods)`` (book value at each period end), ``opening_book_value`` is ``(n,)``
    at ``grid.as_of``. :meth:`book_value_at` evaluates the book on any dates.

    >>> from computefin.risk.grid import period_grid
    >>> grid = period_grid(dt.date(2026, 1, 1), 24, "annual")
    >>> policy = DepreciationPolicy(method="straight_line", useful_life_years=5)
    >>> s = depreciation_schedule(policy, grid, cost=[100_000.0], in_service=dt.date(2026, 1, 1))
    >>> s.depreciation.tolist(), s.book_value.tolist()
    ([[20000.0, 20000.0]], [[80000.0, 60000.0]])
    >>> s.book_value_at(["2026-07-02"]).round(2).tolist()  # 182 of 365 days into year 1
    [[90027.4]]
    """

    policy: DepreciationPolicy
    grid: PeriodGrid
    cost: FloatArray
    salvage: FloatArray
    useful_life_years: FloatArray
    in_service: DateArray
    depreciation: FloatArray
    book_value: FloatArray
    opening_book_value: FloatArray
    _annual: FloatArray | None
    _boundary_cumulative: FloatArray | None

    def __post_init__(self) -> None:
        for value in vars(self).values():
            if isinstance(value, np.ndarray):
                value.setflags(write=False)

    @property
    def n_groups(self) -> int:
        """Number of asset groups."""
        return int(self.cost.size)

    @property
    def annual_depreciation(self) -> FloatArray:
        """Depreciation per depreciation year, ``(n, ceil(max life))`` (time-based methods).

        >>> from computefin.risk.grid import period_grid
        >>> p = DepreciationPolicy(method="sum_of_years_digits", useful_life_years=3)
        >>> s = depreciation_schedule(p, period_grid(dt.date(2026, 1, 1), 12), [60.0],
        ...                           dt.date(2026, 1, 1))
        >>> s.annual_depreciation.tolist()
        [[30.0, 20.0, 10.0]]
        """
        if self._annual is None:
            raise ValidationError(
                "policy.method", "units of production has no annual table", self.policy.method
            )
        return self._annual

    def book_value_at(self, dates: Any) -> FloatArray:
        """Book value of every group on each date: ``(n, len(dates))``.

        Time-based methods take any date (before in-service: cost; after the useful
        life: salvage). Units-of-production knows units only on the grid, so its dates
        must lie in ``[grid.as_of, last period end]``; within a period it accrues pro rata
        by days (from the in-service date when that falls inside the period).

        >>> from computefin.risk.grid import period_grid
        >>> p = DepreciationPolicy(method="straight_line", useful_life_years=2,
        ...                        salvage_share=0.2, accrual="monthly")
        >>> s = depreciation_schedule(p, period_grid(dt.date(2026, 1, 15), 12), [1200.0],
        ...                           dt.date(2026, 1, 15))
        >>> s.book_value_at(["2026-02-14", "2026-02-15", "2030-01-01"]).tolist()
        [[1200.0, 1160.0, 240.0]]
        """
        days = _as_dates(dates, "dates").reshape(-1)
        if self._annual is not None:
            tau = _service_years(self.in_service, days, self.policy.accrual)
            cumulative = _cumulative_from_table(self._annual, self.useful_life_years, tau)
        else:
            assert self._boundary_cumulative is not None
            cumulative = _cumulative_on_grid(
                self.grid, self.in_service, self._boundary_cumulative, days
            )
        book = self.cost[:, None] - np.minimum(cumulative, (self.cost - self.salvage)[:, None])
        return _finite(book, "book_value_at")

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per group and period (depreciation and closing book value).

        >>> from computefin.risk.grid import period_grid
        >>> p = DepreciationPolicy(method="straight_line", useful_life_years=5)
        >>> s = depreciation_schedule(p, period_grid(dt.date(2026, 1, 1), 24, "annual"),
        ...                           [100.0, 50.0], dt.date(2026, 1, 1))
        >>> s.to_frame()[["group", "depreciation", "book_value"]].values.tolist()
        [[0.0, 20.0, 80.0], [0.0, 20.0, 60.0], [1.0, 10.0, 40.0], [1.0, 10.0, 30.0]]
        """
        import pandas as pd

        n, periods = self.depreciation.shape
        return pd.DataFrame(
            {
                "group": np.repeat(np.arange(n), periods),
                "period_start": np.tile(self.grid.start_dates, n),
                "period_end": np.tile(self.grid.end_dates, n),
                "depreciation": self.depreciation.reshape(-1),
                "book_value": self.book_value.reshape(-1),
            }
        )


# --- public kernels -------------------------------------------------------------------------


def annual_depreciation(
    policy: DepreciationPolicy,
    cost: Any,
    *,
    salvage: Any = None,
    useful_life_years: Any = None,
) -> FloatArray:
    """Depreciation per depreciation year for ``n`` groups: ``(n, ceil(max life))``.

    ``cost`` is ``(n,)``; ``salvage`` (absolute, default ``salvage_share * cost``) and
    ``useful_life_years`` (default the policy's) are scalars or ``(n,)``. Years past a
    group's life are zero. Time-based methods only.

    >>> ddb = DepreciationPolicy(method="declining_balance", useful_life_years=5)
    >>> annual_depreciation(ddb, [100_000.0]).round(2).tolist()
    [[40000.0, 24000.0, 14400.0, 10800.0, 10800.0]]
    >>> syd = DepreciationPolicy(method="sum_of_years_digits", useful_life_years=5)
    >>> annual_depreciation(syd, [100_000.0], salvage=10_000.0).round(2).tolist()
    [[30000.0, 24000.0, 18000.0, 12000.0, 6000.0]]
    """
    cost_a, salvage_a, life_a = _groups(policy, cost, salvage, useful_life_years)
    if policy.method is DepreciationMethod.UNITS_OF_PRODUCTION:
        raise ValidationError(
            "policy.method",
            "units of production has no annual table; use depreciation_schedule with units",
            policy.method.value,
        )
    return _finite(_annual_table(policy, cost_a, salvage_a, life_a), "annual_depreciation")


def depreciation_schedule(
    policy: DepreciationPolicy,
    grid: PeriodGrid,
    cost: Any,
    in_service: Any,
    *,
    salvage: Any = None,
    useful_life_years: Any = None,
    units: Any = None,
    total_units: Any = None,
    units_to_date: Any = 0.0,
) -> DepreciationSchedule:
    """Depreciation of ``n`` asset groups on ``grid`` (one entry of each array per group).

    ``cost`` ``(n,)`` in the group's currency; ``in_service`` a date or ``(n,)`` dates;
    ``salvage`` absolute (default ``policy.salvage_share * cost``) and
    ``useful_life_years`` (default the policy's) scalars or ``(n,)``.

    Units-of-production also needs ``units`` used per grid period (``(n_periods,)`` or
    ``(n, n_periods)``, e.g. GPU-hours), ``total_units`` expected over the asset's life
    (scalar or ``(n,)``) and ``units_to_date`` used before ``grid.as_of``. Units of periods
    ending on or before the in-service date are ignored.

    >>> from computefin.risk.grid import period_grid
    >>> grid = period_grid(dt.date(2026, 1, 1), 3)
    >>> uop = DepreciationPolicy(method="units_of_production", salvage_share=0.1)
    >>> s = depreciation_schedule(uop, grid, [1000.0], dt.date(2025, 1, 1), units=[10, 20, 40],
    ...                           total_units=100, units_to_date=40)
    >>> s.opening_book_value.tolist(), s.depreciation.tolist()
    ([640.0], [[90.0, 180.0, 270.0]])
    """
    cost_a, salvage_a, life_a = _groups(policy, cost, salvage, useful_life_years)
    n = cost_a.size
    start = _as_dates(in_service, "in_service")
    if start.size == 1:
        start = np.repeat(start.reshape(-1), n)
    if start.shape != (n,):
        raise ValidationError("in_service", f"needs one date or {n} dates", start.size)
    boundaries = np.concatenate([grid.start_dates[:1], grid.end_dates])
    annual: FloatArray | None = None
    boundary_cum: FloatArray | None = None
    if policy.method is DepreciationMethod.UNITS_OF_PRODUCTION:
        boundary_cum = _units_cumulative(
            grid, cost_a - salvage_a, start, units, total_units, units_to_date
        )
        cumulative = boundary_cum
    else:
        if units is not None or total_units is not None:
            raise ValidationError(
                "units", "only units_of_production takes a units schedule", policy.method.value
            )
        annual = _annual_table(policy, cost_a, salvage_a, life_a)
        tau = _service_years(start, boundaries, policy.accrual)
        cumulative = _cumulative_from_table(annual, life_a, tau)
    cumulative = np.minimum(cumulative, (cost_a - salvage_a)[:, None])
    book = cost_a[:, None] - cumulative
    return DepreciationSchedule(
        policy=policy,
        grid=grid,
        cost=cost_a,
        salvage=salvage_a,
        useful_life_years=life_a,
        in_service=start,
        depreciation=_finite(np.diff(cumulative, axis=1), "depreciation"),
        book_value=_finite(book[:, 1:].copy(), "book_value"),
        opening_book_value=_finite(book[:, 0].copy(), "opening_book_value"),
        _annual=annual,
        _boundary_cumulative=boundary_cum,
    )


def group_depreciation_schedule(
    policy: DepreciationPolicy,
    groups: Sequence[ServerGroup],
    grid: PeriodGrid,
    **kwargs: Any,
) -> DepreciationSchedule:
    """:func:`depreciation_schedule` of server groups: cost = capex, in service = acquired.

    Each group stays in its own currency; extra keyword arguments pass through.

    >>> from computefin.risk.grid import period_grid
    >>> g = ServerGroup(accelerator_id="nvidia-h100-sxm", servers=2, gpus_per_server=8,
    ...                 unit_cost=300_000.0, currency="USD", acquired=dt.date(2025, 1, 1),
    ...                 power_kw=10.2)
    >>> p = DepreciationPolicy(method="straight_line", useful_life_years=6)
    >>> s = group_depreciation_schedule(p, [g], period_grid(dt.date(2026, 1, 1), 12, "annual"))
    >>> s.opening_book_value.tolist(), s.book_value.tolist()
    ([500000.0], [[400000.0]])
    """
    if not groups:
        raise ValidationError("groups", "needs at least one ServerGroup", 0)
    cost = np.array([g.capex for g in groups], dtype=np.float64)
    start = np.array([g.acquired for g in groups], dtype="datetime64[D]")
    return depreciation_schedule(policy, grid, cost, start, **kwargs)


# --- input handling -------------------------------------------------------------------------


def _as_dates(values: Any, name: str) -> DateArray:
    try:
        if isinstance(values, dt.date | str | np.datetime64):
            out = np.atleast_1d(np.asarray(values, dtype="datetime64[D]"))
        else:
            out = np.asarray(values, dtype="datetime64[D]")
    except (TypeError, ValueError) as exc:
        raise ValidationError(name, f"must be dates: {exc}", None) from exc
    out = np.atleast_1d(out)
    if np.isnat(out).any():
        raise ValidationError(name, "must not contain missing dates (NaT)", None)
    return out


def _floats(values: Any, name: str) -> FloatArray:
    try:
        out = np.atleast_1d(np.asarray(values, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        raise ValidationError(name, f"must be numbers: {exc}", None) from exc
    return out


def _first_bad(name: str, bad: npt.NDArray[np.bool_], values: FloatArray, reason: str) -> None:
    if bad.any():
        index = int(np.flatnonzero(bad.reshape(-1))[0])
        shown = float(values.reshape(-1)[index])
        raise ValidationError(f"{name}[{index}]", reason, shown)


def _groups(
    policy: DepreciationPolicy, cost: Any, salvage: Any, life: Any
) -> tuple[FloatArray, FloatArray, FloatArray]:
    if not isinstance(policy, DepreciationPolicy):
        raise ValidationError("policy", "must be a DepreciationPolicy", type(policy).__name__)
    cost_a = _floats(cost, "cost")
    if cost_a.ndim != 1 or cost_a.size == 0:
        raise ValidationError("cost", "must be a non-empty 1-D array, one cost per group", None)
    _first_bad("cost", ~np.isfinite(cost_a) | (cost_a <= 0.0), cost_a, "must be positive, finite")
    n = cost_a.size
    salvage_a = policy.salvage_share * cost_a if salvage is None else _floats(salvage, "salvage")
    life_a = _floats(policy.useful_life_years if life is None else life, "useful_life_years")
    problems: list[FieldProblem] = []
    for name, arr in (("salvage", salvage_a), ("useful_life_years", life_a)):
        if arr.size not in (1, n) or arr.ndim != 1:
            problems.append(FieldProblem(name, f"needs a scalar or {n} values", arr.size))
    if problems:
        raise ValidationError.from_problems(problems)
    salvage_a = np.broadcast_to(salvage_a, (n,)).astype(np.float64)
    life_a = np.broadcast_to(life_a, (n,)).astype(np.float64)
    _first_bad(
        "salvage",
        ~np.isfinite(salvage_a) | (salvage_a < 0.0) | (salvage_a >= cost_a),
        salvage_a,
        "must be in [0, cost)",
    )
    _first_bad(
        "useful_life_years",
        ~np.isfinite(life_a) | (life_a <= 0.0) | (life_a > MAX_USEFUL_LIFE_YEARS),
        life_a,
        f"must be in (0, {MAX_USEFUL_LIFE_YEARS:g}] years",
    )
    return cost_a, salvage_a, life_a


def _finite(values: FloatArray, name: str) -> FloatArray:
    if not np.isfinite(values).all():
        raise ConvergenceError(f"{name}: non-finite result from finite inputs")
    return values


# --- dates: anniversaries and years in service ----------------------------------------------


def _add_months(start: DateArray, months: IntArray) -> DateArray:
    """``start`` plus whole months; day clipped to month length, month ends stay month ends."""
    month = start.astype("datetime64[M]")
    day = (start - month.astype("datetime64[D]")).astype(np.int64)
    month_end = (start + np.timedelta64(1, "D")).astype("datetime64[M]") != month
    target = month + months.astype("timedelta64[M]")
    first = target.astype("datetime64[D]")
    last = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - first).astype(np.int64)
    offset = np.where(month_end, last - 1, np.minimum(day, last - 1))
    out: DateArray = first + offset.astype("timedelta64[D]")
    return out


def _service_years(
    start: DateArray, dates: DateArray, accrual: Literal["daily", "monthly"]
) -> FloatArray:
    """Depreciation time (years) from each ``start`` ``(n,)`` to each date ``(m,)``: ``(n, m)``.

    Daily: whole anniversaries plus the day fraction of the current depreciation year.
    Monthly: whole monthly anniversaries / 12. Negative before ``start``. Computed once per
    distinct in-service date (books share few), then gathered.
    """
    unique, inverse = np.unique(start, return_inverse=True)
    first, later = np.broadcast_arrays(unique[:, None], dates[None, :])
    if accrual == "monthly":
        months = (later.astype("datetime64[M]") - first.astype("datetime64[M]")).astype(np.int64)
        months = months - (later < _add_months(first, months)).astype(np.int64)
        per_date = months.astype(np.float64) / 12.0
    else:
        years = (later.astype("datetime64[Y]") - first.astype("datetime64[Y]")).astype(np.int64)
        years = years - (later < _add_months(first, 12 * years)).astype(np.int64)
        begin = _add_months(first, 12 * years)
        end = _add_months(first, 12 * (years + 1))
        fraction = (later - begin).astype(np.float64) / (end - begin).astype(np.float64)
        per_date = years.astype(np.float64) + fraction
    out: FloatArray = per_date[inverse.reshape(-1)]
    return out


# --- annual tables --------------------------------------------------------------------------


def _annual_table(
    policy: DepreciationPolicy, cost: FloatArray, salvage: FloatArray, life: FloatArray
) -> FloatArray:
    """``(n, K)`` depreciation per depreciation year, ``K = ceil(max life)``."""
    n_years = max(1, math.ceil(float(life.max()) - _TOL))
    k = np.arange(n_years, dtype=np.float64)[None, :]
    remaining = life[:, None] - k  # life left at the start of each year
    in_year = np.clip(remaining, 0.0, 1.0)  # share of the year inside the life
    base = cost - salvage
    method = policy.method
    if method is DepreciationMethod.STRAIGHT_LINE:
        return base[:, None] * in_year / life[:, None]
    if method is DepreciationMethod.SUM_OF_YEARS_DIGITS:
        weight = np.maximum(remaining, 0.0) * in_year
        table: FloatArray = base[:, None] * weight / weight.sum(axis=1, keepdims=True)
        return table
    return _declining_balance(policy, cost, salvage, life, n_years)


def _declining_balance(
    policy: DepreciationPolicy,
    cost: FloatArray,
    salvage: FloatArray,
    life: FloatArray,
    n_years: int,
) -> FloatArray:
    rate = policy.db_factor / life
    out = np.zeros((cost.size, n_years), dtype=np.float64)
    book = cost.copy()
    for year in range(n_years):  # a loop over years, each step on all groups at once
        remaining = life - year
        in_year = np.clip(remaining, 0.0, 1.0)
        room = np.maximum(book - salvage, 0.0)
        amount = rate * book * in_year
        last = remaining <= 1.0 + _TOL
        if policy.switch_to_straight_line:
            straight = room * in_year / np.maximum(remaining, _TOL)
            amount = np.maximum(amount, straight)
        else:
            amount = np.where(last, room, amount)
        amount = np.where(remaining > _TOL, np.minimum(amount, room), 0.0)
        out[:, year] = amount
        book = book - amount
    return out


def _cumulative_from_table(annual: FloatArray, life: FloatArray, tau: FloatArray) -> FloatArray:
    """Accumulated depreciation at depreciation times ``tau`` ``(n, m)``.

    Year ``k`` accrues its amount linearly over its length ``min(1, life - k)``; ``tau`` is
    clipped to ``[0, life]`` so that before service nothing and after the life everything
    has accrued.
    """
    n, n_years = annual.shape
    before = np.concatenate([np.zeros((n, 1)), np.cumsum(annual[:, :-1], axis=1)], axis=1)
    length = np.clip(life[:, None] - np.arange(n_years), 0.0, 1.0)
    rate = np.divide(annual, length, out=np.zeros_like(annual), where=length > 0.0)
    clipped = np.clip(tau, 0.0, life[:, None])
    year = np.minimum(clipped.astype(np.int64), n_years - 1)  # floor: clipped >= 0
    flat = year + (np.arange(n, dtype=np.int64) * n_years)[:, None]
    out: FloatArray = before.ravel()[flat] + rate.ravel()[flat] * (clipped - year)
    return out


# --- units of production --------------------------------------------------------------------


def _units_cumulative(
    grid: PeriodGrid,
    base: FloatArray,
    start: DateArray,
    units: Any,
    total_units: Any,
    units_to_date: Any,
) -> FloatArray:
    """``(n, n_periods + 1)`` accumulated depreciation at the grid's boundaries."""
    n, periods = base.size, grid.n_periods
    if units is None or total_units is None:
        raise ValidationError(
            "units", "units_of_production needs units per period and total_units", None
        )
    used = _floats(units, "units")
    if used.ndim == 1:
        used = used[None, :]
    if used.ndim != 2 or used.shape[1] != periods or used.shape[0] not in (1, n):
        raise ValidationError(
            "units", f"needs shape ({periods},) or ({n}, {periods})", str(used.shape)
        )
    used = np.broadcast_to(used, (n, periods))
    _first_bad("units", ~np.isfinite(used) | (used < 0.0), used, "must be finite and >= 0")
    total = np.broadcast_to(_floats(total_units, "total_units"), (n,))
    _first_bad("total_units", ~np.isfinite(total) | (total <= 0.0), total, "must be positive")
    done = np.broadcast_to(_floats(units_to_date, "units_to_date"), (n,))
    _first_bad("units_to_date", ~np.isfinite(done) | (done < 0.0), done, "must be finite, >= 0")
    alive = grid.end_dates[None, :] > start[:, None]
    counted = np.where(alive, used, 0.0)
    cum_units = np.concatenate([done[:, None], done[:, None] + np.cumsum(counted, axis=1)], axis=1)
    out: FloatArray = np.minimum(base[:, None] * cum_units / total[:, None], base[:, None])
    return out


def _cumulative_on_grid(
    grid: PeriodGrid, start: DateArray, boundary: FloatArray, days: DateArray
) -> FloatArray:
    first, last = grid.start_dates[0], grid.end_dates[-1]
    outside = (days < first) | (days > last)
    if outside.any():
        bad = days[outside][0]
        raise ValidationError(
            "dates",
            f"units of production is known only on the grid ({first} to {last})",
            str(bad),
        )
    period = np.minimum(np.searchsorted(grid.end_dates, days, side="left"), grid.n_periods - 1)
    p_start = np.maximum(grid.start_dates[period][None, :], start[:, None])
    p_end = grid.end_dates[period][None, :]
    span = (p_end - p_start).astype(np.float64)
    elapsed = (days[None, :] - p_start).astype(np.float64)
    fraction = np.where(span > 0.0, np.clip(elapsed / np.where(span > 0, span, 1.0), 0, 1), 1.0)
    lo = boundary[:, period]
    hi = boundary[:, period + 1]
    out: FloatArray = lo + fraction * (hi - lo)
    return out
