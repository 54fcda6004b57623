"""Economic residual value of GPUs, the book-economic gap, and resale-curve calibration.

The economic value of one GPU on ``grid.as_of`` is the present value of its expected net
rental income over its remaining economic life plus the present value of its resale at the
end of that life (DOMAIN.md section 5). The kernel :func:`economic_value_per_gpu` works on
arrays, so any price model (a deterministic path, a scenario mean) can feed it;
:class:`ResidualValueModel` fills in the life, the end-of-life value and the successor
step from the accelerator catalog; :func:`fit_residual_curve` calibrates a resale curve
to observed prices. See ``docs/models/residual-value.md``.

>>> import datetime as dt
>>> from computefin.risk.grid import period_grid
>>> grid = period_grid(dt.date(2026, 1, 1), 12, "annual")
>>> value = economic_value_per_gpu(grid, [2.0], utilization=0.5, discount_factors=[1.0],
...                                remaining_life_years=[0.5], end_of_life_value=[1000.0])
>>> value.round(2).tolist()  # 2.0 x 0.5 x 8760 h x half a year, plus resale at DF 1
[5380.0]
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field
from scipy.optimize import least_squares

from computefin._typing import DateArray, FloatArray
from computefin.domain._base import DomainModel
from computefin.domain.accelerators import Accelerator, AcceleratorCatalog, active_catalog
from computefin.domain.market import ResaleObservation
from computefin.errors import ConvergenceError, FieldProblem, ValidationError
from computefin.pricing import Curve
from computefin.risk.depreciation import _as_dates, _finite, _first_bad, _floats
from computefin.risk.grid import PeriodGrid

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_ECONOMIC_LIFE_YEARS",
    "DEFAULT_END_OF_LIFE_RESALE_SHARE",
    "DEFAULT_SUCCESSOR_STEP_DOWN",
    "EconomicValue",
    "ResidualCurveFit",
    "ResidualValueModel",
    "book_economic_gap",
    "economic_value_per_gpu",
    "fit_residual_curve",
]


DEFAULT_ECONOMIC_LIFE_YEARS: Final = 5.0
"""Economic life of a GPU, years: between critics' 2-3 years and the 6 of most accounts."""

DEFAULT_END_OF_LIFE_RESALE_SHARE: Final = 0.10
"""Resale at the end of economic life, share of list price: a prudent parts/secondary
value, well below observed prints (used A100 USD 4-18k at about five years, against
USD 10-15k new, in a supply-constrained market). Calibrate with fit_residual_curve."""

DEFAULT_SUCCESSOR_STEP_DOWN: Final = 0.15
"""Drop in resale value once the direct successor has launched, share: H100 SXM resale
fell from above USD 40k to 22-25k (about -40 to -45%) over the years in which H200 and
B200 launched; an age trend explains part of it, and 15% per launch is the round rest."""

_DAYS_PER_YEAR: Final = 365.0  # ACT/365F, as the PeriodGrid
_LIFE_TOL: Final = 1e-9


# --- the kernel -----------------------------------------------------------------------------


def _per_period(name: str, values: Any, periods: int) -> FloatArray:
    """Scalar, ``(periods,)``, ``(1 or n, periods)`` or ``(n, 1)`` as a 2-D array."""
    arr = _floats(values, name)
    if arr.ndim == 1:
        if arr.size == 1:
            return arr.reshape(1, 1)
        if arr.size != periods:
            raise ValidationError(
                name, f"a 1-D array is per period and needs {periods} values", arr.size
            )
        return arr.reshape(1, periods)
    if arr.ndim != 2 or arr.shape[1] not in (1, periods):
        raise ValidationError(
            name, f"needs a scalar, ({periods},), (n, {periods}) or (n, 1)", str(arr.shape)
        )
    return arr


def _per_group(name: str, values: Any) -> FloatArray:
    arr = _floats(values, name)
    if arr.ndim != 1:
        raise ValidationError(name, "needs a scalar or a 1-D array, one value per GPU", None)
    return arr


def _value_parts(
    grid: PeriodGrid,
    expected_price_per_gpu_hour: Any,
    utilization: Any,
    availability: Any,
    opex_per_gpu_hour: Any,
    discount_factors: Any,
    remaining_life_years: Any,
    end_of_life_value: Any,
    allow_negative_income: bool,
) -> tuple[FloatArray, FloatArray]:
    periods = grid.n_periods
    price = _per_period("expected_price_per_gpu_hour", expected_price_per_gpu_hour, periods)
    util = _per_period("utilization", utilization, periods)
    avail = _per_period("availability", availability, periods)
    opex = _per_period("opex_per_gpu_hour", opex_per_gpu_hour, periods)
    life = _per_group("remaining_life_years", remaining_life_years)
    eol = _per_group("end_of_life_value", end_of_life_value)
    df = _floats(discount_factors, "discount_factors")
    _first_bad(
        "expected_price_per_gpu_hour", ~np.isfinite(price) | (price < 0), price, "must be >= 0"
    )
    for name, arr in (("utilization", util), ("availability", avail)):
        _first_bad(name, ~np.isfinite(arr) | (arr < 0) | (arr > 1), arr, "must be in [0, 1]")
    _first_bad("opex_per_gpu_hour", ~np.isfinite(opex) | (opex < 0), opex, "must be >= 0")
    _first_bad("remaining_life_years", ~np.isfinite(life) | (life < 0), life, "must be >= 0")
    _first_bad("end_of_life_value", ~np.isfinite(eol) | (eol < 0), eol, "must be >= 0")
    if df.shape != (periods,):
        raise ValidationError("discount_factors", f"needs {periods} values, one per period", None)
    _first_bad("discount_factors", ~np.isfinite(df) | (df <= 0), df, "must be positive")
    rows = {a.shape[0] for a in (price, util, avail, opex) if a.shape[0] != 1}
    rows |= {a.size for a in (life, eol) if a.size != 1}
    if len(rows) > 1:
        raise ValidationError("remaining_life_years", f"group counts differ: {sorted(rows)}")
    n = rows.pop() if rows else 1
    horizon = float(grid.times[-1])
    if float(life.max()) > horizon + _LIFE_TOL:
        raise ValidationError(
            "grid",
            f"ends {horizon:.4f} years after as_of but a remaining life is "
            f"{float(life.max()):.4f} years; extend the horizon",
            grid.end_dates[-1].item().isoformat(),
        )
    as_of = np.datetime64(grid.as_of, "D")
    t_start = (grid.start_dates - as_of).astype(np.float64) / _DAYS_PER_YEAR
    t_end = grid.times
    life_n = np.broadcast_to(life, (n,))
    alive = np.clip((life_n[:, None] - t_start) / (t_end - t_start), 0.0, 1.0)
    net = price * util * avail - opex
    if not allow_negative_income:
        net = np.maximum(net, 0.0)
    income = np.broadcast_to(net, (n, periods)) * grid.hours * alive
    income_pv = income @ df
    log_df = np.interp(life_n, np.concatenate([[0.0], t_end]), np.log(np.concatenate([[1.0], df])))
    resale_pv = np.broadcast_to(eol, (n,)) * np.exp(log_df)
    return _finite(income_pv, "income_pv"), _finite(resale_pv, "resale_pv")


def economic_value_per_gpu(
    grid: PeriodGrid,
    expected_price_per_gpu_hour: Any,
    *,
    utilization: Any,
    discount_factors: Any,
    remaining_life_years: Any,
    end_of_life_value: Any,
    availability: Any = 1.0,
    opex_per_gpu_hour: Any = 0.0,
    allow_negative_income: bool = False,
) -> FloatArray:
    """Economic value of one GPU on ``grid.as_of``, for ``n`` GPUs: ``(n,)``.

    ``value = sum_t max(P_t u_t a_t - c_t, 0) h_t alive_t DF_t + EOL DF(T)`` where ``P``
    is the expected price per GPU-hour, ``u`` utilization and ``a`` availability (in
    [0, 1]), ``c`` opex per wall-clock GPU-hour, ``h`` the period's hours, ``alive`` the
    share of the period before the end of the remaining life ``T`` (years, ACT/365F from
    ``as_of``), ``DF`` the discount factors at period ends (``(n_periods,)``) and ``EOL``
    the end-of-life resale, discounted at ``T`` by log-linear interpolation between
    period ends (``DF(0) = 1``). Per-period inputs are scalars, ``(n_periods,)`` (shared
    by all GPUs), ``(n, n_periods)`` or ``(n, 1)``; ``remaining_life_years`` and
    ``end_of_life_value`` are ``(n,)`` or scalars. With ``allow_negative_income=False``
    (default) a period's net income is floored at zero: the owner idles a GPU that loses
    money. The grid must cover every remaining life.

    >>> from computefin.risk.grid import period_grid
    >>> grid = period_grid(dt.date(2026, 1, 1), 24, "annual")
    >>> economic_value_per_gpu(grid, [1.0, 1.0], utilization=1.0, opex_per_gpu_hour=1.5,
    ...                        discount_factors=[0.9, 0.8], remaining_life_years=[2.0],
    ...                        end_of_life_value=[100.0], allow_negative_income=True).tolist()
    [-7366.0]
    """
    income, resale = _value_parts(
        grid,
        expected_price_per_gpu_hour,
        utilization,
        availability,
        opex_per_gpu_hour,
        discount_factors,
        remaining_life_years,
        end_of_life_value,
        allow_negative_income,
    )
    return income + resale


# --- the model ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class EconomicValue:
    """Economic value per GPU of ``n`` GPUs of one accelerator model, with its parts.

    Arrays ``(n,)`` in the currency of the price path: ``value = income_pv + resale_pv``.

    >>> from computefin.risk.grid import period_grid
    >>> grid = period_grid(dt.date(2026, 1, 1), 60, "annual")
    >>> ev = ResidualValueModel().value("nvidia-h100-sxm", dt.date(2024, 1, 1), grid, 2.0,
    ...                                 utilization=0.7, discount=np.ones(5))
    >>> ev.to_frame().columns.tolist()[:4]
    ['acquired', 'remaining_life_years', 'income_pv', 'resale_pv']
    """

    accelerator_id: str
    as_of: dt.date
    acquired: DateArray
    remaining_life_years: FloatArray
    end_of_life_date: DateArray
    successor_launched: npt.NDArray[np.bool_]
    end_of_life_value: FloatArray
    income_pv: FloatArray
    resale_pv: FloatArray
    value: FloatArray = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", self.income_pv + self.resale_pv)
        for item in vars(self).values():
            if isinstance(item, np.ndarray):
                item.setflags(write=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per GPU: acquisition, remaining life, the value and its parts.

        >>> from computefin.risk.grid import period_grid
        >>> grid = period_grid(dt.date(2026, 1, 1), 12, "annual")
        >>> ev = ResidualValueModel(economic_life_years=1).value(
        ...     "nvidia-b300", dt.date(2026, 1, 1), grid, 1.0, utilization=1.0, discount=[1.0])
        >>> ev.to_frame()[["income_pv", "resale_pv", "value"]].values.tolist()
        [[8760.0, 4500.0, 13260.0]]
        """
        import pandas as pd

        return pd.DataFrame(
            {
                "acquired": self.acquired,
                "remaining_life_years": self.remaining_life_years,
                "income_pv": self.income_pv,
                "resale_pv": self.resale_pv,
                "value": self.value,
                "end_of_life_date": self.end_of_life_date,
                "end_of_life_value": self.end_of_life_value,
                "successor_launched": self.successor_launched,
            }
        )


class ResidualValueModel(DomainModel):
    """Economic life, end-of-life resale and successor step of a GPU's economic value.

    End-of-life value per GPU = list price x ``end_of_life_resale_share`` x
    (1 - ``successor_step_down`` if the direct successor launches on or before the end of
    economic life). The rental price path (with its own successor steps) is an input.

    >>> m = ResidualValueModel(economic_life_years=3)
    >>> m.end_of_life_value("nvidia-h100-sxm", dt.date(2024, 1, 1)).tolist()  # 30k x .1 x .85
    [2550.0]
    >>> ResidualValueModel(successor_step_down=1.5)
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: ResidualValueModel.successor_step_down: Input should be ...
    """

    economic_life_years: float = Field(
        default=DEFAULT_ECONOMIC_LIFE_YEARS,
        gt=0.0,
        le=30.0,
        description="Economic life from acquisition, years (accounts often use 6).",
    )
    end_of_life_resale_share: float = Field(
        default=DEFAULT_END_OF_LIFE_RESALE_SHARE,
        ge=0.0,
        le=1.0,
        description="Resale at the end of economic life as a share of list price.",
    )
    successor_step_down: float = Field(
        default=DEFAULT_SUCCESSOR_STEP_DOWN,
        ge=0.0,
        lt=1.0,
        description="Share lost by the end-of-life resale when the successor has launched.",
    )
    allow_negative_income: bool = Field(
        default=False,
        description="Keep loss-making periods (True) or idle the GPU in them (False).",
    )

    @classmethod
    def from_fit(
        cls, fit: ResidualCurveFit, economic_life_years: float = DEFAULT_ECONOMIC_LIFE_YEARS
    ) -> ResidualValueModel:
        """A model whose end-of-life share and successor step come from a fitted curve.

        >>> fit = ResidualCurveFit.from_parameters(depreciation_rate=0.3, successor_step=0.2)
        >>> m = ResidualValueModel.from_fit(fit, economic_life_years=4)
        >>> round(m.end_of_life_resale_share, 4), m.successor_step_down
        (0.3012, 0.2)
        """
        share = float(fit.curve_share(np.array([economic_life_years]))[0])
        return cls(
            economic_life_years=economic_life_years,
            end_of_life_resale_share=share,
            successor_step_down=fit.successor_step,
        )

    def remaining_life_years(self, acquired: Any, as_of: dt.date) -> FloatArray:
        """Economic life left on ``as_of``, years ACT/365F, floored at 0: ``(n,)``.

        >>> ResidualValueModel().remaining_life_years(dt.date(2024, 1, 1), dt.date(2026, 1, 1))
        array([2.99726027])
        """
        start = _as_dates(acquired, "acquired").reshape(-1)
        age = (np.datetime64(as_of, "D") - start).astype(np.float64) / _DAYS_PER_YEAR
        if (age < 0).any():
            index = int(np.flatnonzero(age < 0)[0])
            raise ValidationError(
                f"acquired[{index}]", f"must be on or before as_of {as_of}", str(start[index])
            )
        out: FloatArray = np.maximum(self.economic_life_years - age, 0.0)
        return out

    def end_of_life_date(self, acquired: Any) -> DateArray:
        """Acquisition plus the economic life (ACT/365F days, rounded): ``(n,)``.

        >>> ResidualValueModel().end_of_life_date(dt.date(2024, 1, 1))
        array(['2028-12-30'], dtype='datetime64[D]')
        """
        start = _as_dates(acquired, "acquired").reshape(-1)
        days = round(self.economic_life_years * _DAYS_PER_YEAR)
        out: DateArray = start + np.timedelta64(days, "D")
        return out

    def end_of_life_value(
        self,
        accelerator: str | Accelerator,
        acquired: Any,
        *,
        catalog: AcceleratorCatalog | None = None,
        list_price: float | None = None,
    ) -> FloatArray:
        """Resale per GPU at the end of economic life, list-price currency: ``(n,)``.

        ``list_price`` overrides the catalog's (e.g. a bank's purchase price in CNY).

        >>> ResidualValueModel().end_of_life_value("nvidia-b300", dt.date(2025, 6, 1)).tolist()
        [4500.0]
        """
        accel, successor_launch = _accelerator(accelerator, catalog)
        price = _list_price(accel, list_price)
        launched = self._successor_launched(acquired, successor_launch)
        share = self.end_of_life_resale_share * (1.0 - self.successor_step_down * launched)
        return np.asarray(price * share, dtype=np.float64)

    def _successor_launched(
        self, acquired: Any, successor_launch: dt.date | None
    ) -> npt.NDArray[np.bool_]:
        eol = self.end_of_life_date(acquired)
        if successor_launch is None:
            return np.zeros(eol.shape, dtype=np.bool_)
        out: npt.NDArray[np.bool_] = np.datetime64(successor_launch, "D") <= eol
        return out

    def value(
        self,
        accelerator: str | Accelerator,
        acquired: Any,
        grid: PeriodGrid,
        expected_price_per_gpu_hour: Any,
        *,
        utilization: Any,
        discount: Curve | Any,
        availability: Any = 1.0,
        opex_per_gpu_hour: Any = 0.0,
        catalog: AcceleratorCatalog | None = None,
        list_price: float | None = None,
    ) -> EconomicValue:
        """Economic value on ``grid.as_of`` of one GPU bought on each ``acquired`` date.

        ``expected_price_per_gpu_hour`` is the expected rental path on ``grid`` (e.g. from
        the price model's ``expected(grid)``, successor steps included); ``discount`` a
        :class:`~computefin.pricing.Curve` (rebased to ``grid.as_of``) or discount factors
        at the period ends. Other inputs as :func:`economic_value_per_gpu`.

        >>> from computefin.pricing import flat_curve
        >>> from computefin.risk.grid import period_grid
        >>> grid = period_grid(dt.date(2026, 1, 1), 60)
        >>> ev = ResidualValueModel().value(
        ...     "nvidia-h100-sxm", [dt.date(2023, 1, 1), dt.date(2025, 1, 1)], grid, 2.4,
        ...     utilization=0.8, opex_per_gpu_hour=0.45, discount=flat_curve("2026-01-01", 0.05))
        >>> ev.remaining_life_years.round(3).tolist(), ev.value.round(0).tolist()
        ([1.997, 4.0], [26733.0, 48675.0])
        """
        accel, successor_launch = _accelerator(accelerator, catalog)
        start = _as_dates(acquired, "acquired").reshape(-1)
        life = self.remaining_life_years(start, grid.as_of)
        launched = self._successor_launched(start, successor_launch)
        eol_value = (
            _list_price(accel, list_price)
            * self.end_of_life_resale_share
            * (1.0 - self.successor_step_down * launched)
        )
        if isinstance(discount, Curve):
            as_of_df = discount.discount(np.datetime64(grid.as_of, "D"))
            df = np.asarray(discount.discount(grid.end_dates) / as_of_df, dtype=np.float64)
        else:
            df = _floats(discount, "discount")
        income, resale = _value_parts(
            grid,
            expected_price_per_gpu_hour,
            utilization,
            availability,
            opex_per_gpu_hour,
            df,
            life,
            eol_value,
            self.allow_negative_income,
        )
        n = income.size
        return EconomicValue(
            accelerator_id=accel.id,
            as_of=grid.as_of,
            acquired=np.broadcast_to(start, (n,)).copy(),
            remaining_life_years=np.broadcast_to(life, (n,)).copy(),
            end_of_life_date=np.broadcast_to(self.end_of_life_date(start), (n,)).copy(),
            successor_launched=np.broadcast_to(launched, (n,)).copy(),
            end_of_life_value=np.broadcast_to(eol_value, (n,)).astype(np.float64),
            income_pv=income,
            resale_pv=resale,
        )


def _accelerator(
    accelerator: str | Accelerator, catalog: AcceleratorCatalog | None
) -> tuple[Accelerator, dt.date | None]:
    cat = active_catalog() if catalog is None else catalog
    accel = accelerator if isinstance(accelerator, Accelerator) else cat[accelerator]
    if accel.successor is None:
        return accel, None
    return accel, cat[accel.successor].launch_date


def _list_price(accel: Accelerator, list_price: float | None) -> float:
    if list_price is None:
        return accel.list_price
    if not math.isfinite(list_price) or list_price <= 0:
        raise ValidationError("list_price", "must be positive and finite", list_price)
    return float(list_price)


# --- book versus economic value -------------------------------------------------------------


def book_economic_gap(
    book_value: Any, economic_value: Any, *, labels: Sequence[str] | None = None
) -> pd.DataFrame:
    """Book value minus economic value, per asset: a risk figure in its own right.

    A positive ``gap`` is value the accounts carry that the asset is not expected to earn
    (an impairment or a collateral shortfall in waiting). ``gap_share_of_book`` is
    ``gap / book_value``.

    >>> book_economic_gap([100.0, 50.0], [80.0, 60.0], labels=["a", "b"]).gap.tolist()
    [20.0, -10.0]
    """
    import pandas as pd

    book = _per_group("book_value", book_value)
    econ = _per_group("economic_value", economic_value)
    if book.shape != econ.shape:
        raise ValidationError(
            "economic_value", f"needs {book.size} values like book_value", econ.size
        )
    _first_bad("book_value", ~np.isfinite(book) | (book < 0), book, "must be finite, >= 0")
    _first_bad("economic_value", ~np.isfinite(econ), econ, "must be finite")
    gap = book - econ
    share = np.divide(gap, book, out=np.zeros_like(gap), where=book > 0)
    index = None if labels is None else pd.Index(list(labels), name="asset")
    if index is not None and len(index) != book.size:
        raise ValidationError("labels", f"needs {book.size} labels", len(index))
    return pd.DataFrame(
        {"book_value": book, "economic_value": econ, "gap": gap, "gap_share_of_book": share},
        index=index,
    )


# --- calibration ----------------------------------------------------------------------------

CurveForm = Literal["exponential", "exponential_floor"]
_PARAMETERS: Final = ("depreciation_rate", "successor_step", "floor")


@dataclass(frozen=True, eq=False)
class ResidualCurveFit:
    """A fitted resale curve: share of list price = g(age) x (1 - s x successor launched).

    ``g(age) = exp(-b age)`` (``form="exponential"``) or ``f + (1 - f) exp(-b age)``
    (``"exponential_floor"``); ``b = depreciation_rate`` per year, ``s = successor_step``,
    ``f = floor``. ``standard_errors`` come from the Jacobian at the optimum (zero for a
    parameter held fixed). ``residuals`` are observed minus fitted shares of list price.

    >>> fit = ResidualCurveFit.from_parameters(depreciation_rate=0.25, successor_step=0.15)
    >>> fit.predict([2.0], "2026-01-01", "nvidia-h100-sxm").round(2).tolist()  # 30k list
    [15466.53]
    """

    form: CurveForm
    depreciation_rate: float
    successor_step: float
    floor: float
    standard_errors: Mapping[str, float]
    residuals: FloatArray
    ssr: float
    rmse: float
    r_squared: float
    n_obs: int
    catalog: AcceleratorCatalog

    def __post_init__(self) -> None:
        self.residuals.setflags(write=False)

    @classmethod
    def from_parameters(
        cls,
        *,
        depreciation_rate: float,
        successor_step: float,
        floor: float = 0.0,
        catalog: AcceleratorCatalog | None = None,
    ) -> ResidualCurveFit:
        """A curve with given parameters and no data behind it (for scenarios and tests).

        >>> ResidualCurveFit.from_parameters(depreciation_rate=0.3, successor_step=0.1).n_obs
        0
        """
        return cls(
            form="exponential_floor" if floor else "exponential",
            depreciation_rate=depreciation_rate,
            successor_step=successor_step,
            floor=floor,
            standard_errors=dict.fromkeys(_PARAMETERS, 0.0),
            residuals=np.zeros(0),
            ssr=0.0,
            rmse=0.0,
            r_squared=1.0,
            n_obs=0,
            catalog=active_catalog() if catalog is None else catalog,
        )

    @property
    def parameters(self) -> dict[str, float]:
        """The parameters by name.

        >>> ResidualCurveFit.from_parameters(depreciation_rate=0.3, successor_step=0.1
        ...                                  ).parameters["successor_step"]
        0.1
        """
        return {
            "depreciation_rate": self.depreciation_rate,
            "successor_step": self.successor_step,
            "floor": self.floor,
        }

    def curve_share(self, age: Any) -> FloatArray:
        """g(age): share of list price before any successor step.

        >>> ResidualCurveFit.from_parameters(depreciation_rate=0.0, successor_step=0.1
        ...                                  ).curve_share([3.0]).tolist()
        [1.0]
        """
        a = _floats(age, "age")
        out: FloatArray = self.floor + (1.0 - self.floor) * np.exp(-self.depreciation_rate * a)
        return out

    def predict_share(self, age: Any, date: Any, accelerator_id: Any) -> FloatArray:
        """Predicted resale as a share of list price (``age`` years, sale ``date``).

        >>> fit = ResidualCurveFit.from_parameters(depreciation_rate=0.0, successor_step=0.2)
        >>> fit.predict_share([1.0, 1.0], ["2023-11-12", "2023-11-13"], "nvidia-h100-sxm")
        array([1. , 0.8])
        """
        a = _floats(age, "age")
        launched, _ = _successors(
            np.broadcast_to(np.asarray(accelerator_id, dtype=object), a.shape),
            np.broadcast_to(_as_dates(date, "date"), a.shape),
            self.catalog,
        )
        return self.curve_share(a) * (1.0 - self.successor_step * launched)

    def predict(self, age: Any, date: Any, accelerator_id: Any) -> FloatArray:
        """Predicted resale price per GPU in each model's list-price currency.

        ``age`` (years), ``date`` and ``accelerator_id`` broadcast against each other.

        >>> fit = ResidualCurveFit.from_parameters(depreciation_rate=0.0, successor_step=0.2)
        >>> fit.predict([1.0, 1.0], "2026-01-01", ["nvidia-h100-sxm", "nvidia-b300"])
        array([24000., 45000.])
        """
        a = _floats(age, "age")
        ids = np.broadcast_to(np.asarray(accelerator_id, dtype=object), a.shape)
        launched, list_price = _successors(
            ids, np.broadcast_to(_as_dates(date, "date"), a.shape), self.catalog
        )
        return _finite(list_price * self.curve_share(a) * (1.0 - self.successor_step * launched),
                       "predict")  # fmt: skip

    def to_frame(self) -> pd.DataFrame:
        """Parameter table: estimate and standard error per parameter.

        >>> ResidualCurveFit.from_parameters(depreciation_rate=0.2, successor_step=0.1
        ...                                  ).to_frame().estimate.tolist()
        [0.2, 0.1, 0.0]
        """
        import pandas as pd

        return pd.DataFrame(
            {
                "estimate": [self.parameters[p] for p in _PARAMETERS],
                "standard_error": [self.standard_errors[p] for p in _PARAMETERS],
            },
            index=pd.Index(_PARAMETERS, name="parameter"),
        )


def _successors(
    ids: npt.NDArray[Any], dates: DateArray, catalog: AcceleratorCatalog
) -> tuple[FloatArray, FloatArray]:
    """Per observation: successor launched by the date (0/1) and the list price."""
    unique, inverse = np.unique(ids.astype(str), return_inverse=True)
    launch = np.empty(unique.size, dtype="datetime64[D]")
    price = np.empty(unique.size, dtype=np.float64)
    for i, key in enumerate(unique):  # one lookup per distinct model, not per observation
        accel, successor_launch = _accelerator(str(key), catalog)
        price[i] = accel.list_price
        launch[i] = np.datetime64("NaT") if successor_launch is None else successor_launch
    first = launch[inverse.reshape(ids.shape)]
    launched = (~np.isnat(first)) & (first <= dates)
    return launched.astype(np.float64), price[inverse.reshape(ids.shape)]


def _observation_arrays(
    observations: Sequence[ResaleObservation] | pd.DataFrame, catalog: AcceleratorCatalog
) -> tuple[FloatArray, FloatArray, DateArray, npt.NDArray[Any], list[str | None]]:
    import pandas as pd

    if isinstance(observations, pd.DataFrame):
        missing = {"price", "age_years", "date", "accelerator_id"} - set(observations.columns)
        if missing:
            raise ValidationError("observations", "missing columns: " + ", ".join(sorted(missing)))
        price = _floats(observations["price"].to_numpy(dtype=np.float64), "observations.price")
        age = _floats(observations["age_years"].to_numpy(dtype=np.float64), "observations.age")
        dates = _as_dates(observations["date"].to_numpy(), "observations.date")
        ids = observations["accelerator_id"].to_numpy(dtype=object)
        currency: list[str | None] = (
            [str(c) for c in observations["currency"]]
            if "currency" in observations.columns
            else [None] * len(observations)
        )
        prefix = "observations"
        for name, arr in (("price", price), ("age_years", age)):
            bad = ~np.isfinite(arr) | (arr < 0)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise ValidationError(f"{prefix}.{name}[{i}]", "must be finite, >= 0", arr[i])
    else:
        problems: list[FieldProblem] = []
        for i, obs in enumerate(observations):
            if not isinstance(obs, ResaleObservation):
                problems.append(FieldProblem(f"observations[{i}]", "must be a ResaleObservation"))
            elif obs.age_years is None:
                problems.append(
                    FieldProblem(f"observations[{i}].age_years", "is required for fitting")
                )
        if problems:
            raise ValidationError.from_problems(problems)
        price = np.array([o.price for o in observations], dtype=np.float64)
        age = np.array([o.age_years for o in observations], dtype=np.float64)
        dates = np.array([o.date for o in observations], dtype="datetime64[D]")
        ids = np.array([o.accelerator_id for o in observations], dtype=object)
        currency = [o.currency.value for o in observations]
    problems = []
    for key in dict.fromkeys(str(k) for k in ids):
        if key not in catalog:
            at = int(np.flatnonzero(ids.astype(str) == key)[0])
            problems.append(
                FieldProblem(f"observations[{at}].accelerator_id", "not in the catalog", key)
            )
    for i, cur in enumerate(currency):
        key = str(ids[i])
        if cur is not None and key in catalog and cur != catalog[key].list_price_currency.value:
            problems.append(
                FieldProblem(
                    f"observations[{i}].currency",
                    f"must be {catalog[key].list_price_currency.value}, the list-price "
                    "currency of the model (convert first)",
                    cur,
                )
            )
    if problems:
        raise ValidationError.from_problems(problems)
    return price, age, dates, ids, currency


def fit_residual_curve(
    observations: Sequence[ResaleObservation] | pd.DataFrame,
    catalog: AcceleratorCatalog | None = None,
    *,
    form: CurveForm = "exponential",
    successor_step: float | None = None,
) -> ResidualCurveFit:
    """Fit resale price / list price = g(age) x (1 - s x [successor launched by the date]).

    Least squares on shares of list price (:func:`scipy.optimize.least_squares`, trust
    region with bounds ``b`` in [0, 10], ``s`` and ``f`` in [0, 1]). ``observations`` are
    :class:`~computefin.domain.ResaleObservation` records (``age_years`` set) or a
    DataFrame with columns ``price``, ``age_years``, ``date``, ``accelerator_id`` (and
    optionally ``currency``); prices must be in each model's list-price currency.
    ``successor_step`` holds ``s`` fixed instead of fitting it (needed when no
    observation straddles a successor launch). At least one more observation than
    fitted parameters is needed, and never fewer than 3.

    >>> import pandas as pd
    >>> frame = pd.DataFrame({
    ...     "price": [30000 * np.exp(-0.3 * a) * (0.8 if a > 1.5 else 1.0) for a in
    ...               (0.5, 1.0, 2.0, 2.5, 3.0)],
    ...     "age_years": [0.5, 1.0, 2.0, 2.5, 3.0],
    ...     "date": ["2022-09-01", "2023-03-01", "2024-03-01", "2024-09-01", "2025-03-01"],
    ...     "accelerator_id": "nvidia-h100-sxm"})
    >>> fit = fit_residual_curve(frame)
    >>> round(fit.depreciation_rate, 6), round(fit.successor_step, 6), fit.n_obs
    (0.3, 0.2, 5)
    """
    cat = active_catalog() if catalog is None else catalog
    if form not in ("exponential", "exponential_floor"):
        raise ValidationError("form", "exponential or exponential_floor", form)
    if successor_step is not None and not 0.0 <= successor_step < 1.0:
        raise ValidationError("successor_step", "must be in [0, 1) or None", successor_step)
    price, age, dates, ids, _ = _observation_arrays(observations, cat)
    n = price.size
    fitted = ["depreciation_rate"]
    if successor_step is None:
        fitted.append("successor_step")
    if form == "exponential_floor":
        fitted.append("floor")
    needed = max(3, len(fitted) + 1)
    if n < needed:
        raise ValidationError(
            "observations",
            f"need at least {needed} observations to fit {len(fitted)} parameters "
            "with a residual degree of freedom",
            n,
        )
    launched, list_price = _successors(ids, dates, cat)
    share = price / list_price
    if successor_step is None and np.ptp(launched) == 0:
        raise ValidationError(
            "observations",
            "the successor step is not identified: every observation is "
            + ("after" if launched[0] else "before")
            + " its successor's launch; pass successor_step= to hold it fixed",
        )
    x0, lower, upper = _start(fitted, age, share)

    def unpack(x: FloatArray) -> tuple[float, float, float]:
        values = dict(zip(fitted, (float(v) for v in x), strict=True))
        s = values.get("successor_step", successor_step if successor_step is not None else 0.0)
        return values["depreciation_rate"], s, values.get("floor", 0.0)

    def residual(x: FloatArray) -> FloatArray:
        b, s, f = unpack(x)
        model = (f + (1.0 - f) * np.exp(-b * age)) * (1.0 - s * launched)
        out: FloatArray = model - share
        return out

    def jacobian(x: FloatArray) -> FloatArray:
        b, s, f = unpack(x)
        decay = np.exp(-b * age)
        step = 1.0 - s * launched
        columns = {
            "depreciation_rate": -age * (1.0 - f) * decay * step,
            "successor_step": -(f + (1.0 - f) * decay) * launched,
            "floor": (1.0 - decay) * step,
        }
        return np.column_stack([columns[p] for p in fitted])

    result = least_squares(
        residual, x0, jac=jacobian, bounds=(lower, upper), method="trf", x_scale="jac"
    )
    if not result.success:
        raise ConvergenceError(f"resale curve fit did not converge: {result.message}")
    b, s, f = unpack(np.asarray(result.x, dtype=np.float64))
    fitted_residuals = -np.asarray(result.fun, dtype=np.float64)  # observed minus fitted
    jac = jacobian(np.asarray(result.x, dtype=np.float64))
    if np.linalg.matrix_rank(jac) < len(fitted):
        raise ValidationError(
            "observations",
            "the parameters are not identified by these observations (ages must vary, "
            "and the floor needs old enough GPUs)",
            n,
        )
    ssr = float(fitted_residuals @ fitted_residuals)
    dof = n - len(fitted)
    covariance = ssr / dof * np.linalg.inv(jac.T @ jac)
    errors = dict.fromkeys(_PARAMETERS, 0.0)
    for i, name in enumerate(fitted):
        errors[name] = float(math.sqrt(max(float(covariance[i, i]), 0.0)))
    sst = float(((share - share.mean()) ** 2).sum())
    r_squared = 1.0 - ssr / sst if sst > 0 else (1.0 if ssr == 0 else 0.0)
    values = np.array([b, s, f, ssr, r_squared, *errors.values()])
    _finite(values, "fit_residual_curve")
    return ResidualCurveFit(
        form=form,
        depreciation_rate=b,
        successor_step=s,
        floor=f,
        standard_errors=errors,
        residuals=fitted_residuals,
        ssr=ssr,
        rmse=math.sqrt(ssr / n),
        r_squared=r_squared,
        n_obs=n,
        catalog=cat,
    )


def _start(
    fitted: Sequence[str], age: FloatArray, share: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Starting point and bounds: b from a log-linear slope, s 0.1, f 0.05."""
    positive = (share > 0) & (age > 0)
    b0 = 0.3
    if positive.any():
        b0 = float(np.clip(-np.mean(np.log(np.minimum(share[positive], 1.0)) / age[positive]),
                           0.01, 5.0))  # fmt: skip
    start = {"depreciation_rate": b0, "successor_step": 0.1, "floor": 0.05}
    bounds = {"depreciation_rate": (0.0, 10.0), "successor_step": (0.0, 1.0), "floor": (0.0, 1.0)}
    return (
        np.array([start[p] for p in fitted]),
        np.array([bounds[p][0] for p in fitted]),
        np.array([bounds[p][1] for p in fitted]),
    )
