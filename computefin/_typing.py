"""Array type aliases shared by every layer (one definition, not one per module).

>>> import numpy as np
>>> x: FloatArray = np.zeros(2)
>>> x.dtype
dtype('float64')
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["BoolArray", "DateArray", "FloatArray", "IntArray"]

FloatArray = npt.NDArray[np.float64]
"""float64 arrays: money, rates, year fractions."""
IntArray = npt.NDArray[np.int64]
"""int64 arrays: day numbers, counts, indices."""
BoolArray = npt.NDArray[np.bool_]
"""Boolean masks."""
DateArray = npt.NDArray[np.datetime64]
"""Dates as ``datetime64[D]``."""
