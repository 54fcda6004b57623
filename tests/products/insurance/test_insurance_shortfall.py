"""Revenue shortfall cover: a hand-computed deterministic case and a path-by-path rebuild.

Deterministic case: one contract on all 64 GPUs with take-or-pay share 0.5 and the lessee
using 90% of the rest, no downtime, no failures, no default: realised contracted revenue
is ``(0.5 + 0.5 x 0.9) = 0.95`` of the contracted revenue in every window, on every path.
"""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

import numpy as np
import pytest
from insurance_cases import AS_OF, CONTRACT_PRICE, GPUS, MARKET, RATE, book, inputs

from computefin.products.insurance import RevenueShortfallCover
from computefin.risk.projection import project, simulate_scenarios
from computefin.risk.scenarios import FailureModel

NO_FAILURES = FailureModel(interruption_rate_per_gpu_year=0.0,
                           permanent_failure_rate_per_gpu_year=0.0)  # fmt: skip


def _cover(**terms: object) -> RevenueShortfallCover:
    base: dict[str, object] = {"fleet_id": "ins-fleet", "start": AS_OF, "term_months": 12,
                               "measurement_frequency": "quarterly", "currency": "USD",
                               "measure": "contracted_revenue"}  # fmt: skip
    base.update(terms)
    return RevenueShortfallCover(**base)


def _windows() -> tuple[np.ndarray, np.ndarray]:
    """Contracted revenue and end time (years) of the four quarters from 2026-11-27."""
    ends = [dt.date(2027, 2, 27), dt.date(2027, 5, 27), dt.date(2027, 8, 27),
            dt.date(2027, 11, 27)]  # fmt: skip
    starts = [AS_OF, *ends[:-1]]
    days = np.array([(b - a).days for a, b in zip(starts, ends, strict=True)], dtype=float)
    contracted = GPUS * CONTRACT_PRICE * 24.0 * days
    times = np.array([(b - AS_OF).days for b in ends], dtype=float) / 365.0
    return contracted, times


def test_deterministic_shortfall_is_the_unused_share_of_contracted_revenue() -> None:
    portfolio = book(contract=True, take_or_pay=0.5)
    chosen = inputs(portfolio, 12, failures=NO_FAILURES)
    quote = _cover(trigger_share=1.0).price(MARKET, portfolio, 50, seed=1, inputs=chosen)
    contracted, times = _windows()
    shortfall = 0.05 * contracted  # 1 - (0.5 + 0.5 x 0.9)
    assert np.allclose(quote.payments, shortfall[None, :], rtol=1e-9)
    assert quote.details["contracted_revenue"] == pytest.approx(contracted.sum(), rel=1e-12)
    discounted = float((shortfall * np.exp(-RATE * times)).sum())
    assert quote.discounted_expected_loss == pytest.approx(discounted, rel=1e-9)
    assert quote.standard_error == pytest.approx(0.0, abs=1e-6)
    # below the realised 95% nothing is paid
    none = _cover(trigger_share=0.95 - 1e-9).price(MARKET, portfolio, 50, seed=1, inputs=chosen)
    assert none.expected_loss == pytest.approx(0.0, abs=1e-6)


def test_limits_per_window_and_aggregate() -> None:
    portfolio = book(contract=True, take_or_pay=0.5)
    chosen = inputs(portfolio, 12, failures=NO_FAILURES)
    contracted, _ = _windows()
    shortfall = 0.05 * contracted  # about 17,000 a quarter
    per = _cover(trigger_share=1.0, limit_per_measurement=15_000.0)
    quote = per.price(MARKET, portfolio, 20, seed=1, inputs=chosen)
    assert np.allclose(quote.payments[0], np.minimum(shortfall, 15_000.0))
    agg = _cover(trigger_share=1.0, aggregate_limit=40_000.0)
    quote = agg.price(MARKET, portfolio, 20, seed=1, inputs=chosen)
    assert quote.losses[0] == pytest.approx(40_000.0)
    assert np.allclose(np.cumsum(quote.payments[0]), np.minimum(np.cumsum(shortfall), 40_000.0))


def test_monthly_measurement_matches_the_projection_path_by_path() -> None:
    # Stochastic case: spot revenue and downtime move the fleet's revenue; rebuild the
    # payout from the projection's own lines and compare.
    portfolio = book(contract=True, take_or_pay=0.6)
    chosen = inputs(portfolio, 12, sigma=0.5, failures=FailureModel(mean_downtime_hours=1000.0))
    cover = _cover(trigger_share=0.92, measurement_frequency="monthly", measure="revenue",
                   loading=0.3)  # fmt: skip
    quote = cover.price(MARKET, portfolio, 1_000, seed=8, inputs=chosen)
    projection = project(chosen, simulate_scenarios(chosen, 1_000, 8))
    days = chosen.grid.days
    contracted = GPUS * CONTRACT_PRICE * 24.0 * days
    expected = np.maximum(0.92 * contracted - projection.line("revenue"), 0.0)
    assert np.allclose(quote.payments, expected, rtol=1e-10, atol=1e-8)
    assert np.allclose(quote.discount_factors, projection.line("discount_factor"), rtol=1e-10)
    assert quote.premium == pytest.approx(1.3 * quote.discounted_expected_loss)
    assert 0.0 < quote.loss_probability < 1.0


def test_window_boundaries_between_period_ends_count_pro_rata() -> None:
    portfolio = book(contract=True, take_or_pay=0.5)
    chosen = inputs(portfolio, 14, failures=NO_FAILURES)
    start = dt.date(2027, 1, 1)  # not on the grid, which runs from the 27th
    cover = _cover(start=start, trigger_share=1.0)
    quote = cover.price(MARKET, portfolio, 20, seed=1, inputs=chosen)
    edges = [start, dt.date(2027, 4, 1), dt.date(2027, 7, 1), dt.date(2027, 10, 1),
             dt.date(2028, 1, 1)]  # fmt: skip
    days = np.array([(b - a).days for a, b in pairwise(edges)])
    assert np.allclose(quote.payments[0], 0.05 * GPUS * CONTRACT_PRICE * 24.0 * days)
