"""JSON Schemas of the public domain models: the data contract integrators code against.

>>> schemas = json_schemas()
>>> sorted(schemas)[:3]
['Accelerator', 'Contract', 'Counterparty']
>>> schemas["Site"]["properties"]["pue"]["minimum"]
1.0
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from computefin.domain._base import DomainModel
from computefin.domain.accelerators import Accelerator
from computefin.domain.assets import Fleet, ServerGroup, Site
from computefin.domain.contracts import Contract
from computefin.domain.market import (
    Fixing,
    FxRate,
    GpuRentalQuote,
    MarketSnapshot,
    PdEntry,
    RateQuote,
    ResaleObservation,
)
from computefin.domain.parties import Counterparty
from computefin.domain.portfolio import Portfolio

__all__ = ["SCHEMA_MODELS", "json_schemas", "schemas_markdown", "write_json_schemas"]

SCHEMA_MODELS: tuple[type[DomainModel], ...] = (
    Accelerator,
    Site,
    ServerGroup,
    Fleet,
    Counterparty,
    Contract,
    RateQuote,
    Fixing,
    GpuRentalQuote,
    ResaleObservation,
    FxRate,
    PdEntry,
    MarketSnapshot,
    Portfolio,
)
"""Models whose JSON Schema is published, in documentation order."""


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schema (draft 2020-12, validation mode) of each public model, by model name."""
    return {model.__name__: model.model_json_schema() for model in SCHEMA_MODELS}


def write_json_schemas(folder: str | Path) -> list[Path]:
    """Write one ``<Model>.schema.json`` per model into ``folder``; return the paths.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = write_json_schemas(tmp)
    ...     sorted(p.name for p in paths)[0]
    'Accelerator.schema.json'
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in json_schemas().items():
        path = out / f"{name}.schema.json"
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written


def _type_of(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in prop:
        return " or ".join(_type_of(p) for p in prop["anyOf"])
    if prop.get("type") == "array":
        return f"list of {_type_of(prop.get('items', {}))}"
    if "enum" in prop:
        return "one of " + ", ".join(f"`{v}`" for v in prop["enum"])
    kind = str(prop.get("type", "any"))
    return f"{kind} ({prop['format']})" if "format" in prop else kind


def _limits(prop: dict[str, Any]) -> str:
    words = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<",
             "minLength": "min length", "maxLength": "max length", "pattern": "pattern",
             "minItems": "min items"}  # fmt: skip
    found = []
    for candidate in [prop, *prop.get("anyOf", [])]:
        found += [f"{w} `{candidate[k]}`" for k, w in words.items() if k in candidate]
    return ", ".join(found)


def schemas_markdown() -> str:
    """The data-model reference as Markdown: one table of fields per model.

    >>> text = schemas_markdown()
    >>> "## Site" in text and "| `pue` |" in text
    True
    """
    lines = [
        "# Data model reference",
        "",
        "Generated from the JSON Schemas by `computefin schema --markdown docs/data-model.md`;",
        "a test fails when this file is out of date. Every model is frozen, rejects unknown",
        "fields, NaN and infinity, and survives a JSON round trip unchanged.",
        "",
    ]
    for name, schema in json_schemas().items():
        lines += [f"## {name}", "", " ".join(str(schema.get("description", "")).split()), ""]
        lines += ["| field | type | required | limits | description |", "|---|---|---|---|---|"]
        required = set(schema.get("required", []))
        for field, prop in schema.get("properties", {}).items():
            description = " ".join(str(prop.get("description", "")).split())
            lines.append(
                f"| `{field}` | {_type_of(prop)} | {'yes' if field in required else 'no'} "
                f"| {_limits(prop)} | {description} |".replace("\\", "\\\\")
            )
        lines.append("")
    return "\n".join(lines)
