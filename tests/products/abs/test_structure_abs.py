"""AbsStructure: loading, round trips, and errors that name the step's position and action."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from abs_waterfall_pools import two_class_deal

from computefin.errors import ValidationError
from computefin.products.abs.structure import DEMO_DEAL_PATH, AbsStructure, FloatingCoupon


@pytest.fixture
def demo() -> dict[str, Any]:
    return AbsStructure.from_yaml(DEMO_DEAL_PATH).model_dump(mode="json")


def reject(data: dict[str, Any]) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        AbsStructure.model_validate(data)
    return info.value


def test_demo_deal_loads() -> None:
    deal = AbsStructure.from_yaml(DEMO_DEAL_PATH)
    assert deal.tranche_names == ("A", "B", "E")
    assert isinstance(deal.tranche("A").coupon, FloatingCoupon)
    assert deal.note_balance == 920_000_000.0
    assert [t.kind for t in deal.triggers] == ["oc", "cnl", "cnl"]
    assert deal.clean_up_call is not None
    assert deal.clean_up_call.pool_share == 0.1
    assert len(deal.waterfall.post_default) == 7


def test_yaml_and_json_round_trip(tmp_path: Path) -> None:
    deal = AbsStructure.from_yaml(DEMO_DEAL_PATH)
    assert AbsStructure.from_yaml(deal.to_yaml()) == deal
    assert AbsStructure.from_json(deal.to_json()) == deal
    (tmp_path / "deal.json").write_text(deal.to_json(), encoding="utf-8")
    (tmp_path / "deal.yaml").write_text(deal.to_yaml(), encoding="utf-8")
    assert AbsStructure.from_json(tmp_path / "deal.json") == deal
    assert AbsStructure.from_yaml(str(tmp_path / "deal.yaml")) == deal
    assert AbsStructure.model_validate(json.loads(deal.to_json())) == deal


def test_unknown_account_names_the_step(demo: dict[str, Any]) -> None:
    demo["waterfall"]["interest"][3]["account"] = "resrve"
    err = reject(demo)
    assert err.fields == ("AbsStructure.waterfall.interest[3].account",)
    assert "unknown account 'resrve' in step 3 (top_up_reserve)" in str(err)


def test_mistyped_action_names_the_step(demo: dict[str, Any]) -> None:
    demo["waterfall"]["principal"][2]["action"] = "pay_intrest"
    err = reject(demo)
    assert err.fields == ("AbsStructure.waterfall.principal[2].action",)
    assert "unknown action in step 2" in str(err)
    assert "'pay_intrest'" in str(err)


def test_mistyped_field_in_a_step_names_the_step(demo: dict[str, Any]) -> None:
    demo["waterfall"]["interest"][2]["tranche"] = demo["waterfall"]["interest"][2].pop("tranches")
    err = reject(demo)
    assert "AbsStructure.waterfall.interest[2].tranche" in err.fields
    assert "in step 2 (pay_interest)" in str(err)


@pytest.mark.parametrize(
    ("path", "value", "field", "reason"),
    [
        (
            ("waterfall", "interest", 0, "fee"),
            "trusty",
            "waterfall.interest[0].fee",
            "unknown fee 'trusty' in step 0 (pay_fee)",
        ),
        (
            ("waterfall", "interest", 2, "draw_from", 0),
            "nope",
            "waterfall.interest[2].draw_from[0]",
            "unknown account 'nope' in step 2 (pay_interest)",
        ),
        (
            ("waterfall", "principal", 3, "tranches", 1),
            "C",
            "waterfall.principal[3].tranches[1]",
            "unknown tranche 'C' in step 3 (pay_principal)",
        ),
        (
            ("waterfall", "principal", 3, "tranches", 1),
            "E",
            "waterfall.principal[3].tranches[1]",
            "'E' is the equity piece",
        ),
        (
            ("waterfall", "post_default", 6, "tranche"),
            "A",
            "waterfall.post_default[6].tranche",
            "pay_residual goes to the equity piece",
        ),
        (
            ("waterfall", "interest", 3, "account"),
            "trap",
            "waterfall.interest[3].account",
            "a cash_trap account has no target",
        ),
        (
            ("triggers", 1, "account"),
            "reserve",
            "triggers[1].account",
            "unknown cash_trap account 'reserve'",
        ),
        (("triggers", 0, "tranche"), "E", "triggers[0].tranche", "unknown note 'E'"),
        (("tranches", 1, "name"), "A", "tranches[1].name", "duplicate name"),
    ],
)
def test_reference_errors(
    demo: dict[str, Any], path: tuple[Any, ...], value: Any, field: str, reason: str
) -> None:
    target: Any = demo
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    err = reject(demo)
    assert f"AbsStructure.{field}" in err.fields
    assert reason in str(err)


def test_principal_waterfall_must_end_with_residual(demo: dict[str, Any]) -> None:
    demo["waterfall"]["principal"].pop()
    err = reject(demo)
    assert err.fields == ("AbsStructure.waterfall.principal[4]",)
    assert "the last step must be pay_residual" in str(err)


def test_event_of_default_needs_a_post_default_waterfall(demo: dict[str, Any]) -> None:
    demo["waterfall"]["post_default"] = []
    err = reject(demo)
    assert "AbsStructure.waterfall.post_default" in err.fields
    assert "'cnl-eod'" in str(err)


@pytest.mark.parametrize(
    ("mutate", "field", "reason"),
    [
        (
            lambda d: d["tranches"][1]["coupon"].update(rate=4.2),
            "tranches[1].coupon.rate",
            "looks like a percentage",
        ),
        (
            lambda d: d["tranches"][0]["coupon"].update(margin=90),
            "tranches[0].coupon.margin",
            "basis points",
        ),
        (
            lambda d: d["tranches"][1]["coupon"].update(type="fix"),
            "tranches[1].coupon",
            "unknown type; known: fixed, floating",
        ),
        (lambda d: d["tranches"][1].pop("coupon"), "tranches[1].coupon", "a note needs"),
        (
            lambda d: d["tranches"][2].update(coupon={"type": "fixed", "rate": 0.1}),
            "tranches[2].coupon",
            "equity piece has no coupon",
        ),
        (
            lambda d: d["triggers"][1].update(threshold=4.0),
            "triggers[1].threshold",
            "share of the original pool",
        ),
        (
            lambda d: d["triggers"][1].pop("account"),
            "triggers[1].account",
            "exactly when effect is trap_cash",
        ),
        (
            lambda d: d["triggers"][2].update(cure_periods=2),
            "triggers[2].cure_periods",
            "does not cure",
        ),
        (lambda d: d["fees"][1].update(rate=0.5), "fees[1].rate", "above 0.2"),
        (lambda d: d.update(oc_target=8), "oc_target", "less than or equal to 1"),
    ],
)
def test_field_errors(demo: dict[str, Any], mutate: Any, field: str, reason: str) -> None:
    mutate(demo)
    err = reject(demo)
    assert f"AbsStructure.{field}" in err.fields, err.fields
    assert reason in str(err)


def test_errors_are_all_reported_at_once() -> None:
    data = two_class_deal()
    data["waterfall"]["interest"][0]["fee"] = "x"
    data["waterfall"]["principal"][0]["tranches"] = ["A", "Z"]
    err = reject(copy.deepcopy(data))
    assert err.fields == (
        "AbsStructure.waterfall.interest[0].fee",
        "AbsStructure.waterfall.principal[0].tranches[1]",
    )


def test_frozen_and_unknown_top_level_fields() -> None:
    data = two_class_deal(colour="green")
    err = reject(data)
    assert err.fields == ("AbsStructure.colour",)
    deal = AbsStructure.model_validate(two_class_deal())
    with pytest.raises(Exception, match="frozen"):
        deal.name = "x"  # type: ignore[misc]


def test_bad_yaml_text() -> None:
    with pytest.raises(ValidationError, match="not valid YAML"):
        AbsStructure.from_yaml("name: [unclosed\n  x")
    with pytest.raises(ValidationError, match="must be a mapping"):
        AbsStructure.from_yaml("- a\n- b\n")
