"""Credit risk kernels: PD term structures, collateral LGD and expected loss, on arrays.

* :class:`PdCurve`: survival ``S(t)``, cumulative PD ``1 - S(t)``, marginal PD
  ``S(a) - S(b)``, hazard and 12-month PD for one obligor or a batch of ``n`` obligors,
  from a one-year PD (constant hazard ``h = -ln(1 - PD)``), a rating in a
  :class:`~computefin.domain.MarketSnapshot`'s PD table, a cumulative PD term table
  (piecewise-constant hazards) or a QuantLib default curve; ``.ql`` gives the
  ``ql.HazardRateCurve``.
* :func:`collateral_lgd` and :func:`downturn_lgd`: LGD of a GPU loan from the stressed
  collateral value at default, net of a liquidation haircut and costs, per exposure
  and/or per scenario path; :data:`LIQUIDATION_HAIRCUTS` holds the valuers' presets.
* :func:`expected_loss` (``PD x LGD x EAD``) and :func:`lifetime_expected_loss`
  (``sum mPD x LGD x EAD x DF``).

IFRS 9 / CAS 22 expected credit loss and staging live in :mod:`computefin.risk.credit_ecl`.
Time is in years ACT/365F from the reporting (as-of) date; probabilities, LGDs, haircuts
and rates are decimals (0.02 = 2%). See ``docs/models/credit.md``.

>>> curve = PdCurve.from_one_year_pd(0.02)
>>> float(curve.survival(2.0))  # 0.98 ** 2
0.9604
>>> float(expected_loss(0.02, collateral_lgd(1000.0, 800.0, "auction"), 1000.0))
9.6
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, TypeVar

import numpy as np
import numpy.typing as npt
import QuantLib as ql

from computefin.domain import Counterparty, MarketSnapshot, RatingScale
from computefin.errors import ValidationError
from computefin.pricing._ql import from_ql_date, to_ql_date

__all__ = [
    "DEFAULT_DOWNTURN_QUANTILE",
    "LIQUIDATION_HAIRCUTS",
    "PdCurve",
    "collateral_lgd",
    "downturn_lgd",
    "expected_credit_loss",
    "expected_loss",
    "lifetime_expected_loss",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
_A = TypeVar("_A", bound=npt.NDArray[Any])

LIQUIDATION_HAIRCUTS: Final[Mapping[str, float]] = MappingProxyType(
    {"broker": 0.15, "auction": 0.35, "distressed": 0.55}
)
"""Liquidation haircuts on fair value by sale route: a broker sale realises 0.85 of fair
value, an auction 0.65, a distressed sale 0.45 (valuers' figures, approx., DOMAIN.md s.3)."""

DEFAULT_DOWNTURN_QUANTILE: Final = 0.05
"""Quantile of collateral values across paths used by :func:`downturn_lgd` (1 in 20)."""

_DAYS_PER_YEAR: Final = 365.0
_DAY_TOLERANCE: Final = 1e-6
_PD_HINT: Final = "as a decimal (0.02 = 2%)"


# --------------------------------------------------------------------------- checks


def _where(bad: npt.NDArray[np.bool_]) -> tuple[str, int | tuple[int, ...] | None]:
    """Text naming the first bad element of an array, and its position."""
    if bad.ndim == 0:
        return "", None
    flat = int(np.flatnonzero(bad)[0])
    if bad.ndim == 1:
        return f" (first at index {flat})", flat
    index = tuple(int(i) for i in np.unravel_index(flat, bad.shape))
    return f" (first at index {index})", index


def _floats(
    value: object,
    field: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    hint: str = "",
    allow_inf: bool = False,
) -> FloatArray:
    """``value`` as a float64 array, checked finite and within the bounds; names ``field``."""
    if isinstance(value, str | bytes):
        raise ValidationError(field, "must be a number or an array of numbers", value)
    try:
        raw = np.asarray(value)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise ValidationError(field, f"must be a rectangular array of numbers ({exc})") from None
    if raw.dtype.kind not in "iuf":
        kind = "booleans" if raw.dtype.kind == "b" else f"dtype {raw.dtype}"
        raise ValidationError(field, f"must be numbers, not {kind}")
    arr = raw.astype(np.float64)
    bad = np.isnan(arr) if allow_inf else ~np.isfinite(arr)
    if bad.any():
        where, _ = _where(bad)
        raise ValidationError(field, f"must be finite{where}", float(arr[bad].flat[0]))
    suffix = f" {hint}" if hint else ""
    if low is not None:
        bad = arr <= low if low_open else arr < low
        if bad.any():
            where, _ = _where(bad)
            sign = ">" if low_open else ">="
            raise ValidationError(
                field, f"must be {sign} {low:g}{suffix}{where}", float(arr[bad].flat[0])
            )
    if high is not None:
        bad = arr >= high if high_open else arr > high
        if bad.any():
            where, _ = _where(bad)
            sign = "<" if high_open else "<="
            raise ValidationError(
                field, f"must be {sign} {high:g}{suffix}{where}", float(arr[bad].flat[0])
            )
    return arr


def _probabilities(value: object, field: str, *, positive: bool = False) -> FloatArray:
    """PDs in [0, 1] (``positive``: in (0, 1]) as decimals."""
    return _floats(value, field, low=0.0, high=1.0, low_open=positive, hint=_PD_HINT)


def _share(value: object, field: str) -> FloatArray:
    """A share (LGD, haircut, cost share, floor) in [0, 1] as a decimal."""
    return _floats(value, field, low=0.0, high=1.0, hint="as a decimal (0.45 = 45%)")


def _scalar(value: object, field: str, *, low: float, high: float, low_open: bool) -> float:
    arr = _floats(value, field, low=low, high=high, low_open=low_open)
    if arr.ndim != 0:
        raise ValidationError(field, "must be a single number", value)
    return float(arr)


def _broadcast(arrays: Mapping[str, FloatArray]) -> tuple[int, ...]:
    """The broadcast shape of named arrays; a clash names the fields and their shapes."""
    try:
        return tuple(np.broadcast_shapes(*(a.shape for a in arrays.values())))
    except ValueError:
        shapes = ", ".join(f"{name} {a.shape}" for name, a in arrays.items())
        raise ValidationError(
            next(iter(arrays)), f"shapes do not broadcast together: {shapes}"
        ) from None


def _readonly(array: _A) -> _A:
    """The array, marked read-only (results are frozen)."""
    array.setflags(write=False)
    return array


# --------------------------------------------------------------------------- PD curve


def _neg_log_survival(cumulative_pd: FloatArray) -> FloatArray:
    """``-ln(1 - PD)``, ``inf`` where PD = 1."""
    with np.errstate(divide="ignore"):
        return np.asarray(-np.log1p(-cumulative_pd), dtype=np.float64)


@dataclass(frozen=True, eq=False)
class PdCurve:
    """Piecewise-constant hazard rates: a PD term structure for one obligor or ``n``.

    ``times`` (shape ``(k,)``, years ACT/365F from ``as_of``, strictly increasing, > 0)
    are the knots; ``hazards`` (``(k,)`` for one obligor, ``(n, k)`` for a batch sharing
    the knots) are hazard rates per year: ``hazards[..., 0]`` on ``[0, times[0]]``,
    ``hazards[..., i]`` on ``(times[i-1], times[i]]``, and the last beyond the last knot
    (flat extrapolation, as QuantLib's hazard curves do). ``inf`` marks certain default in that
    interval (a PD of 1). Survival ``S(t) = exp(-int_0^t h(u) du)``, ``S(0) = 1``.

    Evaluation methods take times ``t`` >= 0 in years. A single curve returns an array of
    ``t``'s shape (0-d for a scalar: use ``float()``). A batch of ``n`` returns ``(n,)`` for
    a scalar ``t``, ``(n, m)`` for ``t`` of shape ``(m,)`` (shared times) and ``(n, m)`` for
    ``t`` of shape ``(n, m)`` (times per obligor).

    >>> c = PdCurve.from_term_table([1.0, 3.0], [0.02, 0.08])
    >>> c.cumulative_pd([1.0, 3.0]).round(12).tolist()
    [0.02, 0.08]
    >>> round(float(c.marginal_pd(1.0, 2.0)), 6)  # S(1) - S(2) = 0.98 - sqrt(0.98 * 0.92)
    0.030474
    >>> batch = PdCurve.from_one_year_pd([0.01, 0.05])
    >>> batch.survival([1.0, 2.0]).round(4).tolist()
    [[0.99, 0.9801], [0.95, 0.9025]]
    """

    times: FloatArray
    hazards: FloatArray
    as_of: dt.date | None = None
    _cum: FloatArray = field(init=False, repr=False)
    _lo: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        times = _floats(self.times, "PdCurve.times", low=0.0, low_open=True)
        if times.ndim != 1 or times.size == 0:
            raise ValidationError("PdCurve.times", "must be a non-empty 1-D array of years")
        if times.size > 1 and bool(np.any(np.diff(times) <= 0.0)):
            raise ValidationError("PdCurve.times", "must be strictly increasing", times.tolist())
        hazards = _floats(
            self.hazards, "PdCurve.hazards", low=0.0, hint="(per year)", allow_inf=True
        )
        if hazards.ndim not in (1, 2) or hazards.shape[-1] != times.size:
            raise ValidationError(
                "PdCurve.hazards",
                f"must have shape ({times.size},) or (n, {times.size}) to match times",
                hazards.shape,
            )
        if self.as_of is not None and not isinstance(self.as_of, dt.date):
            raise ValidationError("PdCurve.as_of", "must be a datetime.date or None", self.as_of)
        lo = np.concatenate(([0.0], times[:-1]))
        h2 = hazards.reshape(-1, times.size)
        with np.errstate(invalid="ignore"):
            pieces = h2 * (times - lo)  # widths > 0, so inf * width stays inf
        cum = np.concatenate((np.zeros((h2.shape[0], 1)), np.cumsum(pieces, axis=1)), axis=1)
        sets = object.__setattr__
        sets(self, "times", _readonly(times))
        sets(self, "hazards", _readonly(hazards))
        sets(self, "_lo", _readonly(lo))
        sets(self, "_cum", _readonly(cum[:, :-1]))  # cumulative hazard at each interval start

    # -- constructors ---------------------------------------------------------------------

    @classmethod
    def from_one_year_pd(cls, pd_1y: object, *, as_of: dt.date | None = None) -> PdCurve:
        """Constant hazard ``h = -ln(1 - PD)`` from one-year PDs in (0, 1] (scalar or ``(n,)``).

        PD = 1 gives ``h = inf``: defaulted, ``S(t) = 0`` for every ``t > 0``.

        >>> round(float(PdCurve.from_one_year_pd(0.05).hazards[0]), 6)
        0.051293
        >>> PdCurve.from_one_year_pd(2.0)
        Traceback (most recent call last):
        ...
        computefin.errors.ValidationError: pd_1y: must be <= 1 as a decimal (0.02 = 2%) (got 2.0)
        """
        pds = _probabilities(pd_1y, "pd_1y", positive=True)
        if pds.ndim > 1:
            raise ValidationError("pd_1y", "must be a number or a 1-D array", pds.shape)
        return cls(np.array([1.0]), _neg_log_survival(pds)[..., None], as_of)

    @classmethod
    def from_rating(
        cls,
        rating: str | Sequence[str],
        market: MarketSnapshot,
        scale: RatingScale | str = RatingScale.GLOBAL,
    ) -> PdCurve:
        """Constant-hazard curve(s) from the snapshot's PD table for rating notch(es) on a scale.

        A missing notch raises :class:`~computefin.errors.MarketDataError`. ``as_of`` is the
        snapshot's date.

        >>> from computefin.domain import PdEntry
        >>> snap = MarketSnapshot(as_of=dt.date(2026, 1, 5), pd_table=[
        ...     PdEntry(rating="BB", pd_1y=0.008),
        ...     PdEntry(rating="BB", rating_scale="cn-domestic", pd_1y=0.03)])
        >>> float(PdCurve.from_rating("BB", snap, "cn-domestic").cumulative_pd(1.0))
        0.03
        """
        if isinstance(rating, str):
            return cls.from_one_year_pd(market.pd(rating, scale), as_of=market.as_of)
        pds = [market.pd(r, scale) for r in rating]
        return cls.from_one_year_pd(np.array(pds, dtype=np.float64), as_of=market.as_of)

    @classmethod
    def from_counterparty(
        cls, counterparty: Counterparty | Sequence[Counterparty], market: MarketSnapshot
    ) -> PdCurve:
        """Constant-hazard curve(s) from ``market.pd_for``: the bank's override, else the table.

        >>> cp = Counterparty(id="x", name="X", rating="BB", sector="neocloud", country="US",
        ...                   pd_override=0.03)
        >>> snap = MarketSnapshot(as_of=dt.date(2026, 1, 5))
        >>> float(PdCurve.from_counterparty(cp, snap).cumulative_pd(1.0))
        0.03
        """
        if isinstance(counterparty, Counterparty):
            return cls.from_one_year_pd(market.pd_for(counterparty), as_of=market.as_of)
        pds = [market.pd_for(cp) for cp in counterparty]
        return cls.from_one_year_pd(np.array(pds, dtype=np.float64), as_of=market.as_of)

    @classmethod
    def from_term_table(
        cls, tenors_years: object, cumulative_pds: object, *, as_of: dt.date | None = None
    ) -> PdCurve:
        """Piecewise-constant hazards through cumulative PDs at tenors (years).

        ``cumulative_pds`` (``(k,)`` or ``(n, k)``, in (0, 1], non-decreasing along the
        tenors) gives ``h_i = ln(S_{i-1} / S_i) / (t_i - t_{i-1})`` with ``S = 1 - PD``.
        A cumulative PD of 1 gives ``inf`` from that interval on.

        >>> c = PdCurve.from_term_table([1.0, 2.0], [0.02, 0.05])
        >>> [round(h, 6) for h in c.hazards.tolist()]
        [0.020203, 0.031091]
        """
        tenors = _floats(tenors_years, "tenors_years", low=0.0, low_open=True)
        cum = _probabilities(cumulative_pds, "cumulative_pds", positive=True)
        if tenors.ndim != 1 or cum.ndim not in (1, 2) or cum.shape[-1] != tenors.size:
            raise ValidationError(
                "cumulative_pds",
                f"must have shape ({tenors.size},) or (n, {tenors.size}) to match tenors_years",
                cum.shape,
            )
        if cum.shape[-1] > 1 and bool(np.any(np.diff(cum, axis=-1) < 0.0)):
            where, _ = _where(np.diff(cum, axis=-1) < 0.0)
            raise ValidationError(
                "cumulative_pds", f"must not fall as the tenor lengthens{where}", cum.tolist()
            )
        if tenors.size > 1 and bool(np.any(np.diff(tenors) <= 0.0)):
            raise ValidationError("tenors_years", "must be strictly increasing", tenors.tolist())
        neg_log_s = _neg_log_survival(cum)
        prev = np.concatenate((np.zeros((*cum.shape[:-1], 1)), neg_log_s[..., :-1]), axis=-1)
        widths = np.diff(tenors, prepend=0.0)
        with np.errstate(invalid="ignore"):
            hazards = (neg_log_s - prev) / widths
        hazards = np.where(np.isinf(prev), np.inf, hazards)  # after certain default: inf
        return cls(tenors, hazards, as_of)

    @classmethod
    def from_ql(cls, term_structure: Any, times: object = None) -> PdCurve:
        """Sample a QuantLib default-probability curve into piecewise-constant hazards.

        ``term_structure`` is any ``ql.DefaultProbabilityTermStructure`` (or a handle to
        one) with an ACT/365F day counter: ``ql.HazardRateCurve``,
        ``ql.PiecewiseFlatHazardRate`` (bootstrapped from CDS quotes), ... The knots are
        ``times`` (years) or, by default, the curve's own node dates; the hazard on each
        interval reproduces QuantLib's survival at both ends, exactly for a piecewise-flat
        curve. QuantLib is queried once here: the result is plain numpy data.

        >>> ref = ql.Date(5, 1, 2026)
        >>> qc = ql.HazardRateCurve([ref, ref + 365, ref + 730], [0.02, 0.02, 0.03],
        ...                         ql.Actual365Fixed())
        >>> c = PdCurve.from_ql(qc)
        >>> c.as_of, [round(h, 12) for h in c.hazards.tolist()]
        (datetime.date(2026, 1, 5), [0.02, 0.03])
        """
        ts = (
            term_structure.currentLink()
            if hasattr(term_structure, "currentLink")
            else (term_structure)
        )
        try:
            day_counter = ts.dayCounter().name()
            reference = ts.referenceDate()
        except (AttributeError, RuntimeError, TypeError) as exc:
            raise ValidationError(
                "term_structure", f"must be a QuantLib default-probability curve ({exc})"
            ) from None
        if day_counter != ql.Actual365Fixed().name():
            raise ValidationError(
                "term_structure", "must use the ACT/365F day counter (Actual365Fixed)", day_counter
            )
        if times is None:
            if not hasattr(ts, "dates"):
                raise ValidationError("times", "this curve has no node dates; pass times")
            knots = np.array(
                [ts.timeFromReference(d) for d in ts.dates() if d > reference], dtype=np.float64
            )
        else:
            knots = _floats(times, "times", low=0.0, low_open=True)
        if knots.ndim != 1 or knots.size == 0:
            raise ValidationError("times", "must be a non-empty 1-D array of years", knots.shape)
        try:
            survival = np.array(
                [ts.survivalProbability(float(t), True) for t in knots], dtype=np.float64
            )
        except RuntimeError as exc:
            raise ValidationError("term_structure", f"QuantLib failed: {exc}") from None
        cumulative = np.clip(1.0 - survival, 0.0, 1.0)
        with np.errstate(divide="ignore"):
            neg_log_s = -np.log(np.clip(survival, 0.0, 1.0))
        widths = np.diff(knots, prepend=0.0)
        prev = np.concatenate(([0.0], neg_log_s[:-1]))
        if bool(np.any(np.diff(cumulative) < -1e-15)):
            raise ValidationError("term_structure", "survival rises with time: not a PD curve")
        with np.errstate(invalid="ignore"):
            hazards = np.maximum((neg_log_s - prev) / widths, 0.0)
        hazards = np.where(np.isinf(prev), np.inf, hazards)
        return cls(knots, hazards, from_ql_date(reference))

    # -- shape --------------------------------------------------------------------------

    @property
    def batch_size(self) -> int | None:
        """Number of obligors of a batch curve; ``None`` for a single curve."""
        return None if self.hazards.ndim == 1 else int(self.hazards.shape[0])

    def __getitem__(self, index: int) -> PdCurve:
        """One obligor's curve from a batch.

        >>> float(PdCurve.from_one_year_pd([0.01, 0.05])[1].cumulative_pd(1.0))
        0.05
        """
        if self.hazards.ndim == 1:
            raise ValidationError("index", "a single curve cannot be indexed", index)
        if isinstance(index, bool) or not isinstance(index, int | np.integer):
            raise ValidationError("index", "must be a whole number", index)
        n = self.hazards.shape[0]
        if not -n <= int(index) < n:
            raise ValidationError("index", f"out of range for a batch of {n}", index)
        return PdCurve(self.times, self.hazards[int(index)].copy(), self.as_of)

    # -- evaluation ---------------------------------------------------------------------

    def _t(self, t: object, name: str = "t") -> FloatArray:
        arr = _floats(t, name, low=0.0, hint="(years)")
        if self.hazards.ndim == 2:
            n = self.hazards.shape[0]
            if arr.ndim > 2 or (arr.ndim == 2 and arr.shape[0] not in (1, n)):
                raise ValidationError(
                    name,
                    f"for a batch of {n} obligors give a scalar, (m,) or ({n}, m) times",
                    arr.shape,
                )
        return arr

    def _gather(self, table: FloatArray, idx: IntArray) -> FloatArray:
        """``table[obligor, idx]`` with the shape rules of the class docstring."""
        if self.hazards.ndim == 1:
            return np.asarray(table[0][idx], dtype=np.float64)
        if idx.ndim <= 1:
            return np.asarray(table[:, idx], dtype=np.float64)
        rows = np.broadcast_to(idx, (table.shape[0], idx.shape[1]))
        return np.asarray(np.take_along_axis(table, rows, axis=1), dtype=np.float64)

    def _interval(self, t: FloatArray) -> IntArray:
        idx = np.searchsorted(self.times, t, side="left")
        return np.minimum(idx, self.times.size - 1).astype(np.intp)

    def _cum_hazard(self, t: FloatArray) -> FloatArray:
        idx = self._interval(t)
        h2 = self.hazards.reshape(-1, self.times.size)
        start = self._gather(self._cum, idx)
        rate = self._gather(h2, idx)
        delta = t - self._lo[idx]
        with np.errstate(invalid="ignore"):
            inside = np.where(delta > 0.0, rate * delta, 0.0)
        return np.asarray(start + inside, dtype=np.float64)

    def survival(self, t: object) -> FloatArray:
        """Probability of no default by ``t`` years, ``S(t) = exp(-H(t))``.

        >>> PdCurve.from_one_year_pd(0.02).survival([0.0, 1.0, 3.0]).round(6).tolist()
        [1.0, 0.98, 0.941192]
        """
        return np.asarray(np.exp(-self._cum_hazard(self._t(t))), dtype=np.float64)

    def cumulative_pd(self, t: object) -> FloatArray:
        """Probability of default by ``t`` years, ``1 - S(t)`` (computed as ``-expm1(-H)``).

        >>> float(PdCurve.from_one_year_pd(0.02).cumulative_pd(1.0))
        0.02
        """
        return np.asarray(-np.expm1(-self._cum_hazard(self._t(t))), dtype=np.float64)

    def marginal_pd(self, start: object, end: object) -> FloatArray:
        """Probability of default in ``(start, end]``: ``S(start) - S(end)``, never negative.

        ``start`` and ``end`` (years, ``start <= end``) broadcast together, typically the
        bounds of periods ``(m,)``.

        >>> PdCurve.from_one_year_pd(0.02).marginal_pd([0.0, 1.0], [1.0, 2.0]).round(6).tolist()
        [0.02, 0.0196]
        """
        a = self._t(start, "start")
        b = self._t(end, "end")
        shape = _broadcast({"start": a, "end": b})
        a, b = np.broadcast_to(a, shape), np.broadcast_to(b, shape)
        if bool(np.any(a > b)):
            where, _ = _where(a > b)
            raise ValidationError("end", f"must not be before start{where}")
        diff = self.survival(a) - self.survival(b)
        return np.asarray(np.maximum(diff, 0.0), dtype=np.float64)

    def hazard(self, t: object) -> FloatArray:
        """Hazard rate per year at ``t``: the rate of the interval ``(times[i-1], times[i]]``.

        >>> PdCurve.from_term_table([1.0, 2.0], [0.02, 0.05]).hazard([0.5, 1.5]).round(6).tolist()
        [0.020203, 0.031091]
        """
        arr = self._t(t)
        h2 = self.hazards.reshape(-1, self.times.size)
        return self._gather(h2, self._interval(arr))

    def twelve_month_pd(self, at: object = 0.0) -> FloatArray:
        """PD over the 12 months after ``at`` years, given survival to ``at``.

        ``1 - S(at + 1) / S(at)``; 1 where the obligor has defaulted by ``at``.

        >>> round(float(PdCurve.from_term_table([1.0, 2.0], [0.02, 0.05]).twelve_month_pd(1.0)), 6)
        0.030612
        """
        a = self._t(at, "at")
        h0 = self._cum_hazard(a)
        h1 = self._cum_hazard(a + 1.0)
        with np.errstate(invalid="ignore"):
            out = -np.expm1(-(h1 - h0))
        return np.asarray(np.where(np.isinf(h0), 1.0, out), dtype=np.float64)

    # -- QuantLib -------------------------------------------------------------------------

    @property
    def ql(self) -> Any:
        """A ``ql.HazardRateCurve`` (backward-flat hazards, ACT/365F, extrapolation on).

        Needs ``as_of`` (the curve's reference date), a single curve, finite hazards and
        knots on whole days (``times * 365`` integral). It is fixed to ``as_of``: it does
        not move with QuantLib's evaluation date.

        >>> c = PdCurve.from_one_year_pd(0.02, as_of=dt.date(2026, 1, 5))
        >>> round(c.ql.survivalProbability(2.0), 12) == round(float(c.survival(2.0)), 12)
        True
        """
        if self.as_of is None:
            raise ValidationError("PdCurve.as_of", "set as_of (the reference date) to build .ql")
        if self.hazards.ndim != 1:
            raise ValidationError("PdCurve.hazards", "a batch curve has no .ql; index it first")
        if not bool(np.all(np.isfinite(self.hazards))):
            raise ValidationError("PdCurve.hazards", "a defaulted (inf) curve has no .ql")
        days = self.times * _DAYS_PER_YEAR
        whole = np.round(days)
        if bool(np.any(np.abs(days - whole) > _DAY_TOLERANCE)):
            raise ValidationError(
                "PdCurve.times", "QuantLib needs knots on whole days (times * 365)", days.tolist()
            )
        reference = to_ql_date(self.as_of, "PdCurve.as_of")
        dates = [reference] + [reference + int(d) for d in whole]
        rates = [float(self.hazards[0]), *(float(h) for h in self.hazards)]
        curve = ql.HazardRateCurve(dates, rates, ql.Actual365Fixed())
        curve.enableExtrapolation()
        return curve


# --------------------------------------------------------------------------- LGD


def _haircut(value: object) -> FloatArray:
    if isinstance(value, str):
        key = value.strip().lower()
        if key not in LIQUIDATION_HAIRCUTS:
            known = ", ".join(LIQUIDATION_HAIRCUTS)
            raise ValidationError("liquidation_haircut", f"unknown preset; known: {known}", value)
        return np.asarray(LIQUIDATION_HAIRCUTS[key], dtype=np.float64)
    return _share(value, "liquidation_haircut")


def collateral_lgd(
    ead: object,
    collateral_value_at_default: object,
    liquidation_haircut: object,
    *,
    costs_share: object = 0.0,
    costs: object = 0.0,
    contract_recovery: object = 0.0,
    floor: object = 0.0,
) -> FloatArray:
    """LGD from the stressed collateral value at default, net of haircut and costs.

    ``proceeds = V (1 - haircut)``; ``net = proceeds (1 - costs_share) - costs +
    contract_recovery``; ``LGD = clip(max(floor, 1 - min(EAD, net) / EAD), 0, 1)``.

    * ``ead``: exposure at default (money, >= 0); ``V``: collateral fair value at default
      (money, >= 0), e.g. ``(paths, periods)`` economic values of a fleet projection;
    * ``liquidation_haircut``: decimal in [0, 1] or a preset name in
      :data:`LIQUIDATION_HAIRCUTS` (``"broker"`` 0.15, ``"auction"`` 0.35,
      ``"distressed"`` 0.55);
    * ``costs_share``: selling, legal and repossession costs as a share of the proceeds;
      ``costs``: absolute costs (money); ``contract_recovery``: other recoveries
      (assigned rental contracts, guarantees; money); ``floor``: minimum LGD (decimal).

    All inputs broadcast together; the result is float64 of the broadcast shape. Where
    ``EAD = 0`` the LGD is the floor (there is nothing to lose).

    >>> float(collateral_lgd(1000.0, 800.0, "auction"))  # 1 - 800 * 0.65 / 1000
    0.48
    >>> collateral_lgd([1000.0, 1000.0], 1500.0, 0.15, costs=50.0, floor=0.1).tolist()
    [0.1, 0.1]
    >>> collateral_lgd(1000.0, [[500.0, 0.0]], "broker", costs_share=0.05).round(6).tolist()
    [[0.59625, 1.0]]
    """
    arrays = {
        "ead": _floats(ead, "ead", low=0.0),
        "collateral_value_at_default": _floats(
            collateral_value_at_default, "collateral_value_at_default", low=0.0
        ),
        "liquidation_haircut": _haircut(liquidation_haircut),
        "costs_share": _share(costs_share, "costs_share"),
        "costs": _floats(costs, "costs", low=0.0),
        "contract_recovery": _floats(contract_recovery, "contract_recovery", low=0.0),
        "floor": _share(floor, "floor"),
    }
    _broadcast(arrays)
    e, v, hc = arrays["ead"], arrays["collateral_value_at_default"], arrays["liquidation_haircut"]
    net = v * (1.0 - hc) * (1.0 - arrays["costs_share"]) - arrays["costs"]
    net = net + arrays["contract_recovery"]
    positive = e > 0.0
    safe = np.where(positive, e, 1.0)
    recovered = np.where(positive, np.minimum(e, np.maximum(net, 0.0)) / safe, 1.0)  # in [0, 1]
    lgd = np.maximum(arrays["floor"], 1.0 - recovered)
    return np.asarray(np.clip(lgd, 0.0, 1.0), dtype=np.float64)


def downturn_lgd(
    ead: object,
    collateral_value_paths: object,
    liquidation_haircut: object,
    *,
    quantile: float = DEFAULT_DOWNTURN_QUANTILE,
    path_axis: int = -2,
    costs_share: object = 0.0,
    costs: object = 0.0,
    contract_recovery: object = 0.0,
    floor: object = 0.0,
) -> FloatArray:
    """Downturn LGD: :func:`collateral_lgd` at a low quantile of collateral values over paths.

    ``collateral_value_paths`` has a path axis (``path_axis``, default -2: the paths of a
    ``(paths, periods)`` or ``(n, paths, periods)`` projection); the ``quantile``
    (decimal in (0, 0.5], default 0.05, a 1-in-20 collateral value) is taken along it
    (numpy's linear interpolation) and the path axis is dropped. ``ead`` and the other
    inputs broadcast against the result.

    >>> values = [[100.0], [80.0], [60.0], [40.0], [20.0]]  # 5 paths, 1 period
    >>> downturn_lgd(100.0, values, 0.0, quantile=0.25).tolist()  # 25% quantile: 40
    [0.6]
    """
    q = _scalar(quantile, "quantile", low=0.0, high=0.5, low_open=True)
    values = _floats(collateral_value_paths, "collateral_value_paths", low=0.0)
    if isinstance(path_axis, bool) or not isinstance(path_axis, int):
        raise ValidationError("path_axis", "must be a whole number", path_axis)
    if not -values.ndim <= path_axis < values.ndim:
        raise ValidationError(
            "path_axis", f"out of range for collateral values of shape {values.shape}", path_axis
        )
    stressed = np.quantile(values, q, axis=path_axis)
    return collateral_lgd(
        ead,
        stressed,
        liquidation_haircut,
        costs_share=costs_share,
        costs=costs,
        contract_recovery=contract_recovery,
        floor=floor,
    )


# --------------------------------------------------------------------------- expected loss


def expected_loss(pd: object, lgd: object, ead: object) -> FloatArray:
    """Expected loss ``PD x LGD x EAD`` elementwise (money, in the EAD's currency).

    With the one-year PD this is the one-year EL of Basel (CRE35); arrays broadcast.

    >>> expected_loss([0.01, 0.02], 0.45, 1_000_000.0).tolist()
    [4500.0, 9000.0]
    """
    arrays = {
        "pd": _probabilities(pd, "pd"),
        "lgd": _share(lgd, "lgd"),
        "ead": _floats(ead, "ead", low=0.0),
    }
    _broadcast(arrays)
    return np.asarray(arrays["pd"] * arrays["lgd"] * arrays["ead"], dtype=np.float64)


def lifetime_expected_loss(
    marginal_pd: object, lgd: object, ead: object, discount_factors: object = 1.0
) -> FloatArray:
    """Lifetime EL ``sum_t mPD_t x LGD_t x EAD_t x DF_t`` over the last (period) axis.

    ``marginal_pd`` (``(..., periods)``, from :meth:`PdCurve.marginal_pd`) must sum to at
    most 1 along the periods; ``discount_factors`` (> 0) default to 1 (undiscounted), or
    pass e.g. ``curve.discount(period_end_dates)`` from a
    :class:`computefin.pricing.Curve`. Returns the EL with the period axis summed out.

    >>> curve = PdCurve.from_one_year_pd(0.02)
    >>> mpd = curve.marginal_pd([0.0, 1.0], [1.0, 2.0])  # 0.02, 0.0196
    >>> round(float(lifetime_expected_loss(mpd, 0.4, [100.0, 50.0])), 10)  # 0.8 + 0.392
    1.192
    """
    arrays = {
        "marginal_pd": _probabilities(marginal_pd, "marginal_pd"),
        "lgd": _share(lgd, "lgd"),
        "ead": _floats(ead, "ead", low=0.0),
        "discount_factors": _floats(discount_factors, "discount_factors", low=0.0, low_open=True),
    }
    mpd = arrays["marginal_pd"]
    if mpd.ndim == 0:
        raise ValidationError("marginal_pd", "must have a period axis (last axis)")
    if bool(np.any(mpd.sum(axis=-1) > 1.0 + 1e-12)):
        where, _ = _where(mpd.sum(axis=-1) > 1.0 + 1e-12)
        raise ValidationError("marginal_pd", f"must sum to at most 1 over the periods{where}")
    shape = _broadcast(arrays)
    product = mpd * arrays["lgd"] * arrays["ead"] * arrays["discount_factors"]
    return np.asarray(np.broadcast_to(product, shape).sum(axis=-1), dtype=np.float64)


# The ECL engine lives in credit_ecl (it builds on the curves above); it is re-exported here
# so that ``computefin.risk.credit.expected_credit_loss`` is the documented entry point.
from computefin.risk.credit_ecl import expected_credit_loss  # noqa: E402
