"""Hand-designed applications: every rule's number recomputed here, independently.

Four applications on the shipped demo snapshot (2026-11-27) and the default policy:
a clean approve, a decline on stressed LTV, a refer on lessee concentration and a decline
on tenor beyond the GPUs' economic life. The references below rebuild the collateral
projection from the risk layer, the loan schedule from ``CollateralLoan.cashflows`` and
every ratio from its definition in docs/approval.md (NOI interpolated to pay dates by
hand, slotting weights from the CRE33 table typed in here).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pytest

from computefin.domain import catalog, demo_market
from computefin.engine.approval import (
    CreditApplication,
    Decision,
    RuleStatus,
    decide,
    default_policy,
)
from computefin.engine.approval.examples import example_application_data
from computefin.products.loan import CollateralLoan
from computefin.risk import ResidualValueModel, stress_library
from computefin.risk.projection import (
    FleetProjection,
    ProjectionInputs,
    apply_stress,
    project,
    simulate_scenarios,
)

MARKET = demo_market()
POLICY = default_policy()
REL = 1e-9


def clean() -> dict[str, Any]:
    return example_application_data()


def ltv_decline() -> dict[str, Any]:
    data = example_application_data()
    data["requested_amount"] = 16e6
    for c in data["contracts"]:  # rich contracts: high NOI (DSCR) but the same GPU value
        c["price_per_gpu_hour"] = 5.5
        c["take_or_pay_share"] = 1.0
    return data


def concentration_refer() -> dict[str, Any]:
    data = example_application_data()
    data["requested_amount"] = 6e6
    first, second = data["contracts"][:2]
    data["contracts"] = [dict(first, gpus_committed=330), dict(second, gpus_committed=120)]
    return data


def tenor_decline() -> dict[str, Any]:
    data = example_application_data()
    data["tenor_months"] = 24
    data["requested_amount"] = 5e6
    group = data["fleets"][0]["server_groups"][0]
    group.update(accelerator_id="nvidia-h100-sxm", acquired="2024-03-01")
    for c in data["contracts"]:
        c["end"] = min(c["end"], "2028-12-01")
    return data


# --- independent references ----------------------------------------------------------------


def months_to(day: dt.date) -> int:
    return (day.year - MARKET.as_of.year) * 12 + day.month - MARKET.as_of.month + 1


def horizon(app: CreditApplication, last_pay: dt.date) -> int:
    """docs/approval.md: through the last payment, every GPU's end of life, every contract
    end and the default horizon, plus one month."""
    life = dt.timedelta(days=round(5.0 * 365))
    ends = [last_pay, MARKET.as_of + dt.timedelta(days=365)]
    ends += [g.acquired + life for f in app.fleets for g in f.server_groups]
    ends += [c.end for c in app.contracts]
    return max(months_to(d) for d in ends) + 1


def projection(app: CreditApplication, months: int, stress: str | None) -> FleetProjection:
    (fleet,) = app.fleets
    inputs = ProjectionInputs.build(
        fleet,
        app.contracts,
        MARKET,
        months,
        counterparties=app.counterparties,
        residual=ResidualValueModel(economic_life_years=5.0),
    )
    if stress is not None:
        return project(apply_stress(stress_library([stress])[0], inputs))
    return project(inputs, simulate_scenarios(inputs, 1000, POLICY.seed))


def worst_dscr(proj: FleetProjection, pay: np.ndarray, service: np.ndarray) -> float:
    """NOI accrues evenly inside each month: cumulative NOI interpolated to each pay date;
    a period's cash is the difference; DSCR = cash / (interest + principal); the lowest
    period of each path, median over paths."""
    noi = proj.line("noi")
    ends = proj.grid.end_dates
    knots = np.concatenate([[0.0], (ends - np.datetime64(MARKET.as_of)).astype(float)])
    at = (pay - np.datetime64(MARKET.as_of)).astype(float)
    cumulative = np.concatenate([np.zeros((noi.shape[0], 1)), noi.cumsum(axis=1)], axis=1)
    cum_at = np.stack([np.interp(at, knots, row) for row in cumulative])
    cash = np.diff(cum_at, axis=1, prepend=0.0)
    return float(np.median((cash / service).min(axis=1)))


def take_or_pay(app: CreditApplication, start: dt.date, end: dt.date) -> dict[str, float]:
    out: dict[str, float] = {}
    for c in app.contracts:
        days = max((min(c.end, end) - max(c.start, start)).days, 0)
        value = c.gpus_committed * 8760.0 * c.price_per_gpu_hour * c.take_or_pay_share
        out[c.counterparty_id] = out.get(c.counterparty_id, 0.0) + value * days / 365.0
    return out


SLOTTING_RW = {"strong": 0.70, "good": 0.90, "satisfactory": 1.15, "weak": 2.50}
SLOTTING_RW_SHORT = {"strong": 0.50, "good": 0.70, "satisfactory": 1.15, "weak": 2.50}


def category(ltv: float, dscr: float) -> str:
    for name, (max_ltv, min_dscr) in {
        "strong": (0.5, 1.75), "good": (0.65, 1.4), "satisfactory": (0.8, 1.15)
    }.items():  # fmt: skip
        if ltv <= max_ltv and dscr >= min_dscr:
            return name
    return "weak"


def reference(data: dict[str, Any]) -> dict[str, float]:
    """Every rule's measured value (and the figures behind it), from scratch."""
    app = CreditApplication.model_validate(data)
    amount = app.requested_amount
    loan = CollateralLoan(
        id=app.id, borrower_counterparty_id=app.borrower_counterparty_id, principal=amount,
        currency=app.currency, start=app.start, maturity=app.maturity,
        frequency=app.frequency, amortization=app.amortization, index=app.index,
        margin=app.requested_margin,
    )  # fmt: skip
    cf = loan.cashflows(MARKET)
    pay = cf.pay_date.to_numpy().astype("datetime64[D]")
    service = (cf.interest + cf.principal).to_numpy()
    last_pay = dt.date.fromisoformat(str(pay[-1]))
    months = horizon(app, last_pay)
    base = projection(app, months, None)
    value = base.line("economic_value")
    default_day = np.datetime64(MARKET.as_of + dt.timedelta(days=365))
    at = int(np.searchsorted(base.grid.end_dates, default_day, side="right")) - 1
    electricity = projection(app, months, "electricity-plus-30pct")
    stressed_value = min(
        float(np.quantile(value[:, 0], 0.05)), float(electricity.line("economic_value")[0, 0])
    )
    base_dscr = worst_dscr(base, pay, service)
    stressed_dscr = min(
        worst_dscr(projection(app, months, s), pay, service)
        for s in ("largest-lessee-defaults-m6", "electricity-plus-30pct")
    )
    in_tenor = take_or_pay(app, app.start, app.maturity)
    contracted = sum(in_tenor.values())
    after_default = sum(take_or_pay(app, MARKET.as_of + dt.timedelta(days=365),
                                    dt.date(2100, 1, 1)).values())  # fmt: skip
    value_at_default = float(np.quantile(value[:, at], 0.05))
    recovered = value_at_default * 0.65 * 0.95 + 0.5 * after_default
    lgd = min(max(1.0 - min(amount, recovered) / amount, 0.0), 1.0)
    pd_1y = MARKET.pd("BB")  # the borrower's rating, global scale
    ltv_now = amount / float(value[:, 0].mean())
    maturity = (last_pay - MARKET.as_of).days / 365.0
    table = SLOTTING_RW if maturity >= 2.5 else SLOTTING_RW_SHORT
    rw = table[category(ltv_now, base_dscr)]
    capital = 0.105 * rw
    life_left = min(
        (g.acquired + dt.timedelta(days=5 * 365) - app.start).days / 365.0
        for f in app.fleets for g in f.server_groups
    )  # fmt: skip
    cat = catalog()
    (accelerator,) = {g.accelerator_id for f in app.fleets for g in f.server_groups}
    fs = app.financial_statements
    assert fs is not None
    return {
        "max_stressed_ltv": amount / stressed_value,
        "stressed_value": stressed_value,
        "min_base_dscr": base_dscr,
        "min_stressed_dscr": stressed_dscr,
        "min_contracted_coverage": contracted / float(service.sum()),
        "min_raroc": (app.requested_margin - 0.006 - 0.004 - pd_1y * lgd) / capital,
        "risk_based_margin": pd_1y * lgd + 0.12 * capital + 0.006 + 0.004,
        "lgd": lgd,
        "risk_weight": rw,
        "max_net_leverage": (fs.total_debt - fs.cash + amount) / fs.ebitda,
        "max_single_lessee_share": max(in_tenor.values()) / contracted,
        "max_tenor_share_of_life": (app.maturity - app.start).days / 365.0 / life_left,
        "max_successors_launched": float(
            sum(cat[s].launch_date <= app.start for s in cat.successor_chain(accelerator))
        ),
        "max_years_since_launch": (app.start - cat[accelerator].launch_date).days / 365.0,
        "excluded_accelerators": 0.0,
    }


# --- the four cases ------------------------------------------------------------------------

CASES = {
    "clean": (clean, "approve", set()),
    "ltv": (ltv_decline, "decline", {"max_stressed_ltv", "min_stressed_dscr"}),
    "concentration": (concentration_refer, "refer", {"max_single_lessee_share"}),
    "tenor": (tenor_decline, "decline", {"max_tenor_share_of_life"}),
}


@pytest.fixture(scope="module")
def decisions() -> dict[str, Decision]:
    return {
        name: decide(CreditApplication.model_validate(build()), MARKET, POLICY)
        for name, (build, _, _) in CASES.items()
    }


@pytest.mark.parametrize("name", list(CASES))
def test_outcome_and_failed_rules(name: str, decisions: dict[str, Decision]) -> None:
    _, outcome, failing = CASES[name]
    decision = decisions[name]
    assert decision.outcome.value == outcome
    assert {r.rule for r in decision.rules if r.status is RuleStatus.FAIL} == failing
    assert len(decision.reasons) == len(failing)
    declines = {r.rule for r in decision.rules if r.status is RuleStatus.FAIL
                and r.on_breach == "decline"}  # fmt: skip
    expected_declines = {"ltv": {"max_stressed_ltv"}, "tenor": {"max_tenor_share_of_life"}}
    assert declines == expected_declines.get(name, set())


@pytest.mark.parametrize("name", list(CASES))
def test_every_rule_number_matches_the_reference(name: str, decisions: dict[str, Decision]) -> None:
    build, _, _ = CASES[name]
    ref = reference(build())
    decision = decisions[name]
    for rule in decision.rules:
        assert rule.measured is not None, rule.rule
        assert rule.measured == pytest.approx(ref[rule.rule], rel=REL), rule.rule
        limit = getattr(POLICY.rules, rule.rule, None)
        if limit is not None:
            assert rule.limit == limit.limit
            ok = rule.measured <= rule.limit if rule.comparison == "<=" else (
                rule.measured >= rule.limit)  # fmt: skip
            assert (rule.status is RuleStatus.PASS) == ok, rule.rule
        assert rule.explanation.startswith(rule.title)
    assert decision.collateral.stressed_value == pytest.approx(ref["stressed_value"], rel=REL)
    assert decision.credit.lgd == pytest.approx(ref["lgd"], abs=1e-12)
    assert decision.credit.risk_weight == ref["risk_weight"]
    assert decision.risk_based_margin == pytest.approx(ref["risk_based_margin"], rel=REL)
    margin = decision.margin
    parts = margin.expected_loss + margin.capital_charge + margin.funding + margin.operating
    assert parts == pytest.approx(decision.risk_based_margin, rel=1e-12)


@pytest.mark.parametrize("name", ["clean", "ltv"])
def test_max_amount_is_the_edge_of_the_amount_rules(
    name: str, decisions: dict[str, Decision]
) -> None:
    build, _, _ = CASES[name]
    decision = decisions[name]
    ref = reference(build())
    amount = decision.requested_amount
    by_rule = {r.rule: r.max_amount for r in decision.rules if r.amount_dependent}
    # Closed forms: LTV grows and DSCR / coverage fall in proportion to the amount.
    assert by_rule["max_stressed_ltv"] == math.floor(0.8 * ref["stressed_value"])
    assert by_rule["min_base_dscr"] == pytest.approx(ref["min_base_dscr"] * amount / 1.35, abs=1.0)
    assert by_rule["min_stressed_dscr"] == pytest.approx(ref["min_stressed_dscr"] * amount, abs=1.0)
    assert decision.max_amount == min(v for v in by_rule.values() if v is not None)
    # At the maximum every rule passes; a little above, one fails.
    at_max = build() | {"requested_amount": decision.max_amount}
    passed = decide(CreditApplication.model_validate(at_max), MARKET, POLICY)
    assert passed.outcome.value == "approve"
    above = build() | {"requested_amount": decision.max_amount * 1.001}
    failed = decide(CreditApplication.model_validate(above), MARKET, POLICY)
    assert failed.outcome.value != "approve"


def test_a_failing_fixed_rule_leaves_no_amount(decisions: dict[str, Decision]) -> None:
    for name in ("concentration", "tenor"):
        decision = decisions[name]
        assert decision.max_amount == 0.0
        assert decision.max_amount_by_amount_rules > decision.requested_amount


def test_covenants_follow_the_policy(decisions: dict[str, Decision]) -> None:
    clean_decision = decisions["clean"]
    names = [c.name for c in clean_decision.covenants]
    assert names[:3] == ["max_ltv", "min_dscr", "reporting"]
    assert "contract_assignment" in names
    assert clean_decision.loan_covenants.max_ltv == POLICY.covenants.max_ltv
    assert clean_decision.loan_covenants.min_dscr == POLICY.covenants.min_dscr
    # The hyperscaler holds 56% of the contracted revenue: above the 40% reporting share.
    lessees = [c for c in clean_decision.covenants if c.name == "lessee_concentration"]
    assert len(lessees) == 1
    assert "hyperscale-a" in lessees[0].text


def test_decision_records_policy_and_inputs(decisions: dict[str, Decision]) -> None:
    d = decisions["clean"]
    assert (d.policy_name, d.policy_version) == ("computefin-default", "2026.11-1")
    assert d.policy_hash == POLICY.digest
    assert d.market_as_of == MARKET.as_of
    assert len({x.input_hash for x in decisions.values()}) == len(decisions)


def test_same_input_same_decision_and_hash(decisions: dict[str, Decision]) -> None:
    again = decide(CreditApplication.model_validate(clean()), MARKET, POLICY)
    assert again.model_dump(mode="json") == decisions["clean"].model_dump(mode="json")
    changed = clean() | {"requested_margin": 0.036}
    other = decide(CreditApplication.model_validate(changed), MARKET, POLICY)
    assert other.input_hash != decisions["clean"].input_hash


def test_fixed_rate_loan_pays_par_plus_margin() -> None:
    data = clean() | {"rate_type": "fixed"}
    data.pop("index")
    decision = decide(CreditApplication.model_validate(data), MARKET, POLICY)
    assert decision.fixed_rate is not None
    # The par rate sits near the SOFR curve's 3-year level (about 3-4%).
    assert 0.025 < decision.fixed_rate - 0.035 < 0.045
