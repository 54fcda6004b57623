"""The fused loan valuation (``book_measures``) against the staged path it replaces.

Tolerances: for the loans the fused kernel takes (ACT/360 or ACT/365F, no commitment
fee) PV, yield, WAL, modified and Macaulay duration and convexity are the staged path's
(``book_cashflows`` -> ``CashflowMatrix.from_trusted`` -> ``bond_measures``) bit for bit,
when the staged path runs its compiled kernel (every loan of a currency on ACT/360 or
ACT/365F). Elsewhere (loans the fused kernel leaves to the staged path, valued on their
own, or books where the staged path's numpy kernel runs) the figures agree within
``1e-14`` relative on PV, WAL and durations, and the yields within ``|dy| * duration <=
1e-14`` (the price's rounding).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from typing import Any

import numpy as np
import pytest
from loan_samples import AS_OF, custom_schedule, seasoned_market

from computefin.domain import demo_market
from computefin.domain.conventions import DayCount
from computefin.domain.market import MarketSnapshot
from computefin.errors import ConvergenceError, ValidationError
from computefin.pricing import Curve, build_curves
from computefin.pricing.analytics import BondMeasures
from computefin.pricing.curves import flat_curve
from computefin.products.loan import CollateralLoan, LoanBook, _fused, book_measures
from computefin.products.loan._columns import DAY_COUNTS
from computefin.products.loan.cashflows import _needs_fee
from computefin.products.loan.measures import staged_book_measures

pytestmark = pytest.mark.skipif(not _fused.available(), reason="numba kernels unavailable")

FIELDS = ("pv", "ytm", "wal", "modified_duration", "macaulay_duration", "convexity")
KINDS = ("level", "straight", "bullet", "balloon", "custom")


def random_loan(rng: random.Random, i: int, day_counts: tuple[str, ...], seasoned: bool) -> Any:
    """A loan of any amortization and frequency, fixed or (every other) floating with
    floors and caps, some with draws and fees; started before ``AS_OF`` if ``seasoned``."""
    cny = rng.random() < 0.5
    floating = i % 2 == 0
    start = dt.date(2026, 12, 1) + dt.timedelta(days=rng.randrange(0, 500))
    if seasoned and rng.random() < 0.4:
        start = dt.date(2025, 6, 1) + dt.timedelta(days=rng.randrange(0, 500))
    maturity = start.replace(year=start.year + rng.randint(1, 6), day=min(start.day, 28))
    maturity += dt.timedelta(days=rng.choice([0, 0, rng.randrange(1, 90)]))
    principal = round(rng.uniform(1e5, 1e9), 2)
    kind = KINDS[i % len(KINDS)] if not (floating and i % len(KINDS) == 4) else "level"
    data: dict[str, Any] = {
        "id": f"loan-{i}",
        "borrower_counterparty_id": "b",
        "principal": principal,
        "currency": "CNY" if cny else "USD",
        "start": start,
        "maturity": maturity,
        "frequency": rng.choice(["monthly", "monthly", "quarterly", "semiannual", "annual"]),
        "amortization": kind,
        "day_count": rng.choice(day_counts),
        "business_day_convention": rng.choice(["following", "modified_following"]),
    }
    if kind == "balloon":
        data["balloon_share"] = round(rng.uniform(0.05, 0.95), 3)
    if kind == "custom":
        data["custom_principal_schedule"] = custom_schedule(rng, start, maturity, principal)
    if floating:
        data["index"] = "SOFR" if not cny else rng.choice(["SHIBOR3M", "LPR1Y"])
        data["margin"] = round(rng.uniform(-0.005, 0.04), 4)
        bound = rng.random()
        if bound < 0.25:
            data["floor"] = 0.0
            data["floor_cap_on"] = "index"
        elif bound < 0.5:
            data["floor"] = 0.03
            data["cap"] = 0.06
    else:
        data["fixed_rate"] = round(rng.uniform(0.0, 0.12), 5)
    if rng.random() < 0.15 and kind != "custom":
        end = start + dt.timedelta(days=max(2, (maturity - start).days // 2))
        first = round(principal * rng.uniform(0.2, 0.6), 2)
        data["draws"] = [
            (start, first),
            (start + dt.timedelta(days=rng.randrange(1, (end - start).days)), principal - first),
        ]
        data["availability_end"] = end
        data["commitment_fee_rate"] = rng.choice([0.0, 0.004])
    if rng.random() < 0.2:
        data["upfront_fee_rate"] = 0.01
    return CollateralLoan(**data)


def discount_curves(market: MarketSnapshot) -> dict[str, Curve]:
    curves = build_curves(market)
    return {"USD": curves[next(k for k in curves if k.value == "SOFR")],
            "CNY": curves[next(k for k in curves if k.value == "FR007")]}  # fmt: skip


def bits(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float64).view(np.int64)


def assert_close(got: BondMeasures, ref: BondMeasures, rows: np.ndarray) -> None:
    """Within the module's tolerances on ``rows``."""
    for name in ("pv", "wal", "modified_duration", "macaulay_duration", "convexity"):
        a, b = getattr(got, name)[rows], getattr(ref, name)[rows]
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=0.0, err_msg=name)
    gap = np.abs(got.ytm[rows] - ref.ytm[rows]) * np.abs(ref.modified_duration[rows])
    assert float(gap.max(initial=0.0)) <= 1e-14


def taken_by_the_kernel(book: LoanBook) -> np.ndarray:
    cols = book.columns
    codes = [DAY_COUNTS.index(DayCount(name)) for name in ("ACT/360", "ACT/365F")]
    out: np.ndarray = np.isin(cols.day_count, codes) & ~_needs_fee(cols)
    return out


def test_random_books_equal_the_staged_path_bit_for_bit() -> None:
    market = demo_market()
    curves = build_curves(market)
    rng = random.Random(20261128)
    loans = [random_loan(rng, i, ("ACT/360", "ACT/365F"), False) for i in range(700)]
    book = LoanBook.from_models(loans)
    dc = discount_curves(market)
    fused = book_measures(book, market, dc, curves=curves)
    staged = staged_book_measures(book, market, dc, curves=curves)
    taken = taken_by_the_kernel(book)
    assert taken.sum() >= 400
    # every amortization type, fixed and floating, both day counts among the loans taken
    kinds = {book.loans[i].amortization.value for i in np.flatnonzero(taken)}
    assert kinds == set(KINDS)
    assert {book.loans[i].is_floating for i in np.flatnonzero(taken)} == {True, False}
    assert {book.loans[i].day_count.value for i in np.flatnonzero(taken)} == {"ACT/360", "ACT/365F"}
    for name in FIELDS:
        a, b = getattr(fused, name), getattr(staged, name)
        assert np.array_equal(bits(a[taken]), bits(b[taken])), name
    assert_close(fused, staged, np.flatnonzero(~taken))  # the fee loans, valued on their own
    assert bool(np.all(np.isfinite(fused.ytm)))
    # the book method is the function
    same = book.measures(market, dc, curves=curves)
    for name in FIELDS:
        assert np.array_equal(bits(getattr(same, name)), bits(getattr(fused, name))), name


def test_other_conventions_settlement_and_seasoned_loans_within_tolerance() -> None:
    market = seasoned_market()
    curves = build_curves(market)
    rng = random.Random(7)
    day_counts = ("ACT/360", "ACT/365F", "30/360", "ACT/ACT")
    loans = [random_loan(rng, i, day_counts, True) for i in range(400)]
    book = LoanBook.from_models(loans)
    dc = discount_curves(market)
    spread = np.datetime64(AS_OF) + np.asarray([rng.randrange(0, 40) for _ in loans], "m8[D]")
    for options in (
        {"settlement": AS_OF},
        {"settlement": spread},
        {"settlement": AS_OF, "frequency": 12, "day_count": "ACT/365F"},
        {"settlement": AS_OF, "compounding": "continuous", "wal_day_count": "ACT/360"},
    ):
        fused = book_measures(book, market, dc, curves=curves, **options)
        staged = staged_book_measures(book, market, dc, curves=curves, **options)
        assert_close(fused, staged, np.arange(len(book)))
    # a WAL day count the kernel does not take: the staged path, the same figures
    a = book_measures(book, market, dc, curves=curves, settlement=AS_OF, wal_day_count="30/360")
    b = staged_book_measures(book, market, dc, curves=curves, settlement=AS_OF,
                             wal_day_count="30/360")  # fmt: skip
    for name in FIELDS:
        assert np.array_equal(bits(getattr(a, name)), bits(getattr(b, name))), name


def test_non_convergence_names_the_loans() -> None:
    market = demo_market()
    curves = build_curves(market)
    rng = random.Random(3)
    loans = [random_loan(rng, i, ("ACT/360", "ACT/365F"), False) for i in range(60)]
    book = LoanBook.from_models(loans)
    # CNY receipts discounted at -199% a year (continuous): their yield (about -183%
    # compounded monthly) is below the bracket's -99%
    steep = flat_curve(AS_OF, -0.99).with_z_spread(-1.0)
    dc = {"USD": discount_curves(market)["USD"], "CNY": steep}
    cny = sorted(ln.id for ln in loans if ln.currency.value == "CNY")
    with pytest.raises(ConvergenceError) as fused_error:
        book_measures(book, market, dc, curves=curves, frequency=12)
    with pytest.raises(ConvergenceError) as staged_error:
        staged_book_measures(book, market, dc, curves=curves, frequency=12)
    assert sorted(fused_error.value.items) == cny == sorted(staged_error.value.items)
    assert "yield_from_price" in str(fused_error.value)
    # compounded once a year, -199% continuous is -86%: those loans have a yield
    annual = [ln.id for ln in loans if ln.frequency.value == "annual"]
    with pytest.raises(ConvergenceError) as fused_error:
        book_measures(book, market, dc, curves=curves)
    assert set(fused_error.value.items) == set(cny) - set(annual)
    got = book_measures(book, market, dc, curves=curves, on_failure="nan", frequency=12)
    is_cny = np.asarray([ln.currency.value == "CNY" for ln in loans])
    assert bool(np.all(np.isnan(got.ytm[is_cny])))
    assert bool(np.all(np.isfinite(got.ytm[~is_cny])))
    assert bool(np.all(np.isfinite(got.pv)))


def test_an_over_repayment_raises_the_staged_error() -> None:
    market = demo_market()
    loan = CollateralLoan(
        id="over", borrower_counterparty_id="b", principal=100.0, currency="USD",
        start=dt.date(2027, 1, 15), maturity=dt.date(2028, 1, 15), frequency="quarterly",
        amortization="custom", fixed_rate=0.05,
        custom_principal_schedule=[(dt.date(2027, 4, 15), 30.0), (dt.date(2028, 1, 15), 70.0)],
    )  # fmt: skip
    cols = dataclasses.replace(
        LoanBook.from_models([loan]).columns, custom_amount=np.array([120.0, -20.0])
    )
    dc = discount_curves(market)
    with pytest.raises(ValidationError) as staged_error:
        staged_book_measures(cols, market, dc)
    with pytest.raises(ValidationError) as fused_error:
        book_measures(cols, market, dc)
    assert str(fused_error.value) == str(staged_error.value)
    assert "CollateralLoan[over]" in str(fused_error.value)


def test_missing_curve_and_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    market = demo_market()
    rng = random.Random(5)
    book = LoanBook.from_models([random_loan(rng, i, ("ACT/360",), False) for i in range(1, 40)])
    dc = discount_curves(market)
    with pytest.raises(ValidationError, match="no discount curve for currency"):
        book_measures(book, market, {"USD": dc["USD"]})
    fused = book_measures(book, market, dc)
    monkeypatch.setenv("COMPUTEFIN_NUMBA", "0")
    plain = book_measures(book, market, dc)  # the staged path on the numpy kernels
    assert_close(plain, fused, np.arange(len(book)))
    assert len(book_measures(LoanBook.from_models([]), market, dc).pv) == 0
