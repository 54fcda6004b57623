"""Hardware failure and downtime cover: interruptions (and optionally lost GPUs) x severity.

Per server group ``g``, period ``t`` and path (all from the fleet's scenarios and
projection, nothing simulated here):

* events ``N_gt`` = interruptions of the failure model x the share of the period before
  the group's retirement;
* severity per event ``X_gt = fx (c_g + R_gt / N_gt)``: ``c_g`` the failure model's
  repair cost per interruption, ``R_gt`` the contracted revenue lost to the group's
  downtime (the projection's contracted revenue with the group's downtime set to zero,
  minus the realised one), ``fx`` fleet to policy currency;
* per-event terms: the policy pays ``N_gt min(max(X_gt - d, 0), L)`` (every event of a
  group in a period has the same severity);
* optional: GPUs lost for good (``replacement_value_per_gpu`` > 0) are events of
  severity ``replacement_value_per_gpu`` under the same per-event terms;
* the period's claims are scaled by the share of the period inside the policy term,
  then an aggregate deductible ``D`` and limit ``A`` apply to the running total
  (:func:`aggregate_layer_payments`); payments are made at period ends and discounted
  with each path's discount factors.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from pydantic import Field, model_validator

from computefin._typing import FloatArray
from computefin.domain import MarketSnapshot, Portfolio
from computefin.errors import ValidationError
from computefin.products.insurance._context import (
    CoverTerms,
    overlap_shares,
    run_cover,
    service_shares,
    without_downtime,
)
from computefin.products.insurance._payoffs import aggregate_layer_payments, xl_layer
from computefin.products.insurance._quote import InsuranceQuote
from computefin.risk.grid import add_months
from computefin.risk.projection import ProjectionInputs, project
from computefin.risk.scenario_set import ScenarioSet

__all__ = ["DowntimeCover", "check_layer"]


def check_layer(deductible: float, limit: float | None, names: tuple[str, str]) -> None:
    """Reject a deductible above its limit, naming the deductible's field."""
    if limit is not None and deductible > limit:
        raise ValidationError(
            names[0], f"{deductible!r} is above the {names[1]} ({limit!r})", deductible
        )


class DowntimeCover(CoverTerms):
    """Hardware failure and downtime cover on a fleet for ``term_months`` from ``start``.

    Amounts are in ``currency``: per-event deductible and limit, aggregate deductible
    and limit over the term (None: no limit), and the payout per GPU lost for good
    (0: permanent failures not covered). See the module docstring for the payoff.

    >>> import datetime as dt
    >>> from computefin.domain import demo_market, demo_portfolio
    >>> cover = DowntimeCover(fleet_id="fleet-dal-h100", start=dt.date(2026, 11, 27),
    ...                       term_months=12, deductible_per_event=10.0, loading=0.25,
    ...                       currency="USD")
    >>> q = cover.price(demo_market(), demo_portfolio(), scenarios=200, seed=1)
    >>> q.premium > q.discounted_expected_loss > 0
    True
    >>> DowntimeCover(fleet_id="f", start=dt.date(2027, 1, 1), term_months=12,
    ...               deductible_per_event=500.0, limit_per_event=100.0, currency="USD")
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: DowntimeCover.deductible_per_event: 500.0 is above ...
    """

    start: dt.date = Field(description="First day of cover (on or after the market's as_of).")
    term_months: int = Field(gt=0, le=360, description="Length of the cover, whole months.")
    deductible_per_event: float = Field(
        default=0.0, ge=0.0, description="Deductible per event, in `currency`."
    )
    limit_per_event: float | None = Field(
        default=None, gt=0.0, description="Most paid per event after the deductible; None: none."
    )
    aggregate_deductible: float = Field(
        default=0.0, ge=0.0, description="Deductible on the term's total claims, `currency`."
    )
    aggregate_limit: float | None = Field(
        default=None, gt=0.0, description="Most paid over the term; None: no aggregate limit."
    )
    replacement_value_per_gpu: float = Field(
        default=0.0,
        ge=0.0,
        description="Paid per GPU lost for good (an event under the per-event terms); "
        "0 leaves permanent failures uncovered.",
    )

    @model_validator(mode="after")
    def _deductibles_below_limits(self) -> DowntimeCover:
        check_layer(self.deductible_per_event, self.limit_per_event,
                     ("deductible_per_event", "limit_per_event"))  # fmt: skip
        check_layer(self.aggregate_deductible, self.aggregate_limit,
                     ("aggregate_deductible", "aggregate_limit"))  # fmt: skip
        return self

    @property
    def end(self) -> dt.date:
        """Day after the last day of cover: ``start + term_months``."""
        return add_months(self.start, self.term_months)

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
        grid, scen, proj = chosen.grid, run.scenarios, run.projection
        fx = market.fx(chosen.currency, self.currency)
        window = overlap_shares(grid, self.start, self.end)
        service = service_shares(chosen)
        shape = (scen.n_paths, grid.n_periods)
        claims, ground_up, events_total = np.zeros(shape), np.zeros(shape), np.zeros(shape)
        realised = proj.line("contracted_revenue")
        groups = chosen.fleet.server_groups
        for g, (key, group, model) in enumerate(
            zip(chosen.group_keys(), groups, chosen.failures, strict=True)
        ):
            paths = scen.failures[key]
            events = paths.interruptions * service[g]
            lost: FloatArray = np.zeros(shape)
            if (paths.downtime_share > 0.0).any():
                full = project(chosen, without_downtime(scen, key)).line("contracted_revenue")
                lost = np.clip(full - realised, 0.0, None)
            lost_per_event = np.divide(lost, events, out=np.zeros(shape), where=events > 0.0)
            severity = fx * (model.repair_cost_per_interruption + lost_per_event)
            severity = np.where(events > 0.0, severity, 0.0)
            claims += events * xl_layer(severity, self.deductible_per_event, self.limit_per_event)
            ground_up += events * severity
            events_total += events
            if self.replacement_value_per_gpu > 0.0:
                held = paths.gpus_in_service
                before = np.concatenate([np.full((shape[0], 1), float(group.gpus)), held[:, :-1]],
                                        axis=1)  # fmt: skip
                failed = (before - held) * service[g]
                value = self.replacement_value_per_gpu
                payout = float(xl_layer(value, self.deductible_per_event, self.limit_per_event))
                claims += failed * payout
                ground_up += failed * value
                events_total += failed
        claims *= window
        payments = aggregate_layer_payments(claims, self.aggregate_deductible, self.aggregate_limit)
        covered = window > 0.0
        events_term = (events_total * window).sum(axis=1)
        ground_up_term = (ground_up * window).sum(axis=1)
        details: dict[str, Any] = {
            "fleet_id": self.fleet_id,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "expected_events": float(events_term.mean()),
            "expected_ground_up_loss": float(ground_up_term.mean()),
            "mean_severity": float(ground_up_term.sum() / max(events_term.sum(), 1e-300)),
        }
        return InsuranceQuote(
            cover="downtime",
            currency=self.currency,
            as_of=market.as_of,
            n_paths=scen.n_paths,
            seed=scen.seed,
            loading=self.loading,
            payment_dates=grid.end_dates[covered],
            payments=payments[:, covered],
            discount_factors=proj.line("discount_factor")[:, covered],
            underlying=events_term,
            underlying_name="events over the term",
            strike=None,
            details=details,
        )
