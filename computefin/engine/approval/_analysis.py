"""What an application's decision is computed from: the part that does not depend on the
amount (fleet projections, stresses, schedule shape) and closed forms in the amount.

The collateral model is the loan valuation's (:func:`computefin.products.valuation.value_loan`):
the same :class:`~computefin.risk.projection.ProjectionInputs` defaults, paths
(:func:`~computefin.risk.projection.simulate_scenarios`), coverage
(:func:`~computefin.products.coverage.collateral_coverage`), LGD
(:func:`~computefin.risk.collateral_lgd`) and slotting. Two things differ, for speed: the
projection grid ends when the loan and the GPUs' economic life end (the valuation always
projects 30 years), and the amount enters through closed forms: every cash flow of the
loan is proportional to its principal, so DSCR scales as ``1 / amount`` and LTV as
``amount``; LGD and the slotting risk weight are recomputed per amount.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from computefin.domain import Contract, Currency, MarketSnapshot, RateIndex, active_catalog
from computefin.engine.approval.models import CreditApplication, RateType
from computefin.engine.approval.policy import CreditPolicy
from computefin.errors import MarketDataError, ValidationError
from computefin.pricing import Curve, build_curves
from computefin.products.coverage import CoverageTerms, DebtSchedule, collateral_coverage
from computefin.products.loan import (
    Amortization,
    CollateralLoan,
    LoanBook,
    LoanCashflows,
    LoanCollateral,
)
from computefin.products.valuation import slotting_category
from computefin.risk import ResidualValueModel, collateral_lgd, stress_library
from computefin.risk.capital import slotting
from computefin.risk.grid import MAX_HORIZON_MONTHS
from computefin.risk.projection import (
    DISCOUNT_INDEX,
    FleetProjection,
    ProjectionInputs,
    apply_stress,
    project,
    simulate_scenarios,
)

__all__ = ["AmountFigures", "Analysis", "MarketContext", "analyse", "canonical_digest"]

_NO_LTV: Final = 5.0  # CoverageTerms' largest max_ltv: no covenant in the DSCR measurement
_PROVISIONAL_RATE: Final = 0.05  # coupon of the schedule a fixed loan's par rate is read on
_MAX_CONTEXTS: Final = 8


def canonical_digest(data: Any) -> str:
    """SHA-256 (hex) of ``data`` as canonical JSON (sorted keys, no spaces).

    >>> canonical_digest({"b": 1, "a": [1.5, "x"]})[:12]
    '27edd5497e48'
    """
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, eq=False)
class MarketContext:
    """A market snapshot with what is built from it once per process: curves and digest.

    >>> from computefin.domain import demo_market
    >>> ctx = MarketContext.of(demo_market())
    >>> ctx is MarketContext.of(demo_market()), sorted(k.value for k in ctx.curves)
    (True, ['FR007', 'SHIBOR3M', 'SOFR'])
    """

    market: MarketSnapshot
    curves: Mapping[RateIndex, Curve]
    digest: str

    @classmethod
    def of(cls, market: MarketSnapshot) -> MarketContext:
        """The cached context of ``market`` (built on first use; at most 8 kept)."""
        with _LOCK:
            for ctx in _CONTEXTS.values():
                if ctx.market is market:
                    return ctx
        digest = canonical_digest(market.model_dump(mode="json"))
        with _LOCK:
            found = _CONTEXTS.get(digest)
            if found is not None:
                return found
        ctx = cls(market=market, curves=build_curves(market), digest=digest)
        with _LOCK:
            _CONTEXTS[digest] = ctx
            while len(_CONTEXTS) > _MAX_CONTEXTS:
                _CONTEXTS.popitem(last=False)
        return ctx


_CONTEXTS: OrderedDict[str, MarketContext] = OrderedDict()
_LOCK = threading.Lock()


@dataclass(frozen=True)
class AmountFigures:
    """Everything that depends on the amount, at one amount (money in loan currency).

    Shares and rates are decimals; DSCRs multiples; ``None`` where undefined.
    """

    amount: float
    stressed_ltv: float | None
    base_dscr: float | None
    stressed_dscr: float | None
    contracted_coverage: float | None
    net_leverage: float | None
    ltv: float | None
    lgd: float
    expected_loss_rate: float
    risk_weight: float
    rwa: float
    slotting_category: str
    risk_based_margin: float
    capital_per_unit: float
    raroc: float | None


@dataclass(frozen=True)
class Analysis:
    """The amount-independent part of a decision (see the module docstring).

    Money in the loan currency; ``reference_amount`` is the amount the schedule was
    built on (the requested amount). ``debt_service_ref`` is the total interest plus
    principal at that amount; ``base_dscr_ref`` the median over paths of each path's
    lowest DSCR; ``stressed_dscr_ref`` the lowest expected-case DSCR over the stresses.
    """

    application: CreditApplication
    policy: CreditPolicy
    loan: CollateralLoan
    reference_amount: float
    maturity: dt.date
    fixed_rate: float | None
    pd_1y: float
    value_now: float
    value_at_default: float
    stressed_value: float
    stressed_by: str
    stressed_values: Mapping[str, float]
    contracts_at_default: float
    debt_service_ref: float
    base_dscr_ref: float | None
    stressed_dscr_ref: float | None
    stressed_dscr_by: str
    contracted_revenue: float
    lessee_revenue: Mapping[str, float]
    remaining_life_years: float
    shortest_life_group: str
    tenor_years: float
    successors_launched: Mapping[str, int]
    years_since_launch: Mapping[str, float]
    remaining_maturity_years: float

    def at(self, amount: float) -> AmountFigures:
        """The amount-dependent figures at ``amount`` (> 0).

        >>> # see tests/engine/approval for worked numbers
        >>> Analysis.at.__name__
        'at'
        """
        scale = amount / self.reference_amount
        pricing = self.policy.pricing
        base = None if self.base_dscr_ref is None else self.base_dscr_ref / scale
        stressed = None if self.stressed_dscr_ref is None else self.stressed_dscr_ref / scale
        lgd = float(
            collateral_lgd(
                amount,
                self.value_at_default,
                self.policy.liquidation_haircut,
                costs_share=self.policy.recovery_costs_share,
                contract_recovery=self.policy.contract_recovery_share * self.contracts_at_default,
            )
        )
        ltv = amount / self.value_now if self.value_now > 0.0 else None
        category = str(
            slotting_category(
                [self.pd_1y],
                [math.nan if ltv is None else ltv],
                [math.nan if base is None else base],
            )[0]
        )
        if ltv is None:  # no value at all: the weakest performing category
            category = "weak" if self.pd_1y < 1.0 else "default"
        slot = slotting(category, self.remaining_maturity_years, exposure=amount)
        risk_weight = float(slot.risk_weight)
        el_rate = self.pd_1y * lgd
        capital = pricing.capital_ratio * risk_weight
        margin = el_rate + pricing.cost_of_capital * capital
        margin += pricing.funding_spread + pricing.operating_cost
        net = self.application.requested_margin - pricing.funding_spread - pricing.operating_cost
        raroc = (net - el_rate) / capital if capital > 0.0 else None
        fs = self.application.financial_statements
        leverage = None
        if fs is not None and fs.ebitda > 0.0:
            leverage = (fs.net_debt + amount) / fs.ebitda
        debt_service = self.debt_service_ref * scale
        return AmountFigures(
            amount=amount,
            stressed_ltv=amount / self.stressed_value if self.stressed_value > 0.0 else None,
            base_dscr=base,
            stressed_dscr=stressed,
            contracted_coverage=self.contracted_revenue / debt_service,
            net_leverage=leverage,
            ltv=ltv,
            lgd=lgd,
            expected_loss_rate=el_rate,
            risk_weight=risk_weight,
            rwa=float(slot.rwa),
            slotting_category=category,
            risk_based_margin=margin,
            capital_per_unit=capital,
            raroc=raroc,
        )


def _months_to(as_of: dt.date, day: dt.date) -> int:
    return (day.year - as_of.year) * 12 + (day.month - as_of.month) + 1


def _overlap_years(contract: Contract, start: dt.date, end: dt.date) -> float:
    days = (min(contract.end, end) - max(contract.start, start)).days
    return max(days, 0) / 365.0


def _loan(app: CreditApplication, amount: float, fixed_rate: float | None) -> CollateralLoan:
    terms: dict[str, Any] = {
        "id": app.id,
        "borrower_counterparty_id": app.borrower_counterparty_id,
        "principal": amount,
        "currency": app.currency,
        "start": app.start,
        "maturity": app.maturity,
        "frequency": app.frequency,
        "amortization": app.amortization,
        "balloon_share": app.balloon_share,
        "collateral": LoanCollateral(
            fleet_ids=tuple(f.id for f in app.fleets),
            assigned_contract_ids=tuple(c.id for c in app.contracts),
        ),
    }
    if app.rate_type is RateType.FLOATING:
        terms |= {"index": app.index, "margin": app.requested_margin}
    else:
        terms["fixed_rate"] = fixed_rate
    try:
        return CollateralLoan(**terms)
    except ValidationError as exc:
        raise _as_application_error(exc) from exc


_LOAN_FIELDS: Final = {
    "principal": "requested_amount",
    "maturity": "tenor_months",
    "margin": "requested_margin",
    "fixed_rate": "requested_margin",
}


def _as_application_error(exc: ValidationError) -> ValidationError:
    """A loan-construction error, renamed to the application's fields."""
    problems = []
    for p in exc.problems:
        field = p.field.split("].", 1)[-1] if "]." in p.field else p.field
        head, _, rest = field.partition(".")
        field = _LOAN_FIELDS.get(head, head) + (f".{rest}" if rest else "")
        problems.append(type(p)(f"CreditApplication.{field}", p.reason, p.value))
    return ValidationError.from_problems(problems)


def _cashflows(loan: CollateralLoan, ctx: MarketContext) -> LoanCashflows:
    return LoanBook([loan]).cashflows(ctx.market, curves=ctx.curves)


def _discount_curve(ctx: MarketContext, currency: Currency, what: str) -> Curve:
    index = DISCOUNT_INDEX.get(currency)
    if index is None or index not in ctx.curves:
        raise MarketDataError(f"{what}: no {currency.value} discount curve in the market snapshot")
    return ctx.curves[index]


def _par_rate(cf: LoanCashflows, curve: Curve) -> float:
    """The coupon whose interest equals the discount curve's forwards on the schedule:
    ``sum B_i (DF(s_i) - DF(e_i)) / sum B_i tau_i DF(e_i)`` (exact when principal does
    not depend on the coupon; read on the provisional schedule otherwise)."""
    alive = cf.alive[0]
    balance = (cf.opening_balance[0] + cf.draw[0])[alive]
    df_start = np.asarray(curve.discount(cf.accrual_start[0][alive]), dtype=np.float64)
    df_end = np.asarray(curve.discount(cf.accrual_end[0][alive]), dtype=np.float64)
    tau = cf.year_fraction[0][alive]
    return float((balance * (df_start - df_end)).sum() / (balance * tau * df_end).sum())


def _schedule(
    app: CreditApplication, ctx: MarketContext
) -> tuple[CollateralLoan, LoanCashflows, float | None]:
    amount = app.requested_amount
    if app.rate_type is RateType.FLOATING:
        loan = _loan(app, amount, None)
        return loan, _cashflows(loan, ctx), None
    curve = _discount_curve(ctx, app.currency, "CreditApplication.currency")
    provisional = _loan(app, amount, _PROVISIONAL_RATE)
    cf = _cashflows(provisional, ctx)
    rate = _par_rate(cf, curve) + app.requested_margin
    if app.amortization in (Amortization.LEVEL, Amortization.BALLOON):
        cf = _cashflows(_loan(app, amount, rate), ctx)  # the schedule depends on the coupon
        rate = _par_rate(cf, curve) + app.requested_margin
    loan = _loan(app, amount, rate)
    return loan, _cashflows(loan, ctx), rate


def _horizon(
    app: CreditApplication, policy: CreditPolicy, last_pay: dt.date, as_of: dt.date
) -> int:
    life_days = round(policy.economic_life_years * 365.0)
    ends = [last_pay, as_of + dt.timedelta(days=round(365 * policy.default_horizon_years))]
    ends += [g.acquired + dt.timedelta(days=life_days) for f in app.fleets for g in f.server_groups]
    ends += [c.end for c in app.contracts]
    months = max(_months_to(as_of, day) for day in ends) + 1
    if _months_to(as_of, last_pay) > MAX_HORIZON_MONTHS:
        raise ValidationError(
            "CreditApplication.tenor_months",
            f"the loan must end within {MAX_HORIZON_MONTHS} months of the market date",
            app.tenor_months,
        )
    return min(max(months, 2), MAX_HORIZON_MONTHS)


def _fleet_value(projections: list[FleetProjection], fx: list[float]) -> np.ndarray[Any, Any]:
    total = sum(p.line("economic_value") * k for p, k in zip(projections, fx, strict=True))
    return np.asarray(total, dtype=np.float64)


def _worst_dscr(
    cf: LoanCashflows, projections: list[FleetProjection], market: MarketSnapshot, ccy: str
) -> float | None:
    pay = cf.pay_date[0]
    keep = cf.alive[0] & (pay >= projections[0].grid.end_dates[0])
    if not bool(keep.any()):
        return None
    debt = DebtSchedule(
        pay_dates=pay[keep],
        opening_balance=(cf.opening_balance[0] + cf.draw[0])[keep],
        scheduled_principal=cf.principal[0][keep],
        rate=cf.rate[0][keep],
        year_fractions=cf.year_fraction[0][keep],
        accrual_starts=cf.accrual_start[0][keep],
    )
    terms = CoverageTerms(max_ltv=_NO_LTV, min_dscr=0.0, cash_sweep_share=0.0)
    result = collateral_coverage(debt, projections, terms, market, ccy)
    value = float(np.median(result.worst_dscr))
    return value if math.isfinite(value) else None


def analyse(app: CreditApplication, ctx: MarketContext, policy: CreditPolicy) -> Analysis:
    """Project the collateral and measure everything that does not depend on the amount.

    >>> Analysis.__name__  # worked examples: tests/engine/approval
    'Analysis'
    """
    market = ctx.market
    if app.start < market.as_of:
        raise ValidationError(
            "CreditApplication.start",
            f"must be on or after the market date {market.as_of.isoformat()}",
            app.start.isoformat(),
        )
    if app.start > market.as_of + dt.timedelta(days=366):
        raise ValidationError(
            "CreditApplication.start",
            f"must be within a year of the market date {market.as_of.isoformat()}",
            app.start.isoformat(),
        )
    portfolio = app.portfolio()
    ccy = app.currency.value
    pd_1y = market.pd_for(portfolio.counterparty(app.borrower_counterparty_id))
    loan, cf, fixed_rate = _schedule(app, ctx)
    alive = cf.alive[0]
    last_pay = dt.date.fromisoformat(str(cf.pay_date[0][alive][-1]))
    months = _horizon(app, policy, last_pay, market.as_of)
    value_stresses = stress_library(policy.value_stresses)
    dscr_stresses = stress_library(policy.dscr_stresses)
    stresses = {s.name: s for s in (*value_stresses, *dscr_stresses)}
    residual = ResidualValueModel(economic_life_years=policy.economic_life_years)
    base: list[FleetProjection] = []
    stressed: dict[str, list[FleetProjection]] = {name: [] for name in stresses}
    fx: list[float] = []
    for i, fleet in enumerate(app.fleets):
        curve = _discount_curve(ctx, fleet.currency, f"CreditApplication.fleets[{i}].currency")
        inputs = ProjectionInputs.build(
            fleet,
            app.contracts,
            market,
            months,
            counterparties=app.counterparties,
            residual=residual,
            discount_curve=curve,
        )
        paths = simulate_scenarios(inputs, policy.scenarios, policy.seed)
        base.append(project(inputs, paths))
        for name, stress in stresses.items():
            if stress.default_counterparty is not None and not inputs.contracts:
                # Nobody to default on this fleet: the stress leaves it alone.
                stress = stress.model_copy(update={"default_counterparty": None})
            stressed[name].append(project(apply_stress(stress, inputs)))
        fx.append(market.fx(fleet.currency, ccy))
    value = _fleet_value(base, fx)
    ends = base[0].grid.end_dates
    default_day = market.as_of + dt.timedelta(days=round(365 * policy.default_horizon_years))
    at = max(int(np.searchsorted(ends, np.datetime64(default_day, "D"), side="right")) - 1, 0)
    value_now = float(value[:, 0].mean())
    value_at_default = max(float(np.quantile(value[:, at], policy.downturn_quantile)), 0.0)
    candidates = {
        f"downturn {policy.downturn_quantile:.0%} quantile of {policy.scenarios} simulated "
        f"paths": max(float(np.quantile(value[:, 0], policy.downturn_quantile)), 0.0)
    }
    stressed_values = {
        s.name: max(float(_fleet_value(stressed[s.name], fx)[0, 0]), 0.0) for s in value_stresses
    }
    candidates |= {f"expected value under stress {k}": v for k, v in stressed_values.items()}
    stressed_by = min(candidates, key=lambda k: candidates[k])
    dscr_by_stress = {s.name: _worst_dscr(cf, stressed[s.name], market, ccy) for s in dscr_stresses}
    known = {k: v for k, v in dscr_by_stress.items() if v is not None}
    stressed_dscr_by = min(known, key=lambda k: known[k]) if known else ""
    debt_service = float(np.where(alive, cf.interest[0] + cf.principal[0], 0.0).sum())
    maturity = app.maturity
    lessees: dict[str, float] = {}
    at_default = 0.0
    for contract in app.contracts:
        rate = market.fx(contract.currency, ccy)
        revenue = contract.annual_take_or_pay_value * _overlap_years(contract, app.start, maturity)
        lessees[contract.counterparty_id] = (
            lessees.get(contract.counterparty_id, 0.0) + revenue * rate
        )
        remaining = (contract.end - max(contract.start, default_day)).days
        at_default += contract.annual_take_or_pay_value * max(remaining, 0) / 365.0 * rate
    life_days = round(policy.economic_life_years * 365.0)
    lives = {
        f"fleets[{i}].server_groups[{j}] ({g.accelerator_id})": (
            g.acquired + dt.timedelta(days=life_days) - app.start
        ).days
        / 365.0
        for i, f in enumerate(app.fleets)
        for j, g in enumerate(f.server_groups)
    }
    shortest = min(lives, key=lambda k: lives[k])
    catalog = active_catalog()
    accelerators = sorted({g.accelerator_id for f in app.fleets for g in f.server_groups})
    successors = {
        a: sum(1 for s in catalog.successor_chain(a) if catalog[s].launch_date <= app.start)
        for a in accelerators
    }
    ages = {a: (app.start - catalog[a].launch_date).days / 365.0 for a in accelerators}
    return Analysis(
        application=app,
        policy=policy,
        loan=loan,
        reference_amount=app.requested_amount,
        maturity=maturity,
        fixed_rate=fixed_rate,
        pd_1y=pd_1y,
        value_now=value_now,
        value_at_default=value_at_default,
        stressed_value=candidates[stressed_by],
        stressed_by=stressed_by,
        stressed_values=stressed_values,
        contracts_at_default=at_default,
        debt_service_ref=debt_service,
        base_dscr_ref=_worst_dscr(cf, base, market, ccy),
        stressed_dscr_ref=known.get(stressed_dscr_by),
        stressed_dscr_by=stressed_dscr_by,
        contracted_revenue=sum(lessees.values()),
        lessee_revenue=lessees,
        remaining_life_years=lives[shortest],
        shortest_life_group=shortest,
        tenor_years=(maturity - app.start).days / 365.0,
        successors_launched=successors,
        years_since_launch=ages,
        remaining_maturity_years=max((last_pay - market.as_of).days, 0) / 365.0,
    )
