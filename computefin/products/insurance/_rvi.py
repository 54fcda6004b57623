"""Residual value insurance: a guaranteed value per GPU at a date, a put on the simulated value.

The insured GPUs are one server group of a fleet. On each path the value per GPU at the
guarantee date is the fleet projection's ``economic_value`` (PV of the remaining net
rental income to retirement plus the end-of-life resale, ``docs/models/projection.md``)
divided by the group's GPUs held, converted to the policy currency: ``V``. Per GPU the
policy pays ``min(max(K - d - V, 0), L)`` (:func:`residual_value_put`), on the insured
GPUs still in service: ``gpus x held / group GPUs`` (a GPU lost for good is a hardware
claim, not a residual-value one). Valued at the first period end on or after the
guarantee date (the monthly grid runs from the market's ``as_of``: a guarantee date
``as_of + k months`` is exact) and discounted with each path's discount factor.

A group of a multi-group fleet is projected as a fleet of that group alone (same fleet
id, same contracts, same random streams), since a fleet's economic value is one total.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from pydantic import Field, model_validator

from computefin.domain import MarketSnapshot, Portfolio, ServerGroup
from computefin.domain.assets import AcceleratorId
from computefin.errors import ValidationError
from computefin.products.insurance._context import (
    CoverTerms,
    check_paths,
    resolve_inputs,
    simulate,
)
from computefin.products.insurance._downtime import check_layer
from computefin.products.insurance._payoffs import residual_value_put
from computefin.products.insurance._quote import InsuranceQuote
from computefin.risk.projection import ProjectionInputs
from computefin.risk.scenario_set import ScenarioSet

__all__ = ["ResidualValueInsurance"]


class ResidualValueInsurance(CoverTerms):
    """A guaranteed value per GPU of a fleet's server group on ``guarantee_date``.

    The group is ``group`` (index in the fleet) or the fleet's only group of
    ``accelerator_id``, or the fleet's only group; ``gpus`` insured GPUs (None: all of
    the group's). Amounts per GPU in ``currency``. See the module docstring.

    >>> import datetime as dt
    >>> from computefin.domain import demo_market, demo_portfolio
    >>> rvi = ResidualValueInsurance(fleet_id="fleet-dal-h100", accelerator_id="nvidia-h100-sxm",
    ...                              guarantee_date=dt.date(2028, 11, 27),
    ...                              guaranteed_value_per_gpu=4500.0, loading=0.2,
    ...                              currency="USD")
    >>> q = rvi.price(demo_market(), demo_portfolio(), scenarios=300, seed=3)
    >>> q.details["valuation_date"], q.premium > 0
    ('2028-11-27', True)
    >>> ResidualValueInsurance(fleet_id="f", guarantee_date=dt.date(2028, 1, 1),
    ...                        guaranteed_value_per_gpu=4500.0, deductible_per_gpu=5000.0,
    ...                        currency="USD")
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: ResidualValueInsurance.deductible_per_gpu: ...
    """

    group: int | None = Field(
        default=None, ge=0, description="Index of the insured server group in the fleet."
    )
    accelerator_id: AcceleratorId | None = Field(
        default=None, description="Accelerator of the insured group (selects or checks it)."
    )
    gpus: int | None = Field(
        default=None, gt=0, description="Insured GPUs; None: every GPU of the group."
    )
    guarantee_date: dt.date = Field(description="Date at which the value is guaranteed.")
    guaranteed_value_per_gpu: float = Field(
        gt=0.0, description="Guaranteed value of one GPU on the guarantee date, `currency`."
    )
    deductible_per_gpu: float = Field(
        default=0.0, ge=0.0, description="Shortfall per GPU the insured keeps, `currency`."
    )
    limit_per_gpu: float | None = Field(
        default=None, gt=0.0, description="Most paid per GPU, `currency`; None: no limit."
    )

    @model_validator(mode="after")
    def _consistent_amounts(self) -> ResidualValueInsurance:
        if self.deductible_per_gpu >= self.guaranteed_value_per_gpu:
            raise ValidationError(
                "deductible_per_gpu",
                f"must be below guaranteed_value_per_gpu ({self.guaranteed_value_per_gpu!r}): "
                "the cover would never pay",
                self.deductible_per_gpu,
            )
        check_layer(self.deductible_per_gpu, self.limit_per_gpu,
                    ("deductible_per_gpu", "limit_per_gpu"))  # fmt: skip
        return self

    def _group_index(self, groups: tuple[ServerGroup, ...]) -> int:
        name = type(self).__name__
        if self.group is not None:
            if self.group >= len(groups):
                raise ValidationError(
                    f"{name}.group", f"the fleet has {len(groups)} server group(s)", self.group
                )
            chosen = self.group
        else:
            wanted = [
                i
                for i, g in enumerate(groups)
                if self.accelerator_id is None or g.accelerator_id == self.accelerator_id
            ]
            if len(wanted) != 1:
                field = "accelerator_id" if self.accelerator_id is not None else "group"
                raise ValidationError(
                    f"{name}.{field}",
                    f"selects {len(wanted)} of the fleet's {len(groups)} server groups; name "
                    "exactly one with group=<index>",
                    self.accelerator_id,
                )
            chosen = wanted[0]
        group = groups[chosen]
        if self.accelerator_id is not None and group.accelerator_id != self.accelerator_id:
            raise ValidationError(
                f"{name}.accelerator_id",
                f"group {chosen} holds {group.accelerator_id!r}",
                self.accelerator_id,
            )
        if self.gpus is not None and self.gpus > group.gpus:
            raise ValidationError(
                f"{name}.gpus", f"is more than the group's {group.gpus} GPUs", self.gpus
            )
        return chosen

    def price(
        self,
        market: MarketSnapshot,
        portfolio: Portfolio,
        scenarios: int | ScenarioSet | None = None,
        seed: int = 0,
        *,
        inputs: ProjectionInputs | None = None,
    ) -> InsuranceQuote:
        """Monte Carlo price of the guarantee over ``scenarios`` paths (None: the default
        number) drawn with ``seed``, or over a given :class:`ScenarioSet` (drawn for the
        insured group's inputs).

        ``inputs`` replaces the fleet's default models (they must reach the guarantee
        date); for a multi-group fleet they may describe the whole fleet.
        """
        name = type(self).__name__
        check_paths(scenarios, seed)
        if self.guarantee_date <= market.as_of:
            raise ValidationError(
                f"{name}.guarantee_date",
                f"must be after the market's as_of {market.as_of.isoformat()}",
                self.guarantee_date.isoformat(),
            )
        full = resolve_inputs(name, self.fleet_id, market, portfolio, self.guarantee_date, inputs)
        g = self._group_index(full.fleet.server_groups)
        chosen = _single_group(full, g)
        grid = chosen.grid
        t = int(np.searchsorted(grid.end_dates, np.datetime64(self.guarantee_date, "D")))
        valuation_day = grid.end_dates[t]
        retire = chosen.retirement_dates()[0]
        if retire is not None and np.datetime64(retire, "D") <= valuation_day:
            raise ValidationError(
                f"{name}.guarantee_date",
                f"is on or after the group's retirement {retire.isoformat()} (end of economic "
                "life, after the last contract), when it is sold at its end-of-life value; "
                "pass inputs with a longer economic life or retire_at_end_of_economic_life="
                "False",
                self.guarantee_date.isoformat(),
            )
        run = simulate(chosen, scenarios, seed)
        proj = run.projection
        group = chosen.fleet.server_groups[0]
        held = run.scenarios.failures[chosen.group_keys()[0]].gpus_in_service[:, t]
        fx = market.fx(chosen.currency, self.currency)
        economic = proj.line("economic_value")[:, t]
        value = fx * np.divide(economic, held, out=np.zeros_like(economic), where=held > 0.0)
        per_gpu = residual_value_put(
            value, self.guaranteed_value_per_gpu, self.deductible_per_gpu, self.limit_per_gpu
        )
        insured = float(group.gpus if self.gpus is None else self.gpus)
        covered = insured * held / group.gpus
        payments = (covered * per_gpu)[:, None]
        dfs = proj.line("discount_factor")[:, t : t + 1]
        details: dict[str, Any] = {
            "fleet_id": self.fleet_id,
            "group": g,
            "accelerator_id": group.accelerator_id,
            "insured_gpus": insured,
            "valuation_date": str(valuation_day),
            "mean_value_per_gpu": float(value.mean()),
            "guaranteed_value_per_gpu": self.guaranteed_value_per_gpu,
            "discounted_expected_loss_per_gpu": float((payments * dfs).mean()) / insured,
            "exercise_probability": float((per_gpu > 0.0).mean()),
        }
        return InsuranceQuote(
            cover="residual_value",
            currency=self.currency,
            as_of=market.as_of,
            n_paths=run.scenarios.n_paths,
            seed=run.scenarios.seed,
            loading=self.loading,
            payment_dates=grid.end_dates[t : t + 1],
            payments=payments,
            discount_factors=dfs,
            underlying=value,
            underlying_name=f"value per GPU on {valuation_day} ({self.currency.value})",
            strike=self.guaranteed_value_per_gpu - self.deductible_per_gpu,
            details=details,
        )


def _single_group(inputs: ProjectionInputs, g: int) -> ProjectionInputs:
    """Inputs of the fleet reduced to server group ``g``, on the same random streams."""
    fleet = inputs.fleet
    if len(fleet.server_groups) == 1:
        return inputs
    group = fleet.server_groups[g]
    # The group's stream key is "<fleet>/<resource_id or index>": a group without a
    # resource id keeps its index as one, so its failure paths match the whole fleet's.
    kept = group if group.resource_id else group.model_copy(update={"resource_id": str(g)})
    alone = fleet.model_copy(update={"server_groups": (kept,), "resource_id": fleet.resource_id})
    return inputs.with_changes(fleet=alone, failures=(inputs.failures[g],))
