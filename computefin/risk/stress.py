"""Named deterministic stresses as data: load from YAML or JSON, combine, apply.

A :class:`StressScenario` says what to shock; :func:`apply_stress` turns projection
inputs into stressed inputs, so the same stress applies to the expected projection and
to a scenario run. The shipped library is ``computefin/risk/data/stresses.yaml``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import Field, StringConstraints

from computefin.domain._base import DomainModel
from computefin.domain._types import Share
from computefin.errors import ValidationError

__all__ = ["StressScenario", "load_stresses", "stress_library"]

MAX_RATE_SHIFT_BP = 2000.0
"""Rate shifts beyond +/-20% are refused as likely unit slips (percent for bp)."""


class StressScenario(DomainModel):
    """One named stress: each field left at its default leaves that input alone.

    >>> s = StressScenario(name="deep-cut", rental_price_shock=-0.6, rate_shift_bp=100)
    >>> s.is_identity
    False
    >>> StressScenario(name="bad", rental_price_shock=-1.5)
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: StressScenario.rental_price_shock: Input should be ...
    """

    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=64)]
    description: str = ""
    rental_price_shock: float = Field(
        default=0.0, gt=-1.0, le=10.0,
        description="Relative change of every rental price level (spot and contract "
        "re-letting), e.g. -0.5 for a 50% fall.",
    )  # fmt: skip
    successor_months_earlier: int = Field(
        default=0, ge=-120, le=120,
        description="Months by which every successor launch moves earlier (negative: later).",
    )  # fmt: skip
    utilization_level: Share | None = Field(
        default=None, description="Spot utilization set to this level in [0, 1] throughout."
    )
    electricity_price_shock: float = Field(
        default=0.0, gt=-1.0, le=10.0, description="Relative change of electricity prices."
    )
    default_counterparty: str | None = Field(
        default=None,
        description="Counterparty id forced to default, or 'largest' for the one with the "
        "largest annual contract value on the fleet.",
    )
    default_after_months: int = Field(
        default=6,
        ge=0,
        le=360,
        description="When the forced default happens: whole months "
        "after the as-of date (calendar months, so ACT/365F years follow the calendar).",
    )
    rate_shift_bp: float = Field(
        default=0.0, ge=-MAX_RATE_SHIFT_BP, le=MAX_RATE_SHIFT_BP,
        description="Parallel shift of discount rates, basis points.",
    )  # fmt: skip

    @property
    def is_identity(self) -> bool:
        """True when the stress changes nothing."""
        return (
            self.rental_price_shock == 0.0
            and self.successor_months_earlier == 0
            and self.utilization_level is None
            and self.electricity_price_shock == 0.0
            and self.default_counterparty is None
            and self.rate_shift_bp == 0.0
        )


def _parse(text: str, source: str) -> list[StressScenario]:
    try:
        data: Any = yaml.safe_load(text) if not source.endswith(".json") else json.loads(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise ValidationError(source, f"not valid YAML/JSON: {exc}") from exc
    if isinstance(data, dict) and "stresses" in data:
        data = data["stresses"]
    if not isinstance(data, list):
        raise ValidationError(source, "must be a list of stresses (or {stresses: [...]})")
    out: list[StressScenario] = []
    for i, item in enumerate(data):
        try:
            out.append(StressScenario.model_validate(item))
        except ValidationError as exc:
            raise ValidationError(f"{source}[{i}]", str(exc)) from exc
    names = [s.name for s in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValidationError(source, "stress names must be unique", dupes)
    return out


def load_stresses(path: str | Path) -> list[StressScenario]:
    """Load a bank's stress file (YAML, or JSON by the ``.json`` suffix).

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     f = pathlib.Path(tmp, "s.yaml")
    ...     _ = f.write_text("- name: mild\\n  rental_price_shock: -0.2\\n")
    ...     [s.name for s in load_stresses(f)]
    ['mild']
    """
    source = Path(path)
    return _parse(source.read_text(encoding="utf-8"), str(source))


@cache
def _library() -> tuple[StressScenario, ...]:
    text = resources.files("computefin.risk").joinpath("data", "stresses.yaml").read_text("utf-8")
    return tuple(_parse(text, "stresses.yaml"))


def stress_library(names: Sequence[str] | None = None) -> list[StressScenario]:
    """The shipped stresses, all or by name (unknown names raise, naming the known ones).

    >>> [s.name for s in stress_library(["rates-plus-200bp"])]
    ['rates-plus-200bp']
    """
    library = {s.name: s for s in _library()}
    if names is None:
        return list(library.values())
    unknown = [n for n in names if n not in library]
    if unknown:
        raise ValidationError("stress", f"unknown; known: {', '.join(library)}", unknown)
    return [library[n] for n in names]
