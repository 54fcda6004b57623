"""Bad policy terms and bad pricing requests fail with errors that name the field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from insurance_cases import AS_OF, MARKET, book, inputs

from computefin.domain import Currency, demo_market, demo_portfolio
from computefin.errors import ValidationError
from computefin.products.insurance import (
    DowntimeCover,
    InsuranceQuote,
    ResidualValueInsurance,
    RevenueShortfallCover,
    aggregate_layer_payments,
    residual_value_put,
    xl_layer,
)

DOWNTIME: dict[str, Any] = {"fleet_id": "ins-fleet", "start": AS_OF, "term_months": 12,
                            "currency": "USD"}  # fmt: skip
SHORTFALL: dict[str, Any] = {**DOWNTIME, "trigger_share": 0.8}
RVI: dict[str, Any] = {"fleet_id": "ins-fleet", "guarantee_date": dt.date(2027, 11, 27),
                       "guaranteed_value_per_gpu": 20_000.0, "currency": "USD"}  # fmt: skip


DAY = np.array(["2027-01-01"], dtype="datetime64[D]")


def _fails(model: type[Any], data: dict[str, Any], field: str) -> str:
    with pytest.raises(ValidationError) as info:
        model(**data)
    assert f"{model.__name__}.{field}" in str(info.value), str(info.value)
    return str(info.value)


@pytest.mark.parametrize(
    ("model", "base", "change", "field"),
    [
        (DowntimeCover, DOWNTIME, {"deductible_per_event": 600.0, "limit_per_event": 500.0},
         "deductible_per_event"),
        (DowntimeCover, DOWNTIME, {"aggregate_deductible": 9e4, "aggregate_limit": 1e4},
         "aggregate_deductible"),
        (DowntimeCover, DOWNTIME, {"deductible_per_event": -1.0}, "deductible_per_event"),
        (DowntimeCover, DOWNTIME, {"limit_per_event": 0.0}, "limit_per_event"),
        (DowntimeCover, DOWNTIME, {"term_months": 0}, "term_months"),
        (DowntimeCover, DOWNTIME, {"loading": 25.0}, "loading"),
        (DowntimeCover, DOWNTIME, {"loading": -0.1}, "loading"),
        (DowntimeCover, DOWNTIME, {"currency": "XYZ"}, "currency"),
        (DowntimeCover, DOWNTIME, {"start": 20270101}, "start"),
        (DowntimeCover, DOWNTIME, {"replacement_value_per_gpu": float("nan")},
         "replacement_value_per_gpu"),
        (DowntimeCover, DOWNTIME, {"colour": "red"}, "colour"),
        (RevenueShortfallCover, SHORTFALL, {"trigger_share": 1.5}, "trigger_share"),
        (RevenueShortfallCover, SHORTFALL, {"trigger_share": -0.1}, "trigger_share"),
        (RevenueShortfallCover, SHORTFALL, {"trigger_share": 0.0}, "trigger_share"),
        (RevenueShortfallCover, SHORTFALL, {"trigger_share": True}, "trigger_share"),
        (RevenueShortfallCover, SHORTFALL, {"term_months": 10}, "term_months"),
        (RevenueShortfallCover, SHORTFALL, {"measurement_frequency": "weekly"},
         "measurement_frequency"),
        (RevenueShortfallCover, SHORTFALL, {"measure": "noi"}, "measure"),
        (RevenueShortfallCover, SHORTFALL,
         {"limit_per_measurement": 5e5, "aggregate_limit": 1e5}, "limit_per_measurement"),
        (ResidualValueInsurance, RVI, {"deductible_per_gpu": 25_000.0}, "deductible_per_gpu"),
        (ResidualValueInsurance, RVI, {"deductible_per_gpu": 2_000.0, "limit_per_gpu": 1_000.0},
         "deductible_per_gpu"),
        (ResidualValueInsurance, RVI, {"guaranteed_value_per_gpu": 0.0},
         "guaranteed_value_per_gpu"),
        (ResidualValueInsurance, RVI, {"gpus": 0}, "gpus"),
        (ResidualValueInsurance, RVI, {"group": -1}, "group"),
        (ResidualValueInsurance, RVI, {"accelerator_id": "nvidia-h1000"}, "accelerator_id"),
    ],
)  # fmt: skip
def test_bad_terms_name_the_field(
    model: type[Any], base: dict[str, Any], change: dict[str, Any], field: str
) -> None:
    _fails(model, {**base, **change}, field)


def test_percentage_loading_is_explained() -> None:
    message = _fails(DowntimeCover, {**DOWNTIME, "loading": 25.0}, "loading")
    assert "looks like a percentage" in message


def _rvi(**change: Any) -> ResidualValueInsurance:
    return ResidualValueInsurance(**{**RVI, **change})


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        (DowntimeCover(**{**DOWNTIME, "start": dt.date(2026, 1, 1)}), "DowntimeCover.start"),
        (RevenueShortfallCover(**{**SHORTFALL, "start": dt.date(2026, 1, 1)}),
         "RevenueShortfallCover.start"),
        (ResidualValueInsurance(**{**RVI, "guarantee_date": AS_OF}),
         "ResidualValueInsurance.guarantee_date"),
        (ResidualValueInsurance(**{**RVI, "guarantee_date": dt.date(2032, 1, 1)}),
         "ResidualValueInsurance.guarantee_date"),  # after the GPUs' retirement (2031-05)
        (ResidualValueInsurance(**{**RVI, "gpus": 65}), "ResidualValueInsurance.gpus"),
        (ResidualValueInsurance(**{**RVI, "group": 1}), "ResidualValueInsurance.group"),
        (ResidualValueInsurance(**{**RVI, "accelerator_id": "nvidia-h200-sxm"}),
         "ResidualValueInsurance.accelerator_id"),
        (DowntimeCover(**{**DOWNTIME, "fleet_id": "no-such-fleet"}), "fleet_id"),
    ],
)  # fmt: skip
def test_pricing_checks_name_the_field(policy: Any, field: str) -> None:
    with pytest.raises(ValidationError, match=field.replace(".", r"\.")):
        policy.price(MARKET, book(), 10, seed=1)


@pytest.mark.parametrize(
    ("scenarios", "seed", "field"),
    [(1, 0, "scenarios"), (True, 0, "scenarios"), (2.5, 0, "scenarios"), (10, -1, "seed")],
)
def test_bad_path_counts_and_seeds(scenarios: Any, seed: Any, field: str) -> None:
    with pytest.raises(ValidationError, match=f"^{field}"):
        DowntimeCover(**DOWNTIME).price(MARKET, book(), scenarios, seed)


def test_inputs_for_another_fleet_or_too_short_are_refused() -> None:
    portfolio = book()
    with pytest.raises(ValidationError, match=r"^inputs: the projection grid ends"):
        DowntimeCover(**DOWNTIME).price(MARKET, portfolio, 10, inputs=inputs(portfolio, 6))
    other = demo_portfolio()
    from computefin.risk.projection import ProjectionInputs

    dal = ProjectionInputs.build(other.fleet("fleet-dal-h100"), other.contracts, demo_market(), 12,
                                 counterparties=other.counterparties)  # fmt: skip
    with pytest.raises(ValidationError, match=r"^inputs: describe fleet"):
        DowntimeCover(**DOWNTIME).price(MARKET, portfolio, 10, inputs=dal)


def test_a_multi_group_fleet_needs_the_group_named() -> None:
    policy = ResidualValueInsurance(fleet_id="fleet-gz-910b", guarantee_date=dt.date(2027, 11, 27),
                                    guaranteed_value_per_gpu=30_000.0, currency="CNY")  # fmt: skip
    with pytest.raises(ValidationError, match=r"ResidualValueInsurance\.group: selects 2"):
        policy.price(demo_market(), demo_portfolio(), 10)


def test_payoff_kernels() -> None:
    assert xl_layer([0.0, 100.0, 250.0, 1e6], 100.0, 100.0).tolist() == [0.0, 0.0, 100.0, 100.0]
    assert xl_layer([5.0], 0.0).tolist() == [5.0]
    losses = np.array([[30.0, 0.0, 50.0, 20.0], [0.0, 0.0, 0.0, 10.0]])
    paid = aggregate_layer_payments(losses, 40.0, 45.0)
    assert paid.tolist() == [[0.0, 0.0, 40.0, 5.0], [0.0, 0.0, 0.0, 0.0]]
    assert np.allclose(paid.sum(axis=1), xl_layer(losses.sum(axis=1), 40.0, 45.0))
    with pytest.raises(ValidationError, match=r"^period_losses"):
        aggregate_layer_payments([[-1.0]], 0.0)
    with pytest.raises(ValidationError, match=r"^aggregate_limit"):
        aggregate_layer_payments([[1.0]], 0.0, 0.0)
    assert residual_value_put([1.0, 9.0], 10.0, 1.0, 5.0).tolist() == [5.0, 0.0]
    with pytest.raises(ValidationError, match=r"^guaranteed_value"):
        residual_value_put([1.0], -10.0)


def test_quote_risk_measures_and_views() -> None:
    rng = np.random.default_rng(0)
    payments = rng.exponential(100.0, size=(1000, 3)) * (rng.random((1000, 3)) < 0.3)
    quote = InsuranceQuote(
        cover="x", currency=Currency.USD, as_of=AS_OF, n_paths=1000, seed=0, loading=0.1,
        payment_dates=np.array(["2027-01-01", "2027-02-01", "2027-03-01"], dtype="datetime64[D]"),
        payments=payments, discount_factors=np.full((1000, 3), 0.99),
    )  # fmt: skip
    losses = np.sort(quote.discounted_losses)
    assert quote.var(0.99) == losses[989]  # the 990th of 1,000 (inverted CDF)
    assert quote.tvar(0.99) == pytest.approx(losses[-10:].mean())
    assert quote.tvar(0.95) >= quote.var(0.95) >= quote.discounted_expected_loss
    assert quote.to_frame().shape == (3, 4)
    assert quote.distribution().shape == (1000, 2)
    summary = quote.summary()
    assert summary["premium"] == pytest.approx(1.1 * quote.discounted_expected_loss)
    assert {"var_0.995", "tvar_0.995", "standard_error"} <= set(summary.index)
    with pytest.raises(ValidationError, match=r"^level"):
        quote.var(99.0)
    with pytest.raises(ValidationError, match=r"^payments"):
        InsuranceQuote(cover="x", currency=Currency.USD, as_of=AS_OF, n_paths=2, seed=0,
                       loading=0.0, payment_dates=DAY, payments=np.ones((1, 1)),
                       discount_factors=np.ones((1, 1)))  # fmt: skip
    with pytest.raises(ValidationError, match=r"^payments: must be >= 0"):
        InsuranceQuote(cover="x", currency=Currency.USD, as_of=AS_OF, n_paths=1, seed=0,
                       loading=0.0, payment_dates=DAY, payments=-np.ones((1, 1)),
                       discount_factors=np.ones((1, 1)))  # fmt: skip
