"""InsuranceQuote: the Monte Carlo price of a cover and its loss distribution."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from computefin._typing import DateArray, FloatArray
from computefin.domain import Currency
from computefin.errors import ValidationError

__all__ = ["CONFIDENCE_LEVELS", "InsuranceQuote"]

CONFIDENCE_LEVELS: tuple[float, ...] = (0.95, 0.99, 0.995)
"""Levels at which a quote reports VaR and TVaR (0.995: the Solvency II calibration)."""


def _frozen(values: Any, name: str, ndim: int) -> FloatArray:
    out = np.array(values, dtype=np.float64)
    if out.ndim != ndim:
        raise ValidationError(name, f"must have {ndim} dimension(s)", out.shape)
    if not np.isfinite(out).all():
        raise ValidationError(name, "must be finite")
    out.setflags(write=False)
    return out


def _check_level(level: float) -> float:
    if isinstance(level, bool) or not isinstance(level, float | int) or not 0.0 < level < 1.0:
        raise ValidationError("level", "must be a confidence level in (0, 1), e.g. 0.99", level)
    return float(level)


@dataclass(frozen=True, eq=False)
class InsuranceQuote:
    """Price and loss distribution of an insurance cover over simulated paths.

    ``payments[p, k]`` is what the policy pays on path ``p`` on ``payment_dates[k]``
    (nominal, ``currency``); ``discount_factors`` has the same shape (each path's
    discount factor from ``as_of``). Derived per path: ``losses`` (nominal insured loss
    over the term) and ``discounted_losses``. The premium is the single premium paid on
    ``as_of``: ``(1 + loading) x`` the discounted expected loss. ``underlying`` is one
    figure per path that drives the payoff (events, revenue ratio, value per GPU) and
    ``strike`` the level at which the cover starts to pay, for charts.

    >>> q = InsuranceQuote(cover="demo", currency=Currency.USD, as_of=dt.date(2026, 1, 1),
    ...                    n_paths=4, seed=0, loading=0.25,
    ...                    payment_dates=np.array(["2027-01-01"], dtype="datetime64[D]"),
    ...                    payments=[[0.0], [0.0], [100.0], [300.0]],
    ...                    discount_factors=[[0.9]] * 4)
    >>> q.expected_loss, q.discounted_expected_loss, q.premium
    (100.0, 90.0, 112.5)
    >>> round(q.standard_error, 4), q.var(0.75), q.tvar(0.75), q.loss_probability
    (63.6396, 90.0, 270.0, 0.5)
    """

    cover: str
    currency: Currency
    as_of: dt.date
    n_paths: int
    seed: int | None
    loading: float
    payment_dates: DateArray
    payments: FloatArray
    discount_factors: FloatArray
    underlying: FloatArray | None = None
    underlying_name: str = ""
    strike: float | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    losses: FloatArray = field(init=False)
    discounted_losses: FloatArray = field(init=False)

    def __post_init__(self) -> None:
        payments = _frozen(self.payments, "payments", 2)
        dfs = _frozen(self.discount_factors, "discount_factors", 2)
        dates = np.array(self.payment_dates, dtype="datetime64[D]")
        if payments.shape != (self.n_paths, dates.size) or dfs.shape != payments.shape:
            raise ValidationError(
                "payments",
                f"payments and discount_factors must be (n_paths, dates) = "
                f"({self.n_paths}, {dates.size})",
                (payments.shape, dfs.shape),
            )
        if (payments < 0.0).any():
            raise ValidationError("payments", "must be >= 0 (an insurer's payments)")
        dates.setflags(write=False)
        object.__setattr__(self, "currency", Currency(self.currency))
        object.__setattr__(self, "payment_dates", dates)
        object.__setattr__(self, "payments", payments)
        object.__setattr__(self, "discount_factors", dfs)
        if self.underlying is not None:
            under = _frozen(self.underlying, "underlying", 1)
            if under.size != self.n_paths:
                raise ValidationError("underlying", f"needs {self.n_paths} values", under.size)
            object.__setattr__(self, "underlying", under)
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))
        losses = payments.sum(axis=1)
        discounted = (payments * dfs).sum(axis=1)
        for array in (losses, discounted):
            array.setflags(write=False)
        object.__setattr__(self, "losses", losses)
        object.__setattr__(self, "discounted_losses", discounted)

    # --- headline figures -------------------------------------------------------------

    @property
    def expected_loss(self) -> float:
        """Mean nominal insured loss over the term, ``currency``."""
        return float(self.losses.mean())

    @property
    def discounted_expected_loss(self) -> float:
        """Mean present value on ``as_of`` of the insured loss, ``currency``."""
        return float(self.discounted_losses.mean())

    @property
    def premium(self) -> float:
        """Single premium on ``as_of``: discounted expected loss x (1 + loading)."""
        return self.discounted_expected_loss * (1.0 + self.loading)

    @property
    def standard_error(self) -> float:
        """Monte Carlo standard error of the discounted expected loss: ``sd / sqrt(n)``."""
        if self.n_paths < 2:
            return math.nan
        return float(self.discounted_losses.std(ddof=1) / math.sqrt(self.n_paths))

    @property
    def loss_probability(self) -> float:
        """Share of paths on which the policy pays anything."""
        return float((self.losses > 0.0).mean())

    def var(self, level: float = 0.99) -> float:
        """Value at risk: the ``level`` quantile of the discounted loss (inverted CDF)."""
        q = _check_level(level)
        return float(np.quantile(self.discounted_losses, q, method="inverted_cdf"))

    def tvar(self, level: float = 0.99) -> float:
        """Tail value at risk: mean of the worst ``ceil(n (1 - level))`` discounted losses."""
        q = _check_level(level)
        k = max(1, math.ceil(self.n_paths * (1.0 - q) - 1e-9))
        worst = np.sort(self.discounted_losses)[-k:]
        return float(worst.mean())

    def percentiles(self, q: Sequence[float] = (50, 75, 90, 95, 99)) -> pd.Series:
        """Percentiles (0-100) of the discounted loss, indexed ``p50``, ``p75`` ...

        >>> InsuranceQuote(cover="x", currency="USD", as_of=dt.date(2026, 1, 1), n_paths=2,
        ...                seed=0, loading=0.0, payment_dates=["2026-06-30"],
        ...                payments=[[0.0], [10.0]], discount_factors=[[1.0], [1.0]]
        ...                ).percentiles([50]).tolist()
        [5.0]
        """
        values = np.percentile(self.discounted_losses, list(q))
        return pd.Series(values, index=[f"p{x:g}" for x in q], name=self.currency.value)

    # --- views --------------------------------------------------------------------------

    def summary(self) -> pd.Series:
        """Every headline figure by name (money in ``currency``)."""
        figures: dict[str, Any] = {
            "cover": self.cover,
            "currency": self.currency.value,
            "as_of": self.as_of.isoformat(),
            "n_paths": self.n_paths,
            "seed": self.seed,
            "expected_loss": self.expected_loss,
            "discounted_expected_loss": self.discounted_expected_loss,
            "standard_error": self.standard_error,
            "loading": self.loading,
            "premium": self.premium,
            "loss_probability": self.loss_probability,
        }
        for level in CONFIDENCE_LEVELS:
            figures[f"var_{level:g}"] = self.var(level)
            figures[f"tvar_{level:g}"] = self.tvar(level)
        figures.update(self.details)
        return pd.Series(figures, name=self.cover)

    def to_frame(self) -> pd.DataFrame:
        """One row per payment date: expected and expected discounted payment, the
        probability of a payment, and the 99th percentile of the payment.

        >>> q = InsuranceQuote(cover="x", currency="USD", as_of=dt.date(2026, 1, 1),
        ...                    n_paths=2, seed=0, loading=0.0, payment_dates=["2026-06-30"],
        ...                    payments=[[0.0], [10.0]], discount_factors=[[0.9], [0.9]])
        >>> q.to_frame().expected_payment.tolist()
        [5.0]
        """
        return pd.DataFrame(
            {
                "expected_payment": self.payments.mean(axis=0),
                "expected_discounted_payment": (self.payments * self.discount_factors).mean(axis=0),
                "payment_probability": (self.payments > 0.0).mean(axis=0),
                "p99_payment": np.percentile(self.payments, 99, axis=0),
            },
            index=pd.Index(self.payment_dates, name="payment_date"),
        )

    def distribution(self) -> pd.DataFrame:
        """One row per path: nominal loss, discounted loss and the underlying figure."""
        frame = pd.DataFrame(
            {"loss": self.losses, "discounted_loss": self.discounted_losses},
            index=pd.RangeIndex(self.n_paths, name="path"),
        )
        if self.underlying is not None:
            frame[self.underlying_name or "underlying"] = self.underlying
        return frame

    def plot(self, path: str | Path, title: str | None = None) -> Path:
        """Two panels saved as PNG: the underlying's distribution with the strike, and the
        discounted loss distribution (paths with a loss) with its mean, VaR 99% and
        TVaR 99%; returns the file path."""
        # matplotlib is imported only when a chart is asked for: it is slow to import.
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker

        panels = 2 if self.underlying is not None else 1
        fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 4.2), dpi=110, squeeze=False)
        if self.underlying is not None:
            ax = axes[0, 0]
            under = self.underlying
            whole = bool(np.all(under == np.round(under))) and np.ptp(under) < 400
            bins: Any = np.arange(under.min(), under.max() + 2.0) - 0.5 if whole else 60
            ax.hist(under, bins=bins, color="tab:blue", alpha=0.7)
            if self.strike is not None:
                ax.axvline(self.strike, color="tab:red", ls="--", lw=1.3, label="cover attaches")
                ax.legend(fontsize=8)
            ax.set_xlabel(self.underlying_name or "underlying")
            ax.set_ylabel("paths")
            ax.grid(alpha=0.3)
        ax = axes[0, panels - 1]
        paid = self.discounted_losses[self.discounted_losses > 0.0]
        share = paid.size / self.n_paths
        if paid.size:
            ax.hist(paid, bins=60, color="tab:orange", alpha=0.75,
                    label=f"paths with a loss ({share:.1%} of all)")  # fmt: skip
        marks = (
            ("expected", self.discounted_expected_loss, "black", "-"),
            ("VaR 99%", self.var(0.99), "tab:red", "--"),
            ("TVaR 99%", self.tvar(0.99), "tab:purple", ":"),
        )
        for label, value, colour, style in marks:
            ax.axvline(value, color=colour, ls=style, lw=1.3, label=f"{label} {value:,.0f}")
        ax.set_xlabel(f"discounted insured loss ({self.currency.value})")
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:,.0f}"))
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(5))
        ax.tick_params(axis="x", labelsize=8)
        ax.set_ylabel("paths")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        fig.suptitle(
            title or f"{self.cover}: premium {self.premium:,.0f} {self.currency.value}",
            fontsize=10,
        )
        fig.tight_layout()
        target = Path(path)
        fig.savefig(target)
        plt.close(fig)
        return target
