"""computefin: price, risk and approve financial products built on compute assets.

The package has five layers, imports pointing down only:
``engine -> products -> risk -> pricing -> domain``.

>>> import computefin
>>> isinstance(computefin.__version__, str)
True
"""

from computefin._version import __version__
from computefin.errors import (
    ComputefinError,
    ConvergenceError,
    MarketDataError,
    ValidationError,
)

__all__ = [
    "ComputefinError",
    "ConvergenceError",
    "MarketDataError",
    "ValidationError",
    "__version__",
]
