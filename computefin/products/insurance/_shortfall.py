"""Revenue (or utilization) shortfall cover: pays when realised revenue falls below a
trigger share of contracted revenue.

The term ``[start, start + term_months)`` is cut into measurement windows of the
measurement frequency. In window ``w``:

* contracted revenue ``C_w = Σ_c fx_c gpus_c price_c hours_c,w``: every contract on the
  fleet at its full committed GPU-hours in the window (``Contract.annual_contract_value``
  basis), whatever the lessee's health;
* realised revenue ``R_w``: the projection's ``revenue`` (contracted plus spot, after
  defaults, downtime, failures and spot utilization), or ``contracted_revenue`` alone
  (``measure``); a grid period straddling a window boundary counts pro rata by days;
* payout ``min(max(k C_w - R_w, 0), L)`` with ``k`` the trigger share and ``L`` the limit
  per window, then an aggregate limit over the term on the running total; paid at the
  window's end and discounted with each path's discount factors (log-linear between
  period ends).
"""

from __future__ import annotations

import datetime as dt
from itertools import pairwise
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from computefin.domain import Frequency, MarketSnapshot, Portfolio
from computefin.errors import ValidationError
from computefin.products.insurance._context import (
    CoverTerms,
    discount_at,
    overlap_shares,
    run_cover,
)
from computefin.products.insurance._payoffs import aggregate_layer_payments, xl_layer
from computefin.products.insurance._quote import InsuranceQuote
from computefin.risk.grid import add_months
from computefin.risk.projection import ProjectionInputs
from computefin.risk.scenario_set import ScenarioSet

__all__ = ["RevenueShortfallCover"]


class RevenueShortfallCover(CoverTerms):
    """Pays the shortfall of realised revenue below ``trigger_share`` x contracted revenue.

    Measured per window of ``measurement_frequency`` over ``term_months`` from ``start``;
    limits in ``currency`` (None: none). See the module docstring for the payoff.

    >>> import datetime as dt
    >>> from computefin.domain import demo_market, demo_portfolio
    >>> cover = RevenueShortfallCover(fleet_id="fleet-dal-h100", start=dt.date(2026, 11, 27),
    ...                               term_months=24, trigger_share=0.9,
    ...                               measurement_frequency="quarterly", currency="USD")
    >>> q = cover.price(demo_market(), demo_portfolio(), scenarios=200, seed=1)
    >>> len(q.payment_dates), q.payment_dates[0]
    (8, np.datetime64('2027-02-27'))
    >>> RevenueShortfallCover(fleet_id="f", start=dt.date(2027, 1, 1), term_months=12,
    ...                       trigger_share=80.0, currency="USD")
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: RevenueShortfallCover.trigger_share: Input should be ...
    """

    start: dt.date = Field(description="First day of cover (on or after the market's as_of).")
    term_months: int = Field(gt=0, le=360, description="Length of the cover, whole months.")
    trigger_share: float = Field(
        gt=0.0, le=1.0, description="Share of contracted revenue below which the cover pays."
    )
    measurement_frequency: Frequency = Field(
        default=Frequency.QUARTERLY, description="Length of each measurement window."
    )
    measure: Literal["revenue", "contracted_revenue"] = Field(
        default="revenue",
        description="Realised figure compared with the trigger: all fleet revenue, or the "
        "contracted revenue actually paid.",
    )
    limit_per_measurement: float | None = Field(
        default=None, gt=0.0, description="Most paid per window, `currency`; None: none."
    )
    aggregate_limit: float | None = Field(
        default=None, gt=0.0, description="Most paid over the term, `currency`; None: none."
    )

    @model_validator(mode="after")
    def _whole_windows(self) -> RevenueShortfallCover:
        months = self.measurement_frequency.months
        if self.term_months % months:
            raise ValidationError(
                "term_months",
                f"must be a whole number of {self.measurement_frequency.value} windows "
                f"({months} months each)",
                self.term_months,
            )
        if (
            self.limit_per_measurement is not None
            and self.aggregate_limit is not None
            and self.aggregate_limit < self.limit_per_measurement
        ):
            raise ValidationError(
                "limit_per_measurement",
                f"is above the aggregate_limit ({self.aggregate_limit!r})",
                self.limit_per_measurement,
            )
        return self

    @property
    def end(self) -> dt.date:
        """Day after the last day of cover: ``start + term_months``."""
        return add_months(self.start, self.term_months)

    def window_bounds(self) -> list[tuple[dt.date, dt.date]]:
        """``[start, end)`` of each measurement window.

        >>> RevenueShortfallCover(fleet_id="f", start=dt.date(2027, 1, 31), term_months=6,
        ...                       trigger_share=0.8, measurement_frequency="quarterly",
        ...                       currency="USD").window_bounds()[1]
        (datetime.date(2027, 4, 30), datetime.date(2027, 7, 31))
        """
        months = self.measurement_frequency.months
        count = self.term_months // months
        edges = [add_months(self.start, k * months) for k in range(count + 1)]
        return list(pairwise(edges))

    def price(
        self,
        market: MarketSnapshot,
        portfolio: Portfolio,
        scenarios: int | ScenarioSet | None = None,
        seed: int = 0,
        *,
        inputs: ProjectionInputs | None = None,
    ) -> InsuranceQuote:
        """Monte Carlo price of the cover over ``scenarios`` paths (None: the default
        number) drawn with ``seed``, or over a given :class:`ScenarioSet`.

        ``inputs`` replaces the fleet's default models (they must reach the cover's end).
        """
        chosen, run = run_cover(
            type(self).__name__, self.fleet_id, self.start, self.end, market, portfolio,
            scenarios, seed, inputs,
        )  # fmt: skip
        grid, proj = chosen.grid, run.projection
        fx = market.fx(chosen.currency, self.currency)
        windows = self.window_bounds()
        weights = np.array([overlap_shares(grid, a, b) for a, b in windows])  # (W, T)
        realised = fx * proj.line(self.measure) @ weights.T  # (P, W)
        contracted = np.zeros(len(windows))
        for contract in chosen.contracts:
            rate = (
                contract.gpus_committed
                * contract.price_per_gpu_hour
                * market.fx(contract.currency, self.currency)
            )
            for w, (a, b) in enumerate(windows):
                days = (min(b, contract.end) - max(a, contract.start)).days
                contracted[w] += rate * 24.0 * max(days, 0)
        shortfall = np.maximum(self.trigger_share * contracted[None, :] - realised, 0.0)
        per_window = xl_layer(shortfall, 0.0, self.limit_per_measurement)
        payments = aggregate_layer_payments(per_window, 0.0, self.aggregate_limit)
        ends = np.array([b for _, b in windows], dtype="datetime64[D]")
        dfs = discount_at(grid, proj.line("discount_factor"), ends)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(contracted > 0.0, realised / contracted, np.inf)
        worst = ratio.min(axis=1)
        details: dict[str, Any] = {
            "fleet_id": self.fleet_id,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "contracted_revenue": float(contracted.sum()),
            "expected_realised_revenue": float(realised.sum(axis=1).mean()),
            "trigger_probability": float((shortfall > 0.0).any(axis=1).mean()),
        }
        return InsuranceQuote(
            cover="revenue_shortfall",
            currency=self.currency,
            as_of=market.as_of,
            n_paths=run.scenarios.n_paths,
            seed=run.scenarios.seed,
            loading=self.loading,
            payment_dates=ends,
            payments=payments,
            discount_factors=dfs,
            underlying=np.where(np.isfinite(worst), worst, 0.0),
            underlying_name=f"worst window: realised {self.measure} / contracted",
            strike=self.trigger_share,
            details=details,
        )
