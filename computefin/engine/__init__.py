"""The engine: portfolio store, batch valuation, reports, the ``computefin`` command.

Importing the package registers every product's batch handler (loans, ABS tranche
holdings). Results of a run as DataFrames: :func:`results`, :func:`run_info`,
:func:`runs`.

>>> from computefin.engine import registry
>>> sorted(registry.handlers())
['abs_tranche', 'loan']
"""

from computefin.engine import registry
from computefin.engine.abs_handler import AbsTrancheHandler
from computefin.engine.results import results, run_info, runs

if "abs_tranche" not in registry.handlers():
    registry.register(AbsTrancheHandler())

__all__ = ["registry", "results", "run_info", "runs"]
