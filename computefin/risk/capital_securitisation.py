"""Securitisation capital per tranche: SEC-IRBA, SEC-SA and SEC-ERBA risk weights.

The Basel securitisation framework (BCBS d374, July 2016, "Revisions to the securitisation
framework", with the STC capital treatment; consolidated as chapters CRE40-CRE44 of the
Basel Framework), which China's Capital Rules for Commercial Banks (NFRA 2023) follow:

* :func:`ssfa` - the simplified supervisory formula (KSSFA) behind both formula approaches,
  with the 1250% treatment at or below KA, the blend when A < KA < D, floor and cap;
* :func:`sec_irba` - the internal ratings-based approach (CRE44): KA = KIRB and the
  supervisory parameter p of :func:`sec_irba_p` (the A-E table, floor 0.3, halved for STC);
* :func:`sec_sa` - the standardised approach (CRE41): KA = (1 - W) KSA + 0.5 W, p = 1
  (0.5 for STC);
* :func:`sec_erba` - the external ratings-based approach (CRE42): the long- and short-term
  look-up tables, maturity interpolation and the thickness adjustment of non-senior tranches;
* :func:`tranche_maturity` - MT by the legal-maturity or the cash-flow approach (CRE40.22).

Floors: 15%, 10% for senior STC positions; cap 1250%. Rates, KA, p, thicknesses and risk
weights are decimals (1.0 = 100%); exposures and RWA are in the exposure's currency;
maturities are years. Scalars in give floats out; arrays or lists in (any shapes that
broadcast) give read-only float64 arrays. Sources and their paragraph numbers, and what was
not checked, are in ``docs/models/capital.md`` (section "Securitisation").

>>> r = sec_sa(attachment=0.05, detachment=0.25, ksa=0.09, w=0.06)
>>> round(r.ka, 4), r.p, round(r.risk_weight, 4)
(0.1146, 1.0, 9.0024)
>>> sec_erba("BB+", 2.0, senior=False, thickness=0.25).risk_weight  # 0.75 x 497.5%
3.73125
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Generic, TypeAlias, TypeVar, overload

import numpy as np
import numpy.typing as npt

from computefin.errors import ValidationError
from computefin.risk._arrays import (
    as_bool as _as_bool,
    as_float as _as_float,
    broadcast as _broadcast,
    is_scalar as _is_scalar,
    out as _out,
    require as _require,
    where as _where,
)

__all__ = [
    "ERBA_LONG_TERM_RISK_WEIGHTS",
    "ERBA_LONG_TERM_RISK_WEIGHTS_STC",
    "ERBA_SHORT_TERM_RISK_WEIGHTS",
    "ERBA_SHORT_TERM_RISK_WEIGHTS_STC",
    "SECURITISATION_RISK_WEIGHT_CAP",
    "SECURITISATION_RISK_WEIGHT_FLOOR",
    "SECURITISATION_RISK_WEIGHT_FLOOR_STC_SENIOR",
    "SEC_IRBA_P_PARAMETERS",
    "ErbaResult",
    "SsfaResult",
    "sec_erba",
    "sec_irba",
    "sec_irba_p",
    "sec_sa",
    "ssfa",
    "tranche_maturity",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
FloatOrArray: TypeAlias = float | FloatArray
"""A float where every input was a scalar, else a read-only float64 array."""
ValueT = TypeVar("ValueT", float, FloatArray)
"""``float`` for results of scalar inputs, ``FloatArray`` where any input was an array."""

# ---------------------------------------------------------------------------------------
# Regulatory constants (sources in docs/models/capital.md, "Securitisation")
# ---------------------------------------------------------------------------------------

SECURITISATION_RISK_WEIGHT_CAP: Final = 12.5
"""1250%: the risk weight of a tranche wholly at or below KA (CRE41, CRE44.24(1)); no
formula or table risk weight exceeds it."""

SECURITISATION_RISK_WEIGHT_FLOOR: Final = 0.15
"""15%: floor of every SEC-SA, SEC-IRBA and SEC-ERBA risk weight (CRE41, CRE44.26, CRE42.7)
and of non-senior STC positions (CRE44.29, CRE42.14)."""

SECURITISATION_RISK_WEIGHT_FLOOR_STC_SENIOR: Final = 0.10
"""10%: floor of a senior position in an STC securitisation (CRE44.29, CRE42.14; SEC-SA as
in EU CRR Art. 262)."""

_P_FLOOR: Final = 0.3
"""Floor of the SEC-IRBA supervisory parameter p (CRE44.17)."""
_P_SEC_SA: Final = 1.0
"""SEC-SA p of a securitisation that is not a resecuritisation (CRE41)."""
_P_SEC_SA_STC: Final = 0.5
"""SEC-SA p of an STC securitisation (CRE41 as amended for STC, d374)."""
_STC_P_SCALE: Final = 0.5
"""SEC-IRBA STC: p = max(0.3, 0.5 (A + B/N + C KIRB + D LGD + E MT)) (CRE44.28)."""
_DELINQUENT_K: Final = 0.5
"""Capital charge on delinquent exposures in KA = (1 - W) KSA + 0.5 W (CRE41)."""
_MAX_UNKNOWN_DELINQUENCY: Final = 0.05
"""Largest pool share of unknown delinquency status for which SEC-SA may be used (CRE41)."""
_GRANULAR_N: Final = 25.0
"""A wholesale pool is granular when N >= 25 (CRE44.17 table)."""
_MT_FLOOR: Final = 1.0
_MT_CAP: Final = 5.0
_LEGAL_MATURITY_WEIGHT: Final = 0.8
"""MT = 1 + (ML - 1) x 80% under the final-legal-maturity approach (CRE40.22)."""
_THICKNESS_CAP: Final = 0.5
"""ERBA non-senior thickness factor 1 - min(T, 50%) (CRE42.5)."""

SEC_IRBA_P_PARAMETERS: Final[Mapping[str, tuple[float, float, float, float, float]]] = (
    MappingProxyType(
        {
            "wholesale/senior/granular": (0.0, 3.56, -1.85, 0.55, 0.07),
            "wholesale/senior/non_granular": (0.11, 2.61, -2.91, 0.68, 0.07),
            "wholesale/non_senior/granular": (0.16, 2.87, -1.03, 0.21, 0.07),
            "wholesale/non_senior/non_granular": (0.22, 2.35, -2.46, 0.48, 0.07),
            "retail/senior": (0.0, 0.0, -7.48, 0.71, 0.24),
            "retail/non_senior": (0.0, 0.0, -5.78, 0.55, 0.27),
        }
    )
)
"""SEC-IRBA supervisory parameters (A, B, C, D, E) of p (CRE44.17): wholesale senior or
non-senior, granular (N >= 25) or not; retail senior or non-senior."""

_P_ROWS: Final = tuple(SEC_IRBA_P_PARAMETERS)
_P_TABLE: Final = np.array([SEC_IRBA_P_PARAMETERS[k] for k in _P_ROWS], dtype=np.float64)

_LONG_TERM_ROWS: Final = (
    *"AAA AA+ AA AA- A+ A A- BBB+ BBB BBB- BB+ BB BB- B+ B B-".split(),  # noqa: SIM905
    "CCC+/CCC/CCC-",
    "below CCC-",
)
_SHORT_TERM_ROWS: Final = ("A-1/P-1", "A-2/P-2", "A-3/P-3", "all other")

Row4: TypeAlias = tuple[float, float, float, float]


def _rows(values: tuple[Row4, ...]) -> Mapping[str, Row4]:
    return MappingProxyType(dict(zip(_LONG_TERM_ROWS, values, strict=True)))


ERBA_LONG_TERM_RISK_WEIGHTS: Final = _rows(
    (
        (0.15, 0.20, 0.15, 0.70),
        (0.15, 0.30, 0.15, 0.90),
        (0.25, 0.40, 0.30, 1.20),
        (0.30, 0.45, 0.40, 1.40),
        (0.40, 0.50, 0.60, 1.60),
        (0.50, 0.65, 0.80, 1.80),
        (0.60, 0.70, 1.20, 2.10),
        (0.75, 0.90, 1.70, 2.60),
        (0.90, 1.05, 2.20, 3.10),
        (1.20, 1.40, 3.30, 4.20),
        (1.40, 1.60, 4.70, 5.80),
        (1.60, 1.80, 6.20, 7.60),
        (2.00, 2.25, 7.50, 8.60),
        (2.50, 2.80, 9.00, 9.50),
        (3.10, 3.40, 10.50, 10.50),
        (3.80, 4.20, 11.30, 11.30),
        (4.60, 5.05, 12.50, 12.50),
        (12.50, 12.50, 12.50, 12.50),
    )
)
"""SEC-ERBA long-term table (CRE42.4 Table 2): rating -> (senior MT = 1y, senior MT = 5y,
non-senior (thin) MT = 1y, non-senior MT = 5y)."""

ERBA_LONG_TERM_RISK_WEIGHTS_STC: Final = _rows(
    (
        (0.10, 0.10, 0.15, 0.40),
        (0.10, 0.15, 0.15, 0.55),
        (0.15, 0.20, 0.15, 0.70),
        (0.15, 0.25, 0.25, 0.80),
        (0.20, 0.30, 0.35, 0.95),
        (0.30, 0.40, 0.60, 1.35),
        (0.35, 0.40, 0.95, 1.70),
        (0.45, 0.55, 1.50, 2.25),
        (0.55, 0.65, 1.80, 2.55),
        (0.70, 0.85, 2.70, 3.45),
        (1.20, 1.35, 4.05, 5.00),
        (1.35, 1.55, 5.35, 6.55),
        (1.70, 1.95, 6.45, 7.40),
        (2.25, 2.50, 8.10, 8.55),
        (2.80, 3.05, 9.45, 9.45),
        (3.40, 3.80, 10.15, 10.15),
        (4.15, 4.55, 12.50, 12.50),
        (12.50, 12.50, 12.50, 12.50),
    )
)
"""SEC-ERBA long-term table for STC exposures (CRE42.13), columns as
:data:`ERBA_LONG_TERM_RISK_WEIGHTS`."""

ERBA_SHORT_TERM_RISK_WEIGHTS: Final[Mapping[str, float]] = MappingProxyType(
    dict(zip(_SHORT_TERM_ROWS, (0.15, 0.50, 1.00, 12.50), strict=True))
)
"""SEC-ERBA short-term table (CRE42.2 Table 1): A-1/P-1 15%, A-2/P-2 50%, A-3/P-3 100%,
all other ratings 1250%."""

ERBA_SHORT_TERM_RISK_WEIGHTS_STC: Final[Mapping[str, float]] = MappingProxyType(
    dict(zip(_SHORT_TERM_ROWS, (0.10, 0.30, 0.60, 12.50), strict=True))
)
"""SEC-ERBA short-term table for STC exposures (CRE42.12): 10%, 30%, 60%, 1250%."""

_LONG_TABLE: Final = np.array([ERBA_LONG_TERM_RISK_WEIGHTS[r] for r in _LONG_TERM_ROWS])
_LONG_TABLE_STC: Final = np.array([ERBA_LONG_TERM_RISK_WEIGHTS_STC[r] for r in _LONG_TERM_ROWS])
_SHORT_TABLE: Final = np.array([ERBA_SHORT_TERM_RISK_WEIGHTS[r] for r in _SHORT_TERM_ROWS])
_SHORT_TABLE_STC: Final = np.array([ERBA_SHORT_TERM_RISK_WEIGHTS_STC[r] for r in _SHORT_TERM_ROWS])

_MOODYS_LONG: Final = tuple(
    "AAA AA1 AA2 AA3 A1 A2 A3 BAA1 BAA2 BAA3 BA1 BA2 BA3 B1 B2 B3".split()  # noqa: SIM905
)
"""Moody's notations of the rows AAA to B- (upper case), in table order."""


def _long_term_aliases() -> Mapping[str, int]:
    """Upper-case rating notations (S&P/Fitch, Moody's, table labels) -> table row."""
    out: dict[str, int] = {}
    for i, label in enumerate(_LONG_TERM_ROWS[:16]):
        out[label] = i
        out[_MOODYS_LONG[i]] = i
    for code in ("CCC+", "CCC", "CCC-", "CCC+/CCC/CCC-", "CAA1", "CAA2", "CAA3"):
        out[code] = 16
    for code in ("BELOW CCC-", "CC", "C", "D", "SD", "RD", "CA"):
        out[code] = 17
    return MappingProxyType(out)


def _short_term_aliases() -> Mapping[str, int]:
    out = {
        "A-1/P-1": 0,
        "A-1+": 0,
        "A-1": 0,
        "P-1": 0,
        "F1+": 0,
        "F1": 0,
        "A-2/P-2": 1,
        "A-2": 1,
        "P-2": 1,
        "F2": 1,
        "A-3/P-3": 2,
        "A-3": 2,
        "P-3": 2,
        "F3": 2,
    }
    for code in ("ALL OTHER", "NP", "B", "C", "D"):
        out[code] = 3
    return MappingProxyType(out)


_LONG_ALIASES: Final = _long_term_aliases()
_SHORT_ALIASES: Final = _short_term_aliases()


# ---------------------------------------------------------------------------------------
# Array plumbing (same conventions as computefin.risk.capital)
# ---------------------------------------------------------------------------------------


def _unit(
    name: str, value: object, *, low_open: bool = False, high_open: bool = False
) -> FloatArray:
    """A decimal in [0, 1] (ends open on request), validated elementwise."""
    arr = _as_float(name, value)
    lo_ok = arr > 0.0 if low_open else arr >= 0.0
    hi_ok = arr < 1.0 if high_open else arr <= 1.0
    bracket = ("(" if low_open else "[") + "0, 1" + (")" if high_open else "]")
    _require(name, arr, lo_ok & hi_ok, f"must be in {bracket}")
    return arr


def _nonnegative(name: str, value: object) -> FloatArray:
    arr = _as_float(name, value)
    _require(name, arr, (arr >= 0.0) & np.isfinite(arr), "must be finite and >= 0")
    return arr


def _check_tranche(att: FloatArray, det: FloatArray) -> None:
    """A in [0, 1), D in (0, 1], and D > A elementwise (arrays already broadcast)."""
    _require("attachment", att, (att >= 0.0) & (att < 1.0), "must be in [0, 1)")
    _require("detachment", det, (det > 0.0) & (det <= 1.0), "must be in (0, 1]")
    bad = ~(det > att)
    if bad.any():
        index = np.unravel_index(int(np.flatnonzero(bad.reshape(-1))[0]), det.shape)
        idx = tuple(int(i) for i in index)
        raise ValidationError(
            _where("detachment", idx),
            f"must exceed attachment ({float(att[index])})",
            float(det[index]),
        )


# ---------------------------------------------------------------------------------------
# Result types
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SsfaResult(Generic[ValueT]):
    """Capital of tranches under a supervisory-formula approach (SEC-SA, SEC-IRBA).

    ``ka`` is KA (SEC-SA) or KIRB (SEC-IRBA), ``p`` the supervisory parameter, ``kssfa``
    the capital per unit of the part of the tranche above KA (1.0 for a tranche wholly at
    or below KA, 0.0 when KA = 0), ``risk_weight`` the floored and capped risk weight
    (decimal; 12.5 = 1250%) and ``rwa = risk_weight * exposure`` in the exposure's currency.

    >>> r = sec_sa([0.0, 0.05, 0.5], [0.05, 0.25, 1.0], ksa=0.08)
    >>> r.risk_weight.round(4).tolist()
    [12.5, 6.2778, 0.15]
    >>> r.kssfa.round(4).tolist()
    [1.0, 0.4144, 0.0008]
    """

    ka: ValueT
    p: ValueT
    kssfa: ValueT
    risk_weight: ValueT
    rwa: ValueT


@dataclass(frozen=True, eq=False)
class ErbaResult(Generic[ValueT]):
    """Capital of rated tranches under SEC-ERBA.

    ``maturity_years`` is the tranche maturity MT used (clipped to [1, 5] years),
    ``risk_weight`` the final risk weight (decimal) and ``rwa = risk_weight * exposure``.

    >>> r = sec_erba(["AAA", "A"], 3.0, senior=True, exposure=100.0)
    >>> r.risk_weight.tolist(), r.rwa.tolist()
    ([0.175, 0.575], [17.5, 57.5])
    """

    maturity_years: ValueT
    risk_weight: ValueT
    rwa: ValueT


# ---------------------------------------------------------------------------------------
# The supervisory formula (SSFA)
# ---------------------------------------------------------------------------------------


def _kssfa(att: FloatArray, det: FloatArray, ka: FloatArray, p: FloatArray) -> FloatArray:
    """KSSFA = (e^(a u) - e^(a l)) / (a (u - l)), a = -1/(p KA), u = D - KA,
    l = max(A - KA, 0); 1 where D <= KA, 0 where KA = 0 (the limit a -> -inf)."""
    live = (det > ka) & (ka > 0.0)
    scale = p * np.where(live, ka, 1.0)  # -1/a
    upper = np.where(live, det - ka, 1.0)
    lower = np.where(live, np.maximum(att - ka, 0.0), 0.0)
    with np.errstate(over="ignore"):  # p KA near the smallest float: z = inf, k -> 0
        z = (upper - lower) / scale  # -a (u - l) > 0 where live
        k = np.exp(-lower / scale) * -np.expm1(-z) / z
    return np.asarray(np.where(det <= ka, 1.0, np.where(ka > 0.0, k, 0.0)), np.float64)


def _ssfa_risk_weight(
    att: FloatArray, det: FloatArray, ka: FloatArray, kssfa: FloatArray
) -> FloatArray:
    """Unfloored RW: 12.5 if D <= KA; 12.5 KSSFA if A >= KA; else the blend (CRE44.24)."""
    cap = SECURITISATION_RISK_WEIGHT_CAP
    blend = cap * ((ka - att) + (det - ka) * kssfa) / (det - att)
    rw = np.where(det <= ka, cap, np.where(att >= ka, cap * kssfa, blend))
    return np.asarray(rw, np.float64)


def _finish(
    rw: FloatArray,
    floor: FloatArray,
    senior: BoolArray,
    look_through: FloatArray | None,
) -> FloatArray:
    """Floor, 1250% cap, then the senior look-through cap (which may go below the floor)."""
    out = np.minimum(np.maximum(rw, floor), SECURITISATION_RISK_WEIGHT_CAP)
    if look_through is not None:
        out = np.where(senior, np.minimum(out, look_through), out)
    return np.asarray(out, np.float64)


@overload
def ssfa(
    attachment: float,
    detachment: float,
    ka: float,
    p: float,
    *,
    floor: float = ...,
    exposure: float = ...,
) -> SsfaResult[float]: ...


@overload
def ssfa(  # scalars match the first overload
    attachment: npt.ArrayLike,
    detachment: npt.ArrayLike,
    ka: npt.ArrayLike,
    p: npt.ArrayLike,
    *,
    floor: npt.ArrayLike = ...,
    exposure: npt.ArrayLike = ...,
) -> SsfaResult[FloatArray]: ...


def ssfa(
    attachment: npt.ArrayLike,
    detachment: npt.ArrayLike,
    ka: npt.ArrayLike,
    p: npt.ArrayLike,
    *,
    floor: npt.ArrayLike = SECURITISATION_RISK_WEIGHT_FLOOR,
    exposure: npt.ArrayLike = 1.0,
) -> SsfaResult[Any]:
    """Risk weight of tranches [A, D] from the simplified supervisory formula.

    With ``a = -1/(p KA)``, ``u = D - KA``, ``l = max(A - KA, 0)`` (CRE44.23, CRE41)::

        KSSFA = (e^(a u) - e^(a l)) / (a (u - l))
        RW    = 1250%                                         if D <= KA
              = 12.5 KSSFA                                    if A >= KA
              = 12.5 [(KA - A) + (D - KA) KSSFA] / (D - A)    if A < KA < D
        RW    = min(max(RW, floor), 1250%),   RWA = RW exposure

    :func:`sec_sa` and :func:`sec_irba` supply KA, p and the floor; call this directly for
    other calibrations (for example a resecuritisation: p = 1.5, floor 100%).

    Args:
        attachment: A, decimal in [0, 1).
        detachment: D, decimal in (0, 1], D > A.
        ka: KA, the pool's capital charge, decimal in [0, 1].
        p: supervisory parameter, > 0.
        floor: risk-weight floor, decimal in [0, 12.5] (default 15%).
        exposure: the tranche exposure, currency >= 0.

    >>> r = ssfa(0.1, 0.2, 0.08, 1.0, exposure=100.0)
    >>> round(r.kssfa, 6), round(r.risk_weight, 4), round(r.rwa, 2)
    (0.444536, 5.5567, 555.67)
    >>> ssfa(0.0, 0.05, 0.08, 1.0).risk_weight  # wholly below KA
    12.5
    >>> ssfa(0.3, 0.2, 0.08, 1.0)
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: detachment: must exceed attachment (0.3) (got 0.2)
    """
    att = _as_float("attachment", attachment)
    det = _as_float("detachment", detachment)
    k = _unit("ka", ka)
    pp = _as_float("p", p)
    _require("p", pp, (pp > 0.0) & np.isfinite(pp), "must be finite and > 0")
    fl = _as_float("floor", floor)
    cap = SECURITISATION_RISK_WEIGHT_CAP
    _require("floor", fl, (fl >= 0.0) & (fl <= cap), f"must be in [0, {cap}]")
    e = _nonnegative("exposure", exposure)
    named = {"attachment": att, "detachment": det, "ka": k, "p": pp, "floor": fl, "exposure": e}
    scalar = _is_scalar(attachment, detachment, ka, p, floor, exposure)
    att, det, k, pp, fl, e = _broadcast(named)
    _check_tranche(att, det)
    kssfa = _kssfa(att, det, k, pp)
    rw = np.minimum(np.maximum(_ssfa_risk_weight(att, det, k, kssfa), fl), cap)
    return SsfaResult(
        ka=_out(k, scalar),
        p=_out(pp, scalar),
        kssfa=_out(kssfa, scalar),
        risk_weight=_out(rw, scalar),
        rwa=_out(rw * e, scalar),
    )


def _seniority(arrays: Mapping[str, npt.NDArray[Any]], det: FloatArray) -> BoolArray:
    """The broadcast ``senior`` flags, or D = 1 (nothing ranks above) when not given."""
    if "senior" in arrays:
        return arrays["senior"].astype(np.bool_)
    return np.asarray(det >= 1.0)


def _optional_inputs(
    named: dict[str, npt.NDArray[Any]],
    senior: npt.ArrayLike | None,
    look_through_risk_weight: npt.ArrayLike | None,
) -> None:
    """Add the optional ``senior`` and ``look_through_risk_weight`` inputs to ``named``."""
    if senior is not None:
        named["senior"] = _as_bool("senior", senior)
    if look_through_risk_weight is not None:
        named["look_through_risk_weight"] = _nonnegative(
            "look_through_risk_weight", look_through_risk_weight
        )


# ---------------------------------------------------------------------------------------
# SEC-SA (CRE41)
# ---------------------------------------------------------------------------------------


@overload
def sec_sa(
    attachment: float,
    detachment: float,
    ksa: float,
    w: float = ...,
    *,
    stc: bool = ...,
    senior: bool | None = ...,
    unknown_delinquency_share: float = ...,
    look_through_risk_weight: float | None = ...,
    exposure: float = ...,
) -> SsfaResult[float]: ...


@overload
def sec_sa(  # scalars match the first overload
    attachment: npt.ArrayLike,
    detachment: npt.ArrayLike,
    ksa: npt.ArrayLike,
    w: npt.ArrayLike = ...,
    *,
    stc: npt.ArrayLike = ...,
    senior: npt.ArrayLike | None = ...,
    unknown_delinquency_share: npt.ArrayLike = ...,
    look_through_risk_weight: npt.ArrayLike | None = ...,
    exposure: npt.ArrayLike = ...,
) -> SsfaResult[FloatArray]: ...


def sec_sa(
    attachment: npt.ArrayLike,
    detachment: npt.ArrayLike,
    ksa: npt.ArrayLike,
    w: npt.ArrayLike = 0.0,
    *,
    stc: npt.ArrayLike = False,
    senior: npt.ArrayLike | None = None,
    unknown_delinquency_share: npt.ArrayLike = 0.0,
    look_through_risk_weight: npt.ArrayLike | None = None,
    exposure: npt.ArrayLike = 1.0,
) -> SsfaResult[Any]:
    """SEC-SA risk weight of tranches of a standardised-approach pool (CRE41).

    ``KA = (1 - W) KSA + 0.5 W``; where the delinquency status of a share ``x <= 5%`` of
    the pool is unknown, ``KA = (1 - x) KA + x`` (a share above 5% gives 1250%).
    ``p = 1`` (0.5 for STC). The risk weight is :func:`ssfa` of (A, D, KA, p), floored at
    15% (10% for a senior STC position) and capped at 1250%.

    Args:
        attachment, detachment: A in [0, 1), D in (0, 1], D > A.
        ksa: KSA, the pool's SA capital charge (8% x average SA risk weight), in [0, 1].
        w: W, the share of delinquent exposures (90 days past due, in insolvency,
            foreclosure, real estate owned or in default per the documents), in [0, 1].
        stc: the securitisation meets the STC criteria for capital purposes.
        senior: the position is senior; ``None`` treats D = 1 as senior.
        unknown_delinquency_share: share of the pool whose delinquency status is unknown.
        look_through_risk_weight: optional cap on senior positions: the exposure-weighted
            average risk weight of the underlying pool (CRE40.50-40.51); applied after the
            floor, so it can take the risk weight below 15%.
        exposure: the tranche exposure, currency >= 0.

    >>> r = sec_sa(0.05, 0.25, ksa=0.09, w=0.06, unknown_delinquency_share=0.01)
    >>> round(r.ka, 6), round(r.risk_weight, 4)   # 954% in the CBUAE worked example
    (0.123454, 9.5384)
    >>> sec_sa(0.3, 1.0, ksa=0.08).risk_weight, sec_sa(0.3, 1.0, ksa=0.08, stc=True).risk_weight
    (0.15, 0.1)
    """
    att = _as_float("attachment", attachment)
    det = _as_float("detachment", detachment)
    ks = _unit("ksa", ksa)
    ww = _unit("w", w)
    unknown = _unit("unknown_delinquency_share", unknown_delinquency_share)
    st = _as_bool("stc", stc)
    e = _nonnegative("exposure", exposure)
    named: dict[str, npt.NDArray[Any]] = {
        "attachment": att,
        "detachment": det,
        "ksa": ks,
        "w": ww,
        "unknown_delinquency_share": unknown,
        "stc": st,
        "exposure": e,
    }
    _optional_inputs(named, senior, look_through_risk_weight)
    scalar = _is_scalar(
        attachment,
        detachment,
        ksa,
        w,
        stc,
        senior,
        unknown_delinquency_share,
        look_through_risk_weight,
        exposure,
    )
    arrays = dict(zip(named, _broadcast(named), strict=True))
    att, det = arrays["attachment"], arrays["detachment"]
    _check_tranche(att, det)
    sen = _seniority(arrays, det)
    stc_b = arrays["stc"].astype(np.bool_)
    look = arrays.get("look_through_risk_weight")

    known_ka = (1.0 - arrays["w"]) * arrays["ksa"] + _DELINQUENT_K * arrays["w"]
    x = arrays["unknown_delinquency_share"]
    ka = (1.0 - x) * known_ka + x
    p = np.where(stc_b, _P_SEC_SA_STC, _P_SEC_SA)
    kssfa = _kssfa(att, det, ka, p)
    floor = np.where(
        stc_b & sen, SECURITISATION_RISK_WEIGHT_FLOOR_STC_SENIOR, SECURITISATION_RISK_WEIGHT_FLOOR
    )
    rw = _finish(_ssfa_risk_weight(att, det, ka, kssfa), floor, sen, look)
    rw = np.where(x > _MAX_UNKNOWN_DELINQUENCY, SECURITISATION_RISK_WEIGHT_CAP, rw)
    return SsfaResult(
        ka=_out(ka, scalar),
        p=_out(p, scalar),
        kssfa=_out(kssfa, scalar),
        risk_weight=_out(rw, scalar),
        rwa=_out(rw * arrays["exposure"], scalar),
    )


# ---------------------------------------------------------------------------------------
# SEC-IRBA (CRE44)
# ---------------------------------------------------------------------------------------


def _p_inputs(
    kirb: npt.ArrayLike,
    lgd_pool: npt.ArrayLike,
    n_effective: npt.ArrayLike,
    maturity_years: npt.ArrayLike,
) -> dict[str, FloatArray]:
    kb = _unit("kirb", kirb)
    lg = _unit("lgd_pool", lgd_pool)
    n = _as_float("n_effective", n_effective)
    _require("n_effective", n, n >= 1.0, "must be >= 1 (inf allowed)")
    m = _nonnegative("maturity_years", maturity_years)
    return {"kirb": kb, "lgd_pool": lg, "n_effective": n, "maturity_years": m}


def _p_kernel(
    kirb: FloatArray,
    lgd: FloatArray,
    n: FloatArray,
    mt: FloatArray,
    retail: BoolArray,
    senior: BoolArray,
    stc: BoolArray,
) -> FloatArray:
    """p = max(0.3, s (A + B/N + C KIRB + D LGD + E MT)), s = 0.5 for STC else 1."""
    granular = n >= _GRANULAR_N
    row = np.where(
        retail,
        np.where(senior, 4, 5),
        np.where(senior, np.where(granular, 0, 1), np.where(granular, 2, 3)),
    )
    c = _P_TABLE[row]
    raw = c[..., 0] + c[..., 1] / n + c[..., 2] * kirb + c[..., 3] * lgd + c[..., 4] * mt
    scale = np.where(stc, _STC_P_SCALE, 1.0)
    return np.asarray(np.maximum(_P_FLOOR, scale * raw), np.float64)


@overload
def sec_irba_p(
    kirb: float,
    lgd_pool: float,
    n_effective: float,
    maturity_years: float,
    *,
    retail: bool = ...,
    senior: bool = ...,
    stc: bool = ...,
) -> float: ...


@overload
def sec_irba_p(  # scalars match the first overload
    kirb: npt.ArrayLike,
    lgd_pool: npt.ArrayLike,
    n_effective: npt.ArrayLike,
    maturity_years: npt.ArrayLike,
    *,
    retail: npt.ArrayLike = ...,
    senior: npt.ArrayLike = ...,
    stc: npt.ArrayLike = ...,
) -> FloatArray: ...


def sec_irba_p(
    kirb: npt.ArrayLike,
    lgd_pool: npt.ArrayLike,
    n_effective: npt.ArrayLike,
    maturity_years: npt.ArrayLike,
    *,
    retail: npt.ArrayLike = False,
    senior: npt.ArrayLike = True,
    stc: npt.ArrayLike = False,
) -> FloatOrArray:
    """SEC-IRBA supervisory parameter p (CRE44.17; STC CRE44.28).

    ``p = max(0.3, A + B/N + C KIRB + D LGD + E MT)`` with (A, B, C, D, E) from
    :data:`SEC_IRBA_P_PARAMETERS` by wholesale/retail, senior/non-senior and, for
    wholesale, granular (N >= 25) or not; for STC the bracket is halved:
    ``max(0.3, 0.5 (...))``. MT is floored at 1 and capped at 5 years (CRE40.22).

    Args:
        kirb: KIRB, decimal in [0, 1].
        lgd_pool: exposure-weighted average LGD of the pool, decimal in [0, 1].
        n_effective: effective number of exposures N = (sum EAD)^2 / sum EAD^2, >= 1
            (``inf`` allowed; unused for retail pools).
        maturity_years: tranche maturity MT, years >= 0.
        retail, senior, stc: pool type, seniority of the tranche, STC status.

    >>> round(sec_irba_p(0.08, 0.45, 100, 3.0), 4)   # 3.56/100 - 1.85 x 0.08 + ...
    0.3451
    >>> sec_irba_p(0.08, 0.45, 100, 3.0, stc=True)   # halved to 0.18, floored
    0.3
    """
    named: dict[str, npt.NDArray[Any]] = dict(
        _p_inputs(kirb, lgd_pool, n_effective, maturity_years)
    )
    named["retail"] = _as_bool("retail", retail)
    named["senior"] = _as_bool("senior", senior)
    named["stc"] = _as_bool("stc", stc)
    scalar = _is_scalar(kirb, lgd_pool, n_effective, maturity_years, retail, senior, stc)
    kb, lg, n, m, rt, sn, st = _broadcast(named)
    mt = np.clip(m, _MT_FLOOR, _MT_CAP)
    p = _p_kernel(kb, lg, n, mt, rt.astype(bool), sn.astype(bool), st.astype(bool))
    result: FloatOrArray = _out(p, scalar)
    return result


@overload
def sec_irba(
    attachment: float,
    detachment: float,
    kirb: float,
    lgd_pool: float,
    n_effective: float,
    maturity_years: float,
    *,
    retail: bool = ...,
    senior: bool | None = ...,
    stc: bool = ...,
    look_through_risk_weight: float | None = ...,
    exposure: float = ...,
) -> SsfaResult[float]: ...


@overload
def sec_irba(  # scalars match the first overload
    attachment: npt.ArrayLike,
    detachment: npt.ArrayLike,
    kirb: npt.ArrayLike,
    lgd_pool: npt.ArrayLike,
    n_effective: npt.ArrayLike,
    maturity_years: npt.ArrayLike,
    *,
    retail: npt.ArrayLike = ...,
    senior: npt.ArrayLike | None = ...,
    stc: npt.ArrayLike = ...,
    look_through_risk_weight: npt.ArrayLike | None = ...,
    exposure: npt.ArrayLike = ...,
) -> SsfaResult[FloatArray]: ...


def sec_irba(
    attachment: npt.ArrayLike,
    detachment: npt.ArrayLike,
    kirb: npt.ArrayLike,
    lgd_pool: npt.ArrayLike,
    n_effective: npt.ArrayLike,
    maturity_years: npt.ArrayLike,
    *,
    retail: npt.ArrayLike = False,
    senior: npt.ArrayLike | None = None,
    stc: npt.ArrayLike = False,
    look_through_risk_weight: npt.ArrayLike | None = None,
    exposure: npt.ArrayLike = 1.0,
) -> SsfaResult[Any]:
    """SEC-IRBA risk weight of tranches of an IRB pool (CRE44).

    KA = KIRB (the pool's IRB capital including expected loss, per unit of pool exposure)
    and p from :func:`sec_irba_p`; the risk weight is :func:`ssfa` of (A, D, KIRB, p):
    1250% where D <= KIRB, the blend where A < KIRB < D (CRE44.24), floored at 15% (10%
    for a senior STC position; CRE44.26, CRE44.29) and capped at 1250%.

    Args:
        attachment, detachment: A in [0, 1), D in (0, 1], D > A.
        kirb: KIRB, decimal in [0, 1].
        lgd_pool: exposure-weighted average LGD of the pool, decimal in [0, 1].
        n_effective: effective number of exposures N (>= 1, ``inf`` allowed).
        maturity_years: tranche maturity MT, years (see :func:`tranche_maturity`);
            floored at 1 and capped at 5 here.
        retail: the pool is retail (else wholesale). A mixed pool needs the exposure-
            weighted p of its retail and wholesale parts (CRE44.18), not computed here.
        senior: the position is senior; ``None`` treats D = 1 as senior.
        stc: the securitisation meets the STC criteria for capital purposes.
        look_through_risk_weight: optional cap on senior positions (CRE40.50-40.51).
        exposure: the tranche exposure, currency >= 0.

    >>> r = sec_irba(0.10, 1.0, kirb=0.06, lgd_pool=0.45, n_effective=40,
    ...              maturity_years=3.0, exposure=1_000.0)
    >>> round(r.p, 4), round(r.risk_weight, 4), round(r.rwa, 1)
    (0.4355, 0.15, 150.0)
    >>> r = sec_irba(0.02, 0.10, 0.06, 0.45, 40, 3.0)   # straddles KIRB
    >>> round(r.p, 4), round(r.risk_weight, 4)
    (0.4745, 9.6067)
    >>> sec_irba(0.0, 0.05, -0.01, 0.45, 40, 3.0)
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: kirb: must be in [0, 1] (got -0.01)
    """
    att = _as_float("attachment", attachment)
    det = _as_float("detachment", detachment)
    named: dict[str, npt.NDArray[Any]] = {"attachment": att, "detachment": det}
    named.update(_p_inputs(kirb, lgd_pool, n_effective, maturity_years))
    named["retail"] = _as_bool("retail", retail)
    named["stc"] = _as_bool("stc", stc)
    named["exposure"] = _nonnegative("exposure", exposure)
    _optional_inputs(named, senior, look_through_risk_weight)
    scalar = _is_scalar(
        attachment,
        detachment,
        kirb,
        lgd_pool,
        n_effective,
        maturity_years,
        retail,
        senior,
        stc,
        look_through_risk_weight,
        exposure,
    )
    arrays = dict(zip(named, _broadcast(named), strict=True))
    att, det, kb = arrays["attachment"], arrays["detachment"], arrays["kirb"]
    _check_tranche(att, det)
    sen = _seniority(arrays, det)
    stc_b = arrays["stc"].astype(np.bool_)
    look = arrays.get("look_through_risk_weight")

    mt = np.clip(arrays["maturity_years"], _MT_FLOOR, _MT_CAP)
    p = _p_kernel(
        kb,
        arrays["lgd_pool"],
        arrays["n_effective"],
        mt,
        arrays["retail"].astype(np.bool_),
        sen,
        stc_b,
    )
    kssfa = _kssfa(att, det, kb, p)
    floor = np.where(
        stc_b & sen, SECURITISATION_RISK_WEIGHT_FLOOR_STC_SENIOR, SECURITISATION_RISK_WEIGHT_FLOOR
    )
    rw = _finish(_ssfa_risk_weight(att, det, kb, kssfa), floor, sen, look)
    return SsfaResult(
        ka=_out(kb, scalar),
        p=_out(p, scalar),
        kssfa=_out(kssfa, scalar),
        risk_weight=_out(rw, scalar),
        rwa=_out(rw * arrays["exposure"], scalar),
    )


# ---------------------------------------------------------------------------------------
# SEC-ERBA (CRE42)
# ---------------------------------------------------------------------------------------


def _rating_codes(rating: object, short_term: bool) -> npt.NDArray[np.int64]:
    """Ratings (notation strings, or credit quality steps 1..18 / 1..4) -> table rows."""
    arr = np.asarray(rating)
    rows = len(_SHORT_TERM_ROWS) if short_term else len(_LONG_TERM_ROWS)
    if arr.dtype.kind in "iu":
        codes = arr.astype(np.int64) - 1
        bad = (codes < 0) | (codes >= rows)
        if bad.any():
            index = np.unravel_index(int(np.flatnonzero(bad.reshape(-1))[0]), arr.shape)
            raise ValidationError(
                _where("rating", tuple(int(i) for i in index)),
                f"credit quality step must be 1 to {rows}",
                int(arr[index]),
            )
        return codes
    if arr.dtype.kind == "O":
        arr = arr.astype(str)
    if arr.dtype.kind != "U":
        shown = rating if arr.ndim == 0 else None
        raise ValidationError("rating", "must be rating strings or credit quality steps", shown)
    aliases = _SHORT_ALIASES if short_term else _LONG_ALIASES
    names, inverse = np.unique(np.char.upper(np.char.strip(arr)), return_inverse=True)
    lookup = np.array([aliases.get(str(n), -1) for n in names], dtype=np.int64)
    codes = lookup[inverse].reshape(arr.shape)
    if (codes < 0).any():
        index = np.unravel_index(int(np.flatnonzero(codes.reshape(-1) < 0)[0]), arr.shape)
        kind = "short-term" if short_term else "long-term"
        raise ValidationError(
            _where("rating", tuple(int(i) for i in index)),
            f"unknown {kind} rating",
            str(arr[index]),
        )
    return codes


@overload
def sec_erba(
    rating: str | int,
    maturity_years: float | None = ...,
    *,
    senior: bool,
    thickness: float | None = ...,
    stc: bool = ...,
    short_term: bool = ...,
    exposure: float = ...,
) -> ErbaResult[float]: ...


@overload
def sec_erba(  # scalars match the first overload
    rating: npt.ArrayLike,
    maturity_years: npt.ArrayLike | None = ...,
    *,
    senior: npt.ArrayLike,
    thickness: npt.ArrayLike | None = ...,
    stc: npt.ArrayLike = ...,
    short_term: bool = ...,
    exposure: npt.ArrayLike = ...,
) -> ErbaResult[FloatArray]: ...


def sec_erba(
    rating: npt.ArrayLike,
    maturity_years: npt.ArrayLike | None = None,
    *,
    senior: npt.ArrayLike,
    thickness: npt.ArrayLike | None = None,
    stc: npt.ArrayLike = False,
    short_term: bool = False,
    exposure: npt.ArrayLike = 1.0,
) -> ErbaResult[Any]:
    """SEC-ERBA risk weight of externally rated tranches (CRE42; STC CRE42.11-42.14).

    Long-term ratings: the table weight for the seniority, linearly interpolated in the
    tranche maturity MT between 1 and 5 years (MT clipped to [1, 5]; CRE42.4, CRE42.6);
    for a non-senior tranche multiplied by ``1 - min(T, 50%)``, T = D - A the thickness
    (CRE42.5), and (non-STC only) never below the senior weight of the same rating and
    maturity (CRE42.7). Short-term ratings: the short-term table, no adjustment. Floor 15%
    (10% for senior STC positions), cap 1250%.

    Args:
        rating: long-term (``"AA-"``, ``"Aa3"``, ``"CCC+"``, ``"D"``) or, with
            ``short_term=True``, short-term (``"A-1+"``, ``"P-2"``, ``"F3"``, ``"NP"``)
            ratings, case-insensitive; or credit quality steps: 1-17 for the rows AAA to
            CCC+/CCC/CCC- and 18 for below CCC- (short-term: 1-3, and 4 for all other).
        maturity_years: tranche maturity MT, years >= 0 (see :func:`tranche_maturity`);
            required for long-term ratings, unused for short-term ones.
        senior: the position is senior.
        thickness: T = D - A, decimal in (0, 1]; required for non-senior tranches with
            long-term ratings.
        stc: the securitisation meets the STC criteria for capital purposes.
        short_term: the ratings are short-term ratings.
        exposure: the tranche exposure, currency >= 0.

    >>> sec_erba("AAA", 5.0, senior=True).risk_weight
    0.2
    >>> sec_erba("BBB", 1.0, senior=False, thickness=0.6).risk_weight  # 220% x 0.5
    1.1
    >>> sec_erba("A-1", senior=True, short_term=True, stc=True).risk_weight
    0.1
    >>> sec_erba("AAA", 1.0, senior=False)
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: thickness: required for non-senior tranches
    """
    short = bool(short_term)
    codes = _rating_codes(rating, short)
    if maturity_years is None and not short:
        raise ValidationError("maturity_years", "required for long-term ratings", None)
    m = _nonnegative("maturity_years", 1.0 if maturity_years is None else maturity_years)
    sen = _as_bool("senior", senior)
    st = _as_bool("stc", stc)
    e = _nonnegative("exposure", exposure)
    named: dict[str, npt.NDArray[Any]] = {
        "rating": codes,
        "maturity_years": m,
        "senior": sen,
        "stc": st,
        "exposure": e,
    }
    if thickness is not None:
        named["thickness"] = _unit("thickness", thickness, low_open=True)
    elif not short and not sen.all():
        raise ValidationError("thickness", "required for non-senior tranches", None)
    scalar = _is_scalar(rating, maturity_years, senior, thickness, stc, exposure)
    arrays = dict(zip(named, _broadcast(named), strict=True))
    row = arrays["rating"].astype(np.int64)
    sen = arrays["senior"].astype(np.bool_)
    stc_b = arrays["stc"].astype(np.bool_)
    mt = np.clip(arrays["maturity_years"], _MT_FLOOR, _MT_CAP)

    if short:
        rw = np.where(stc_b, _SHORT_TABLE_STC[row], _SHORT_TABLE[row])
    else:
        tab = np.where(stc_b[..., None], _LONG_TABLE_STC[row], _LONG_TABLE[row])
        frac = (mt - _MT_FLOOR) / (_MT_CAP - _MT_FLOOR)
        rw_senior = tab[..., 0] + (tab[..., 1] - tab[..., 0]) * frac
        rw_thin = tab[..., 2] + (tab[..., 3] - tab[..., 2]) * frac
        t = arrays.get("thickness", np.ones_like(mt))
        rw_non_senior = rw_thin * (1.0 - np.minimum(t, _THICKNESS_CAP))
        rw_non_senior = np.where(stc_b, rw_non_senior, np.maximum(rw_non_senior, rw_senior))
        rw = np.where(sen, rw_senior, rw_non_senior)
    floor = np.where(
        stc_b & sen, SECURITISATION_RISK_WEIGHT_FLOOR_STC_SENIOR, SECURITISATION_RISK_WEIGHT_FLOOR
    )
    rw = np.minimum(np.maximum(rw, floor), SECURITISATION_RISK_WEIGHT_CAP)
    return ErbaResult(
        maturity_years=_out(mt, scalar),
        risk_weight=_out(rw, scalar),
        rwa=_out(rw * arrays["exposure"], scalar),
    )


# ---------------------------------------------------------------------------------------
# Tranche maturity (CRE40.22)
# ---------------------------------------------------------------------------------------


@overload
def tranche_maturity(legal_maturity_years: float) -> float: ...


@overload
def tranche_maturity(
    legal_maturity_years: npt.ArrayLike | None = ...,
    *,
    cash_flow_times: npt.ArrayLike | None = ...,
    cash_flows: npt.ArrayLike | None = ...,
) -> FloatOrArray: ...


def tranche_maturity(
    legal_maturity_years: npt.ArrayLike | None = None,
    *,
    cash_flow_times: npt.ArrayLike | None = None,
    cash_flows: npt.ArrayLike | None = None,
) -> FloatOrArray:
    """Tranche maturity MT in years, floored at 1 and capped at 5 (CRE40.22).

    Either the final-legal-maturity approach, ``MT = 1 + (ML - 1) x 80%``, or the
    weighted-average approach, ``MT = sum t CF_t / sum CF_t`` over the contractual
    payments (principal, interest, fees) due under the tranche, along the last axis.

    Args:
        legal_maturity_years: ML, the final legal maturity, years >= 0.
        cash_flow_times: t, payment times in years >= 0 (last axis: payments).
        cash_flows: CF_t, contractual payments >= 0, same last axis; sum > 0.

    Returns a float for a scalar ML or 1-D cash flows, else a read-only array.

    >>> tranche_maturity(4.5)   # 1 + 3.5 x 0.8
    3.8
    >>> tranche_maturity([0.5, 10.0]).tolist()
    [1.0, 5.0]
    >>> round(tranche_maturity(cash_flow_times=[1, 2, 3], cash_flows=[10, 10, 110]), 4)
    2.7692
    """
    legal = legal_maturity_years is not None
    cash = cash_flow_times is not None or cash_flows is not None
    if legal == cash:
        raise ValidationError(
            "tranche_maturity",
            "give either legal_maturity_years or cash_flow_times and cash_flows",
            None,
        )
    if legal:
        ml = _nonnegative("legal_maturity_years", legal_maturity_years)
        mt = 1.0 + (ml - 1.0) * _LEGAL_MATURITY_WEIGHT
        result: FloatOrArray = _out(
            np.clip(mt, _MT_FLOOR, _MT_CAP), _is_scalar(legal_maturity_years)
        )
        return result
    if cash_flow_times is None or cash_flows is None:
        raise ValidationError(
            "cash_flows" if cash_flows is None else "cash_flow_times",
            "the weighted-average approach needs both cash_flow_times and cash_flows",
            None,
        )
    t = _nonnegative("cash_flow_times", cash_flow_times)
    cf = _nonnegative("cash_flows", cash_flows)
    t, cf = _broadcast({"cash_flow_times": t, "cash_flows": cf})
    if t.ndim == 0:
        raise ValidationError("cash_flows", "need at least one payment (an array)", None)
    total = cf.sum(axis=-1)
    _require("cash_flows", np.asarray(total), np.asarray(total > 0.0), "must sum to > 0")
    mt_w = (t * cf).sum(axis=-1) / total
    weighted: FloatOrArray = _out(np.clip(mt_w, _MT_FLOOR, _MT_CAP), scalar=t.ndim == 1)
    return weighted
