"""Residual value insurance against a closed-form (Black-76) put on a lognormal value.

How the simulated value per GPU is made exactly lognormal. The projection values a GPU
held at ``t`` as ``V = max(G(t) rho - C(t), 0) + R(t)`` with ``rho = P_path(t) / E[P(t)]``
the path's rental price over its expected level (docs/models/projection.md). The price
model's log factor is an Ornstein-Uhlenbeck process without jumps, so
``ln rho ~ N(-v/2, v)``, ``v = sigma^2 (1 - e^{-2 kappa t}) / (2 kappa)``. Setting the
end-of-life resale share to 0 (``R = 0``), maintenance and insurance shares to 0, no
colocation, no repairs and an electricity price of 1e-12 per kWh (``C`` about 1e-8 USD)
leaves ``V = G rho``: lognormal with forward ``F = G`` (the expected projection's value
per GPU, where ``rho = 1``) and total variance ``v``. With no failures and deterministic
rates, the policy's discounted expected loss per GPU is
``DF(t) [K' N(-d2) - F N(-d1)]``, ``K' = K - deductible``, ``d1 = (ln(F/K') + v/2)/sqrt v``.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from insurance_cases import AS_OF, GPUS, MARKET, RATE, book, inputs
from scipy.stats import norm

from computefin.products.insurance import ResidualValueInsurance
from computefin.risk import ResidualValueModel
from computefin.risk.projection import ProjectionInputs, project
from computefin.risk.scenarios import FailureModel

SIGMA, KAPPA = 0.35, 0.5
GUARANTEE = dt.date(2027, 11, 27)  # as_of + 12 months: a period end of the grid
NO_FAILURES = FailureModel(interruption_rate_per_gpu_year=0.0,
                           permanent_failure_rate_per_gpu_year=0.0)  # fmt: skip


def _lognormal_inputs() -> ProjectionInputs:
    portfolio = book(electricity=1e-12)
    return inputs(portfolio, 12, failures=NO_FAILURES, sigma=SIGMA, kappa=KAPPA,
                  residual=ResidualValueModel(end_of_life_resale_share=0.0),
                  costless=True)  # fmt: skip


def _forward_and_variance(chosen: ProjectionInputs) -> tuple[float, float, float]:
    """F (expected value per GPU), v (log variance) and DF at the guarantee date."""
    expected = project(chosen)
    forward = float(expected.line("economic_value")[0, -1]) / GPUS
    t = (GUARANTEE - AS_OF).days / 365.0
    variance = SIGMA**2 * (1.0 - math.exp(-2.0 * KAPPA * t)) / (2.0 * KAPPA)
    return forward, variance, math.exp(-RATE * t)


def black76_put(forward: float, strike: float, variance: float, discount: float) -> float:
    """Black-76 put: DF [K N(-d2) - F N(-d1)] with total variance ``variance``."""
    sd = math.sqrt(variance)
    d1 = (math.log(forward / strike) + 0.5 * variance) / sd
    return discount * float(strike * norm.cdf(-(d1 - sd)) - forward * norm.cdf(-d1))


def _policy(strike: float, deductible: float = 0.0) -> ResidualValueInsurance:
    return ResidualValueInsurance(fleet_id="ins-fleet", guarantee_date=GUARANTEE,
                                  guaranteed_value_per_gpu=strike, deductible_per_gpu=deductible,
                                  currency="USD")  # fmt: skip


def test_simulated_value_is_lognormal_with_the_expected_forward() -> None:
    chosen = _lognormal_inputs()
    forward, variance, _ = _forward_and_variance(chosen)
    quote = _policy(forward).price(MARKET, book(), 16_000, seed=1, inputs=chosen)
    value = quote.underlying
    assert value is not None
    logs = np.log(value / forward)
    se_mean = math.sqrt(variance / value.size)
    assert abs(logs.mean() + 0.5 * variance) < 4 * se_mean
    assert logs.std(ddof=1) == pytest.approx(math.sqrt(variance), rel=0.03)
    assert abs(value.mean() / forward - 1.0) < 4 * value.std() / forward / math.sqrt(value.size)


@pytest.mark.parametrize(("moneyness", "deductible_share"), [(1.0, 0.0), (0.85, 0.0),
                                                             (1.1, 0.05)])  # fmt: skip
def test_price_matches_black76_put_within_three_standard_errors(
    moneyness: float, deductible_share: float
) -> None:
    chosen = _lognormal_inputs()
    forward, variance, discount = _forward_and_variance(chosen)
    strike = moneyness * forward
    deductible = deductible_share * forward
    quote = _policy(strike, deductible).price(MARKET, book(), 16_000, seed=7, inputs=chosen)
    closed = GPUS * black76_put(forward, strike - deductible, variance, discount)
    assert abs(quote.discounted_expected_loss - closed) < 3 * quote.standard_error
    assert quote.details["valuation_date"] == GUARANTEE.isoformat()
    assert quote.discount_factors[0, 0] == pytest.approx(discount, rel=1e-9)


def test_error_shrinks_like_one_over_root_n() -> None:
    chosen = _lognormal_inputs()
    forward, variance, discount = _forward_and_variance(chosen)
    closed = GPUS * black76_put(forward, 0.9 * forward, variance, discount)
    errors, ses = [], []
    for n in (1_000, 4_000, 16_000):
        quote = _policy(0.9 * forward).price(MARKET, book(), n, seed=13, inputs=chosen)
        errors.append(abs(quote.discounted_expected_loss - closed))
        ses.append(quote.standard_error)
        assert errors[-1] < 3 * ses[-1]
    # four times the paths halves the standard error
    assert ses[0] / ses[1] == pytest.approx(2.0, rel=0.1)
    assert ses[1] / ses[2] == pytest.approx(2.0, rel=0.1)
    # the root-mean-square error over independent seeds falls with it
    rms = []
    for n in (500, 8_000):
        draws = [
            _policy(0.9 * forward).price(MARKET, book(), n, seed=s, inputs=chosen)
            .discounted_expected_loss
            for s in range(100, 108)
        ]  # fmt: skip
        rms.append(math.sqrt(float(np.mean((np.array(draws) - closed) ** 2))))
    assert rms[1] < rms[0] / 2.0  # sixteen times the paths: about a quarter of the error


def test_limit_caps_the_put_and_failed_gpus_leave_the_cover() -> None:
    portfolio = book()
    failures = FailureModel(interruption_rate_per_gpu_year=0.0,
                            permanent_failure_rate_per_gpu_year=0.2)  # fmt: skip
    chosen = inputs(portfolio, 12, failures=failures)
    capped = ResidualValueInsurance(fleet_id="ins-fleet", guarantee_date=GUARANTEE, gpus=32,
                                    guaranteed_value_per_gpu=60_000.0, limit_per_gpu=1_000.0,
                                    currency="USD")  # fmt: skip
    quote = capped.price(MARKET, portfolio, 2_000, seed=3, inputs=chosen)
    from computefin.risk.projection import simulate_scenarios

    held = simulate_scenarios(chosen, 2_000, 3).failures["ins-fleet/0"].gpus_in_service[:, -1]
    assert quote.underlying is not None
    per_gpu = np.minimum(np.maximum(60_000.0 - quote.underlying, 0.0), 1_000.0)
    assert np.allclose(quote.losses, 32 * held / GPUS * per_gpu)
    assert quote.losses.max() <= 32 * 1_000.0 + 1e-9
    assert held.min() < GPUS  # some GPUs did fail


def test_per_gpu_value_is_the_projection_economic_value_per_gpu_held() -> None:
    portfolio = book()
    chosen = inputs(portfolio, 12)
    from computefin.risk.projection import simulate_scenarios

    scenarios = simulate_scenarios(chosen, 300, 5)
    projection = project(chosen, scenarios)
    quote = _policy(20_000.0).price(MARKET, portfolio, scenarios, inputs=chosen)
    held = scenarios.failures["ins-fleet/0"].gpus_in_service[:, -1]
    assert quote.underlying is not None
    assert np.allclose(quote.underlying, projection.line("economic_value")[:, -1] / held)


@pytest.mark.parametrize("strip_resource_ids", [False, True])
def test_groups_of_a_multi_group_fleet_add_up_to_the_fleet(strip_resource_ids: bool) -> None:
    # Each group is projected alone on the fleet's own random streams: the groups' values
    # per GPU times their GPUs held add up to the whole fleet's economic value, per path.
    from computefin.domain import Portfolio, demo_market, demo_portfolio
    from computefin.risk.projection import simulate_scenarios

    demo, market = demo_portfolio(), demo_market()
    fleet = demo.fleet("fleet-gz-910b")
    if strip_resource_ids:
        groups = tuple(g.model_copy(update={"resource_id": None}) for g in fleet.server_groups)
        fleet = fleet.model_copy(update={"server_groups": groups})
    portfolio = Portfolio(counterparties=demo.counterparties, fleets=[fleet],
                          contracts=demo.contracts_on(fleet.id))  # fmt: skip
    whole = ProjectionInputs.build(fleet, portfolio.contracts, market, 12,
                                   counterparties=portfolio.counterparties)  # fmt: skip
    scenarios = simulate_scenarios(whole, 200, 4)
    economic = project(whole, scenarios).line("economic_value")[:, -1]
    total = np.zeros_like(economic)
    for g, key in enumerate(whole.group_keys()):
        policy = ResidualValueInsurance(fleet_id=fleet.id, group=g, currency="CNY",
                                        guarantee_date=dt.date(2027, 11, 27),
                                        guaranteed_value_per_gpu=10_000.0)  # fmt: skip
        quote = policy.price(market, portfolio, 200, seed=4)
        assert quote.underlying is not None
        total += quote.underlying * scenarios.failures[key].gpus_in_service[:, -1]
    assert np.allclose(total, economic, rtol=1e-10)
