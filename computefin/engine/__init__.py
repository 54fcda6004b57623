"""The engine: portfolio store, batch valuation, reports, the ``computefin`` command.

Importing the package registers every product's batch handler (loans, ABS tranche
holdings, compute rights certificates). Results of a run as DataFrames:
:func:`results`, :func:`run_info`, :func:`runs`.

>>> from computefin.engine import registry
>>> sorted(registry.handlers())
['abs_tranche', 'certificate', 'loan']
"""

from computefin.engine import registry
from computefin.engine.abs_handler import AbsTrancheHandler
from computefin.engine.certificate_handler import CertificateHandler
from computefin.engine.results import results, run_info, runs

for _handler in (AbsTrancheHandler(), CertificateHandler()):
    if _handler.instrument_type not in registry.handlers():
        registry.register(_handler)

__all__ = ["registry", "results", "run_info", "runs"]
