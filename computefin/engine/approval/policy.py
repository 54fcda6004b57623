"""The credit policy as data: limits, severities, pricing and covenant terms.

A :class:`CreditPolicy` loads from YAML or JSON (:func:`load_policy`); the documented
default ships as ``computefin/engine/approval/data/default_policy.yaml``
(:func:`default_policy`). Rates, shares and margins are decimals (0.05 = 5%); DSCR and
coverage are multiples (1.35 = 1.35x); tenors and ages are years.

>>> policy = default_policy()
>>> policy.version, policy.rules.max_stressed_ltv.limit, policy.scenarios
('2026.11-1', 0.8, 1000)
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import Field, StringConstraints, field_validator, model_validator

from computefin.domain._base import DomainModel
from computefin.domain._types import Share, Slug
from computefin.errors import ValidationError
from computefin.products.loan._fields import DecimalShare
from computefin.risk import LIQUIDATION_HAIRCUTS, stress_library

__all__ = [
    "CovenantTerms",
    "CreditPolicy",
    "Limit",
    "PolicyRules",
    "PricingTerms",
    "Severity",
    "default_policy",
    "load_policy",
]


class Severity(StrEnum):
    """What a breached rule does to the decision: ``decline`` or ``refer`` to a credit
    officer.

    >>> Severity("refer").value
    'refer'
    """

    DECLINE = "decline"
    REFER = "refer"


class Limit(DomainModel):
    """One rule's limit (a share, a multiple, years or a count) and its breach severity.

    >>> Limit(limit=0.8, on_breach="decline").on_breach.value
    'decline'
    """

    limit: float = Field(ge=0.0, le=1000.0, description="The limit; its unit is the rule's.")
    on_breach: Severity = Field(description="'decline' or 'refer' when the rule fails.")


def _limit(value: float, severity: str) -> Any:
    return Field(default_factory=lambda: Limit(limit=value, on_breach=Severity(severity)))


class PolicyRules(DomainModel):
    """The limits of every rule; see ``docs/approval.md`` for each formula.

    >>> PolicyRules().min_base_dscr.limit
    1.35
    """

    max_stressed_ltv: Limit = _limit(0.80, "decline")
    min_base_dscr: Limit = _limit(1.35, "decline")
    min_stressed_dscr: Limit = _limit(1.00, "refer")
    min_contracted_coverage: Limit = _limit(0.50, "refer")
    max_single_lessee_share: Limit = _limit(0.60, "refer")
    max_tenor_share_of_life: Limit = _limit(0.80, "decline")
    max_successors_launched: Limit = _limit(3.0, "decline")
    max_years_since_launch: Limit = _limit(5.0, "refer")
    min_raroc: Limit = _limit(0.12, "refer")
    max_net_leverage: Limit = _limit(4.0, "refer")

    @model_validator(mode="after")
    def _shares(self) -> PolicyRules:
        for name in ("max_stressed_ltv", "max_single_lessee_share", "max_tenor_share_of_life"):
            value = getattr(self, name).limit
            if value > 5.0:
                raise ValidationError(
                    f"{name}.limit",
                    "shares are decimals (0.8 = 80%); this looks like a percentage",
                    value,
                )
        if self.min_raroc.limit > 1.0:
            raise ValidationError(
                "min_raroc.limit", "returns are decimals (0.12 = 12%)", self.min_raroc.limit
            )
        return self


class PricingTerms(DomainModel):
    """Inputs of the risk-based margin, decimals per year.

    ``margin = PD x LGD + cost_of_capital x capital_ratio x RW + funding_spread +
    operating_cost`` (RW = RWA / amount).

    >>> PricingTerms().capital_ratio
    0.105
    """

    capital_ratio: DecimalShare = Field(
        default=0.105, description="Capital held per unit of RWA (decimal)."
    )
    cost_of_capital: float = Field(
        default=0.12, ge=0.0, le=1.0, description="Return required on capital, per year."
    )
    funding_spread: float = Field(
        default=0.006, ge=-0.2, le=0.2, description="Funding cost over the index, per year."
    )
    operating_cost: float = Field(
        default=0.004, ge=0.0, le=0.2, description="Operating cost, share of amount per year."
    )


class CovenantTerms(DomainModel):
    """Covenants attached to an approved loan.

    >>> CovenantTerms().min_dscr
    1.2
    """

    max_ltv: DecimalShare = Field(default=0.75, description="Maximum LTV on expected value.")
    min_dscr: float = Field(default=1.20, gt=0.0, le=10.0, description="Minimum DSCR (x).")
    cash_sweep_share: DecimalShare = Field(
        default=0.5, description="Share of excess cash swept to prepayment on a breach."
    )
    concentration_reporting_share: DecimalShare = Field(
        default=0.40, description="Lessees above this share get a reporting covenant."
    )


class CreditPolicy(DomainModel):
    """A versioned credit policy: simulation settings, rule limits, pricing, covenants.

    >>> p = CreditPolicy(name="tight", version="1", rules={"max_stressed_ltv":
    ...     {"limit": 0.6, "on_breach": "decline"}})
    >>> p.rules.max_stressed_ltv.limit, p.rules.min_base_dscr.limit
    (0.6, 1.35)
    >>> CreditPolicy(name="x", version="1", dscr_stresses=["no-such-stress"])
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: CreditPolicy.dscr_stresses.stress: unknown; known: ...
    """

    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    version: Annotated[str, StringConstraints(min_length=1, max_length=50)]
    description: str = Field(default="", max_length=2000)
    scenarios: int = Field(default=1000, ge=1, le=20_000, description="Paths per fleet.")
    seed: int = Field(default=20261127, ge=0, le=2**63 - 1, description="Scenario seed.")
    downturn_quantile: float = Field(
        default=0.05, gt=0.0, lt=1.0, description="Quantile of simulated value (downturn)."
    )
    default_horizon_years: float = Field(
        default=1.0, gt=0.0, le=10.0, description="Assumed time to default, years."
    )
    economic_life_years: float = Field(
        default=5.0, gt=0.0, le=15.0, description="GPU economic life from acquisition, years."
    )
    value_stresses: tuple[Slug, ...] = Field(
        default=("electricity-plus-30pct",),
        description="Named stresses whose expected fleet value at the first period end "
        "competes with the downturn quantile for the stressed collateral value.",
    )
    dscr_stresses: tuple[Slug, ...] = Field(
        default=("largest-lessee-defaults-m6", "electricity-plus-30pct"),
        description="Named stresses of the stressed-DSCR rule (expected case each).",
    )
    liquidation_haircut: float | str = Field(
        default="auction", description="Decimal haircut or broker/auction/distressed."
    )
    recovery_costs_share: Share = 0.05
    contract_recovery_share: Share = 0.5
    rules: PolicyRules = Field(default_factory=PolicyRules)
    excluded_accelerators: tuple[Slug, ...] = ()
    excluded_on_breach: Severity = Severity.DECLINE
    pricing: PricingTerms = Field(default_factory=PricingTerms)
    covenants: CovenantTerms = Field(default_factory=CovenantTerms)

    @field_validator("value_stresses", "dscr_stresses")
    @classmethod
    def _known_stresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        stress_library(value)  # raises naming the known stresses
        return value

    @field_validator("liquidation_haircut")
    @classmethod
    def _haircut(cls, value: float | str) -> float | str:
        if isinstance(value, str):
            if value not in LIQUIDATION_HAIRCUTS:
                raise ValueError(f"unknown preset; use {', '.join(LIQUIDATION_HAIRCUTS)}")
        elif not 0.0 <= value <= 1.0:
            raise ValueError("a haircut is a decimal in [0, 1]")
        return value

    @property
    def digest(self) -> str:
        """SHA-256 of the policy's canonical JSON (hex): what exactly was applied.

        >>> len(default_policy().digest)
        64
        """
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _parse(text: str, source: str) -> CreditPolicy:
    try:
        data: Any = json.loads(text) if source.endswith(".json") else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise ValidationError(source, f"not valid YAML/JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValidationError(source, "must be a mapping of policy fields")
    return CreditPolicy.model_validate(data)


def load_policy(path: str | Path) -> CreditPolicy:
    """Load a policy file (YAML, or JSON by the ``.json`` suffix).

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     f = pathlib.Path(tmp, "p.yaml")
    ...     _ = f.write_text("name: mine\\nversion: '7'\\nscenarios: 200\\n")
    ...     load_policy(f).scenarios
    200
    """
    source = Path(path)
    return _parse(source.read_text(encoding="utf-8"), str(source))


@cache
def default_policy() -> CreditPolicy:
    """The shipped default policy (``data/default_policy.yaml``; see docs/approval.md).

    >>> default_policy().name
    'computefin-default'
    """
    text = (
        resources.files("computefin.engine.approval")
        .joinpath("data", "default_policy.yaml")
        .read_text(encoding="utf-8")
    )
    return _parse(text, "default_policy.yaml")
