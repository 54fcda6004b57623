"""Bad fund input fails with errors naming the field; the R1-R5 scale at every boundary."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import pytest

from computefin.domain import demo_market, demo_portfolio
from computefin.errors import ValidationError
from computefin.products.fund import (
    RISK_LEVELS,
    ComputeFund,
    RiskScale,
    accelerator_generation,
    demo_fund,
    risk_level,
    value_fund,
)

DATA: dict[str, Any] = demo_fund().model_dump(mode="json")


def rejected(change: Callable[[dict[str, Any]], None]) -> ValidationError:
    data = copy.deepcopy(DATA)
    change(data)
    with pytest.raises(ValidationError) as info:
        ComputeFund.model_validate(data)
    return info.value


def test_the_demo_fund_round_trips_through_json() -> None:
    fund = demo_fund()
    assert ComputeFund.model_validate_json(fund.model_dump_json()) == fund


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (lambda d: d.update(units_outstanding=-5.0), "ComputeFund.units_outstanding",
         "greater than 0"),
        (lambda d: d.update(units_outstanding=0.0), "ComputeFund.units_outstanding",
         "greater than 0"),
        (lambda d: d.update(cash=-1.0), "ComputeFund.cash", "greater than or equal to 0"),
        (lambda d: d.update(management_fee_rate=1.5), "ComputeFund.management_fee_rate",
         "less than or equal to 0.1"),
        (lambda d: d.update(currency="XYZ"), "ComputeFund.currency", "Input should be"),
        (lambda d: d["holdings"][0].update(quantity=0.0), "ComputeFund.holdings[0].quantity",
         "greater than 0"),
        (lambda d: d["holdings"][0].update(quantity=-3.0), "ComputeFund.holdings[0].quantity",
         "greater than 0"),
        (lambda d: d["holdings"][0].update(quantity=10_001.0),
         "ComputeFund.holdings[0].quantity", "more than the 10000 units"),
        (lambda d: d["holdings"][1].update(face=0.0), "ComputeFund.holdings[1].face",
         "greater than 0"),
        (lambda d: d["holdings"][1].update(face=1e12), "ComputeFund.holdings[1].face",
         "original balance"),
        (lambda d: d["holdings"][1].update(tranche="C"), "ComputeFund.holdings[1].tranche",
         "no such tranche in deal 'abs-demo-gpu-lease-2026'; tranches: A, B, E"),
        (lambda d: d["holdings"][1].update(deal_id="other-deal"),
         "ComputeFund.holdings[1].deal_id", "not in deals"),
        (lambda d: d["holdings"][2].update(share=0.0), "ComputeFund.holdings[2].share",
         "greater than 0"),
        (lambda d: d["holdings"][2].update(share=1.2), "ComputeFund.holdings[2].share",
         "less than or equal to 1"),
        (lambda d: d["holdings"][2].update(kind="bond"), "ComputeFund.holdings[2]",
         "unknown kind"),
        (lambda d: d["holdings"][2]["loan"].update(principal=-1.0),
         "ComputeFund.holdings[2].loan.principal", "greater than 0"),
        (lambda d: d["holdings"][0]["certificate"]["entitlement"].update(share=2.0),
         "ComputeFund.holdings[0].certificate.entitlement.share", "less than or equal to 1"),
        (lambda d: d["holdings"].append(d["holdings"][0]), "ComputeFund.holdings[3]",
         "duplicates an earlier holding"),
    ],
)  # fmt: skip
def test_bad_input_names_the_field(
    change: Callable[[dict[str, Any]], None], field: str, reason: str
) -> None:
    err = rejected(change)
    assert err.fields == (field,)
    assert reason in str(err)


def test_an_unknown_tranche_of_an_inline_deal_names_the_holding() -> None:
    def inline(d: dict[str, Any]) -> None:
        h = d["holdings"][1]
        h.pop("deal_id")
        h["deal"], h["tranche"] = d["deals"][0], "Z"

    err = rejected(inline)
    assert err.fields == ("ComputeFund.holdings[1].tranche",)


def test_a_tranche_needs_one_deal_not_two() -> None:
    err = rejected(lambda d: d["holdings"][1].update(deal=d["deals"][0]))
    assert err.fields == ("ComputeFund.holdings[1].deal_id",)
    assert "not both" in str(err)


def test_the_constructor_names_fields_like_validation() -> None:
    with pytest.raises(ValidationError, match=r"^ComputeFund.units_outstanding: .*greater"):
        ComputeFund(id="f", currency="CNY", units_outstanding=-1.0)


def test_a_holding_currency_without_fx_names_the_field() -> None:
    fund = demo_fund().model_copy(update={"currency": "EUR"})
    with pytest.raises(ValidationError) as info:
        value_fund(fund, demo_market(), demo_portfolio())
    assert info.value.fields == (
        "ComputeFund[fund-compute-income-2026].holdings[0].certificate.currency",
    )
    assert "no FX rate to the fund currency EUR" in str(info.value)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda f: f.subscribe(-1.0, 1.0), "ComputeFund.amount"),
        (lambda f: f.subscribe(1.0, 0.0), "ComputeFund.nav_per_unit"),
        (lambda f: f.subscribe(math.inf, 1.0), "ComputeFund.amount"),
        (lambda f: f.redeem(0.0, 1.0), "ComputeFund.units"),
        (lambda f: f.redeem(50_000_000.0, 1.0), "ComputeFund.redeem.units"),
        (lambda f: f.redeem(10_000_000.0, 1.0), "ComputeFund.redeem.units"),  # > cash
    ],
)
def test_bad_dealing_names_the_argument(call: Callable[[ComputeFund], Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        call(demo_fund())
    assert info.value.fields == (field,)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"scenarios": 0}, "scenarios"),
        ({"horizon_years": 0.0}, "horizon_years"),
        ({"redemption_share": 1.0}, "redemption_share"),
        ({"haircuts": {"bond": 0.1}}, "haircuts.bond"),
        ({"haircuts": {"loan": 1.0}}, "haircuts.loan"),
    ],
)
def test_bad_valuation_options_name_the_option(options: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        value_fund(demo_fund(), demo_market(), demo_portfolio(), **options)
    assert info.value.fields == (field,)


# -- the risk scale -----------------------------------------------------------------------


VOL = RiskScale().volatility_bounds
LOSS = RiskScale().loss_bounds


def test_default_bounds_are_the_documented_ones() -> None:
    assert VOL == (0.005, 0.02, 0.05, 0.15)
    assert LOSS == (0.01, 0.05, 0.12, 0.35)
    assert list(RISK_LEVELS) == ["R1", "R2", "R3", "R4", "R5"]


@pytest.mark.parametrize("k", range(4))
def test_volatility_boundaries(k: int) -> None:
    """Below a bound: the level under it; at the bound: the level above (loss kept at 0)."""
    assert risk_level(VOL[k] * (1 - 1e-9), 0.0) == f"R{k + 1}"
    assert risk_level(VOL[k], 0.0) == f"R{k + 2}"


@pytest.mark.parametrize("k", range(4))
def test_loss_boundaries(k: int) -> None:
    assert risk_level(0.0, LOSS[k] * (1 - 1e-9)) == f"R{k + 1}"
    assert risk_level(0.0, LOSS[k]) == f"R{k + 2}"


@pytest.mark.parametrize(
    ("vol", "loss", "level"),
    [
        (0.0, 0.0, "R1"),
        (0.004, 0.2, "R4"),  # the loss decides
        (0.2, 0.004, "R5"),  # the volatility decides
        (0.03, 0.06, "R3"),  # both R3
        (0.019, 0.049, "R2"),
        (3.0, 1.0, "R5"),
    ],
)
def test_the_higher_of_the_two_levels(vol: float, loss: float, level: str) -> None:
    assert risk_level(vol, loss) == level


def test_a_bank_scale_moves_the_levels() -> None:
    scale = RiskScale(volatility_bounds=(0.01, 0.03, 0.08, 0.2), loss_bounds=(0.02, 0.08, 0.2, 0.5))
    assert risk_level(0.009, 0.019, scale) == "R1"
    assert risk_level(0.009, 0.019) == "R2"


@pytest.mark.parametrize(
    ("bounds", "field"),
    [
        ({"volatility_bounds": (0.01, 0.01, 0.05, 0.15)}, "RiskScale.volatility_bounds"),
        ({"volatility_bounds": (0.0, 0.02, 0.05, 0.15)}, "RiskScale.volatility_bounds"),
        ({"loss_bounds": (0.01, 0.05, 0.12, 1.5)}, "RiskScale.loss_bounds"),
        ({"loss_bounds": (0.01, 0.05, 0.12)}, "RiskScale.loss_bounds"),
    ],
)
def test_bad_scales_are_refused(bounds: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        RiskScale(**bounds)
    assert info.value.fields[0].startswith(field)


@pytest.mark.parametrize(("vol", "loss", "field"), [(math.nan, 0.0, "volatility"),
                                                     (0.0, -0.1, "loss_99")])  # fmt: skip
def test_risk_level_needs_finite_non_negative_figures(vol: float, loss: float, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        risk_level(vol, loss)
    assert info.value.fields == (field,)


def test_generations_of_the_catalog() -> None:
    assert accelerator_generation("nvidia-h800-sxm") == "Hopper"
    assert accelerator_generation("nvidia-a100-80gb-sxm") == "Ampere"
    assert accelerator_generation("amd-mi300x") == "CDNA 3"
    assert accelerator_generation("no-such-part") == "unknown"
