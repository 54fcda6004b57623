"""Collateral coverage: LTV and DSCR of a one-fleet, one-contract loan by hand; the sweep."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from one_server_fleet import one_server_inputs

from computefin.errors import ValidationError
from computefin.products.coverage import CoverageTerms, DebtSchedule, collateral_coverage
from computefin.risk.projection import (
    ProjectionInputs,
    project,
    simulate_scenarios,
)
from computefin.risk.scenarios import UtilizationModel

AS_OF = dt.date(2026, 11, 27)


def _monthly_debt(inputs: ProjectionInputs, balance: float, rate: float) -> DebtSchedule:
    grid = inputs.grid
    n = grid.n_periods
    principal = np.full(n, balance / n)  # straight amortization over the 12 months
    opening = balance - np.concatenate([[0.0], np.cumsum(principal)[:-1]])
    return DebtSchedule(pay_dates=grid.end_dates, opening_balance=opening,
                        scheduled_principal=principal, rate=np.full(n, rate),
                        year_fractions=grid.year_fractions)  # fmt: skip


def test_ltv_and_dscr_of_one_fleet_one_contract_by_hand() -> None:
    inputs = one_server_inputs()
    debt = _monthly_debt(inputs, 120_000.0, 0.06)
    terms = CoverageTerms(max_ltv=0.7, min_dscr=1.35)
    result = collateral_coverage(debt, [project(inputs)], terms, inputs.market, "USD")
    # First month (30 days): NOI by hand from tests/risk/test_projection.py.
    noi = (2.5 * 4 * 720 * 0.98 + 4 * 720 * 0.5 * 2.0
           - (10.2 * 1.3 * 720 * 0.07 + 10.2 * 150 * 30 / 365 * 12
              + 300_000 * 0.035 * 30 / 365))  # fmt: skip
    interest = 120_000 * 0.06 * 30 / 365
    principal = 10_000.0
    assert result.cfads[0, 0] == pytest.approx(noi, rel=1e-10)
    assert result.dscr[0, 0] == pytest.approx(noi / (interest + principal), rel=1e-10)
    value = project(inputs).expected("economic_value")[0]
    assert result.ltv[0, 0] == pytest.approx((120_000 - 10_000) / value, rel=1e-12)
    # Borrowing base: 50% of GPU value + 80% of the contract revenue still to come.
    assert result.borrowing_base[0, 0] > 0.5 * value
    assert result.closing_balance[0, -1] == pytest.approx(0.0, abs=1e-9)


def test_a_breach_sweeps_cash_and_cuts_later_interest() -> None:
    inputs = one_server_inputs()
    debt = _monthly_debt(inputs, 24_000.0, 0.06)  # 2,000 a month against ~7,000 of NOI
    strict = CoverageTerms(max_ltv=0.01, min_dscr=1.0, cash_sweep_share=1.0)
    loose = CoverageTerms(max_ltv=5.0, min_dscr=0.0, cash_sweep_share=1.0)
    projection = [project(inputs)]
    swept = collateral_coverage(debt, projection, strict, inputs.market, "USD")
    plain = collateral_coverage(debt, projection, loose, inputs.market, "USD")
    assert swept.breach[0, 0]
    assert not plain.breach.any()
    excess = swept.cfads[0, 0] - swept.interest[0, 0] - swept.principal[0, 0]
    assert swept.swept[0, 0] == pytest.approx(excess, rel=1e-12)
    assert swept.closing_balance[0, 0] == pytest.approx(plain.closing_balance[0, 0] - excess)
    assert swept.interest[0, 1] < plain.interest[0, 1]
    assert swept.breach_probability == 1.0


def test_paths_give_a_breach_probability_and_first_breach_dates() -> None:
    inputs = one_server_inputs().with_changes(
        utilization=UtilizationModel(key="one", theta=0.5, u0=0.5, sigma=1.5)
    )
    paths = project(inputs, simulate_scenarios(inputs, 400, seed=3))
    debt = _monthly_debt(inputs, 24_000.0, 0.06)
    # After the contract ends (month 7) spot income alone gives a DSCR near 1.4; with a
    # volatile utilization some paths fall below 1.3.
    result = collateral_coverage(debt, [paths], CoverageTerms(max_ltv=0.9, min_dscr=1.3),
                                 inputs.market, "USD")  # fmt: skip
    assert 0.0 < result.breach_probability < 1.0
    first = result.first_breach()
    assert first.sum() == pytest.approx(result.breach_probability, abs=1e-12)
    assert result.to_frame().shape[0] == inputs.grid.n_periods


def test_a_projection_short_of_maturity_is_refused() -> None:
    inputs = one_server_inputs()
    grid = inputs.grid
    debt = DebtSchedule(pay_dates=grid.end_dates + np.timedelta64(400, "D"),
                        opening_balance=np.full(12, 1.0), scheduled_principal=np.zeros(12),
                        rate=np.zeros(12), year_fractions=np.full(12, 1 / 12))  # fmt: skip
    with pytest.raises(ValidationError, match="short of the last payment"):
        collateral_coverage(debt, [project(inputs)], CoverageTerms(max_ltv=1, min_dscr=1),
                            inputs.market, "USD")  # fmt: skip
