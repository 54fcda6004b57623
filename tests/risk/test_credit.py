"""Credit kernels: PD curves (against QuantLib), collateral LGD, EL, IFRS 9 ECL and staging.

Hand-worked examples write every number's derivation in comments and compare to 1e-12.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pytest
import QuantLib as ql
from hypothesis import given, settings, strategies as st

from computefin.domain import Counterparty, MarketSnapshot, PdEntry
from computefin.errors import MarketDataError, ValidationError
from computefin.pricing import evaluation_date
from computefin.risk.credit import (
    LIQUIDATION_HAIRCUTS,
    PdCurve,
    collateral_lgd,
    downturn_lgd,
    expected_loss,
    lifetime_expected_loss,
)
from computefin.risk.credit_ecl import (
    EclResult,
    StageReason,
    expected_credit_loss,
    period_bounds,
    stage_from,
)
from computefin.risk.grid import period_grid

AS_OF = dt.date(2026, 1, 5)
TOL = 1e-12


def _close(actual: Any, expected: Any, tol: float = TOL) -> None:
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=tol, atol=tol)


# --------------------------------------------------------------------------- worked ECL

# A 3-year amortizing loan, annual periods, reporting date t = 0.
# * One-year PD 2% -> constant hazard h = -ln(1 - 0.02) = 0.0202027073175...; survival
#   S(t) = exp(-h t) = 0.98^t: S(0) = 1, S(1) = 0.98, S(2) = 0.9604, S(3) = 0.941192.
# * Marginal PDs S(t-1) - S(t): year 1: 1 - 0.98 = 0.02; year 2: 0.98 - 0.9604 = 0.0196;
#   year 3: 0.9604 - 0.941192 = 0.019208.
# * EAD in the year of default (straight-line amortization of 900, balance at the start of
#   each year, CNY thousands): 900, 600, 300.
# * LGD 40%. EIR 5%, loss at period end: DF(t) = 1.05^-t: 1/1.05, 1/1.1025, 1/1.157625.
# * Contributions mPD x LGD x EAD x DF:
#     year 1: 0.02 x 0.4 x 900 = 7.2;      7.2 / 1.05        = 6.857142857142857 (= 48/7)
#     year 2: 0.0196 x 0.4 x 600 = 4.704;  4.704 / 1.1025    = 4.266666666666667 (= 64/15)
#     year 3: 0.019208 x 0.4 x 300 = 2.30496; 2.30496 / 1.157625 = 1.991111111111111
# * Stage 1 (12 months: year 1 only) = 6.857142857142857.
# * Stage 2 (lifetime) = 6.857142857142857 + 4.266666666666667 + 1.991111111111111
#                      = 13.114920634920635.
# * Stage 3 (credit-impaired): PD = 1 at t = 0, ECL = EAD_0 x LGD = 900 x 0.4 = 360.

WORKED_EAD = [900.0, 600.0, 300.0]
WORKED_START = [0.0, 1.0, 2.0]
WORKED_END = [1.0, 2.0, 3.0]
WORKED_MPD = [0.02, 0.0196, 0.019208]
WORKED_DF = [1 / 1.05, 1 / 1.1025, 1 / 1.157625]
WORKED_CONTRIBUTIONS = [7.2 / 1.05, 4.704 / 1.1025, 2.30496 / 1.157625]
WORKED_12M = 6.857142857142857
WORKED_LIFETIME = 13.114920634920635


def _worked(stage: int, **kwargs: Any) -> EclResult:
    args: dict[str, Any] = {
        "period_start": WORKED_START,
        "period_end": WORKED_END,
        "eir": 0.05,
        "stage": stage,
    }
    if "marginal_pd" not in kwargs:
        args["pd_curve"] = PdCurve.from_one_year_pd(0.02)
    args.update(kwargs)
    return expected_credit_loss(WORKED_EAD, 0.4, **args)


def test_worked_example_hand_numbers_are_consistent() -> None:
    # The literals above are the exact expressions, written out.
    _close(WORKED_CONTRIBUTIONS, [6.857142857142857, 4.266666666666667, 1.991111111111111])
    _close(sum(WORKED_CONTRIBUTIONS), WORKED_LIFETIME)
    _close(WORKED_CONTRIBUTIONS[0], WORKED_12M)


@pytest.mark.parametrize("source", ["pd_curve", "marginal_pd"])
def test_worked_example_stage_1_and_2(source: str) -> None:
    kwargs: dict[str, Any] = {"marginal_pd": WORKED_MPD} if source == "marginal_pd" else {}
    stage1 = _worked(1, **kwargs)
    stage2 = _worked(2, **kwargs)
    _close(stage1.marginal_pd, WORKED_MPD)
    _close(stage1.discount_factors, WORKED_DF)
    _close(stage1.contributions, WORKED_CONTRIBUTIONS)
    _close(stage1.horizon_weight, [1.0, 0.0, 0.0])
    _close(stage1.contributions_12m, [WORKED_12M, 0.0, 0.0])
    _close(stage1.ecl, WORKED_12M)
    _close(stage2.ecl, WORKED_LIFETIME)
    for result in (stage1, stage2):  # both measures are reported whatever the stage
        _close(result.ecl_12m, WORKED_12M)
        _close(result.ecl_lifetime, WORKED_LIFETIME)
    assert stage1.ecl.shape == ()  # one exposure: no exposure axis
    assert stage2.total == pytest.approx(WORKED_LIFETIME, rel=TOL)


def test_worked_example_stage_3_is_ead_times_lgd() -> None:
    result = _worked(3)
    _close(result.ecl, 900.0 * 0.4)  # 360: PD = 1 now, not discounted
    _close(result.ecl_12m, 360.0)
    _close(result.ecl_lifetime, 360.0)
    _close(result.contributions, [360.0, 0.0, 0.0])
    _close(result.marginal_pd, [1.0, 0.0, 0.0])
    assert result.discount_factors[0] == 1.0


def test_worked_example_mid_period_timing() -> None:
    # Loss at mid-period: DF = 1.05^-0.5, 1.05^-1.5, 1.05^-2.5.
    result = _worked(2, timing="mid")
    expected = [7.2 * 1.05**-0.5, 4.704 * 1.05**-1.5, 2.30496 * 1.05**-2.5]
    _close(result.contributions, expected)
    _close(result.ecl, sum(expected))


def test_twelve_months_pro_rates_the_crossing_period() -> None:
    # Periods [0, 0.75] and [0.75, 1.5]; constant hazard from PD 2%, EAD 100, LGD 50%, EIR 0.
    # mPD_1 = 1 - 0.98^0.75; mPD_2 = 0.98^0.75 - 0.98^1.5.
    # The second period has (1 - 0.75) / 0.75 = 1/3 of its length inside 12 months.
    # 12-month ECL = 50 mPD_1 + 50 mPD_2 / 3; lifetime = 50 (1 - 0.98^1.5).
    result = expected_credit_loss(
        [100.0, 100.0],
        0.5,
        pd_curve=PdCurve.from_one_year_pd(0.02),
        period_start=[0.0, 0.75],
        period_end=[0.75, 1.5],
        eir=0.0,
        stage=1,
    )
    m1, m2 = 1 - 0.98**0.75, 0.98**0.75 - 0.98**1.5
    _close(result.horizon_weight, [1.0, 1.0 / 3.0])
    _close(result.ecl, 50 * m1 + 50 * m2 / 3)
    _close(result.ecl_lifetime, 50 * (1 - 0.98**1.5))


def test_batch_equals_one_exposure_at_a_time() -> None:
    rng = np.random.default_rng(7)
    n, periods = 6, 8
    ead = rng.uniform(0.0, 1e6, (n, periods))
    lgd = rng.uniform(0.0, 1.0, (n, 1))
    pds = rng.uniform(0.001, 0.3, n)
    eir = rng.uniform(0.0, 0.12, n)
    stage = np.array([1, 2, 3, 1, 2, 3])
    start = np.arange(periods) * 0.25
    end = start + 0.25
    batch = expected_credit_loss(
        ead,
        lgd,
        pd_curve=PdCurve.from_one_year_pd(pds),
        period_start=start,
        period_end=end,
        eir=eir,
        stage=stage,
    )
    assert batch.ecl.shape == (n,)
    assert batch.contributions.shape == (n, periods)
    for i in range(n):
        one = expected_credit_loss(
            ead[i],
            float(lgd[i, 0]),
            pd_curve=PdCurve.from_one_year_pd(pds[i]),
            period_start=start,
            period_end=end,
            eir=float(eir[i]),
            stage=int(stage[i]),
        )
        _close(batch.ecl[i], one.ecl)
        _close(batch.contributions[i], one.contributions)
    frame = batch.to_frame()
    assert list(frame.columns) == ["stage", "ecl", "ecl_12m", "ecl_lifetime"]
    assert frame["stage"].tolist() == stage.tolist()


def test_ecl_on_a_period_grid() -> None:
    # Monthly grid from 2026-01-01: period bounds are days / 365 from the reporting date;
    # 12 months end on 2027-01-01, exactly 365 days, so months 1-12 are stage 1's horizon.
    grid = period_grid(dt.date(2026, 1, 1), 36)
    start, end = period_bounds(grid)
    _close(end, grid.times)
    _close(start, grid.times - grid.year_fractions)
    result = expected_credit_loss(
        np.full(36, 100.0),
        0.4,
        pd_curve=PdCurve.from_one_year_pd(0.02),
        period_start=start,
        period_end=end,
        eir=0.0,
        stage=1,
    )
    _close(result.horizon_weight, [1.0] * 12 + [0.0] * 24)
    _close(result.ecl, 100.0 * 0.4 * 0.02)  # undiscounted: LGD x EAD x one-year PD


def test_alive_mask_drops_padded_periods() -> None:
    base = _worked(2)
    masked = _worked(2, alive=np.array([True, True, False]))
    _close(masked.ecl, base.ecl - WORKED_CONTRIBUTIONS[2])
    assert masked.contributions[2] == 0.0


def test_lifetime_expected_loss_matches_stage_2() -> None:
    mpd = PdCurve.from_one_year_pd(0.02).marginal_pd(WORKED_START, WORKED_END)
    _close(mpd, WORKED_MPD)
    _close(lifetime_expected_loss(mpd, 0.4, WORKED_EAD, WORKED_DF), WORKED_LIFETIME)
    # Undiscounted: 7.2 + 4.704 + 2.30496 = 14.20896.
    _close(lifetime_expected_loss(mpd, 0.4, WORKED_EAD), 14.20896)


def test_expected_loss_one_year() -> None:
    # 1% x 45% x 2,000,000 = 9,000; 5% x 45% x 2,000,000 = 45,000.
    _close(expected_loss([0.01, 0.05], 0.45, 2_000_000.0), [9_000.0, 45_000.0])


# --------------------------------------------------------------------------- PD curves


def test_one_year_pd_curve() -> None:
    curve = PdCurve.from_one_year_pd(0.02)
    _close(curve.hazards, [-math.log(0.98)])
    _close(curve.survival([0.0, 0.5, 1.0, 3.0]), [1.0, 0.98**0.5, 0.98, 0.98**3])
    _close(curve.cumulative_pd(1.0), 0.02)
    _close(curve.marginal_pd(1.0, 2.0), 0.98 - 0.98**2)
    _close(curve.twelve_month_pd([0.0, 2.5]), [0.02, 0.02])  # flat hazard: same every year
    _close(curve.hazard([0.0, 10.0]), [-math.log(0.98)] * 2)
    assert curve.batch_size is None


def test_term_table_curve_reproduces_cumulative_pds() -> None:
    # Cumulative PDs 2% (1y), 5% (2y), 12% (5y): S = 0.98, 0.95, 0.88.
    # Hazards: ln(1/0.98), ln(0.98/0.95), ln(0.95/0.88)/3; after 5 years the last one.
    curve = PdCurve.from_term_table([1.0, 2.0, 5.0], [0.02, 0.05, 0.12])
    _close(curve.hazards, [-math.log(0.98), math.log(0.98 / 0.95), math.log(0.95 / 0.88) / 3])
    _close(curve.cumulative_pd([1.0, 2.0, 5.0]), [0.02, 0.05, 0.12])
    # Inside an interval survival is log-linear: S(3.5) = 0.95 (0.88/0.95)^(1.5/3).
    _close(curve.survival(3.5), 0.95 * (0.88 / 0.95) ** 0.5)
    # Beyond the last tenor the last hazard continues: S(6) = 0.88 (0.88/0.95)^(1/3).
    _close(curve.survival(6.0), 0.88 * (0.88 / 0.95) ** (1 / 3))
    # 12-month PD seen from year 1: 1 - S(2)/S(1) = 1 - 0.95/0.98.
    _close(curve.twelve_month_pd(1.0), 1 - 0.95 / 0.98)
    _close(curve.hazard([1.0, 1.5, 2.0, 2.1]), curve.hazards[[0, 1, 1, 2]])


def test_batch_curve_shapes() -> None:
    batch = PdCurve.from_term_table([1.0, 2.0], [[0.01, 0.03], [0.1, 0.2]])
    assert batch.batch_size == 2
    assert batch.survival(1.0).shape == (2,)
    assert batch.survival([0.5, 1.0, 3.0]).shape == (2, 3)
    per_obligor = batch.survival(np.array([[1.0, 2.0], [2.0, 1.0]]))
    _close(per_obligor, [[0.99, 0.97], [0.8, 0.9]])
    _close(batch[1].cumulative_pd([1.0, 2.0]), [0.1, 0.2])
    with pytest.raises(ValidationError) as err:
        batch.survival(np.ones((3, 2)))
    assert err.value.fields == ("t",)


def test_defaulted_curve() -> None:
    curve = PdCurve.from_one_year_pd(1.0)
    _close(curve.survival([0.0, 1e-9, 1.0]), [1.0, 0.0, 0.0])
    _close(curve.marginal_pd([0.0, 1.0], [1.0, 2.0]), [1.0, 0.0])
    _close(curve.twelve_month_pd([0.0, 1.0]), [1.0, 1.0])
    # A term table reaching 1: certain default in (1, 2].
    table = PdCurve.from_term_table([1.0, 2.0, 3.0], [0.5, 1.0, 1.0])
    _close(table.survival([1.0, 1.5, 2.0, 4.0]), [0.5, 0.0, 0.0, 0.0])
    assert not np.isnan(table.hazard([0.5, 2.5, 9.0])).any()


def test_pd_curve_from_market_is_scale_aware() -> None:
    market = MarketSnapshot(
        as_of=AS_OF,
        pd_table=[
            PdEntry(rating="BB", pd_1y=0.008),
            PdEntry(rating="B", pd_1y=0.03),
            PdEntry(rating="BB", rating_scale="cn-domestic", pd_1y=0.05),
        ],
    )
    _close(PdCurve.from_rating("BB", market).cumulative_pd(1.0), 0.008)
    _close(PdCurve.from_rating("BB", market, "cn-domestic").cumulative_pd(1.0), 0.05)
    batch = PdCurve.from_rating(["BB", "B"], market)
    _close(batch.cumulative_pd(1.0), [0.008, 0.03])
    assert batch.as_of == AS_OF
    with pytest.raises(MarketDataError):
        PdCurve.from_rating("B", market, "cn-domestic")
    cps = [
        Counterparty(id="a", name="A", rating="BB", sector="ai_lab", country="US"),
        Counterparty(id="b", name="B", rating="BB", sector="ai_lab", country="US", pd_override=0.2),
    ]
    _close(PdCurve.from_counterparty(cps, market).cumulative_pd(1.0), [0.008, 0.2])


# --------------------------------------------------------------------------- QuantLib


def test_pd_curve_matches_quantlib_hazard_curve_on_random_times() -> None:
    rng = np.random.default_rng(2026)
    tenors = np.array([91, 182, 365, 730, 1095, 1826, 3652]) / 365.0  # whole days
    cumulative = np.cumsum(rng.uniform(0.001, 0.05, tenors.size))
    curve = PdCurve.from_term_table(tenors, cumulative, as_of=AS_OF)
    qc = curve.ql
    times = np.concatenate((rng.uniform(0.0, 15.0, 500), tenors, [0.0]))
    ql_survival = np.array([qc.survivalProbability(float(t)) for t in times])
    ql_hazard = np.array([qc.hazardRate(float(t)) for t in times])
    _close(curve.survival(times), ql_survival)
    _close(curve.cumulative_pd(times), 1.0 - ql_survival)
    _close(curve.hazard(times), ql_hazard)
    assert qc.referenceDate() == ql.Date(5, 1, 2026)
    back = PdCurve.from_ql(qc)
    _close(back.times, tenors)
    _close(back.survival(times), ql_survival)


def test_from_ql_reads_a_bootstrapped_cds_curve() -> None:
    ref = ql.Date(5, 1, 2026)
    with evaluation_date(ref):
        discount = ql.YieldTermStructureHandle(ql.FlatForward(ref, 0.03, ql.Actual365Fixed()))
        helpers = [
            ql.SpreadCdsHelper(
                ql.QuoteHandle(ql.SimpleQuote(spread)),
                ql.Period(years, ql.Years),
                0,
                ql.WeekendsOnly(),
                ql.Quarterly,
                ql.Following,
                ql.DateGeneration.CDS2015,
                ql.Actual360(),
                0.4,
                discount,
            )
            for spread, years in [(0.01, 1), (0.015, 3), (0.02, 5)]
        ]
        qc = ql.PiecewiseFlatHazardRate(ref, helpers, ql.Actual365Fixed())
        qc.enableExtrapolation()
        curve = PdCurve.from_ql(qc)
        times = np.random.default_rng(5).uniform(0.0, 8.0, 300)
        expected = np.array([qc.survivalProbability(float(t)) for t in times])
    _close(curve.survival(times), expected)
    assert curve.as_of == AS_OF
    # And back to QuantLib: the rebuilt HazardRateCurve agrees too.
    rebuilt = curve.ql
    _close([rebuilt.survivalProbability(float(t)) for t in times], expected)


def test_ql_conversion_rejections() -> None:
    with pytest.raises(ValidationError, match="as_of"):
        _ = PdCurve.from_one_year_pd(0.02).ql
    with pytest.raises(ValidationError, match="whole days"):
        _ = PdCurve.from_term_table([0.5, 1.0], [0.01, 0.02], as_of=AS_OF).ql
    with pytest.raises(ValidationError, match="batch"):
        _ = PdCurve.from_one_year_pd([0.01, 0.02], as_of=AS_OF).ql
    with pytest.raises(ValidationError, match="inf"):
        _ = PdCurve.from_one_year_pd(1.0, as_of=AS_OF).ql
    other_dc = ql.HazardRateCurve(
        [ql.Date(5, 1, 2026), ql.Date(5, 1, 2027)], [0.02, 0.02], ql.Actual360()
    )
    with pytest.raises(ValidationError, match="ACT/365F"):
        PdCurve.from_ql(other_dc)


# --------------------------------------------------------------------------- LGD


@pytest.mark.parametrize(
    ("preset", "haircut"), [("broker", 0.15), ("auction", 0.35), ("distressed", 0.55)]
)
def test_haircut_presets(preset: str, haircut: float) -> None:
    # DOMAIN.md: broker sale 0.85, auction 0.65, distressed 0.45 of fair value.
    assert LIQUIDATION_HAIRCUTS[preset] == haircut
    # Collateral worth exactly the EAD: LGD = 1 - (1 - haircut) = haircut.
    _close(collateral_lgd(1000.0, 1000.0, preset), haircut)
    _close(collateral_lgd(1000.0, 1000.0, preset), collateral_lgd(1000.0, 1000.0, haircut))


def test_collateral_lgd_hand_examples() -> None:
    # V 800, auction (x 0.65) = 520 recovered of 1000: LGD 0.48.
    _close(collateral_lgd(1000.0, 800.0, "auction"), 0.48)
    # V 800, broker (x 0.85) = 680, less 5% selling costs (34) = 646, less 20 legal = 626,
    # plus 50 from assigned rents = 676: LGD 1 - 676/1000 = 0.324.
    _close(
        collateral_lgd(
            1000.0, 800.0, "broker", costs_share=0.05, costs=20.0, contract_recovery=50.0
        ),
        0.324,
    )
    # Over-collateralised: recovery capped at EAD, LGD 0; with a 10% floor, 0.1.
    _close(collateral_lgd(1000.0, 5000.0, "distressed"), 0.0)
    _close(collateral_lgd(1000.0, 5000.0, "distressed", floor=0.1), 0.1)
    # Costs above proceeds: LGD 1 (clipped), never above.
    _close(collateral_lgd(1000.0, 10.0, 0.5, costs=100.0), 1.0)
    # No exposure: the floor (nothing to lose, no NaN).
    _close(collateral_lgd([0.0, 0.0], 100.0, 0.2, floor=[0.0, 0.05]), [0.0, 0.05])


def test_collateral_lgd_over_paths_and_periods() -> None:
    # (paths=2, periods=3) economic values against an amortizing EAD per period.
    values = np.array([[1200.0, 900.0, 500.0], [600.0, 300.0, 100.0]])
    ead = np.array([1000.0, 700.0, 400.0])
    lgd = collateral_lgd(ead, values, "auction")
    expected = 1.0 - np.minimum(ead, values * 0.65) / ead
    assert lgd.shape == (2, 3)
    _close(lgd, expected)
    # Downturn: 5% quantile across the 2 paths (linear): 600 + 0.05 x (1200 - 600) = 630, ...
    down = downturn_lgd(ead, values, "auction")
    low = np.array([630.0, 330.0, 120.0])
    _close(down, 1.0 - np.minimum(ead, low * 0.65) / ead)
    assert bool(np.all(down >= lgd.mean(axis=0)))
    # (n=2, paths=5, periods=1): the path axis is the middle one by default.
    cube = np.arange(10.0).reshape(2, 5, 1) * 100.0
    assert downturn_lgd([[500.0], [900.0]], cube, 0.0, quantile=0.25).shape == (2, 1)


# --------------------------------------------------------------------------- staging


def test_staging_examples() -> None:
    result = stage_from(
        [0, 29, 30, 89, 90, 0, 0, 0, 0],
        "BBB",
        ["BBB", "BBB", "BBB", "BBB", "BBB", "BB", "BBB-", "A", "D"],
    )
    #          no change, 29 dpd, 30 dpd, 89 dpd, 90 dpd, 3 notches, 1 notch, upgrade, D
    assert result.stage.tolist() == [1, 1, 2, 2, 3, 2, 1, 1, 3]
    assert result.reasons[0] == "no significant increase in credit risk"
    assert result.reasons[2] == "30+ days past due"
    assert result.reasons[4] == "90+ days past due"
    assert result.reasons[5] == "downgraded 3+ notches since origination"
    assert result.reasons[8] == "rated D; downgraded 3+ notches since origination"
    assert StageReason(int(result.flags[5])) is StageReason.DOWNGRADE
    assert result.to_frame().shape == (9, 3)


def test_staging_pd_test_and_thresholds() -> None:
    # PD doubled -> stage 2; up 1.9x -> stage 1; PD 1 -> stage 3.
    result = stage_from(0, "BBB", "BBB", pd_origination=0.01, pd_now=[0.02, 0.019, 1.0])
    assert result.stage.tolist() == [2, 1, 3]
    assert "PD up 2x" in result.reasons[0]
    # An absolute floor on the rise: 0.0002 -> 0.0005 is 2.5x but only +0.03%.
    floored = stage_from(
        0, "AA", "AA", pd_origination=0.0002, pd_now=0.0005, pd_increase_floor=0.001
    )
    assert floored.stage.tolist() == 1
    # The PD test from the snapshot's table on the cn-domestic scale.
    market = MarketSnapshot(
        as_of=AS_OF,
        pd_table=[
            PdEntry(rating="AA+", rating_scale="cn-domestic", pd_1y=0.003),
            PdEntry(rating="AA", rating_scale="cn-domestic", pd_1y=0.007),
        ],
    )
    on_table = stage_from(0, "AA+", "AA", "cn-domestic", market=market)
    assert on_table.stage.tolist() == 2  # one notch, but PD 0.003 -> 0.007
    # A bank's own thresholds: 2 notches on the compressed domestic scale, 60 / 120 dpd.
    custom = stage_from(
        [0, 60, 119, 120],
        "AA+",
        ["AA-", "AA+", "AA+", "AA+"],
        "cn-domestic",
        downgrade_notches=2,
        dpd_stage2=60,
        dpd_stage3=120,
    )
    assert custom.stage.tolist() == [2, 2, 2, 3]
    # Low credit risk exemption: A-rated now, 4 notches down from AA+, stays in stage 1;
    # but 30 days past due still moves it.
    exempt = stage_from([0, 30], "AA+", "A-", low_credit_risk_rating="BBB-")
    assert exempt.stage.tolist() == [1, 2]
    assert "low credit risk exemption" in exempt.reasons[0]


# --------------------------------------------------------------------------- properties


@st.composite
def _ecl_inputs(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 4))
    periods = draw(st.integers(1, 6))
    floats = st.floats(0.0, 1.0, allow_nan=False)
    length = draw(st.sampled_from([0.25, 0.5, 1.0, 0.7]))
    start = np.arange(periods) * length
    pds = np.array(draw(st.lists(st.floats(1e-6, 1.0), min_size=n, max_size=n)))
    return {
        "ead": np.array(
            draw(st.lists(st.floats(0.0, 1e9), min_size=n * periods, max_size=n * periods))
        ).reshape(n, periods),
        "lgd": np.array(draw(st.lists(floats, min_size=n, max_size=n)))[:, None],
        "pd_curve": PdCurve.from_one_year_pd(pds),
        "period_start": start,
        "period_end": start + length,
        "eir": np.array(draw(st.lists(st.floats(-0.5, 1.0), min_size=n, max_size=n))),
        "stage": np.array(draw(st.lists(st.sampled_from([1, 2, 3]), min_size=n, max_size=n))),
        "timing": draw(st.sampled_from(["end", "mid"])),
    }


@settings(max_examples=200, deadline=None)
@given(_ecl_inputs())
def test_ecl_properties(inputs: dict[str, Any]) -> None:
    ead, lgd = inputs.pop("ead"), inputs.pop("lgd")
    result = expected_credit_loss(ead, lgd, **inputs)
    for values in (result.ecl, result.ecl_12m, result.ecl_lifetime, result.contributions):
        assert not np.isnan(values).any()
        assert (values >= 0.0).all()
    assert (result.ecl_lifetime >= result.ecl_12m).all()
    stage = inputs["stage"]
    _close(result.ecl, np.where(stage == 1, result.ecl_12m, result.ecl_lifetime), 0.0)
    # With EIR >= 0 (DF <= 1) and marginal PDs summing to <= 1, the loss is at most
    # LGD x the largest EAD.
    bound = lgd[:, 0] * ead.max(axis=1)
    ok = inputs["eir"] >= 0.0
    assert (result.ecl_lifetime[ok] <= bound[ok] * (1 + 1e-12) + 1e-9).all()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(1e-9, 1.0), min_size=1, max_size=5),
    st.lists(st.floats(0.0, 50.0), min_size=1, max_size=20),
)
def test_pd_curve_properties(increments: list[float], times: list[float]) -> None:
    cumulative = np.minimum(np.cumsum(increments), 1.0)
    curve = PdCurve.from_term_table(np.arange(1, len(increments) + 1) * 0.5, cumulative)
    t = np.sort(np.array(times))
    s = curve.survival(t)
    assert not np.isnan(s).any()
    assert ((s >= 0.0) & (s <= 1.0)).all()
    assert (np.diff(s) <= 1e-15).all()
    assert not np.isnan(curve.twelve_month_pd(t)).any()
    mpd = curve.marginal_pd(t[:-1], t[1:]) if t.size > 1 else np.zeros(0)
    assert (mpd >= 0.0).all()
    assert mpd.sum() <= 1.0 + 1e-12


@settings(max_examples=200, deadline=None)
@given(
    st.floats(0.0, 1e9),
    st.floats(0.0, 1e10),
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
    st.floats(0.0, 1e9),
    st.floats(0.0, 1e9),
    st.floats(0.0, 1.0),
)
def test_collateral_lgd_properties(
    ead: float, value: float, haircut: float, share: float, costs: float, rec: float, floor: float
) -> None:
    lgd = float(
        collateral_lgd(
            ead, value, haircut, costs_share=share, costs=costs, contract_recovery=rec, floor=floor
        )
    )
    assert not math.isnan(lgd)
    assert max(0.0, floor) <= lgd <= 1.0


# --------------------------------------------------------------------------- rejections


def _field(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return exc.value.fields[0]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: PdCurve.from_one_year_pd(1.5), "pd_1y"),
        (lambda: PdCurve.from_one_year_pd(0.0), "pd_1y"),
        (lambda: PdCurve.from_one_year_pd(float("nan")), "pd_1y"),
        (lambda: PdCurve.from_one_year_pd(True), "pd_1y"),
        (lambda: PdCurve.from_one_year_pd("0.02"), "pd_1y"),
        (lambda: PdCurve.from_term_table([1.0, 2.0], [0.05, 0.02]), "cumulative_pds"),
        (lambda: PdCurve.from_term_table([1.0, 2.0], [0.02, 2.0]), "cumulative_pds"),
        (lambda: PdCurve.from_term_table([2.0, 1.0], [0.02, 0.05]), "tenors_years"),
        (lambda: PdCurve(np.array([1.0]), np.array([-0.1])), "PdCurve.hazards"),
        (lambda: PdCurve.from_one_year_pd(0.02).survival(-1.0), "t"),
        (lambda: PdCurve.from_one_year_pd(0.02).marginal_pd(2.0, 1.0), "end"),
        (lambda: collateral_lgd(-1.0, 100.0, 0.2), "ead"),
        (lambda: collateral_lgd(float("nan"), 100.0, 0.2), "ead"),
        (lambda: collateral_lgd(100.0, [100.0, float("nan")], 0.2), "collateral_value_at_default"),
        (lambda: collateral_lgd(100.0, 100.0, 1.5), "liquidation_haircut"),
        (lambda: collateral_lgd(100.0, 100.0, "fire-sale"), "liquidation_haircut"),
        (lambda: collateral_lgd(100.0, 100.0, 0.2, costs=-5.0), "costs"),
        (lambda: collateral_lgd([1.0, 2.0], [1.0, 2.0, 3.0], 0.2), "ead"),
        (lambda: downturn_lgd(100.0, [[1.0]], 0.2, quantile=5.0), "quantile"),
        (lambda: expected_loss(1.2, 0.4, 100.0), "pd"),
        (lambda: expected_loss(0.02, 45.0, 100.0), "lgd"),
    ],
)
def test_bad_inputs_name_the_field(call: Any, field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        call()
    assert _field(exc) == field


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"eir": 5.0}, "eir"),  # a percentage
        ({"eir": -1.0}, "eir"),
        ({"eir": float("nan")}, "eir"),
        ({"stage": 4}, "stage"),
        ({"ead": np.ones((2, 3)), "stage": [1, 2, 3]}, "ead"),  # 2 exposures vs 3 stages
        ({"ead": [900.0, -1.0, 300.0]}, "ead"),
        ({"ead": [900.0, float("nan"), 300.0]}, "ead"),
        ({"lgd": 1.4}, "lgd"),
        ({"lgd": [0.4, 0.4]}, "lgd"),
        ({"period_end": [1.0, 0.5, 3.0]}, "period_end"),
        ({"period_start": [0.0, 0.5, 2.0]}, "period_start"),
        ({"marginal_pd": [0.5, 0.4, 0.3], "pd_curve": None}, "marginal_pd"),
        ({"marginal_pd": [0.02, 1.2, 0.0], "pd_curve": None}, "marginal_pd"),
        ({"marginal_pd": [0.02, 0.02, 0.02]}, "pd_curve"),  # both given
        ({"pd_curve": None}, "pd_curve"),  # neither given
        ({"timing": "start"}, "timing"),
        ({"horizon_years": 0.0}, "horizon_years"),
        ({"alive": [1, 1, 0]}, "alive"),
    ],
)
def test_ecl_bad_inputs_name_the_field(change: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {
        "ead": WORKED_EAD,
        "lgd": 0.4,
        "pd_curve": PdCurve.from_one_year_pd(0.02),
        "period_start": WORKED_START,
        "period_end": WORKED_END,
        "eir": 0.05,
        "stage": 1,
    }
    args.update(change)
    with pytest.raises(ValidationError) as exc:
        expected_credit_loss(args.pop("ead"), args.pop("lgd"), **args)
    assert _field(exc) == field


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"days_past_due": -1}, "days_past_due"),
        ({"days_past_due": float("nan")}, "days_past_due"),
        ({"rating_now": "A++"}, "rating_now"),
        ({"rating_at_origination": ["BBB", None]}, "rating_at_origination"),
        ({"scale": "moon"}, "scale"),
        ({"dpd_stage3": 30}, "dpd_stage3"),
        ({"downgrade_notches": 0}, "downgrade_notches"),
        ({"pd_now": 0.02}, "pd_origination"),
        ({"pd_origination": 0.01, "pd_now": 2.0}, "pd_now"),
        ({"pd_ratio_threshold": 1.0}, "pd_ratio_threshold"),
        ({"days_past_due": [0, 1], "rating_now": ["A", "A", "A"]}, "days_past_due"),
    ],
)
def test_staging_bad_inputs_name_the_field(kwargs: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {"days_past_due": 0, "rating_at_origination": "BBB", "rating_now": "BBB"}
    args.update(kwargs)
    with pytest.raises(ValidationError) as exc:
        stage_from(**args)
    assert _field(exc) == field
