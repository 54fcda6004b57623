"""Contract shares per period given counterparty default times: paths and exact expectations.

For a contract running ``[s, e)`` whose counterparty defaults at ``tau`` (years from the
as-of date), in a period ``[a, b)`` of length ``d``:

- paid share ``A = |[a, b) ∩ [s, min(e, tau))| / d``: the contract pays pro rata up to
  default;
- idle share ``I = |[a, b) ∩ [max(s, tau), min(e, tau + g))| / d``: after default its
  GPUs sit idle for the re-marketing gap ``g`` (years), then go back to spot; when the
  counterparty defaulted before ``s`` the contract never started and nothing sits idle.

With a constant hazard ``h`` (``S(u) = exp(-h u)``) the expectations have closed forms:
``E[A] = (1/d) ∫ S(u) du`` over ``[a, b) ∩ [s, e)``, and
``E[I] = (1/d) ∫ (S(max(s, u - g)) - S(u)) du`` over the same interval.
"""

from __future__ import annotations

import math

import numpy as np

from computefin._typing import FloatArray

__all__ = ["expected_shares", "path_shares"]


def _overlap(lo: FloatArray, hi: FloatArray, a: FloatArray, b: FloatArray) -> FloatArray:
    out: FloatArray = np.clip(np.minimum(hi, b) - np.maximum(lo, a), 0.0, None)
    return out


def path_shares(
    start: float, end: float, tau: FloatArray, gap: float, a: FloatArray, b: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Paid and idle shares ``(paths, periods)`` for default times ``tau`` ``(paths,)``.

    >>> a, b = np.array([0.0, 0.5]), np.array([0.5, 1.0])
    >>> paid, idle = path_shares(0.0, 1.0, np.array([0.25]), 0.5, a, b)
    >>> paid.tolist(), idle.tolist()
    ([[0.5, 0.0]], [[0.5, 0.5]])
    """
    t = tau[:, None]
    d = b - a
    paid = _overlap(np.full_like(t, start), np.minimum(end, t), a, b) / d
    idle = _overlap(np.maximum(start, t), np.minimum(end, t + gap), a, b) / d
    # A counterparty that defaulted before the contract began never took the GPUs.
    idle = np.where(t >= start, idle, 0.0)
    return paid, idle


def _integral_survival(h: float, lo: FloatArray, hi: FloatArray) -> FloatArray:
    """∫_lo^hi exp(-h u) du, zero where hi <= lo."""
    width = np.clip(hi - lo, 0.0, None)
    if h == 0.0:
        return width
    # exp(-h lo) (1 - exp(-h w)) / h, with expm1: no cancellation for tiny hazards.
    out: FloatArray = np.exp(-h * lo) * -np.expm1(-h * width) / h
    return out


def expected_shares(
    start: float, end: float, hazard: float, gap: float, a: FloatArray, b: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Exact expected paid and idle shares ``(periods,)`` under a constant hazard (1/year).

    >>> a, b = np.array([0.0]), np.array([1.0])
    >>> paid, idle = expected_shares(0.0, 1.0, 0.0, 0.25, a, b)
    >>> paid.tolist(), idle.tolist()
    ([1.0], [0.0])
    """
    if math.isinf(hazard):  # PD = 1: in default on the as-of date, on every path
        paid_now, idle_now = path_shares(start, end, np.zeros(1), gap, a, b)
        return paid_now[0], idle_now[0]
    lo = np.maximum(a, start)
    hi = np.minimum(b, end)
    d = b - a
    survival_part = _integral_survival(hazard, lo, hi)
    paid = survival_part / d
    # E[I] d = ∫ S(max(s, u - g)) du - ∫ S(u) du over [lo, hi); split at u = s + g.
    # Default times are >= 0 (the counterparty is alive on the as-of date), so a contract
    # that began before then behaves as one beginning at 0.
    began = max(start, 0.0)
    split = began + gap
    first = np.clip(np.minimum(hi, split) - lo, 0.0, None) * np.exp(-hazard * began)
    later_lo = np.maximum(lo, split)
    later = _integral_survival(hazard, later_lo - gap, np.maximum(hi, later_lo) - gap)
    idle = (first + later - survival_part) / d
    return paid, np.clip(idle, 0.0, 1.0)
