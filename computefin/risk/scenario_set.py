"""ScenarioSet: every simulated path a projection needs, with its dates, seed and parameters.

Arrays are shaped ``(paths, periods)`` on one :class:`~computefin.risk.grid.PeriodGrid`,
except default times, which are one number per path (years from the as-of date; ``inf``
when the counterparty survives the horizon). A set saves to one ``.npz`` file holding the
arrays and a JSON header (dates, seed, parameters, package version) and loads back
bit-identical.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from computefin._typing import FloatArray
from computefin._version import __version__
from computefin.domain import Currency
from computefin.domain.conventions import Frequency
from computefin.errors import ValidationError
from computefin.risk.grid import PeriodGrid

__all__ = ["FailureArrays", "ScenarioSet"]

_FORMAT = "computefin.ScenarioSet/1"


def _frozen(array: npt.ArrayLike, name: str, shape: tuple[int, ...]) -> FloatArray:
    out = np.array(array, dtype=np.float64)  # a private copy: callers cannot mutate it
    if out.shape != shape:
        raise ValidationError(name, f"must have shape {shape}, got {out.shape}")
    if np.isnan(out).any():
        raise ValidationError(name, "contains NaN")
    out.setflags(write=False)
    return out


@dataclass(frozen=True)
class FailureArrays:
    """Failure paths of one server group, each ``(paths, periods)``.

    ``gpus_in_service`` at each period end; ``interruptions`` (count); ``downtime_share``
    of the period's GPU-hours lost to repairs, in [0, 1]; ``repair_cost`` in the fleet's
    currency.
    """

    gpus_in_service: FloatArray
    interruptions: FloatArray
    downtime_share: FloatArray
    repair_cost: FloatArray

    FIELDS = ("gpus_in_service", "interruptions", "downtime_share", "repair_cost")


@dataclass(frozen=True, eq=False)
class ScenarioSet:
    """Simulated paths for projections: prices, utilization, defaults, failures, rates.

    - ``prices[accelerator_id]``: spot rental price per GPU-hour, in
      ``price_currency[accelerator_id]``;
    - ``utilization[fleet_id]``: spot utilization in [0, 1];
    - ``default_times[counterparty_id]``: default time in years from ``grid.as_of``
      (``inf`` = survives), shape ``(paths,)``;
    - ``failures[f"{fleet_id}/{group_index}"]``: :class:`FailureArrays`;
    - ``rate_shift``: additive shift to the short rate (decimal) at each period end.

    >>> import datetime as dt
    >>> from computefin.risk.grid import period_grid
    >>> grid = period_grid(dt.date(2026, 11, 27), 3)
    >>> s = ScenarioSet.create(grid=grid, seed=1, n_paths=2,
    ...                        rate_shift=np.zeros((2, 3)), parameters={"note": "flat"})
    >>> (s.n_paths, s.n_periods, s.seed)
    (2, 3, 1)
    """

    grid: PeriodGrid
    seed: int
    n_paths: int
    first_path: int = 0
    prices: Mapping[str, FloatArray] = field(default_factory=dict)
    price_currency: Mapping[str, Currency] = field(default_factory=dict)
    utilization: Mapping[str, FloatArray] = field(default_factory=dict)
    default_times: Mapping[str, FloatArray] = field(default_factory=dict)
    failures: Mapping[str, FailureArrays] = field(default_factory=dict)
    rate_shift: FloatArray | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    created_by: str = __version__
    """computefin version that drew the paths (kept through save and load)."""

    @classmethod
    def create(
        cls,
        *,
        grid: PeriodGrid,
        seed: int,
        n_paths: int,
        first_path: int = 0,
        prices: Mapping[str, npt.ArrayLike] | None = None,
        price_currency: Mapping[str, Currency | str] | None = None,
        utilization: Mapping[str, npt.ArrayLike] | None = None,
        default_times: Mapping[str, npt.ArrayLike] | None = None,
        failures: Mapping[str, Mapping[str, npt.ArrayLike]] | None = None,
        rate_shift: npt.ArrayLike | None = None,
        parameters: Mapping[str, Any] | None = None,
        created_by: str = __version__,
    ) -> ScenarioSet:
        """Validate shapes and values, copy the arrays read-only, and build the set."""
        if n_paths <= 0:
            raise ValidationError("n_paths", "must be at least 1", n_paths)
        shape = (n_paths, grid.n_periods)
        prices = dict(prices or {})
        currencies = {k: Currency(v) for k, v in (price_currency or {}).items()}
        if set(prices) != set(currencies):
            raise ValidationError(
                "price_currency", "must name a currency for every price path and no other",
                sorted(set(prices) ^ set(currencies)),
            )  # fmt: skip
        checked_prices = {k: _frozen(v, f"prices[{k}]", shape) for k, v in sorted(prices.items())}
        for k, v in checked_prices.items():
            if (v <= 0).any() or not np.isfinite(v).all():
                raise ValidationError(f"prices[{k}]", "must be finite and > 0")
        checked_util = {
            k: _frozen(v, f"utilization[{k}]", shape)
            for k, v in sorted((utilization or {}).items())
        }
        for k, v in checked_util.items():
            if ((v < 0) | (v > 1)).any():
                raise ValidationError(f"utilization[{k}]", "must lie in [0, 1]")
        checked_defaults = {
            k: _frozen(v, f"default_times[{k}]", (n_paths,))
            for k, v in sorted((default_times or {}).items())
        }
        for k, v in checked_defaults.items():
            if (v < 0).any():
                raise ValidationError(f"default_times[{k}]", "must be >= 0 (years from as_of)")
        checked_failures = {}
        for key, arrays in sorted((failures or {}).items()):
            missing = set(FailureArrays.FIELDS) - set(arrays)
            if missing:
                raise ValidationError(f"failures[{key}]", f"missing {sorted(missing)}")
            checked_failures[key] = FailureArrays(
                **{
                    f: _frozen(arrays[f], f"failures[{key}].{f}", shape)
                    for f in FailureArrays.FIELDS
                }
            )
            if (checked_failures[key].gpus_in_service < 0).any():
                raise ValidationError(f"failures[{key}].gpus_in_service", "must be >= 0")
        shift = None if rate_shift is None else _frozen(rate_shift, "rate_shift", shape)
        if shift is not None and not np.isfinite(shift).all():
            raise ValidationError("rate_shift", "must be finite")
        params = json.loads(json.dumps(dict(parameters or {}), sort_keys=True, default=str))
        return cls(
            grid=grid,
            seed=seed,
            n_paths=n_paths,
            first_path=first_path,
            prices=MappingProxyType(checked_prices),
            price_currency=MappingProxyType(currencies),
            utilization=MappingProxyType(checked_util),
            default_times=MappingProxyType(checked_defaults),
            failures=MappingProxyType(checked_failures),
            rate_shift=shift,
            parameters=MappingProxyType(params),
            created_by=created_by,
        )

    def paths(self, lo: int, hi: int) -> ScenarioSet:
        """The sub-set of paths ``[lo, hi)`` (``first_path`` moves with it).

        >>> import datetime as dt
        >>> from computefin.risk.grid import period_grid
        >>> g = period_grid(dt.date(2026, 1, 1), 1)
        >>> s = ScenarioSet.create(grid=g, seed=1, n_paths=3, rate_shift=[[0.0], [0.1], [0.2]])
        >>> part = s.paths(1, 3)
        >>> (part.n_paths, part.first_path, part.rate_shift.tolist())
        (2, 1, [[0.1], [0.2]])
        """
        if not 0 <= lo < hi <= self.n_paths:
            raise ValidationError("paths", f"need 0 <= lo < hi <= {self.n_paths}", (lo, hi))
        return ScenarioSet.create(
            grid=self.grid,
            seed=self.seed,
            n_paths=hi - lo,
            first_path=self.first_path + lo,
            prices={k: v[lo:hi] for k, v in self.prices.items()},
            price_currency=dict(self.price_currency),
            utilization={k: v[lo:hi] for k, v in self.utilization.items()},
            default_times={k: v[lo:hi] for k, v in self.default_times.items()},
            failures={
                k: {f: getattr(a, f)[lo:hi] for f in FailureArrays.FIELDS}
                for k, a in self.failures.items()
            },
            rate_shift=None if self.rate_shift is None else self.rate_shift[lo:hi],
            parameters=dict(self.parameters),
            created_by=self.created_by,
        )

    @property
    def n_periods(self) -> int:
        """Number of periods of the grid."""
        return self.grid.n_periods

    def _arrays(self) -> dict[str, FloatArray]:
        out: dict[str, FloatArray] = {}
        out.update({f"prices/{k}": v for k, v in self.prices.items()})
        out.update({f"utilization/{k}": v for k, v in self.utilization.items()})
        out.update({f"default_times/{k}": v for k, v in self.default_times.items()})
        for key, arrays in self.failures.items():
            out.update({f"failures/{key}/{f}": getattr(arrays, f) for f in FailureArrays.FIELDS})
        if self.rate_shift is not None:
            out["rate_shift"] = self.rate_shift
        return out

    def _header(self) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "computefin_version": self.created_by,
            "as_of": self.grid.as_of.isoformat(),
            "frequency": self.grid.frequency.value,
            "start_dates": [str(d) for d in self.grid.start_dates],
            "end_dates": [str(d) for d in self.grid.end_dates],
            "seed": self.seed,
            "n_paths": self.n_paths,
            "first_path": self.first_path,
            "price_currency": {k: v.value for k, v in self.price_currency.items()},
            "parameters": dict(self.parameters),
        }

    def content_hash(self) -> str:
        """SHA-256 of the header and every array's bytes: equal sets have equal hashes.

        >>> import datetime as dt
        >>> from computefin.risk.grid import period_grid
        >>> g = period_grid(dt.date(2026, 1, 1), 2)
        >>> a = ScenarioSet.create(grid=g, seed=3, n_paths=1, rate_shift=[[0.0, 0.01]])
        >>> b = ScenarioSet.create(grid=g, seed=3, n_paths=1, rate_shift=[[0.0, 0.01]])
        >>> a.content_hash() == b.content_hash()
        True
        """
        digest = hashlib.sha256(json.dumps(self._header(), sort_keys=True).encode())
        for name, array in sorted(self._arrays().items()):
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ScenarioSet) and self.content_hash() == other.content_hash()

    def __hash__(self) -> int:
        return hash(self.content_hash())

    def save(self, path: str | Path) -> Path:
        """Write the set to an ``.npz`` file (arrays plus a JSON header); return the path."""
        target = Path(path)
        header = np.frombuffer(json.dumps(self._header(), sort_keys=True).encode(), dtype=np.uint8)
        buffer = io.BytesIO()
        arrays: dict[str, Any] = {"__header__": header, **self._arrays()}
        np.savez_compressed(buffer, **arrays)
        target.write_bytes(buffer.getvalue())
        return target

    @classmethod
    def load(cls, path: str | Path) -> ScenarioSet:
        """Read a set written by :meth:`save`; the result equals the saved set bit for bit.

        >>> import datetime as dt, tempfile
        >>> from computefin.risk.grid import period_grid
        >>> g = period_grid(dt.date(2026, 1, 1), 2)
        >>> s = ScenarioSet.create(grid=g, seed=3, n_paths=1, rate_shift=[[0.0, 0.01]])
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     ScenarioSet.load(s.save(tmp + "/s.npz")) == s
        True
        """
        with np.load(Path(path), allow_pickle=False) as data:
            header = json.loads(bytes(data["__header__"]).decode())
            arrays = {k: data[k] for k in data.files if k != "__header__"}
        if header.get("format") != _FORMAT:
            raise ValidationError("format", f"not a {_FORMAT} file", header.get("format"))
        grid = PeriodGrid(
            as_of=dt.date.fromisoformat(header["as_of"]),
            frequency=Frequency(header["frequency"]),
            start_dates=np.array(header["start_dates"], dtype="datetime64[D]"),
            end_dates=np.array(header["end_dates"], dtype="datetime64[D]"),
        )
        failures: dict[str, dict[str, FloatArray]] = {}
        for name, array in arrays.items():
            if name.startswith("failures/"):
                key, field_name = name[len("failures/") :].rsplit("/", 1)
                failures.setdefault(key, {})[field_name] = array

        def group(prefix: str) -> dict[str, FloatArray]:
            return {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}

        return cls.create(
            grid=grid,
            seed=int(header["seed"]),
            n_paths=int(header["n_paths"]),
            first_path=int(header["first_path"]),
            prices=group("prices/"),
            price_currency=header["price_currency"],
            utilization=group("utilization/"),
            default_times=group("default_times/"),
            failures=failures,
            rate_shift=arrays.get("rate_shift"),
            parameters=header["parameters"],
            created_by=str(header["computefin_version"]),
        )
