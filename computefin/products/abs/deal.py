"""An ABS deal end to end: pool + structure + performance, valued per tranche with capital.

:class:`AbsDeal` is what a bank stores and values: the pool of GPU leases and loans, the
waterfall structure and the performance assumptions, plus a discount spread per tranche
and the SEC-SA inputs. :func:`value_deal` projects the pool (deterministically, or on
simulated GPU-price and lessee-default paths drawn with a seed), runs the waterfall on
every path and returns one row per tranche: balance, fair value and price (expected
cash flows discounted on the deal currency's discount curve plus the tranche spread),
yield at that price, WAL, modified duration, expected loss and its 99th percentile,
attachment / detachment, and the SEC-SA risk weight and RWA (CRE41).

>>> from computefin.domain import demo_market, demo_portfolio
>>> frame = value_deal(demo_deal(), demo_market(), demo_portfolio())
>>> frame["tranche"].tolist()
['A', 'B', 'E']
>>> bool((frame["pv"] > 0).all()), round(float(frame["attachment"].iloc[0]), 4)
(True, 0.2)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from computefin.domain import MarketSnapshot, Portfolio, RateIndex
from computefin.domain._base import DomainModel
from computefin.domain._types import Identifier, Rate, Share
from computefin.errors import MarketDataError, ValidationError
from computefin.pricing import Curve, build_curves, present_value
from computefin.products.abs.analytics import (
    equity_irr,
    loss_shares,
    tranche_cashflows,
    tranche_duration,
    tranche_face,
    tranche_wal,
    tranche_yield,
)
from computefin.products.abs.performance import Performance, project_pool
from computefin.products.abs.pool import Pool, demo_pool
from computefin.products.abs.structure import DEMO_DEAL_PATH, AbsStructure
from computefin.products.abs.waterfall import WaterfallResult, run_waterfall
from computefin.risk import DefaultModel, GpuPriceModel, ScenarioSet, StressScenario
from computefin.risk.capital import sec_sa

__all__ = [
    "DEAL_COLUMNS",
    "AbsDeal",
    "SecuritisationCapitalInputs",
    "deal_scenarios",
    "demo_deal",
    "run_deal",
    "value_deal",
]

DEAL_COLUMNS = (
    "deal_id", "tranche", "kind", "currency", "balance", "current_balance", "pv", "price",
    "yield", "wal",
    "modified_duration", "expected_loss", "loss_p99", "attachment", "detachment",
    "risk_weight", "rwa",
)  # fmt: skip
"""Columns of :func:`value_deal`."""

_DISCOUNT_INDEX = {"CNY": RateIndex.FR007, "USD": RateIndex.SOFR}


class SecuritisationCapitalInputs(DomainModel):
    """SEC-SA inputs of the pool (CRE41): ``ksa`` the standardised capital charge of the
    underlying exposures (decimal: 0.08 = 100% risk weight x 8%), ``w`` the delinquent
    share, ``stc`` whether the deal is simple, transparent and comparable."""

    ksa: Share = 0.08
    w: Share = 0.0
    stc: bool = False


class AbsDeal(DomainModel):
    """A securitisation: pool, structure, performance, tranche spreads, capital inputs.

    ``tranche_spreads``: continuous ACT/365F spread over the discount curve per tranche
    (decimal; a tranche not listed is discounted at the curve plus 0).
    """

    id: Identifier
    name: str = ""
    pool: Pool
    structure: AbsStructure
    performance: Performance = Field(default_factory=Performance)
    tranche_spreads: dict[str, Rate] = Field(default_factory=dict)
    capital: SecuritisationCapitalInputs = Field(default_factory=SecuritisationCapitalInputs)

    @model_validator(mode="after")
    def _consistent(self) -> AbsDeal:
        names = {t.name for t in self.structure.tranches}
        for name in self.tranche_spreads:
            if name not in names:
                raise ValidationError(
                    f"tranche_spreads.{name}", f"no such tranche; tranches: {sorted(names)}"
                )
        if self.pool.currency.value != self.structure.currency.value:
            raise ValidationError(
                "structure.currency",
                f"the pool is in {self.pool.currency.value}",
                self.structure.currency.value,
            )
        return self


def demo_deal() -> AbsDeal:
    """The shipped demo: the demo pool (36 H100/H200/H20 leases, 2 loans, CNY 2.93bn) under
    the demo structure (A floating, B fixed, equity; reserve, OC and CNL triggers) with its
    tranche balances scaled to the pool's discounted balance (the structure file is sized
    for CNY 1bn), 5% CDR, 40% recovery after 6 months, termination-mode lease defaults
    with remarketing."""
    pool = demo_pool()
    structure = AbsStructure.from_yaml(DEMO_DEAL_PATH)
    scale = pool.original_balance() / sum(t.balance for t in structure.tranches)
    data = structure.model_dump(mode="json")
    for tranche in data["tranches"]:
        tranche["balance"] = round(tranche["balance"] * scale, 2)
    for account in data.get("accounts", []):
        if "initial_balance" in account:
            account["initial_balance"] = round(account["initial_balance"] * scale, 2)
    return AbsDeal(
        id="abs-demo-gpu-lease-2026",
        name="Demo GPU Lease ABS 2026-1",
        pool=pool,
        structure=AbsStructure.model_validate(data),
        performance=Performance(
            cdr=0.05,
            recovery_rate=0.4,
            recovery_lag_periods=6,
            lease_default_mode="termination",
            re_lease_gap_periods=3,
            remarketing=True,
        ),
        tranche_spreads={"A": 0.008, "B": 0.025, "E": 0.08},
    )


def deal_scenarios(
    deal: AbsDeal,
    market: MarketSnapshot,
    portfolio: Portfolio,
    n_paths: int,
    seed: int,
    *,
    asset_correlation: float = 0.2,
    price_shock: float = 0.0,
) -> ScenarioSet:
    """GPU rental-price paths per accelerator of the pool and correlated lessee and
    borrower default times (one-year PDs from the snapshot's rating table), on the
    pool's grid, block-seeded by ``seed``. ``price_shock`` scales every price level."""
    grid = deal.pool.projection_grid(deal.performance.lag_periods)
    prices, currency = {}, {}
    for acc in sorted({lease.accelerator_id for lease in deal.pool.leases}):
        quote = next((q for q in market.gpu_prices if q.accelerator_id == acc), None)
        if quote is None:
            raise MarketDataError(f"no GPU rental quote for {acc} in the snapshot (deal {deal.id})")
        model = GpuPriceModel.from_market(market, acc, quote.currency)
        if price_shock:
            model = model.model_copy(update={"level": model.level * (1.0 + price_shock)})
        prices[acc] = model.simulate(n_paths, grid, seed)
        currency[acc] = quote.currency
    parties = {c.id: c for c in portfolio.counterparties}
    pds: dict[str, float] = {}
    obligors = [(f"pool.leases[{i}].lessee_counterparty_id", x.lessee_counterparty_id)
                for i, x in enumerate(deal.pool.leases)]  # fmt: skip
    obligors += [(f"pool.loans[{i}].loan.borrower_counterparty_id", h.loan.borrower_counterparty_id)
                 for i, h in enumerate(deal.pool.loans)]  # fmt: skip
    for where, party in obligors:
        if party not in parties:
            raise ValidationError(f"AbsDeal[{deal.id}].{where}", "unknown counterparty", party)
        pds[party] = market.pd_for(parties[party])
    defaults = DefaultModel(asset_correlation=asset_correlation).simulate(pds, n_paths, grid, seed)
    return ScenarioSet.create(
        grid=grid, seed=seed, n_paths=n_paths, prices=prices, price_currency=currency,
        default_times=defaults.censored_default_times(),
        parameters={"deal": deal.id, "asset_correlation": asset_correlation,
                    "price_shock": price_shock},
    )  # fmt: skip


def _curves(market: MarketSnapshot, stress: StressScenario | None) -> dict[RateIndex, Curve]:
    curves = build_curves(market)
    if stress is not None and stress.rate_shift_bp:
        shift = stress.rate_shift_bp / 10_000.0
        curves = {k: c.shifted(parallel=shift) for k, c in curves.items()}
    return curves


def run_deal(
    deal: AbsDeal,
    market: MarketSnapshot,
    portfolio: Portfolio,
    scenarios: int | None = None,
    *,
    seed: int = 0,
    stress: StressScenario | None = None,
    curves: Mapping[RateIndex, Curve] | None = None,
) -> WaterfallResult:
    """Project the pool and run the waterfall: deterministic (``scenarios=None``) or on
    ``scenarios`` simulated paths. A stress's rental-price shock moves the performance's
    price shock (and the simulated price levels), its rate shift every curve; its other
    shocks (utilization, power, forced fleet defaults) do not apply to a lease pool."""
    shock = 0.0 if stress is None else stress.rental_price_shock
    performance = deal.performance
    if shock:
        moved = (1.0 + performance.price_shock) * (1.0 + shock) - 1.0
        performance = performance.model_copy(update={"price_shock": moved})
    source = curves if curves is not None else _curves(market, stress)
    curve_map: dict[RateIndex | str, Curve] = dict(source.items())
    if scenarios is None:
        flows = project_pool(deal.pool, performance, market=market)
    else:
        paths = deal_scenarios(deal, market, portfolio, scenarios, seed)
        flows = project_pool(deal.pool, performance, paths, market=market)
    return run_waterfall(deal.structure, flows, curve_map, market.fixings)


def _attachments(deal: AbsDeal, pool_balance: float) -> dict[str, tuple[float, float]]:
    """(A, D) per tranche at closing, shares of the underlying exposures - the pool plus
    the funded reserve accounts, which count as underlying assets (CRE40.16) - a note
    attaching above every junior note, the over-collateralisation and the reserve; the
    equity piece is the over-collateralisation and first loss: A = 0, D = its cushion."""
    tranches = deal.structure.tranches
    notes = sum(t.balance for t in tranches if t.is_note)
    reserve = sum(a.initial_balance for a in deal.structure.accounts if a.kind != "cash_trap")
    cushion = max(pool_balance - notes, 0.0) + reserve
    underlying = pool_balance + reserve
    out = {}
    for t in tranches:
        if not t.is_note:
            out[t.name] = (0.0, min(1.0, cushion / underlying))
            continue
        junior = sum(u.balance for u in tranches if u.is_note and u.seniority > t.seniority)
        a = min(1.0, (junior + cushion) / underlying)
        senior_most = not any(u.is_note and u.seniority < t.seniority for u in tranches)
        out[t.name] = (a, 1.0 if senior_most else min(1.0, a + t.balance / underlying))
    return out


def _duration(
    result: WaterfallResult, name: str, yields: Any, settle: np.datetime64, is_note: bool
) -> float:
    """Mean modified duration over the paths whose yield solved (equity: annual IRR)."""
    ok = np.isfinite(yields)
    if not ok.any():
        return math.nan
    y = np.where(ok, yields, 0.0)
    frequency = None if is_note else 1
    return float(
        tranche_duration(result, name, y, settlement=settle, frequency=frequency)[ok].mean()
    )


def value_deal(
    deal: AbsDeal,
    market: MarketSnapshot,
    portfolio: Portfolio,
    scenarios: int | None = None,
    *,
    seed: int = 0,
    stress: StressScenario | None = None,
) -> pd.DataFrame:
    """One row per tranche (columns :data:`DEAL_COLUMNS`), money in the deal currency.

    ``pv``: mean over paths of the tranche's cash flows after the valuation date,
    discounted on the currency's discount curve (FR007 for CNY, SOFR for USD) plus the
    tranche spread, at ``market.as_of``; ``current_balance``: the face outstanding at the
    valuation date (mean over paths; the original ``balance`` before the first payment);
    ``price`` = pv / current balance x 100; ``yield`` at that price (equity: its IRR);
    ``expected_loss`` and ``loss_p99`` as shares of the original balance;
    ``risk_weight`` and ``rwa`` by SEC-SA on the current balance, with attachment points
    at closing (a seasoned deal's current points need the trustee's report, not
    modelled).
    """
    curves = _curves(market, stress)
    ccy = deal.structure.currency.value
    index = _DISCOUNT_INDEX.get(ccy)
    if index is None or index not in curves:
        raise MarketDataError(f"no discount curve for {ccy} in the snapshot (deal {deal.id})")
    result = run_deal(deal, market, portfolio, scenarios, seed=seed, stress=stress, curves=curves)
    discount = curves[index]
    settle = np.datetime64(market.as_of, "D")
    ab = _attachments(deal, float(result.pool.original_pool_balance))
    rows: list[dict[str, Any]] = []
    for t in deal.structure.tranches:
        cf = tranche_cashflows(result, t.name, settlement=settle)
        pv = float(
            present_value(cf, discount, z_spread=deal.tranche_spreads.get(t.name, 0.0)).mean()
        )
        face = float(tranche_face(result, t.name, settlement=settle).mean())
        price = 100.0 * pv / face if face > 0 else math.nan
        if t.is_note:
            yields = tranche_yield(result, t.name, price, settlement=settle, on_failure="nan")
        else:
            yields = equity_irr(result, t.name, price=price, settlement=settle)
        y = float(np.nanmean(yields)) if np.isfinite(yields).any() else math.nan
        losses = loss_shares(result, t.name)
        a, d = ab[t.name]
        capital = sec_sa(a, d, deal.capital.ksa, deal.capital.w, stc=deal.capital.stc,
                         exposure=face)  # fmt: skip
        rows.append(
            {
                "deal_id": deal.id, "tranche": t.name, "kind": t.kind, "currency": ccy,
                "balance": t.balance, "current_balance": face, "pv": pv, "price": price,
                "yield": y,
                "wal": float(np.nanmean(tranche_wal(result, t.name, settlement=settle))),
                "modified_duration": _duration(result, t.name, yields, settle, t.is_note),
                "expected_loss": float(losses.mean()),
                "loss_p99": float(np.quantile(losses, 0.99)),
                "attachment": a, "detachment": d,
                "risk_weight": capital.risk_weight, "rwa": capital.rwa,
            }
        )  # fmt: skip
    return pd.DataFrame(rows, columns=list(DEAL_COLUMNS))
