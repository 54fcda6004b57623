"""The compiled loan cash-flow kernel against the numpy kernel it replaces.

Tolerances: every date, flag, code, draw, fee, rate and year fraction is equal bit for
bit (sign of zeros included); so is every cell of a loan whose principal needs no
annuity factor (straight, bullet, custom). Level and balloon loans' annuity factor
``r / ((1 + r)^n - 1)`` comes from the C library's ``log1p`` / ``expm1`` in the kernel and
from numpy's (SIMD) ones in the reference, which differ by at most one unit in the last
place: their balances, interest, principal and totals agree within ``1e-13`` relative
(observed about ``5e-15``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import random
from typing import Any

import numpy as np
import pytest
from loan_samples import AS_OF, custom_schedule, seasoned_market

from computefin.domain import demo_market
from computefin.domain.conventions import DayCount
from computefin.errors import MarketDataError, ValidationError
from computefin.pricing import build_curves
from computefin.products.loan import CollateralLoan, LoanBook, LoanCashflows, _fused
from computefin.products.loan.cashflows import (
    book_cashflows,
    fused_book_cashflows,
    numpy_book_cashflows,
)

pytestmark = pytest.mark.skipif(not _fused.available(), reason="numba kernels unavailable")

ANNUITY = ("opening_balance", "interest", "principal", "total_cashflow", "closing_balance")
"""Fields that carry the annuity factor's last place on level and balloon loans."""


def bitwise_equal(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        if a.dtype.kind == "f":  # -0.0 and NaN payloads count
            return bool(np.array_equal(a.view(np.int64), b.view(np.int64)))
        return bool(np.array_equal(a, b))
    return bool(a == b)


def random_loan(rng: random.Random, i: int) -> CollateralLoan:
    """A loan of any amortization, day count, frequency, convention, with draws and fees
    at random; a third float (SOFR, SHIBOR3M, LPR1Y) with floors and caps."""
    cny = rng.random() < 0.5
    floating = i % 3 == 0
    start = dt.date(2026, 12, 1) + dt.timedelta(days=rng.randrange(0, 700))
    if not floating and rng.random() < 0.3:
        start = dt.date(2025, 6, 1) + dt.timedelta(days=rng.randrange(0, 500))  # seasoned
    maturity = start.replace(year=start.year + rng.randint(1, 6), day=min(start.day, 28))
    maturity += dt.timedelta(days=rng.choice([0, 0, rng.randrange(1, 120)]))
    principal = round(rng.uniform(1e5, 1e9), 2)
    kinds = ["level", "straight", "bullet", "balloon"] + ([] if floating else ["custom"])
    kind = rng.choice(kinds)
    data: dict[str, Any] = {
        "id": f"loan-{i}",
        "borrower_counterparty_id": "b",
        "principal": principal,
        "currency": "CNY" if cny else "USD",
        "start": start,
        "maturity": maturity,
        "frequency": rng.choice(["monthly", "quarterly", "semiannual", "annual"]),
        "amortization": kind,
        "day_count": rng.choice(list(DayCount)),
        "business_day_convention": rng.choice(
            ["following", "modified_following", "preceding", "unadjusted"]
        ),
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
        elif bound < 0.6:
            data["cap"] = 0.035
            data["floor_cap_on"] = "index"
    else:
        data["fixed_rate"] = round(rng.uniform(-0.002, 0.12), 5)
    if rng.random() < 0.3 and kind != "custom":
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


def assert_equal_to_numpy(a: LoanCashflows, b: LoanCashflows, annuity: np.ndarray) -> None:
    """``b`` (compiled) equals ``a`` (numpy): bit for bit, but for the annuity rows."""
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name in ANNUITY:
            assert bitwise_equal(x[~annuity], y[~annuity]), f.name
            np.testing.assert_allclose(y[annuity], x[annuity], rtol=1e-13, atol=1e-6)
        else:
            assert bitwise_equal(x, y), f.name


def annuity_rows(book: LoanBook) -> np.ndarray:
    return np.asarray([ln.amortization.value in ("level", "balloon") for ln in book.loans])


def test_random_books_equal_the_numpy_kernel() -> None:
    market = seasoned_market()
    rng = random.Random(20261127)
    loans = [random_loan(rng, i) for i in range(400)]
    book = LoanBook.from_models(loans)
    reference = numpy_book_cashflows(book.columns, market)
    fused = fused_book_cashflows(book.columns, market)
    assert_equal_to_numpy(reference, fused, annuity_rows(book))
    # the default entry point is the compiled kernel
    assert bitwise_equal(book.cashflows(market).principal, fused.principal)
    # and a plain book (straight, bullet, custom only) is bit for bit the numpy kernel's
    plain = LoanBook.from_models([ln for ln in loans if ln.amortization.value not in
                                  ("level", "balloon")])  # fmt: skip
    a = numpy_book_cashflows(plain.columns, market)
    b = fused_book_cashflows(plain.columns, market)
    for f in dataclasses.fields(a):
        assert bitwise_equal(getattr(a, f.name), getattr(b, f.name)), f.name


def test_a_columnar_book_and_its_chunks_equal_the_numpy_kernel() -> None:
    market = demo_market()
    curves = build_curves(market)
    rng = random.Random(5)
    loans = [random_loan(rng, i) for i in range(150)]
    loans = [ln for ln in loans if ln.start > AS_OF]
    book = LoanBook.from_columns(LoanBook.from_models(loans).to_frame())
    annuity = annuity_rows(book)
    reference = numpy_book_cashflows(book.columns, market, curves)
    assert_equal_to_numpy(reference, book.cashflows(market, curves=curves), annuity)
    lo = 0
    for part in book.iter_cashflows(market, chunk_size=37, curves=curves):
        rows = slice(lo, lo + len(part))
        width = part.shape[1]
        for name in ("rate", "fixing_date", "year_fraction", "undrawn_commitment"):
            assert bitwise_equal(getattr(part, name), getattr(reference, name)[rows, :width])
        lo += len(part)


def test_errors_are_those_of_the_numpy_kernel() -> None:
    market = demo_market()
    over = CollateralLoan(
        id="over", borrower_counterparty_id="b", principal=100.0, currency="USD",
        start=dt.date(2027, 1, 15), maturity=dt.date(2028, 1, 15), frequency="quarterly",
        amortization="custom", fixed_rate=0.05,
        custom_principal_schedule=[(dt.date(2027, 4, 15), 30.0), (dt.date(2028, 1, 15), 70.0)],
        draws=[(dt.date(2027, 1, 15), 50.0), (dt.date(2027, 6, 1), 50.0)],
    )  # fmt: skip
    # the model refuses an early over-repayment; columns built elsewhere may carry one
    over_cols = dataclasses.replace(
        LoanBook.from_models([over]).columns, custom_amount=np.array([80.0, 20.0])
    )
    seasoned = CollateralLoan(
        id="seasoned", borrower_counterparty_id="b", principal=1e6, currency="USD",
        start=dt.date(2026, 3, 16), maturity=dt.date(2029, 3, 16), frequency="quarterly",
        amortization="level", index="SOFR", margin=0.02,
    )  # fmt: skip
    cases = ((over, over_cols, ValidationError),
             (seasoned, LoanBook.from_models([seasoned]).columns, MarketDataError))  # fmt: skip
    for bad, cols, error in cases:
        with pytest.raises(error) as numpy_error:
            numpy_book_cashflows(cols, market)
        with pytest.raises(error) as fused_error:
            fused_book_cashflows(cols, market)
        assert str(fused_error.value) == str(numpy_error.value)
        assert "CollateralLoan[" + bad.id + "]" in str(fused_error.value)


def test_turned_off_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPUTEFIN_NUMBA", "0")
    assert not _fused.available()
    rng = random.Random(3)
    book = LoanBook.from_models([random_loan(rng, i) for i in range(1, 30, 3)])
    a = book_cashflows(book.columns, demo_market())
    b = numpy_book_cashflows(book.columns, demo_market())
    for f in dataclasses.fields(a):
        assert bitwise_equal(getattr(a, f.name), getattr(b, f.name)), f.name


def test_pooled_memory_is_never_reused_while_held() -> None:
    market = demo_market()
    rng = random.Random(11)
    one = LoanBook.from_models([random_loan(rng, i) for i in range(1, 60, 3)])
    two = LoanBook.from_models([random_loan(rng, i) for i in range(61, 120, 3)])
    kept = fused_book_cashflows(one.columns, market)
    interest = kept.interest[2:5]  # a view: keeps the buffer alive by itself
    copy = interest.copy()
    del kept
    gc.collect()
    other = fused_book_cashflows(two.columns, market)
    assert not np.shares_memory(other.interest, interest)
    assert bitwise_equal(interest, copy)
    # once nothing refers to them, the buffers go back to the pool and are used again
    address = other.principal.ctypes.data
    del other
    gc.collect()
    again = fused_book_cashflows(two.columns, market)
    assert again.principal.ctypes.data == address
    _fused.POOL.clear()


def test_staggered_arrays_start_on_different_cache_sets() -> None:
    made = _fused.staggered([np.bool_, np.int64, np.float64, np.float64], (7, 5))
    starts = [a.ctypes.data % 4096 for a in made]
    assert len(set(starts)) == len(made)
    assert all(a.flags.c_contiguous and a.flags.writeable and a.shape == (7, 5) for a in made)
