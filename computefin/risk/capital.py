"""Regulatory credit capital for GPU-backed lending: IRB, F-IRB collateral, slotting, SA.

Basel III (the December 2017 final framework, consolidated as chapters CRE20-CRE36 of the
Basel Framework), which China's Capital Rules for Commercial Banks (NFRA Order 2023 No. 4,
effective 2024-01-01) follow for these calculations:

* :func:`irb_corporate` - the IRB risk-weight function for corporate exposures (CRE31.4-31.5),
  with the SME firm-size adjustment (CRE31.9), the 0.05% PD floor, the maturity floor and
  cap, and the defaulted-exposure treatment (K = max(0, LGD - ELBE));
* :func:`firb_secured_lgd` - the foundation-IRB effective LGD of an exposure secured by
  cash, receivables, real estate or other physical collateral (GPUs);
* :func:`slotting` - the supervisory slotting risk weights (CRE33) and expected-loss rates
  (CRE35) for specialised lending, object finance being the class of a GPU-backed loan;
* :func:`standardised_specialised_lending` - the standardised risk weight of a specialised
  lending exposure (CRE20.48-20.50), rated or unrated.

The numeric kernels are vectorised: Python or numpy scalars in give floats out; arrays or
lists in (any shapes that broadcast) give read-only float64 arrays out, so a whole book is
one call. Rates (PD,
LGD, risk weights, EL rates) are decimals (0.45 = 45%); exposures, RWA and EL are in the
exposure's currency; maturities are in years. Sources, paragraph numbers and what was and
was not checked against the regulatory text are in ``docs/models/capital.md``.

>>> r = irb_corporate(pd=0.01, lgd=0.45, maturity_years=2.5, ead=1_000_000.0)
>>> round(r.risk_weight, 4), round(r.rwa), round(r.expected_loss)
(0.9232, 923168, 4500)
>>> slotting("good", maturity_years=4.0, exposure=100.0).rwa
90.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final, Generic, Literal, TypeAlias, TypeVar, overload

import numpy as np
import numpy.typing as npt
from pydantic import Field, model_validator
from scipy.special import ndtr, ndtri

from computefin.domain._base import DomainModel
from computefin.errors import ValidationError
from computefin.risk._arrays import (
    as_float as _as_float,
    broadcast as _broadcast,
    is_scalar as _is_scalar,
    out as _out,
    require as _require,
)
from computefin.risk.capital_securitisation import (
    ERBA_LONG_TERM_RISK_WEIGHTS,
    ERBA_LONG_TERM_RISK_WEIGHTS_STC,
    ERBA_SHORT_TERM_RISK_WEIGHTS,
    ERBA_SHORT_TERM_RISK_WEIGHTS_STC,
    SEC_IRBA_P_PARAMETERS,
    SECURITISATION_RISK_WEIGHT_CAP,
    SECURITISATION_RISK_WEIGHT_FLOOR,
    SECURITISATION_RISK_WEIGHT_FLOOR_STC_SENIOR,
    ErbaResult,
    SsfaResult,
    sec_erba,
    sec_irba,
    sec_irba_p,
    sec_sa,
    ssfa,
    tranche_maturity,
)

__all__ = [
    "CORPORATE_RATING_RISK_WEIGHTS",
    "ERBA_LONG_TERM_RISK_WEIGHTS",
    "ERBA_LONG_TERM_RISK_WEIGHTS_STC",
    "ERBA_SHORT_TERM_RISK_WEIGHTS",
    "ERBA_SHORT_TERM_RISK_WEIGHTS_STC",
    "FIRB_COLLATERAL",
    "FIRB_LGD_SENIOR_UNSECURED",
    "FIRB_LGD_SENIOR_UNSECURED_FINANCIAL",
    "FIRB_LGD_SUBORDINATED",
    "PD_FLOOR_CORPORATE",
    "SECURITISATION_RISK_WEIGHT_CAP",
    "SECURITISATION_RISK_WEIGHT_FLOOR",
    "SECURITISATION_RISK_WEIGHT_FLOOR_STC_SENIOR",
    "SEC_IRBA_P_PARAMETERS",
    "SLOTTING_EL_RISK_WEIGHTS",
    "SLOTTING_RISK_WEIGHTS",
    "SME_SIZE_BASEL_EUR",
    "SME_SIZE_CHINA_CNY",
    "SPECIALISED_LENDING_UNRATED_RISK_WEIGHTS",
    "CollateralTerms",
    "ErbaResult",
    "IrbResult",
    "SlottingCategory",
    "SlottingResult",
    "SmeSizeConvention",
    "SsfaResult",
    "firb_secured_lgd",
    "irb_corporate",
    "sec_erba",
    "sec_irba",
    "sec_irba_p",
    "sec_sa",
    "slotting",
    "ssfa",
    "standardised_specialised_lending",
    "tranche_maturity",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
FloatOrArray: TypeAlias = float | FloatArray
"""A float where every input was a scalar, else a read-only float64 array."""
ValueT = TypeVar("ValueT", float, FloatArray)
"""``float`` for results of scalar inputs, ``FloatArray`` where any input was an array."""

PD_FLOOR_CORPORATE: Final = 0.0005
"""Basel III floor on a corporate PD, 0.05% (CRE32; Basel II para 285 had 0.03%). Taken
to be the NFRA 2023 figure too (not re-verified; see docs/models/capital.md)."""

FIRB_LGD_SENIOR_UNSECURED: Final = 0.40
"""F-IRB LGD of a senior unsecured claim on a non-financial corporate, Basel III final
(cut from Basel II's 45%, para 287). Mirrored in EU CRR3 Art. 161(1)(aa)."""

FIRB_LGD_SENIOR_UNSECURED_FINANCIAL: Final = 0.45
"""F-IRB LGD of a senior unsecured claim on a bank or other financial institution."""

FIRB_LGD_SUBORDINATED: Final = 0.75
"""F-IRB LGD of a subordinated claim (unchanged since Basel II para 288)."""

_G999: Final = float(ndtri(0.999))
"""G(0.999): the 99.9% quantile of the standard normal, the IRB confidence level."""

_MIN_PD_FLOOR: Final = 1e-4
"""Smallest ``pd_floor`` accepted: below about 8e-5 the maturity factor
(1 + (M - 2.5) b) turns negative for M near 0, and the function stops being meaningful."""


# ---------------------------------------------------------------------------------------
# Array plumbing
# ---------------------------------------------------------------------------------------


def _scalar_param(name: str, value: float, low: float, high: float, *, closed: str) -> float:
    """A scalar parameter in [low, high] (``closed="both"``) or [low, high) (``"left"``)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
        raise ValidationError(name, "must be a number", value)
    v = float(value)
    inside = low <= v <= high if closed == "both" else low <= v < high
    if not inside:
        bracket = "]" if closed == "both" else ")"
        raise ValidationError(name, f"must be in [{low}, {high}{bracket}", value)
    return v


# ---------------------------------------------------------------------------------------
# IRB corporate risk-weight function
# ---------------------------------------------------------------------------------------


class SmeSizeConvention(DomainModel):
    """The SME firm-size adjustment's turnover scale: R_SME = R - c (1 - (S - L) / (U - L)).

    ``S`` is annual sales (turnover) of the consolidated group in millions of
    ``currency``, clipped to ``[L, U]``; the adjustment applies when ``S < U`` and is worth
    at most ``c = max_reduction`` (0.04) of correlation, at ``S <= L``. Basel (CRE31.9):
    EUR 5m to 50m, i.e. ``0.04 (1 - (S - 5) / 45)``. Turnover in another currency must be
    converted to the convention's currency by the caller.

    >>> SME_SIZE_BASEL_EUR.correlation_reduction(np.array([1.0, 5.0, 27.5, 50.0, 80.0]))
    array([0.04, 0.04, 0.02, 0.  , 0.  ])
    >>> SmeSizeConvention(currency="EUR", lower_millions=50, upper_millions=5, source="x")
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: SmeSizeConvention: upper_millions must exceed ...
    """

    currency: str = Field(min_length=3, max_length=3, description="ISO 4217 code of S.")
    lower_millions: float = Field(
        gt=0.0,
        description="L: sales at or below which the full reduction applies, millions.",
    )
    upper_millions: float = Field(
        gt=0.0,
        description="U: sales from which no reduction applies (the SME threshold), millions.",
    )
    max_reduction: float = Field(
        default=0.04, ge=0.0, lt=0.12, description="c: correlation reduction at S <= L."
    )
    source: str = Field(min_length=1, description="Where the thresholds come from.")

    @model_validator(mode="after")
    def _ordered(self) -> SmeSizeConvention:
        if self.upper_millions <= self.lower_millions:
            raise ValidationError(
                "SmeSizeConvention",
                "upper_millions must exceed lower_millions",
                (self.lower_millions, self.upper_millions),
            )
        return self

    def correlation_reduction(self, sales_millions: FloatArray) -> FloatArray:
        """The amount subtracted from R for sales ``S`` (millions of ``currency``)."""
        s = np.clip(sales_millions, self.lower_millions, self.upper_millions)
        span = self.upper_millions - self.lower_millions
        cut = self.max_reduction * (1.0 - (s - self.lower_millions) / span)
        return np.asarray(np.where(sales_millions < self.upper_millions, cut, 0.0), np.float64)


SME_SIZE_BASEL_EUR: Final = SmeSizeConvention(
    currency="EUR",
    lower_millions=5.0,
    upper_millions=50.0,
    source="Basel Framework CRE31.9 (Basel II para 273): S in EUR m, clipped to [5, 50].",
)
"""Basel's SME scale: EUR 5m-50m (CRE31.9). The default of :func:`irb_corporate`."""

SME_SIZE_CHINA_CNY: Final = SmeSizeConvention(
    currency="CNY",
    lower_millions=30.0,
    upper_millions=300.0,
    source="NFRA Capital Rules for Commercial Banks (2023), IRB annex as understood: "
    "SME = annual sales <= CNY 300m, S in CNY 10m clipped to [3, 30], "
    "0.04 x (1 - (S - 3)/27). NOT verified against the NFRA text in this build.",
)
"""China's SME scale (CNY 30m-300m; the NFRA writes S in units of CNY 10m, 3 to 30 - the
same line). Taken from the CBRC 2012 rules' form and assumed carried into the NFRA 2023
rules; confirm against the published annex before regulatory use."""


@dataclass(frozen=True, eq=False)
class IrbResult(Generic[ValueT]):
    """Capital of corporate IRB exposures; fields are floats or arrays of the broadcast shape.

    ``pd``, ``lgd``, ``maturity_years`` and ``ead`` are the inputs as used (PD floored,
    maturity floored and capped). ``correlation`` is R after any SME adjustment,
    ``maturity_adjustment`` is b, ``k`` the capital requirement per unit of EAD,
    ``risk_weight = 12.5 k``, ``rwa = risk_weight * ead`` and ``expected_loss`` is
    ``pd * lgd * ead`` (``elbe * ead`` when defaulted), in EAD's currency.

    >>> r = irb_corporate([0.001, 0.01], 0.45, 2.5)
    >>> r.risk_weight.round(4).tolist()
    [0.2965, 0.9232]
    >>> r.defaulted.tolist()
    [False, False]
    """

    pd: ValueT
    lgd: ValueT
    maturity_years: ValueT
    ead: ValueT
    correlation: ValueT
    maturity_adjustment: ValueT
    k: ValueT
    risk_weight: ValueT
    rwa: ValueT
    expected_loss: ValueT

    @property
    def defaulted(self) -> bool | npt.NDArray[np.bool_]:
        """Whether each exposure is in default (PD = 1)."""
        flags = np.asarray(self.pd) >= 1.0
        return bool(flags) if flags.ndim == 0 else flags


@overload
def irb_corporate(
    pd: float,
    lgd: float,
    maturity_years: float = ...,
    ead: float = ...,
    *,
    sales_turnover_millions: float | None = ...,
    sme_size: SmeSizeConvention = ...,
    pd_floor: float = ...,
    maturity_floor_years: float = ...,
    maturity_cap_years: float = ...,
    elbe: float | None = ...,
    scaling: float = ...,
) -> IrbResult[float]: ...


@overload
def irb_corporate(  # scalars match the first overload
    pd: npt.ArrayLike,
    lgd: npt.ArrayLike,
    maturity_years: npt.ArrayLike = ...,
    ead: npt.ArrayLike = ...,
    *,
    sales_turnover_millions: npt.ArrayLike | None = ...,
    sme_size: SmeSizeConvention = ...,
    pd_floor: float = ...,
    maturity_floor_years: float = ...,
    maturity_cap_years: float = ...,
    elbe: npt.ArrayLike | None = ...,
    scaling: float = ...,
) -> IrbResult[FloatArray]: ...


def irb_corporate(
    pd: npt.ArrayLike,
    lgd: npt.ArrayLike,
    maturity_years: npt.ArrayLike = 2.5,
    ead: npt.ArrayLike = 1.0,
    *,
    sales_turnover_millions: npt.ArrayLike | None = None,
    sme_size: SmeSizeConvention = SME_SIZE_BASEL_EUR,
    pd_floor: float = PD_FLOOR_CORPORATE,
    maturity_floor_years: float = 1.0,
    maturity_cap_years: float = 5.0,
    elbe: npt.ArrayLike | None = None,
    scaling: float = 1.0,
) -> IrbResult[Any]:
    """Basel III IRB capital of corporate exposures (CRE31.4-31.5, 31.9; CRE32).

    With ``p = max(pd, pd_floor)`` and ``M`` clipped to
    ``[maturity_floor_years, maturity_cap_years]``::

        f = (1 - exp(-50 p)) / (1 - exp(-50))
        R = 0.12 f + 0.24 (1 - f)                       [- SME reduction, CRE31.9]
        b = (0.11852 - 0.05478 ln p)^2
        K = scaling [LGD N((1-R)^-0.5 G(p) + (R/(1-R))^0.5 G(0.999)) - p LGD]
                    (1 + (M - 2.5) b) / (1 - 1.5 b)
        RW = 12.5 K,   RWA = RW EAD,   EL = p LGD EAD

    A defaulted exposure (``pd == 1``) has ``K = max(0, LGD - ELBE)`` (CRE31.6), no
    scaling, and ``EL = ELBE EAD``; ``elbe`` defaults to ``lgd``, giving K = 0 - the
    foundation-IRB treatment, where the whole loss is expected loss.

    Args:
        pd: one-year probability of default, decimal in (0, 1].
        lgd: loss given default, decimal in [0, 1] (see :func:`firb_secured_lgd`).
        maturity_years: effective maturity M, years >= 0; 2.5 is the F-IRB supervisory
            value. Floored at 1 and capped at 5 by default (A-IRB, CRE32.47).
        ead: exposure at default, currency >= 0.
        sales_turnover_millions: consolidated annual sales of the borrower in millions of
            ``sme_size.currency``; ``None`` (or ``inf``) for no SME adjustment.
        sme_size: the SME scale; :data:`SME_SIZE_BASEL_EUR` (default) or
            :data:`SME_SIZE_CHINA_CNY`.
        pd_floor: PD floor, default 0.0005 (Basel III); 0.0003 reproduces Basel II.
        maturity_floor_years, maturity_cap_years: the clip applied to M (1 and 5).
        elbe: best estimate of expected loss of a defaulted exposure, decimal in [0, 1];
            used only where ``pd == 1``.
        scaling: multiplier of non-defaulted K; 1.0 under Basel III (Basel II used 1.06).

    Raises:
        ValidationError: naming the field and, for arrays, the first bad element
            (``pd[3]``): PD outside (0, 1], LGD or ELBE outside [0, 1], negative or
            non-finite EAD or maturity, negative turnover, NaN anywhere, shapes that do
            not broadcast.

    >>> r = irb_corporate(0.01, 0.45, 2.5)
    >>> round(r.correlation, 4), round(r.maturity_adjustment, 4), round(r.k, 5)
    (0.1928, 0.1375, 0.07385)
    >>> round(irb_corporate(0.01, 0.45, 2.5, sales_turnover_millions=5.0).risk_weight, 4)
    0.7239
    >>> irb_corporate(1.0, 0.45, ead=100.0, elbe=0.35).rwa  # defaulted: 12.5 (LGD - ELBE)
    125.0
    >>> irb_corporate([0.01, 1.2], 0.45)
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: pd[1]: must be in (0, 1] (got 1.2)
    """
    floor = _scalar_param("pd_floor", pd_floor, _MIN_PD_FLOOR, 1.0, closed="left")
    m_lo = _scalar_param("maturity_floor_years", maturity_floor_years, 0.0, 30.0, closed="both")
    m_hi = _scalar_param("maturity_cap_years", maturity_cap_years, m_lo, 30.0, closed="both")
    scale = _scalar_param("scaling", scaling, 0.0, 10.0, closed="both")
    if not isinstance(sme_size, SmeSizeConvention):
        raise ValidationError("sme_size", "must be a SmeSizeConvention", type(sme_size).__name__)

    p = _as_float("pd", pd)
    _require("pd", p, (p > 0.0) & (p <= 1.0), "must be in (0, 1]")
    lg = _as_float("lgd", lgd)
    _require("lgd", lg, (lg >= 0.0) & (lg <= 1.0), "must be in [0, 1]")
    m = _as_float("maturity_years", maturity_years)
    _require("maturity_years", m, (m >= 0.0) & np.isfinite(m), "must be finite and >= 0")
    e = _as_float("ead", ead)
    _require("ead", e, (e >= 0.0) & np.isfinite(e), "must be finite and >= 0")
    named = {"pd": p, "lgd": lg, "maturity_years": m, "ead": e}
    if sales_turnover_millions is not None:
        s = _as_float("sales_turnover_millions", sales_turnover_millions)
        _require("sales_turnover_millions", s, s >= 0.0, "must be >= 0 (inf for no SME adjustment)")
        named["sales_turnover_millions"] = s
    if elbe is not None:
        eb = _as_float("elbe", elbe)
        _require("elbe", eb, (eb >= 0.0) & (eb <= 1.0), "must be in [0, 1]")
        named["elbe"] = eb
    scalar = _is_scalar(pd, lgd, maturity_years, ead, sales_turnover_millions, elbe)
    arrays = dict(zip(named, _broadcast(named), strict=True))
    p, lg, m, e = arrays["pd"], arrays["lgd"], arrays["maturity_years"], arrays["ead"]

    defaulted = p >= 1.0
    p_used = np.where(defaulted, 1.0, np.maximum(p, floor))
    p_live = np.where(defaulted, 0.5, p_used)  # keeps G(p) finite where it is not used
    m_used = np.clip(m, m_lo, m_hi)

    weight = (1.0 - np.exp(-50.0 * p_used)) / (1.0 - math.exp(-50.0))
    r = 0.12 * weight + 0.24 * (1.0 - weight)
    if "sales_turnover_millions" in arrays:
        r = r - sme_size.correlation_reduction(arrays["sales_turnover_millions"])
    b = (0.11852 - 0.05478 * np.log(p_used)) ** 2

    r_live = np.where(defaulted, 0.12, r)
    b_live = np.where(defaulted, 0.0, b)
    conditional_pd = ndtr((ndtri(p_live) + np.sqrt(r_live) * _G999) / np.sqrt(1.0 - r_live))
    maturity_factor = (1.0 + (m_used - 2.5) * b_live) / (1.0 - 1.5 * b_live)
    k_live = scale * lg * (conditional_pd - p_live) * maturity_factor

    best_estimate = arrays.get("elbe", lg)
    k = np.maximum(np.where(defaulted, lg - best_estimate, k_live), 0.0)  # >= 0 guard
    risk_weight = 12.5 * k
    expected_loss = np.where(defaulted, best_estimate * e, p_used * lg * e)
    return IrbResult(
        pd=_out(p_used, scalar),
        lgd=_out(lg, scalar),
        maturity_years=_out(m_used, scalar),
        ead=_out(e, scalar),
        correlation=_out(np.asarray(r, np.float64), scalar),
        maturity_adjustment=_out(np.asarray(b, np.float64), scalar),
        k=_out(k, scalar),
        risk_weight=_out(risk_weight, scalar),
        rwa=_out(risk_weight * e, scalar),
        expected_loss=_out(expected_loss, scalar),
    )


# ---------------------------------------------------------------------------------------
# Foundation-IRB LGD with collateral
# ---------------------------------------------------------------------------------------


class CollateralTerms(DomainModel):
    """F-IRB terms of one collateral type: LGD of the secured part and its haircut.

    >>> FIRB_COLLATERAL["other_physical"]
    CollateralTerms(lgd_secured=0.25, haircut=0.4)
    """

    lgd_secured: float = Field(ge=0.0, le=1.0, description="LGDS, decimal.")
    haircut: float = Field(ge=0.0, le=1.0, description="HC, decimal share of value.")


FIRB_COLLATERAL: Final[Mapping[str, CollateralTerms]] = MappingProxyType(
    {
        "cash": CollateralTerms(lgd_secured=0.0, haircut=0.0),
        "receivables": CollateralTerms(lgd_secured=0.20, haircut=0.40),
        "real_estate": CollateralTerms(lgd_secured=0.20, haircut=0.40),
        "other_physical": CollateralTerms(lgd_secured=0.25, haircut=0.40),
    }
)
"""Basel III F-IRB LGDS and HC by collateral type (CRE32.9-32.12): receivables and real
estate 20% / 40%, other physical collateral 25% / 40%. ``cash``: cash on deposit in the
exposure's currency, an eligible financial collateral with LGDS 0% and a 0% haircut
(CRE22). GPUs are ``other_physical``; assigned rental receivables are ``receivables``."""


@overload
def firb_secured_lgd(
    exposure: float,
    *,
    cash: float = ...,
    receivables: float = ...,
    real_estate: float = ...,
    other_physical: float = ...,
    lgd_unsecured: float = ...,
    exposure_haircut: float = ...,
    fx_haircut: float = ...,
    terms: Mapping[str, CollateralTerms] = ...,
) -> float: ...


@overload
def firb_secured_lgd(  # scalars match the first overload
    exposure: npt.ArrayLike,
    *,
    cash: npt.ArrayLike = ...,
    receivables: npt.ArrayLike = ...,
    real_estate: npt.ArrayLike = ...,
    other_physical: npt.ArrayLike = ...,
    lgd_unsecured: float = ...,
    exposure_haircut: float = ...,
    fx_haircut: npt.ArrayLike = ...,
    terms: Mapping[str, CollateralTerms] = ...,
) -> FloatArray: ...


def firb_secured_lgd(
    exposure: npt.ArrayLike,
    *,
    cash: npt.ArrayLike = 0.0,
    receivables: npt.ArrayLike = 0.0,
    real_estate: npt.ArrayLike = 0.0,
    other_physical: npt.ArrayLike = 0.0,
    lgd_unsecured: float = FIRB_LGD_SENIOR_UNSECURED,
    exposure_haircut: float = 0.0,
    fx_haircut: npt.ArrayLike = 0.0,
    terms: Mapping[str, CollateralTerms] = FIRB_COLLATERAL,
) -> FloatOrArray:
    """Effective F-IRB LGD* of a senior exposure secured by several collateral types.

    With ``E`` the exposure, ``HE`` its haircut, and per collateral type ``i`` the value
    ``C_i`` (currency), haircut ``HC_i`` and secured LGD ``LGDS_i``::

        ES_i  = C_i (1 - HC_i - HFX), allocated in increasing order of LGDS_i and
                capped so that sum_i ES_i <= E (1 + HE)
        EU    = E (1 + HE) - sum_i ES_i
        LGD*  = LGDU EU / (E (1 + HE)) + sum_i LGDS_i ES_i / (E (1 + HE))

    One collateral type reduces to the Basel III formula
    ``LGD* = LGDU EU/(E(1+HE)) + LGDS ES/(E(1+HE))``, ``ES = min(C(1-HC), E(1+HE))``. A
    zero exposure returns ``lgd_unsecured``. Collateral must meet the eligibility
    requirements (for physical collateral: liquid markets, public prices; CRE36) to be
    passed here at all.

    Args:
        exposure: E, currency >= 0.
        cash, receivables, real_estate, other_physical: collateral values C, currency
            >= 0 (GPUs are ``other_physical``; assigned rental contracts ``receivables``).
        lgd_unsecured: LGDU, default 40% (senior unsecured non-financial corporate);
            45% for financial institutions, 75% subordinated.
        exposure_haircut: HE, decimal >= 0 (0 for a loan).
        fx_haircut: HFX, decimal in [0, 1]; 0.08 where collateral and exposure currencies
            differ (CRE22), applied to every collateral type.
        terms: LGDS and HC per collateral type (default :data:`FIRB_COLLATERAL`).

    >>> round(firb_secured_lgd(100.0, other_physical=100.0), 4)  # ES = 60, EU = 40
    0.31
    >>> firb_secured_lgd([100.0, 100.0], other_physical=[0.0, 500.0]).tolist()
    [0.4, 0.25]
    >>> round(firb_secured_lgd(100.0, cash=20.0, receivables=50.0), 4)  # ES 20 + 30, EU 50
    0.26
    """
    lgd_u = _scalar_param("lgd_unsecured", lgd_unsecured, 0.0, 1.0, closed="both")
    he = _scalar_param("exposure_haircut", exposure_haircut, 0.0, 10.0, closed="both")
    missing = {"cash", "receivables", "real_estate", "other_physical"} - set(terms)
    if missing:
        raise ValidationError("terms", f"missing collateral types: {sorted(missing)}", None)
    for key in ("cash", "receivables", "real_estate", "other_physical"):
        if not isinstance(terms[key], CollateralTerms):
            raise ValidationError(f"terms[{key!r}]", "must be a CollateralTerms", terms[key])

    e = _as_float("exposure", exposure)
    _require("exposure", e, (e >= 0.0) & np.isfinite(e), "must be finite and >= 0")
    hfx = _as_float("fx_haircut", fx_haircut)
    _require("fx_haircut", hfx, (hfx >= 0.0) & (hfx <= 1.0), "must be in [0, 1]")
    named = {"exposure": e, "fx_haircut": hfx}
    for key, value in (
        ("cash", cash),
        ("receivables", receivables),
        ("real_estate", real_estate),
        ("other_physical", other_physical),
    ):
        c = _as_float(key, value)
        _require(key, c, (c >= 0.0) & np.isfinite(c), "must be finite and >= 0")
        named[key] = c
    scalar = _is_scalar(exposure, cash, receivables, real_estate, other_physical, fx_haircut)
    arrays = dict(zip(named, _broadcast(named), strict=True))

    adjusted = arrays["exposure"] * (1.0 + he)
    room = adjusted.copy()
    weighted = np.zeros_like(adjusted)
    order = sorted(
        ("cash", "receivables", "real_estate", "other_physical"),
        key=lambda t: terms[t].lgd_secured,
    )
    for key in order:
        value = arrays[key] * np.maximum(1.0 - terms[key].haircut - arrays["fx_haircut"], 0.0)
        secured = np.minimum(value, room)
        weighted += terms[key].lgd_secured * secured
        room -= secured
    weighted += lgd_u * room
    positive = adjusted > 0.0
    lgd = np.where(positive, weighted / np.where(positive, adjusted, 1.0), lgd_u)
    result: FloatOrArray = _out(np.asarray(lgd, np.float64), scalar)
    return result


# ---------------------------------------------------------------------------------------
# Supervisory slotting (CRE33) and its expected loss (CRE35)
# ---------------------------------------------------------------------------------------


class SlottingCategory(StrEnum):
    """Supervisory slotting categories (CRE33), best to worst.

    >>> SlottingCategory("weak") is SlottingCategory.WEAK
    True
    """

    STRONG = "strong"
    GOOD = "good"
    SATISFACTORY = "satisfactory"
    WEAK = "weak"
    DEFAULT = "default"


_CATEGORIES: Final = tuple(c.value for c in SlottingCategory)


def _table(values: tuple[float, float, float, float, float]) -> Mapping[str, float]:
    return MappingProxyType(dict(zip(_CATEGORIES, values, strict=True)))


SLOTTING_RISK_WEIGHTS: Final = MappingProxyType(
    {
        ("standard", False): _table((0.70, 0.90, 1.15, 2.50, 0.0)),
        ("short", False): _table((0.50, 0.70, 1.15, 2.50, 0.0)),
        ("standard", True): _table((0.95, 1.20, 1.40, 2.50, 0.0)),
        ("short", True): _table((0.70, 0.95, 1.40, 2.50, 0.0)),
    }
)
"""UL risk weights keyed by (maturity band, HVCRE): PF/OF/CF/IPRE 70/90/115/250/0%, and
50/70% for strong/good under 2.5 years remaining maturity; HVCRE 95/120/140/250/0%, 70/95%
under 2.5 years (CRE33; Basel II paras 275, 277, 280, 282)."""

SLOTTING_EL_RISK_WEIGHTS: Final = MappingProxyType(
    {
        ("standard", False): _table((0.05, 0.10, 0.35, 1.00, 6.25)),
        ("short", False): _table((0.0, 0.05, 0.35, 1.00, 6.25)),
        ("standard", True): _table((0.05, 0.05, 0.35, 1.00, 6.25)),
        ("short", True): _table((0.05, 0.05, 0.35, 1.00, 6.25)),
    }
)
"""EL risk weights keyed like :data:`SLOTTING_RISK_WEIGHTS`: EL = 8% x EL RW x EAD
(CRE35; Basel II para 379): 5/10/35/100/625%; 0/5% for strong/good where the short-maturity
preference applies; HVCRE 5/5/35/100/625% with no short-maturity relief."""

_SHORT_MATURITY_YEARS: Final = 2.5
_EL_CAPITAL_RATIO: Final = 0.08


@dataclass(frozen=True, eq=False)
class SlottingResult(Generic[ValueT]):
    """Slotting capital: ``risk_weight`` and ``el_rate`` are decimals; ``el_rate`` is EL as
    a share of exposure (8% x the EL risk weight); ``rwa`` and ``expected_loss`` are in the
    exposure's currency.

    >>> r = slotting(["strong", "default"], 5.0, exposure=1000.0)
    >>> r.risk_weight.tolist(), r.el_rate.tolist(), r.expected_loss.tolist()
    ([0.7, 0.0], [0.004, 0.5], [4.0, 500.0])
    """

    risk_weight: ValueT
    rwa: ValueT
    el_rate: ValueT
    expected_loss: ValueT


def _category_codes(category: object) -> npt.NDArray[np.int64]:
    """Category names to row indices of the tables (one array comparison per category)."""
    arr = np.asarray(category)
    if arr.dtype.kind == "O":
        arr = arr.astype(str)
    if arr.dtype.kind != "U":
        shown = category if arr.ndim == 0 else None
        raise ValidationError("category", "must be category names (strings)", shown)
    codes = np.full(arr.shape, -1, dtype=np.int64)
    for i, name in enumerate(_CATEGORIES):
        codes[arr == name] = i
    if (codes < 0).any():
        index = np.unravel_index(int(np.flatnonzero(codes.reshape(-1) < 0)[0]), arr.shape)
        where = "category" if arr.ndim == 0 else f"category[{', '.join(map(str, index))}]"
        raise ValidationError(where, f"must be one of {', '.join(_CATEGORIES)}", str(arr[index]))
    return codes


@overload
def slotting(
    category: str | SlottingCategory,
    maturity_years: float,
    *,
    exposure: float = ...,
    hvcre: bool = ...,
    short_maturity_preference: bool = ...,
) -> SlottingResult[float]: ...


@overload
def slotting(  # scalars match the first overload
    category: str | SlottingCategory | npt.ArrayLike,
    maturity_years: npt.ArrayLike,
    *,
    exposure: npt.ArrayLike = ...,
    hvcre: bool = ...,
    short_maturity_preference: bool = ...,
) -> SlottingResult[FloatArray]: ...


def slotting(
    category: str | SlottingCategory | npt.ArrayLike,
    maturity_years: npt.ArrayLike,
    *,
    exposure: npt.ArrayLike = 1.0,
    hvcre: bool = False,
    short_maturity_preference: bool = True,
) -> SlottingResult[Any]:
    """Supervisory slotting risk weight, RWA and expected loss of specialised lending.

    Object finance (a GPU-backed loan), project finance, commodities finance and IPRE use
    the standard table; ``hvcre=True`` the high-volatility commercial real estate table.
    With ``short_maturity_preference`` (a national discretion, on by default) a remaining
    maturity strictly below 2.5 years gets the lower strong/good weights. A defaulted
    exposure has a 0% risk weight and an EL of 50% of exposure (625% x 8%).

    Args:
        category: ``"strong"``, ``"good"``, ``"satisfactory"``, ``"weak"`` or
            ``"default"`` (or :class:`SlottingCategory`), or an array of them.
        maturity_years: remaining maturity, years >= 0.
        exposure: EAD, currency >= 0.
        hvcre: use the HVCRE tables.
        short_maturity_preference: apply the < 2.5-year preferential weights.

    >>> r = slotting("strong", 2.0, exposure=100.0)
    >>> r.risk_weight, r.rwa, r.el_rate
    (0.5, 50.0, 0.0)
    >>> slotting(["good", "weak"], [2.4, 2.5]).risk_weight.tolist()
    [0.7, 2.5]
    >>> slotting("excellent", 3.0)
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: category: must be one of strong, ... (got 'excellent')
    """
    codes = _category_codes(category)
    m = _as_float("maturity_years", maturity_years)
    _require("maturity_years", m, (m >= 0.0) & np.isfinite(m), "must be finite and >= 0")
    e = _as_float("exposure", exposure)
    _require("exposure", e, (e >= 0.0) & np.isfinite(e), "must be finite and >= 0")
    named = {"category": codes.astype(np.float64), "maturity_years": m, "exposure": e}
    scalar = _is_scalar(category, maturity_years, exposure)
    cat, m, e = _broadcast(named)
    index = cat.astype(np.int64)

    hv = bool(hvcre)
    short = (m < _SHORT_MATURITY_YEARS) & bool(short_maturity_preference)
    rw_table = np.array(
        [
            [SLOTTING_RISK_WEIGHTS[(band, hv)][c] for c in _CATEGORIES]
            for band in ("standard", "short")
        ]
    )
    el_table = np.array(
        [
            [SLOTTING_EL_RISK_WEIGHTS[(band, hv)][c] for c in _CATEGORIES]
            for band in ("standard", "short")
        ]
    )
    band = short.astype(np.int64)
    risk_weight = rw_table[band, index]
    el_rate = _EL_CAPITAL_RATIO * el_table[band, index]
    return SlottingResult(
        risk_weight=_out(risk_weight, scalar),
        rwa=_out(risk_weight * e, scalar),
        el_rate=_out(el_rate, scalar),
        expected_loss=_out(el_rate * e, scalar),
    )


# ---------------------------------------------------------------------------------------
# Standardised approach for specialised lending (CRE20.48-20.50)
# ---------------------------------------------------------------------------------------

CORPORATE_RATING_RISK_WEIGHTS: Final[Mapping[str, float]] = MappingProxyType(
    {
        "AAA to AA-": 0.20,
        "A+ to A-": 0.50,
        "BBB+ to BBB-": 0.75,
        "BB+ to BB-": 1.00,
        "below BB-": 1.50,
        "unrated": 1.00,
    }
)
"""Basel III standardised risk weights of rated corporates (CRE20.42), used for
specialised lending with an issue-specific rating (CRE20.49)."""

SPECIALISED_LENDING_UNRATED_RISK_WEIGHTS: Final[Mapping[str, float]] = MappingProxyType(
    {
        "object_finance": 1.00,
        "commodities_finance": 1.00,
        "project_finance/pre_operational": 1.30,
        "project_finance/operational": 1.00,
        "project_finance/operational_high_quality": 0.80,
    }
)
"""Standardised risk weights of specialised lending without an issue-specific rating
(CRE20.50; high-quality operational project finance as defined in CRE20.51)."""

_NOTCHES: Final = (
    # S&P / Fitch notation, Moody's notation, bucket in CORPORATE_RATING_RISK_WEIGHTS
    (("AAA", "AA+", "AA", "AA-"), ("AAA", "AA1", "AA2", "AA3"), "AAA to AA-"),
    (("A+", "A", "A-"), ("A1", "A2", "A3"), "A+ to A-"),
    (("BBB+", "BBB", "BBB-"), ("BAA1", "BAA2", "BAA3"), "BBB+ to BBB-"),
    (("BB+", "BB", "BB-"), ("BA1", "BA2", "BA3"), "BB+ to BB-"),
    (
        ("B+", "B", "B-", "CCC+", "CCC", "CCC-", "CC", "C"),
        ("B1", "B2", "B3", "CAA1", "CAA2", "CAA3", "CA"),
        "below BB-",
    ),
)
_RATING_BUCKET: Final[Mapping[str, str]] = MappingProxyType(
    {code: bucket for sp, moodys, bucket in _NOTCHES for code in (*sp, *moodys)}
)
_UNRATED: Final = frozenset({"UNRATED", "NR", "WR", ""})
_DEFAULTED: Final = frozenset({"D", "SD", "RD"})

SpecialisedLendingKind: TypeAlias = Literal[
    "object_finance", "project_finance", "commodities_finance"
]
ProjectPhase: TypeAlias = Literal["pre_operational", "operational", "operational_high_quality"]


def standardised_specialised_lending(
    kind: SpecialisedLendingKind,
    phase: ProjectPhase | None = None,
    rating: str | None = None,
) -> float:
    """Standardised (SA) risk weight of one specialised lending exposure, decimal.

    With an issue-specific external rating (where the jurisdiction recognises them) the
    rated-corporate table applies (CRE20.49 -> CRE20.42): AAA to AA- 20%, A+ to A- 50%,
    BBB+ to BBB- 75%, BB+ to BB- 100%, below BB- 150%. Without one (CRE20.50): object
    finance and commodities finance 100%; project finance 130% pre-operational, 100%
    operational, 80% high-quality operational (CRE20.51). Ratings are S&P/Fitch
    (``"BBB-"``) or Moody's (``"Baa3"``), case-insensitive; ``None``, ``"unrated"`` or
    ``"NR"`` mean unrated. A GPU-backed loan is object finance.

    Args:
        kind: ``"object_finance"``, ``"project_finance"`` or ``"commodities_finance"``.
        phase: for unrated project finance only: ``"pre_operational"``, ``"operational"``
            or ``"operational_high_quality"``.
        rating: the issue-specific long-term rating, or ``None``.

    >>> standardised_specialised_lending("object_finance")
    1.0
    >>> standardised_specialised_lending("object_finance", rating="BBB")
    0.75
    >>> standardised_specialised_lending("project_finance", "pre_operational")
    1.3
    >>> standardised_specialised_lending("project_finance", rating="Ba1")
    1.0
    """
    if kind not in ("object_finance", "project_finance", "commodities_finance"):
        raise ValidationError(
            "kind", "must be object_finance, project_finance or commodities_finance", kind
        )
    if phase is not None and phase not in (
        "pre_operational",
        "operational",
        "operational_high_quality",
    ):
        raise ValidationError(
            "phase", "must be pre_operational, operational or operational_high_quality", phase
        )
    if phase is not None and kind != "project_finance":
        raise ValidationError("phase", f"applies to project finance only, not {kind}", phase)
    if rating is not None and not isinstance(rating, str):
        raise ValidationError("rating", "must be a rating string or None", rating)
    code = "UNRATED" if rating is None else rating.strip().upper()
    if code in _DEFAULTED:
        raise ValidationError(
            "rating", "defaulted exposures follow the SA defaulted-exposure rules", rating
        )
    if code not in _UNRATED:
        if code not in _RATING_BUCKET:
            raise ValidationError("rating", "unknown long-term rating", rating)
        return CORPORATE_RATING_RISK_WEIGHTS[_RATING_BUCKET[code]]
    if kind != "project_finance":
        return SPECIALISED_LENDING_UNRATED_RISK_WEIGHTS[kind]
    if phase is None:
        raise ValidationError(
            "phase", "unrated project finance needs the phase (pre_operational, ...)", None
        )
    return SPECIALISED_LENDING_UNRATED_RISK_WEIGHTS[f"project_finance/{phase}"]
