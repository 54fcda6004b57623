"""``decide``: a credit application, a market snapshot and a policy in; a decision out.

Every rule of the policy is measured at the requested amount and reported with its
value, limit and a sentence a credit officer can read; the maximum amount is the largest
amount passing every amount-dependent rule (``scipy.optimize.brentq`` on the smallest
normalised headroom); the risk-based margin prices expected loss, the cost of capital on
the slotting RWA, funding and operating cost. Formulas: ``docs/approval.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

from scipy.optimize import brentq

from computefin._version import __version__
from computefin.domain import MarketSnapshot
from computefin.engine.approval._analysis import (
    AmountFigures,
    Analysis,
    MarketContext,
    analyse,
    canonical_digest,
)
from computefin.engine.approval.models import (
    CollateralFigures,
    Covenant,
    CreditApplication,
    CreditFigures,
    Decision,
    MarginBreakdown,
    Outcome,
    RateType,
    RuleOutcome,
    RuleStatus,
)
from computefin.engine.approval.policy import CreditPolicy, Limit, default_policy
from computefin.products.loan import LoanCovenants

__all__ = ["decide", "input_hash"]

_MAX_AMOUNT: Final = 1e13
"""Upper end of the amount search (the largest amount an application may ask for)."""

_Unit = Literal["share", "multiple", "years", "count", "rate"]


@dataclass(frozen=True)
class _AmountRule:
    rule: str
    title: str
    comparison: Literal["<=", ">="]
    unit: _Unit
    measure: Callable[[AmountFigures], float | None]
    applicable: bool = True


def _fmt(value: float | None, unit: _Unit) -> str:
    if value is None:
        return "n/a"
    if unit in ("share", "rate"):
        return f"{value:.1%}"
    if unit == "multiple":
        return f"{value:.2f}x"
    if unit == "years":
        return f"{value:.2f} years"
    return f"{value:g}"


def _passes(measured: float | None, limit: float, comparison: str) -> bool:
    if measured is None or not math.isfinite(measured):
        return False
    return measured <= limit if comparison == "<=" else measured >= limit


def _headroom(measured: float | None, limit: float, comparison: str) -> float:
    """Signed relative headroom: >= 0 passes; -1 when the figure is undefined."""
    if measured is None or not math.isfinite(measured):
        return -1.0
    scale = max(abs(limit), 1e-9)
    return (limit - measured) / scale if comparison == "<=" else (measured - limit) / scale


def _amount_rules(an: Analysis) -> list[tuple[_AmountRule, Limit]]:
    r = an.policy.rules
    statements = an.application.financial_statements is not None
    return [
        (_AmountRule("max_stressed_ltv", "Stressed loan-to-value", "<=", "share",
                     lambda f: f.stressed_ltv), r.max_stressed_ltv),
        (_AmountRule("min_base_dscr", "Base-case DSCR", ">=", "multiple",
                     lambda f: f.base_dscr), r.min_base_dscr),
        (_AmountRule("min_stressed_dscr", "Stressed DSCR", ">=", "multiple",
                     lambda f: f.stressed_dscr), r.min_stressed_dscr),
        (_AmountRule("min_contracted_coverage", "Contracted-revenue coverage of debt service",
                     ">=", "multiple", lambda f: f.contracted_coverage),
         r.min_contracted_coverage),
        (_AmountRule("min_raroc", "Risk-adjusted return on capital", ">=", "rate",
                     lambda f: f.raroc), r.min_raroc),
        (_AmountRule("max_net_leverage", "Borrower net leverage (net debt / EBITDA)", "<=",
                     "multiple", lambda f: f.net_leverage, applicable=statements),
         r.max_net_leverage),
    ]  # fmt: skip


def _max_amount(check: Callable[[float], float], hint: float, cap: float) -> float:
    """Largest whole amount (currency units, at most ``cap``) with ``check(amount) >= 0``;
    0 if none. ``check`` must be non-increasing in the amount (every amount rule is): the
    edge is bracketed by growing ``hint`` and found by ``scipy.optimize.brentq``.
    """
    low = 1.0
    if cap < low or check(low) < 0.0:
        return 0.0
    high = min(max(hint, 2.0), cap)
    while check(high) >= 0.0:
        if high >= cap:
            return float(math.floor(cap))
        low, high = high, min(high * 4.0, cap)
    root = float(brentq(check, low, high, xtol=0.5, rtol=1e-12, maxiter=500))
    best = float(math.floor(root))
    while best > low and check(best) < 0.0:  # brentq may land just past the edge
        best -= 1.0
    return max(best, float(math.floor(low)))


def _closed_form_max(an: Analysis, rule: str, limit: float) -> float | None:
    """The largest amount a rule linear in the amount allows (None: not closed-form)."""
    ref = an.reference_amount
    if rule == "max_stressed_ltv":
        return limit * an.stressed_value
    if rule == "min_base_dscr":
        dscr = an.base_dscr_ref
        return 0.0 if dscr is None else (_MAX_AMOUNT if limit <= 0.0 else dscr * ref / limit)
    if rule == "min_stressed_dscr":
        dscr = an.stressed_dscr_ref
        return 0.0 if dscr is None else (_MAX_AMOUNT if limit <= 0.0 else dscr * ref / limit)
    if rule == "min_contracted_coverage":
        if limit <= 0.0:
            return _MAX_AMOUNT
        return an.contracted_revenue * ref / (an.debt_service_ref * limit)
    if rule == "max_net_leverage":
        fs = an.application.financial_statements
        if fs is None or fs.ebitda <= 0.0:
            return 0.0
        return limit * fs.ebitda - fs.net_debt
    return None


def _rule_max(an: Analysis, spec: _AmountRule, limit: Limit, cap: float) -> float:
    """Largest whole amount (currency units, at most ``cap``) passing one amount rule."""

    def check(a: float) -> float:
        return _headroom(spec.measure(an.at(a)), limit.limit, spec.comparison)

    closed = _closed_form_max(an, spec.rule, limit.limit)
    if closed is None:
        return _max_amount(check, min(an.reference_amount, cap), cap)
    best = float(math.floor(min(max(closed, 0.0), cap)))
    while best >= 1.0 and check(best) < 0.0:  # rounding at the edge
        best -= 1.0
    return max(best, 0.0)


def _amount_outcomes(an: Analysis, figures: AmountFigures) -> tuple[list[RuleOutcome], float]:
    """Every amount rule at the requested amount, and the largest amount passing all."""
    ccy = an.application.currency.value
    out: list[RuleOutcome] = []
    maxima: dict[str, float] = {}
    specs = _amount_rules(an)
    for spec, limit in specs:
        if spec.applicable:
            maxima[spec.rule] = _rule_max(an, spec, limit, _MAX_AMOUNT)
    for spec, limit in specs:
        if not spec.applicable:
            out.append(
                RuleOutcome(
                    rule=spec.rule, title=spec.title, status=RuleStatus.NOT_APPLICABLE,
                    on_breach=limit.on_breach.value, measured=None, limit=limit.limit,
                    comparison=spec.comparison, unit=spec.unit, amount_dependent=True,
                    explanation=f"{spec.title}: not applicable (no financial statements given).",
                )
            )  # fmt: skip
            continue
        measured = spec.measure(figures)
        ok = _passes(measured, limit.limit, spec.comparison)
        allowed = maxima[spec.rule]
        word = "at most" if spec.comparison == "<=" else "at least"
        detail = _detail(an, spec.rule, figures)
        verdict = "passes" if ok else "fails"
        out.append(
            RuleOutcome(
                rule=spec.rule, title=spec.title,
                status=RuleStatus.PASS if ok else RuleStatus.FAIL,
                on_breach=limit.on_breach.value, measured=measured, limit=limit.limit,
                comparison=spec.comparison, unit=spec.unit, amount_dependent=True,
                max_amount=allowed,
                explanation=f"{spec.title} {_fmt(measured, spec.unit)} {verdict}: the policy "
                f"requires {word} {_fmt(limit.limit, spec.unit)}{detail}. This rule allows up "
                f"to {ccy} {allowed:,.0f}.",
            )
        )  # fmt: skip
    active = [(s, lim) for s, lim in specs if s.applicable]

    def overall(a: float) -> float:
        at = an.at(a)
        return min(_headroom(s.measure(at), lim.limit, s.comparison) for s, lim in active)

    # Every amount rule is non-increasing in the amount, so the common maximum is the
    # smallest of the single-rule maxima; brentq confirms it on the combined headroom.
    smallest = min(maxima.values(), default=_MAX_AMOUNT)
    combined = _max_amount(overall, smallest, min(_MAX_AMOUNT, smallest + 1.0))
    return out, combined


def _detail(an: Analysis, rule: str, f: AmountFigures) -> str:
    ccy = an.application.currency.value
    if rule == "max_stressed_ltv":
        return (f" (amount {ccy} {f.amount:,.0f} / stressed collateral value {ccy} "
                f"{an.stressed_value:,.0f}, the lowest of the {an.stressed_by})")  # fmt: skip
    if rule == "min_base_dscr":
        return (
            f" (fleet net operating income / interest and principal, lowest period of "
            f"each of {an.policy.scenarios} simulated paths, median over paths)"
        )
    if rule == "min_stressed_dscr":
        return f" (lowest period, expected case under stress {an.stressed_dscr_by})"
    if rule == "min_contracted_coverage":
        return (
            f" (take-or-pay revenue of the assigned contracts within the tenor {ccy} "
            f"{an.contracted_revenue:,.0f} / total debt service {ccy} "
            f"{an.debt_service_ref * f.amount / an.reference_amount:,.0f})"
        )
    if rule == "min_raroc":
        return (
            f" ((margin {an.application.requested_margin:.2%} - funding and operating "
            f"cost - expected loss {f.expected_loss_rate:.2%}) / capital "
            f"{f.capital_per_unit:.2%} of the amount; slotting {f.slotting_category}, "
            f"risk weight {f.risk_weight:.0%})"
        )
    if rule == "max_net_leverage":
        return " ((total debt - cash + amount) / EBITDA of the last statements)"
    return ""


def _fixed_outcomes(an: Analysis) -> list[RuleOutcome]:
    r, app = an.policy.rules, an.application
    out: list[RuleOutcome] = []

    def add(rule: str, title: str, limit: Limit, measured: float | None,
            comparison: Literal["<=", ">="], unit: _Unit, words: str) -> None:  # fmt: skip
        ok = _passes(measured, limit.limit, comparison)
        word = "at most" if comparison == "<=" else "at least"
        out.append(
            RuleOutcome(
                rule=rule, title=title, status=RuleStatus.PASS if ok else RuleStatus.FAIL,
                on_breach=limit.on_breach.value, measured=measured, limit=limit.limit,
                comparison=comparison, unit=unit, amount_dependent=False,
                explanation=f"{title} {_fmt(measured, unit)} {'passes' if ok else 'fails'}: "
                f"the policy requires {word} {_fmt(limit.limit, unit)} ({words}).",
            )
        )  # fmt: skip

    total = an.contracted_revenue
    if total > 0.0:
        lessee = max(an.lessee_revenue, key=lambda k: an.lessee_revenue[k])
        share: float | None = an.lessee_revenue[lessee] / total
        words = f"largest lessee {lessee}'s share of the take-or-pay revenue within the tenor"
        add("max_single_lessee_share", "Single-lessee concentration",
            r.max_single_lessee_share, share, "<=", "share", words)  # fmt: skip
    else:
        out.append(
            RuleOutcome(
                rule="max_single_lessee_share", title="Single-lessee concentration",
                status=RuleStatus.NOT_APPLICABLE,
                on_breach=r.max_single_lessee_share.on_breach.value, measured=None,
                limit=r.max_single_lessee_share.limit, comparison="<=", unit="share",
                amount_dependent=False,
                explanation="Single-lessee concentration: not applicable (no take-or-pay "
                "revenue within the tenor is assigned).",
            )
        )  # fmt: skip
    life = an.remaining_life_years
    tenor_share = an.tenor_years / life if life > 0.0 else None
    add("max_tenor_share_of_life", "Tenor against remaining economic life",
        r.max_tenor_share_of_life, tenor_share, "<=", "share",
        f"tenor {an.tenor_years:.2f} years / {max(life, 0.0):.2f} years of economic life left "
        f"at the start for {an.shortest_life_group}, with a "
        f"{an.policy.economic_life_years:g}-year economic life")  # fmt: skip
    worst = max(an.successors_launched, key=lambda k: an.successors_launched[k])
    add("max_successors_launched", "Accelerator generation", r.max_successors_launched,
        float(an.successors_launched[worst]), "<=", "count",
        f"successor generations of {worst} launched by the start date")  # fmt: skip
    oldest = max(an.years_since_launch, key=lambda k: an.years_since_launch[k])
    add("max_years_since_launch", "Accelerator age", r.max_years_since_launch,
        an.years_since_launch[oldest], "<=", "years",
        f"years from the launch of {oldest} to the start date")  # fmt: skip
    pledged = {g.accelerator_id for f in app.fleets for g in f.server_groups}
    excluded = sorted(pledged & set(an.policy.excluded_accelerators))
    add("excluded_accelerators", "Excluded accelerators",
        Limit(limit=0.0, on_breach=an.policy.excluded_on_breach), float(len(excluded)),
        "<=", "count", "pledged accelerators on the policy's excluded list"
        + (f": {', '.join(excluded)}" if excluded else ""))  # fmt: skip
    return out


def _covenants(an: Analysis) -> tuple[tuple[Covenant, ...], LoanCovenants]:
    terms, app = an.policy.covenants, an.application
    items = [
        Covenant(name="max_ltv", threshold=terms.max_ltv,
                 text=f"Loan-to-value (outstanding / expected economic value of the pledged "
                 f"fleets) at most {terms.max_ltv:.0%}, tested on each payment date."),
        Covenant(name="min_dscr", threshold=terms.min_dscr,
                 text=f"DSCR (fleet net operating income / interest and principal) at least "
                 f"{terms.min_dscr:.2f}x on each payment date; on a breach of either covenant "
                 f"{terms.cash_sweep_share:.0%} of the cash left after debt service is swept "
                 f"to prepayment."),
        Covenant(name="reporting",
                 text="Monthly occupancy, utilization and availability reports of the pledged "
                 "fleets (by compute identifier where registered), and annual financial "
                 "statements within 120 days of the year end."),
    ]  # fmt: skip
    if app.contracts:
        ids = ", ".join(c.id for c in app.contracts)
        items.append(
            Covenant(
                name="contract_assignment",
                text=f"Assignment to the lender of the contracts {ids}, with payments "
                "into an account pledged to the lender.",
            )
        )
    total = an.contracted_revenue
    for lessee, revenue in sorted(an.lessee_revenue.items()):
        share = revenue / total if total > 0.0 else 0.0
        if share > terms.concentration_reporting_share:
            items.append(
                Covenant(
                    name="lessee_concentration",
                    threshold=share,
                    text=f"Notice within 5 business days of any amendment, termination "
                    f"or payment default under the contracts with {lessee} ({share:.0%} "
                    f"of the contracted revenue in the tenor).",
                )
            )
    loan_covenants = LoanCovenants(
        max_ltv=terms.max_ltv, min_dscr=terms.min_dscr, cash_sweep_share=terms.cash_sweep_share
    )
    return tuple(items), loan_covenants


def input_hash(application: CreditApplication, market_digest: str, policy: CreditPolicy) -> str:
    """SHA-256 (hex) of the application, the market snapshot's digest and the policy.

    >>> from computefin.domain import demo_market
    >>> from computefin.engine.approval._analysis import MarketContext
    >>> import json, pathlib
    >>> len(input_hash.__doc__ or "") > 0
    True
    """
    return canonical_digest(
        {
            "application": application.model_dump(mode="json"),
            "market": market_digest,
            "policy": policy.digest,
        }
    )


def decide(
    application: CreditApplication,
    market: MarketSnapshot,
    policy: CreditPolicy | None = None,
) -> Decision:
    """Decide a credit application against a market snapshot and a policy.

    Deterministic: the same application, snapshot and policy give the same decision (the
    collateral paths use the policy's seed). ``policy`` defaults to
    :func:`~computefin.engine.approval.default_policy`. Bad input raises
    :class:`computefin.errors.ValidationError` naming the field; a snapshot lacking a
    price, curve, FX rate or PD raises :class:`computefin.errors.MarketDataError`.

    >>> import json
    >>> from computefin.domain import demo_market
    >>> from computefin.engine.approval import CreditApplication, example_application
    >>> d = decide(example_application(), demo_market())
    >>> d.outcome.value, d.max_amount >= d.requested_amount, len(d.input_hash)
    ('approve', True, 64)
    >>> [r.rule for r in d.rules][:3]
    ['max_stressed_ltv', 'min_base_dscr', 'min_stressed_dscr']
    """
    policy = policy or default_policy()
    ctx = MarketContext.of(market)
    an = analyse(application, ctx, policy)
    figures = an.at(application.requested_amount)
    amount_rules, by_amount = _amount_outcomes(an, figures)
    fixed_rules = _fixed_outcomes(an)
    rules = (*amount_rules, *fixed_rules)
    failed = [r for r in rules if r.status is RuleStatus.FAIL]
    if any(r.on_breach == "decline" for r in failed):
        outcome = Outcome.DECLINE
    elif failed:
        outcome = Outcome.REFER
    else:
        outcome = Outcome.APPROVE

    fixed_failed = any(r.status is RuleStatus.FAIL for r in fixed_rules)
    max_amount = 0.0 if fixed_failed else by_amount
    covenants, loan_covenants = _covenants(an)
    ccy = application.currency.value
    rate = (
        f"{application.index.value if application.index else ''} + "
        f"{application.requested_margin:.2%}"
        if application.rate_type is RateType.FLOATING
        else f"fixed {an.fixed_rate or 0.0:.2%}"
    )
    head = {
        Outcome.APPROVE: f"Approve {ccy} {application.requested_amount:,.0f}",
        Outcome.REFER: f"Refer {ccy} {application.requested_amount:,.0f} to a credit officer",
        Outcome.DECLINE: f"Decline {ccy} {application.requested_amount:,.0f}",
    }[outcome]
    summary = (
        f"{head} over {application.tenor_months} months at {rate} (risk-based margin "
        f"{figures.risk_based_margin:.2%}); {len(failed)} of "
        f"{sum(r.status is not RuleStatus.NOT_APPLICABLE for r in rules)} rules failed; "
        f"the largest amount passing every rule is {ccy} {max_amount:,.0f}."
    )
    pricing = policy.pricing
    return Decision(
        application_id=application.id,
        outcome=outcome,
        summary=summary,
        currency=ccy,
        requested_amount=application.requested_amount,
        max_amount=max_amount,
        max_amount_by_amount_rules=by_amount,
        requested_margin=application.requested_margin,
        risk_based_margin=figures.risk_based_margin,
        margin=MarginBreakdown(
            expected_loss=figures.expected_loss_rate,
            capital_charge=pricing.cost_of_capital * figures.capital_per_unit,
            funding=pricing.funding_spread,
            operating=pricing.operating_cost,
            risk_based_margin=figures.risk_based_margin,
            requested_margin=application.requested_margin,
            capital_per_unit=figures.capital_per_unit,
            raroc=figures.raroc,
        ),
        credit=CreditFigures(
            pd_1y=an.pd_1y,
            lgd=figures.lgd,
            expected_loss=an.pd_1y * figures.lgd * application.requested_amount,
            ead=application.requested_amount,
            rwa=figures.rwa,
            risk_weight=figures.risk_weight,
            slotting_category=figures.slotting_category,
            ltv=figures.ltv if figures.ltv is not None else 0.0,
            base_dscr=figures.base_dscr,
        ),
        collateral=CollateralFigures(
            value_now=an.value_now,
            stressed_value=an.stressed_value,
            stressed_by=an.stressed_by,
            value_at_default=an.value_at_default,
            contracted_revenue_in_tenor=an.contracted_revenue,
            remaining_life_years=an.remaining_life_years,
        ),
        covenants=covenants,
        loan_covenants=loan_covenants,
        rules=rules,
        reasons=tuple(r.explanation for r in failed),
        maturity=an.maturity,
        fixed_rate=an.fixed_rate,
        policy_name=policy.name,
        policy_version=policy.version,
        policy_hash=policy.digest,
        market_as_of=market.as_of,
        market_hash=ctx.digest,
        input_hash=input_hash(application, ctx.digest, policy),
        scenarios=policy.scenarios,
        seed=policy.seed,
        engine_version=__version__,
    )
