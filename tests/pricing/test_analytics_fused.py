"""The compiled ``bond_measures`` against the numpy kernels it replaces.

Tolerances: PV and WAL are equal bit for bit (the same element operations and numpy's
pairwise summation order); the yields are both the root to rounding, found by different
iterations (Halley with stepwise discount factors against Newton with an ``exp`` per
flow): they differ by at most ``1e-14`` of price (``|dy| * duration``; about ``1e-15``
absolute for a loan, up to ``1e-14`` for an instrument a few days from its last flow);
modified and Macaulay duration and convexity within ``1e-13`` relative (observed about
``2e-15``).
"""

from __future__ import annotations

import numpy as np
import pytest

from computefin.errors import ConvergenceError
from computefin.pricing import _fused
from computefin.pricing.analytics import (
    BondMeasures,
    CashflowMatrix,
    bond_measures,
    numpy_bond_measures,
)
from computefin.pricing.curves import Curve, flat_curve

pytestmark = pytest.mark.skipif(not _fused.available(), reason="numba kernels unavailable")

AS_OF = "2026-06-30"


def random_matrix(
    rng: np.random.Generator, n: int, k: int, day_counts: tuple[str, ...] = ("ACT/360", "ACT/365F")
) -> CashflowMatrix:
    """Loans and bonds: monthly to annual flows, dead padding (NaT), broken first periods,
    two flows on one date, settlement after some flows, a few negative flows (draws)."""
    settle = np.datetime64(AS_OF) + rng.integers(0, 400, n).astype("timedelta64[D]")
    step = rng.choice([30, 91, 182, 365], n)
    count = rng.integers(1, k + 1, n)
    first = settle - rng.integers(0, 40, n).astype("timedelta64[D]")
    offsets = np.arange(1, k + 1)[None, :] * step[:, None]
    pay = first[:, None] + offsets.astype("timedelta64[D]")
    pay[:, 1] = np.where(rng.random(n) < 0.1, pay[:, 0], pay[:, 1])  # two flows, one date
    alive = np.arange(k)[None, :] < count[:, None]
    start = pay - step[:, None].astype("timedelta64[D]")
    start[:, 0] = np.where(rng.random(n) < 0.5, first - 17, first)  # long first periods
    face = rng.uniform(1e3, 1e8, n)
    coupon = face * rng.uniform(0.0, 0.12, n) * step / 365.0
    principal = np.where(np.arange(k)[None, :] == count[:, None] - 1, face[:, None], 0.0)
    principal = np.where(rng.random(n)[:, None] < 0.5, face[:, None] / count[:, None] * alive,
                         principal)  # fmt: skip
    amounts = np.where(alive, coupon[:, None] + principal, 0.0)
    amounts[:, 0] -= np.where(rng.random(n) < 0.05, face * 0.01, 0.0) * alive[:, 0]
    nat = np.datetime64("NaT", "D")
    return CashflowMatrix(
        ids=[f"i{j}" for j in range(n)],
        pay_dates=np.where(alive, pay, nat),
        amounts=amounts,
        alive=alive,
        settlement=settle,
        frequency=rng.choice([1, 2, 4, 12], n),
        day_count=rng.choice(np.asarray(day_counts), n),
        accrual_start=np.where(alive, start, nat),
        accrual_end=np.where(alive, pay, nat),
        coupon_amounts=np.where(alive, coupon[:, None], 0.0),
        principal=np.where(alive, principal, 0.0),
    )


def curve() -> Curve:
    return flat_curve(AS_OF, 0.035)


def assert_close(fused: BondMeasures, reference: BondMeasures) -> None:
    assert np.array_equal(fused.pv.view(np.int64), reference.pv.view(np.int64))
    assert np.array_equal(fused.wal, reference.wal, equal_nan=True)
    # a yield is known to the price's rounding: a gap dy moves the price by about D dy
    gap = np.abs(fused.ytm - reference.ytm)
    duration = np.abs(reference.modified_duration)
    assert np.all(np.isnan(gap) == np.isnan(reference.ytm))
    assert np.nanmax(gap * duration, initial=0.0) <= 1e-14
    assert np.nanmax(gap, initial=0.0) <= 1e-12
    for name in ("modified_duration", "macaulay_duration", "convexity"):
        np.testing.assert_allclose(
            getattr(fused, name), getattr(reference, name), rtol=1e-13, atol=1e-14,
            err_msg=name,
        )  # fmt: skip


@pytest.mark.parametrize("compounding", ["compounded", "continuous"])
def test_random_books_equal_the_numpy_kernels(compounding: str) -> None:
    rng = np.random.default_rng(17)
    cf = random_matrix(rng, 3000, 24)
    fused = bond_measures(cf, curve(), compounding=compounding)  # type: ignore[arg-type]
    reference = numpy_bond_measures(cf, curve(), compounding=compounding)  # type: ignore[arg-type]
    assert_close(fused, reference)
    assert np.isfinite(fused.ytm).all()
    if compounding == "continuous":
        assert np.isnan(fused.macaulay_duration).all()


def test_trusted_matrices_overrides_and_prices() -> None:
    rng = np.random.default_rng(4)
    cf = random_matrix(rng, 800, 60)
    trusted = CashflowMatrix.from_trusted(
        ids=cf.ids, pay_dates=cf.pay_dates, amounts=cf.amounts, alive=cf.alive,
        settlement=cf.settlement, frequency=cf.frequency, day_count=cf.day_count,
        accrual_start=cf.accrual_start, accrual_end=cf.accrual_end,
        coupon_amounts=cf.coupon_amounts, principal=cf.principal,
    )  # fmt: skip
    assert_close(bond_measures(trusted, curve()), numpy_bond_measures(cf, curve()))
    kwargs = {"day_count": "ACT/365F", "wal_day_count": "ACT/360", "frequency": 2,
              "settlement": np.datetime64("2027-08-01")}  # fmt: skip
    assert_close(bond_measures(cf, curve(), **kwargs), numpy_bond_measures(cf, curve(), **kwargs))
    price = numpy_bond_measures(cf, curve()).pv * rng.uniform(0.99, 1.01, cf.n)
    assert_close(
        bond_measures(cf, curve(), price=price), numpy_bond_measures(cf, curve(), price=price)
    )
    no_principal = CashflowMatrix(
        ids=cf.ids, pay_dates=cf.pay_dates, amounts=cf.amounts, alive=cf.alive,
        settlement=cf.settlement, frequency=cf.frequency, day_count=cf.day_count,
    )  # fmt: skip
    assert np.isnan(bond_measures(no_principal, curve()).wal).all()


def test_other_conventions_take_the_numpy_path() -> None:
    rng = np.random.default_rng(8)
    cf = random_matrix(rng, 200, 12, day_counts=("30/360", "ACT/365F"))
    pv = numpy_bond_measures(cf, curve()).pv
    for kwargs in ({}, {"compounding": "simple"}, {"kind": "clean", "price": pv}):
        a = bond_measures(cf, curve(), **kwargs)  # type: ignore[arg-type]
        b = numpy_bond_measures(cf, curve(), **kwargs)  # type: ignore[arg-type]
        for x, y in zip(a, b, strict=True):
            assert np.array_equal(x, y, equal_nan=True)
    wide = random_matrix(rng, 20, 130)  # wider than the compiled kernel's 128 slots
    for x, y in zip(bond_measures(wide, curve()), numpy_bond_measures(wide, curve()), strict=True):
        assert np.array_equal(x, y, equal_nan=True)


def test_non_convergence_names_the_instrument_as_the_numpy_path_does() -> None:
    rng = np.random.default_rng(2)
    cf = random_matrix(rng, 50, 12)
    price = numpy_bond_measures(cf, curve()).pv
    price[[7, 31]] = [-1.0, 1e-12]  # no yield prices a negative value; 1e-12 needs > 1000%
    with pytest.raises(ConvergenceError) as numpy_error:
        numpy_bond_measures(cf, curve(), price=price)
    with pytest.raises(ConvergenceError) as fused_error:
        bond_measures(cf, curve(), price=price)
    assert str(fused_error.value) == str(numpy_error.value)
    assert fused_error.value.items == ("i7", "i31")
    a = bond_measures(cf, curve(), price=price, on_failure="nan")
    b = numpy_bond_measures(cf, curve(), price=price, on_failure="nan")
    assert np.isnan(a.ytm[[7, 31]]).all()
    assert_close(a, b)


def test_hard_yields_fall_back_to_the_bracketing_solver() -> None:
    rng = np.random.default_rng(9)
    cf = random_matrix(rng, 300, 12)
    price = numpy_bond_measures(cf, curve()).pv * rng.choice([0.05, 0.3, 1.0, 3.0], cf.n)
    # far from 5%, or with no root at all: the same yields, and the same failures (NaN)
    a = bond_measures(cf, curve(), price=price, on_failure="nan")
    b = numpy_bond_measures(cf, curve(), price=price, on_failure="nan")
    assert 0 < np.isnan(b.ytm).sum() < cf.n // 2
    assert_close(a, b)


@pytest.mark.parametrize("width", [1, 5, 7, 8, 9, 16, 59, 60, 61, 127, 128])
def test_pairwise_sum_is_numpys(width: int) -> None:
    rng = np.random.default_rng(width)
    rows = rng.standard_normal((200, width)) * 10 ** rng.uniform(-6, 6, (200, width))
    ours = np.asarray([_fused._pairwise_py(row, 0, width) for row in rows])
    assert np.array_equal(ours, rows.sum(axis=1))
