"""Discount curves: flat, zero and bootstrapped, evaluated on arrays exactly as QuantLib does.

A :class:`Curve` wraps a QuantLib ``YieldTermStructure`` (``curve.ql`` is its handle, for
QuantLib instruments) and evaluates discount factors, zero rates and forward rates on whole
``datetime64`` arrays in numpy. QuantLib is sampled once, at the curve's nodes; between
and beyond the nodes numpy repeats QuantLib's own interpolation and extrapolation formulas,
so results agree with ``curve.ql.discount(date)`` to rounding (tested to 1e-12).

=======================  ============================  ==================================
constructor              QuantLib term structure       interpolation / extrapolation
=======================  ============================  ==================================
:func:`flat_curve`       ``ql.FlatForward``            closed form
:func:`zero_curve`       ``ql.ZeroCurve``              linear in zero rate; flat forward
:func:`bootstrap_curve`  ``ql.DiscountCurve`` from a   log-linear in discount factor;
                         ``PiecewiseLogLinearDiscount``  flat forward
=======================  ============================  ==================================

Curves are immutable. :meth:`Curve.shifted` and :meth:`Curve.with_z_spread` add a
continuous spread over ACT/365F time without rebuilding anything; the shifted curve's
``.ql`` is a ``ql.ZeroSpreadedTermStructure`` on the base handle. Every curve is fixed to
its ``as_of`` date: it does not move when QuantLib's global evaluation date changes.

Evaluation methods (:meth:`Curve.discount`, :meth:`Curve.zero_rate`,
:meth:`Curve.forward_rate`, :meth:`Curve.year_fraction`) return a ``float`` for a single
date and a float64 array of the input's shape for an array, list or tuple of dates (an
empty one gives an empty array). Dates are parsed strictly
(:mod:`computefin.pricing._dates`): numbers are never read as dates.

>>> import numpy as np
>>> curve = flat_curve("2026-06-30", 0.02)
>>> curve.discount(np.array(["2027-06-30"], dtype="datetime64[D]"))
array([0.98019867])
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Literal, Protocol, overload

import numpy as np
import numpy.typing as npt
import QuantLib as ql

from computefin.domain._types import Currency, check_rate
from computefin.domain.conventions import DayCount
from computefin.domain.market import QuoteKind, RateIndex, RateQuote
from computefin.errors import FieldProblem, MarketDataError, ValidationError
from computefin.pricing._bootstrap import (
    CURVE_INDICES,
    bootstrap_nodes,
    check_quotes,
    quote_label,
    resolve_calendar,
    zero_pillars,
)
from computefin.pricing._dates import (
    DateLike,
    DatesLike,
    FloatArray,
    IntArray,
    as_day,
    as_days,
    date_to_day,
    day_to_date,
    day_to_iso,
    day_to_ql,
)
from computefin.pricing._ql import parse_day_count, ql_day_count
from computefin.pricing.calendars import MarketCalendar
from computefin.pricing.daycounts import year_fraction_days

__all__ = [
    "CURVE_INDICES",
    "Compounding",
    "Curve",
    "CurveKind",
    "CurveSpec",
    "bootstrap_curve",
    "build_curves",
    "curve_set",
    "flat_curve",
    "zero_curve",
]

Compounding = Literal["continuous", "annual", "simple"]
"""How a flat rate or a reported zero rate compounds."""
CurveKind = Literal["flat", "linear_zero", "log_linear_discount"]
"""The curve's QuantLib type: FlatForward, ZeroCurve (linear), DiscountCurve (log-linear)."""

_COMPOUNDING: Final[dict[str, tuple[int, int]]] = {
    "continuous": (ql.Continuous, ql.Annual),
    "annual": (ql.Compounded, ql.Annual),
    "simple": (ql.Simple, ql.Annual),
}
_KINDS: Final[frozenset[str]] = frozenset({"flat", "linear_zero", "log_linear_discount"})
_QL_DT: Final[float] = 1e-4  # QuantLib's time step for the zero rate at the reference date
# Time in ACT/365F years per unit of curve time, where the ratio is constant.
_SPREAD_SCALE: Final[dict[DayCount, float]] = {DayCount.ACT_365F: 1.0, DayCount.ACT_360: 360 / 365}


def _currency(value: Currency | str, field: str = "currency") -> Currency:
    try:
        return Currency(value.strip().upper() if isinstance(value, str) else value)
    except ValueError as exc:
        known = ", ".join(c.value for c in Currency)
        raise ValidationError(field, f"unknown currency code; known: {known}", value) from exc


def _rate(value: float, field: str) -> float:
    if isinstance(value, bool):
        raise ValidationError(field, "must be a number", value)
    try:
        return check_rate(float(value))
    except (TypeError, ValueError) as exc:
        raise ValidationError(field, str(exc), value) from exc


def _spread(value: float, field: str) -> float:
    try:
        s = float(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(field, "must be a number", value) from exc
    if not math.isfinite(s):
        raise ValidationError(field, "must be a finite number", value)
    if abs(s) > 1.0:
        raise ValidationError(
            field, "spreads are decimals (0.01 means 100bp); this looks like a percentage", value
        )
    return s


@dataclass(frozen=True)
class CurveSpec:
    """Plain data that defines a curve: picklable, sent to workers, rebuilt with ``Curve(spec)``.

    ``dates``/``values`` are the nodes of ``linear_zero`` (continuous zero rates under
    ``day_count``) and ``log_linear_discount`` curves (discount factors); the first node is
    ``as_of``. ``rate``/``compounding`` define a ``flat`` curve. ``spread`` is a continuous
    spread over ACT/365F time added on top. ``calendar`` records the identifier of the
    calendar a bootstrap used (``None`` when no calendar was involved).

    Every field is checked on construction (``ValidationError`` naming
    ``CurveSpec.<field>``); names are normalised (``currency="usd"`` becomes
    ``Currency.USD``, dates become ``datetime.date``).

    >>> spec = flat_curve("2026-06-30", 0.03).spec
    >>> spec.kind, spec.rate, spec.day_count.value
    ('flat', 0.03, 'ACT/365F')
    >>> CurveSpec(kind="flat", as_of=dt.date(2026, 6, 30), currency="XXX")
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: CurveSpec.currency: unknown currency code; ... (got 'XXX')
    """

    kind: CurveKind
    as_of: dt.date
    currency: Currency = Currency.CNY
    day_count: DayCount = DayCount.ACT_365F
    dates: tuple[dt.date, ...] = ()
    values: tuple[float, ...] = ()
    rate: float = 0.0
    compounding: Compounding = "continuous"
    index: RateIndex | None = None
    extrapolate: bool = True
    spread: float = 0.0
    calendar: str | None = None

    def __post_init__(self) -> None:
        sets = object.__setattr__
        if self.kind not in _KINDS:
            raise ValidationError(
                "CurveSpec.kind", "must be flat, linear_zero or log_linear_discount", self.kind
            )
        as_of = as_day(self.as_of, "CurveSpec.as_of")
        sets(self, "as_of", day_to_date(as_of))
        sets(self, "currency", _currency(self.currency, "CurveSpec.currency"))
        sets(self, "day_count", parse_day_count(self.day_count, "CurveSpec.day_count"))
        if self.compounding not in _COMPOUNDING:
            raise ValidationError(
                "CurveSpec.compounding", f"one of {', '.join(_COMPOUNDING)}", self.compounding
            )
        if self.index is not None:
            try:
                sets(self, "index", RateIndex(self.index))
            except ValueError as exc:
                raise ValidationError("CurveSpec.index", "unknown rate index", self.index) from exc
            assert self.index is not None
            if self.index.currency is not self.currency:
                raise ValidationError(
                    "CurveSpec.currency",
                    f"{self.index.value} curves are in {self.index.currency.value}",
                    self.currency.value,
                )
        if not isinstance(self.extrapolate, bool | np.bool_):
            raise ValidationError(
                "CurveSpec.extrapolate", "must be True or False", self.extrapolate
            )
        sets(self, "extrapolate", bool(self.extrapolate))
        sets(self, "spread", _spread(self.spread, "CurveSpec.spread"))
        if self.calendar is not None and not isinstance(self.calendar, str):
            raise ValidationError(
                "CurveSpec.calendar", "must be a calendar identifier or None", self.calendar
            )
        days = [as_day(d, f"CurveSpec.dates[{i}]") for i, d in enumerate(self.dates)]
        sets(self, "dates", tuple(day_to_date(d) for d in days))
        values = [_finite(v, f"CurveSpec.values[{i}]") for i, v in enumerate(self.values)]
        sets(self, "values", tuple(values))
        if self.kind == "flat":
            sets(self, "rate", _rate(self.rate, "CurveSpec.rate"))
            if days or values:
                raise ValidationError("CurveSpec.dates", "a flat curve has no nodes")
            return
        if len(days) < 2 or len(days) != len(values):
            raise ValidationError(
                "CurveSpec.dates",
                f"need two or more nodes, one value per date ({len(days)} dates, "
                f"{len(values)} values)",
            )
        if days[0] != as_of:
            raise ValidationError(
                "CurveSpec.dates", "the first node must be as_of", self.dates[0].isoformat()
            )
        for i in range(1, len(days)):
            if days[i] <= days[i - 1]:
                raise ValidationError(
                    f"CurveSpec.dates[{i}]",
                    "node dates must strictly increase",
                    day_to_iso(days[i]),
                )
        if self.kind == "linear_zero":
            for i, v in enumerate(values):
                _rate(v, f"CurveSpec.values[{i}]")
        elif values[0] != 1.0 or not all(v > 0.0 for v in values):
            raise ValidationError(
                "CurveSpec.values", "discount factors must be positive, the first 1.0"
            )


def _finite(value: Any, field: str) -> float:
    """A finite float (node values)."""
    if isinstance(value, bool):
        raise ValidationError(field, "must be a number", value)
    try:
        out = float(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(field, "must be a number", value) from exc
    if not math.isfinite(out):
        raise ValidationError(field, "must be finite", value)
    return out


def _term_structure(spec: CurveSpec) -> Any:
    """The QuantLib term structure of a (validated) spec, without the spread."""
    ref = day_to_ql(date_to_day(spec.as_of))
    dc = ql_day_count(spec.day_count)
    if spec.kind == "flat":
        comp, freq = _COMPOUNDING[spec.compounding]
        ts = ql.FlatForward(ref, spec.rate, dc, comp, freq)
    else:
        dates = [day_to_ql(date_to_day(d)) for d in spec.dates]
        values = list(spec.values)
        if spec.kind == "linear_zero":
            ts = ql.ZeroCurve(dates, values, dc, ql.NullCalendar(), ql.Linear(), ql.Continuous)
        else:
            ts = ql.DiscountCurve(dates, values, dc, ql.NullCalendar())
    if spec.extrapolate:
        ts.enableExtrapolation()
    return ts


def _out(values: FloatArray) -> float | FloatArray:
    """A float for a 0-d result (a single date given), else the array."""
    return float(values) if values.ndim == 0 else values


class Curve:
    """An immutable discount curve: numpy evaluation on date arrays, QuantLib underneath.

    Build curves with :func:`flat_curve`, :func:`zero_curve` or :func:`bootstrap_curve`
    (or ``Curve(spec)`` from a :class:`CurveSpec`). Dates are ``datetime64[D]`` arrays of
    any shape (or lists, or single dates); results are float64 arrays of the same shape.
    Dates before ``as_of`` raise :class:`~computefin.errors.ValidationError`.

    >>> c = flat_curve("2026-06-30", 0.03, currency="USD")
    >>> c.as_of, c.currency.value, c.day_count.value, c.interpolation
    (datetime.date(2026, 6, 30), 'USD', 'ACT/365F', 'flat')
    >>> round(c.ql.discount(ql.Date(30, 6, 2027)), 10) == round(float(c.discount("2027-06-30")), 10)
    True
    """

    __slots__ = (
        "_as_of_day",
        "_handle",
        "_max_day",
        "_nodes",
        "_spec",
        "_spread_curve",
        "_tail",
        "_ts",
    )
    _spec: CurveSpec
    _as_of_day: IntArray
    _spread_curve: float
    _ts: tuple[Any, Any]
    _handle: Any
    _nodes: tuple[FloatArray, FloatArray, FloatArray] | None
    _tail: tuple[float, float, float] | None
    _max_day: int | None

    def __init__(self, spec: CurveSpec, *, _base: Curve | None = None) -> None:
        base_ts = _term_structure(spec) if _base is None else _base._root_ts()
        sets = object.__setattr__
        sets(self, "_spec", spec)
        sets(self, "_as_of_day", np.asarray(date_to_day(spec.as_of), dtype=np.int64))
        scale = 1.0
        if spec.spread != 0.0:
            scale = _spread_scale(spec.day_count)
        spread_curve = spec.spread * scale  # the spread per unit of curve time
        sets(self, "_spread_curve", spread_curve)
        if spec.spread != 0.0:
            base_handle = ql.YieldTermStructureHandle(base_ts)
            quote = ql.QuoteHandle(ql.SimpleQuote(spread_curve))
            ts = ql.ZeroSpreadedTermStructure(base_handle, quote, ql.Continuous, ql.NoFrequency)
            if spec.extrapolate:
                ts.enableExtrapolation()
            sets(self, "_ts", (ts, base_ts))
        else:
            sets(self, "_ts", (base_ts, base_ts))
        sets(self, "_handle", ql.YieldTermStructureHandle(self._ts[0]))
        if spec.kind == "flat":
            sets(self, "_nodes", None)
            sets(self, "_tail", None)
            sets(self, "_max_day", None)
            return
        if _base is not None:
            sets(self, "_nodes", _base._nodes)
            sets(self, "_tail", _base._tail)
            sets(self, "_max_day", _base._max_day)
            return
        x = np.asarray(base_ts.times(), dtype=np.float64)
        data = np.asarray(base_ts.data(), dtype=np.float64)
        y = np.log(data) if spec.kind == "log_linear_discount" else data
        slope = np.diff(y) / np.diff(x)
        t_max = float(x[-1])
        if spec.kind == "linear_zero":  # QuantLib's InterpolatedZeroCurve::zeroYieldImpl
            tail = (t_max, float(y[-1]), float(y[-1] + t_max * slope[-1]))
        else:  # InterpolatedDiscountCurve::discountImpl: forward at t_max from the interpolant
            at_max = math.exp(float(y[-2] + (t_max - x[-2]) * slope[-1]))
            d_max = float(data[-1])
            tail = (t_max, d_max, -(at_max * float(slope[-1])) / d_max)
        sets(self, "_nodes", (x, y, slope))
        sets(self, "_tail", tail)
        sets(self, "_max_day", None if spec.extrapolate else date_to_day(spec.dates[-1]))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Curve is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Curve is immutable; cannot delete {name!r}")

    def __reduce__(self) -> tuple[Any, tuple[CurveSpec]]:
        return (Curve, (self._spec,))

    def __repr__(self) -> str:
        s = self._spec
        index = "" if s.index is None else f", index={s.index.value}"
        spread = "" if s.spread == 0.0 else f", spread={s.spread!r}"
        return (
            f"Curve(as_of={s.as_of.isoformat()}, currency={s.currency.value}{index}, "
            f"kind={s.kind}, day_count={s.day_count.value}, nodes={len(s.dates)}{spread})"
        )

    def _root_ts(self) -> Any:
        return self._ts[1]

    # -- descriptive properties ----------------------------------------------------------

    @property
    def spec(self) -> CurveSpec:
        """The plain data this curve is built from (``Curve(curve.spec)`` rebuilds it)."""
        return self._spec

    @property
    def as_of(self) -> dt.date:
        """Reference date: discount factor 1, time 0."""
        return self._spec.as_of

    @property
    def currency(self) -> Currency:
        """Currency of the cash flows the curve discounts."""
        return self._spec.currency

    @property
    def day_count(self) -> DayCount:
        """The curve's own time measure (QuantLib ``dayCounter()``); ACT/365F if bootstrapped."""
        return self._spec.day_count

    @property
    def index(self) -> RateIndex | None:
        """The index whose quotes built the curve (``None`` for flat and zero curves)."""
        return self._spec.index

    @property
    def interpolation(self) -> CurveKind:
        """``flat``, ``linear_zero`` or ``log_linear_discount``."""
        return self._spec.kind

    @property
    def spread(self) -> float:
        """Continuous spread over ACT/365F time on top of the base curve (0.0 if none)."""
        return self._spec.spread

    @property
    def pillar_dates(self) -> npt.NDArray[np.datetime64]:
        """Node dates after ``as_of`` (empty for a flat curve), ``datetime64[D]``.

        >>> zero_curve("2026-06-30", [("2027-06-30", 0.02)]).pillar_dates
        array(['2027-06-30'], dtype='datetime64[D]')
        """
        return np.array(self._spec.dates[1:], dtype="datetime64[D]")

    @property
    def ql(self) -> Any:
        """``ql.YieldTermStructureHandle`` on the curve, for QuantLib instruments and engines."""
        return self._handle

    @property
    def term_structure(self) -> Any:
        """The QuantLib ``YieldTermStructure`` itself (link it to a relinkable handle)."""
        return self._ts[0]

    # -- evaluation ----------------------------------------------------------------------

    def _checked_days(self, dates: Any, field: str) -> IntArray:
        days = as_days(dates, field)
        if days.size and int(days.min()) < int(self._as_of_day):
            raise ValidationError(
                field,
                f"dates before the curve's as_of {self.as_of.isoformat()}",
                day_to_iso(int(days.min())),
            )
        if self._max_day is not None and days.size and int(days.max()) > self._max_day:
            raise ValidationError(
                field,
                f"dates after the last pillar {self._spec.dates[-1].isoformat()} and the curve "
                "was built with extrapolate=False",
                str(np.datetime64(int(days.max()), "D")),
            )
        return days

    def _discount_time(self, t: FloatArray) -> FloatArray:
        """Discount factors at curve times ``t`` (years in the curve's day count)."""
        spec = self._spec
        if spec.kind == "flat":
            r = spec.rate
            if spec.compounding == "continuous":
                base = 1.0 / np.exp(r * t)
            elif spec.compounding == "annual":
                base = 1.0 / np.power(1.0 + r, t)
            else:
                base = 1.0 / (1.0 + r * t)
        else:
            assert self._nodes is not None
            assert self._tail is not None
            x, y, slope = self._nodes
            i = np.clip(np.searchsorted(x[:-1], t, side="right") - 1, 0, x.size - 2)
            inner = y[i] + (t - x[i]) * slope[i]
            t_max, y_max, fwd = self._tail
            beyond = t > t_max
            if spec.kind == "linear_zero":
                with np.errstate(divide="ignore", invalid="ignore"):
                    z = np.where(beyond, (y_max * t_max + fwd * (t - t_max)) / t, inner)
                base = np.where(t == 0.0, 1.0, np.exp(-z * t))
            else:
                base = np.where(beyond, y_max * np.exp(-fwd * (t - t_max)), np.exp(inner))
        if self._spread_curve != 0.0:
            base = base * np.exp(-self._spread_curve * t)
        return np.asarray(base, dtype=np.float64)

    def _discount_days(self, days: IntArray, field: str) -> FloatArray:
        t = year_fraction_days(self._as_of_day, days, self.day_count)
        out = self._discount_time(t)
        if not bool(np.all(np.isfinite(out) & (out > 0.0))):
            bad = np.datetime64(int(days[~(np.isfinite(out) & (out > 0.0))].flat[0]), "D")
            raise ValidationError(
                field, "discount factor is not finite and positive (rate/compounding)", str(bad)
            )
        return out

    @overload
    def year_fraction(self, dates: DateLike) -> float: ...
    @overload
    def year_fraction(self, dates: DatesLike) -> FloatArray: ...
    def year_fraction(self, dates: Any) -> float | FloatArray:
        """Curve time of each date: years from ``as_of`` in the curve's ``day_count``.

        >>> flat_curve("2026-06-30", 0.02, day_count="ACT/360").year_fraction(["2026-12-27"])
        array([0.5])
        """
        days = self._checked_days(dates, "dates")
        return _out(year_fraction_days(self._as_of_day, days, self.day_count))

    @overload
    def discount(self, dates: DateLike) -> float: ...
    @overload
    def discount(self, dates: DatesLike) -> FloatArray: ...
    def discount(self, dates: Any) -> float | FloatArray:
        """Discount factors (currency units today per unit paid on each date).

        >>> c = flat_curve("2026-06-30", 0.05, compounding="annual")
        >>> c.discount(["2027-06-30"]), round(c.discount("2027-06-30"), 10)
        (array([0.95238095]), 0.9523809524)
        """
        days = self._checked_days(dates, "dates")
        return _out(self._discount_days(days, "dates"))

    @overload
    def zero_rate(
        self,
        dates: DateLike,
        *,
        day_count: DayCount | str = ...,
        compounding: Compounding = ...,
    ) -> float: ...
    @overload
    def zero_rate(
        self,
        dates: DatesLike,
        *,
        day_count: DayCount | str = ...,
        compounding: Compounding = ...,
    ) -> FloatArray: ...
    def zero_rate(
        self,
        dates: Any,
        *,
        day_count: DayCount | str = DayCount.ACT_365F,
        compounding: Compounding = "continuous",
    ) -> float | FloatArray:
        """Zero rates (decimals) to each date; continuous ACT/365F unless stated.

        Equals ``curve.ql.zeroRate(date, day_count, compounding)``. Where the curve's own
        time to the date is 0 (``as_of`` itself, or the day after a 30th on a 30/360
        curve) it is, as in QuantLib, the rate over the first 1e-4 years of curve time.
        Where the curve time is positive but ``day_count`` gives 0 years (30/360 from the
        30th to the 31st) the rate is undefined and ``ValidationError`` is raised, as
        QuantLib raises.

        >>> c = flat_curve("2026-06-30", 0.04, compounding="annual")
        >>> c.zero_rate(["2028-06-29"], compounding="annual")
        array([0.04])
        """
        dc = parse_day_count(day_count)
        if compounding not in _COMPOUNDING:
            raise ValidationError("compounding", f"one of {', '.join(_COMPOUNDING)}", compounding)
        days = self._checked_days(dates, "dates")
        df = self._discount_days(days, "dates")
        t = year_fraction_days(self._as_of_day, days, dc)
        at_ref = year_fraction_days(self._as_of_day, days, self.day_count) == 0.0
        if bool(at_ref.any()):  # QuantLib's YieldTermStructure::zeroRate for t == 0
            df = np.where(at_ref, self._discount_time(np.asarray(_QL_DT)), df)
            t = np.where(at_ref, _QL_DT, t)
        no_time = t == 0.0
        if bool(np.any(no_time & (df != 1.0))):
            bad = day_to_iso(int(days[no_time & (df != 1.0)].flat[0]))
            raise ValidationError(
                "day_count",
                f"the zero rate to {bad} is undefined: {dc.value} gives 0 years from as_of "
                f"{self.as_of.isoformat()} while the curve's {self.day_count.value} time is "
                "positive",
                dc.value,
            )
        t = np.where(no_time, 1.0, t)  # there df == 1 and the rate is 0
        compound = 1.0 / df
        if compounding == "continuous":
            out = np.log(compound) / t
        elif compounding == "annual":
            out = np.power(compound, 1.0 / t) - 1.0
        else:
            out = (compound - 1.0) / t
        return _out(np.asarray(out, dtype=np.float64))

    @overload
    def forward_rate(
        self, start: DateLike, end: DateLike, *, day_count: DayCount | str = ...
    ) -> float: ...
    @overload
    def forward_rate(
        self, start: DatesLike, end: DateLike | DatesLike, *, day_count: DayCount | str = ...
    ) -> FloatArray: ...
    @overload
    def forward_rate(
        self, start: DateLike, end: DatesLike, *, day_count: DayCount | str = ...
    ) -> FloatArray: ...
    def forward_rate(
        self, start: Any, end: Any, *, day_count: DayCount | str = DayCount.ACT_365F
    ) -> float | FloatArray:
        """Simple-compounded forward rates over [start, end] under ``day_count`` (decimals).

        ``(D(start) / D(end) - 1) / tau(start, end)``; start and end broadcast together.

        >>> c = flat_curve("2026-06-30", 0.03)
        >>> c.forward_rate(["2027-06-30"], ["2028-06-29"], day_count="ACT/365F")
        array([0.0304545])
        """
        dc = parse_day_count(day_count)
        d1 = self._checked_days(start, "start")
        d2 = self._checked_days(end, "end")
        try:
            d1, d2 = np.broadcast_arrays(d1, d2)
        except ValueError as exc:
            raise ValidationError(
                "end", f"shape {d2.shape} does not match start {d1.shape}"
            ) from exc
        tau = year_fraction_days(d1, d2, dc)
        if bool(np.any(tau <= 0.0)):
            raise ValidationError("end", f"must be after start (positive {dc.value} accrual)")
        ratio = self._discount_days(d1, "start") / self._discount_days(d2, "end")
        return _out(np.asarray((ratio - 1.0) / tau, dtype=np.float64))

    # -- cheap shifts ----------------------------------------------------------------------

    def with_z_spread(self, spread: float) -> Curve:
        """This curve with discount factors times ``exp(-spread * t)``, ``t`` in ACT/365F years.

        No rebuild: numpy multiplies the base discount factors, and ``.ql`` is a
        ``ql.ZeroSpreadedTermStructure`` on the base handle. Spreads add up.

        >>> base = flat_curve("2026-06-30", 0.02)
        >>> round(base.with_z_spread(0.01).zero_rate("2031-06-30"), 12)
        0.03
        """
        s = _spread(spread, "spread")
        _spread_scale(self.day_count)
        spec = replace(self._spec, spread=self._spec.spread + s)
        return Curve(spec, _base=self)

    def shifted(self, *, parallel: float) -> Curve:
        """The curve with continuous ACT/365F zero rates moved by ``parallel`` (decimal).

        >>> base = flat_curve("2026-06-30", 0.02)
        >>> round(base.shifted(parallel=-0.001).zero_rate("2030-01-01"), 12)
        0.019
        """
        return self.with_z_spread(_spread(parallel, "parallel"))


def _spread_scale(day_count: DayCount) -> float:
    try:
        return _SPREAD_SCALE[day_count]
    except KeyError:
        raise ValidationError(
            "day_count",
            "spreads are over ACT/365F time, which needs a curve on ACT/365F or ACT/360 time",
            day_count.value,
        ) from None


def flat_curve(
    as_of: DateLike,
    rate: float,
    *,
    currency: Currency | str = "CNY",
    day_count: DayCount | str = "ACT/365F",
    compounding: Compounding = "continuous",
) -> Curve:
    """A flat curve: ``ql.FlatForward(as_of, rate, day_count, compounding)``; rate a decimal.

    >>> round(flat_curve("2026-06-30", 0.02, compounding="simple").discount("2027-06-30"), 12)
    0.980392156863
    >>> flat_curve("2026-06-30", 2.0)
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: rate: rates are decimals (0.05 means 5%); 2.0 is above 1 ...
    """
    if compounding not in _COMPOUNDING:
        raise ValidationError("compounding", f"one of {', '.join(_COMPOUNDING)}", compounding)
    spec = CurveSpec(
        kind="flat",
        as_of=day_to_date(as_day(as_of, "as_of")),
        currency=_currency(currency),
        day_count=parse_day_count(day_count),
        rate=_rate(rate, "rate"),
        compounding=compounding,
    )
    return Curve(spec)


def _zero_nodes(
    as_of: dt.date, dates: Sequence[dt.date], rates: Sequence[float], field: str
) -> tuple[tuple[dt.date, ...], tuple[float, ...]]:
    if len(dates) == 0:
        raise ValidationError(field, "need at least one pillar")
    for i, d in enumerate(dates):
        if d < as_of:
            raise ValidationError(f"{field}[{i}].date", "before as_of", d.isoformat())
        if i and d <= dates[i - 1]:
            reason = "duplicate pillar date" if d == dates[i - 1] else "dates must increase"
            raise ValidationError(f"{field}[{i}].date", reason, d.isoformat())
    nodes = list(dates)
    values = list(rates)
    if nodes[0] != as_of:  # flat zero rate from as_of to the first pillar
        nodes.insert(0, as_of)
        values.insert(0, values[0])
    return tuple(nodes), tuple(values)


def zero_curve(
    as_of: DateLike,
    pillars: Iterable[tuple[DateLike, float]] | None = None,
    *,
    dates: Any = None,
    rates: Any = None,
    currency: Currency | str = "CNY",
    day_count: DayCount | str = "ACT/365F",
    interpolation: Literal["linear"] = "linear",
    extrapolate: bool = True,
) -> Curve:
    """A curve through continuous zero rates: ``ql.ZeroCurve`` (linear in zero rate).

    Give ``pillars`` as ``(date, rate)`` pairs or ``dates=`` and ``rates=`` arrays. Rates are
    continuously compounded decimals under ``day_count``. The zero rate is flat from
    ``as_of`` to the first pillar (unless that pillar is ``as_of``) and the forward is flat
    after the last one.

    >>> c = zero_curve("2026-06-30", [("2027-06-30", 0.02), ("2031-06-30", 0.03)])
    >>> c.zero_rate(["2027-06-30", "2029-06-30"]).round(6)
    array([0.02    , 0.025003])
    """
    if interpolation != "linear":
        raise ValidationError(
            "interpolation", "only 'linear' (zero rates) is supported", interpolation
        )
    start = day_to_date(as_day(as_of, "as_of"))
    if pillars is not None:
        pairs = list(pillars)
        field = "pillars"
        for i, pair in enumerate(pairs):
            if not isinstance(pair, tuple | list) or len(pair) != 2:
                raise ValidationError(f"pillars[{i}]", "must be a (date, rate) pair", pair)
        when = [day_to_date(as_day(d, f"pillars[{i}].date")) for i, (d, _) in enumerate(pairs)]
        values = [_rate(r, f"pillars[{i}].rate") for i, (_, r) in enumerate(pairs)]
    elif dates is not None and rates is not None:
        field = "dates"
        when = [day_to_date(d) for d in as_days(dates, "dates").ravel().tolist()]
        try:
            flat_rates = np.asarray(rates, dtype=np.float64).ravel()
        except (TypeError, ValueError) as exc:
            raise ValidationError("rates", "must be numbers (decimals)") from exc
        if flat_rates.size != len(when):
            raise ValidationError("rates", f"{flat_rates.size} rates for {len(when)} dates")
        values = [_rate(r, f"rates[{i}]") for i, r in enumerate(flat_rates.tolist())]
    else:
        raise ValidationError("pillars", "give pillars=[(date, rate), ...] or dates= and rates=")
    nodes, node_rates = _zero_nodes(start, when, values, field)
    spec = CurveSpec(
        kind="linear_zero",
        as_of=start,
        currency=_currency(currency),
        day_count=parse_day_count(day_count),
        dates=nodes,
        values=node_rates,
        extrapolate=extrapolate,
    )
    return Curve(spec)


def bootstrap_curve(
    as_of: DateLike,
    quotes: Sequence[RateQuote | dict[str, Any]],
    *,
    currency: Currency | str | None = None,
    index: RateIndex | str | None = None,
    extrapolate: bool = True,
    calendar: MarketCalendar | str | None = None,
) -> Curve:
    """Bootstrap one index's curve from deposits and swaps (or build it from zero quotes).

    Quotes must share one index, be in increasing maturity order and be of a kind the
    index trades (``SHIBOR3M``: deposit, swap; ``FR007``: deposit, swap; ``SOFR``: deposit,
    ois; any: zero). The result interpolates log-linearly in discount factors on ACT/365F
    time with a flat forward beyond the last pillar. Conventions: ``docs/models/curves.md``.

    ``calendar`` (a :class:`~computefin.pricing.calendars.MarketCalendar` or a calendar
    name) is the calendar of the index and its instruments; by default ``CN-IB`` (with
    projected holidays after QuantLib's official years) for ``SHIBOR3M`` and ``FR007`` and
    ``US-SOFR`` for ``SOFR``. Pass ``calendar("CN-IB", bank_table)`` to use a bank's
    holiday table. The curve's ``spec.calendar`` records the calendar's identifier.

    >>> q = [RateQuote(index="SHIBOR3M", kind="deposit", tenor="3M", rate=0.016),
    ...      RateQuote(index="SHIBOR3M", kind="swap", tenor="1Y", rate=0.0155),
    ...      RateQuote(index="SHIBOR3M", kind="swap", tenor="5Y", rate=0.017)]
    >>> curve = bootstrap_curve("2026-11-27", q)
    >>> curve.index.value, curve.currency.value, curve.interpolation, len(curve.pillar_dates)
    ('SHIBOR3M', 'CNY', 'log_linear_discount', 3)
    >>> curve.spec.calendar
    'CN-IB'
    """
    start = day_to_date(as_day(as_of, "as_of"))
    found, models = check_quotes(
        quotes,
        currency=None if currency is None else str(currency),
        index=index,
    )
    cal = resolve_calendar(found, calendar)
    if models[0].kind is QuoteKind.ZERO:
        pairs = zero_pillars(start, models)
        for i in range(1, len(pairs)):
            if pairs[i][0] <= pairs[i - 1][0]:
                raise ValidationError(
                    f"quotes[{i}].tenor",
                    f"quotes must be in increasing maturity order: {quote_label(models[i])} "
                    f"after {quote_label(models[i - 1])}",
                    models[i].tenor,
                )
        nodes, rates = _zero_nodes(start, [d for d, _ in pairs], [r for _, r in pairs], "quotes")
        spec = CurveSpec(
            kind="linear_zero",
            as_of=start,
            currency=found.currency,
            dates=nodes,
            values=rates,
            index=found,
            extrapolate=extrapolate,
        )
        return Curve(spec)
    node_dates, discounts = bootstrap_nodes(start, found, models, cal)
    spec = CurveSpec(
        kind="log_linear_discount",
        as_of=start,
        currency=found.currency,
        dates=tuple(node_dates),
        values=tuple(discounts),
        index=found,
        extrapolate=extrapolate,
        calendar=cal.identifier,
    )
    return Curve(spec)


_QUOTE_FIELD = re.compile(r"quotes\[(\d+)\]")

CalendarChoice = MarketCalendar | str | Mapping[RateIndex | str, MarketCalendar | str] | None
"""A ``curve_set`` calendar: one for every curve, one per index, or ``None`` (defaults)."""


def curve_set(
    as_of: DateLike,
    quotes: Sequence[RateQuote | dict[str, Any]],
    *,
    indices: Iterable[RateIndex | str] | None = None,
    extrapolate: bool = True,
    calendar: CalendarChoice = None,
) -> dict[RateIndex, Curve]:
    """Group quotes by index and bootstrap one curve per index: ``{index: Curve}``.

    ``indices=None`` builds every index present (an index without curve conventions, such
    as LPR, is an error); otherwise only those listed, each of which must have quotes
    (:class:`~computefin.errors.MarketDataError` if not). Error fields refer to positions
    in ``quotes``.

    ``calendar``: ``None`` (each index's default calendar, see :func:`bootstrap_curve`),
    one calendar (a ``MarketCalendar`` or a name) for every curve, allowed only when all
    the curves are in one currency, or a mapping ``{index: calendar}`` (indices left out
    keep their default).

    >>> q = [RateQuote(index="SOFR", kind="ois", tenor="1Y", rate=0.037),
    ...      RateQuote(index="FR007", kind="swap", tenor="1Y", rate=0.015)]
    >>> sorted(k.value for k in curve_set("2026-11-27", q))
    ['FR007', 'SOFR']
    """
    models = [q if isinstance(q, RateQuote) else RateQuote.model_validate(q) for q in quotes]
    groups: dict[RateIndex, list[int]] = {}
    for i, q in enumerate(models):
        groups.setdefault(q.index, []).append(i)
    wanted = list(groups) if indices is None else [_rate_index(i, "indices") for i in indices]
    chosen = _calendars(calendar, wanted)
    out: dict[RateIndex, Curve] = {}
    for idx in sorted(wanted, key=list(RateIndex).index):
        if idx not in groups:
            raise MarketDataError(f"no rate quotes for {idx.value} among {len(models)} quotes")
        positions = groups[idx]
        try:
            out[idx] = bootstrap_curve(
                as_of,
                [models[i] for i in positions],
                extrapolate=extrapolate,
                calendar=chosen.get(idx),
            )
        except ValidationError as exc:
            raise _renumbered(exc, positions) from exc
    return out


def _rate_index(value: Any, field: str) -> RateIndex:
    try:
        return RateIndex(value.strip().upper() if isinstance(value, str) else value)
    except ValueError as exc:
        known = ", ".join(i.value for i in RateIndex)
        raise ValidationError(field, f"unknown rate index; known: {known}", value) from exc


def _calendars(
    calendar: CalendarChoice, indices: Sequence[RateIndex]
) -> dict[RateIndex, MarketCalendar | str]:
    """The calendar for each index given a ``curve_set`` ``calendar`` argument."""
    if calendar is None:
        return {}
    if isinstance(calendar, Mapping):
        return {_rate_index(key, f"calendar[{key!r}]"): value for key, value in calendar.items()}
    currencies = sorted({i.currency.value for i in indices})
    if len(currencies) > 1:
        raise ValidationError(
            "calendar",
            f"one calendar for curves in {' and '.join(currencies)}; pass a mapping "
            "{index: calendar} instead",
            getattr(calendar, "identifier", calendar),
        )
    return dict.fromkeys(indices, calendar)


def _renumbered(exc: ValidationError, positions: Sequence[int]) -> ValidationError:
    """The same error with ``quotes[k]`` (position in one index's group) made global."""

    def fix(text: str) -> str:
        return _QUOTE_FIELD.sub(lambda m: f"quotes[{positions[int(m.group(1))]}]", text)

    return ValidationError.from_problems(
        FieldProblem(fix(p.field), fix(p.reason), p.value) for p in exc.problems
    )


class QuoteSource(Protocol):
    """Anything with an ``as_of`` date and ``rate_quotes`` (a ``MarketSnapshot``)."""

    @property
    def as_of(self) -> dt.date: ...

    @property
    def rate_quotes(self) -> Sequence[RateQuote]: ...


def build_curves(
    snapshot: QuoteSource, *, calendar: CalendarChoice = None
) -> dict[RateIndex, Curve]:
    """Every curve the snapshot's quotes support (``SHIBOR3M``, ``FR007``, ``SOFR``).

    Quotes of indices without a curve convention (LPR) are left to the products that
    reset on them. ``calendar`` as in :func:`curve_set`.

    >>> from computefin.domain import demo_market
    >>> sorted(k.value for k in build_curves(demo_market()))
    ['FR007', 'SHIBOR3M', 'SOFR']
    """
    present = {q.index for q in snapshot.rate_quotes}
    return curve_set(
        snapshot.as_of,
        snapshot.rate_quotes,
        indices=[i for i in CURVE_INDICES if i in present],
        calendar=calendar,
    )
