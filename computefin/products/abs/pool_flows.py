"""PoolFlows: what a securitised pool collects each period, per path - the waterfall's input.

The contract between the pool (leases, loans, receivables run through a performance
scenario) and the waterfall runner. Every money array is shaped ``(paths, periods)`` in
the deal currency, unrounded; period ``k`` runs from ``period_starts[k]`` (exclusive) to
``payment_dates[k]`` (inclusive) and its collections are distributed on
``payment_dates[k]``.

Collections split the way the waterfall's interest and principal priorities need them:

- ``interest_collections``: lease rent net of the part that amortises the discounted pool
  balance, plus loan interest and fees (the interest waterfall's available funds);
- ``principal_collections``: scheduled principal, prepayments, and the balance-reducing
  part of lease rent (the principal waterfall's available funds); ``prepayments`` is
  the part of it that was prepaid (optional, zero by default), so scheduled principal =
  principal collections - prepayments (what a DSCR test divides by);
- ``recoveries``: recoveries on defaulted assets (after the recovery lag);
- ``remarketing_proceeds``: sales of returned or repossessed GPUs.

Loss bookkeeping (not cash): ``defaulted_balance`` is the discounted pool balance of
assets that defaulted in the period; ``net_loss`` = defaulted balance minus recoveries
booked against it. ``pool_balance`` is the discounted pool balance at each period end
(after defaults and collections), the figure OC tests and the clean-up call use;
``contractual_rent_remaining`` is the undiscounted rent still owed at period end.

>>> import numpy as np
>>> z = np.zeros((1, 2))
>>> flows = PoolFlows(
...     currency="CNY",
...     period_starts=np.array(["2027-01-01", "2027-02-01"], dtype="datetime64[D]"),
...     payment_dates=np.array(["2027-02-01", "2027-03-01"], dtype="datetime64[D]"),
...     original_pool_balance=100.0,
...     interest_collections=np.array([[1.0, 0.5]]), principal_collections=np.array([[50.0, 50.0]]),
...     recoveries=z, remarketing_proceeds=z, defaulted_balance=z, net_loss=z,
...     pool_balance=np.array([[50.0, 0.0]]), contractual_rent_remaining=np.array([[51.0, 0.0]]),
... )
>>> flows.n_paths, flows.n_periods, float(flows.total_collections[0].sum())
(1, 2, 101.5)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from computefin._typing import DateArray, FloatArray
from computefin.errors import ValidationError

__all__ = ["PoolFlows"]

_MONEY_FIELDS = (
    "interest_collections",
    "principal_collections",
    "recoveries",
    "remarketing_proceeds",
    "defaulted_balance",
    "net_loss",
    "pool_balance",
    "contractual_rent_remaining",
)


def _money(value: npt.ArrayLike, name: str) -> FloatArray:
    out = np.array(value, dtype=np.float64)
    if out.ndim == 1:
        out = out[np.newaxis, :]
    if out.ndim != 2:
        raise ValidationError(f"PoolFlows.{name}", f"must be (paths, periods), got {out.shape}")
    if not np.isfinite(out).all():
        raise ValidationError(f"PoolFlows.{name}", "contains NaN or infinity")
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class PoolFlows:
    """Per-period, per-path pool collections and balances in the deal currency (see module)."""

    currency: str
    period_starts: DateArray
    payment_dates: DateArray
    original_pool_balance: float
    interest_collections: FloatArray
    principal_collections: FloatArray
    recoveries: FloatArray
    remarketing_proceeds: FloatArray
    defaulted_balance: FloatArray
    net_loss: FloatArray
    pool_balance: FloatArray
    contractual_rent_remaining: FloatArray
    prepayments: FloatArray | None = None
    n_paths: int = field(init=False)
    n_periods: int = field(init=False)

    def __post_init__(self) -> None:
        starts = np.array(self.period_starts, dtype="datetime64[D]")
        pays = np.array(self.payment_dates, dtype="datetime64[D]")
        if starts.ndim != 1 or pays.shape != starts.shape:
            raise ValidationError("PoolFlows.payment_dates", "must be 1-d and match period_starts")
        if (pays <= starts).any() or (starts[1:] != pays[:-1]).any():
            raise ValidationError(
                "PoolFlows.payment_dates", "periods must be contiguous and increasing"
            )
        if not (np.isfinite(self.original_pool_balance) and self.original_pool_balance > 0.0):
            raise ValidationError(
                "PoolFlows.original_pool_balance", "must be positive", self.original_pool_balance
            )
        object.__setattr__(self, "period_starts", starts)
        object.__setattr__(self, "payment_dates", pays)
        shape: tuple[int, ...] | None = None
        for name in _MONEY_FIELDS:
            arr = _money(getattr(self, name), name)
            if arr.shape[1] != pays.size:
                raise ValidationError(
                    f"PoolFlows.{name}", f"has {arr.shape[1]} periods, dates have {pays.size}"
                )
            if shape is not None and arr.shape != shape:
                raise ValidationError(f"PoolFlows.{name}", f"shape {arr.shape} != {shape}")
            shape = arr.shape
            object.__setattr__(self, name, arr)
        assert shape is not None
        if self.prepayments is None:
            prepaid = np.zeros(shape)
            prepaid.setflags(write=False)
        else:
            prepaid = _money(self.prepayments, "prepayments")
            if prepaid.shape != shape:
                raise ValidationError("PoolFlows.prepayments", f"shape {prepaid.shape} != {shape}")
            if (prepaid < -1e-9).any() or (prepaid > self.principal_collections + 1e-6).any():
                raise ValidationError(
                    "PoolFlows.prepayments", "must lie between 0 and the principal collections"
                )
        object.__setattr__(self, "prepayments", prepaid)
        object.__setattr__(self, "n_paths", shape[0])
        object.__setattr__(self, "n_periods", shape[1])

    @property
    def scheduled_principal(self) -> FloatArray:
        """Principal collections less prepayments, ``(paths, periods)``."""
        assert self.prepayments is not None
        return self.principal_collections - self.prepayments

    @property
    def total_collections(self) -> FloatArray:
        """Cash collected each period: interest + principal + recoveries + remarketing."""
        return (
            self.interest_collections
            + self.principal_collections
            + self.recoveries
            + self.remarketing_proceeds
        )
