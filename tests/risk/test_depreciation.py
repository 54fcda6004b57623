"""Accounting depreciation against hand-computed tables and a per-group scalar reference.

Tolerances: hand tables and the scalar reference agree to 1e-6 currency units (the
vectorised kernel and the reference do the same arithmetic in a different order).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import time
from collections.abc import Callable

import numpy as np
import pytest

from computefin.domain import ServerGroup
from computefin.errors import ValidationError
from computefin.risk.depreciation import (
    ACCOUNTING_USEFUL_LIVES,
    DepreciationMethod,
    DepreciationPolicy,
    annual_depreciation,
    depreciation_schedule,
    group_depreciation_schedule,
)
from computefin.risk.grid import period_grid

COST, SALVAGE, LIFE = 100_000.0, 10_000.0, 5

# Hand-computed tables: cost 100,000, life 5 years.
#
# Straight-line, salvage 10,000: (100,000 - 10,000) / 5 = 18,000 a year.
SL_TABLE = [18_000.0] * 5
SL_BOOK = [82_000.0, 64_000.0, 46_000.0, 28_000.0, 10_000.0]
#
# Double-declining (factor 2, rate 40%), salvage 10,000, switch allowed:
# year  opening  DB 40% x opening  SL (opening - 10,000) / years left  taken   closing
#   1   100,000      40,000            90,000 / 5 = 18,000            40,000   60,000
#   2    60,000      24,000            50,000 / 4 = 12,500            24,000   36,000
#   3    36,000      14,400            26,000 / 3 =  8,666.67         14,400   21,600
#   4    21,600       8,640            11,600 / 2 =  5,800             8,640   12,960
#   5    12,960       5,184             2,960 / 1 =  2,960             2,960   10,000
# DB stays above SL throughout; in year 5 the salvage floor caps it at 2,960.
DDB_TABLE = [40_000.0, 24_000.0, 14_400.0, 8_640.0, 2_960.0]
DDB_BOOK = [60_000.0, 36_000.0, 21_600.0, 12_960.0, 10_000.0]
#
# Double-declining, salvage 0, switch allowed: the switch happens in year 4.
#   4    21,600       8,640            21,600 / 2 = 10,800            10,800   10,800
#   5    10,800       4,320            10,800 / 1 = 10,800            10,800        0
DDB_NO_SALVAGE_TABLE = [40_000.0, 24_000.0, 14_400.0, 10_800.0, 10_800.0]
#
# Double-declining, salvage 0, no switch: year 4 takes DB 8,640 and year 5 writes the
# remaining 12,960 down to salvage.
DDB_NO_SWITCH_TABLE = [40_000.0, 24_000.0, 14_400.0, 8_640.0, 12_960.0]
#
# 150% declining (rate 30%), salvage 10,000:
#   1   100,000      30,000            18,000                         30,000   70,000
#   2    70,000      21,000            60,000 / 4 = 15,000            21,000   49,000
#   3    49,000      14,700            39,000 / 3 = 13,000            14,700   34,300
#   4    34,300      10,290            24,300 / 2 = 12,150            12,150   22,150
#   5    22,150       6,645            12,150 / 1 = 12,150            12,150   10,000
DB150_TABLE = [30_000.0, 21_000.0, 14_700.0, 12_150.0, 12_150.0]
#
# Sum-of-years-digits, salvage 10,000: digits 5+4+3+2+1 = 15; 90,000 x 5/15, 4/15, ...
SYD_TABLE = [30_000.0, 24_000.0, 18_000.0, 12_000.0, 6_000.0]
#
# Units of production, salvage 10,000, 50,000 GPU-hours expected: 1.8 per GPU-hour.
# year  GPU-hours  depreciation                         closing
#   1     12,000   21,600                               78,400
#   2     15,000   27,000                               51,400
#   3     10,000   18,000                               33,400
#   4      8,000   14,400                               19,000
#   5      9,000   16,200, capped at 19,000 - 10,000 = 9,000   10,000
UOP_UNITS = [12_000.0, 15_000.0, 10_000.0, 8_000.0, 9_000.0]
UOP_TABLE = [21_600.0, 27_000.0, 18_000.0, 14_400.0, 9_000.0]
UOP_BOOK = [78_400.0, 51_400.0, 33_400.0, 19_000.0, 10_000.0]


def policy(method: str, **kwargs: object) -> DepreciationPolicy:
    return DepreciationPolicy.model_validate({"method": method, "useful_life_years": LIFE,
                                              **kwargs})  # fmt: skip


@pytest.mark.parametrize(
    ("method", "extra", "salvage", "table"),
    [
        ("straight_line", {}, SALVAGE, SL_TABLE),
        ("declining_balance", {}, SALVAGE, DDB_TABLE),
        ("declining_balance", {}, 0.0, DDB_NO_SALVAGE_TABLE),
        ("declining_balance", {"switch_to_straight_line": False}, 0.0, DDB_NO_SWITCH_TABLE),
        ("declining_balance", {"db_factor": 1.5}, SALVAGE, DB150_TABLE),
        ("sum_of_years_digits", {}, SALVAGE, SYD_TABLE),
    ],
)
def test_annual_tables_match_hand_computation(
    method: str, extra: dict[str, object], salvage: float, table: list[float]
) -> None:
    got = annual_depreciation(policy(method, **extra), [COST], salvage=salvage)
    np.testing.assert_allclose(got[0], table, rtol=0, atol=1e-6)
    assert got.sum() == pytest.approx(COST - salvage, abs=1e-6)


def test_salvage_share_equals_absolute_salvage() -> None:
    by_share = annual_depreciation(policy("declining_balance", salvage_share=0.1), [COST])
    np.testing.assert_allclose(by_share[0], DDB_TABLE, atol=1e-6)


@pytest.mark.parametrize(
    ("method", "table", "book"),
    [
        ("straight_line", SL_TABLE, SL_BOOK),
        ("declining_balance", DDB_TABLE, DDB_BOOK),
        ("units_of_production", UOP_TABLE, UOP_BOOK),
    ],
)
def test_annual_grid_from_in_service_reproduces_the_table(
    method: str, table: list[float], book: list[float]
) -> None:
    start = dt.date(2025, 7, 1)
    grid = period_grid(start, 6 * 12, "annual")  # a sixth year after the life
    units = [*UOP_UNITS, 5_000.0] if method == "units_of_production" else None
    total = 50_000.0 if units else None
    schedule = depreciation_schedule(
        policy(method, salvage_share=0.1), grid, [COST], start, units=units, total_units=total
    )
    np.testing.assert_allclose(schedule.depreciation[0], [*table, 0.0], atol=1e-6)
    np.testing.assert_allclose(schedule.book_value[0], [*book, SALVAGE], atol=1e-6)
    assert schedule.opening_book_value.tolist() == [COST]


def test_daily_accrual_is_pro_rata_by_days_in_the_depreciation_year() -> None:
    start = dt.date(2024, 1, 1)  # first depreciation year has 366 days
    schedule = depreciation_schedule(
        policy("declining_balance", salvage_share=0.1), period_grid(start, 12), [COST], start
    )
    book = schedule.book_value_at(["2024-07-01", "2025-01-01", "2025-03-01", "2023-06-01"])[0]
    # 182 of 366 days of year 1 (40,000); 59 of 365 days of year 2 (24,000); before: cost
    expected = [COST - 40_000 * 182 / 366, 60_000.0, 60_000 - 24_000 * 59 / 365, COST]
    np.testing.assert_allclose(book, expected, atol=1e-6)
    # the monthly grid's January depreciation: 31 of 366 days
    assert schedule.depreciation[0, 0] == pytest.approx(40_000 * 31 / 366, abs=1e-9)


def test_monthly_accrual_books_twelfths_at_monthly_anniversaries() -> None:
    start = dt.date(2026, 1, 15)
    grid = period_grid(dt.date(2026, 1, 31), 24)  # month ends
    schedule = depreciation_schedule(
        policy("declining_balance", salvage_share=0.1, accrual="monthly"), grid, [COST], start
    )
    # month ends: 15 Feb is booked by the end of February, 15 Jan 2027 ends year 1
    np.testing.assert_allclose(schedule.depreciation[0, :11], 40_000 / 12, atol=1e-9)
    np.testing.assert_allclose(schedule.depreciation[0, 11], 40_000 / 12, atol=1e-9)
    np.testing.assert_allclose(schedule.depreciation[0, 12:], 24_000 / 12, atol=1e-9)
    assert schedule.opening_book_value[0] == COST  # 31 Jan: no monthly anniversary yet
    assert schedule.book_value_at(["2026-02-14", "2026-02-15"])[0].tolist() == [
        COST,
        COST - 40_000 / 12,
    ]


def test_fractional_life_ends_with_a_partial_year() -> None:
    # Meta's 5.5 years, straight-line, no salvage: 20,000 a year, 10,000 in the half year
    table = annual_depreciation(policy("straight_line"), [110_000.0], useful_life_years=5.5)
    np.testing.assert_allclose(table[0], [20_000.0] * 5 + [10_000.0], atol=1e-9)
    start = dt.date(2026, 1, 1)
    schedule = depreciation_schedule(
        policy("straight_line"), period_grid(start, 84, "semiannual"), [110_000.0], start,
        useful_life_years=5.5,
    )  # fmt: skip
    # year 6 (2031) has 365 days, so its half year ends 182.5 days in, after 1 July 2031
    assert schedule.book_value[0, 9] == pytest.approx(10_000.0, abs=1e-6)  # 1 Jan 2031
    assert schedule.book_value[0, 10] == pytest.approx(10_000 * (1 - 181 / 182.5), abs=1e-6)
    assert schedule.book_value[0, 11] == pytest.approx(0.0, abs=1e-9)
    monthly = depreciation_schedule(
        policy("straight_line", accrual="monthly"), period_grid(start, 84, "semiannual"),
        [110_000.0], start, useful_life_years=5.5,
    )  # fmt: skip
    assert monthly.book_value[0, 10] == pytest.approx(0.0, abs=1e-9)  # 66 months exactly


def test_month_end_in_service_dates_roll_to_month_ends_like_the_grid() -> None:
    start = dt.date(2024, 2, 29)
    grid = period_grid(start, 60, "annual")
    schedule = depreciation_schedule(policy("straight_line"), grid, [COST], start)
    np.testing.assert_allclose(schedule.depreciation[0], 20_000.0, atol=1e-9)


# --- the scalar reference -------------------------------------------------------------------


def _ref_add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    month_end = day.day == calendar.monthrange(day.year, day.month)[1]
    return dt.date(year, month + 1, last if month_end else min(day.day, last))


def _ref_table(method: str, cost: float, salvage: float, life: float, factor: float,
               switch: bool) -> list[float]:  # fmt: skip
    years = math.ceil(life - 1e-9)
    shares = [min(1.0, life - k) for k in range(years)]
    if method == "straight_line":
        return [(cost - salvage) * s / life for s in shares]
    if method == "sum_of_years_digits":
        weights = [(life - k) * s for k, s in enumerate(shares)]
        return [(cost - salvage) * w / sum(weights) for w in weights]
    out, book = [], cost
    for k, share in enumerate(shares):
        left = life - k
        amount = factor / life * book * share
        if switch:
            amount = max(amount, (book - salvage) * share / left)
        elif left <= 1.0 + 1e-9:
            amount = book - salvage
        amount = min(amount, book - salvage)
        out.append(amount)
        book -= amount
    return out


def _ref_book(table: list[float], cost: float, salvage: float, life: float, start: dt.date,
              day: dt.date, accrual: str) -> float:  # fmt: skip
    if day < start:
        return cost
    if accrual == "monthly":
        months = 0
        while _ref_add_months(start, months + 1) <= day:
            months += 1
        tau = months / 12
    else:
        k = 0
        while _ref_add_months(start, 12 * (k + 1)) <= day:
            k += 1
        a, b = _ref_add_months(start, 12 * k), _ref_add_months(start, 12 * (k + 1))
        tau = k + (day - a).days / (b - a).days
    accumulated = 0.0
    for k, amount in enumerate(table):
        length = min(1.0, life - k)
        accumulated += amount * min(max((tau - k) / length, 0.0), 1.0)
    return cost - min(accumulated, cost - salvage)


@pytest.mark.parametrize("accrual", ["daily", "monthly"])
@pytest.mark.parametrize("method", ["straight_line", "declining_balance", "sum_of_years_digits"])
def test_vectorised_equals_per_group_scalar_reference(method: str, accrual: str) -> None:
    rng = np.random.default_rng(20260101)
    n = 40
    cost = rng.uniform(1e4, 5e6, n)
    salvage = cost * rng.uniform(0.0, 0.3, n)
    life = np.round(rng.uniform(0.5, 8.0, n) * 4) / 4  # quarter-year lives, 0.5 to 8
    starts = [dt.date(2020, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 2500, n)]
    factor = float(rng.choice([1.0, 1.5, 2.0, 2.5]))
    switch = bool(rng.integers(0, 2))
    pol = DepreciationPolicy(method=method, useful_life_years=6, db_factor=factor,
                             switch_to_straight_line=switch, accrual=accrual)  # fmt: skip
    grid = period_grid(dt.date(2025, 3, 31), 48)
    schedule = depreciation_schedule(
        pol, grid, cost, np.array(starts, dtype="datetime64[D]"), salvage=salvage,
        useful_life_years=life,
    )  # fmt: skip
    dates = [dt.date(2019, 6, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 5000, 25)]
    at_dates = schedule.book_value_at(np.array(dates, dtype="datetime64[D]"))
    for i in range(n):
        table = _ref_table(method, cost[i], salvage[i], life[i], factor, switch)
        k = len(table)
        np.testing.assert_allclose(schedule.annual_depreciation[i, :k], table, atol=1e-6)
        assert np.all(schedule.annual_depreciation[i, k:] == 0.0)
        ref = [_ref_book(table, cost[i], salvage[i], life[i], starts[i], d, accrual) for d in dates]
        np.testing.assert_allclose(at_dates[i], ref, atol=1e-6)
        ends = [
            _ref_book(table, cost[i], salvage[i], life[i], starts[i], d.item(), accrual)
            for d in grid.end_dates
        ]
        np.testing.assert_allclose(schedule.book_value[i], ends, atol=1e-6)


def test_units_of_production_vectorised_equals_scalar_reference() -> None:
    rng = np.random.default_rng(7)
    n, periods = 30, 24
    grid = period_grid(dt.date(2026, 1, 1), periods)
    cost = rng.uniform(1e5, 1e6, n)
    salvage = cost * 0.05
    units = rng.uniform(0, 600, (n, periods))
    total = rng.uniform(5_000, 20_000, n)
    done = rng.uniform(0, 4_000, n)
    starts = np.datetime64("2025-06-01") + rng.integers(0, 500, n).astype("timedelta64[D]")
    schedule = depreciation_schedule(
        DepreciationPolicy(method="units_of_production", salvage_share=0.05), grid, cost,
        starts, units=units, total_units=total, units_to_date=done,
    )  # fmt: skip
    for i in range(n):
        used, dep = done[i], []
        rate = (cost[i] - salvage[i]) / total[i]
        before = min(used * rate, cost[i] - salvage[i])
        for t in range(periods):
            if grid.end_dates[t] > starts[i]:
                used += units[i, t]
            now = min(used * rate, cost[i] - salvage[i])
            dep.append(now - before)
            before = now
        np.testing.assert_allclose(schedule.depreciation[i], dep, atol=1e-6)
    assert np.all(schedule.book_value >= schedule.salvage[:, None] - 1e-9)


# --- invariants, groups, validation, speed --------------------------------------------------


def test_book_never_below_salvage_and_periods_telescope() -> None:
    rng = np.random.default_rng(3)
    n = 500
    cost = rng.uniform(1e4, 1e6, n)
    grid = period_grid(dt.date(2026, 6, 30), 120)
    for method in ("straight_line", "declining_balance", "sum_of_years_digits"):
        pol = DepreciationPolicy(method=method, useful_life_years=4, salvage_share=0.08,
                                 db_factor=3.0)  # fmt: skip
        s = depreciation_schedule(pol, grid, cost, dt.date(2025, 1, 1))
        assert np.all(s.book_value >= s.salvage[:, None] - 1e-9)
        assert np.all(s.depreciation >= -1e-9)
        np.testing.assert_allclose(
            s.depreciation.sum(axis=1), s.opening_book_value - s.book_value[:, -1], rtol=1e-12
        )
        np.testing.assert_allclose(s.book_value[:, -1], s.salvage, atol=1e-6)  # life ended


def test_server_groups_are_depreciated_at_capex_from_acquisition() -> None:
    groups = [
        ServerGroup(accelerator_id="nvidia-h100-sxm", servers=4, gpus_per_server=8,
                    unit_cost=300_000.0, currency="USD", acquired=dt.date(2024, 3, 1),
                    power_kw=10.2),
        ServerGroup(accelerator_id="nvidia-b200", servers=2, gpus_per_server=8,
                    unit_cost=450_000.0, currency="USD", acquired=dt.date(2025, 3, 1),
                    power_kw=14.3),
    ]  # fmt: skip
    grid = period_grid(dt.date(2026, 3, 1), 12, "annual")
    s = group_depreciation_schedule(policy("straight_line"), groups, grid)
    assert s.cost.tolist() == [1_200_000.0, 900_000.0]
    np.testing.assert_allclose(s.opening_book_value, [1_200_000 * 0.6, 900_000 * 0.8])
    frame = s.to_frame()
    assert list(frame.columns) == [
        "group", "period_start", "period_end", "depreciation", "book_value"
    ]  # fmt: skip
    assert frame.depreciation.tolist() == [240_000.0, 180_000.0]


def test_accounting_lives_are_documented_figures() -> None:
    assert dict(ACCOUNTING_USEFUL_LIVES) == {
        "Microsoft": 6.0, "Alphabet": 6.0, "CoreWeave": 6.0, "Meta": 5.5, "Amazon": 5.0,
        "Nebius": 4.0,
    }  # fmt: skip
    assert DepreciationPolicy(method="straight_line").useful_life_years == 6.0
    assert {m.value for m in DepreciationMethod} == {
        "straight_line", "declining_balance", "sum_of_years_digits", "units_of_production"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"useful_life_years": 0}, "DepreciationPolicy.useful_life_years"),
        ({"useful_life_years": 30.5}, "DepreciationPolicy.useful_life_years"),
        ({"salvage_share": 1.0}, "DepreciationPolicy.salvage_share"),
        ({"salvage_share": -0.1}, "DepreciationPolicy.salvage_share"),
        ({"db_factor": 0.0}, "DepreciationPolicy.db_factor"),
        ({"method": "double_declining"}, "DepreciationPolicy.method"),
        ({"accrual": "weekly"}, "DepreciationPolicy.accrual"),
        ({"colour": "red"}, "DepreciationPolicy.colour"),
    ],
)
def test_policy_validation_names_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        DepreciationPolicy.model_validate({"method": "straight_line", **data})
    assert info.value.fields == (field,)


def test_kernel_validation_names_the_field() -> None:
    grid = period_grid(dt.date(2026, 1, 1), 12)
    sl, uop = policy("straight_line"), policy("units_of_production")
    start = dt.date(2026, 1, 1)
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: annual_depreciation(sl, [100.0, -1.0]), "cost[1]"),
        (lambda: annual_depreciation(sl, [100.0, float("nan")]), "cost[1]"),
        (lambda: annual_depreciation(sl, [100.0, 50.0], salvage=[10.0, 50.0]), "salvage[1]"),
        (lambda: annual_depreciation(sl, [100.0], useful_life_years=[31.0]),
         "useful_life_years[0]"),
        (lambda: annual_depreciation(sl, [100.0, 50.0], salvage=[1.0, 2.0, 3.0]), "salvage"),
        (lambda: annual_depreciation(uop, [100.0]), "policy.method"),
        (lambda: depreciation_schedule(uop, grid, [100.0], start), "units"),
        (lambda: depreciation_schedule(uop, grid, [100.0], start, units=[1.0] * 11,
                                       total_units=10.0), "units"),
        (lambda: depreciation_schedule(uop, grid, [100.0], start, units=[-1.0] * 12,
                                       total_units=10.0), "units[0]"),
        (lambda: depreciation_schedule(uop, grid, [100.0], start, units=[1.0] * 12,
                                       total_units=0.0), "total_units[0]"),
        (lambda: depreciation_schedule(sl, grid, [100.0], start, units=[1.0] * 12), "units"),
        (lambda: depreciation_schedule(sl, grid, [100.0, 1.0], [start] * 3), "in_service"),
        (lambda: depreciation_schedule(
            uop, grid, [100.0], start, units=[1.0] * 12, total_units=10.0
        ).book_value_at(["2025-12-31"]), "dates"),
    ]  # fmt: skip
    for call, field in cases:
        with pytest.raises(ValidationError) as info:
            call()
        assert info.value.fields[0] == field, field


def test_outputs_are_read_only_and_finite() -> None:
    s = depreciation_schedule(policy("straight_line"), period_grid(dt.date(2026, 1, 1), 12),
                              [100.0], dt.date(2026, 1, 1))  # fmt: skip
    with pytest.raises(ValueError, match="read-only"):
        s.book_value[0, 0] = 1.0
    assert np.isfinite(s.book_value).all()


def test_a_large_book_runs_without_a_loop_over_groups() -> None:
    rng = np.random.default_rng(11)
    n = 100_000
    cost = rng.uniform(1e4, 1e6, n)
    life = rng.choice([4.0, 5.0, 5.5, 6.0], n)
    starts = np.datetime64("2022-01-01") + rng.integers(0, 1500, n).astype("timedelta64[D]")
    grid = period_grid(dt.date(2026, 1, 31), 72)
    began = time.perf_counter()
    s = depreciation_schedule(policy("declining_balance", salvage_share=0.05), grid, cost,
                              starts, useful_life_years=life)  # fmt: skip
    elapsed = time.perf_counter() - began
    assert s.book_value.shape == (n, 72)
    assert elapsed < 5.0  # about 0.5 s on one core; a loop over groups takes minutes
