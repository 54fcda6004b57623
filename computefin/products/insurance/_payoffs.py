"""Payoff kernels of the insurance covers, on arrays of any shape (paths, periods, ...).

Money in, money out, unrounded; the same currency throughout.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from computefin._typing import FloatArray
from computefin.errors import ValidationError

__all__ = ["aggregate_layer_payments", "residual_value_put", "xl_layer"]


def _check_terms(deductible: float, limit: float | None, prefix: str) -> None:
    if not np.isfinite(deductible) or deductible < 0.0:
        raise ValidationError(f"{prefix}deductible", "must be finite and >= 0", deductible)
    if limit is not None and (not np.isfinite(limit) or limit <= 0.0):
        raise ValidationError(f"{prefix}limit", "must be finite and > 0, or None", limit)


def xl_layer(loss: npt.ArrayLike, deductible: float, limit: float | None = None) -> FloatArray:
    """Insured part of each ground-up loss: ``min(max(X - d, 0), L)`` (``L`` None: no cap).

    ``deductible`` ``d`` and ``limit`` ``L`` in the currency of ``loss``; the limit caps
    what the policy pays, after the deductible.

    >>> xl_layer([50.0, 150.0, 900.0], deductible=100.0, limit=500.0).tolist()
    [0.0, 50.0, 500.0]
    >>> xl_layer([50.0], deductible=-1.0)
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: deductible: must be finite and >= 0 (got -1.0)
    """
    _check_terms(deductible, limit, "")
    x = np.asarray(loss, dtype=np.float64)
    out = np.maximum(x - deductible, 0.0)
    if limit is not None:
        out = np.minimum(out, limit)
    return np.asarray(out, dtype=np.float64)


def aggregate_layer_payments(
    period_losses: npt.ArrayLike, deductible: float, limit: float | None = None
) -> FloatArray:
    """Payments per period under an aggregate deductible and limit over the term.

    With ``S_t`` the cumulative loss to the end of period ``t`` (last axis), the policy
    pays ``f(S_t) - f(S_{t-1})`` in period ``t``, ``f(s) = min(max(s - D, 0), L)``; the
    payments sum to ``f(S_T)``. Losses must be >= 0.

    >>> aggregate_layer_payments([[40.0, 40.0, 40.0, 40.0]], 60.0, 70.0).tolist()
    [[0.0, 20.0, 40.0, 10.0]]
    """
    _check_terms(deductible, limit, "aggregate_")
    x = np.asarray(period_losses, dtype=np.float64)
    if (x < 0.0).any() or not np.isfinite(x).all():
        raise ValidationError("period_losses", "must be finite and >= 0")
    covered = xl_layer(np.cumsum(x, axis=-1), deductible, limit)
    first = np.zeros_like(covered[..., :1])
    return np.asarray(np.diff(covered, axis=-1, prepend=first), dtype=np.float64)


def residual_value_put(
    value: npt.ArrayLike,
    guaranteed_value: float,
    deductible: float = 0.0,
    limit: float | None = None,
) -> FloatArray:
    """Residual value insurance payoff per GPU: ``min(max(K - d - V, 0), L)``.

    ``value`` ``V`` is the realised value per GPU at the guarantee date, ``K`` the
    guaranteed value, ``d`` the deductible per GPU and ``L`` the limit per GPU (None: no
    cap); a put struck at ``K - d``, capped at ``L``.

    >>> residual_value_put([3000.0, 4500.0, 6000.0], 5000.0, deductible=200.0).tolist()
    [1800.0, 300.0, 0.0]
    """
    if not np.isfinite(guaranteed_value) or guaranteed_value <= 0.0:
        raise ValidationError("guaranteed_value", "must be finite and > 0", guaranteed_value)
    _check_terms(deductible, limit, "")
    v = np.asarray(value, dtype=np.float64)
    return xl_layer(guaranteed_value - v, deductible, limit)
