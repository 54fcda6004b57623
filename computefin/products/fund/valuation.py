"""``value_fund``: NAV, NAV per unit, scenario NAV at a horizon, distribution yield,
liquidity under redemptions, concentration and the R1-R5 risk level of a fund.

Every holding is valued by its own product's function (no simulation code here):
certificates by :func:`~computefin.products.certificate.value_certificate`, ABS tranches
by :func:`~computefin.products.abs.value_deal` (and :func:`~computefin.products.abs.run_deal`
for the per-path cash flows), loans by :func:`~computefin.products.valuation.value_book`,
loan defaults on paths by the one-factor :class:`~computefin.risk.DefaultModel` the ABS
deal draws its obligors' defaults with. Definitions: ``docs/products/fund.md``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from computefin._typing import FloatArray
from computefin.domain import (
    GENERATIONS,
    MarketSnapshot,
    Portfolio,
    RateIndex,
    accelerator_generation,
)
from computefin.errors import MarketDataError, ValidationError
from computefin.pricing import Curve, build_curves, present_value
from computefin.products.abs import AbsDeal, run_deal, tranche_cashflows, value_deal
from computefin.products.certificate import value_certificate
from computefin.products.fund.model import (
    CertificateHolding,
    ComputeFund,
    LoanHolding,
    TrancheHolding,
)
from computefin.products.fund.risk_scale import RISK_LEVELS, RiskScale, risk_level
from computefin.products.valuation import value_book
from computefin.risk import DefaultModel, StressScenario
from computefin.risk.grid import add_months, period_grid
from computefin.risk.projection import DISCOUNT_INDEX

__all__ = [
    "ASSET_CLASSES",
    "DEFAULT_HAIRCUTS",
    "GENERATIONS",
    "SUMMARY_FIELDS",
    "FundValuation",
    "accelerator_generation",
    "value_fund",
]

ASSET_CLASSES: Final = ("certificate", "abs_tranche", "loan")
"""Asset classes of the liquidity table (a holding's ``kind``)."""

DEFAULT_HAIRCUTS: Final[Mapping[str, float]] = {
    "abs_tranche": 0.10,
    "certificate": 0.15,
    "loan": 0.20,
}
"""Discount to fair value at which a holding is sold to meet redemptions, by asset class:
illustrative bank policy inputs (see ``docs/products/fund.md``), not market figures."""

_WINDOW_MONTHS: Final = 12
_DEFAULT_CORRELATION: Final = 0.2  # the asset correlation deal_scenarios draws with


@dataclass(frozen=True, eq=False)
class _Position:
    """One holding valued in its own currency: value, pathwise PVs ``(P,)`` at the
    valuation date, expected income over the next 12 months, exposure weights."""

    index: int
    key: str
    kind: str
    product_id: str
    currency: str
    held: float
    value: float
    paths: FloatArray
    income: float
    fleet: dict[str, float]
    generation: dict[str, float]
    counterparty: dict[str, float]


SUMMARY_FIELDS: tuple[str, ...] = (
    "fund_id", "currency", "valuation_date", "n_paths", "horizon_years",
    "units_outstanding", "cash", "liabilities", "holdings_value", "nav", "nav_per_unit",
    "income_12m", "fees_12m", "distributions_12m", "distribution_yield",
    "expected_return", "volatility", "loss_99", "risk_level", "risk_level_name",
    "redemption_share", "redemption_amount", "cash_available", "cash_buffer",
    "redemption_paid", "redemption_unmet", "liquidation_cost", "nav_per_unit_after",
    "top_fleet_share", "top_generation_share", "top_counterparty_share",
)  # fmt: skip
"""Columns of :meth:`FundValuation.to_frame`, in order."""


@dataclass(frozen=True, eq=False)
class FundValuation:
    """A fund's valuation. Money in ``currency`` (the fund's); rates and shares decimals.

    NAV: ``holdings_value`` (sum of the holdings' values at spot FX), ``nav`` =
    ``holdings_value + cash - liabilities``, ``nav_per_unit``. Scenarios (``n_paths`` >= 2,
    else NaN): ``nav_paths`` (per path, NAV at ``horizon_years`` with distributions kept),
    ``return_paths``, ``expected_return`` and ``volatility`` (annualised), ``loss_99``
    (99% loss over the horizon, share of NAV), ``risk_level`` (``"R1"``..``"R5"``, None
    without paths) and its name. Income: ``income_12m`` (expected holdings' income over
    the next 12 months), ``fees_12m``, ``distributions_12m``, ``distribution_yield``.
    Liquidity: a redemption of ``redemption_share`` of the units at NAV,
    ``redemption_amount``, ``cash_available`` (cash less liabilities), ``cash_buffer``
    (cash / NAV), ``redemption_paid``, ``redemption_unmet`` (left after selling every
    holding), ``liquidation_cost`` (haircuts), ``nav_per_unit_after`` (for the holders
    who stay). Tables: ``holdings``, ``liquidity`` (per asset class), ``concentration``
    (``fleet``, ``generation``, ``counterparty``: value and share of holdings).

    >>> from computefin.domain import demo_market, demo_portfolio
    >>> from computefin.products.fund import demo_fund
    >>> v = value_fund(demo_fund(), demo_market(), demo_portfolio())
    >>> v.holdings[["holding", "value"]].round(0)
                             holding       value
    0   certificate:nx-h20-cert-fund   5195876.0
    1  abs:abs-demo-gpu-lease-2026:B  30081292.0
    2              loan:gz-910b-loan  14455044.0
    >>> bool(abs(v.nav - (v.holdings["value"].sum() + 5e6 - 80e3)) < 1e-6)
    True
    """

    fund_id: str
    currency: str
    valuation_date: dt.date
    n_paths: int
    horizon_years: float
    units_outstanding: float
    cash: float
    liabilities: float
    holdings_value: float
    nav: float
    nav_per_unit: float
    income_12m: float
    fees_12m: float
    distributions_12m: float
    distribution_yield: float
    expected_return: float
    volatility: float
    loss_99: float
    risk_level: str | None
    risk_level_name: str | None
    redemption_share: float
    redemption_amount: float
    cash_available: float
    cash_buffer: float
    redemption_paid: float
    redemption_unmet: float
    liquidation_cost: float
    nav_per_unit_after: float
    top_fleet_share: float
    top_generation_share: float
    top_counterparty_share: float
    holdings: pd.DataFrame = field(repr=False)
    liquidity: pd.DataFrame = field(repr=False)
    concentration: dict[str, pd.DataFrame] = field(repr=False)
    nav_paths: FloatArray = field(repr=False)
    return_paths: FloatArray = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row, one column per figure (:data:`SUMMARY_FIELDS`).

        >>> list(SUMMARY_FIELDS[:4])
        ['fund_id', 'currency', 'valuation_date', 'n_paths']
        """
        return pd.DataFrame(
            [{k: getattr(self, k) for k in SUMMARY_FIELDS}], columns=list(SUMMARY_FIELDS)
        )


# -- exposures ------------------------------------------------------------------------------


def _add(into: dict[str, float], key: str, weight: float) -> None:
    into[key] = into.get(key, 0.0) + weight


def _normalised(weights: dict[str, float]) -> dict[str, float]:
    total = sum(weights.values())
    if total <= 0.0:
        return {"none": 1.0}
    return {k: v / total for k, v in weights.items()}


def _fleets_exposure(
    fleet_ids: Sequence[str], portfolio: Portfolio
) -> tuple[dict[str, float], dict[str, float]]:
    """Fleet and generation weights of ``fleet_ids`` by GPU count (equal if unknown)."""
    fleets: dict[str, float] = {}
    generations: dict[str, float] = {}
    known = {f.id: f for f in portfolio.fleets}
    for fleet_id in fleet_ids:
        fleet = known.get(fleet_id)
        if fleet is None:
            _add(fleets, fleet_id, 1.0)
            _add(generations, "unknown", 1.0)
            continue
        _add(fleets, fleet_id, float(fleet.gpus))
        for acc, gpus in fleet.gpus_by_accelerator().items():
            _add(generations, accelerator_generation(acc), float(gpus))
    return _normalised(fleets), _normalised(generations)


# -- holdings by product ---------------------------------------------------------------------


def _window(market: MarketSnapshot) -> tuple[np.datetime64, np.datetime64]:
    start = np.datetime64(market.as_of, "D")
    return start, np.datetime64(add_months(market.as_of, _WINDOW_MONTHS), "D")


def _certificates(
    items: Sequence[tuple[int, CertificateHolding]],
    market: MarketSnapshot,
    portfolio: Portfolio,
    scenarios: int | None,
    seed: int,
    stress: StressScenario | None,
) -> list[_Position]:
    out: list[_Position] = []
    lo, hi = _window(market)
    for i, h in items:
        cert = h.certificate
        v = value_certificate(
            cert, market, portfolio, scenarios, seed=seed, stress=stress, sensitivities=False
        )
        per_unit = h.quantity / cert.units
        s = v.schedule
        paid = s["payment_date"].to_numpy(dtype="datetime64[D]")
        within = (paid > lo) & (paid <= hi) & s["paid_after_valuation"].to_numpy(dtype=bool)
        coupons = s["expected_coupon"].to_numpy() * s["outstanding_probability"].to_numpy()
        fleet = portfolio.fleet(cert.fleet_id)
        fleets, generations = _fleets_exposure([fleet.id], portfolio)
        out.append(
            _Position(
                index=i,
                key=h.key,
                kind=h.kind,
                product_id=cert.id,
                currency=cert.currency.value,
                held=h.quantity,
                value=v.fair_value_per_unit * h.quantity,
                paths=(v.flows @ s["discount_factor"].to_numpy()) * per_unit,
                income=float(coupons[within].sum()) * per_unit,
                fleet=fleets,
                generation=generations,
                counterparty={fleet.owner_counterparty_id: 1.0},
            )
        )
    return out


def _pool_exposure(
    deal: AbsDeal, market: MarketSnapshot, portfolio: Portfolio
) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """Look-through weights of a deal's pool by asset balance at the cut-off."""
    balances = deal.pool.discounted_balance(market)
    weight = dict(zip(balances["asset_id"], balances["balance"].astype(float), strict=True))
    fleets: dict[str, float] = {}
    generations: dict[str, float] = {}
    parties: dict[str, float] = {}
    unassigned = f"pool:{deal.pool.id}"
    for lease in deal.pool.leases:
        w = weight.get(lease.id, 0.0)
        _add(fleets, unassigned, w)
        _add(generations, accelerator_generation(lease.accelerator_id), w)
        _add(parties, lease.lessee_counterparty_id, w)
    for held in deal.pool.loans:
        w = weight.get(held.loan.id, 0.0)
        f, g = _fleets_exposure(held.loan.collateral.fleet_ids or [unassigned], portfolio)
        for k, x in f.items():
            _add(fleets, k, w * x)
        for k, x in g.items():
            _add(generations, k if held.loan.collateral.fleet_ids else "unknown", w * x)
        _add(parties, held.loan.borrower_counterparty_id, w)
    for rec in deal.pool.receivables:
        w = weight.get(rec.id, 0.0)
        _add(fleets, unassigned, w)
        _add(generations, "none", w)
        _add(parties, rec.obligor_counterparty_id, w)
    return _normalised(fleets), _normalised(generations), _normalised(parties)


def _tranches(
    fund: ComputeFund,
    items: Sequence[tuple[int, TrancheHolding]],
    market: MarketSnapshot,
    portfolio: Portfolio,
    scenarios: int | None,
    seed: int,
    stress: StressScenario | None,
) -> list[_Position]:
    out: list[_Position] = []
    lo, hi = _window(market)
    by_deal: dict[str, list[tuple[int, TrancheHolding]]] = {}
    for i, h in items:
        by_deal.setdefault(h.deal_key, []).append((i, h))
    curves = _curves(market, stress) if items else {}
    for mine in by_deal.values():
        deal = fund.deal(mine[0][1])
        frame = value_deal(deal, market, portfolio, scenarios, seed=seed, stress=stress)
        pv = dict(zip(frame["tranche"], frame["pv"].to_numpy(dtype=np.float64), strict=True))
        result = run_deal(
            deal, market, portfolio, scenarios, seed=seed, stress=stress, curves=curves
        )
        ccy = deal.structure.currency
        index = DISCOUNT_INDEX.get(ccy)
        if index is None or index not in curves:  # value_deal has refused this already
            raise MarketDataError(f"no discount curve for {ccy.value} (deal {deal.id})")
        settle = np.datetime64(market.as_of, "D")
        pay = result.payment_dates.astype("datetime64[D]")
        within = (pay > lo) & (pay <= hi)
        fleets, generations, parties = _pool_exposure(deal, market, portfolio)
        for i, h in mine:
            tranche = next(t for t in deal.structure.tranches if t.name == h.tranche)
            share = h.face / tranche.balance
            cf = tranche_cashflows(result, h.tranche, settlement=settle)
            spread = deal.tranche_spreads.get(h.tranche, 0.0)
            paths = present_value(cf, curves[index], z_spread=spread)
            j = result.index(h.tranche)
            income = result.interest[j] if tranche.is_note else result.residual[j]
            out.append(
                _Position(
                    index=i,
                    key=h.key,
                    kind=h.kind,
                    product_id=f"{deal.id}:{h.tranche}",
                    currency=ccy.value,
                    held=h.face,
                    value=share * float(pv[h.tranche]),
                    paths=share * paths,
                    income=share * float(income[:, within].sum(axis=1).mean()),
                    fleet=fleets,
                    generation=generations,
                    counterparty=parties,
                )
            )
    return out


def _loans(
    items: Sequence[tuple[int, LoanHolding]],
    market: MarketSnapshot,
    portfolio: Portfolio,
    scenarios: int | None,
    seed: int,
    horizon: float,
    stress: StressScenario | None,
) -> list[_Position]:
    if not items:
        return []
    loans = [h.loan for _, h in items]
    frame = value_book(loans, portfolio, market, scenarios, seed=seed, stress=stress)
    pv = frame["pv"].to_numpy(dtype=np.float64)
    pd_1y = frame["pd_1y"].to_numpy(dtype=np.float64)
    loss = frame["lgd"].to_numpy(dtype=np.float64) * frame["ead"].to_numpy(dtype=np.float64)
    n_paths = 1 if scenarios is None else scenarios
    defaulted: dict[str, FloatArray] = {}
    if scenarios is not None:
        pds = {x.borrower_counterparty_id: float(q) for x, q in zip(loans, pd_1y, strict=True)}
        months = max(1, math.ceil(horizon * 12.0 - 1e-9))
        times = DefaultModel(asset_correlation=_DEFAULT_CORRELATION).simulate(
            pds, n_paths, period_grid(market.as_of, months), seed
        )
        defaulted = {
            cp: (t < horizon).astype(np.float64) for cp, t in times.default_time_years.items()
        }
    lo, hi = _window(market)
    out: list[_Position] = []
    for k, (i, h) in enumerate(items):
        loan = h.loan
        if scenarios is None:
            paths = np.array([pv[k]])
        else:
            q = 1.0 - (1.0 - pd_1y[k]) ** horizon
            paths = pv[k] + loss[k] * (q - defaulted[loan.borrower_counterparty_id])
        cf = loan.cashflows(market)
        pay = cf["pay_date"].to_numpy(dtype="datetime64[D]")
        within = (pay > lo) & (pay <= hi)
        income = cf.loc[within, ["interest", "commitment_fee", "upfront_fee"]].to_numpy().sum()
        fleets, generations = _fleets_exposure(loan.collateral.fleet_ids or ["none"], portfolio)
        out.append(
            _Position(
                index=i,
                key=h.key,
                kind=h.kind,
                product_id=loan.id,
                currency=loan.currency.value,
                held=h.share,
                value=h.share * float(pv[k]),
                paths=h.share * paths,
                income=h.share * float(income),
                fleet=fleets,
                generation=generations,
                counterparty={loan.borrower_counterparty_id: 1.0},
            )
        )
    return out


# -- fund figures ------------------------------------------------------------------------------


def _curves(market: MarketSnapshot, stress: StressScenario | None) -> dict[RateIndex, Curve]:
    """The snapshot's curves, moved in parallel by a stress's rate shift (as the products)."""
    curves = dict(build_curves(market))
    if stress is not None and stress.rate_shift_bp:
        shift = stress.rate_shift_bp / 10_000.0
        curves = {k: c.shifted(parallel=shift) for k, c in curves.items()}
    return curves


def _rates(fund: ComputeFund, market: MarketSnapshot) -> list[float]:
    """Spot FX from each holding's currency to the fund's (checked before any valuation)."""
    out: list[float] = []
    for i, h in enumerate(fund.holdings):
        if isinstance(h, TrancheHolding):
            ccy, where = fund.deal(h).structure.currency, "deal.structure.currency"
        elif isinstance(h, CertificateHolding):
            ccy, where = h.certificate.currency, "certificate.currency"
        else:
            ccy, where = h.loan.currency, "loan.currency"
        try:
            out.append(market.fx(ccy, fund.currency))
        except MarketDataError as exc:
            raise ValidationError(
                f"ComputeFund[{fund.id}].holdings[{i}].{where}",
                f"no FX rate to the fund currency {fund.currency.value} in the snapshot "
                f"of {market.as_of.isoformat()} ({exc})",
                ccy.value,
            ) from None
    return out


def _concentration(
    positions: Sequence[_Position], values: Sequence[float], dim: str
) -> pd.DataFrame:
    totals: dict[str, float] = {}
    for pos, value in zip(positions, values, strict=True):
        for label, weight in getattr(pos, dim).items():
            _add(totals, label, value * weight)
    frame = pd.DataFrame({dim: list(totals), "value": list(totals.values())})
    whole = float(frame["value"].sum())
    frame["share"] = frame["value"] / whole if whole else np.nan
    return frame.sort_values(["value", dim], ascending=[False, True], ignore_index=True)


def _liquidity(
    positions: Sequence[_Position],
    values: Sequence[float],
    available: float,
    redemption: float,
    haircuts: Mapping[str, float],
) -> pd.DataFrame:
    """Cash first, then asset classes by increasing haircut, each sold pro rata."""
    need = redemption
    from_cash = min(available, need)
    need -= from_cash
    rows = [{"asset_class": "cash", "haircut": 0.0, "value": available,
             "sold": from_cash, "proceeds": from_cash, "cost": 0.0}]  # fmt: skip
    order = sorted(ASSET_CLASSES, key=lambda k: (haircuts[k], ASSET_CLASSES.index(k)))
    for kind in order:
        value = sum(max(v, 0.0) for p, v in zip(positions, values, strict=True) if p.kind == kind)
        h = haircuts[kind]
        proceeds = min(need, value * (1.0 - h))
        sold = proceeds / (1.0 - h) if proceeds > 0.0 else 0.0
        need -= proceeds
        rows.append({"asset_class": kind, "haircut": h, "value": value, "sold": sold,
                     "proceeds": proceeds, "cost": sold - proceeds})  # fmt: skip
    return pd.DataFrame(rows)


def _check_options(
    scenarios: int | None, horizon_years: float, redemption_share: float,
    haircuts: Mapping[str, float] | None,
) -> dict[str, float]:  # fmt: skip
    if scenarios is not None and (
        isinstance(scenarios, bool) or not isinstance(scenarios, int) or scenarios < 1
    ):
        raise ValidationError("scenarios", "a number of paths >= 1, or None", scenarios)
    if not (isinstance(horizon_years, int | float) and 0.0 < horizon_years <= 30.0):
        raise ValidationError("horizon_years", "a number of years in (0, 30]", horizon_years)
    if not (isinstance(redemption_share, int | float) and 0.0 <= redemption_share < 1.0):
        raise ValidationError("redemption_share", "a decimal share in [0, 1)", redemption_share)
    used = dict(DEFAULT_HAIRCUTS)
    for kind, value in (haircuts or {}).items():
        if kind not in ASSET_CLASSES:
            raise ValidationError(
                f"haircuts.{kind}", f"unknown asset class; known: {', '.join(ASSET_CLASSES)}"
            )
        if not (isinstance(value, int | float) and 0.0 <= value < 1.0):
            raise ValidationError(f"haircuts.{kind}", "a decimal discount in [0, 1)", value)
        used[kind] = float(value)
    return used


def _top(frame: pd.DataFrame) -> float:
    return float(frame["share"].max()) if len(frame) else math.nan


def value_fund(
    fund: ComputeFund,
    market: MarketSnapshot,
    portfolio: Portfolio,
    scenarios: int | None = None,
    *,
    seed: int = 0,
    horizon_years: float = 1.0,
    redemption_share: float = 0.1,
    haircuts: Mapping[str, float] | None = None,
    risk_scale: RiskScale | None = None,
    stress: StressScenario | None = None,
) -> FundValuation:
    """Value a fund at ``market.as_of`` and, with ``scenarios`` paths, at a horizon.

    Holdings: each by its product's valuation (the same ``scenarios`` and ``seed``),
    converted at the snapshot's spot FX; NAV = holdings + cash - liabilities. Paths: each
    holding's pathwise PV (certificate and tranche cash flows along the path, discounted as
    the product discounts them; a loan's PV less its credit loss on the path, centred on
    the PV), carried to ``horizon_years`` on the fund currency's discount curve, less the
    management fee. ``redemption_share``: units redeemed in the liquidity scenario;
    ``haircuts``: sale discount by asset class (default :data:`DEFAULT_HAIRCUTS`);
    ``risk_scale``: the R1-R5 bounds (default :class:`RiskScale`). ``stress``: a
    :class:`~computefin.risk.StressScenario` passed to every product's valuation (its rate
    shift also moves the curve that carries the fund to the horizon).

    >>> from computefin.domain import demo_market, demo_portfolio
    >>> from computefin.products.fund import demo_fund
    >>> v = value_fund(demo_fund(), demo_market(), demo_portfolio(), 100, seed=1)
    >>> v.n_paths, v.nav_paths.shape, v.risk_level in RISK_LEVELS
    (100, (100,), True)
    >>> v.concentration["counterparty"]["share"].sum().round(12)
    np.float64(1.0)
    """
    used_haircuts = _check_options(scenarios, horizon_years, redemption_share, haircuts)
    all_rates = _rates(fund, market)
    horizon = float(horizon_years)
    certs = [(i, h) for i, h in enumerate(fund.holdings) if isinstance(h, CertificateHolding)]
    tranches = [(i, h) for i, h in enumerate(fund.holdings) if isinstance(h, TrancheHolding)]
    loans = [(i, h) for i, h in enumerate(fund.holdings) if isinstance(h, LoanHolding)]
    positions = [
        *_certificates(certs, market, portfolio, scenarios, seed, stress),
        *_tranches(fund, tranches, market, portfolio, scenarios, seed, stress),
        *_loans(loans, market, portfolio, scenarios, seed, horizon, stress),
    ]
    positions.sort(key=lambda p: p.index)
    rates = [all_rates[p.index] for p in positions]
    values = [p.value * r for p, r in zip(positions, rates, strict=True)]
    holdings_value = float(sum(values))
    nav = holdings_value + fund.cash - fund.liabilities
    n_paths = 1 if scenarios is None else scenarios

    gross = np.full(n_paths, fund.cash - fund.liabilities)
    for p, r in zip(positions, rates, strict=True):
        gross = gross + p.paths * r
    expected_return = volatility = loss_99 = math.nan
    level: str | None = None
    nav_paths = gross.copy()
    returns = np.full(n_paths, math.nan)
    if n_paths >= 2:
        index = DISCOUNT_INDEX.get(fund.currency)
        curves = _curves(market, stress)
        if index is None or index not in curves:
            raise MarketDataError(
                f"no discount curve for {fund.currency.value} to carry fund {fund.id} to "
                "the horizon"
            )
        curve = curves[index]
        today = np.datetime64(market.as_of, "D")
        end = today + np.timedelta64(round(365.0 * horizon), "D")
        growth = curve.discount(today) / curve.discount(end)
        nav_paths = gross * growth * (1.0 - fund.management_fee_rate * horizon)
        if nav > 0.0:
            returns = nav_paths / nav - 1.0
            expected_return = float(returns.mean()) / horizon
            volatility = float(returns.std(ddof=1)) / math.sqrt(horizon)
            loss_99 = max(0.0, -float(np.quantile(returns, 0.01)))
            level = risk_level(volatility, loss_99, risk_scale)

    income = float(sum(p.income * r for p, r in zip(positions, rates, strict=True)))
    fees = fund.management_fee_rate * nav
    distributions = max(income - fees, 0.0)
    redemption = redemption_share * nav
    available = max(fund.cash - fund.liabilities, 0.0)
    liquidity = _liquidity(positions, values, available, redemption, used_haircuts)
    paid = float(liquidity["proceeds"].sum())
    cost = float(liquidity["cost"].sum())
    per_unit = nav / fund.units_outstanding
    units_left = fund.units_outstanding - (paid / per_unit if per_unit > 0 else 0.0)

    holdings = pd.DataFrame(
        {
            "holding": [p.key for p in positions],
            "kind": [p.kind for p in positions],
            "product_id": [p.product_id for p in positions],
            "held": [p.held for p in positions],
            "local_currency": [p.currency for p in positions],
            "value_local": [p.value for p in positions],
            "fx": rates,
            "value": values,
            "share_of_nav": [v / nav if nav else math.nan for v in values],
            "income_12m": [p.income * r for p, r in zip(positions, rates, strict=True)],
        }
    )
    concentration = {
        dim: _concentration(positions, values, dim)
        for dim in ("fleet", "generation", "counterparty")
    }
    return FundValuation(
        fund_id=fund.id,
        currency=fund.currency.value,
        valuation_date=market.as_of,
        n_paths=n_paths,
        horizon_years=horizon,
        units_outstanding=fund.units_outstanding,
        cash=fund.cash,
        liabilities=fund.liabilities,
        holdings_value=holdings_value,
        nav=nav,
        nav_per_unit=per_unit,
        income_12m=income,
        fees_12m=fees,
        distributions_12m=distributions,
        distribution_yield=distributions / nav if nav > 0 else math.nan,
        expected_return=expected_return,
        volatility=volatility,
        loss_99=loss_99,
        risk_level=level,
        risk_level_name=None if level is None else RISK_LEVELS[level],
        redemption_share=float(redemption_share),
        redemption_amount=redemption,
        cash_available=available,
        cash_buffer=fund.cash / nav if nav > 0 else math.nan,
        redemption_paid=paid,
        redemption_unmet=redemption - paid,
        liquidation_cost=cost,
        nav_per_unit_after=(nav - paid - cost) / units_left if units_left > 0 else math.nan,
        top_fleet_share=_top(concentration["fleet"]),
        top_generation_share=_top(concentration["generation"]),
        top_counterparty_share=_top(concentration["counterparty"]),
        holdings=holdings,
        liquidity=liquidity,
        concentration=concentration,
        nav_paths=nav_paths,
        return_paths=returns,
    )
