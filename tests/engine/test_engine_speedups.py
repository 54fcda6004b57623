"""The batch job's speed-ups change no figure: projections cut to the months the book
reads, projections and the portfolio index kept between chunks, coverage run for many
loans at once - each against the plain way, bit for bit."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import numpy as np
import pandas as pd
import pytest

from computefin.domain import demo_market
from computefin.engine.demo_book import load_demo_book
from computefin.engine.store import Store, open_store
from computefin.engine.store.records import load_loans, load_portfolio
from computefin.pricing import build_curves
from computefin.products import value_book
from computefin.products.valuation import _collateral, _valuation
from computefin.products.valuation._pricing import PricingContext, book_flows

N_LOANS = 40
PATHS = 24


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    folder = tmp_path_factory.mktemp("speedups")
    store: Store = open_store(f"sqlite:///{folder / 's.db'}", create=True)
    load_demo_book(store, loans=N_LOANS)
    with store.session() as s:
        loans, portfolio = load_loans(s), load_portfolio(s)
    store.close()
    return loans, portfolio


def _exactly_equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True, rtol=0, atol=0)


@pytest.mark.parametrize("scenarios", [None, PATHS])
def test_cut_projections_give_the_full_horizon_figures(
    book: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch, scenarios: int | None
) -> None:
    loans, portfolio = book
    cut = value_book(loans, portfolio, demo_market(), scenarios, seed=5)
    full_horizon = functools.partial(_collateral.project_fleets, truncate=False)
    monkeypatch.setattr(_valuation, "project_fleets", full_horizon)
    full = value_book(loans, portfolio, demo_market(), scenarios, seed=5)
    _exactly_equal(cut, full)


def test_a_kept_cache_changes_no_figure_and_stays_small(book: tuple[Any, Any]) -> None:
    loans, portfolio = book
    market = demo_market()
    plain = pd.concat(
        [
            value_book(loans[i : i + 7], portfolio, market, PATHS, seed=2)
            for i in range(0, N_LOANS, 7)
        ],
        ignore_index=True,
    )
    cache: dict[str, Any] = {}
    cached = pd.concat(
        [value_book(loans[i : i + 7], portfolio, market, PATHS, seed=2, cache=cache)
         for i in range(0, N_LOANS, 7)],
        ignore_index=True,
    )  # fmt: skip
    _exactly_equal(plain, cached)
    held = cache["projections"]
    assert sum(_valuation._nbytes(p) for p in held.values()) <= _valuation.CACHE_BYTES
    # Another seed on the same cache: nothing stale is reused.
    again = value_book(loans[:7], portfolio, market, PATHS, seed=3, cache=cache)
    _exactly_equal(again, value_book(loans[:7], portfolio, market, PATHS, seed=3))


def test_book_coverage_equals_loan_by_loan_coverage(book: tuple[Any, Any]) -> None:
    loans, portfolio = book
    market = demo_market()
    from computefin.products import LoanBook

    cols = LoanBook(loans).columns
    curves = build_curves(market)
    ctx = PricingContext(market=market, curves=curves,
                         discount=_valuation.discount_curves(cols.currency, curves, None),
                         calendars=None)  # fmt: skip
    cf, _flows = book_flows(cols, ctx)
    ead = np.full(len(loans), 1e6)
    ends = cf.pay_date[np.arange(len(loans)), cf.n_periods - 1]
    last = [dt.date.fromisoformat(str(d)) for d in ends.tolist()]
    projections = _collateral.project_fleets(loans, last, portfolio, market, PATHS, 9)
    options = {"default_horizon_years": 1.0, "downturn_quantile": 0.05}
    together = _collateral.book_collateral_figures(
        loans, cf, ead, portfolio, market, projections, **options
    )
    one_by_one = [
        _collateral.collateral_figures(loan, i, cf, float(ead[i]), portfolio, market,
                                       projections, **options)
        for i, loan in enumerate(loans)
    ]  # fmt: skip
    assert any(np.isfinite(f.worst_dscr) for f in together)
    for a, b in zip(together, one_by_one, strict=True):
        for name in _collateral.CollateralFigures.__dataclass_fields__:
            x, y = getattr(a, name), getattr(b, name)
            assert x == y or (np.isnan(x) and np.isnan(y)), name
