"""Array plumbing of the vectorised capital functions: inputs in, floats or arrays out.

Conventions shared by :mod:`computefin.risk.capital` and
:mod:`computefin.risk.capital_securitisation`: numbers only (booleans and strings are
refused by name), elementwise checks that name the first bad element (``pd[3]``),
broadcasting with a clear error, and outputs that are floats for scalar inputs and
read-only arrays otherwise.

>>> out(as_float("x", [1, 2]) * 2, is_scalar([1, 2]))
array([2., 4.])
>>> require("pd", as_float("pd", [0.1, -1.0]), as_float("pd", [0.1, -1.0]) >= 0, "must be >= 0")
Traceback (most recent call last):
...
computefin.errors.ValidationError: pd[1]: must be >= 0 (got -1.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from computefin._typing import BoolArray, FloatArray
from computefin.errors import ValidationError

__all__ = ["as_bool", "as_float", "broadcast", "is_scalar", "out", "require", "where"]


def as_float(name: str, value: object) -> FloatArray:
    """``value`` as a float64 array; booleans, strings and objects are rejected."""
    if isinstance(value, bool | np.bool_):
        raise ValidationError(name, "must be a number, not a boolean", value)
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged lists
        raise ValidationError(name, f"must be numbers: {exc}", None) from exc
    if arr.dtype.kind not in "iuf":
        shown = value if arr.ndim == 0 else None
        raise ValidationError(name, f"must be numbers, got dtype {arr.dtype}", shown)
    return arr.astype(np.float64)


def as_bool(name: str, value: object) -> BoolArray:
    """``value`` as a boolean array; numbers and strings are rejected."""
    arr = np.asarray(value)
    if arr.dtype.kind != "b":
        shown = value if arr.ndim == 0 else None
        raise ValidationError(name, f"must be True/False, got dtype {arr.dtype}", shown)
    return arr.astype(np.bool_)


def where(name: str, index: tuple[int, ...]) -> str:
    """``name`` for a scalar, ``name[i, j]`` for an element."""
    return name if not index else f"{name}[{', '.join(str(int(i)) for i in index)}]"


def require(name: str, arr: FloatArray, ok: BoolArray, reason: str) -> None:
    """Raise naming the first element (``name[i]``, ``name[i, j]``) where ``ok`` fails."""
    bad = ~ok | np.isnan(arr)
    if not bad.any():
        return
    index = np.unravel_index(int(np.flatnonzero(bad.reshape(-1))[0]), arr.shape)
    value = float(arr[index])
    idx = tuple(int(i) for i in index)
    raise ValidationError(
        where(name, idx), "must not be NaN" if math.isnan(value) else reason, value
    )


def broadcast(named: Mapping[str, npt.NDArray[Any]]) -> list[npt.NDArray[Any]]:
    """The arrays broadcast to one shape (copies), or an error listing the shapes."""
    try:
        return [np.array(a) for a in np.broadcast_arrays(*named.values())]
    except ValueError as exc:
        shapes = ", ".join(f"{k} {v.shape}" for k, v in named.items())
        raise ValidationError("shape", f"inputs do not broadcast: {shapes}", None) from exc


def is_scalar(*values: Any) -> bool:
    """True when no input is an array or a sequence (numpy scalars count as scalars)."""
    return all(not isinstance(v, np.ndarray) and np.ndim(v) == 0 for v in values if v is not None)


def out(value: npt.ArrayLike, scalar: bool) -> Any:
    """A float for scalar inputs, else a read-only float64 array (0-d arrays stay arrays)."""
    if scalar:
        return float(np.asarray(value))
    arr = np.array(value, dtype=np.float64)
    arr.setflags(write=False)
    return arr
