"""Economic residual value, the book-economic gap and resale-curve calibration.

Tolerances: hand computations and the per-GPU loop reference to 1e-8 relative; curve
parameters recovered from 400 seeded synthetic prints (noise 0.02 of list price) within
0.02 absolute and four standard errors; the sum of squared residuals equals a direct
computation to 1e-12.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from computefin.domain import ResaleObservation, ServerGroup, catalog
from computefin.errors import ValidationError
from computefin.pricing import flat_curve
from computefin.risk.depreciation import DepreciationPolicy, group_depreciation_schedule
from computefin.risk.grid import period_grid
from computefin.risk.residual import (
    DEFAULT_ECONOMIC_LIFE_YEARS,
    DEFAULT_END_OF_LIFE_RESALE_SHARE,
    DEFAULT_SUCCESSOR_STEP_DOWN,
    ResidualCurveFit,
    ResidualValueModel,
    book_economic_gap,
    economic_value_per_gpu,
    fit_residual_curve,
)

AS_OF = dt.date(2026, 1, 1)
# Annual grid: 2026 (365 days, 8,760 h), 2027 (365 days, 8,760 h), 2028 (366 days, 8,784 h)
GRID = period_grid(AS_OF, 36, "annual")
DF = np.array([0.95, 0.90, 0.85])


def test_hand_computed_value_with_a_partial_period_and_interpolated_resale() -> None:
    # net per GPU-hour = 3.0 x 0.8 x 0.9 - 0.5 = 1.66
    # life 1.5 years: all of 2026, half of 2027 (t from 1.0 to 2.0), none of 2028
    # income = 1.66 x 8,760 x (0.95 + 0.5 x 0.90) = 20,358.24
    # resale 1,000 at t = 1.5: log-linear between DF(1) = 0.95 and DF(2) = 0.90
    #        = 1,000 x sqrt(0.95 x 0.90) = 924.6621...
    value = economic_value_per_gpu(
        GRID, 3.0, utilization=0.8, availability=0.9, opex_per_gpu_hour=0.5,
        discount_factors=DF, remaining_life_years=[1.5, 0.0, 2.5], end_of_life_value=1_000.0,
    )  # fmt: skip
    first = 1.66 * 8_760 * (0.95 + 0.5 * 0.90) + 1_000 * math.sqrt(0.95 * 0.90)
    # life 2.5: 2028 runs from t = 2 to 1,096/365; alive share 0.5 / (1,096/365 - 2)
    length = 1_096 / 365 - 2
    third_income = 1.66 * (8_760 * 0.95 + 8_760 * 0.90 + 8_784 * 0.85 * 0.5 / length)
    third_resale = 1_000 * math.exp(math.log(0.90) + 0.5 / length * math.log(0.85 / 0.90))
    np.testing.assert_allclose(value, [first, 1_000.0, third_income + third_resale], rtol=1e-12)


def test_loss_making_periods_are_idled_unless_negative_income_is_allowed() -> None:
    price = np.array([2.0, 0.5, 0.2])  # net 1.5, 0.0, -0.3 with opex 0.5 at full use
    common: dict[str, Any] = {
        "utilization": 1.0, "opex_per_gpu_hour": 0.5, "discount_factors": DF,
        "remaining_life_years": [3.0], "end_of_life_value": [0.0],
    }  # fmt: skip
    idled = economic_value_per_gpu(GRID, price, **common)
    running = economic_value_per_gpu(GRID, price, allow_negative_income=True, **common)
    alive3 = 1.0 / (1_096 / 365 - 2)  # life ends at 3.0, before the grid's 3.0027
    assert idled[0] == pytest.approx(1.5 * 8_760 * 0.95, rel=1e-12)
    assert running[0] == pytest.approx(1.5 * 8_760 * 0.95 - 0.3 * 8_784 * 0.85 * alive3)


def test_shapes_broadcast_per_period_and_per_gpu() -> None:
    price_path = np.array([3.0, 2.5, 2.0])
    prices = np.vstack([price_path, price_path * 1.1])
    by_row = economic_value_per_gpu(
        GRID, prices, utilization=np.array([[0.7], [0.6]]), discount_factors=DF,
        remaining_life_years=[2.0, 3.0], end_of_life_value=[100.0, 200.0],
    )  # fmt: skip
    for i, (p, u) in enumerate(((price_path, 0.7), (price_path * 1.1, 0.6))):
        one = economic_value_per_gpu(
            GRID, p, utilization=u, discount_factors=DF,
            remaining_life_years=[[2.0, 3.0][i]], end_of_life_value=[[100.0, 200.0][i]],
        )  # fmt: skip
        assert by_row[i] == pytest.approx(one[0], rel=1e-14)


def test_vectorised_value_equals_a_per_gpu_loop_on_a_monthly_grid() -> None:
    rng = np.random.default_rng(5)
    grid = period_grid(dt.date(2026, 3, 31), 72)
    curve = flat_curve("2026-03-31", 0.045, currency="USD")
    df = curve.discount(grid.end_dates)
    n, periods = 50, grid.n_periods
    price = rng.uniform(0.5, 4.0, (n, periods))
    util = rng.uniform(0.0, 1.0, (n, periods))
    opex = rng.uniform(0.2, 1.2, (n, 1))
    life = rng.uniform(0.0, 6.0, n)
    eol = rng.uniform(0.0, 5_000.0, n)
    got = economic_value_per_gpu(grid, price, utilization=util, opex_per_gpu_hour=opex,
                                 availability=0.97, discount_factors=df,
                                 remaining_life_years=life, end_of_life_value=eol)  # fmt: skip
    for i in range(n):
        total, t0 = 0.0, 0.0
        for t in range(periods):
            t1 = (grid.end_dates[t] - np.datetime64(grid.as_of)).astype(float) / 365
            alive = min(max((life[i] - t0) / (t1 - t0), 0.0), 1.0)
            net = max(price[i, t] * util[i, t] * 0.97 - opex[i, 0], 0.0)
            total += net * grid.hours[t] * alive * df[t]
            t0 = t1
        eol_date = np.datetime64(grid.as_of) + np.timedelta64(round(life[i] * 365), "D")
        # the curve is flat (log-linear exactly), so the interpolated DF is the curve's
        # own up to the day rounding of the date: compare against exp(-r T) directly
        total += eol[i] * math.exp(-0.045 * life[i])
        assert got[i] == pytest.approx(total, rel=1e-10), i
        assert eol_date >= np.datetime64(grid.as_of)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"utilization": 1.2}, "utilization[0]"),
        ({"availability": -0.1}, "availability[0]"),
        ({"expected_price_per_gpu_hour": [1.0, float("nan"), 1.0]},
         "expected_price_per_gpu_hour[1]"),
        ({"expected_price_per_gpu_hour": [1.0, 2.0]}, "expected_price_per_gpu_hour"),
        ({"opex_per_gpu_hour": -1.0}, "opex_per_gpu_hour[0]"),
        ({"discount_factors": [0.9, 0.8]}, "discount_factors"),
        ({"discount_factors": [0.9, 0.0, 0.8]}, "discount_factors[1]"),
        ({"remaining_life_years": [3.5]}, "grid"),
        ({"remaining_life_years": [-0.5]}, "remaining_life_years[0]"),
        ({"remaining_life_years": [1.0, 2.0, 0.5], "end_of_life_value": [1.0, 2.0]},
         "remaining_life_years"),
    ],
)  # fmt: skip
def test_kernel_validation_names_the_field(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {
        "expected_price_per_gpu_hour": 2.0, "utilization": 0.5, "discount_factors": DF,
        "remaining_life_years": [1.0], "end_of_life_value": [10.0],
    }  # fmt: skip
    args.update(kwargs)
    price = args.pop("expected_price_per_gpu_hour")
    with pytest.raises(ValidationError) as info:
        economic_value_per_gpu(GRID, price, **args)  # type: ignore[arg-type]
    assert info.value.fields[0] == field


# --- the model ------------------------------------------------------------------------------


def test_defaults_are_the_documented_ones() -> None:
    m = ResidualValueModel()
    assert (m.economic_life_years, m.end_of_life_resale_share, m.successor_step_down) == (
        DEFAULT_ECONOMIC_LIFE_YEARS, DEFAULT_END_OF_LIFE_RESALE_SHARE,
        DEFAULT_SUCCESSOR_STEP_DOWN,
    )  # fmt: skip
    assert (m.economic_life_years, m.end_of_life_resale_share, m.successor_step_down) == (
        5.0, 0.10, 0.15
    )  # fmt: skip


def test_successor_step_applies_only_if_the_successor_launches_by_end_of_life() -> None:
    # H100 SXM (list 30,000) is succeeded by H200 SXM, launched 2023-11-13
    acquired = dt.date(2022, 6, 1)
    short = ResidualValueModel(economic_life_years=1.0)  # ends 2023-06-01: before H200
    long = ResidualValueModel(economic_life_years=2.0)  # ends 2024-05-31: after
    assert short.end_of_life_value("nvidia-h100-sxm", acquired).tolist() == [3_000.0]
    assert long.end_of_life_value("nvidia-h100-sxm", acquired).tolist() == [3_000.0 * 0.85]
    # B300 has no successor in the catalog
    assert long.end_of_life_value("nvidia-b300", acquired).tolist() == [4_500.0]
    # a bank's own purchase price overrides the list price
    assert short.end_of_life_value("nvidia-h100-sxm", acquired, list_price=200_000.0).tolist() == [
        20_000.0
    ]


def test_model_value_equals_the_kernel_with_curve_discount_factors() -> None:
    grid = period_grid(AS_OF, 60)
    curve = flat_curve("2025-06-30", 0.04, currency="USD")  # rebased to grid.as_of
    price = np.linspace(2.6, 1.4, grid.n_periods)
    model = ResidualValueModel(economic_life_years=4.0)
    acquired = np.array(["2021-01-01", "2023-07-01", "2025-12-31"], dtype="datetime64[D]")
    ev = model.value("nvidia-h100-sxm", acquired, grid, price, utilization=0.75,
                     opex_per_gpu_hour=0.4, discount=curve)  # fmt: skip
    df = curve.discount(grid.end_dates) / curve.discount(np.datetime64(AS_OF))
    life = np.maximum(4.0 - (np.datetime64(AS_OF) - acquired).astype(float) / 365, 0.0)
    expected = economic_value_per_gpu(
        grid, price, utilization=0.75, opex_per_gpu_hour=0.4, discount_factors=df,
        remaining_life_years=life, end_of_life_value=[2_550.0, 2_550.0, 2_550.0],
    )  # fmt: skip
    np.testing.assert_allclose(ev.value, expected, rtol=1e-13)
    assert ev.remaining_life_years[0] == 0.0
    assert ev.value[0] == 2_550.0  # past its economic life: worth its resale
    assert ev.successor_launched.tolist() == [True, True, True]
    frame = ev.to_frame()
    assert frame.value.tolist() == ev.value.tolist()
    np.testing.assert_allclose(frame.income_pv + frame.resale_pv, frame.value)


def test_model_rejects_acquisitions_after_as_of() -> None:
    with pytest.raises(ValidationError) as info:
        ResidualValueModel().value("nvidia-h100-sxm", [AS_OF, dt.date(2026, 2, 1)], GRID, 2.0,
                                   utilization=0.5, discount=DF)  # fmt: skip
    assert info.value.fields == ("acquired[1]",)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"economic_life_years": 0.0}, "ResidualValueModel.economic_life_years"),
        ({"end_of_life_resale_share": 1.2}, "ResidualValueModel.end_of_life_resale_share"),
        ({"successor_step_down": 1.0}, "ResidualValueModel.successor_step_down"),
    ],
)
def test_model_validation_names_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        ResidualValueModel.model_validate(data)
    assert info.value.fields == (field,)


def test_book_economic_gap_six_year_accounts_against_a_three_year_economic_life() -> None:
    group = ServerGroup(accelerator_id="nvidia-h100-sxm", servers=1, gpus_per_server=8,
                        unit_cost=240_000.0, currency="USD", acquired=dt.date(2024, 1, 1),
                        power_kw=10.2)  # fmt: skip
    grid = period_grid(AS_OF, 48)
    book = (
        group_depreciation_schedule(
            DepreciationPolicy(method="straight_line", useful_life_years=6), [group], grid
        ).opening_book_value
        / group.gpus
    )  # per GPU
    econ = ResidualValueModel(economic_life_years=3.0).value(
        "nvidia-h100-sxm", group.acquired, grid, 2.0, utilization=0.7, opex_per_gpu_hour=0.5,
        discount=flat_curve(AS_OF, 0.05, currency="USD"),
    ).value  # fmt: skip
    table = book_economic_gap(book, econ, labels=["h100-group"])
    assert table.index.tolist() == ["h100-group"]
    row = table.loc["h100-group"]
    assert row.book_value == pytest.approx(30_000 * (1 - 730 / 365 / 6), rel=1e-3)
    assert row.gap == pytest.approx(row.book_value - row.economic_value, rel=1e-15)
    assert row.gap > 0  # the accounts carry more than the GPU is expected to earn
    assert row.gap_share_of_book == pytest.approx(row.gap / row.book_value)
    with pytest.raises(ValidationError, match="labels"):
        book_economic_gap([1.0, 2.0], [1.0, 1.0], labels=["a"])
    with pytest.raises(ValidationError, match=r"economic_value\[1\]"):
        book_economic_gap([1.0, 2.0], [1.0, float("inf")])


# --- calibration ----------------------------------------------------------------------------

IDS = ["nvidia-a100-80gb-sxm", "nvidia-h100-sxm", "nvidia-h200-sxm", "amd-mi300x",
       "nvidia-a800-sxm"]  # fmt: skip


def synthetic(seed: int, n: int, b: float, s: float, floor: float = 0.0,
              noise: float = 0.02) -> pd.DataFrame:  # fmt: skip
    """Resale prints from the curve plus Gaussian noise in share of list price."""
    rng = np.random.default_rng(seed)
    cat = catalog()
    ids = rng.choice(IDS, n)
    dates = np.datetime64("2021-01-01") + rng.integers(0, 5 * 365, n).astype("timedelta64[D]")
    age = rng.uniform(0.1, 6.0, n)
    launch = np.array([cat[cat[i].successor].launch_date for i in ids],  # type: ignore[index]
                      dtype="datetime64[D]")  # fmt: skip
    step = (launch <= dates).astype(float)
    share = (floor + (1 - floor) * np.exp(-b * age)) * (1 - s * step)
    list_price = np.array([cat[i].list_price for i in ids])
    price = list_price * np.maximum(share + rng.normal(0.0, noise, n), 0.001)
    return pd.DataFrame({"price": price, "age_years": age, "date": dates, "accelerator_id": ids})


def test_fit_recovers_known_parameters_from_noisy_synthetic_prints() -> None:
    frame = synthetic(seed=42, n=400, b=0.25, s=0.15)
    fit = fit_residual_curve(frame, catalog())
    se = fit.standard_errors
    assert abs(fit.depreciation_rate - 0.25) < 0.02
    assert abs(fit.successor_step - 0.15) < 0.02
    assert abs(fit.depreciation_rate - 0.25) < 4 * se["depreciation_rate"]
    assert abs(fit.successor_step - 0.15) < 4 * se["successor_step"]
    assert 0 < se["depreciation_rate"] < 0.02
    assert 0 < se["successor_step"] < 0.02
    assert se["floor"] == 0.0
    assert fit.floor == 0.0
    assert fit.form == "exponential"
    assert fit.n_obs == 400
    assert fit.rmse == pytest.approx(0.02, abs=0.003)  # the noise level
    assert 0.9 < fit.r_squared <= 1.0


def test_residuals_and_their_sum_of_squares_match_a_direct_computation() -> None:
    frame = synthetic(seed=1, n=60, b=0.4, s=0.2)
    fit = fit_residual_curve(frame)
    list_price = np.array([catalog()[i].list_price for i in frame.accelerator_id])
    observed = frame.price.to_numpy() / list_price
    fitted = fit.predict(frame.age_years.to_numpy(), frame.date.to_numpy(),
                         frame.accelerator_id.to_numpy()) / list_price  # fmt: skip
    direct = observed - fitted
    np.testing.assert_allclose(fit.residuals, direct, atol=1e-12)
    assert fit.ssr == pytest.approx(float(np.sum(direct**2)), rel=1e-12)
    assert fit.rmse == pytest.approx(math.sqrt(np.mean(direct**2)), rel=1e-12)
    sst = float(np.sum((observed - observed.mean()) ** 2))
    assert fit.r_squared == pytest.approx(1 - fit.ssr / sst, rel=1e-12)
    share = fit.predict_share(frame.age_years.to_numpy(), frame.date.to_numpy(),
                              frame.accelerator_id.to_numpy())  # fmt: skip
    np.testing.assert_allclose(share, fitted, rtol=1e-14)


def test_standard_errors_match_the_spread_of_estimates_across_seeds() -> None:
    estimates, errors = [], []
    for seed in range(40):
        fit = fit_residual_curve(synthetic(seed=1000 + seed, n=80, b=0.3, s=0.1))
        estimates.append([fit.depreciation_rate, fit.successor_step])
        errors.append([fit.standard_errors["depreciation_rate"],
                       fit.standard_errors["successor_step"]])  # fmt: skip
    spread = np.std(estimates, axis=0, ddof=1)
    mean_error = np.mean(errors, axis=0)
    np.testing.assert_allclose(spread, mean_error, rtol=0.35)  # 40 seeds: a loose check


def test_floor_form_recovers_its_floor() -> None:
    fit = fit_residual_curve(synthetic(seed=9, n=500, b=0.6, s=0.1, floor=0.12, noise=0.01),
                             form="exponential_floor")  # fmt: skip
    assert fit.form == "exponential_floor"
    assert abs(fit.floor - 0.12) < 0.03
    assert abs(fit.depreciation_rate - 0.6) < 0.08
    assert abs(fit.successor_step - 0.1) < 0.02
    assert fit.standard_errors["floor"] > 0
    assert fit.to_frame().index.tolist() == ["depreciation_rate", "successor_step", "floor"]


def test_observation_records_fit_like_a_frame() -> None:
    frame = synthetic(seed=3, n=30, b=0.3, s=0.15)
    records = [
        ResaleObservation(accelerator_id=str(key), date=day.item(), price=float(price),
                          currency="USD", age_years=float(age))
        for key, day, price, age in zip(
            frame.accelerator_id, frame.date.to_numpy().astype("datetime64[D]"), frame.price,
            frame.age_years, strict=True,
        )
    ]  # fmt: skip
    a, b = fit_residual_curve(records), fit_residual_curve(frame)
    assert a.depreciation_rate == pytest.approx(b.depreciation_rate, rel=1e-10)
    assert a.successor_step == pytest.approx(b.successor_step, rel=1e-10)


def test_fixed_successor_step_when_no_print_straddles_a_launch() -> None:
    only_b300 = pd.DataFrame({
        "price": [40_000.0, 33_000.0, 27_500.0, 22_000.0],
        "age_years": [0.2, 0.9, 1.6, 2.4],
        "date": ["2025-06-01", "2026-01-01", "2026-08-01", "2027-04-01"],
        "accelerator_id": "nvidia-b300",  # no successor in the catalog
    })  # fmt: skip
    with pytest.raises(ValidationError, match="successor_step="):
        fit_residual_curve(only_b300)
    fit = fit_residual_curve(only_b300, successor_step=0.0)
    assert fit.successor_step == 0.0
    assert fit.standard_errors["successor_step"] == 0.0
    assert 0.1 < fit.depreciation_rate < 0.5


def test_model_from_fit_uses_the_fitted_curve() -> None:
    fit = fit_residual_curve(synthetic(seed=8, n=200, b=0.35, s=0.2))
    model = ResidualValueModel.from_fit(fit, economic_life_years=3.0)
    assert model.end_of_life_resale_share == pytest.approx(math.exp(-fit.depreciation_rate * 3))
    assert model.successor_step_down == fit.successor_step


@pytest.mark.parametrize(
    ("frame", "field", "match"),
    [
        (pd.DataFrame({"price": [1.0, 2.0], "age_years": [1.0, 2.0], "date": ["2025-01-01"] * 2,
                       "accelerator_id": "nvidia-h100-sxm"}), "observations",
         "need at least 3 observations"),
        (pd.DataFrame({"price": [1.0, float("nan"), 3.0], "age_years": [1.0, 2.0, 3.0],
                       "date": ["2025-01-01"] * 3, "accelerator_id": "nvidia-h100-sxm"}),
         "observations.price[1]", "finite"),
        (pd.DataFrame({"price": [1.0, -2.0, 3.0], "age_years": [1.0, 2.0, 3.0],
                       "date": ["2025-01-01"] * 3, "accelerator_id": "nvidia-h100-sxm"}),
         "observations.price[1]", ">= 0"),
        (pd.DataFrame({"price": [1.0, 2.0, 3.0], "age_years": [-1.0, 2.0, 3.0],
                       "date": ["2025-01-01"] * 3, "accelerator_id": "nvidia-h100-sxm"}),
         "observations.age_years[0]", ">= 0"),
        (pd.DataFrame({"price": [1.0, 2.0, 3.0], "age_years": [1.0, 2.0, float("nan")],
                       "date": ["2025-01-01"] * 3, "accelerator_id": "nvidia-h100-sxm"}),
         "observations.age_years[2]", "finite"),
        (pd.DataFrame({"price": [1.0, 2.0, 3.0], "age_years": [1.0, 2.0, 3.0],
                       "date": ["2025-01-01"] * 3, "accelerator_id": "nvidia-h100"}),
         "observations[0].accelerator_id", "catalog"),
        (pd.DataFrame({"price": [1.0, 2.0, 3.0], "age_years": [1.0, 2.0, 3.0],
                       "date": ["2025-01-01"] * 3, "accelerator_id": "nvidia-h100-sxm",
                       "currency": ["USD", "CNY", "USD"]}),
         "observations[1].currency", "USD"),
        (pd.DataFrame({"price": [1.0, 2.0, 3.0], "age_years": [1.0, 2.0, 3.0]}),
         "observations", "missing columns"),
    ],
)  # fmt: skip
def test_fit_rejects_bad_observations_naming_the_field(
    frame: pd.DataFrame, field: str, match: str
) -> None:
    with pytest.raises(ValidationError, match=match) as info:
        fit_residual_curve(frame)
    assert info.value.fields[0] == field


def test_fit_needs_one_more_observation_than_parameters() -> None:
    frame = synthetic(seed=2, n=3, b=0.3, s=0.1)
    with pytest.raises(ValidationError, match="need at least 4 observations to fit 3"):
        fit_residual_curve(frame, form="exponential_floor")
    record = ResaleObservation(accelerator_id="nvidia-h100-sxm", date=dt.date(2025, 1, 1),
                               price=20_000.0, currency="USD")  # fmt: skip
    with pytest.raises(ValidationError) as info:
        fit_residual_curve([record] * 3)
    assert info.value.fields == tuple(f"observations[{i}].age_years" for i in range(3))


def test_prediction_outputs_are_finite_and_known_parameters_round_trip() -> None:
    fit = ResidualCurveFit.from_parameters(depreciation_rate=0.25, successor_step=0.15)
    got = fit.predict([0.0, 1.0, 4.0], ["2022-06-01", "2023-11-13", "2026-01-01"],
                      "nvidia-h100-sxm")  # fmt: skip
    expected = 30_000 * np.exp(-0.25 * np.array([0.0, 1.0, 4.0])) * np.array([1, 0.85, 0.85])
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    assert np.isfinite(got).all()
