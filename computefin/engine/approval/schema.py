"""The published JSON Schema of a credit application (docs/approval-application.schema.json).

>>> schema = application_json_schema()
>>> schema["title"], "requested_amount" in schema["properties"]
('CreditApplication', True)
"""

from __future__ import annotations

import json
from typing import Any

from computefin.engine.approval.models import CreditApplication

__all__ = ["application_json_schema", "application_json_schema_text"]


def application_json_schema(ref_template: str = "#/$defs/{model}") -> dict[str, Any]:
    """JSON Schema (2020-12) of :class:`CreditApplication`, validation mode.

    ``ref_template`` places the nested definitions (``#/components/schemas/{model}`` for
    an OpenAPI document).

    >>> "$defs" in application_json_schema()
    True
    """
    schema: dict[str, Any] = CreditApplication.model_json_schema(
        ref_template=ref_template, mode="validation"
    )
    schema.setdefault("$schema", "https://json-schema.org/draft/2020-12/schema")
    return schema


def application_json_schema_text() -> str:
    """The schema as the text of the published file (sorted keys, 2-space indent).

    >>> application_json_schema_text().endswith("}\\n")
    True
    """
    text = json.dumps(application_json_schema(), indent=2, sort_keys=True, ensure_ascii=False)
    return text + "\n"
