"""Credit figures of a loan book on arrays: PD, LGD, credit spread, EL, ECL, capital.

* PD: the borrower's one-year PD from the snapshot (``market.pd_for``: the bank's
  override, else the rating table), a constant hazard ``h = -ln(1 - PD)``
  (:class:`~computefin.risk.credit.PdCurve`).
* LGD: :func:`~computefin.risk.credit.collateral_lgd` of the exposure against the
  collateral value at the default horizon, after the liquidation haircut and costs, plus
  the recovery on the assigned contracts.
* Credit spread ``h x LGD`` (continuous, ACT/365F): the risky discount
  ``exp(-h LGD t)`` of a constant hazard with recovery of ``1 - LGD`` of the value.
* EL ``PD x LGD x EAD``; ECL (IFRS 9 / CAS 22) per period on the balances; RWA by
  slotting (the default regulatory figure) and by F-IRB.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from computefin._typing import BoolArray, FloatArray
from computefin.risk.capital import firb_secured_lgd, irb_corporate, slotting
from computefin.risk.credit import PdCurve, collateral_lgd
from computefin.risk.credit_ecl import expected_credit_loss

__all__ = ["FX_HAIRCUT", "MAX_CREDIT_SPREAD", "credit_figures", "slotting_category"]

MAX_CREDIT_SPREAD: Final[float] = 1.0
"""Cap of the hazard credit spread (a PD of 1 gives an infinite hazard)."""
FX_HAIRCUT: Final[float] = 0.08
"""F-IRB haircut on collateral in another currency than the exposure (CRE22)."""

_STRONG: Final = (0.5, 1.75)
_GOOD: Final = (0.65, 1.4)
_SATISFACTORY: Final = (0.8, 1.15)


def slotting_category(
    pd_1y: npt.ArrayLike, ltv: npt.ArrayLike, worst_dscr: npt.ArrayLike
) -> npt.NDArray[np.str_]:
    """Slotting category from PD, LTV and worst DSCR (a simple documented mapping).

    ``default`` when PD = 1; ``satisfactory`` when coverage is unknown (NaN); else the
    best of ``strong`` (LTV <= 50% and DSCR >= 1.75x), ``good`` (<= 65%, >= 1.40x),
    ``satisfactory`` (<= 80%, >= 1.15x), else ``weak``.

    >>> slotting_category([0.01, 0.01, 0.01, 1.0, 0.02], [0.4, 0.7, 0.9, 0.4, np.nan],
    ...                   [2.0, 1.5, 1.5, 2.0, np.nan]).tolist()
    ['strong', 'satisfactory', 'weak', 'default', 'satisfactory']
    """
    p, lv, d = (np.asarray(x, dtype=np.float64) for x in (pd_1y, ltv, worst_dscr))
    unknown = np.isnan(lv) | np.isnan(d)
    out: npt.NDArray[np.str_] = np.select(
        [
            p >= 1.0,
            unknown,
            (lv <= _STRONG[0]) & (d >= _STRONG[1]),
            (lv <= _GOOD[0]) & (d >= _GOOD[1]),
            (lv <= _SATISFACTORY[0]) & (d >= _SATISFACTORY[1]),
        ],
        ["default", "satisfactory", "strong", "good", "satisfactory"],
        default="weak",
    ).astype(str)
    return out


def credit_figures(
    *,
    pd_1y: FloatArray,
    ead: FloatArray,
    collateral: dict[str, FloatArray],
    liquidation_haircut: float | str,
    recovery_costs_share: float,
    contract_recovery_share: float,
    balances: FloatArray,
    alive: BoolArray,
    period_start: FloatArray,
    period_end: FloatArray,
    eir: FloatArray,
    stage: npt.NDArray[np.int64],
    effective_maturity: FloatArray,
    remaining_maturity: FloatArray,
    category: npt.NDArray[np.str_] | None = None,
) -> dict[str, npt.NDArray[np.generic]]:
    """PD, LGD, credit spread, EL, ECL and RWA of every loan at once (``(n,)`` arrays).

    ``balances``, ``alive``, ``period_start``, ``period_end`` are ``(n, P)`` (years from
    the valuation date); ``collateral`` holds the :class:`._collateral.CollateralFigures`
    fields as arrays; ``category`` overrides the slotting mapping.
    """
    n = pd_1y.size
    lgd = collateral_lgd(
        ead,
        collateral["value_at_default"],
        liquidation_haircut,
        costs_share=recovery_costs_share,
        contract_recovery=contract_recovery_share * collateral["contracts_at_default"],
    )
    with np.errstate(divide="ignore"):
        hazard = -np.log1p(-pd_1y)
    spread = np.minimum(hazard * lgd, MAX_CREDIT_SPREAD)
    curve = PdCurve.from_one_year_pd(pd_1y)
    ecl = expected_credit_loss(
        balances,
        lgd[:, None],
        period_start=period_start,
        period_end=period_end,
        eir=eir,
        stage=stage,
        pd_curve=curve,
        alive=alive,
    )
    firb_lgd = firb_secured_lgd(
        ead,
        receivables=collateral["contracts_now"],
        other_physical=collateral["value_now"],
        fx_haircut=np.where(collateral["fx_mismatch"] > 0, FX_HAIRCUT, 0.0),
    )
    irb = irb_corporate(pd_1y, firb_lgd, effective_maturity, ead)
    chosen = (
        slotting_category(pd_1y, collateral["ltv"], collateral["worst_dscr"])
        if category is None
        else category
    )
    slot = slotting(chosen, remaining_maturity, exposure=ead)
    return {
        "pd_1y": pd_1y,
        "lgd": lgd,
        "credit_spread": spread,
        "ead": ead,
        "el": pd_1y * lgd * ead,
        "stage": np.broadcast_to(ecl.stage, (n,)).astype(np.int64),
        "ecl": np.broadcast_to(ecl.ecl, (n,)),
        "ecl_12m": np.broadcast_to(ecl.ecl_12m, (n,)),
        "ecl_lifetime": np.broadcast_to(ecl.ecl_lifetime, (n,)),
        "slotting_category": chosen,
        "rwa": slot.rwa,
        "slotting_el": slot.expected_loss,
        "firb_lgd": firb_lgd,
        "rwa_firb": irb.rwa,
        "effective_maturity": irb.maturity_years,
    }
