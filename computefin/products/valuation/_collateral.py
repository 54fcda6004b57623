"""Collateral of each loan: fleet projections, coverage (LTV, DSCR, breaches), values.

The fleets pledged to a loan are projected monthly from the valuation date (expected
case, or ``n_paths`` simulated paths per fleet with a seed), once per fleet for the whole
book. The paths are those of a 30-year projection; a stochastic projection is computed
only over the months the book reads (:func:`fleet_horizons`: the loans' lives, the
fleet's contracts, the default horizon), which gives the same figures bit for bit (see
:func:`project_fleets`). Coverage runs per loan (the
:func:`~computefin.products.coverage.collateral_coverage` API is per loan); this is the
only per-loan loop of a valuation, and it is outside the pricing path.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from computefin._typing import FloatArray
from computefin.domain import Contract, Counterparty, Fleet, MarketSnapshot, Portfolio
from computefin.errors import ValidationError
from computefin.pricing import Curve, build_curves
from computefin.products.coverage import (
    CoverageTerms,
    DebtSchedule,
    collateral_coverage,
    coverage_summaries,
)
from computefin.products.loan import CollateralLoan, LoanCashflows
from computefin.risk import StressScenario
from computefin.risk.grid import MAX_HORIZON_MONTHS
from computefin.risk.projection import (
    DISCOUNT_INDEX,
    FleetProjection,
    ProjectionInputs,
    apply_stress,
    project,
    simulate_scenarios,
)

__all__ = [
    "DEFAULT_CONTRACT_ADVANCE_RATE",
    "INVESTMENT_GRADE_PD",
    "NO_LTV_COVENANT",
    "CollateralFigures",
    "PortfolioIndex",
    "book_collateral_figures",
    "collateral_figures",
    "fleet_horizons",
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


class PortfolioIndex:
    """A portfolio's counterparties, fleets and contracts by id, and contracts by fleet.

    Lookups by dictionary instead of :meth:`Portfolio.fleet`'s scan (a book of 100,000
    loans on thousands of fleets would otherwise spend minutes scanning); unknown ids
    raise the same :class:`~computefin.errors.ValidationError` the portfolio raises.
    """

    def __init__(self, portfolio: Portfolio) -> None:
        self.portfolio = portfolio
        self.counterparties: dict[str, Counterparty] = {}
        for party in portfolio.counterparties:
            self.counterparties.setdefault(party.id, party)
        self.fleets: dict[str, Fleet] = {}
        for fleet in portfolio.fleets:
            self.fleets.setdefault(fleet.id, fleet)
        self.contracts: dict[str, Contract] = {}
        self.on_fleet: dict[str, list[Contract]] = {}
        for contract in portfolio.contracts:
            self.contracts.setdefault(contract.id, contract)
            self.on_fleet.setdefault(contract.fleet_id, []).append(contract)

    def counterparty(self, counterparty_id: str) -> Counterparty:
        """The counterparty with this id (as :meth:`Portfolio.counterparty`)."""
        found = self.counterparties.get(counterparty_id)
        if found is None:
            raise ValidationError("counterparty_id", "unknown id", counterparty_id)
        return found

    def fleet(self, fleet_id: str) -> Fleet:
        """The fleet with this id (as :meth:`Portfolio.fleet`)."""
        found = self.fleets.get(fleet_id)
        if found is None:
            raise ValidationError("fleet_id", "unknown id", fleet_id)
        return found


def fleet_horizons(
    loans: Sequence[CollateralLoan],
    last_pay: Sequence[dt.date],
    index: PortfolioIndex,
    as_of: dt.date,
    default_horizon_years: float,
) -> dict[str, int]:
    """Months of projection each pledged fleet needs for these loans (in pledge order).

    The most of: a month past each pledging loan's last payment (so no payment falls on
    the last period end), a month past the end of each contract on the fleet (contract
    revenue after a payment date is summed to the end of the projection), and a month past
    the default horizon; at most :data:`~computefin.risk.grid.MAX_HORIZON_MONTHS`. Raises
    for a loan paying beyond that.
    """
    default_day = as_of + dt.timedelta(days=round(365 * default_horizon_years))
    floor = _months_to(as_of, default_day) + 1
    out: dict[str, int] = {}
    for loan, end in zip(loans, last_pay, strict=True):
        months = _months_to(as_of, end)
        if months > MAX_HORIZON_MONTHS:
            raise ValidationError(
                f"CollateralLoan[{loan.id}].maturity",
                f"collateral projections reach {MAX_HORIZON_MONTHS} months at most",
                end.isoformat(),
            )
        for fleet_id in loan.collateral.fleet_ids:
            out[fleet_id] = max(out.get(fleet_id, floor), months + 1)
    for fleet_id in out:
        for contract in index.on_fleet.get(fleet_id, []):
            out[fleet_id] = max(out[fleet_id], _months_to(as_of, contract.end) + 1)
        out[fleet_id] = min(out[fleet_id], MAX_HORIZON_MONTHS)
    return out


def _discount_curve(curves: Mapping[Any, Curve], fleet: Fleet) -> Curve | None:
    """The curve :meth:`ProjectionInputs.build` would build for the fleet (None: let it
    build, and raise, itself)."""
    index = DISCOUNT_INDEX.get(fleet.currency)
    return None if index is None else curves.get(index)


def project_fleets(
    loans: Sequence[CollateralLoan],
    last_pay: Sequence[dt.date],
    portfolio: Portfolio,
    market: MarketSnapshot,
    scenarios: int | None,
    seed: int,
    stress: StressScenario | None = None,
    *,
    default_horizon_years: float = 1.0,
    index: PortfolioIndex | None = None,
    reuse: Mapping[str, FleetProjection] | None = None,
    truncate: bool = True,
) -> dict[str, FleetProjection]:
    """One projection per pledged fleet, on the grid of the longest horizon (30 years).

    A fixed horizon puts every fleet on one grid and makes a loan's scenario paths
    independent of which other loans are in the book. ``stress`` is applied to each
    fleet's inputs before the paths are drawn (:func:`~computefin.risk.apply_stress`).

    With paths and ``truncate``, each fleet is projected over the first
    :func:`fleet_horizons` months only (``simulate_scenarios(..., periods=k)``): those
    periods are the 30-year projection's first ``k``, bit for bit, and nothing the
    valuation reads lies after them, so figures do not depend on the cut (nor on the
    other loans that set it). ``reuse``: projections of an earlier call on the same
    portfolio, market, paths, seed and stress, used when they reach far enough.
    """
    index = index or PortfolioIndex(portfolio)
    horizons = fleet_horizons(loans, last_pay, index, market.as_of, default_horizon_years)
    out: dict[str, FleetProjection] = {}
    curves: Mapping[Any, Curve] | None = None
    for fleet_id, months in horizons.items():
        known = None if reuse is None else reuse.get(fleet_id)
        if known is not None and (scenarios is None or known.grid.n_periods >= months):
            out[fleet_id] = known
            continue
        if curves is None:
            curves = build_curves(market)
        fleet = index.fleet(fleet_id)
        contracts = index.on_fleet.get(fleet_id, [])
        parties = [index.counterparties[c.counterparty_id] for c in contracts
                   if c.counterparty_id in index.counterparties]  # fmt: skip
        inputs = ProjectionInputs.build(
            fleet,
            contracts,
            market,
            MAX_HORIZON_MONTHS,
            counterparties=parties,
            discount_curve=_discount_curve(curves, fleet),
        )
        if stress is not None:
            inputs = apply_stress(stress, inputs)
        if scenarios is None:
            out[fleet_id] = project(inputs)
            continue
        periods = months if truncate else None
        out[fleet_id] = project(inputs, simulate_scenarios(inputs, scenarios, seed,
                                                           periods=periods))  # fmt: skip
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
    portfolio: Portfolio | PortfolioIndex,
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


_Pending = tuple[DebtSchedule, list[FleetProjection], CoverageTerms]


def _prepare(
    loan: CollateralLoan,
    row: int,
    cf: LoanCashflows,
    ead: float,
    lookup: PortfolioIndex,
    market: MarketSnapshot,
    projections: Mapping[str, FleetProjection],
    default_horizon_years: float,
    downturn_quantile: float,
) -> tuple[CollateralFigures, _Pending | None]:
    """The loan's figures without coverage (``worst_dscr`` and ``breach_probability`` NaN),
    and what the coverage test needs (None: nothing to test)."""
    currency = loan.currency.value
    assigned = [lookup.contracts.get(cid) for cid in loan.collateral.assigned_contract_ids]
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
        empty = CollateralFigures(nan, nan, nan, 0.0, 0.0, contracts_now, contracts_later, False)
        return empty, None
    fx = np.array([market.fx(p.currency.value, currency) for p in fleets])
    ends = fleets[0].grid.end_dates
    at = max(int(np.searchsorted(ends, np.datetime64(default_day, "D"), side="right")) - 1, 0)
    # Only two columns of the fleets' summed value are read: sum those (the same sums,
    # element by element, and fleets projected over different horizons add up).
    stressed = sum(p.line("economic_value")[:, at] * k for p, k in zip(fleets, fx, strict=True))
    first = sum(p.line("economic_value")[:, 0] * k for p, k in zip(fleets, fx, strict=True))
    assert isinstance(stressed, np.ndarray)
    assert isinstance(first, np.ndarray)
    at_default = (
        float(stressed[0])
        if stressed.shape[0] == 1
        else float(np.quantile(stressed, downturn_quantile))
    )
    value_now = float(first.mean())
    ltv = ead / value_now if value_now > 0.0 else math.inf
    figures = CollateralFigures(
        ltv=ltv,
        worst_dscr=math.nan,
        breach_probability=math.nan,
        value_now=value_now,
        value_at_default=max(at_default, 0.0),
        contracts_now=contracts_now,
        contracts_at_default=contracts_later,
        fx_mismatch=any(p.currency.value != currency for p in fleets),
    )
    pay = cf.pay_date[row]
    keep = cf.alive[row] & (pay >= ends[0])
    if not bool(keep.any()):
        return figures, None
    cov = loan.covenants
    terms = CoverageTerms(
        max_ltv=cov.max_ltv if cov.max_ltv is not None else NO_LTV_COVENANT,
        min_dscr=cov.min_dscr if cov.min_dscr is not None else 0.0,
        cash_sweep_share=cov.cash_sweep_share,
        advance_rate_gpu_value=cov.advance_rate_gpu_value
        if cov.advance_rate_gpu_value is not None
        else 0.5,
        advance_rate_contracts=_advance_rate(loan, contracts, lookup, market),
    )
    debt = DebtSchedule(
        pay_dates=pay[keep],
        opening_balance=(cf.opening_balance[row] + cf.draw[row])[keep],
        scheduled_principal=cf.principal[row][keep],
        rate=cf.rate[row][keep],
        year_fractions=cf.year_fraction[row][keep],
        accrual_starts=cf.accrual_start[row][keep],
    )
    return figures, (debt, fleets, terms)


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
    index: PortfolioIndex | None = None,
) -> CollateralFigures:
    """Coverage and collateral values of loan ``row`` of ``cf`` (see the module docs).

    ``index``: the portfolio's :class:`PortfolioIndex`, when the caller has one.
    """
    figures, pending = _prepare(
        loan, row, cf, ead, index or PortfolioIndex(portfolio), market, projections,
        default_horizon_years, downturn_quantile,
    )  # fmt: skip
    if pending is None:
        return figures
    debt, fleets, terms = pending
    result = collateral_coverage(debt, fleets, terms, market, loan.currency.value)
    return dataclasses.replace(
        figures,
        worst_dscr=float(np.median(result.worst_dscr)),
        breach_probability=result.breach_probability,
    )


def book_collateral_figures(
    loans: Sequence[CollateralLoan],
    cf: LoanCashflows,
    ead: FloatArray,
    portfolio: Portfolio,
    market: MarketSnapshot,
    projections: Mapping[str, FleetProjection],
    *,
    default_horizon_years: float,
    downturn_quantile: float,
    index: PortfolioIndex | None = None,
) -> list[CollateralFigures]:
    """:func:`collateral_figures` of every loan (row ``i`` of ``cf`` is ``loans[i]``), the
    coverage tests run together (:func:`~computefin.products.coverage.coverage_summaries`:
    the same figures, bit for bit, without a Python loop over each loan's periods)."""
    lookup = index or PortfolioIndex(portfolio)
    prepared = [
        _prepare(loan, i, cf, float(ead[i]), lookup, market, projections,
                 default_horizon_years, downturn_quantile)
        for i, loan in enumerate(loans)
    ]  # fmt: skip
    tested = [i for i, (_, pending) in enumerate(prepared) if pending is not None]
    pending = [p for _, p in prepared if p is not None]
    summaries = coverage_summaries(
        [p[0] for p in pending],
        [p[1] for p in pending],
        [p[2] for p in pending],
        market,
        [loans[i].currency.value for i in tested],
    )
    out = [figures for figures, _ in prepared]
    for i, summary in zip(tested, summaries, strict=True):
        out[i] = dataclasses.replace(
            out[i],
            worst_dscr=float(np.median(summary.worst_dscr)),
            breach_probability=summary.breach_probability,
        )
    return out


def stack(figures: Sequence[CollateralFigures]) -> dict[str, FloatArray]:
    """The figures of many loans as ``{field: (n,) array}``."""
    names = CollateralFigures.__dataclass_fields__
    return {
        name: np.asarray([getattr(f, name) for f in figures], dtype=np.float64) for name in names
    }
