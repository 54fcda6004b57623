"""FleetProjection: the per-period lines of a fleet, expected or per path, with views.

Every line is an array ``(paths, periods)``; the expected (deterministic) projection has
one path. Money is in ``currency``, unrounded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from computefin._typing import FloatArray
from computefin.domain import Currency
from computefin.errors import ValidationError
from computefin.risk.grid import PeriodGrid

__all__ = ["VALUE_LINES", "FleetProjection"]


VALUE_LINES = (
    "discount_factor",
    "retirement_proceeds",
    "disposal_gain_loss",
    "economic_value",
    "book_value",
    "book_minus_economic",
)
"""Lines beside the cash flows: discounting, retirement sales, fleet values at period end."""


@dataclass(frozen=True, eq=False)
class FleetProjection:
    """Projected lines of one fleet: ``lines[name]`` is ``(paths, periods)``.

    ``deterministic`` is True for the expected case (one path). ``scenario_hash`` and
    ``seed`` identify the scenario set a stochastic projection used.

    >>> import datetime as dt
    >>> from computefin.risk.grid import period_grid
    >>> grid = period_grid(dt.date(2026, 11, 27), 2)
    >>> p = FleetProjection(fleet_id="f", currency=Currency.USD, grid=grid,
    ...                     lines={"noi": np.array([[10.0, 12.0]])}, deterministic=True)
    >>> p.expected("noi").tolist()
    [10.0, 12.0]
    """

    fleet_id: str
    currency: Currency
    grid: PeriodGrid
    lines: Mapping[str, FloatArray]
    deterministic: bool
    seed: int | None = None
    scenario_hash: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        frozen = {}
        for name, values in self.lines.items():
            array = _private_copy(values)
            if array.ndim != 2 or array.shape[1] != self.grid.n_periods:
                raise ValidationError(
                    f"lines[{name}]", f"must be (paths, {self.grid.n_periods})", array.shape
                )
            array.setflags(write=False)
            frozen[name] = array
        object.__setattr__(self, "lines", MappingProxyType(frozen))

    @property
    def n_paths(self) -> int:
        """Number of paths (1 for the expected projection)."""
        return int(next(iter(self.lines.values())).shape[0])

    def line(self, name: str) -> FloatArray:
        """One line ``(paths, periods)``; unknown names raise naming the known ones."""
        if name not in self.lines:
            raise ValidationError("line", f"unknown; known: {', '.join(self.lines)}", name)
        return self.lines[name]

    def expected(self, name: str) -> FloatArray:
        """Mean over paths of one line ``(periods,)``."""
        out: FloatArray = self.line(name).mean(axis=0)
        return out

    def percentiles(self, name: str, q: Sequence[float] = (5, 25, 50, 75, 95)) -> pd.DataFrame:
        """Percentiles over paths of one line: one row per period end, one column per q.

        >>> import datetime as dt
        >>> from computefin.risk.grid import period_grid
        >>> g = period_grid(dt.date(2026, 1, 1), 1)
        >>> p = FleetProjection(fleet_id="f", currency=Currency.CNY, grid=g,
        ...                     lines={"noi": np.array([[1.0], [2.0], [3.0]])},
        ...                     deterministic=False)
        >>> p.percentiles("noi", q=[50]).iloc[0, 0]
        np.float64(2.0)
        """
        values = np.percentile(self.line(name), list(q), axis=0).T
        index = pd.Index(self.grid.end_dates, name="period_end")
        return pd.DataFrame(values, index=index, columns=[f"p{x:g}" for x in q])

    def to_frame(self) -> pd.DataFrame:
        """Tidy view: one row per (path, period), one column per line, plus dates.

        Columns ``path, period, period_start, period_end`` then every line.
        """
        n_paths, n_periods = self.n_paths, self.grid.n_periods
        frame = pd.DataFrame(
            {
                "path": np.repeat(np.arange(n_paths), n_periods),
                "period": np.tile(np.arange(n_periods), n_paths),
                "period_start": np.tile(self.grid.start_dates, n_paths),
                "period_end": np.tile(self.grid.end_dates, n_paths),
            }
        )
        for name, values in self.lines.items():
            frame[name] = values.reshape(-1)
        return frame

    def summary(self) -> pd.DataFrame:
        """Expected value of every line per period end (the deterministic view)."""
        index = pd.Index(self.grid.end_dates, name="period_end")
        return pd.DataFrame({k: v.mean(axis=0) for k, v in self.lines.items()}, index=index)

    def plot(
        self,
        path: str | Path,
        line: str = "noi",
        expected: FleetProjection | None = None,
        title: str | None = None,
    ) -> Path:
        """Fan chart of one line (5-95 and 25-75 bands, median; the expected line if given),
        saved as PNG; returns the file path."""
        # matplotlib is imported only when a chart is asked for: it is slow to import.
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        values = self.line(line)
        dates = self.grid.end_dates.astype("datetime64[D]").astype(object)
        fig, ax = plt.subplots(figsize=(9, 4.5), dpi=110)
        if values.shape[0] > 1:
            p5, p25, p50, p75, p95 = np.percentile(values, [5, 25, 50, 75, 95], axis=0)
            ax.fill_between(dates, p5, p95, alpha=0.2, color="tab:blue", label="5-95%")
            ax.fill_between(dates, p25, p75, alpha=0.35, color="tab:blue", label="25-75%")
            ax.plot(dates, p50, color="tab:blue", lw=1.2, label="median")
        else:
            ax.plot(dates, values[0], color="tab:blue", lw=1.5, label="expected")
        if expected is not None:
            ax.plot(dates, expected.expected(line), color="black", ls="--", lw=1.2,
                    label="expected case")  # fmt: skip
        ax.set_title(title or f"{self.fleet_id}: {line} per period ({self.currency.value})")
        ax.set_ylabel(self.currency.value if line not in _COUNT_LINES else "GPUs")
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=8)
        fig.autofmt_xdate()
        target = Path(path)
        fig.savefig(target)
        plt.close(fig)
        return target


def _private_copy(values: Any) -> FloatArray:
    """A read-only float64 array no caller can change: ``values`` itself when it already is
    one (read-only, owning its data, so no writable view of it exists), else a copy."""
    if (
        isinstance(values, np.ndarray)
        and values.dtype == np.float64
        and values.flags.owndata
        and not values.flags.writeable
    ):
        return values
    return np.array(values, dtype=np.float64)


_COUNT_LINES = frozenset({"gpus_in_service", "contracted_gpus", "spot_gpus", "idle_gpus"})
