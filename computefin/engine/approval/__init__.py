"""Credit approval: an application in, a decision with reasons out (Python, CLI, HTTP).

:func:`decide` applies a :class:`CreditPolicy` (data: ``data/default_policy.yaml``) to a
:class:`CreditApplication` against a market snapshot and returns a :class:`Decision`:
``approve`` / ``refer`` / ``decline``, the maximum amount, the risk-based margin, the
covenants and every rule's measured value and limit. ``computefin approve`` and
``computefin serve`` (:func:`create_app`) are the same call. See ``docs/approval.md``.

>>> from computefin.domain import demo_market
>>> decide(example_application(), demo_market()).outcome.value
'approve'
"""

from computefin.engine.approval.decide import decide, input_hash
from computefin.engine.approval.examples import example_application
from computefin.engine.approval.models import (
    CollateralFigures,
    Covenant,
    CreditApplication,
    CreditFigures,
    Decision,
    FinancialStatements,
    MarginBreakdown,
    Outcome,
    RateType,
    RuleOutcome,
    RuleStatus,
)
from computefin.engine.approval.policy import (
    CovenantTerms,
    CreditPolicy,
    Limit,
    PolicyRules,
    PricingTerms,
    Severity,
    default_policy,
    load_policy,
)
from computefin.engine.approval.schema import application_json_schema

__all__ = [
    "CollateralFigures",
    "Covenant",
    "CovenantTerms",
    "CreditApplication",
    "CreditFigures",
    "CreditPolicy",
    "Decision",
    "FinancialStatements",
    "Limit",
    "MarginBreakdown",
    "Outcome",
    "PolicyRules",
    "PricingTerms",
    "RateType",
    "RuleOutcome",
    "RuleStatus",
    "Severity",
    "application_json_schema",
    "decide",
    "default_policy",
    "example_application",
    "input_hash",
    "load_policy",
]
