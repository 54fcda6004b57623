"""Collateral of each loan: fleet projections, coverage (LTV, DSCR, breaches), values.

The fleets pledged to a loan are projected monthly from the valuation date (expected
case, or ``n_paths`` simulated paths per fleet with a seed), once per fleet for the whole
book, over the longest life of the loans it secures. Coverage runs per loan (the
:func:`~computefin.products.coverage.collateral_coverage` API is per loan); this is the
only per-loan loop of a valuation, and it is outside the pricing path.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from computefin._typing import FloatArray
from computefin.domain import Contract, MarketSnapshot, Portfolio
from computefin.errors import ValidationError
from computefin.products.coverage import CoverageTerms, DebtSchedule, collateral_coverage
from computefin.products.loan import CollateralLoan, LoanCashflows
from computefin.risk.grid import MAX_HORIZON_MONTHS
from computefin.risk import StressScenario
from computefin.risk.projection import (
    FleetProjection,
    apply_stress,
    ProjectionInputs,
    project,
    simulate_scenarios,
)

__all__ = [
    "DEFAULT_CONTRACT_ADVANCE_RATE",
    "INVESTMENT_GRADE_PD",
    "NO_LTV_COVENANT",
    "CollateralFigures",
    "collateral_figures",
    "project_fleets",
]

NO_LTV_COVENANT: Final[float] = 5.0
"""``max_ltv`` used when the loan has none: 500%, the largest :class:`CoverageTerms` takes."""
DEFAULT_CONTRACT_ADVANCE_RATE: Final[float] = 0.8
"""Advance rate on contracts when the loan's quality table is empty (CoverageTerms default)."""
INVESTMENT_GRADE_PD: Final[float] = 0.005
"""A lessee whose one-year PD is at most this (0.5%, about BBB- global) is
``investment_grade`` in the advance-rate table, otherwise ``sub_investment_grade``."""


def _months_to(as_of: dt.date, day: dt.date) -> int:
    return (day.year - as_of.year) * 12 + (day.month - as_of.month) + 1


def project_fleets(
    loans: Sequence[CollateralLoan],
    last_pay: Sequence[dt.date],
    portfolio: Portfolio,
    market: MarketSnapshot,
    scenarios: int | None,
    seed: int,
    stress: StressScenario | None = None,
) -> dict[str, FleetProjection]:
    """One projection per pledged fleet, always over the longest horizon (30 years).

    A fixed horizon puts every fleet on one grid (loans pledging several fleets add
    their values period by period) and makes a loan's scenario paths independent of
    which other loans are in the book. ``stress`` is applied to each fleet's inputs
    before the paths are drawn (:func:`~computefin.risk.apply_stress`).
    """
    fleet_ids: list[str] = []
    for loan, end in zip(loans, last_pay, strict=True):
        if _months_to(market.as_of, end) > MAX_HORIZON_MONTHS:
            raise ValidationError(
                f"CollateralLoan[{loan.id}].maturity",
                f"collateral projections reach {MAX_HORIZON_MONTHS} months at most",
                end.isoformat(),
            )
        fleet_ids += [f for f in loan.collateral.fleet_ids if f not in fleet_ids]
    out: dict[str, FleetProjection] = {}
    for fleet_id in fleet_ids:
        months = MAX_HORIZON_MONTHS
        inputs = ProjectionInputs.build(
            portfolio.fleet(fleet_id),
            portfolio.contracts,
            market,
            months,
            counterparties=portfolio.counterparties,
        )
        if stress is not None:
            inputs = apply_stress(stress, inputs)
        paths = None if scenarios is None else simulate_scenarios(inputs, scenarios, seed)
        out[fleet_id] = project(inputs, paths)
    return out


@dataclass(frozen=True)
class CollateralFigures:
    """One loan's collateral figures, money in the loan's currency (NaN: no fleet pledged).

    ``value_now``: expected economic value of the fleets at the first projection period
    end; ``value_at_default``: their value at the default horizon (expected case: the
    expected value; with paths: the ``downturn_quantile`` across paths); ``contracts_now``
    and ``contracts_at_default``: take-or-pay value still owed on the assigned contracts;
    ``fx_mismatch``: a pledged fleet is in another currency than the loan.
    """

    ltv: float
    worst_dscr: float
    breach_probability: float
    value_now: float
    value_at_default: float
    contracts_now: float
    contracts_at_default: float
    fx_mismatch: bool


def _remaining(contract: Contract, day: dt.date) -> float:
    """Take-or-pay value still owed after ``day`` (contract currency, undiscounted)."""
    days = (contract.end - max(contract.start, day)).days
    return contract.annual_take_or_pay_value * max(days, 0) / 365.0


def _advance_rate(
    loan: CollateralLoan,
    contracts: Sequence[Contract],
    portfolio: Portfolio,
    market: MarketSnapshot,
) -> float:
    table = loan.covenants.advance_rate_contracts_by_quality
    if not table or not contracts:
        return DEFAULT_CONTRACT_ADVANCE_RATE
    weights = np.array([_remaining(c, market.as_of) for c in contracts])
    rates = []
    for contract in contracts:
        pd_1y = market.pd_for(portfolio.counterparty(contract.counterparty_id))
        bucket = "investment_grade" if pd_1y <= INVESTMENT_GRADE_PD else "sub_investment_grade"
        rates.append(table.get(bucket, 0.0))
    total = float(weights.sum())
    return float(np.dot(weights, rates) / total) if total > 0.0 else min(rates)


def collateral_figures(
    loan: CollateralLoan,
    row: int,
    cf: LoanCashflows,
    ead: float,
    portfolio: Portfolio,
    market: MarketSnapshot,
    projections: Mapping[str, FleetProjection],
    *,
    default_horizon_years: float,
    downturn_quantile: float,
) -> CollateralFigures:
    """Coverage and collateral values of loan ``row`` of ``cf`` (see the module docs)."""
    currency = loan.currency.value
    assigned = [
        next((c for c in portfolio.contracts if c.id == cid), None)
        for cid in loan.collateral.assigned_contract_ids
    ]
    missing = [cid for cid, c in zip(loan.collateral.assigned_contract_ids, assigned, strict=True)
               if c is None]  # fmt: skip
    if missing:
        raise ValidationError(
            f"CollateralLoan[{loan.id}].collateral.assigned_contract_ids",
            "not in the portfolio",
            missing,
        )
    contracts = [c for c in assigned if c is not None]
    default_day = market.as_of + dt.timedelta(days=round(365 * default_horizon_years))
    contracts_now = sum(_remaining(c, market.as_of) * market.fx(c.currency, currency)
                        for c in contracts)  # fmt: skip
    contracts_later = sum(_remaining(c, default_day) * market.fx(c.currency, currency)
                          for c in contracts)  # fmt: skip
    fleets = [projections[f] for f in loan.collateral.fleet_ids]
    if not fleets:
        nan = math.nan
        return CollateralFigures(nan, nan, nan, 0.0, 0.0, contracts_now, contracts_later, False)
    fx = np.array([market.fx(p.currency.value, currency) for p in fleets])
    value = sum(p.line("economic_value") * k for p, k in zip(fleets, fx, strict=True))
    assert isinstance(value, np.ndarray)
    ends = fleets[0].grid.end_dates
    at = max(int(np.searchsorted(ends, np.datetime64(default_day, "D"), side="right")) - 1, 0)
    stressed = value[:, at]
    at_default = (
        float(stressed[0])
        if value.shape[0] == 1
        else float(np.quantile(stressed, downturn_quantile))
    )
    value_now = float(value[:, 0].mean())
    ltv = ead / value_now if value_now > 0.0 else math.inf
    pay = cf.pay_date[row]
    keep = cf.alive[row] & (pay >= ends[0])
    worst, breach = math.nan, math.nan
    if bool(keep.any()):
        cov = loan.covenants
        terms = CoverageTerms(
            max_ltv=cov.max_ltv if cov.max_ltv is not None else NO_LTV_COVENANT,
            min_dscr=cov.min_dscr if cov.min_dscr is not None else 0.0,
            cash_sweep_share=cov.cash_sweep_share,
            advance_rate_gpu_value=cov.advance_rate_gpu_value
            if cov.advance_rate_gpu_value is not None
            else 0.5,
            advance_rate_contracts=_advance_rate(loan, contracts, portfolio, market),
        )
        debt = DebtSchedule(
            pay_dates=pay[keep],
            opening_balance=(cf.opening_balance[row] + cf.draw[row])[keep],
            scheduled_principal=cf.principal[row][keep],
            rate=cf.rate[row][keep],
            year_fractions=cf.year_fraction[row][keep],
            accrual_starts=cf.accrual_start[row][keep],
        )
        result = collateral_coverage(debt, fleets, terms, market, currency)
        worst = float(np.median(result.worst_dscr))
        breach = result.breach_probability
    return CollateralFigures(
        ltv=ltv,
        worst_dscr=worst,
        breach_probability=breach,
        value_now=value_now,
        value_at_default=max(at_default, 0.0),
        contracts_now=contracts_now,
        contracts_at_default=contracts_later,
        fx_mismatch=any(p.currency.value != currency for p in fleets),
    )


def stack(figures: Sequence[CollateralFigures]) -> dict[str, FloatArray]:
    """The figures of many loans as ``{field: (n,) array}``."""
    names = CollateralFigures.__dataclass_fields__
    return {
        name: np.asarray([getattr(f, name) for f in figures], dtype=np.float64) for name in names
    }
