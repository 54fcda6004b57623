"""Cash-flow analytics over a whole book at once: PV, accrued, yield, z-spread, risk.

Every function takes a :class:`CashflowMatrix` (``n`` instruments, ``k`` padded payment
dates) and returns one figure per instrument as an ``(n,)`` float64 array. The kernels
work on ``(n, k)`` arrays with masks; nothing loops over instruments in Python, and the
root finders (:func:`yield_from_price`, :func:`z_spread_from_price`) step every
unconverged instrument at once (:mod:`computefin.pricing._solvers`).

Money is in the instruments' own currency units, as given in ``amounts`` (not per 100
of face: multiply a QuantLib per-100 price by ``notional / 100``). Rates, yields and
spreads are decimals (0.01 = 100bp); times are years.

Conventions, all QuantLib's (``CashFlows`` / ``BondFunctions``, QuantLib 1.44), with the
tests in ``tests/pricing/test_analytics.py`` holding them to QuantLib:

* **Settlement**: only cash flows paid strictly *after* settlement count. A flow paid on
  the settlement date belongs to the seller, as in QuantLib with
  ``includeSettlementDateFlows=false`` (``Settings.includeReferenceDateEvents`` is false
  by default, and ``Bond.settlementValue`` always excludes them). No ex-coupon period.
* **PV** (dirty, at settlement): ``sum_i CF_i D(t_i) / D(settlement)`` on a
  :class:`~computefin.pricing.curves.Curve`, i.e. ``CashFlows.npv(leg, curve, False,
  settlement, settlement)`` and ``Bond.settlementValue()``. Clean = dirty - accrued.
* **Accrued**: the coupon of the first payment after settlement times
  ``tau(start, min(settlement, end)) / tau(start, end)`` under the coupon day count,
  zero when settlement is on or before the accrual start (``Bond.accruedAmount``).
* **Yield**: QuantLib's stepwise discounting (``CashFlows::npv`` with an
  ``InterestRate``): the discount factor of flow ``i`` is the product over the flows
  ``j <= i`` of ``1 / CF(y, dt_j)`` with ``dt_j`` the time since the previous flow (or
  settlement) under the yield day count; for a coupon whose accrual start differs from the
  previous date, ``dt = tau(start, pay) - tau(start, previous)``, QuantLib's treatment of
  a broken first period. ``CF = (1 + y/f)^(f dt)`` (compounded), ``exp(y dt)``
  (continuous), ``1 + y dt`` (simple).
* **Duration and convexity**: ``-P'(y)/P`` (modified), ``(1 + y/f)`` times that
  (Macaulay, compounded yields only) and ``P''(y)/P``, the exact derivatives of the
  stepwise price, equal to ``BondFunctions.duration`` / ``convexity``.
* **z-spread**: a continuous spread over ACT/365F time, ``D(t) exp(-z days/365)``, as
  :meth:`~computefin.pricing.curves.Curve.with_z_spread`; equal to
  ``BondFunctions.zSpread`` (``Continuous``) on an ACT/365F curve.
* **DV01 / CS01**: central differences of the dirty PV for +-1bp, per 1bp, in currency,
  positive when the value falls as rates or spreads rise.

>>> from computefin.pricing.curves import flat_curve
>>> cf = _example_book()
>>> present_value(cf, flat_curve("2026-06-30", 0.04)).round(6)
array([101.720542,  98.961312])
>>> y = yield_from_price(cf, [100.0, 100.0])
>>> y.round(8)
array([0.04993163, 0.03      ])
>>> modified_duration(cf, y).round(8)
array([1.86201373, 0.97087379])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from computefin._typing import BoolArray, DateArray, FloatArray, IntArray
from computefin.domain.conventions import DayCount, Frequency
from computefin.errors import ValidationError
from computefin.pricing import _fused
from computefin.pricing._solvers import DEFAULT_TOL, OnFailure, fail_report, solve_monotone
from computefin.pricing.curves import Curve
from computefin.pricing.daycounts import parse_day_count, year_fraction_days

__all__ = [
    "BondMeasures",
    "CashflowMatrix",
    "DayCounts",
    "PriceKind",
    "YieldCompounding",
    "accrued_interest",
    "bond_measures",
    "clean_present_value",
    "convexity",
    "cs01",
    "dv01",
    "macaulay_duration",
    "modified_duration",
    "present_value",
    "price_from_yield",
    "settlement_discount_factors",
    "weighted_average_life",
    "yield_from_price",
    "z_spread_from_price",
]

YieldCompounding = Literal["compounded", "continuous", "simple"]
"""How a yield compounds: ``(1+y/f)^(f t)``, ``exp(y t)`` or, per step, ``1 + y t``."""
PriceKind = Literal["dirty", "clean"]
"""Whether a price includes accrued interest (dirty) or not (clean)."""
DayCounts = DayCount | npt.NDArray[np.str_]
"""One day count for the book, or one per instrument (an ``(n,)`` array of names)."""

_BP: Final[float] = 1e-4
_YIELD_HI: Final[float] = 10.0  # 1000%: default upper bound of the yield bracket
_YIELD_LO: Final[float] = -0.99  # default lower bound (compounded, continuous)
_NEWTON_ITER: Final[int] = 50  # Newton (Halley) steps before the bracketing fallback
_SPREAD_BRACKET: Final[tuple[float, float]] = (-1.0, 1.0)
_MAX_FREQUENCY: Final[int] = 365
_COMPOUNDINGS: Final[tuple[str, ...]] = ("compounded", "continuous", "simple")


# -- validation helpers ---------------------------------------------------------------------


def _where(ids: npt.NDArray[np.str_], mask: BoolArray) -> str:
    """``row i ('id'), column j`` of the first True in a 1-D or 2-D mask."""
    first = np.argwhere(mask)[0]
    row = int(first[0])
    col = f", column {int(first[1])}" if first.size > 1 else ""
    return f"row {row} ({str(ids[row])!r}){col}"


def _ids(value: Any) -> npt.NDArray[np.str_]:
    arr = np.asarray(value)
    if arr.ndim != 1:
        raise ValidationError("CashflowMatrix.ids", f"must be 1-D, got shape {arr.shape}")
    if arr.dtype.kind == "O":
        if not all(isinstance(v, str) for v in arr.tolist()):
            raise ValidationError("CashflowMatrix.ids", "must be strings")
        arr = arr.astype(str)
    elif arr.dtype.kind != "U" and arr.size:
        raise ValidationError("CashflowMatrix.ids", "must be strings", arr.dtype.name)
    out = np.asarray(arr, dtype=str)
    if out.size and bool(np.any(out == "")):
        raise ValidationError("CashflowMatrix.ids", f"empty id at row {int(np.argmax(out == ''))}")
    return out


def _dates(value: Any, field: str) -> DateArray:
    """Dates as ``datetime64[D]`` (NaT allowed; numbers are never read as dates)."""
    arr = np.asarray(value)
    kind = arr.dtype.kind
    if kind in "biufc":
        if arr.size == 0:
            return np.zeros(arr.shape, dtype="datetime64[D]")
        raise ValidationError(field, "numbers are not dates; use datetime64, dates or ISO strings")
    if kind == "O":
        bad = [v for v in arr.ravel().tolist() if isinstance(v, bool | int | float | complex)]
        if bad:
            raise ValidationError(field, "numbers are not dates", bad[0])
    try:
        out = np.asarray(arr, dtype="datetime64[D]")
    except (TypeError, ValueError) as exc:
        raise ValidationError(field, "must be datetime64, datetime.date or ISO strings") from exc
    return out


def _matrix(value: Any, field: str, shape: tuple[int, int], dtype: Any) -> npt.NDArray[Any]:
    try:
        arr = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValidationError(field, f"must be a {np.dtype(dtype).name} array") from exc
    if arr.shape != shape:
        raise ValidationError(field, f"shape {arr.shape} does not match pay_dates {shape}")
    return arr


def _money(
    value: Any,
    field: str,
    shape: tuple[int, int],
    alive: BoolArray,
    ids: npt.NDArray[np.str_],
) -> FloatArray:
    if isinstance(value, np.ndarray) and value.dtype.kind not in "biuf":
        raise ValidationError(field, "must be numbers", value.dtype.name)
    arr = _matrix(value, field, shape, np.float64)
    bad = alive & ~np.isfinite(arr)
    if bool(bad.any()):
        raise ValidationError(field, f"NaN or infinite amount at {_where(ids, bad)}")
    out: FloatArray = np.where(alive, arr, 0.0)
    return out


def _frequency(value: Any, n: int, field: str) -> IntArray:
    if isinstance(value, Frequency | str):
        try:
            freq = Frequency(value.strip().lower() if isinstance(value, str) else value)
        except ValueError as exc:
            raise ValidationError(field, "unknown frequency name", value) from exc
        return np.full(n, freq.periods_per_year, dtype=np.int64)
    arr = np.asarray(value)
    if arr.dtype.kind == "U":
        names, inverse = np.unique(arr, return_inverse=True)
        per_year = np.array(
            [_frequency(str(v), 1, field)[0] for v in names.tolist()], dtype=np.int64
        )
        arr = per_year[inverse].reshape(arr.shape)
    if arr.dtype.kind not in "iuf" or isinstance(value, bool):
        raise ValidationError(field, "periods per year must be whole numbers (1, 2, 4, 12)")
    if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != n):
        raise ValidationError(field, f"must be a scalar or shape ({n},), got {arr.shape}")
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(arr) & (arr == np.round(arr))
    if not bool(np.all(whole)):
        raise ValidationError(field, "periods per year must be whole numbers (1, 2, 4, 12)")
    out = np.array(np.broadcast_to(arr, (n,)), dtype=np.int64)
    if out.size and (int(out.min()) < 1 or int(out.max()) > _MAX_FREQUENCY):
        raise ValidationError(field, f"periods per year must be in 1..{_MAX_FREQUENCY}")
    return out


def _day_counts(value: Any, n: int, field: str) -> DayCounts:
    if isinstance(value, DayCount | str):
        return parse_day_count(value, field)
    arr = np.asarray(value)
    if arr.ndim != 1 or arr.shape[0] != n or arr.dtype.kind not in "UO":
        raise ValidationError(field, f"one day-count name or an array of {n} names")
    if arr.dtype.kind == "U" and n:
        # canonical names (what a kernel writes): a few comparisons instead of a sort
        known = np.zeros(n, dtype=bool)
        present = []
        for dc in DayCount:
            same = arr == dc.value
            if bool(same.any()):
                present.append(dc)
                known |= same
        if bool(known.all()):
            if len(present) == 1:
                return present[0]
            return arr
    names, inverse = np.unique(arr.astype(str), return_inverse=True)
    parsed = [parse_day_count(str(v), field) for v in names.tolist()]
    if len(parsed) == 1:
        return parsed[0]
    values = np.array([d.value for d in parsed])
    out: npt.NDArray[np.str_] = values[inverse]
    return out


def _frozen(arr: npt.NDArray[Any]) -> npt.NDArray[Any]:
    out = np.array(arr, copy=True)
    out.setflags(write=False)
    return out


def _view(value: Any, dtype: Any, field: str, shape: tuple[int, int] | None) -> npt.NDArray[Any]:
    """A read-only view of ``value`` as ``dtype`` (a copy only if the dtype differs)."""
    try:
        arr = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValidationError(field, f"must be a {np.dtype(dtype).name} array") from exc
    if shape is not None and arr.shape != shape:
        raise ValidationError(field, f"shape {arr.shape} does not match pay_dates {shape}")
    out = arr.view()
    out.setflags(write=False)
    return out


def _settlement_days(value: Any, n: int, field: str = "settlement") -> IntArray:
    dates = _dates(value, field)
    if dates.ndim > 1 or (dates.ndim == 1 and dates.shape[0] != n):
        raise ValidationError(field, f"must be one date or {n} dates, got shape {dates.shape}")
    if bool(np.any(np.isnat(dates))):
        raise ValidationError(field, "must be dates, got NaT")
    return np.array(np.broadcast_to(dates.astype(np.int64), (n,)), dtype=np.int64)


# -- the book --------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, init=False, repr=False)
class CashflowMatrix:
    """The cash flows of ``n`` instruments on ``k`` padded payment dates (immutable).

    Build it with keyword arguments; array-likes are converted, checked and stored as
    read-only arrays (``ValidationError`` naming ``CashflowMatrix.<field>`` otherwise).

    ids : ``(n,)`` str
        Instrument ids, used in error reports.
    pay_dates : ``(n, k)`` ``datetime64[D]``
        Payment dates, non-decreasing along a row where ``alive`` (NaT allowed in dead
        slots). One column per payment date; several flows on one date are summed.
    amounts : ``(n, k)`` float
        Total cash flow on each date (interest + principal + fees), currency units; zero
        is stored in dead slots.
    alive : ``(n, k)`` bool
        Which slots hold a cash flow; padding is False.
    settlement : date or ``(n,)`` dates
        Default settlement date of each instrument (functions take an override).
    frequency : int, :class:`~computefin.domain.conventions.Frequency` or ``(n,)``
        Periods per year of yield compounding (1, 2, 4, 12, ...).
    day_count : day-count name or ``(n,)`` names
        Time measure of yields and WAL (default ``ACT/365F``).
    accrual_start, accrual_end : ``(n, k)`` dates, optional
        The accrual period of the coupon paid in each slot; NaT where a slot has no
        coupon (a pure principal or fee payment). Give both or neither.
    coupon_amounts : ``(n, k)`` float, optional
        The coupon (interest) part of each slot's amount, for accrued interest. Required
        with accrual periods; must be 0 where a slot has no accrual period.
    accrual_day_count : day-count name or ``(n,)`` names, optional
        The coupons' day count, for accrued interest (default: ``day_count``).
    principal : ``(n, k)`` float, optional
        The principal part of each slot's amount, for :func:`weighted_average_life`.

    >>> cf = _example_book()
    >>> cf.n, cf.k, cf.frequency.tolist(), cf.day_count.value
    (2, 2, [1, 1], 'ACT/365F')
    >>> CashflowMatrix(ids=["a"], pay_dates=[["2027-01-01"]], amounts=[[float("nan")]],
    ...                alive=[[True]], settlement="2026-01-01", frequency=1)
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: CashflowMatrix.amounts: NaN ... at row 0 ('a'), column 0
    """

    ids: npt.NDArray[np.str_]
    pay_dates: DateArray
    amounts: FloatArray
    alive: BoolArray
    settlement: DateArray
    frequency: IntArray
    day_count: DayCounts
    accrual_start: DateArray | None
    accrual_end: DateArray | None
    coupon_amounts: FloatArray | None
    accrual_day_count: DayCounts
    principal: FloatArray | None

    def __init__(
        self,
        *,
        ids: npt.ArrayLike,
        pay_dates: Any,
        amounts: npt.ArrayLike,
        alive: npt.ArrayLike,
        settlement: Any,
        frequency: Any,
        day_count: Any = DayCount.ACT_365F,
        accrual_start: Any = None,
        accrual_end: Any = None,
        coupon_amounts: npt.ArrayLike | None = None,
        accrual_day_count: Any = None,
        principal: npt.ArrayLike | None = None,
    ) -> None:
        sets = object.__setattr__
        ids_ = _ids(ids)
        n = ids_.size
        pay = _dates(pay_dates, "CashflowMatrix.pay_dates")
        if pay.ndim == 1 and pay.size == 0:
            pay = pay.reshape(n, 0)
        if pay.ndim != 2 or pay.shape[0] != n:
            raise ValidationError(
                "CashflowMatrix.pay_dates", f"must have shape ({n}, k), got {pay.shape}"
            )
        shape = (n, pay.shape[1])
        alive_in = np.asarray(alive)
        if alive_in.dtype.kind != "b":
            raise ValidationError("CashflowMatrix.alive", "must be booleans", alive_in.dtype.name)
        live_mask = _matrix(alive_in, "CashflowMatrix.alive", shape, np.bool_)
        nat = live_mask & np.isnat(pay)
        if bool(nat.any()):
            raise ValidationError(
                "CashflowMatrix.pay_dates", f"NaT payment date at {_where(ids_, nat)}"
            )
        days = pay.astype(np.int64)
        if shape[1] > 1:
            last = np.maximum.accumulate(np.where(live_mask, days, np.iinfo(np.int64).min), axis=1)
            back = live_mask[:, 1:] & (days[:, 1:] < last[:, :-1])
            if bool(back.any()):
                raise ValidationError(
                    "CashflowMatrix.pay_dates",
                    f"payment dates must not decrease along a row; earlier date at "
                    f"{_where(ids_, np.pad(back, ((0, 0), (1, 0))))}",
                )
        money = _money(amounts, "CashflowMatrix.amounts", shape, live_mask, ids_)
        settle = _settlement_days(settlement, n, "CashflowMatrix.settlement")
        freq = _frequency(frequency, n, "CashflowMatrix.frequency")
        dc = _day_counts(day_count, n, "CashflowMatrix.day_count")
        acc_dc = (
            dc
            if accrual_day_count is None
            else _day_counts(accrual_day_count, n, "CashflowMatrix.accrual_day_count")
        )
        given = [x is not None for x in (accrual_start, accrual_end, coupon_amounts)]
        start: DateArray | None = None
        end: DateArray | None = None
        coupons: FloatArray | None = None
        if any(given) and not all(given):
            raise ValidationError(
                "CashflowMatrix.accrual_start",
                "give accrual_start, accrual_end and coupon_amounts together, or none of them",
            )
        if all(given):
            start = _matrix(
                _dates(accrual_start, "CashflowMatrix.accrual_start"),
                "CashflowMatrix.accrual_start",
                shape,
                "datetime64[D]",
            )
            end = _matrix(
                _dates(accrual_end, "CashflowMatrix.accrual_end"),
                "CashflowMatrix.accrual_end",
                shape,
                "datetime64[D]",
            )
            coupons = _money(
                coupon_amounts, "CashflowMatrix.coupon_amounts", shape, live_mask, ids_
            )
            has = live_mask & ~np.isnat(start)
            open_end = has & np.isnat(end)
            if bool(open_end.any()):
                raise ValidationError(
                    "CashflowMatrix.accrual_end",
                    f"NaT for an accrual start at {_where(ids_, open_end)}",
                )
            backwards = has & (end.astype(np.int64) < start.astype(np.int64))
            if bool(backwards.any()):
                raise ValidationError(
                    "CashflowMatrix.accrual_end",
                    f"before the accrual start at {_where(ids_, backwards)}",
                )
            orphan = live_mask & ~has & (coupons != 0.0)
            if bool(orphan.any()):
                raise ValidationError(
                    "CashflowMatrix.coupon_amounts",
                    f"a coupon without an accrual period (accrual_start NaT) at "
                    f"{_where(ids_, orphan)}",
                )
            start = np.where(has, start, np.datetime64("NaT", "D"))
            end = np.where(has, end, np.datetime64("NaT", "D"))
        paid_back = (
            None
            if principal is None
            else _money(principal, "CashflowMatrix.principal", shape, live_mask, ids_)
        )
        sets(self, "ids", _frozen(ids_))
        sets(self, "pay_dates", _frozen(pay))
        sets(self, "amounts", _frozen(money))
        sets(self, "alive", _frozen(live_mask))
        sets(self, "settlement", _frozen(settle.astype("datetime64[D]")))
        sets(self, "frequency", _frozen(freq))
        sets(self, "day_count", dc if isinstance(dc, DayCount) else _frozen(dc))
        sets(self, "accrual_day_count", acc_dc if isinstance(acc_dc, DayCount) else _frozen(acc_dc))
        sets(self, "accrual_start", None if start is None else _frozen(start))
        sets(self, "accrual_end", None if end is None else _frozen(end))
        sets(self, "coupon_amounts", None if coupons is None else _frozen(coupons))
        sets(self, "principal", None if paid_back is None else _frozen(paid_back))

    @classmethod
    def from_trusted(
        cls,
        *,
        ids: npt.ArrayLike,
        pay_dates: Any,
        amounts: npt.ArrayLike,
        alive: npt.ArrayLike,
        settlement: Any,
        frequency: Any,
        day_count: Any = DayCount.ACT_365F,
        accrual_start: Any = None,
        accrual_end: Any = None,
        coupon_amounts: npt.ArrayLike | None = None,
        accrual_day_count: Any = None,
        principal: npt.ArrayLike | None = None,
    ) -> CashflowMatrix:
        """A matrix from arrays a kernel has just built: no value checks, no copies.

        The fast path for producers (a cash-flow kernel) that build well-formed arrays
        themselves; users should call the validating constructor. Only shapes, dtypes,
        ``settlement``, ``frequency`` and the day-count names are checked (cheap, per
        instrument); the ``(n, k)`` arrays are stored as read-only *views* of the
        arrays passed (no copy when their dtype is already right), so the caller must
        not modify them afterwards, and must guarantee what the constructor would
        otherwise check or normalise:

        * ``pay_dates`` ``datetime64[D]``, not NaT and non-decreasing where ``alive``;
        * ``amounts``, ``coupon_amounts``, ``principal`` finite, and 0.0 where not
          ``alive``;
        * ``accrual_start`` / ``accrual_end`` NaT where a live slot has no coupon and
          where not ``alive``, ``end >= start``, coupons 0 without an accrual period.

        Given such arrays, every function returns what it returns on the validated
        matrix (a test holds them equal).

        >>> cf = _example_book()
        >>> fast = CashflowMatrix.from_trusted(
        ...     ids=cf.ids, pay_dates=cf.pay_dates, amounts=cf.amounts, alive=cf.alive,
        ...     settlement=cf.settlement, frequency=1, principal=cf.principal)
        >>> bool(np.array_equal(weighted_average_life(fast), weighted_average_life(cf)))
        True
        """
        sets = object.__setattr__
        self = object.__new__(cls)
        ids_ = np.asarray(ids)
        if ids_.dtype.kind != "U":
            ids_ = ids_.astype(str)
        if ids_.ndim != 1:
            raise ValidationError("CashflowMatrix.ids", f"must be 1-D, got shape {ids_.shape}")
        n = ids_.size
        pay = _view(pay_dates, "datetime64[D]", "CashflowMatrix.pay_dates", None)
        if pay.ndim != 2 or pay.shape[0] != n:
            raise ValidationError(
                "CashflowMatrix.pay_dates", f"must have shape ({n}, k), got {pay.shape}"
            )
        shape = (n, int(pay.shape[1]))

        def grid(value: Any, field: str, dtype: Any) -> npt.NDArray[Any] | None:
            return None if value is None else _view(value, dtype, field, shape)

        dc = _day_counts(day_count, n, "CashflowMatrix.day_count")
        acc_dc = (
            dc
            if accrual_day_count is None
            else _day_counts(accrual_day_count, n, "CashflowMatrix.accrual_day_count")
        )
        given = [x is not None for x in (accrual_start, accrual_end, coupon_amounts)]
        if any(given) and not all(given):
            raise ValidationError(
                "CashflowMatrix.accrual_start",
                "give accrual_start, accrual_end and coupon_amounts together, or none of them",
            )
        settle = _settlement_days(settlement, n, "CashflowMatrix.settlement")
        sets(self, "ids", _view(ids_, ids_.dtype, "CashflowMatrix.ids", None))
        sets(self, "pay_dates", pay)
        sets(self, "amounts", grid(amounts, "CashflowMatrix.amounts", np.float64))
        sets(self, "alive", grid(alive, "CashflowMatrix.alive", np.bool_))
        sets(self, "settlement", _view(settle.astype("datetime64[D]"), None, "", None))
        sets(self, "frequency", _view(_frequency(frequency, n, "CashflowMatrix.frequency"),
                                      None, "", None))  # fmt: skip
        sets(self, "day_count", dc if isinstance(dc, DayCount) else _view(dc, None, "", None))
        sets(self, "accrual_day_count",
             acc_dc if isinstance(acc_dc, DayCount) else _view(acc_dc, None, "", None))  # fmt: skip
        sets(self, "accrual_start",
             grid(accrual_start, "CashflowMatrix.accrual_start", "datetime64[D]"))  # fmt: skip
        sets(self, "accrual_end",
             grid(accrual_end, "CashflowMatrix.accrual_end", "datetime64[D]"))  # fmt: skip
        sets(self, "coupon_amounts",
             grid(coupon_amounts, "CashflowMatrix.coupon_amounts", np.float64))  # fmt: skip
        sets(self, "principal", grid(principal, "CashflowMatrix.principal", np.float64))
        return self

    def __repr__(self) -> str:
        return f"CashflowMatrix(n={self.n}, k={self.k})"

    @property
    def n(self) -> int:
        """Number of instruments."""
        return int(self.ids.size)

    @property
    def k(self) -> int:
        """Number of payment-date slots per instrument (the padded width)."""
        return int(self.pay_dates.shape[1])

    def __len__(self) -> int:
        return self.n

    def take(self, rows: npt.ArrayLike | slice) -> CashflowMatrix:
        """The instruments ``rows`` (indices, a boolean mask or a slice) as a new matrix.

        >>> _example_book().take([1]).ids
        array(['bond-b'], dtype='<U6')
        """
        idx = np.arange(self.n)[rows] if isinstance(rows, slice) else np.asarray(rows)
        if idx.dtype.kind == "b":
            idx = np.flatnonzero(idx)

        def pick(x: DayCounts | None) -> DayCounts | None:
            return x if x is None or isinstance(x, DayCount) else x[idx]

        def sub(x: npt.NDArray[Any] | None) -> npt.NDArray[Any] | None:
            return None if x is None else x[idx]

        day_count = pick(self.day_count)
        assert day_count is not None
        return CashflowMatrix(
            ids=self.ids[idx],
            pay_dates=self.pay_dates[idx],
            amounts=self.amounts[idx],
            alive=self.alive[idx],
            settlement=self.settlement[idx],
            frequency=self.frequency[idx],
            day_count=day_count,
            accrual_start=sub(self.accrual_start),
            accrual_end=sub(self.accrual_end),
            coupon_amounts=sub(self.coupon_amounts),
            accrual_day_count=pick(self.accrual_day_count),
            principal=sub(self.principal),
        )


def _example_book() -> CashflowMatrix:
    """Two instruments for the examples: a 2-year 5% bond and a 1-year 3% loan (face 100)."""
    return CashflowMatrix(
        ids=["bond-a", "bond-b"],
        pay_dates=[["2027-06-30", "2028-06-30"], ["2027-06-30", "NaT"]],
        amounts=[[5.0, 105.0], [103.0, 0.0]],
        alive=[[True, True], [True, False]],
        settlement="2026-06-30",
        frequency=1,
        accrual_start=[["2026-06-30", "2027-06-30"], ["2026-06-30", "NaT"]],
        accrual_end=[["2027-06-30", "2028-06-30"], ["2027-06-30", "NaT"]],
        coupon_amounts=[[5.0, 5.0], [3.0, 0.0]],
        principal=[[0.0, 100.0], [100.0, 0.0]],
    )


# -- shared kernels ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Live:
    """The flows that count at one settlement: strictly after it."""

    settle: IntArray  # (n,) day numbers
    pay: IntArray  # (n, k) payment day numbers; settle where not counted
    counted: BoolArray  # (n, k) alive and paid after settlement
    amounts: FloatArray  # (n, k) zero where not counted


def _live(cf: CashflowMatrix, settlement: Any) -> _Live:
    settle = (
        cf.settlement.astype(np.int64) if settlement is None else _settlement_days(settlement, cf.n)
    )
    col = settle[:, None]
    days = np.where(cf.alive, cf.pay_dates.astype(np.int64), col)
    counted = cf.alive & (days > col)
    pay = np.where(counted, days, col)
    return _Live(settle, pay, counted, np.where(counted, cf.amounts, 0.0))


def _yf(start: IntArray, end: IntArray, dc: DayCounts) -> FloatArray:
    """Year fractions of day numbers; rows follow the instruments' day counts."""
    if isinstance(dc, DayCount):
        return year_fraction_days(start, end, dc)
    s, e = np.broadcast_arrays(start, end)
    out = np.empty(s.shape, dtype=np.float64)
    for name in np.unique(dc).tolist():
        rows = np.flatnonzero(dc == name)
        out[rows] = year_fraction_days(s[rows], e[rows], DayCount(name))
    return out


def _steps(cf: CashflowMatrix, live: _Live, dc: DayCounts) -> FloatArray:
    """QuantLib's stepwise discount times (``getStepwiseDiscountTime``), zero if not counted."""
    pay = live.pay
    prev = np.empty_like(pay)
    if cf.k:
        prev[:, 0] = live.settle
        # the running maximum of pay; a plain shift where rows never decrease (the usual
        # case: counted dates ascend, uncounted slots hold settle), accumulate elsewhere
        prev[:, 1:] = pay[:, :-1]
        down = np.flatnonzero((pay[:, 1:] < pay[:, :-1]).any(axis=1))
        if down.size:
            prev[down, 1:] = np.maximum.accumulate(pay[down], axis=1)[:, :-1]
    step = _yf(prev, pay, dc)
    if cf.accrual_start is not None:
        has = live.counted & ~np.isnat(cf.accrual_start)
        start = np.where(has, cf.accrual_start.astype(np.int64), prev)
        split = has & (start != prev)
        if bool(split.any()):
            at = np.nonzero(split)  # only the broken periods (elementwise year fractions)
            dc_at = dc if isinstance(dc, DayCount) else dc[at[0]]
            s_at = start[at]
            step[at] = _yf(s_at, pay[at], dc_at) - _yf(s_at, prev[at], dc_at)
    out: FloatArray = np.where(live.counted, step, 0.0)
    return out


def _per_instrument(value: Any, n: int, field: str) -> FloatArray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(field, "must be numbers") from exc
    if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != n):
        raise ValidationError(field, f"must be a scalar or shape ({n},), got {arr.shape}")
    if not bool(np.all(np.isfinite(arr))):
        raise ValidationError(field, "must be finite numbers")
    return np.array(np.broadcast_to(arr, (n,)), dtype=np.float64)


def _check_kind(kind: str) -> None:
    if kind not in ("dirty", "clean"):
        raise ValidationError("kind", "must be 'dirty' or 'clean'", kind)


def _target(cf: CashflowMatrix, price: Any, kind: PriceKind, settlement: Any) -> FloatArray:
    _check_kind(kind)
    target = _per_instrument(price, cf.n, "price")
    if kind == "clean":
        target = target + accrued_interest(cf, settlement=settlement)
    return target


# -- discounting on a curve ----------------------------------------------------------------


def settlement_discount_factors(
    cf: CashflowMatrix, curve: Curve, *, settlement: Any = None
) -> FloatArray:
    """``D(pay) / D(settlement)`` for every counted flow, 0 elsewhere; ``(n, k)``.

    Discount factors to the settlement date (value at settlement of one unit paid).
    Compute them once and pass them as ``curve_or_dfs`` to price many times on the same
    curve and settlement. Settlement must not be before ``curve.as_of``.

    >>> from computefin.pricing.curves import flat_curve
    >>> settlement_discount_factors(_example_book(), flat_curve("2026-06-30", 0.04)).round(6)
    array([[0.960789, 0.923015],
           [0.960789, 0.      ]])
    """
    return _curve_discounts(cf, _live(cf, settlement), curve)


def _curve_discounts(cf: CashflowMatrix, live: _Live, curve: Curve) -> FloatArray:
    as_of = np.datetime64(curve.as_of, "D").astype(np.int64)
    if live.settle.size and int(live.settle.min()) < int(as_of):
        early = int(np.argmin(live.settle))
        raise ValidationError(
            "settlement",
            f"before the curve's as_of {curve.as_of.isoformat()} at row {early} "
            f"({str(cf.ids[early])!r})",
            str(live.settle.astype("datetime64[D]")[early]),
        )
    if live.pay.size == 0:
        return np.zeros(live.pay.shape, dtype=np.float64)
    first = min(int(live.pay.min()), int(live.settle.min()))  # pay >= settle when counted
    last = int(live.pay.max())
    if 4 * (last - first + 1) <= live.pay.size:
        # a big book pays on few distinct days: discount each day once, then look up
        # (the curve is elementwise, so the factors are the same numbers)
        table = curve.discount(np.arange(first, last + 1).astype("datetime64[D]"))
        d_pay = table[live.pay - first]
        d_set = table[live.settle - first]
    else:
        d_pay = curve.discount(live.pay.astype("datetime64[D]"))
        d_set = curve.discount(live.settle.astype("datetime64[D]"))
    d_pay /= d_set[:, None]
    out: FloatArray = np.where(live.counted, d_pay, 0.0)
    return out


def _discounts(cf: CashflowMatrix, live: _Live, curve_or_dfs: Curve | npt.ArrayLike) -> FloatArray:
    if isinstance(curve_or_dfs, Curve):
        return _curve_discounts(cf, live, curve_or_dfs)
    dfs = _matrix(curve_or_dfs, "curve_or_dfs", (cf.n, cf.k), np.float64)
    bad = live.counted & ~(np.isfinite(dfs) & (dfs > 0.0))
    if bool(bad.any()):
        raise ValidationError(
            "curve_or_dfs",
            f"discount factors must be finite and positive; see {_where(cf.ids, bad)}",
        )
    out: FloatArray = np.where(live.counted, dfs, 0.0)
    return out


class _SpreadKernel:
    """``PV(z) = sum CF D exp(-z tau)``, ``tau`` = ACT/365F years from settlement."""

    def __init__(self, cf: CashflowMatrix, curve_or_dfs: Curve | npt.ArrayLike, settlement: Any):
        live = _live(cf, settlement)
        self.weighted = live.amounts * _discounts(cf, live, curve_or_dfs)
        self.tau = (live.pay - live.settle[:, None]).astype(np.float64) / 365.0
        self.n = cf.n

    def _rows(self, rows: IntArray | None) -> tuple[FloatArray, FloatArray]:
        if rows is None or rows.size == self.n:
            return self.weighted, self.tau
        return self.weighted[rows], self.tau[rows]

    def value(self, z: FloatArray, rows: IntArray | None = None) -> FloatArray:
        w, tau = self._rows(rows)
        if not bool(np.any(z)):
            return np.asarray(w.sum(axis=1), dtype=np.float64)
        return np.asarray((w * np.exp(-z[:, None] * tau)).sum(axis=1), dtype=np.float64)

    def value_and_slope(self, z: FloatArray, rows: IntArray) -> tuple[FloatArray, FloatArray]:
        w, tau = self._rows(rows)
        wd = w * np.exp(-z[:, None] * tau)
        return wd.sum(axis=1), -(wd * tau).sum(axis=1)


def present_value(
    cf: CashflowMatrix,
    curve_or_dfs: Curve | npt.ArrayLike,
    *,
    z_spread: float | npt.ArrayLike = 0.0,
    settlement: Any = None,
) -> FloatArray:
    """Dirty present value at settlement of the flows paid after it; ``(n,)`` currency units.

    ``sum_i CF_i D(t_i) / D(settlement) exp(-z (t_i - settlement)/365)``, where ``D`` is
    the curve (or ``curve_or_dfs`` is an ``(n, k)`` array of discount factors to
    settlement, as from :func:`settlement_discount_factors`) and ``z`` a continuous
    spread over ACT/365F time (scalar or per instrument), as
    :meth:`~computefin.pricing.curves.Curve.with_z_spread`. Flows on the settlement date
    are excluded (QuantLib's default). The curve must be in the flows' currency.

    >>> from computefin.pricing.curves import flat_curve
    >>> cf = _example_book()
    >>> curve = flat_curve("2026-06-30", 0.04)
    >>> present_value(cf, curve, z_spread=0.01).round(6)
    array([99.751062, 97.976631])
    >>> present_value(cf, curve, settlement="2027-06-30").round(6)
    array([100.871836,   0.      ])
    """
    kernel = _SpreadKernel(cf, curve_or_dfs, settlement)
    z = _per_instrument(z_spread, cf.n, "z_spread")
    return kernel.value(z)


def accrued_interest(cf: CashflowMatrix, settlement: Any = None) -> FloatArray:
    """Interest accrued at settlement on the next coupon; ``(n,)`` currency units.

    The coupon paid on the first payment date after settlement, times
    ``tau(start, min(settlement, end)) / tau(start, end)`` under ``accrual_day_count``;
    zero when settlement is on or before the accrual start, when that payment has no
    coupon, or when the matrix has no accrual periods. For a fixed-rate coupon this is
    ``nominal * rate * tau(start, settlement)``, QuantLib's ``Bond.accruedAmount`` (per
    100 there) and ``CashFlows.accruedAmount``.

    >>> accrued_interest(_example_book(), settlement="2026-12-31").round(6)
    array([2.520548, 1.512329])
    """
    live = _live(cf, settlement)
    n = cf.n
    if cf.accrual_start is None or cf.accrual_end is None or cf.coupon_amounts is None or not cf.k:
        return np.zeros(n, dtype=np.float64)
    rows = np.arange(n)
    col = np.argmax(live.counted, axis=1)
    any_left = live.counted[rows, col]
    start_d = cf.accrual_start[rows, col]
    has = any_left & ~np.isnat(start_d)
    start = np.where(has, start_d.astype(np.int64), live.settle)
    end = np.where(has, cf.accrual_end[rows, col].astype(np.int64), live.settle)
    running = has & (live.settle > start)
    dc = cf.accrual_day_count if cf.accrual_day_count is not None else cf.day_count
    accrued = _yf(start, np.minimum(live.settle, end), dc)
    period = _yf(start, end, dc)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(running & (period != 0.0), accrued / period, 0.0)
    out: FloatArray = np.where(running, cf.coupon_amounts[rows, col] * share, 0.0)
    return out


def clean_present_value(
    cf: CashflowMatrix,
    curve_or_dfs: Curve | npt.ArrayLike,
    *,
    z_spread: float | npt.ArrayLike = 0.0,
    settlement: Any = None,
) -> FloatArray:
    """Dirty :func:`present_value` minus :func:`accrued_interest`; ``(n,)`` currency units.

    >>> from computefin.pricing.curves import flat_curve
    >>> curve = flat_curve("2026-06-30", 0.04)
    >>> clean_present_value(_example_book(), curve, settlement="2026-12-31").round(6)
    array([101.271946,  99.464732])
    """
    dirty = present_value(cf, curve_or_dfs, z_spread=z_spread, settlement=settlement)
    return dirty - accrued_interest(cf, settlement=settlement)


def z_spread_from_price(
    cf: CashflowMatrix,
    curve_or_dfs: Curve | npt.ArrayLike,
    price: npt.ArrayLike,
    *,
    kind: PriceKind = "dirty",
    settlement: Any = None,
    guess: float | npt.ArrayLike = 0.0,
    tol: float = DEFAULT_TOL,
    bracket: tuple[float | npt.ArrayLike, float | npt.ArrayLike] = _SPREAD_BRACKET,
    on_failure: OnFailure = "raise",
) -> FloatArray:
    """The continuous ACT/365F z-spread that prices each instrument at ``price``; ``(n,)``.

    Solves ``present_value(cf, curve, z_spread=z) == price`` (``kind="clean"``: plus
    accrued) by vectorised Newton with the analytic derivative
    ``-sum CF D tau exp(-z tau)``, with a bracketing fallback on ``bracket`` (default
    -100%..+100%) for elements Newton does not settle; tolerance ``tol`` on ``z``.
    Equal to QuantLib's ``BondFunctions.zSpread(..., Continuous)`` on an ACT/365F curve.
    Raises :class:`~computefin.errors.ConvergenceError` naming the ids that do not
    converge (``on_failure="nan"``: NaN there instead).

    >>> from computefin.pricing.curves import flat_curve
    >>> cf = _example_book()
    >>> curve = flat_curve("2026-06-30", 0.04)
    >>> price = present_value(cf, curve, z_spread=[0.01, -0.002])
    >>> z_spread_from_price(cf, curve, price).round(12)
    array([ 0.01 , -0.002])
    """
    kernel = _SpreadKernel(cf, curve_or_dfs, settlement)
    target = _target(cf, price, kind, settlement)

    def gap(z: FloatArray, rows: IntArray) -> FloatArray:
        return kernel.value(z, rows) - target[rows]

    def gap_slope(z: FloatArray, rows: IntArray) -> tuple[FloatArray, FloatArray]:
        value, slope = kernel.value_and_slope(z, rows)
        return value - target[rows], slope

    return solve_monotone(
        gap,
        bracket[0],
        bracket[1],
        f_and_derivative=gap_slope,
        x0=_per_instrument(guess, cf.n, "guess"),
        size=cf.n,
        tol=tol,
        ids=cf.ids,
        name="z_spread_from_price",
        on_failure=on_failure,
    )


def _pv_shifted(
    cf: CashflowMatrix,
    curve_or_dfs: Curve | npt.ArrayLike,
    shift: float,
    z: FloatArray,
    settlement: Any,
) -> FloatArray:
    if isinstance(curve_or_dfs, Curve):
        return present_value(
            cf, curve_or_dfs.shifted(parallel=shift), z_spread=z, settlement=settlement
        )
    return present_value(cf, curve_or_dfs, z_spread=z + shift, settlement=settlement)


def dv01(
    cf: CashflowMatrix,
    curve_or_dfs: Curve | npt.ArrayLike,
    *,
    z_spread: float | npt.ArrayLike = 0.0,
    settlement: Any = None,
    bump: float = _BP,
) -> FloatArray:
    """PV change for a 1bp parallel fall of the curve; ``(n,)`` currency per bp.

    Central difference ``(PV(curve - h) - PV(curve + h)) / 2 * (1bp / h)`` with
    ``h = bump`` (default 1bp), the curve moved by
    :meth:`~computefin.pricing.curves.Curve.shifted` (continuous ACT/365F zero rates),
    PVs dirty at settlement, any ``z_spread`` held. Positive for a long position in
    positive cash flows. With discount factors instead of a curve the shift multiplies
    them by ``exp(-h tau)``, the same operation. The central difference is exact to
    ``O(h^2)``: about ``1e-8`` relative to the derivative at 1bp.

    >>> from computefin.pricing.curves import flat_curve
    >>> dv01(_example_book(), flat_curve("2026-06-30", 0.04)).round(6)
    array([0.01989 , 0.009896])
    """
    h = _bump(bump)
    z = _per_instrument(z_spread, cf.n, "z_spread")
    down = _pv_shifted(cf, curve_or_dfs, -h, z, settlement)
    up = _pv_shifted(cf, curve_or_dfs, h, z, settlement)
    out: FloatArray = (down - up) * 0.5 * (_BP / h)
    return out


def cs01(
    cf: CashflowMatrix,
    curve_or_dfs: Curve | npt.ArrayLike,
    *,
    z_spread: float | npt.ArrayLike = 0.0,
    settlement: Any = None,
    bump: float = _BP,
) -> FloatArray:
    """PV change for a 1bp fall of the z-spread; ``(n,)`` currency per bp.

    ``(PV(z - h) - PV(z + h)) / 2 * (1bp / h)`` around ``z_spread``. Because the z-spread
    and :meth:`~computefin.pricing.curves.Curve.shifted` are both continuous spreads over
    ACT/365F time, CS01 equals :func:`dv01` at the same z-spread (to rounding); the two
    differ once the curve also projects the cash flows (floating-rate products).

    >>> from computefin.pricing.curves import flat_curve
    >>> cs01(_example_book(), flat_curve("2026-06-30", 0.04), z_spread=0.01).round(6)
    array([0.019501, 0.009798])
    """
    h = _bump(bump)
    kernel = _SpreadKernel(cf, curve_or_dfs, settlement)
    z = _per_instrument(z_spread, cf.n, "z_spread")
    out: FloatArray = (kernel.value(z - h) - kernel.value(z + h)) * 0.5 * (_BP / h)
    return out


def _bump(bump: float) -> float:
    h = float(bump)
    if not (np.isfinite(h) and 0.0 < h <= 0.01):
        raise ValidationError("bump", "must be in (0, 0.01] (a decimal: 1e-4 is 1bp)", bump)
    return h


# -- yields ----------------------------------------------------------------------------------


class _YieldKernel:
    """Price and its first two derivatives in the yield, QuantLib's stepwise discounting."""

    def __init__(
        self,
        cf: CashflowMatrix,
        settlement: Any,
        compounding: str,
        frequency: Any,
        day_count: Any,
        live: _Live | None = None,
    ) -> None:
        if compounding not in _COMPOUNDINGS:
            raise ValidationError("compounding", f"one of {', '.join(_COMPOUNDINGS)}", compounding)
        live = _live(cf, settlement) if live is None else live
        dc = cf.day_count if day_count is None else _day_counts(day_count, cf.n, "day_count")
        freq = cf.frequency if frequency is None else _frequency(frequency, cf.n, "frequency")
        self.n = cf.n
        self.compounding = compounding
        self.amounts = live.amounts
        self.steps = _steps(cf, live, dc)
        self.times = np.cumsum(self.steps, axis=1)
        self.freq = freq.astype(np.float64)

    def lower_bound(self) -> FloatArray:
        """Default lower end of the yield bracket (inside the discount factors' domain)."""
        if self.compounding != "simple" or self.steps.shape[1] == 0:
            return np.full(self.n, _YIELD_LO)
        longest = np.maximum(self.steps.max(axis=1, initial=0.0), 1.0)
        out: FloatArray = _YIELD_LO / longest
        return out

    def terms(
        self, y: FloatArray, rows: IntArray | None, order: int
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Price, dP/dy and d2P/dy2 (the last two zero unless ``order`` asks for them).

        Compounded and continuous yields discount flow ``i`` by ``exp(-r t_i)`` with one
        rate ``r`` per instrument, so the derivatives factor out of the sums:
        ``P' = -sum(w t) / base`` and ``P'' = (sum(w t^2) + sum(w t) / f) / base^2``
        (``base = 1 + y/f``; continuous: ``P' = -sum(w t)``, ``P'' = sum(w t^2)``), with
        ``w = CF exp(-r t)``: one ``(n, k)`` buffer, updated in place.
        """
        full = rows is None or rows.size == self.n

        def pick(x: npt.NDArray[Any]) -> npt.NDArray[Any]:
            return x if full else x[rows]

        c = pick(self.amounts)
        zero = np.zeros(y.shape, dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if self.compounding == "simple":
                return self._simple_terms(c, pick(self.steps), y, order)
            times = pick(self.times)
            if self.compounding == "continuous":
                rate = y
                base = None
            else:
                f = pick(self.freq)
                base = 1.0 + y / f
                rate = f * np.log1p(y / f)
            w = np.multiply(times, -rate[:, None])
            np.exp(w, out=w)
            w *= c
            price: FloatArray = w.sum(axis=1)
            if order < 1:
                return price, zero, zero
            if order < 2:
                wt = np.einsum("ij,ij->i", w, times)
                return price, (-wt if base is None else -wt / base), zero
            w *= times
            wt = w.sum(axis=1)
            wtt = np.einsum("ij,ij->i", w, times)
            if base is None:
                return price, -wt, wtt
            return price, -wt / base, (wtt + wt / f) / (base * base)

    @staticmethod
    def _simple_terms(
        c: FloatArray, steps: FloatArray, y: FloatArray, order: int
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Simple yields: each step discounts by ``1 + y dt`` (cumulative products)."""
        yy = y[:, None]
        base = 1.0 + yy * steps
        log_d = -np.cumsum(np.log1p(yy * steps), axis=1)
        weighted = c * np.exp(log_d)
        price = weighted.sum(axis=1)
        zero = np.zeros_like(price)
        if order < 1:
            return price, zero, zero
        ratio = steps / base
        slope = -np.cumsum(ratio, axis=1)
        d1 = (weighted * slope).sum(axis=1)
        if order < 2:
            return price, d1, zero
        curve = np.cumsum(ratio * ratio, axis=1)
        d2 = (weighted * (slope * slope + curve)).sum(axis=1)
        return price, d1, d2


def price_from_yield(
    cf: CashflowMatrix,
    y: float | npt.ArrayLike,
    *,
    compounding: YieldCompounding = "compounded",
    frequency: Any = None,
    day_count: Any = None,
    settlement: Any = None,
    kind: PriceKind = "dirty",
) -> FloatArray:
    """Price of each instrument at yield ``y`` (scalar or ``(n,)``); ``(n,)`` currency units.

    QuantLib's ``CashFlows.npv(leg, InterestRate(y, dc, compounding, f), False,
    settlement, settlement)``: stepwise discounting over the flows after settlement (see
    the module docstring), ``dc``/``f`` from the matrix unless overridden.
    ``kind="clean"`` subtracts accrued interest.

    >>> price_from_yield(_example_book(), 0.05).round(6)
    array([99.98727 , 98.095238])
    """
    _check_kind(kind)
    kernel = _YieldKernel(cf, settlement, compounding, frequency, day_count)
    price = kernel.terms(_per_instrument(y, cf.n, "y"), None, 0)[0]
    if kind == "clean":
        price = price - accrued_interest(cf, settlement=settlement)
    return price


def yield_from_price(
    cf: CashflowMatrix,
    price: npt.ArrayLike,
    *,
    kind: PriceKind = "dirty",
    compounding: YieldCompounding = "compounded",
    frequency: Any = None,
    day_count: Any = None,
    settlement: Any = None,
    guess: float | npt.ArrayLike = 0.05,
    tol: float = DEFAULT_TOL,
    bracket: tuple[float | npt.ArrayLike, float | npt.ArrayLike] | None = None,
    on_failure: OnFailure = "raise",
) -> FloatArray:
    """Yield to maturity that reprices each instrument at ``price``; ``(n,)`` decimals.

    Inverts :func:`price_from_yield` (``kind="clean"``: the price excludes accrued) by
    vectorised Newton with the analytic derivative from ``guess`` (default 5%, as
    QuantLib), then a bracketing fallback on ``bracket`` (default ``-99%..1000%``; for
    simple yields the lower end is scaled so every step stays in the domain) for
    elements Newton does not settle. Tolerance ``tol`` (1e-12) on the yield. Matches
    ``BondFunctions.bondYield`` with the same day count, compounding and frequency.
    Instruments with no flow after settlement, a non-positive price, or no root in the
    bracket raise :class:`~computefin.errors.ConvergenceError` naming their ids
    (``on_failure="nan"``: NaN there instead).

    >>> cf = _example_book()
    >>> yield_from_price(cf, price_from_yield(cf, [0.05, 0.07])).round(12)
    array([0.05, 0.07])
    >>> yield_from_price(cf, [100.0, -1.0])
    Traceback (most recent call last):
    ...
    computefin.errors.ConvergenceError: yield_from_price: 1 of 2 did not converge ... [bond-b]
    """
    kernel = _YieldKernel(cf, settlement, compounding, frequency, day_count)
    target = _target(cf, price, kind, settlement)
    return _solve_yield(kernel, cf, target, guess, tol, bracket, on_failure)


def _solve_yield(
    kernel: _YieldKernel,
    cf: CashflowMatrix,
    target: FloatArray,
    guess: float | npt.ArrayLike,
    tol: float,
    bracket: tuple[float | npt.ArrayLike, float | npt.ArrayLike] | None,
    on_failure: OnFailure,
) -> FloatArray:
    lo, hi = (kernel.lower_bound(), _YIELD_HI) if bracket is None else bracket

    def gap(y: FloatArray, rows: IntArray) -> FloatArray:
        value = kernel.terms(y, rows, 0)[0]
        value -= target if rows.size == target.size else target[rows]
        return value

    def gap_slope(y: FloatArray, rows: IntArray) -> tuple[FloatArray, FloatArray]:
        value, slope, _ = kernel.terms(y, rows, 1)
        value -= target if rows.size == target.size else target[rows]
        return value, slope

    return solve_monotone(
        gap,
        lo,
        hi,
        f_and_derivative=gap_slope,
        x0=_per_instrument(guess, cf.n, "guess"),
        size=cf.n,
        tol=tol,
        ids=cf.ids,
        name="yield_from_price",
        on_failure=on_failure,
    )


def modified_duration(
    cf: CashflowMatrix,
    y: float | npt.ArrayLike,
    *,
    compounding: YieldCompounding = "compounded",
    frequency: Any = None,
    day_count: Any = None,
    settlement: Any = None,
) -> FloatArray:
    """Modified duration ``-P'(y) / P(y)`` in years; ``(n,)``; 0 where ``P == 0``.

    ``BondFunctions.duration(bond, InterestRate(y, ...), Duration.Modified, settlement)``.

    >>> modified_duration(_example_book(), 0.05).round(8)
    array([1.86188965, 0.95238095])
    """
    kernel = _YieldKernel(cf, settlement, compounding, frequency, day_count)
    price, slope, _ = kernel.terms(_per_instrument(y, cf.n, "y"), None, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = np.where(price != 0.0, -slope / price, 0.0)
    return out


def macaulay_duration(
    cf: CashflowMatrix,
    y: float | npt.ArrayLike,
    *,
    frequency: Any = None,
    day_count: Any = None,
    settlement: Any = None,
) -> FloatArray:
    """Macaulay duration ``(1 + y/f)`` times the modified duration, in years; ``(n,)``.

    Compounded yields only, as in QuantLib (``Duration.Macaulay``).

    >>> macaulay_duration(_example_book(), 0.05).round(8)
    array([1.95498414, 1.        ])
    """
    kernel = _YieldKernel(cf, settlement, "compounded", frequency, day_count)
    yy = _per_instrument(y, cf.n, "y")
    price, slope, _ = kernel.terms(yy, None, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        modified = np.where(price != 0.0, -slope / price, 0.0)
    out: FloatArray = (1.0 + yy / kernel.freq) * modified
    return out


def convexity(
    cf: CashflowMatrix,
    y: float | npt.ArrayLike,
    *,
    compounding: YieldCompounding = "compounded",
    frequency: Any = None,
    day_count: Any = None,
    settlement: Any = None,
) -> FloatArray:
    """Convexity ``P''(y) / P(y)`` in years squared; ``(n,)``; 0 where ``P == 0``.

    ``BondFunctions.convexity(bond, InterestRate(y, ...), settlement)``.

    >>> convexity(_example_book(), 0.05).round(8)
    array([5.28122716, 1.81405896])
    """
    kernel = _YieldKernel(cf, settlement, compounding, frequency, day_count)
    price, _, second = kernel.terms(_per_instrument(y, cf.n, "y"), None, 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = np.where(price != 0.0, second / price, 0.0)
    return out


# -- principal -------------------------------------------------------------------------------


def weighted_average_life(
    cf: CashflowMatrix,
    *,
    principal: npt.ArrayLike | None = None,
    settlement: Any = None,
    day_count: Any = None,
) -> FloatArray:
    """Weighted average life in years: ``sum P_i t_i / sum P_i``; ``(n,)``.

    ``P_i`` the principal paid after settlement (``principal``, else the matrix's
    ``principal``), ``t_i`` the year fraction from settlement under ``day_count`` (default
    the matrix's). 0 for an instrument with no principal left.

    >>> weighted_average_life(_example_book()).round(8)
    array([2.00273973, 1.        ])
    """
    return _wal(cf, _live(cf, settlement), principal, day_count)


def _wal(cf: CashflowMatrix, live: _Live, principal: Any, day_count: Any) -> FloatArray:
    if principal is None:
        if cf.principal is None:
            raise ValidationError(
                "principal", "give principal= or build the CashflowMatrix with principal amounts"
            )
        amounts = cf.principal  # validated (or trusted): finite, 0 where not alive
    else:
        amounts = _money(principal, "principal", (cf.n, cf.k), cf.alive, cf.ids)
    paid = np.where(live.counted, amounts, 0.0)
    dc = cf.day_count if day_count is None else _day_counts(day_count, cf.n, "day_count")
    t = _yf(np.broadcast_to(live.settle[:, None], live.pay.shape), live.pay, dc)
    total = paid.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = np.where(total != 0.0, (paid * t).sum(axis=1) / total, 0.0)
    return out


# -- everything at once ------------------------------------------------------------------


class BondMeasures(NamedTuple):
    """The figures of :func:`bond_measures`, each ``(n,)``."""

    pv: FloatArray
    """Dirty present value on the curve (:func:`present_value`)."""
    ytm: FloatArray
    """Yield at ``price`` (:func:`yield_from_price`); at the PV when no price is given."""
    wal: FloatArray
    """Weighted average life (:func:`weighted_average_life`); NaN without principal."""
    modified_duration: FloatArray
    """:func:`modified_duration` at ``ytm``."""
    macaulay_duration: FloatArray
    """:func:`macaulay_duration` at ``ytm``; NaN unless yields are compounded."""
    convexity: FloatArray
    """:func:`convexity` at ``ytm``."""


def bond_measures(
    cf: CashflowMatrix,
    curve_or_dfs: Curve | npt.ArrayLike,
    *,
    price: npt.ArrayLike | None = None,
    kind: PriceKind = "dirty",
    compounding: YieldCompounding = "compounded",
    frequency: Any = None,
    day_count: Any = None,
    wal_day_count: Any = None,
    settlement: Any = None,
    guess: float | npt.ArrayLike = 0.05,
    tol: float = DEFAULT_TOL,
    bracket: tuple[float | npt.ArrayLike, float | npt.ArrayLike] | None = None,
    on_failure: OnFailure = "raise",
) -> BondMeasures:
    """PV, yield, WAL, modified and Macaulay duration and convexity in one pass.

    The same figures as the separate functions (to rounding; a test holds them within
    1e-12), computed with shared work: the flows after settlement, their discount
    factors and the yield's stepwise times are found once, the yield is solved once
    (at ``price``, by default the dirty PV on the curve, as a loan valued at its fair
    value) and the three yield risks come from one evaluation of the price and its two
    derivatives at that yield. ``day_count`` / ``frequency`` / ``compounding`` are the
    yield's (default: the matrix's), ``wal_day_count`` WAL's (default: the matrix's day
    count). Errors as :func:`yield_from_price`.

    >>> from computefin.pricing.curves import flat_curve
    >>> m = bond_measures(_example_book(), flat_curve("2026-06-30", 0.04))
    >>> m.pv.round(6)
    array([101.720542,  98.961312])
    >>> m.ytm.round(8), m.modified_duration.round(8)
    (array([0.04081077, 0.04081077]), array([1.87871174, 0.96078944]))
    """
    fused = _fused_measures(
        cf, curve_or_dfs, price, kind, compounding, frequency, day_count, wal_day_count,
        settlement, guess, tol, bracket, on_failure,
    )  # fmt: skip
    if fused is not None:
        return fused
    return numpy_bond_measures(
        cf, curve_or_dfs, price=price, kind=kind, compounding=compounding,
        frequency=frequency, day_count=day_count, wal_day_count=wal_day_count,
        settlement=settlement, guess=guess, tol=tol, bracket=bracket, on_failure=on_failure,
    )  # fmt: skip


def numpy_bond_measures(
    cf: CashflowMatrix,
    curve_or_dfs: Curve | npt.ArrayLike,
    *,
    price: npt.ArrayLike | None = None,
    kind: PriceKind = "dirty",
    compounding: YieldCompounding = "compounded",
    frequency: Any = None,
    day_count: Any = None,
    wal_day_count: Any = None,
    settlement: Any = None,
    guess: float | npt.ArrayLike = 0.05,
    tol: float = DEFAULT_TOL,
    bracket: tuple[float | npt.ArrayLike, float | npt.ArrayLike] | None = None,
    on_failure: OnFailure = "raise",
) -> BondMeasures:
    """:func:`bond_measures` by the whole-array numpy kernels (the reference the compiled
    path is tested against; also what runs where that path does not apply).

    >>> from computefin.pricing.curves import flat_curve
    >>> numpy_bond_measures(_example_book(), flat_curve("2026-06-30", 0.04)).pv.round(6)
    array([101.720542,  98.961312])
    """
    live = _live(cf, settlement)
    pv: FloatArray = (live.amounts * _discounts(cf, live, curve_or_dfs)).sum(axis=1)
    kernel = _YieldKernel(cf, settlement, compounding, frequency, day_count, live)
    target = (
        pv
        if price is None and kind == "dirty"
        else _target(cf, pv if price is None else price, kind, settlement)
    )
    ytm = _solve_yield(kernel, cf, target, guess, tol, bracket, on_failure)
    value, slope, second = kernel.terms(ytm, None, 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        nonzero = value != 0.0
        modified: FloatArray = np.where(nonzero, -slope / value, 0.0)
        convex: FloatArray = np.where(nonzero, second / value, 0.0)
    macaulay: FloatArray = (
        (1.0 + ytm / kernel.freq) * modified
        if compounding == "compounded"
        else np.full(cf.n, np.nan)
    )
    wal = np.full(cf.n, np.nan) if cf.principal is None else _wal(cf, live, None, wal_day_count)
    return BondMeasures(pv, ytm, wal, modified, macaulay, convex)


_DAY_DENOMINATORS: Final[dict[DayCount, float]] = {
    DayCount.ACT_360: 360.0,
    DayCount.ACT_365F: 365.0,
}
"""Day counts whose year fraction is whole days over a constant (the compiled path's)."""
_MAX_TABLE_DAYS: Final[int] = 200_000
"""Widest payment-date span (days) discounted through a per-day table by the compiled path."""


def _denominators(dc: DayCounts, n: int) -> FloatArray | None:
    """Per instrument, the day count's denominator; None unless all are ACT/360 or ACT/365F."""
    if isinstance(dc, DayCount):
        den = _DAY_DENOMINATORS.get(dc)
        return None if den is None else np.full(n, den)
    out = np.full(n, np.nan)
    for name, den in _DAY_DENOMINATORS.items():
        out[dc == name.value] = den
    return None if bool(np.isnan(out).any()) else out


def _fused_measures(
    cf: CashflowMatrix,
    curve_or_dfs: Curve | npt.ArrayLike,
    price: npt.ArrayLike | None,
    kind: PriceKind,
    compounding: YieldCompounding,
    frequency: Any,
    day_count: Any,
    wal_day_count: Any,
    settlement: Any,
    guess: float | npt.ArrayLike,
    tol: float,
    bracket: tuple[float | npt.ArrayLike, float | npt.ArrayLike] | None,
    on_failure: OnFailure,
) -> BondMeasures | None:
    """:func:`bond_measures` by the compiled kernel (:mod:`computefin.pricing._fused`), or
    None where it does not apply: a non-ACT/360-or-ACT/365F day count, simple yields, a
    clean price, discount factors instead of a curve, a given bracket, an empty matrix
    or one wider than 128 slots, a wide date span, or arguments the numpy path rejects
    (it raises the error)."""
    n, k = cf.n, cf.k
    if (
        n == 0
        or k == 0
        or k > _fused.MAX_WIDTH
        or not isinstance(curve_or_dfs, Curve)
        or compounding not in ("compounded", "continuous")
        or kind != "dirty"
        or bracket is not None
        or on_failure not in ("raise", "nan")
        or not (np.isfinite(tol) and tol > 0.0)
        or not _fused.available()
    ):
        return None
    dc = cf.day_count if day_count is None else _day_counts(day_count, n, "day_count")
    wal_dc = cf.day_count if wal_day_count is None else _day_counts(wal_day_count, n, "day_count")
    yield_den = _denominators(dc, n)
    wal_den = _denominators(wal_dc, n)
    if yield_den is None or wal_den is None:
        return None
    settle = (
        cf.settlement.astype(np.int64) if settlement is None else _settlement_days(settlement, n)
    )
    pay = cf.pay_dates.view(np.int64)
    first, last = int(settle.min()), max(int(pay.max()), int(settle.max()))
    as_of = int(np.datetime64(curve_or_dfs.as_of, "D").astype(np.int64))
    if first < as_of or last - first > _MAX_TABLE_DAYS:
        return None  # the numpy path raises for a settlement before the curve
    freq = cf.frequency if frequency is None else _frequency(frequency, n, "frequency")
    target = None if price is None else _per_instrument(price, n, "price")
    x0 = _per_instrument(guess, n, "guess")
    table = np.asarray(
        curve_or_dfs.discount(np.arange(first, last + 1).astype("datetime64[D]")),
        dtype=np.float64,
    )
    pv, ytm, wal, modified, macaulay, convex, left = _fused.measures(
        pay,
        np.ascontiguousarray(cf.alive),
        np.ascontiguousarray(cf.amounts),
        None if cf.accrual_start is None else cf.accrual_start.view(np.int64),
        cf.principal,
        settle,
        freq.astype(np.float64),
        yield_den,
        wal_den,
        table,
        first,
        target,
        x0,
        np.full(n, _YIELD_LO),
        np.full(n, _YIELD_HI),
        float(tol),
        _NEWTON_ITER,
        compounding == "compounded",
    )
    if bool(left.any()):
        rows = np.flatnonzero(left)
        sub = cf.take(rows)
        sub_dc = dc if isinstance(dc, DayCount) else dc[rows]
        kernel = _YieldKernel(sub, settle[rows].astype("datetime64[D]"), compounding,
                              freq[rows], sub_dc)  # fmt: skip
        goal = pv[rows] if target is None else target[rows]
        solved = _solve_yield(kernel, sub, goal, x0[rows], tol, None, "nan")
        failed = np.isnan(solved)
        if bool(failed.any()) and on_failure == "raise":
            raise fail_report("yield_from_price", rows[failed], n, tol, cf.ids)
        value, slope, second = kernel.terms(solved, None, 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            nonzero = value != 0.0
            ytm[rows] = solved
            modified[rows] = np.where(nonzero, -slope / value, 0.0)
            convex[rows] = np.where(nonzero, second / value, 0.0)
            if compounding == "compounded":
                macaulay[rows] = (1.0 + solved / kernel.freq) * modified[rows]
    if cf.principal is None:
        wal = np.full(n, np.nan)
    return BondMeasures(pv, ytm, wal, modified, macaulay, convex)
