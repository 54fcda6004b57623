"""Loan book valuation: PV, yield, WAL and duration of a large book against a QuantLib loop.

A reproducible book (numpy seed) of ``n`` five-year monthly loans (60 periods), half fixed
and half floating (SOFR in USD, SHIBOR3M or LPR1Y in CNY), amortizing level, straight,
bullet or balloon, principal 1m-500m, starting over the twelve months after the demo
market's ``as_of`` (2026-11-27). Each loan is valued at its start date (its settlement):

* dirty PV on its currency's curve (USD on SOFR, CNY on FR007);
* the yield that reprices it at that PV (monthly compounding, the loan's day count);
* WAL (ACT/365F years) and modified duration at that yield.

The vectorised path builds the book chunk by chunk (``chunk`` loans) from numpy columns
with :meth:`LoanBook.from_columns` (array validation, no model per loan; timed apart as
*construction*), then per chunk :func:`book_measures` (timed as *valuation*): one
compiled pass per loan from its terms to PV, yield, WAL and duration, without writing
the cash flows. ``--staged`` times the staged path instead: ``LoanBook.cashflows`` ->
``CashflowMatrix.from_trusted`` per currency (the kernel's arrays, not re-validated) ->
``bond_measures``; by default the other path is timed too, in a second pass over the
same book, and both are reported (``--no-compare`` skips it); ``--separate`` times the
validating ``CashflowMatrix`` and ``present_value``, ``yield_from_price``,
``weighted_average_life``, ``modified_duration`` one by one. Only one chunk's
arrays are alive at a time, which bounds the memory. Before timing, the first 2,000
loans built from columns are checked equal to the validated models :func:`build_loans`
makes one by one, and both analytics paths are checked to give the same figures.

The reference, in the same process, is the per-loan QuantLib loop on a sample of fixed
loans of the same book: ``ql.Schedule`` + ``ql.AmortizingFixedRateBond`` (notionals from
the loan's balance schedule, computed outside the timed loop) +
``ql.DiscountingBondEngine`` on the same curve + ``BondFunctions.bondYield`` /
``duration``, best of 5. QuantLib has no WAL: the loop summing it over the bond's
redemptions is timed and shown too, but the ratio is taken against the loop without it
(the faster reference). Before the ratio is reported the sample's figures from both
paths (WAL included) are held to each other (tolerances in :data:`TOLERANCES`), and so
are those of a sample of floating loans priced in QuantLib as amortizing bonds paying
the kernel's projected coupons.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import pstats
import resource
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import QuantLib as ql

from benchmarks._harness import Timing, measure
from computefin.domain import demo_market
from computefin.domain.market import MarketSnapshot, RateIndex
from computefin.pricing import (
    Curve,
    _fused as pricing_kernels,
    _parallel as kernel_threads,
    build_curves,
    calendar,
)
from computefin.pricing.analytics import (
    CashflowMatrix,
    bond_measures,
    modified_duration,
    present_value,
    weighted_average_life,
    yield_from_price,
)
from computefin.products.loan import (
    CollateralLoan,
    LoanBook,
    LoanCashflows,
    _fused as loan_kernels,
    book_measures,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

AS_OF: Final[dt.date] = dt.date(2026, 11, 27)
FIRST_START: Final[int] = 7  # days after as_of: the demo snapshot's last fixings are 11-26
START_SPREAD: Final[int] = 365  # starts spread over a year: about 730 schedule shapes
YEARS: Final[int] = 5
PERIODS: Final[int] = 12 * YEARS
CHUNK: Final[int] = 50_000

CURRENCIES: Final[tuple[str, ...]] = ("USD", "CNY")
DISCOUNT_CURVE: Final[dict[str, RateIndex]] = {"USD": RateIndex.SOFR, "CNY": RateIndex.FR007}
AMORTIZATIONS: Final[tuple[str, ...]] = ("level", "straight", "bullet", "balloon")
DAY_COUNTS: Final[tuple[str, ...]] = ("ACT/360", "ACT/365F")
WAL_DAY_COUNT: Final[str] = "ACT/365F"
YIELD_FREQUENCY: Final[int] = 12  # monthly compounding, the loans' payment frequency

TOLERANCES: Final[dict[str, tuple[str, float]]] = {
    "pv": ("rel", 1e-12),
    "yield": ("abs", 1e-10),
    "duration": ("rel", 1e-10),
    "wal": ("abs", 1e-12),
}
"""How close the vectorised figures must be to QuantLib's on the sample (QuantLib's own
yield accuracy is 1e-10, its default)."""

_QL_DAY_COUNT: Final[dict[str, Any]] = {
    "ACT/360": ql.Actual360(),
    "ACT/365F": ql.Actual365Fixed(),
}


# -- the book -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BookTerms:
    """The terms of ``n`` loans as arrays (drawn once from the seed), rows = loans."""

    currency: IntArray  # index into CURRENCIES
    start_offset: IntArray  # days after AS_OF
    principal: FloatArray
    amortization: IntArray  # index into AMORTIZATIONS
    balloon_share: FloatArray
    floating: npt.NDArray[np.bool_]
    index: npt.NDArray[np.str_]  # "" for fixed loans
    fixed_rate: FloatArray
    margin: FloatArray
    floor_on_index: npt.NDArray[np.bool_]  # SOFR loans with a 0% floor on the index
    day_count: IntArray  # index into DAY_COUNTS

    def __len__(self) -> int:
        return int(self.currency.size)

    @property
    def start(self) -> npt.NDArray[np.datetime64]:
        """Start dates (each loan's settlement) as ``datetime64[D]``."""
        return np.datetime64(AS_OF, "D") + self.start_offset.astype("timedelta64[D]")


def draw_terms(n: int, seed: int = 20261127) -> BookTerms:
    """``n`` loans' terms, reproducible from ``seed``: half fixed, half floating.

    >>> t = draw_terms(1000)
    >>> len(t), int(t.floating.sum()), sorted(set(t.index.tolist()))
    (1000, 500, ['', 'LPR1Y', 'SHIBOR3M', 'SOFR'])
    """
    rng = np.random.default_rng(seed)
    currency = rng.integers(0, len(CURRENCIES), n)
    usd = currency == CURRENCIES.index("USD")
    floating = rng.permutation(n) < n // 2  # exactly half floating
    cny_index = np.where(rng.random(n) < 0.5, "SHIBOR3M", "LPR1Y")
    index = np.where(floating, np.where(usd, "SOFR", cny_index), "")
    # fixed: USD 5-10%, CNY 2.5-6%; margins: SOFR 150-600bp, SHIBOR 50-300bp, LPR -50..150bp
    fixed = np.where(usd, rng.uniform(0.05, 0.10, n), rng.uniform(0.025, 0.06, n))
    lo = np.select([index == "SOFR", index == "SHIBOR3M"], [0.015, 0.005], -0.005)
    hi = np.select([index == "SOFR", index == "SHIBOR3M"], [0.06, 0.03], 0.015)
    margin = lo + (hi - lo) * rng.random(n)
    amortization = rng.integers(0, len(AMORTIZATIONS), n)
    return BookTerms(
        currency=currency,
        start_offset=FIRST_START + rng.integers(0, START_SPREAD, n),
        principal=np.round(np.exp(rng.uniform(np.log(1e6), np.log(5e8), n)), -2).astype(np.float64),
        amortization=amortization,
        balloon_share=np.round(rng.uniform(0.1, 0.5, n), 2),
        floating=floating,
        index=index,
        fixed_rate=np.where(floating, 0.0, np.round(fixed, 4)),
        margin=np.where(floating, np.round(margin, 4), 0.0),
        floor_on_index=(index == "SOFR") & (rng.random(n) < 0.5),
        day_count=np.where(usd, 0, rng.integers(0, len(DAY_COUNTS), n)),
    )


def term_columns(terms: BookTerms, rows: IntArray) -> dict[str, Any]:
    """The terms of the loans ``rows`` as columns for :meth:`LoanBook.from_columns` (the
    same loans as :func:`build_loans`, without a model per loan)."""
    start = terms.start[rows]
    years = start.astype("datetime64[Y]")
    month_day = start - start.astype("datetime64[M]")
    leap_day = (start.astype("datetime64[M]") - years).astype(np.int64) == 1
    leap_day &= month_day.astype(np.int64) == 28
    maturity = (start.astype("datetime64[M]") + np.timedelta64(12 * YEARS, "M")).astype(
        "datetime64[D]"
    ) + np.where(leap_day, 27, month_day.astype(np.int64)).astype("timedelta64[D]")
    floating = terms.floating[rows]
    amortization = np.asarray(AMORTIZATIONS, dtype=object)[terms.amortization[rows]]
    floor_on_index = terms.floor_on_index[rows]
    return {
        "id": np.char.add("loan-", np.char.zfill(rows.astype(str), 7)).astype(object),
        "borrower_counterparty_id": np.char.add(
            "borrower-", np.char.zfill((rows % 997).astype(str), 3)
        ).astype(object),
        "principal": terms.principal[rows],
        "currency": np.asarray(CURRENCIES, dtype=object)[terms.currency[rows]],
        "start": start,
        "maturity": maturity,
        "frequency": np.full(rows.size, "monthly", dtype=object),
        "amortization": amortization,
        "day_count": np.asarray(DAY_COUNTS, dtype=object)[terms.day_count[rows]],
        "balloon_share": np.where(amortization == "balloon", terms.balloon_share[rows], np.nan),
        "index": np.where(floating, terms.index[rows], None),
        "margin": np.where(floating, terms.margin[rows], np.nan),
        "floor": np.where(floor_on_index, 0.0, np.nan),
        "floor_cap_on": np.where(floor_on_index, "index", None),
        "fixed_rate": np.where(floating, np.nan, terms.fixed_rate[rows]),
    }


def build_loans(terms: BookTerms, rows: Sequence[int] | IntArray) -> list[CollateralLoan]:
    """Validated :class:`CollateralLoan` models of the loans ``rows`` (ids ``loan-<row>``)."""
    picked = np.asarray(rows)
    loans = []
    for i, start in zip(picked.tolist(), terms.start[picked].tolist(), strict=True):
        day = 28 if (start.month, start.day) == (2, 29) else start.day
        maturity = start.replace(year=start.year + YEARS, day=day)
        fields: dict[str, Any] = {
            "id": f"loan-{i:07d}",
            "borrower_counterparty_id": f"borrower-{i % 997:03d}",
            "principal": float(terms.principal[i]),
            "currency": CURRENCIES[terms.currency[i]],
            "start": start,
            "maturity": maturity,
            "frequency": "monthly",
            "amortization": AMORTIZATIONS[terms.amortization[i]],
            "day_count": DAY_COUNTS[terms.day_count[i]],
        }
        if fields["amortization"] == "balloon":
            fields["balloon_share"] = float(terms.balloon_share[i])
        if terms.floating[i]:
            fields["index"] = str(terms.index[i])
            fields["margin"] = float(terms.margin[i])
            if terms.floor_on_index[i]:
                fields["floor"] = 0.0
                fields["floor_cap_on"] = "index"
        else:
            fields["fixed_rate"] = float(terms.fixed_rate[i])
        loans.append(CollateralLoan(**fields))
    return loans


# -- the vectorised valuation ---------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """PV (currency), yield (decimal), WAL and modified duration (years) per loan."""

    pv: FloatArray
    yld: FloatArray
    wal: FloatArray
    duration: FloatArray

    def take(self, rows: IntArray) -> Figures:
        """The figures of ``rows``."""
        return Figures(self.pv[rows], self.yld[rows], self.wal[rows], self.duration[rows])


def _matrix(
    cf: LoanCashflows,
    rows: IntArray | slice,
    settlement: npt.NDArray[np.datetime64],
    dcs: IntArray,
    trusted: bool = True,
) -> CashflowMatrix:
    """The lender's receipts of ``rows`` after settlement: interest, principal, fees.

    ``trusted``: :meth:`CashflowMatrix.from_trusted` (the kernel's arrays as they are,
    no re-validation or copies); else the validating constructor. ``rows`` a slice (a
    currency's block of a chunk grouped by currency): views of the kernel's arrays.
    """
    make = CashflowMatrix.from_trusted if trusted else CashflowMatrix
    ids = (
        np.asarray(cf.loan_ids[rows]) if isinstance(rows, slice) else np.asarray(cf.loan_ids)[rows]
    )
    return make(
        ids=ids,
        pay_dates=cf.pay_date[rows],
        amounts=cf.interest[rows] + cf.principal[rows] + cf.commitment_fee[rows],
        alive=cf.alive[rows],
        settlement=settlement[rows],
        frequency=YIELD_FREQUENCY,
        day_count=np.asarray(DAY_COUNTS)[dcs[rows]],
        accrual_start=cf.accrual_start[rows],
        accrual_end=cf.accrual_end[rows],
        coupon_amounts=cf.interest[rows],
        principal=cf.principal[rows],
    )


class Stopwatch:
    """Seconds spent per named stage, accumulated over chunks."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def restart(self) -> None:
        """Start timing the next stage now."""
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        """Charge the time since the last lap (or restart) to ``stage``."""
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - self._last
        self._last = now

    def total(self, stages: Sequence[str]) -> float:
        """Seconds of ``stages`` together."""
        return sum(self.seconds.get(s, 0.0) for s in stages)


CONSTRUCTION: Final[tuple[str, ...]] = ("term columns (numpy)", "LoanBook.from_columns")
VALUATION: Final[tuple[str, ...]] = (
    "LoanBook.columns (built by from_columns)",
    "book_measures (fused: flows, PV, yield, WAL, duration)",
    "LoanBook.cashflows (grid, rates, kernel)",
    "CashflowMatrix (per currency)",
    "bond_measures (PV, yield, WAL, duration)",
    "present_value",
    "yield_from_price",
    "weighted_average_life",
    "modified_duration",
)
"""Timed stages of the valuation: the fused path (default) ``book_measures``; the staged
path (``--staged``) the cash flows, matrices and ``bond_measures``; the separate path
(``--separate``: validating ``CashflowMatrix`` + one function a figure) the last four
instead of ``bond_measures``."""
PATHS: Final[tuple[str, ...]] = ("fused", "staged", "separate")
"""Valuation paths of :func:`value_book`."""


def value_book(
    book: LoanBook,
    terms: BookTerms,
    rows: IntArray,
    market: MarketSnapshot,
    curves: dict[RateIndex, Curve],
    watch: Stopwatch | None = None,
    path: str = "fused",
) -> tuple[Figures, LoanCashflows | None]:
    """Figures of the loans of ``book`` (rows ``rows`` of ``terms``), and their cash flows
    (None on the fused path, which does not make them).

    ``fused``: :func:`book_measures` (one compiled pass per loan); ``staged``: the cash
    flows, ``CashflowMatrix.from_trusted`` + ``bond_measures`` one currency at a time;
    ``separate``: the validating constructor and one function a figure.
    """
    assert path in PATHS, path
    separate = path == "separate"
    watch = watch or Stopwatch()
    watch.restart()
    _ = book.columns
    watch.lap(VALUATION[0])
    if path == "fused":
        discount = {name: curves[index] for name, index in DISCOUNT_CURVE.items()}
        m = book_measures(book, market, discount, curves=curves, wal_day_count=WAL_DAY_COUNT,
                          frequency=YIELD_FREQUENCY)  # fmt: skip
        watch.lap(VALUATION[1])
        return Figures(m.pv, m.ytm, m.wal, m.modified_duration), None
    cf = book.cashflows(market, curves=curves)
    watch.lap(VALUATION[2])
    n = len(book)
    figures = Figures(np.empty(n), np.empty(n), np.empty(n), np.empty(n))
    settlement = terms.start[rows]
    currency = terms.currency[rows]
    dcs = terms.day_count[rows]
    for code, name in enumerate(CURRENCIES):
        found = np.flatnonzero(currency == code)
        if not found.size:
            continue
        # a chunk grouped by currency gives each currency one block: views, not copies
        contiguous = int(found[-1]) - int(found[0]) + 1 == found.size
        part: IntArray | slice = slice(int(found[0]), int(found[-1]) + 1) if contiguous else found
        matrix = _matrix(cf, part, settlement, dcs, trusted=not separate)
        watch.lap(VALUATION[3])
        curve = curves[DISCOUNT_CURVE[name]]
        if not separate:
            m = bond_measures(matrix, curve, wal_day_count=WAL_DAY_COUNT)
            figures.pv[part], figures.yld[part] = m.pv, m.ytm
            figures.wal[part], figures.duration[part] = m.wal, m.modified_duration
            watch.lap(VALUATION[4])
            continue
        figures.pv[part] = pv = present_value(matrix, curve)
        watch.lap(VALUATION[5])
        figures.yld[part] = yld = yield_from_price(matrix, pv)
        watch.lap(VALUATION[6])
        figures.wal[part] = weighted_average_life(matrix, day_count=WAL_DAY_COUNT)
        watch.lap(VALUATION[7])
        figures.duration[part] = modified_duration(matrix, yld)
        watch.lap(VALUATION[8])
    return figures, cf


@dataclass(frozen=True)
class Sample:
    """Loans of the first chunk checked against QuantLib: our figures and QuantLib's inputs."""

    label: str
    figures: Figures
    ql_loans: list[QlLoan]


@dataclass(frozen=True)
class BookRun:
    """Timings and memory of the whole book, chunk by chunk."""

    n: int
    chunk: int
    watch: Stopwatch
    peak_rss_mib: float
    chunk_traced_peak_mib: float
    first_rows: IntArray
    samples: tuple[Sample, Sample]
    total_pv: dict[str, float]

    @property
    def construction_s(self) -> float:
        """Seconds building the models and books."""
        return self.watch.total(CONSTRUCTION)

    @property
    def valuation_s(self) -> float:
        """Seconds valuing the books (columns, cash flows, analytics)."""
        return self.watch.total(VALUATION)

    @property
    def valuation_per_second(self) -> float:
        """Loans valued per second (models already built)."""
        return self.n / self.valuation_s


def _samples(
    terms: BookTerms,
    rows: IntArray,
    book: LoanBook,
    figures: Figures,
    cf: LoanCashflows,
    curves: dict[RateIndex, Curve],
    size: int,
) -> tuple[Sample, Sample]:
    """The first ``size`` fixed and ``size // 2`` floating loans (by row of the terms) of
    a chunk, the book's loans being the terms' ``rows``: their positions in the book."""
    by_row = np.argsort(rows, kind="stable")
    floats = terms.floating[rows[by_row]]
    fixed = by_row[~floats][:size]
    floating = by_row[floats][: max(1, size // 2)]
    return (
        Sample(f"{fixed.size} fixed", figures.take(fixed), ql_inputs(book, cf, fixed, curves)),
        Sample(
            f"{floating.size} floating (projected coupons)",
            figures.take(floating),
            ql_inputs(book, cf, floating, curves),
        ),
    )


def _chunk_rows(terms: BookTerms, lo: int, hi: int) -> IntArray:
    """Rows ``lo:hi`` of the terms grouped by currency (stable), as each currency is
    valued on its own curve: a currency's cash flows are then one block of the chunk."""
    rows = np.arange(lo, hi)
    out: IntArray = rows[np.argsort(terms.currency[rows], kind="stable")]
    return out


def value_in_chunks(
    terms: BookTerms,
    market: MarketSnapshot,
    curves: dict[RateIndex, Curve],
    chunk: int,
    sample: int,
    path: str = "fused",
) -> BookRun:
    """Build and value the book ``chunk`` loans at a time, timing both; keep the QuantLib
    samples of chunk 0 (not its arrays); then trace chunk 0's valuation again."""
    n = len(terms)
    watch = Stopwatch()
    first = np.zeros(0, dtype=np.int64)
    samples: tuple[Sample, Sample] | None = None
    total = dict.fromkeys(CURRENCIES, 0.0)
    for lo in range(0, n, chunk):
        rows = _chunk_rows(terms, lo, min(lo + chunk, n))
        watch.restart()
        data = term_columns(terms, rows)
        watch.lap(CONSTRUCTION[0])
        book = LoanBook.from_columns(data)
        watch.lap(CONSTRUCTION[1])
        figures, cf = value_book(book, terms, rows, market, curves, watch, path)
        for code, name in enumerate(CURRENCIES):
            total[name] += float(figures.pv[terms.currency[rows] == code].sum())
        if samples is None:
            if cf is None:  # the fused path makes none: the QuantLib inputs need them
                cf = book.cashflows(market, curves=curves)
            samples = _samples(terms, rows, book, figures, cf, curves, sample)
            first = rows
        del data, book, figures, cf
    assert samples is not None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    # tracemalloc slows Python allocations: trace one chunk again after the timed pass
    book0 = LoanBook.from_columns(term_columns(terms, first))
    tracemalloc.start()
    value_book(book0, terms, first, market, curves, path=path)
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return BookRun(n, min(chunk, n), watch, rss, traced, first, samples, total)


# -- the QuantLib reference -----------------------------------------------------------------


@dataclass(frozen=True)
class QlLoan:
    """What the QuantLib loop is given for one loan (prepared outside the timing)."""

    start: Any
    maturity: Any
    calendar: Any
    day_count: Any
    notionals: list[float]
    coupons: list[float]
    curve: Any


def _ql_date(day: np.datetime64) -> Any:
    d = day.astype(dt.date)
    return ql.Date(d.day, d.month, d.year)


def ql_inputs(
    book: LoanBook,
    cf: LoanCashflows,
    positions: IntArray,
    curves: dict[RateIndex, Curve],
) -> list[QlLoan]:
    """QuantLib inputs of the loans at ``positions``: notionals from the kernel's balances
    (``opening_balance + draw``), coupons the fixed rate or the kernel's period rates."""
    out = []
    for row in positions.tolist():
        loan = book[row]
        m = int(cf.n_periods[row])
        coupons = (
            [float(loan.fixed_rate)] if loan.fixed_rate is not None else cf.rate[row, :m].tolist()
        )
        out.append(
            QlLoan(
                start=_ql_date(np.datetime64(loan.start, "D")),
                maturity=_ql_date(np.datetime64(loan.maturity, "D")),
                calendar=calendar(loan.calendar).ql,
                day_count=_QL_DAY_COUNT[loan.day_count.value],
                notionals=(cf.opening_balance[row, :m] + cf.draw[row, :m]).tolist(),
                coupons=coupons,
                curve=curves[DISCOUNT_CURVE[loan.currency.value]].ql,
            )
        )
    return out


def ql_value(loans: Sequence[QlLoan], wal: bool = True) -> list[tuple[float, float, float, float]]:
    """The per-loan QuantLib loop: (PV, yield, WAL, modified duration) of each loan.

    QuantLib has no WAL: with ``wal`` it is summed over the bond's redemptions (a Python
    loop of SWIG calls); without, it is NaN (the timed reference leaves it out).
    """
    conv = ql.ModifiedFollowing
    monthly = ql.Period(ql.Monthly)
    wal_dc = _QL_DAY_COUNT[WAL_DAY_COUNT]
    out = []
    for x in loans:
        schedule = ql.Schedule(x.start, x.maturity, monthly, x.calendar, conv, conv,
                               ql.DateGeneration.Backward, False)  # fmt: skip
        bond = ql.AmortizingFixedRateBond(0, x.notionals, schedule, x.coupons, x.day_count,
                                          conv, x.start)  # fmt: skip
        bond.setPricingEngine(ql.DiscountingBondEngine(x.curve))
        settle = bond.settlementDate()
        pv = bond.settlementValue()
        price = ql.BondPrice(pv * 100.0 / bond.notional(settle), ql.BondPrice.Dirty)
        yld = ql.BondFunctions.bondYield(bond, price, x.day_count, ql.Compounded, ql.Monthly,
                                         settle)  # fmt: skip
        rate = ql.InterestRate(yld, x.day_count, ql.Compounded, ql.Monthly)
        duration = ql.BondFunctions.duration(bond, rate, ql.Duration.Modified, settle)
        life = float("nan")
        if wal:
            paid = weighted = 0.0
            for c in bond.redemptions():
                if c.date() > settle:
                    paid += c.amount()
                    weighted += c.amount() * wal_dc.yearFraction(settle, c.date())
            life = weighted / paid
        out.append((pv, yld, life, duration))
    return out


def check_against_quantlib(label: str, ours: Figures, theirs: Sequence[tuple[float, ...]]) -> str:
    """Assert the sample's figures agree within :data:`TOLERANCES`; the worst gaps, as text."""
    ref = np.asarray(theirs, dtype=np.float64).reshape(-1, 4)
    columns = {"pv": 0, "yield": 1, "wal": 2, "duration": 3}  # the order of ql_value
    mine = {"pv": ours.pv, "yield": ours.yld, "wal": ours.wal, "duration": ours.duration}
    worst = []
    for name, (kind, tol) in TOLERANCES.items():
        expected = ref[:, columns[name]]
        gap = np.abs(mine[name] - expected)
        if kind == "rel":
            gap = gap / np.abs(expected)
        worst_gap = float(gap.max(initial=0.0))
        assert worst_gap <= tol, f"{label}: {name} off QuantLib by {worst_gap:.2e} ({kind})"
        worst.append(f"{name} {worst_gap:.1e} {kind} (tol {tol:.0e})")
    return f"  {label} vs QuantLib, worst: " + ", ".join(worst)


# -- profile ------------------------------------------------------------------------------------


def profile_chunk(
    run: BookRun,
    terms: BookTerms,
    market: MarketSnapshot,
    curves: dict[RateIndex, Curve],
    path: str = "fused",
) -> str:
    """cProfile of one chunk's valuation (warm: the chunk is valued once before):
    the functions with the most cumulative time."""
    book = LoanBook.from_columns(term_columns(terms, run.first_rows))
    value_book(book, terms, run.first_rows, market, curves, path=path)
    profiler = cProfile.Profile()
    profiler.enable()
    value_book(book, terms, run.first_rows, market, curves, path=path)
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(15)
    return text.getvalue()


# -- the run ------------------------------------------------------------------------------------


def _line(label: str, value: str) -> str:
    return f"  {label:<46} {value}"


def run(
    n: int = 1_000_000,
    sample: int = 500,
    chunk: int = CHUNK,
    seed: int = 20261127,
    profile: bool = False,
    separate: bool = False,
    threads: int | None = None,
    staged: bool = False,
    compare: bool = True,
) -> str:
    """Value ``n`` loans in chunks and ``sample`` fixed loans in a QuantLib loop; report.

    The timed path is the fused :func:`book_measures` (default), the staged path
    (``staged``: cash flows, ``CashflowMatrix.from_trusted``, ``bond_measures``) or the
    separate one (``separate``: the validating ``CashflowMatrix`` and one analytics
    function a figure); the figures are the same. ``compare``: also time the other of
    fused and staged in a second pass (its book PV must be the same to the last bit).
    ``threads``: threads of the compiled kernels (default: one per core).
    """
    path = "separate" if separate else "staged" if staged else "fused"
    market = demo_market()
    curves = build_curves(market)
    ql.Settings.instance().evaluationDate = ql.Date(AS_OF.day, AS_OF.month, AS_OF.year)
    t0 = time.perf_counter()
    compiled = loan_kernels.available() and pricing_kernels.available()
    load_s = time.perf_counter() - t0
    if threads is not None:
        kernel_threads.set_threads(threads)
    used = kernel_threads.threads() if compiled else 1
    t0 = time.perf_counter()
    terms = draw_terms(n, seed)
    drawn = time.perf_counter() - t0
    head = np.arange(min(n, 2000))
    warm = LoanBook.from_columns(term_columns(terms, head))
    # the columnar book holds the same loans as validated models built one by one
    assert warm.loans == tuple(build_loans(terms, head)), "from_columns and the models differ"
    everyone = np.arange(len(warm))
    fused = value_book(warm, terms, everyone, market, curves, path="fused")[0]  # warm up
    fast = value_book(warm, terms, everyone, market, curves, path="staged")[0]
    slow = value_book(warm, terms, everyone, market, curves, path="separate")[0]
    for name in ("pv", "yld", "wal", "duration"):
        a, b, c = getattr(fused, name), getattr(fast, name), getattr(slow, name)
        # the fused pass gives the staged path's figures bit for bit
        assert np.array_equal(a.view(np.int64), b.view(np.int64)), f"fused and staged {name}"
        # the staged path (trusted matrix, bond_measures) the separate functions' figures
        assert np.allclose(b, c, rtol=1e-12, atol=1e-14), f"fast and separate {name} differ"
    # warm-up, untimed (the QuantLib loop is warmed up too): the first chunk valued once,
    # so that the timed pass does not pay one-off costs (the process's first touch of a
    # chunk's memory, schedules of new shapes)
    t0 = time.perf_counter()
    first = _chunk_rows(terms, 0, min(chunk, n))
    first_book = LoanBook.from_columns(term_columns(terms, first))
    value_book(first_book, terms, first, market, curves, path=path)
    other = "staged" if path == "fused" else "fused"
    if compare:
        value_book(first_book, terms, first, market, curves, path=other)
    del first_book
    warm_s = time.perf_counter() - t0
    result = value_in_chunks(terms, market, curves, chunk, sample, path)
    second = value_in_chunks(terms, market, curves, chunk, 0, other) if compare else None

    fixed = result.samples[0]
    size = len(fixed.ql_loans)
    reference: Timing = measure("QuantLib loop", size,
                                lambda: ql_value(fixed.ql_loans, wal=False))  # fmt: skip
    with_wal: Timing = measure("QuantLib loop + WAL", size,
                               lambda: ql_value(fixed.ql_loans), repeats=3)  # fmt: skip
    checks = [
        check_against_quantlib(s.label, s.figures, ql_value(s.ql_loans)) for s in result.samples
    ]
    ratio = result.valuation_per_second / reference.per_second
    both = result.construction_s + result.valuation_s
    ql_us = reference.seconds / size * 1e6
    title = {
        "fused": "book_measures (fused compiled pass per loan)",
        "staged": "staged: cash flows -> CashflowMatrix.from_trusted -> bond_measures",
        "separate": "separate analytics (validating CashflowMatrix)",
    }
    lines = [
        f"loan book valuation, {n:,} loans x {PERIODS} monthly periods "
        f"(half fixed; SOFR, SHIBOR3M, LPR1Y), chunks of {result.chunk:,}, {title[path]}",
        _line("compiled kernels (numba)",
              f"{'on' if compiled else 'off'}, {used} thread(s), compiled or loaded "
              f"in {load_s:.2f} s"),
        _line("warm-up: first chunk valued once (untimed)", f"{warm_s:8.2f} s"),
        _line("terms drawn (numpy)", f"{drawn:8.2f} s"),
        _line("construction (term columns + from_columns)",
              f"{result.construction_s:8.2f} s {n / result.construction_s:>12,.0f} loans/s"),
        _line("valuation (cash flows, PV, yield, WAL, duration)",
              f"{result.valuation_s:8.2f} s {result.valuation_per_second:>12,.0f} loans/s "
              f"({result.valuation_s / n * 1e6:.2f} us/loan)"),
        _line("construction + valuation", f"{both:8.2f} s {n / both:>12,.0f} loans/s"),
        _line(f"QuantLib loop, {size} fixed loans (best of 5)",
              f"{reference.seconds:8.3f} s {reference.per_second:>12,.0f} loans/s "
              f"({ql_us:,.0f} us/loan)"),
        _line("  the same with WAL from its redemptions",
              f"{with_wal.seconds:8.3f} s {with_wal.per_second:>12,.0f} loans/s "
              f"({with_wal.seconds / size * 1e6:,.0f} us/loan)"),
        _line("ratio, valuation / QuantLib loop", f"{ratio:8.1f}x (target >= 100x)"),
        _line("ratio, construction + valuation / loop", f"{n / both / reference.per_second:8.1f}x"),
    ]  # fmt: skip
    if path != "fused":
        analytics = result.watch.total(VALUATION[3:])
        lines.append(_line("ratio, analytics stages only / loop",
                           f"{n / analytics / reference.per_second:8.1f}x"))  # fmt: skip
    if second is not None:
        assert second.total_pv == result.total_pv, "the fused and staged book PVs differ"
        lines.append(
            _line(f"{other} path, second pass (same book)",
                  f"{second.valuation_s:8.2f} s {second.valuation_per_second:>12,.0f} loans/s "
                  f"({second.valuation_s / n * 1e6:.2f} us/loan, "
                  f"{second.valuation_per_second / reference.per_second:.1f}x; "
                  "book PV the same to the last bit)")
        )  # fmt: skip
    lines += [
        _line("peak RSS (whole process)", f"{result.peak_rss_mib:8.0f} MiB (target < 2048)"),
        _line("tracemalloc peak, one chunk's valuation",
              f"{result.chunk_traced_peak_mib:8.0f} MiB"),
        _line("book PV", ", ".join(f"{k} {v:,.0f}" for k, v in result.total_pv.items())),
        *checks,
        "  stages (all chunks)                              s   us/loan  share of valuation",
    ]  # fmt: skip
    runs = [(path, result)] + ([(other, second)] if second is not None else [])
    for label, got in runs:
        lines.append(f"   {label} path:")
        for stage in (*CONSTRUCTION, *VALUATION):
            if stage not in got.watch.seconds:
                continue  # the other paths' stages
            sec = got.watch.seconds[stage]
            share = f"{sec / got.valuation_s:7.1%}" if stage in VALUATION else ""
            lines.append(f"    {stage:<54} {sec:8.2f} {sec / n * 1e6:9.2f}  {share}")
    if profile:
        lines.append(profile_chunk(result, terms, market, curves, path))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m benchmarks.bench_loans [--loans N] [--chunk C] [--profile] [--staged]
    [--separate] [--no-compare] [--threads T]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=CHUNK)
    parser.add_argument("--sample", type=int, default=500)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--threads", type=int, default=None, help="threads of the compiled kernels")
    parser.add_argument(
        "--staged",
        action="store_true",
        help="time the staged path (cash flows, CashflowMatrix, bond_measures) as the headline",
    )
    parser.add_argument(
        "--separate",
        action="store_true",
        help="validating CashflowMatrix and one analytics function a figure (the old path)",
    )
    parser.add_argument(
        "--no-compare",
        action="store_true",
        help="do not time the other path (staged or fused) in a second pass",
    )
    args = parser.parse_args(argv)
    print(
        run(
            args.loans,
            args.sample,
            args.chunk,
            profile=args.profile,
            separate=args.separate,
            threads=args.threads,
            staged=args.staged,
            compare=not args.no_compare,
        )
    )


if __name__ == "__main__":
    main()
