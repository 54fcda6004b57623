"""IFRS 9 / CAS 22 expected credit loss and staging, vectorised over exposures.

* :func:`expected_credit_loss`: ``ECL = sum_t mPD_t x LGD_t x EAD_t x DF_t`` with
  ``DF_t = (1 + EIR)^-t`` at the effective interest rate; stage 1 keeps the 12-month part,
  stage 2 the lifetime sum, stage 3 (credit-impaired) is ``EAD x LGD`` at the reporting
  date. Returns an :class:`EclResult` with the allowance, 12-month and lifetime ECL and
  the per-period contributions.
* :func:`stage_from`: stage 1 / 2 / 3 per exposure with the reasons, from days past due
  (30 days rebuttable presumption, 90 days default), rating downgrades since origination
  and, optionally, the rise in PD.

CAS 22 (China's 2017 financial-instruments standard) follows IFRS 9 on impairment, so
the same rules serve both. Time is in years ACT/365F from the reporting date; rates and
probabilities are decimals. See ``docs/models/credit.md``.

>>> from computefin.risk.credit import PdCurve
>>> r = expected_credit_loss([300.0, 200.0, 100.0], 0.4, pd_curve=PdCurve.from_one_year_pd(0.02),
...                          period_start=[0.0, 1.0, 2.0], period_end=[1.0, 2.0, 3.0],
...                          eir=0.05, stage=2)
>>> round(float(r.ecl_12m), 6), round(float(r.ecl), 6)  # 0.02 * 0.4 * 300 / 1.05, lifetime
(2.285714, 4.37164)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntFlag
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from computefin.domain import MarketSnapshot, RatingScale
from computefin.domain.parties import rating_rank
from computefin.errors import ValidationError
from computefin.risk.credit import (
    FloatArray,
    PdCurve,
    _broadcast,
    _floats,
    _probabilities,
    _readonly,
    _scalar,
    _share,
    _where,
)
from computefin.risk.grid import PeriodGrid

__all__ = [
    "DEFAULT_DOWNGRADE_NOTCHES",
    "DEFAULT_DPD_STAGE2",
    "DEFAULT_DPD_STAGE3",
    "DEFAULT_PD_RATIO_THRESHOLD",
    "EclResult",
    "StageReason",
    "StagingResult",
    "expected_credit_loss",
    "period_bounds",
    "stage_from",
]

Int64Array = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]

DEFAULT_DPD_STAGE2: Final = 30
"""Days past due that move an exposure to stage 2 (IFRS 9 5.5.11 rebuttable presumption)."""

DEFAULT_DPD_STAGE3: Final = 90
"""Days past due taken as default, stage 3 (IFRS 9 B5.5.37 rebuttable presumption)."""

DEFAULT_DOWNGRADE_NOTCHES: Final = 3
"""Notches of downgrade since origination that signal a significant increase in risk."""

DEFAULT_PD_RATIO_THRESHOLD: Final = 2.0
"""PD now / PD at origination at or above which credit risk has risen significantly."""

_PROBABILITY_SLACK: Final = 1e-12


# --------------------------------------------------------------------------- ECL


@dataclass(frozen=True, eq=False)
class EclResult:
    """Expected credit loss per exposure (money, in the EAD's currency).

    Shapes: ``B`` is ``()`` for one exposure (all inputs without an exposure axis) or
    ``(n,)``; ``P`` is the number of periods.

    * ``stage`` ``B`` (1, 2 or 3); ``ecl`` ``B``: the allowance, ``ecl_12m`` for stage 1
      and ``ecl_lifetime`` for stages 2 and 3;
    * ``ecl_12m``, ``ecl_lifetime`` ``B``: both measures for every exposure, whatever its
      stage (a stage 3 exposure has both equal to ``EAD_0 x LGD_0``);
    * ``contributions`` ``B + (P,)``: ``mPD x LGD x EAD x DF x alive`` per period
      (lifetime); ``contributions_12m``: the same times ``horizon_weight``;
    * ``marginal_pd``, ``discount_factors``, ``horizon_weight`` ``B + (P,)``: the inputs
      used (for stage 3 rows ``marginal_pd = (1, 0, ...)`` and the first discount factor
      is 1: default at the reporting date).

    >>> r = expected_credit_loss([[100.0]], 0.5, marginal_pd=[[0.1]], period_start=[0.0],
    ...                          period_end=[1.0], eir=0.0, stage=[1])
    >>> r.ecl.tolist(), r.total
    ([5.0], 5.0)
    """

    stage: Int64Array
    ecl: FloatArray
    ecl_12m: FloatArray
    ecl_lifetime: FloatArray
    contributions: FloatArray
    contributions_12m: FloatArray
    marginal_pd: FloatArray
    discount_factors: FloatArray
    horizon_weight: FloatArray

    @property
    def total(self) -> float:
        """Sum of ``ecl`` over the exposures."""
        return float(self.ecl.sum())

    def to_frame(self) -> pd.DataFrame:
        """One row per exposure: ``stage``, ``ecl``, ``ecl_12m``, ``ecl_lifetime``."""
        return pd.DataFrame(
            {
                "stage": np.atleast_1d(self.stage),
                "ecl": np.atleast_1d(self.ecl),
                "ecl_12m": np.atleast_1d(self.ecl_12m),
                "ecl_lifetime": np.atleast_1d(self.ecl_lifetime),
            }
        )


def _eir(value: object) -> FloatArray:
    arr = _floats(value, "eir")
    if arr.ndim > 1:
        raise ValidationError("eir", "must be a number or a (n,) array per exposure", arr.shape)
    if bool(np.any(arr > 1.0)):
        where, _ = _where(arr > 1.0)
        raise ValidationError(
            "eir",
            f"rates are decimals (0.05 means 5%); above 1 looks like a percentage{where}",
            float(arr[arr > 1.0].flat[0]),
        )
    if bool(np.any(arr <= -1.0)):
        where, _ = _where(arr <= -1.0)
        raise ValidationError("eir", f"must be above -1{where}", float(arr[arr <= -1.0].flat[0]))
    return arr


def _stages(value: object) -> Int64Array:
    arr = _floats(value, "stage")
    if arr.ndim > 1:
        raise ValidationError("stage", "must be 1, 2 or 3, or a (n,) array of them", arr.shape)
    bad = ~np.isin(arr, (1.0, 2.0, 3.0))
    if bool(bad.any()):
        where, _ = _where(bad)
        raise ValidationError("stage", f"must be 1, 2 or 3{where}", float(arr[bad].flat[0]))
    return arr.astype(np.int64)


def period_bounds(grid: PeriodGrid) -> tuple[FloatArray, FloatArray]:
    """``(period_start, period_end)`` of a :class:`~computefin.risk.grid.PeriodGrid`, years.

    ACT/365F from ``grid.as_of`` (the reporting date), ready for
    :func:`expected_credit_loss`.

    >>> import datetime as dt
    >>> from computefin.risk.grid import period_grid
    >>> start, end = period_bounds(period_grid(dt.date(2026, 1, 1), 24, "annual"))
    >>> start.tolist(), end.tolist()
    ([0.0, 1.0], [1.0, 2.0])
    """
    if not isinstance(grid, PeriodGrid):
        raise ValidationError("grid", "must be a PeriodGrid (see computefin.risk.grid)", grid)
    as_of = np.datetime64(grid.as_of, "D")
    start = (grid.start_dates - as_of).astype(np.float64) / 365.0
    end = (grid.end_dates - as_of).astype(np.float64) / 365.0
    return start, end


def _periodic(arr: FloatArray, field: str, n_periods: int | None) -> FloatArray:
    """Check an array has a period axis last (ndim 1 or 2) of ``n_periods``."""
    if arr.ndim not in (1, 2):
        raise ValidationError(field, "must have shape (periods,) or (n, periods)", arr.shape)
    if n_periods is not None and arr.shape[-1] != n_periods:
        raise ValidationError(
            field, f"must have {n_periods} periods on its last axis like ead", arr.shape
        )
    return arr


def expected_credit_loss(
    ead: object,
    lgd: object,
    *,
    period_start: object,
    period_end: object,
    eir: object,
    stage: object = 1,
    pd_curve: PdCurve | None = None,
    marginal_pd: object = None,
    alive: object = None,
    horizon_years: float = 1.0,
    timing: Literal["end", "mid"] = "end",
) -> EclResult:
    """IFRS 9 / CAS 22 ECL: ``sum_t mPD_t x LGD_t x EAD_t x (1 + EIR)^-t``, by stage.

    Inputs (``P`` periods on the last axis, exposures on axis 0 where given):

    * ``ead``: exposure at default in each period, money >= 0, ``(P,)`` or ``(n, P)``;
    * ``lgd``: decimal in [0, 1]: a scalar, ``(P,)``, ``(n, P)`` or ``(n, 1)``;
    * exactly one of ``pd_curve`` (a :class:`~computefin.risk.credit.PdCurve`, single
      or a batch of ``n``; ``mPD_t = S(start_t) - S(end_t)``) and ``marginal_pd``
      (``(P,)`` or ``(n, P)`` in [0, 1], summing to at most 1);
    * ``period_start``, ``period_end``: years from the reporting date, ``(P,)`` or
      ``(n, P)``, ``0 <= start <= end``, periods in order and not overlapping;
    * ``eir``: effective interest rate, decimal in (-1, 1], scalar or ``(n,)`` (a value
      above 1 is taken for a percentage and rejected);
    * ``stage``: 1, 2 or 3, scalar or ``(n,)`` (see :func:`stage_from`);
    * ``alive``: optional bool mask ``(P,)`` or ``(n, P)``: False periods count nothing
      (padding of ragged schedules);
    * ``horizon_years``: the 12-month horizon (default 1.0);
    * ``timing``: when a period's loss is discounted from: ``"end"`` (default, the
      period's end) or ``"mid"`` (its midpoint).

    Stage 1 takes the periods inside the horizon, the period crossing it pro rata by time,
    ``w_t = clip((H - start_t) / (end_t - start_t), 0, 1)``; stage 2 takes every period;
    stage 3 is credit-impaired: PD = 1 at the reporting date, ECL = ``EAD_0 x LGD_0``
    (first period's values) undiscounted. LGD of a stage 3 exposure should be the workout
    LGD with recoveries discounted at the EIR, so that ``EAD x LGD`` is the shortfall of
    IFRS 9 B5.5.33.

    >>> r = expected_credit_loss([[100.0, 100.0], [100.0, 100.0]], [[0.5], [0.5]],
    ...                          marginal_pd=[0.1, 0.1], period_start=[0.0, 1.0],
    ...                          period_end=[1.0, 2.0], eir=0.0, stage=[1, 3])
    >>> r.ecl.tolist(), r.ecl_lifetime.tolist()
    ([5.0, 50.0], [10.0, 50.0])
    """
    if timing not in ("end", "mid"):
        raise ValidationError("timing", "must be 'end' or 'mid'", timing)
    horizon = _scalar(horizon_years, "horizon_years", low=0.0, high=1e3, low_open=True)
    e = _periodic(_floats(ead, "ead", low=0.0), "ead", None)
    n_periods = int(e.shape[-1])
    if n_periods == 0:
        raise ValidationError("ead", "must have at least one period", e.shape)
    loss_given = _share(lgd, "lgd")
    if loss_given.ndim > 2 or (loss_given.ndim >= 1 and loss_given.shape[-1] not in (1, n_periods)):
        shapes = f"({n_periods},), (n, {n_periods}) or (n, 1)"
        raise ValidationError("lgd", f"must be a scalar or have shape {shapes}", loss_given.shape)
    start = _periodic(_floats(period_start, "period_start", low=0.0), "period_start", n_periods)
    end = _periodic(_floats(period_end, "period_end", low=0.0), "period_end", n_periods)
    bounds = _broadcast({"period_start": start, "period_end": end})
    start, end = np.broadcast_to(start, bounds), np.broadcast_to(end, bounds)
    if bool(np.any(end < start)):
        where, _ = _where(end < start)
        raise ValidationError("period_end", f"must not be before period_start{where}")
    if n_periods > 1 and bool(np.any(start[..., 1:] < end[..., :-1] - 1e-12)):
        where, _ = _where(start[..., 1:] < end[..., :-1] - 1e-12)
        raise ValidationError("period_start", f"periods must be in order, not overlapping{where}")
    rate = _eir(eir)
    stages = _stages(stage)
    mask: BoolArray | None = None
    if alive is not None:
        raw = np.asarray(alive)
        if raw.dtype != np.bool_:
            raise ValidationError("alive", "must be a boolean mask", str(raw.dtype))
        mask = raw
        _periodic(mask.astype(np.float64), "alive", n_periods)
    if (pd_curve is None) == (marginal_pd is None):
        raise ValidationError("pd_curve", "give exactly one of pd_curve and marginal_pd")
    if pd_curve is not None:
        if not isinstance(pd_curve, PdCurve):
            raise ValidationError("pd_curve", "must be a PdCurve", type(pd_curve).__name__)
        mpd = pd_curve.marginal_pd(start, end)
    else:
        given = _probabilities(marginal_pd, "marginal_pd")
        mpd = _periodic(given, "marginal_pd", n_periods)
        if bool(np.any(mpd.sum(axis=-1) > 1.0 + _PROBABILITY_SLACK)):
            where, _ = _where(mpd.sum(axis=-1) > 1.0 + _PROBABILITY_SLACK)
            raise ValidationError("marginal_pd", f"must sum to at most 1 over periods{where}")

    leading: dict[str, FloatArray] = {
        "ead": np.empty(e.shape[:-1]),
        "lgd": np.empty(loss_given.shape[:-1] if loss_given.ndim == 2 else ()),
        "marginal_pd": np.empty(mpd.shape[:-1]),
        "period_start": np.empty(start.shape[:-1]),
        "eir": rate,
        "stage": np.empty(stages.shape),
    }
    if mask is not None:
        leading["alive"] = np.empty(mask.shape[:-1])
    batch = _broadcast(leading)
    full = (*batch, n_periods)

    rows = (int(np.prod(batch)), n_periods)  # work on 2-D (exposures, periods)

    def grid(values: FloatArray) -> FloatArray:
        return np.broadcast_to(values, full).reshape(rows).astype(np.float64)  # a copy

    stage_b = np.broadcast_to(stages, batch).reshape(-1).copy()
    s3 = stage_b == 3
    t_loss = grid(end if timing == "end" else 0.5 * (start + end))
    df = np.power(1.0 + np.broadcast_to(rate, batch).reshape(-1, 1), -t_loss)
    mpd_2 = grid(mpd)
    width = end - start
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(width > 0.0, (horizon - start) / width, (end <= horizon) * 1.0)
    weight = grid(np.clip(weight, 0.0, 1.0))
    mpd_2[s3] = 0.0
    mpd_2[s3, 0] = 1.0  # credit-impaired: default at the reporting date ...
    df[s3, 0] = 1.0  # ... so the loss is not discounted
    weight[s3] = 0.0
    weight[s3, 0] = 1.0
    contributions = mpd_2 * grid(loss_given) * grid(e) * df
    if mask is not None:
        contributions = contributions * grid(mask.astype(np.float64))
    contributions_12m = contributions * weight
    ecl_12m = contributions_12m.sum(axis=-1)
    ecl_lifetime = contributions.sum(axis=-1)
    ecl = np.where(stage_b == 1, ecl_12m, ecl_lifetime)
    return EclResult(
        stage=_readonly(stage_b.reshape(batch)),
        ecl=_readonly(ecl.reshape(batch)),
        ecl_12m=_readonly(ecl_12m.reshape(batch)),
        ecl_lifetime=_readonly(ecl_lifetime.reshape(batch)),
        contributions=_readonly(contributions.reshape(full)),
        contributions_12m=_readonly(contributions_12m.reshape(full)),
        marginal_pd=_readonly(mpd_2.reshape(full)),
        discount_factors=_readonly(df.reshape(full)),
        horizon_weight=_readonly(weight.reshape(full)),
    )


# --------------------------------------------------------------------------- staging


class StageReason(IntFlag):
    """Why an exposure is in its stage; several can hold at once (bit flags).

    >>> StageReason.DPD_30 | StageReason.DOWNGRADE in StageReason.STAGE2
    True
    """

    NONE = 0
    DPD_90 = 1
    """At least ``dpd_stage3`` (90) days past due: default, stage 3."""
    RATED_D = 2
    """Rated D now: default, stage 3."""
    PD_ONE = 4
    """PD now is 1: default, stage 3."""
    DPD_30 = 8
    """At least ``dpd_stage2`` (30) but fewer than ``dpd_stage3`` days past due: stage 2."""
    DOWNGRADE = 16
    """Downgraded by ``downgrade_notches`` or more since origination: stage 2."""
    PD_INCREASE = 32
    """PD now / PD at origination >= ``pd_ratio_threshold`` (and the rise >= the floor)."""
    LOW_CREDIT_RISK = 64
    """Rated at or above ``low_credit_risk_rating``: rating and PD tests waived."""

    STAGE3 = DPD_90 | RATED_D | PD_ONE
    STAGE2 = DPD_30 | DOWNGRADE | PD_INCREASE


_LABELS: Final[Mapping[StageReason, str]] = {
    StageReason.DPD_90: "{dpd3}+ days past due",
    StageReason.RATED_D: "rated D",
    StageReason.PD_ONE: "PD = 1",
    StageReason.DPD_30: "{dpd2}+ days past due",
    StageReason.DOWNGRADE: "downgraded {notches}+ notches since origination",
    StageReason.PD_INCREASE: "PD up {ratio:g}x or more since origination",
    StageReason.LOW_CREDIT_RISK: "low credit risk exemption",
}


@dataclass(frozen=True, eq=False)
class StagingResult:
    """Stage per exposure (``stage``: 1, 2, 3), the :class:`StageReason` bits and the text.

    >>> r = stage_from([0, 45], "BBB", ["BBB", "BBB"])
    >>> r.stage.tolist(), r.reasons.tolist()
    ([1, 2], ['no significant increase in credit risk', '30+ days past due'])
    """

    stage: Int64Array
    flags: Int64Array
    reasons: ObjectArray

    def to_frame(self) -> pd.DataFrame:
        """One row per exposure: ``stage``, ``flags``, ``reason``."""
        return pd.DataFrame(
            {
                "stage": np.atleast_1d(self.stage),
                "flags": np.atleast_1d(self.flags),
                "reason": np.atleast_1d(self.reasons),
            }
        )


def _ranks(ratings: object, field: str) -> Int64Array:
    """Rating ranks (0 = AAA) of a notch or a 1-D array of notches, vectorised by unique."""
    arr = np.asarray(ratings)
    if arr.dtype.kind != "U" or arr.ndim > 1:
        raise ValidationError(field, "must be a rating notch or a 1-D list of notches", ratings)
    unique, inverse = np.unique(arr, return_inverse=True)
    table = np.empty(unique.size, dtype=np.int64)
    for i, notch in enumerate(unique.tolist()):
        try:
            table[i] = rating_rank(notch)
        except ValidationError as exc:
            raise ValidationError(field, exc.problems[0].reason, notch) from None
    return table[inverse].reshape(arr.shape)


def _market_pds(ratings: object, market: MarketSnapshot, scale: RatingScale) -> FloatArray:
    """One-year PDs of rating notches from the snapshot's table (MarketDataError if absent)."""
    arr = np.asarray(ratings)
    unique, inverse = np.unique(arr, return_inverse=True)
    table = np.array([market.pd(r, scale) for r in unique.tolist()], dtype=np.float64)
    return np.asarray(table[inverse].reshape(arr.shape), dtype=np.float64)


def _whole(value: object, field: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or int(value) < minimum:
        raise ValidationError(field, f"must be a whole number >= {minimum}", value)
    return int(value)


def stage_from(
    days_past_due: object,
    rating_at_origination: object,
    rating_now: object,
    scale: RatingScale | str = RatingScale.GLOBAL,
    *,
    downgrade_notches: int = DEFAULT_DOWNGRADE_NOTCHES,
    dpd_stage2: int = DEFAULT_DPD_STAGE2,
    dpd_stage3: int = DEFAULT_DPD_STAGE3,
    pd_origination: object = None,
    pd_now: object = None,
    pd_ratio_threshold: float = DEFAULT_PD_RATIO_THRESHOLD,
    pd_increase_floor: float = 0.0,
    market: MarketSnapshot | None = None,
    low_credit_risk_rating: str | None = None,
) -> StagingResult:
    """IFRS 9 / CAS 22 stage per exposure, with the reasons; vectorised.

    * stage 3 (credit-impaired, default): ``days_past_due >= dpd_stage3`` (90), or rated
      ``D`` now, or PD now = 1;
    * stage 2 (significant increase in credit risk since origination):
      ``days_past_due >= dpd_stage2`` (30), or ``rank(rating_now) - rank(rating_at_origination)
      >= downgrade_notches`` (3), or, where PDs are known, ``pd_now / pd_origination >=
      pd_ratio_threshold`` (2: doubled) with ``pd_now - pd_origination >= pd_increase_floor``;
    * stage 1 otherwise.

    Ratings are notches (``AAA`` ... ``D``) on ``scale``, both for origination and now.
    PDs: pass ``pd_origination`` and ``pd_now`` (decimals in (0, 1]) or a ``market`` whose
    PD table gives both from the ratings on ``scale``; with neither the PD test is off.
    ``low_credit_risk_rating`` (e.g. ``"BBB-"``) waives the rating and PD tests for
    exposures rated at or above it now (IFRS 9 5.5.10); the days-past-due tests stay.
    Inputs are scalars or ``(n,)`` arrays and broadcast together.

    >>> r = stage_from([95, 30, 0, 0], ["BBB", "BBB", "BBB", "BBB"],
    ...                ["BBB", "BBB", "BB", "BBB"])
    >>> r.stage.tolist()
    [3, 2, 2, 1]
    >>> r.reasons[2]
    'downgraded 3+ notches since origination'
    """
    try:
        scale_ = RatingScale(scale)
    except ValueError:
        raise ValidationError("scale", "unknown rating scale", scale) from None
    notches = _whole(downgrade_notches, "downgrade_notches", 1)
    dpd2 = _whole(dpd_stage2, "dpd_stage2", 1)
    dpd3 = _whole(dpd_stage3, "dpd_stage3", 1)
    if dpd3 <= dpd2:
        raise ValidationError("dpd_stage3", f"must exceed dpd_stage2 ({dpd2})", dpd3)
    ratio = _scalar(pd_ratio_threshold, "pd_ratio_threshold", low=1.0, high=1e6, low_open=True)
    floor = _scalar(pd_increase_floor, "pd_increase_floor", low=0.0, high=1.0, low_open=False)
    dpd = _floats(days_past_due, "days_past_due", low=0.0)
    if dpd.ndim > 1:
        raise ValidationError("days_past_due", "must be a number or a 1-D array", dpd.shape)
    rank_0 = _ranks(rating_at_origination, "rating_at_origination")
    rank_now = _ranks(rating_now, "rating_now")
    arrays: dict[str, FloatArray] = {
        "days_past_due": dpd,
        "rating_at_origination": rank_0.astype(np.float64),
        "rating_now": rank_now.astype(np.float64),
    }
    if (pd_origination is None) != (pd_now is None):
        missing = "pd_now" if pd_now is None else "pd_origination"
        raise ValidationError(missing, "give both pd_origination and pd_now, or neither")
    pd_0: FloatArray | None = None
    pd_1: FloatArray | None = None
    if pd_origination is not None:
        pd_0 = _probabilities(pd_origination, "pd_origination", positive=True)
        pd_1 = _probabilities(pd_now, "pd_now", positive=True)
    elif market is not None:
        pd_0 = _market_pds(rating_at_origination, market, scale_)
        pd_1 = _market_pds(rating_now, market, scale_)
    if pd_0 is not None and pd_1 is not None:
        for name, values in (("pd_origination", pd_0), ("pd_now", pd_1)):
            if values.ndim > 1:
                raise ValidationError(name, "must be a number or a 1-D array", values.shape)
        arrays["pd_origination"] = pd_0
        arrays["pd_now"] = pd_1
    shape = _broadcast(arrays)

    dpd_b = np.broadcast_to(dpd, shape)
    now_b = np.broadcast_to(rank_now, shape)
    flags = np.zeros(shape, dtype=np.int64)
    flags |= np.where(dpd_b >= dpd3, int(StageReason.DPD_90), 0)
    flags |= np.where(now_b == rating_rank("D"), int(StageReason.RATED_D), 0)
    flags |= np.where((dpd_b >= dpd2) & (dpd_b < dpd3), int(StageReason.DPD_30), 0)
    downgrade = now_b - np.broadcast_to(rank_0, shape) >= notches
    sicr = np.where(downgrade, int(StageReason.DOWNGRADE), 0)
    if pd_0 is not None and pd_1 is not None:
        p0, p1 = np.broadcast_to(pd_0, shape), np.broadcast_to(pd_1, shape)
        flags |= np.where(p1 >= 1.0, int(StageReason.PD_ONE), 0)
        rises = (p1 >= ratio * p0) & (p1 - p0 >= floor)
        sicr = sicr | np.where(rises, int(StageReason.PD_INCREASE), 0)
    if low_credit_risk_rating is not None:
        limit = _ranks(low_credit_risk_rating, "low_credit_risk_rating")
        exempt = now_b <= int(limit)
        sicr = np.where(exempt, 0, sicr)
        flags |= np.where(exempt, int(StageReason.LOW_CREDIT_RISK), 0)
    flags |= sicr
    stage = np.where(
        flags & int(StageReason.STAGE3), 3, np.where(flags & int(StageReason.STAGE2), 2, 1)
    ).astype(np.int64)
    texts = {
        reason: label.format(dpd2=dpd2, dpd3=dpd3, notches=notches, ratio=ratio)
        for reason, label in _LABELS.items()
    }
    table = np.empty(128, dtype=object)
    for mask in range(128):
        parts = [text for reason, text in texts.items() if mask & int(reason)]
        if not mask & int(StageReason.STAGE3 | StageReason.STAGE2):
            parts.insert(0, "no significant increase in credit risk")
        table[mask] = "; ".join(parts)
    reasons = np.asarray(table[flags], dtype=object)
    return StagingResult(stage=stage, flags=flags, reasons=reasons)
