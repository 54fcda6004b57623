"""Downtime cover against frequency x severity computed by hand for Poisson cases.

With no permanent failures the failure model's interruptions over a term of ``T``
years on ``N`` GPUs are Poisson with mean ``lam N T`` (a sum of independent per-period
Poisson draws), and with a fixed severity ``X`` per event:

* per-event terms: ``E[loss] = lam N T min(max(X - d, 0), L)``;
* aggregate terms: ``E[loss] = Σ_k P(K = k) min(max(k X - D, 0), A)``, ``K ~ Poisson``;
* discounted: ``Σ_t lam N dt_t min(max(X - d, 0), L) DF(t)``, period by period.

MC estimates must fall within 4 standard errors of these (the tolerance of every MC
check here; the seeds are fixed, so the tests are deterministic).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from insurance_cases import AS_OF, CONTRACT_PRICE, GPUS, MARKET, RATE, book, inputs
from scipy import stats

from computefin.products.insurance import DowntimeCover
from computefin.risk.scenarios import FailureModel

LAM = 0.5  # interruptions per GPU-year
REPAIR = 1000.0  # USD per interruption
PATHS = 20_000


def _model(downtime_hours: float = 0.0, repair: float = REPAIR) -> FailureModel:
    return FailureModel(interruption_rate_per_gpu_year=LAM, permanent_failure_rate_per_gpu_year=0.0,
                        mean_downtime_hours=downtime_hours,
                        repair_cost_per_interruption=repair)  # fmt: skip


def _cover(**terms: float) -> DowntimeCover:
    return DowntimeCover(fleet_id="ins-fleet", start=AS_OF, term_months=12, currency="USD",
                         **terms)  # fmt: skip


def _grid_years() -> tuple[np.ndarray, np.ndarray]:
    """Year fractions and period-end times of the 12 monthly periods of the term."""
    days = np.array([31, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30], dtype=float)
    return days / 365.0, np.cumsum(days) / 365.0


def _loss_se(losses: np.ndarray) -> float:
    return float(losses.std(ddof=1) / math.sqrt(losses.size))


def test_per_event_deductible_and_limit_match_lambda_n_t_times_layer() -> None:
    portfolio = book()
    cover = _cover(deductible_per_event=300.0, limit_per_event=500.0)
    quote = cover.price(MARKET, portfolio, PATHS, seed=11,
                        inputs=inputs(portfolio, 12, failures=_model()))  # fmt: skip
    dt_years, times = _grid_years()
    assert dt_years.sum() == pytest.approx(1.0)  # 2026-11-27 to 2027-11-27: 365 days
    per_event = min(max(REPAIR - 300.0, 0.0), 500.0)  # 500
    expected = LAM * GPUS * dt_years.sum() * per_event  # 16,000
    assert abs(quote.expected_loss - expected) < 4 * _loss_se(quote.losses)
    discounted = float((LAM * GPUS * dt_years * per_event * np.exp(-RATE * times)).sum())
    assert abs(quote.discounted_expected_loss - discounted) < 4 * quote.standard_error
    assert quote.details["expected_events"] == pytest.approx(LAM * GPUS, rel=0.01)
    assert quote.details["mean_severity"] == pytest.approx(REPAIR)
    assert quote.premium == pytest.approx(quote.discounted_expected_loss)  # no loading


def test_event_counts_are_poisson_over_the_term() -> None:
    portfolio = book()
    quote = _cover().price(MARKET, portfolio, PATHS, seed=5,
                           inputs=inputs(portfolio, 12, failures=_model()))  # fmt: skip
    events = quote.underlying
    assert events is not None
    mean = LAM * GPUS
    assert abs(events.mean() - mean) < 4 * math.sqrt(mean / PATHS)
    assert events.var(ddof=1) == pytest.approx(mean, rel=0.05)  # Poisson: variance = mean
    # No deductible, no limit: the loss is the count times the severity, path by path.
    assert np.allclose(quote.losses, REPAIR * events)


@pytest.mark.parametrize(("deductible", "limit"), [(8_000.0, 10_000.0), (30_000.0, None),
                                                   (0.0, 25_000.0)])  # fmt: skip
def test_aggregate_deductible_and_limit_match_the_poisson_sum(
    deductible: float, limit: float | None
) -> None:
    portfolio = book()
    cover = _cover(aggregate_deductible=deductible,
                   **({} if limit is None else {"aggregate_limit": limit}))  # fmt: skip
    quote = cover.price(MARKET, portfolio, PATHS, seed=23,
                        inputs=inputs(portfolio, 12, failures=_model()))  # fmt: skip
    mean = LAM * GPUS * 1.0
    k = np.arange(0, 200)
    layer = np.maximum(REPAIR * k - deductible, 0.0)
    if limit is not None:
        layer = np.minimum(layer, limit)
    expected = float((stats.poisson.pmf(k, mean) * layer).sum())
    assert abs(quote.expected_loss - expected) < 4 * _loss_se(quote.losses)
    if limit is not None:
        assert quote.losses.max() <= limit + 1e-9


def test_both_layers_apply_per_event_first_then_aggregate() -> None:
    portfolio = book()
    cover = _cover(deductible_per_event=600.0, aggregate_deductible=5_000.0,
                   aggregate_limit=6_000.0)  # fmt: skip
    quote = cover.price(MARKET, portfolio, PATHS, seed=29,
                        inputs=inputs(portfolio, 12, failures=_model()))  # fmt: skip
    k = np.arange(0, 200)
    layer = np.minimum(np.maximum(400.0 * k - 5_000.0, 0.0), 6_000.0)
    expected = float((stats.poisson.pmf(k, LAM * GPUS) * layer).sum())
    assert abs(quote.expected_loss - expected) < 4 * _loss_se(quote.losses)


def test_lost_contracted_revenue_adds_price_times_downtime_hours_per_event() -> None:
    # All 64 GPUs on a take-or-pay contract at USD 2.50: each interruption of 24 GPU-hours
    # costs 24 x 2.50 = USD 60 of contracted revenue, plus the repair.
    portfolio = book(contract=True, take_or_pay=1.0)
    failures = _model(downtime_hours=24.0, repair=200.0)
    quote = _cover(deductible_per_event=100.0).price(
        MARKET, portfolio, 8_000, seed=3, inputs=inputs(portfolio, 12, failures=failures)
    )
    severity = 200.0 + 24.0 * CONTRACT_PRICE
    assert quote.details["mean_severity"] == pytest.approx(severity, rel=1e-9)
    expected = LAM * GPUS * (severity - 100.0)
    assert abs(quote.expected_loss - expected) < 4 * _loss_se(quote.losses)
    events = quote.underlying
    assert events is not None
    assert np.allclose(quote.losses, events * (severity - 100.0), rtol=1e-9)


def test_a_term_starting_later_covers_only_its_periods() -> None:
    portfolio = book()
    cover = DowntimeCover(fleet_id="ins-fleet", start=AS_OF.replace(year=2027), term_months=6,
                          currency="USD")  # fmt: skip
    quote = cover.price(MARKET, portfolio, 4_000, seed=2,
                        inputs=inputs(portfolio, 18, failures=_model()))  # fmt: skip
    assert str(quote.payment_dates[0]) == "2027-12-27"
    assert quote.payment_dates.size == 6
    years = 182 / 365.0  # 2027-11-27 to 2028-05-27
    expected = LAM * GPUS * years * REPAIR
    assert abs(quote.expected_loss - expected) < 4 * _loss_se(quote.losses)


def test_permanent_failures_pay_the_replacement_value() -> None:
    portfolio = book()
    failures = FailureModel(interruption_rate_per_gpu_year=0.0,
                            permanent_failure_rate_per_gpu_year=0.1)  # fmt: skip
    cover = _cover(replacement_value_per_gpu=20_000.0, deductible_per_event=5_000.0)
    quote = cover.price(MARKET, portfolio, 8_000, seed=9,
                        inputs=inputs(portfolio, 12, failures=failures))  # fmt: skip
    lost = GPUS * (1.0 - math.exp(-0.1))  # binomial thinning at 10% a GPU-year, one year
    expected = lost * 15_000.0
    assert abs(quote.expected_loss - expected) < 4 * _loss_se(quote.losses)


def test_same_seed_same_quote_and_scenario_set_reuse() -> None:
    portfolio = book()
    chosen = inputs(portfolio, 12, failures=_model())
    cover = _cover(deductible_per_event=300.0)
    a = cover.price(MARKET, portfolio, 500, seed=4, inputs=chosen)
    b = cover.price(MARKET, portfolio, 500, seed=4, inputs=chosen)
    assert np.array_equal(a.discounted_losses, b.discounted_losses)
    from computefin.risk.projection import simulate_scenarios

    c = cover.price(MARKET, portfolio, simulate_scenarios(chosen, 500, 4), inputs=chosen)
    assert np.array_equal(a.discounted_losses, c.discounted_losses)
