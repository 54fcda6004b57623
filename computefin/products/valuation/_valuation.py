"""``value_loan`` and ``value_book``: a loan's value, risk, coverage, credit and capital.

See ``docs/products/loan-valuation.md`` for every definition and choice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from computefin._typing import FloatArray
from computefin.domain import MarketSnapshot, Portfolio, RateIndex
from computefin.errors import ComputefinError, ValidationError
from computefin.pricing import CashflowMatrix, Curve, MarketCalendar, build_curves, solve_monotone
from computefin.products.loan import CollateralLoan, LoanBook
from computefin.products.valuation._collateral import (
    PortfolioIndex,
    book_collateral_figures,
    project_fleets,
    stack,
)
from computefin.products.valuation._credit import credit_figures
from computefin.products.valuation._pricing import (
    PricingContext,
    book_flows,
    discount_curves,
    price_book,
)
from computefin.risk import StressScenario
from computefin.risk.projection import FleetProjection

__all__ = ["LoanValuation", "value_book", "value_loan"]


@dataclass(frozen=True)
class LoanValuation:
    """One loan's valuation. Money in ``currency``; rates, spreads, shares decimals.

    Dates: ``valuation_date`` (the snapshot's ``as_of``), ``settlement`` (the later of it
    and the loan's adjusted start: the date ``price``, the yield, durations and WAL refer
    to). Value: ``pv`` (dirty, at the valuation date, every flow after it: draws negative,
    fees, interest, principal; discount curve plus ``credit_spread``), ``price`` /
    ``clean_price`` / ``accrued`` (at settlement), ``outstanding`` (principal owed just
    after settlement). Measures at settlement: ``yield_to_maturity`` (compounded at the
    loan's frequency in its day count), ``z_spread`` (continuous ACT/365F over the
    discount curve), ``wal``, ``macaulay_duration``, ``modified_duration`` (years),
    ``convexity`` (years squared). Risk at the valuation date, currency per bp:
    ``dv01`` (all curves, projection included, -1bp minus +1bp over 2), ``cs01``.
    Margins: ``contract_margin`` and ``fair_margin`` are spreads over the index
    (floating) or over ``par_rate`` (fixed: the coupon pricing the loan at par on the
    risk-free discount curve); ``fair_rate`` the fair fixed coupon. Coverage: ``ltv``,
    ``worst_dscr`` (a multiple), ``breach_probability``, ``collateral_value``. Credit:
    ``pd_1y``, ``lgd``, ``credit_spread``, ``ead``, ``el``, ``stage``, ``ecl``,
    ``ecl_12m``, ``ecl_lifetime``. Capital: ``slotting_category``, ``rwa`` (slotting:
    the default regulatory figure), ``firb_lgd``, ``rwa_firb``.
    """

    id: str
    currency: str
    valuation_date: dt.date
    settlement: dt.date
    is_floating: bool
    pv: float
    price: float
    clean_price: float
    accrued: float
    outstanding: float
    yield_to_maturity: float
    z_spread: float
    wal: float
    macaulay_duration: float
    modified_duration: float
    convexity: float
    dv01: float
    cs01: float
    contract_margin: float
    fair_margin: float
    fair_rate: float
    par_rate: float
    ltv: float
    worst_dscr: float
    breach_probability: float
    collateral_value: float
    pd_1y: float
    lgd: float
    credit_spread: float
    ead: float
    el: float
    stage: int
    ecl: float
    ecl_12m: float
    ecl_lifetime: float
    slotting_category: str
    rwa: float
    firb_lgd: float
    rwa_firb: float

    def to_frame(self) -> pd.DataFrame:
        """One row, one column per field (the layout of :func:`value_book`)."""
        return pd.DataFrame([dataclasses.asdict(self)], columns=list(FIELDS))

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> LoanValuation:
        """From a :func:`value_book` row (plain Python types)."""
        values: dict[str, Any] = {}
        for name, info in cls.__dataclass_fields__.items():
            raw = row[name]
            kind = info.type
            if kind == "float":
                values[name] = float(raw)
            elif kind == "int":
                values[name] = int(raw)
            elif kind == "bool":
                values[name] = bool(raw)
            elif kind == "dt.date":
                values[name] = pd.Timestamp(raw).date()
            else:
                values[name] = str(raw)
        return cls(**values)


FIELDS: tuple[str, ...] = tuple(LoanValuation.__dataclass_fields__)


def _resolve(loan: CollateralLoan, portfolio: Portfolio | PortfolioIndex) -> None:
    checks: list[tuple[str, str, Callable[[str], object]]] = [
        ("borrower_counterparty_id", loan.borrower_counterparty_id, portfolio.counterparty)
    ]
    checks += [("collateral.fleet_ids", f, portfolio.fleet) for f in loan.collateral.fleet_ids]
    for field, wanted, find in checks:
        try:
            find(wanted)
        except ValidationError:
            raise ValidationError(
                f"CollateralLoan[{loan.id}].{field}", "not in the portfolio", wanted
            ) from None


def _years(days: npt.NDArray[np.int64]) -> FloatArray:
    return np.maximum(days, 0).astype(np.float64) / 365.0


def _value(
    loans: Sequence[CollateralLoan],
    portfolio: Portfolio,
    market: MarketSnapshot,
    scenarios: int | None,
    options: Mapping[str, Any],
) -> pd.DataFrame:
    """The vectorised valuation of ``loans`` (raises on the first problem)."""
    if not loans:
        return pd.DataFrame({name: [] for name in FIELDS}, columns=list(FIELDS))
    cache = _Cache(options["cache"], portfolio, market, scenarios, options)
    index = cache.index
    for loan in loans:
        _resolve(loan, index)
    book = LoanBook(loans)
    cols = book.columns
    curves = dict(options["curves"] or build_curves(market))
    discount = discount_curves(cols.currency, curves, options["discount_curves"])
    stress: StressScenario | None = options["stress"]
    if stress is not None and stress.rate_shift_bp:
        shift = stress.rate_shift_bp / 10_000.0
        curves = {k: c.shifted(parallel=shift) for k, c in curves.items()}
        discount = {k: c.shifted(parallel=shift) for k, c in discount.items()}
    ctx = PricingContext(
        market=market,
        curves=curves,
        discount=discount,
        calendars=options["calendars"],
    )
    cf, flows = book_flows(cols, ctx)
    mx = flows.matrix
    as_of = np.datetime64(market.as_of, "D").astype(np.int64)
    pay = np.where(mx.alive, mx.pay_dates.astype(np.int64), as_of)
    after = mx.alive & (pay > flows.settlement.astype(np.int64)[:, None])
    for i in np.flatnonzero(~after.any(axis=1)).tolist():
        raise ValidationError(
            f"CollateralLoan[{loans[i].id}].maturity",
            f"nothing left to pay after the valuation date {market.as_of}",
            loans[i].maturity.isoformat(),
        )
    later = mx.alive & (pay > as_of)
    principal = mx.principal if mx.principal is not None else np.zeros(mx.amounts.shape)
    ead = np.where(later, principal, 0.0).sum(axis=1)
    rows = np.arange(len(loans))
    last = cf.pay_date[rows, cf.n_periods - 1]
    last_days = [dt.date.fromisoformat(str(d)) for d in last.tolist()]
    projections = project_fleets(
        loans,
        last_days,
        portfolio,
        market,
        scenarios,
        int(options["seed"]),
        stress,
        default_horizon_years=float(options["default_horizon_years"]),
        index=index,
        reuse=cache.projections,
    )
    figures = stack(
        book_collateral_figures(
            loans,
            cf,
            ead,
            portfolio,
            market,
            projections,
            default_horizon_years=float(options["default_horizon_years"]),
            downturn_quantile=float(options["downturn_quantile"]),
            index=index,
        )
    )
    cache.keep(projections, loans[-1].collateral.fleet_ids)
    pd_1y = np.asarray(
        [market.pd_for(index.counterparty(x.borrower_counterparty_id)) for x in loans],
        dtype=np.float64,
    )
    ahead = cf.alive & (cf.pay_date.astype(np.int64) > as_of)
    first = np.argmax(ahead, axis=1)
    stage_opt = options["stage"]
    stage = np.asarray(
        [stage_opt.get(x.id, 1) if isinstance(stage_opt, Mapping) else stage_opt for x in loans],
        dtype=np.int64,
    )
    cats = options["slotting_categories"]
    category = (
        None
        if cats is None
        else np.asarray([str(cats.get(x.id, "satisfactory")) for x in loans], dtype=str)
    )
    positive = later & (mx.amounts > 0.0)
    t_pay = _years(pay - as_of)
    weight = np.where(positive, mx.amounts, 0.0)
    credit = credit_figures(
        pd_1y=pd_1y,
        ead=ead,
        collateral=figures,
        liquidation_haircut=options["liquidation_haircut"],
        recovery_costs_share=float(options["recovery_costs_share"]),
        contract_recovery_share=float(options["contract_recovery_share"]),
        balances=np.where(ahead, cf.opening_balance + cf.draw, 0.0),
        alive=ahead,
        period_start=_years(cf.accrual_start.astype(np.int64) - as_of),
        period_end=_years(cf.pay_date.astype(np.int64) - as_of),
        eir=effective_interest_rates(mx, [x.id for x in loans], cf.rate[rows, first]),
        stage=stage,
        effective_maturity=(weight * t_pay).sum(axis=1) / weight.sum(axis=1),
        remaining_maturity=_years(last.astype(np.int64) - as_of),
        category=category,
    )
    given = options["prices"]
    price = (
        None
        if not given
        else np.asarray([given.get(x.id, math.nan) for x in loans], dtype=np.float64)
    )
    spread = np.asarray(credit["credit_spread"], dtype=np.float64)
    pricing = price_book(cols, flows, ctx, spread, price)
    data: dict[str, Any] = {
        "id": list(cols.ids),
        "currency": list(cols.currency),
        "valuation_date": [market.as_of] * len(loans),
        "settlement": [dt.date.fromisoformat(str(d)) for d in flows.settlement.tolist()],
        "is_floating": cols.is_floating,
        "collateral_value": figures["value_now"],
        "ltv": figures["ltv"],
        "worst_dscr": figures["worst_dscr"],
        "breach_probability": figures["breach_probability"],
    }
    data.update(pricing)
    data.update({k: v for k, v in credit.items() if k in FIELDS})
    return pd.DataFrame(data, columns=list(FIELDS))


class _Cache:
    """What a caller's ``cache`` mapping keeps between :func:`value_book` calls.

    The portfolio's :class:`PortfolioIndex`, and the most recently used fleet projections
    up to :data:`CACHE_BYTES` (a batch that orders loans by fleet continues with the last
    fleet of a chunk in the next one, and a borrower's other fleets are near). Everything
    is dropped when the portfolio or market object, the paths, the seed, the stress or
    the default horizon change. The figures are the same with or without a cache.
    """

    def __init__(
        self,
        store: MutableMapping[str, Any] | None,
        portfolio: Portfolio,
        market: MarketSnapshot,
        scenarios: int | None,
        options: Mapping[str, Any],
    ) -> None:
        stress = options["stress"]
        key = (
            scenarios,
            int(options["seed"]),
            None if stress is None else stress.model_dump_json(),
            float(options["default_horizon_years"]),
        )
        self.store = store
        held = {} if store is None else store
        if held.get("portfolio") is not portfolio or held.get("market") is not market:
            held.clear()
            held["portfolio"], held["market"] = portfolio, market
            held["index"] = PortfolioIndex(portfolio)
        if held.get("key") != key:
            held["key"] = key
            held["projections"] = {}
        self.index: PortfolioIndex = held["index"]
        self.projections: dict[str, FleetProjection] = held["projections"]

    def keep(self, projections: Mapping[str, FleetProjection], last: Sequence[str]) -> None:
        """Hold on to recently used projections (the fleets of ``last`` most recently)."""
        if self.store is None:
            return
        held = self.projections
        for fleet_id in [*projections, *last]:  # most recently used last
            if fleet_id in projections:
                held.pop(fleet_id, None)
                held[fleet_id] = projections[fleet_id]
        total = sum(_nbytes(p) for p in held.values())
        for fleet_id in list(held):
            if total <= CACHE_BYTES:
                break
            total -= _nbytes(held.pop(fleet_id))


CACHE_BYTES = 256 * 2**20
"""Bytes of fleet projections a :func:`value_book` cache holds at most (256 MiB)."""


def _nbytes(projection: FleetProjection) -> int:
    return sum(int(v.nbytes) for v in projection.lines.values())


def effective_interest_rates(
    mx: CashflowMatrix, ids: Sequence[str], guess: npt.ArrayLike
) -> FloatArray:
    """Each loan's effective interest rate (IFRS 9 / CAS 22), annual effective, decimal.

    The rate that discounts every contractual flow since origination - draws (negative),
    the upfront and commitment fees, interest (floating: the fixings and the projected
    rates), principal - to zero, ``sum_k a_k (1 + r)^(-t_k) = 0`` with ``t_k`` in
    ACT/365F years from the first flow: fees integral to the loan raise it above the
    coupon (IFRS 9 B5.4.1-B5.4.3). Annual effective, as
    :func:`~computefin.risk.credit_ecl.expected_credit_loss` discounts with
    ``(1 + eir)^(-t)``. ``guess``: a starting point per loan (the coupon).

    >>> import numpy as np
    >>> mx = CashflowMatrix(ids=["a"], pay_dates=np.array([["2026-01-01", "2027-01-01",
    ...     "2028-01-01"]], dtype="datetime64[D]"), amounts=np.array([[-99.0, 5.0, 105.0]]),
    ...     alive=np.ones((1, 3), dtype=bool), settlement="2025-12-31", frequency=1,
    ...     day_count="ACT/365F")
    >>> r = float(effective_interest_rates(mx, ["a"], [0.05])[0])  # above 5%: the fee
    >>> x = (-5.0 + (25.0 + 4 * 105.0 * 99.0) ** 0.5) / 210.0  # 105x^2 + 5x - 99 = 0
    >>> round(r, 12) == round(1.0 / x - 1.0, 12), round(r, 6)
    (True, 0.055419)
    """
    days = mx.pay_dates.astype("datetime64[D]").astype(np.int64)
    start = np.where(mx.alive, days, np.iinfo(np.int64).max).min(axis=1)
    tau = np.where(mx.alive, (days - start[:, None]) / 365.0, 0.0)
    amounts = np.where(mx.alive, mx.amounts, 0.0)

    def value_and_slope(
        x: FloatArray, rows: npt.NDArray[np.int64]
    ) -> tuple[FloatArray, FloatArray]:
        growth = np.power(1.0 + x[:, None], -tau[rows])
        flows = amounts[rows] * growth
        return flows.sum(axis=1), (-tau[rows] * flows).sum(axis=1) / (1.0 + x)

    return solve_monotone(
        lambda x, rows: value_and_slope(x, rows)[0],
        -0.9,
        5.0,
        f_and_derivative=value_and_slope,
        x0=np.clip(np.asarray(guess, dtype=np.float64), -0.5, 4.0),
        size=len(ids),
        ids=ids,
        name="effective interest rate",
    )


def _options(**given: Any) -> dict[str, Any]:
    if given["errors"] not in ("raise", "collect"):
        raise ValidationError("errors", "must be 'raise' or 'collect'", given["errors"])
    if given["scenarios"] is not None and (
        isinstance(given["scenarios"], bool)
        or not isinstance(given["scenarios"], int)
        or given["scenarios"] < 1
    ):
        raise ValidationError("scenarios", "a number of paths >= 1, or None", given["scenarios"])
    return given


def value_book(
    book: LoanBook | Sequence[CollateralLoan],
    portfolio: Portfolio,
    market: MarketSnapshot,
    scenarios: int | None = None,
    *,
    seed: int = 0,
    prices: Mapping[str, float] | None = None,
    curves: Mapping[RateIndex, Curve] | None = None,
    discount_curves: Mapping[str, Curve] | None = None,
    calendars: Mapping[str, MarketCalendar] | None = None,
    liquidation_haircut: float | str = "auction",
    recovery_costs_share: float = 0.05,
    contract_recovery_share: float = 0.5,
    default_horizon_years: float = 1.0,
    downturn_quantile: float = 0.05,
    stage: int | Mapping[str, int] = 1,
    slotting_categories: Mapping[str, str] | None = None,
    stress: StressScenario | None = None,
    errors: Literal["raise", "collect"] = "raise",
    cache: MutableMapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Value every loan of a book: one row per loan, the columns of :class:`LoanValuation`.

    ``scenarios``: None for the expected fleet projections, or a number of paths simulated
    per fleet with ``seed``. ``prices``: dirty prices at settlement by loan id (currency)
    for the yield and z-spread (default: the model price). ``curves`` replace the
    snapshot's curves, ``discount_curves`` the discount curve of a currency (``{"CNY":
    curve}``). ``stress``: a :class:`~computefin.risk.StressScenario` applied to every
    pledged fleet's projection inputs (prices, successor timing, utilization, power,
    forced default, rate shift), its rate shift also moving every curve in parallel for
    pricing. The other options are documented in ``docs/products/loan-valuation.md``.
    ``errors="collect"``: loans that fail get a row of NaN and the message in an ``error``
    column (None on good rows); ``"raise"``: the first problem raises. ``cache``: an
    empty dict the caller keeps and passes to every call on the same portfolio and
    market (a batch job's chunks): it holds the portfolio's id index and the last
    chunk's boundary fleet projections, so they are not rebuilt; figures are the same
    with or without it.

    >>> import datetime as dt
    >>> from computefin.domain import demo_market, demo_portfolio
    >>> loan = CollateralLoan(id="dal-1", borrower_counterparty_id="us-neocloud",
    ...     principal=12e6, currency="USD", start=dt.date(2026, 12, 15),
    ...     maturity=dt.date(2028, 12, 15), frequency="quarterly", amortization="straight",
    ...     index="SOFR", margin=0.045, collateral={"fleet_ids": ["fleet-dal-h100"]},
    ...     covenants={"max_ltv": 0.8, "min_dscr": 1.2})
    >>> frame = value_book([loan], demo_portfolio(), demo_market())
    >>> frame[["ltv", "worst_dscr", "breach_probability", "lgd", "fair_margin"]].round(4)
          ltv  worst_dscr  breach_probability     lgd  fair_margin
    0  0.5276      2.0883                 0.0  0.3338       0.0064
    >>> frame.slotting_category.iloc[0], float(frame.rwa.iloc[0])  # 70% x 12m
    ('good', 8400000.0)
    """
    opts = _options(
        seed=seed,
        prices=prices,
        curves=curves,
        discount_curves=discount_curves,
        calendars=calendars,
        liquidation_haircut=liquidation_haircut,
        recovery_costs_share=recovery_costs_share,
        contract_recovery_share=contract_recovery_share,
        default_horizon_years=default_horizon_years,
        downturn_quantile=downturn_quantile,
        stage=stage,
        slotting_categories=slotting_categories,
        stress=stress,
        errors=errors,
        scenarios=scenarios,
        cache=cache,
    )
    loans = list(book.loans if isinstance(book, LoanBook) else LoanBook(book).loans)
    if errors == "raise":
        return _value(loans, portfolio, market, scenarios, opts)
    try:
        frame = _value(loans, portfolio, market, scenarios, opts)
        frame["error"] = None
        return frame
    except ComputefinError:
        pass
    failed: dict[str, str] = {}
    for loan in loans:  # slow path: find the loans that fail, one by one
        try:
            _value([loan], portfolio, market, scenarios, opts)
        except ComputefinError as exc:
            message = str(exc)
            tag = f"CollateralLoan[{loan.id}]"
            failed[loan.id] = message if tag in message else f"{tag}: {message}"
    good = [loan for loan in loans if loan.id not in failed]
    done = _value(good, portfolio, market, scenarios, opts) if good else None
    rows = {} if done is None else {r["id"]: r for r in done.to_dict("records")}
    records = [
        {**rows[x.id], "error": None}
        if x.id in rows
        else {"id": x.id, "currency": x.currency.value, "error": failed[x.id]}
        for x in loans
    ]
    return pd.DataFrame(records, columns=[*FIELDS, "error"])


def value_loan(
    loan: CollateralLoan,
    portfolio: Portfolio,
    market: MarketSnapshot,
    scenarios: int | None = None,
    *,
    price: float | None = None,
    **options: Any,
) -> LoanValuation:
    """Value one loan: :func:`value_book` on a book of one, as a :class:`LoanValuation`.

    ``price`` is the dirty price at settlement for the yield and z-spread (default: the
    model price); ``options`` as :func:`value_book` (``errors`` is always ``"raise"``).

    >>> import datetime as dt
    >>> from computefin.domain import demo_market, demo_portfolio
    >>> loan = CollateralLoan(id="fx-1", borrower_counterparty_id="us-neocloud",
    ...     principal=10e6, currency="USD", start=dt.date(2027, 1, 15),
    ...     maturity=dt.date(2030, 1, 15), frequency="quarterly", amortization="straight",
    ...     fixed_rate=0.09)
    >>> v = value_loan(loan, demo_portfolio(), demo_market())
    >>> v.settlement, v.outstanding, round(v.fair_margin - v.credit_spread, 3)
    (datetime.date(2027, 1, 15), 10000000.0, 0.0)
    """
    prices = None if price is None else {loan.id: float(price)}
    frame = value_book([loan], portfolio, market, scenarios, prices=prices, **options)
    return LoanValuation.from_row({str(k): v for k, v in frame.iloc[0].items()})
