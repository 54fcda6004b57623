"""Securitisation capital: SEC-SA, SEC-IRBA, SEC-ERBA, tranche maturity.

References are independent of the code under test (nothing is read from the module's
constants):

* the SSFA (KSSFA and the three risk-weight cases) is written out again here with ``math``
  (``_hand_ssfa_rw``);
* published figures, typed in from the regulatory text:
  - SEC-ERBA long-term tables, non-STC and STC, and the short-term tables: Basel Framework
    CRE42 Table 1 / Table 2 as shown on bis.org (rows AAA to BBB) and in SAMA's
    transposition (same numbering, rows AAA to BB-; STC table 31 complete), the CBUAE
    guidance tables (STC complete), and EU CRR Art. 263 Table 2 / Art. 264 Tables 3-4
    (credit quality steps 1-17, complete; the only source seen for the non-STC rows B+ to
    CCC). Where two sources overlap they agree;
  - the SEC-IRBA supervisory parameter table (A, B, C, D, E): EU CRR Art. 259(1) and
    SAMA table 33 (CRE44 numbering), identical;
  - the CBUAE worked examples (Securitisation Standards guidance, paras 33-39 and 40):
    SEC-SA KSA 9%, W 6%, 1% of the pool with unknown delinquency, A 5%, D 25%:
    0.1146, KA 0.1235, RW 954%; SEC-ERBA BB+ non-senior, A 5%, D 30%, MT 2: 497.5%
    interpolated, RW 373%;
  - the FRTB default-risk weights for securitisations (8% x the 1-year senior ERBA weight,
    as tabulated in a vendor's BCBS parameter file): B+ 0.2, B 0.248, B- 0.304, CCC 0.368 -
    a second source for the senior 1-year column of the rows B+ to CCC;
* hand-worked SEC-SA and SEC-IRBA cases with the arithmetic written out below.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from computefin.errors import ValidationError
from computefin.risk import capital
from computefin.risk.capital import (
    ErbaResult,
    SsfaResult,
    sec_erba,
    sec_irba,
    sec_irba_p,
    sec_sa,
    ssfa,
    tranche_maturity,
)

# ---------------------------------------------------------------------------------------
# Independent reference: the SSFA written out by hand
# ---------------------------------------------------------------------------------------


def _hand_kssfa(a_pt: float, d_pt: float, ka: float, p: float) -> float:
    a = -1.0 / (p * ka)
    u = d_pt - ka
    lo = max(a_pt - ka, 0.0)
    return (math.exp(a * u) - math.exp(a * lo)) / (a * (u - lo))


def _hand_ssfa_rw(a_pt: float, d_pt: float, ka: float, p: float, floor: float = 0.15) -> float:
    if d_pt <= ka:
        rw = 12.5
    elif a_pt >= ka:
        rw = 12.5 * _hand_kssfa(a_pt, d_pt, ka, p)
    else:
        k = _hand_kssfa(a_pt, d_pt, ka, p)
        rw = 12.5 * (ka - a_pt) / (d_pt - a_pt) + 12.5 * (d_pt - ka) / (d_pt - a_pt) * k
    return min(max(rw, floor), 12.5)


# SEC-IRBA supervisory parameters (A, B, C, D, E): CRE44 table / CRR Art. 259(1).
P_TABLE = {
    ("wholesale", "senior", "granular"): (0.0, 3.56, -1.85, 0.55, 0.07),
    ("wholesale", "senior", "non_granular"): (0.11, 2.61, -2.91, 0.68, 0.07),
    ("wholesale", "non_senior", "granular"): (0.16, 2.87, -1.03, 0.21, 0.07),
    ("wholesale", "non_senior", "non_granular"): (0.22, 2.35, -2.46, 0.48, 0.07),
    ("retail", "senior", "any"): (0.0, 0.0, -7.48, 0.71, 0.24),
    ("retail", "non_senior", "any"): (0.0, 0.0, -5.78, 0.55, 0.27),
}

# ERBA long-term, percent: rating -> (senior 1y, senior 5y, non-senior 1y, non-senior 5y).
ERBA_LONG = {
    "AAA": (15, 20, 15, 70),
    "AA+": (15, 30, 15, 90),
    "AA": (25, 40, 30, 120),
    "AA-": (30, 45, 40, 140),
    "A+": (40, 50, 60, 160),
    "A": (50, 65, 80, 180),
    "A-": (60, 70, 120, 210),
    "BBB+": (75, 90, 170, 260),
    "BBB": (90, 105, 220, 310),
    "BBB-": (120, 140, 330, 420),
    "BB+": (140, 160, 470, 580),
    "BB": (160, 180, 620, 760),
    "BB-": (200, 225, 750, 860),
    "B+": (250, 280, 900, 950),
    "B": (310, 340, 1050, 1050),
    "B-": (380, 420, 1130, 1130),
    "CCC": (460, 505, 1250, 1250),
    "CC": (1250, 1250, 1250, 1250),
}
ERBA_LONG_STC = {
    "AAA": (10, 10, 15, 40),
    "AA+": (10, 15, 15, 55),
    "AA": (15, 20, 15, 70),
    "AA-": (15, 25, 25, 80),
    "A+": (20, 30, 35, 95),
    "A": (30, 40, 60, 135),
    "A-": (35, 40, 95, 170),
    "BBB+": (45, 55, 150, 225),
    "BBB": (55, 65, 180, 255),
    "BBB-": (70, 85, 270, 345),
    "BB+": (120, 135, 405, 500),
    "BB": (135, 155, 535, 655),
    "BB-": (170, 195, 645, 740),
    "B+": (225, 250, 810, 855),
    "B": (280, 305, 945, 945),
    "B-": (340, 380, 1015, 1015),
    "CCC+": (415, 455, 1250, 1250),
    "D": (1250, 1250, 1250, 1250),
}
THIN = 1e-12  # a non-senior tranche this thin keeps the table weight: x (1 - 1e-12)


# ---------------------------------------------------------------------------------------
# SEC-ERBA: published tables and the worked example
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("rating", "row"), list(ERBA_LONG.items()))
def test_erba_long_term_table(rating: str, row: tuple[int, int, int, int]) -> None:
    s1, s5, n1, n5 = (v / 100.0 for v in row)
    assert sec_erba(rating, 1.0, senior=True).risk_weight == pytest.approx(s1, abs=1e-12)
    assert sec_erba(rating, 5.0, senior=True).risk_weight == pytest.approx(s5, abs=1e-12)
    thin_1 = sec_erba(rating, 1.0, senior=False, thickness=THIN).risk_weight
    thin_5 = sec_erba(rating, 5.0, senior=False, thickness=THIN).risk_weight
    assert thin_1 == pytest.approx(n1, rel=1e-9)
    assert thin_5 == pytest.approx(n5, rel=1e-9)


@pytest.mark.parametrize(("rating", "row"), list(ERBA_LONG_STC.items()))
def test_erba_long_term_table_stc(rating: str, row: tuple[int, int, int, int]) -> None:
    s1, s5, n1, n5 = (v / 100.0 for v in row)
    senior = sec_erba(rating, [1.0, 5.0], senior=True, stc=True).risk_weight
    thin = sec_erba(rating, [1.0, 5.0], senior=False, thickness=THIN, stc=True).risk_weight
    np.testing.assert_allclose(senior, [s1, s5], rtol=1e-12)
    np.testing.assert_allclose(thin, [n1, n5], rtol=1e-9)


def test_erba_short_term_tables() -> None:
    ratings = ["A-1", "P-2", "A-3", "NP"]
    assert sec_erba(ratings, senior=True, short_term=True).risk_weight.tolist() == [
        0.15,
        0.50,
        1.00,
        12.5,
    ]
    assert sec_erba(ratings, senior=True, short_term=True, stc=True).risk_weight.tolist() == [
        0.10,
        0.30,
        0.60,
        12.5,
    ]
    # Short-term ratings ignore maturity and thickness.
    r = sec_erba("A-2/P-2", 4.0, senior=False, thickness=0.4, short_term=True)
    assert r.risk_weight == 0.5
    # STC floors apply to short-term results too: A-1 non-senior STC 10% -> 15%.
    assert sec_erba("A-1", senior=False, short_term=True, stc=True).risk_weight == 0.15


def test_erba_cbuae_worked_example() -> None:
    # BB+ non-senior, A 5%, D 30% (T = 25%), MT = 2 years:
    # 470% + (580% - 470%) x (2 - 1)/4 = 497.5%; x (1 - 0.25) = 373.125% -> "373%".
    r = sec_erba("BB+", 2.0, senior=False, thickness=0.30 - 0.05, exposure=100.0)
    assert r.risk_weight == pytest.approx(4.975 * 0.75, rel=1e-12)
    assert round(r.risk_weight * 100) == 373
    assert r.rwa == pytest.approx(373.125, rel=1e-12)
    assert r.maturity_years == 2.0


def test_erba_senior_one_year_column_matches_frtb_drc_weights() -> None:
    # 8% x ERBA senior 1-year weight, as tabulated for the FRTB securitisation DRC.
    drc = {"B+": 0.2, "B": 0.248, "B-": 0.304, "CCC+": 0.368, "CCC-": 0.368, "AAA": 0.012}
    for rating, weight in drc.items():
        assert 0.08 * sec_erba(rating, 1.0, senior=True).risk_weight == pytest.approx(weight)


def test_erba_notations_and_credit_quality_steps() -> None:
    # S&P/Fitch, Moody's and credit quality steps name the same rows.
    sp = ["AAA", "AA-", "A", "BBB-", "BB+", "B-", "CCC", "D"]
    moodys = ["Aaa", "aa3", "A2", "Baa3", "Ba1", "B3", "Caa2", "C"]
    steps = [1, 4, 6, 10, 11, 16, 17, 18]
    a = sec_erba(sp, 3.0, senior=False, thickness=0.1).risk_weight
    b = sec_erba(moodys, 3.0, senior=False, thickness=0.1).risk_weight
    c = sec_erba(steps, 3.0, senior=False, thickness=0.1).risk_weight
    assert a.tolist() == b.tolist() == c.tolist()
    short = sec_erba([1, 2, 3, 4], senior=True, short_term=True).risk_weight
    assert short.tolist() == [0.15, 0.5, 1.0, 12.5]


def test_erba_maturity_interpolation_and_clip() -> None:
    # AA senior: 25% at 1y, 40% at 5y -> 25 + 15 x (MT - 1)/4.
    r = sec_erba("AA", [0.2, 1.0, 2.0, 3.5, 5.0, 9.0], senior=True)
    np.testing.assert_allclose(r.risk_weight, [0.25, 0.25, 0.2875, 0.34375, 0.40, 0.40], rtol=1e-12)
    assert r.maturity_years.tolist() == [1.0, 1.0, 2.0, 3.5, 5.0, 5.0]


def test_erba_thickness_adjustment_and_floors() -> None:
    # 1 - min(T, 50%): T = 0.2 -> x 0.8; T = 0.5 and T = 0.9 -> x 0.5.
    rw = sec_erba("BBB", 1.0, senior=False, thickness=[0.2, 0.5, 0.9]).risk_weight
    np.testing.assert_allclose(rw, [2.2 * 0.8, 1.1, 1.1], rtol=1e-12)
    # Non-STC: AAA non-senior 1y 15% x 0.5 = 7.5% -> floor 15%.
    assert sec_erba("AAA", 1.0, senior=False, thickness=0.5).risk_weight == 0.15
    # Non-STC: never below the senior weight of the same rating and maturity:
    # A non-senior 1y 80% x 0.5 = 40% < senior 50% -> 50%.
    assert sec_erba("A", 1.0, senior=False, thickness=0.5).risk_weight == 0.5
    # STC: no senior comparison (CRE42.14 replaces CRE42.7): A+ 35% x 0.5 = 17.5% < 20%.
    assert sec_erba("A+", 1.0, senior=False, thickness=0.5, stc=True).risk_weight == 0.175
    # STC non-senior floor 15%: AAA 15% x 0.5 -> 15%; STC senior floor 10%.
    assert sec_erba("AAA", 1.0, senior=False, thickness=0.5, stc=True).risk_weight == 0.15
    assert sec_erba("AAA", 1.0, senior=True, stc=True).risk_weight == 0.10
    # The thickness factor applies to every non-senior row, 1250% ones included.
    assert sec_erba("CCC", 3.0, senior=False, thickness=0.5).risk_weight == 6.25
    # Cap: nothing above 1250%.
    assert sec_erba("CCC", 5.0, senior=False, thickness=THIN).risk_weight <= 12.5


# ---------------------------------------------------------------------------------------
# SEC-IRBA supervisory parameter p
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "coef"), list(P_TABLE.items()))
def test_irba_p_table(key: tuple[str, str, str], coef: tuple[float, ...]) -> None:
    pool, seniority, granularity = key
    n = {"granular": 100.0, "non_granular": 10.0, "any": 7.0}[granularity]
    kirb, lgd, mt = 0.02, 0.6, 4.0  # keeps every row above the 0.3 floor
    a, b, c, d, e = coef
    expected = a + b / n + c * kirb + d * lgd + e * mt
    assert expected > 0.3
    p = sec_irba_p(kirb, lgd, n, mt, retail=pool == "retail", senior=seniority == "senior")
    assert p == pytest.approx(expected, rel=1e-12)
    # STC halves the bracket before the floor (CRE44.28).
    p_stc = sec_irba_p(
        kirb, lgd, n, mt, retail=pool == "retail", senior=seniority == "senior", stc=True
    )
    assert p_stc == pytest.approx(max(0.3, 0.5 * expected), rel=1e-12)


def test_irba_p_floor_granularity_threshold_and_maturity_clip() -> None:
    # Wholesale senior, KIRB 10%, LGD 10%, MT 1: 3.56/100 - 0.185 + 0.055 + 0.07 < 0.3.
    assert sec_irba_p(0.10, 0.10, 100.0, 1.0) == 0.3
    # N = 25 is granular, N = 24.99 is not.
    granular = 0.0 + 3.56 / 25 - 1.85 * 0.05 + 0.55 * 0.5 + 0.07 * 2
    non_granular = 0.11 + 2.61 / 24.99 - 2.91 * 0.05 + 0.68 * 0.5 + 0.07 * 2
    assert sec_irba_p(0.05, 0.5, 25.0, 2.0) == pytest.approx(granular, rel=1e-12)
    assert sec_irba_p(0.05, 0.5, 24.99, 2.0) == pytest.approx(non_granular, rel=1e-12)
    # MT is clipped to [1, 5] inside p.
    assert sec_irba_p(0.05, 0.5, 30.0, 9.0) == sec_irba_p(0.05, 0.5, 30.0, 5.0)
    assert sec_irba_p(0.05, 0.5, 30.0, 0.1) == sec_irba_p(0.05, 0.5, 30.0, 1.0)
    # Retail ignores N (B = 0); N = inf is accepted.
    assert sec_irba_p(0.05, 0.5, 3.0, 2.0, retail=True) == sec_irba_p(
        0.05, 0.5, math.inf, 2.0, retail=True
    )


# ---------------------------------------------------------------------------------------
# Hand-worked cases
# ---------------------------------------------------------------------------------------


def test_sec_sa_worked_by_hand() -> None:
    # Pool at 100% SA risk weight: KSA = 8% x 1.00 = 0.08; 5% delinquent: W = 0.05.
    #   KA = (1 - W) KSA + 0.5 W = 0.95 x 0.08 + 0.5 x 0.05 = 0.076 + 0.025 = 0.101
    # Mezzanine tranche A = 15%, D = 30%, not STC: p = 1.
    #   a = -1 / (p KA) = -1 / 0.101           = -9.900990
    #   u = D - KA      = 0.30 - 0.101         =  0.199
    #   l = A - KA      = 0.15 - 0.101         =  0.049
    #   a u = -1.970297, e^(a u) = 0.139415
    #   a l = -0.485149, e^(a l) = 0.615606
    #   KSSFA = (0.139415 - 0.615606) / (-9.900990 x (0.199 - 0.049))
    #         = -0.476191 / -1.485149 = 0.320635
    #   A >= KA, so RW = 12.5 x 0.320635 = 4.0079 (400.79%), above the 15% floor.
    r = sec_sa(0.15, 0.30, ksa=0.08, w=0.05, exposure=1_000_000.0)
    assert r.ka == pytest.approx(0.101, abs=1e-15)
    assert r.p == 1.0
    assert r.kssfa == pytest.approx(0.320635, abs=1e-6)
    assert r.risk_weight == pytest.approx(4.0079, abs=1e-4)
    assert r.risk_weight == pytest.approx(_hand_ssfa_rw(0.15, 0.30, 0.101, 1.0), rel=1e-12)
    assert r.rwa == pytest.approx(r.risk_weight * 1_000_000.0, rel=1e-15)


def test_sec_sa_straddling_ka_worked_by_hand() -> None:
    # Same pool (KA = 0.101), tranche A = 5% < KA < D = 30%:
    #   u = 0.199, l = 0: KSSFA = (e^(-1.970297) - 1) / (-1.970297) = 0.436779
    #   RW = 12.5 (KA - A)/(D - A) + 12.5 (D - KA)/(D - A) KSSFA
    #      = 12.5 x 0.051/0.25 + 12.5 x 0.199/0.25 x 0.436779
    #      = 12.5 x 0.204 + 12.5 x 0.796 x 0.436779 = 2.55 + 4.345952 = 6.8960
    r = sec_sa(0.05, 0.30, ksa=0.08, w=0.05)
    assert r.kssfa == pytest.approx(0.436779, abs=1e-6)
    assert r.risk_weight == pytest.approx(6.8960, abs=1e-4)
    assert r.risk_weight == pytest.approx(_hand_ssfa_rw(0.05, 0.30, 0.101, 1.0), rel=1e-12)


def test_sec_sa_cbuae_worked_example() -> None:
    # CBUAE: KSA 9%; 6% delinquent among the 99% of the pool with known status; 1% unknown.
    #   (1 - W) KSA + 0.5 W = 0.94 x 0.09 + 0.06 x 0.5 = 0.1146
    #   KA = 0.99 x 0.1146 + 0.01 = 0.1235; A 5%, D 25%, p = 1 -> RW 954% (published).
    known = sec_sa(0.05, 0.25, ksa=0.09, w=0.06)
    assert known.ka == pytest.approx(0.1146, abs=1e-12)
    r = sec_sa(0.05, 0.25, ksa=0.09, w=0.06, unknown_delinquency_share=0.01)
    assert round(r.ka, 4) == 0.1235
    assert round(r.risk_weight * 100) == 954
    assert r.risk_weight == pytest.approx(_hand_ssfa_rw(0.05, 0.25, 0.123454, 1.0), rel=1e-12)
    # More than 5% unknown: SEC-SA may not be used -> 1250%.
    assert sec_sa(0.5, 1.0, ksa=0.09, unknown_delinquency_share=0.06).risk_weight == 12.5
    # Exactly 5% unknown is still allowed: KA = 0.95 x 0.09 + 0.05 = 0.1355.
    at_limit = sec_sa(0.5, 1.0, ksa=0.09, unknown_delinquency_share=0.05)
    assert at_limit.ka == pytest.approx(0.1355, abs=1e-15)
    assert at_limit.risk_weight == pytest.approx(_hand_ssfa_rw(0.5, 1.0, 0.1355, 1.0), rel=1e-12)


def test_sec_irba_worked_by_hand() -> None:
    # Wholesale pool of 10 effective obligors (non-granular), KIRB 5%, pool LGD 40%;
    # mezzanine A = 8%, D = 12% (non-senior); final legal maturity 4 years:
    #   MT = 1 + (4 - 1) x 0.8 = 3.4
    #   p  = 0.22 + 2.35/10 - 2.46 x 0.05 + 0.48 x 0.40 + 0.07 x 3.4
    #      = 0.22 + 0.235 - 0.123 + 0.192 + 0.238 = 0.762
    #   a = -1/(0.762 x 0.05) = -26.246719; u = 0.12 - 0.05 = 0.07; l = 0.08 - 0.05 = 0.03
    #   e^(a u) = e^(-1.837270) = 0.159252;  e^(a l) = e^(-0.787402) = 0.455026
    #   KSSFA = (0.159252 - 0.455026) / (-26.246719 x 0.04) = -0.295774 / -1.049869
    #         = 0.281725;  RW = 12.5 x 0.281725 = 3.5216 (352.16%)
    mt = tranche_maturity(4.0)
    assert mt == pytest.approx(3.4, abs=1e-15)
    r = sec_irba(0.08, 0.12, kirb=0.05, lgd_pool=0.40, n_effective=10, maturity_years=mt)
    assert r.p == pytest.approx(0.762, abs=1e-12)
    assert r.ka == 0.05
    assert r.kssfa == pytest.approx(0.281725, abs=1e-6)
    assert r.risk_weight == pytest.approx(3.5216, abs=1e-4)
    assert r.risk_weight == pytest.approx(_hand_ssfa_rw(0.08, 0.12, 0.05, 0.762), rel=1e-12)


# ---------------------------------------------------------------------------------------
# Floors, cap and the boundaries around KA
# ---------------------------------------------------------------------------------------


def test_floors_and_cap() -> None:
    # Far above KA: KSSFA ~ 0 -> floor 15%; STC senior 10%; STC non-senior 15%.
    assert sec_sa(0.5, 1.0, ksa=0.08).risk_weight == 0.15
    assert sec_sa(0.5, 1.0, ksa=0.08, stc=True).risk_weight == 0.10
    assert sec_sa(0.5, 0.9, ksa=0.08, stc=True).risk_weight == 0.15  # D < 1: non-senior
    assert sec_sa(0.5, 0.9, ksa=0.08, stc=True, senior=True).risk_weight == 0.10
    irba = sec_irba(0.5, 1.0, 0.05, 0.45, 100, 2.0)
    assert irba.risk_weight == 0.15
    assert sec_irba(0.5, 1.0, 0.05, 0.45, 100, 2.0, stc=True).risk_weight == 0.10
    # At or below KA: 1250%, the cap.
    assert sec_sa(0.0, 0.05, ksa=0.08).risk_weight == 12.5
    assert sec_sa(0.0, 0.08, ksa=0.08).risk_weight == 12.5  # D = KA
    assert sec_irba(0.0, 0.05, 0.05, 0.45, 100, 2.0).risk_weight == 12.5
    assert ssfa(0.0, 0.01, 0.08, 1.0).kssfa == 1.0
    # The formula itself never exceeds 1250% (KSSFA <= 1).
    grid = np.linspace(0.0, 0.99, 100)
    rw = ssfa(grid, grid + 0.01, 0.2, 0.3, floor=0.0).risk_weight
    assert rw.max() <= 12.5
    # KA = 0: nothing below the tranche is expected to be lost -> floor.
    assert sec_sa(0.0, 0.1, ksa=0.0).risk_weight == 0.15
    assert sec_sa(0.0, 0.1, ksa=0.0).kssfa == 0.0


def test_boundaries_around_ka() -> None:
    ka, p = 0.08, 1.0
    # A >= KA: pure formula; A < KA < D: blend; D <= KA: 1250% - each against the hand SSFA.
    for a_pt, d_pt in [(0.08, 0.2), (0.1, 0.2), (0.02, 0.2), (0.0, 0.08), (0.0, 0.05)]:
        assert ssfa(a_pt, d_pt, ka, p).risk_weight == pytest.approx(
            _hand_ssfa_rw(a_pt, d_pt, ka, p), rel=1e-12
        )
    # Continuity at A = KA (blend -> formula) and at D = KA (blend -> 1250%).
    eps = 1e-9
    below = ssfa(ka - eps, 0.2, ka, p).risk_weight
    at = ssfa(ka, 0.2, ka, p).risk_weight
    assert below == pytest.approx(at, rel=1e-6)
    assert ssfa(0.02, ka + eps, ka, p).risk_weight == pytest.approx(12.5, rel=1e-6)
    # A tranche straddling KA carries more than the same tranche's part above KA alone.
    assert ssfa(0.02, 0.2, ka, p).risk_weight > ssfa(ka, 0.2, ka, p).risk_weight


def test_monotone_in_attachment() -> None:
    attach = np.linspace(0.0, 0.6, 301)
    # Fixed detachment: the risk weight falls (weakly) as A rises.
    rw = sec_sa(attach, 0.7, ksa=0.08, w=0.02).risk_weight
    assert np.all(np.diff(rw) <= 1e-12)
    # Fixed thickness 10%, sliding up the structure.
    rw = sec_irba(attach, attach + 0.1, 0.06, 0.45, 50, 3.0, senior=False).risk_weight
    assert np.all(np.diff(rw) <= 1e-12)
    assert rw[0] > 10.0  # [0, 10%] straddles KIRB = 6%
    assert rw[-1] == 0.15


def test_look_through_cap_for_senior_only() -> None:
    # The senior cap applies after the floor and may go below it (CRE40.50-40.51).
    r = sec_sa([0.3, 0.3], [1.0, 0.9], ksa=0.08, look_through_risk_weight=0.10)
    assert r.risk_weight.tolist() == [0.10, 0.15]  # D = 0.9 is not senior: no cap
    capped = sec_irba(0.02, 1.0, 0.06, 0.45, 40, 3.0, look_through_risk_weight=0.5)
    uncapped = sec_irba(0.02, 1.0, 0.06, 0.45, 40, 3.0)
    assert uncapped.risk_weight > 0.5
    assert capped.risk_weight == 0.5


def test_seniority_inferred_from_detachment() -> None:
    # senior=None: D = 1 is senior (p row and the STC floor follow).
    assert sec_irba(0.3, 1.0, 0.05, 0.45, 100, 2.0).p == pytest.approx(
        sec_irba_p(0.05, 0.45, 100, 2.0, senior=True), rel=1e-15
    )
    assert sec_irba(0.3, 0.9, 0.05, 0.45, 100, 2.0).p == pytest.approx(
        sec_irba_p(0.05, 0.45, 100, 2.0, senior=False), rel=1e-15
    )


# ---------------------------------------------------------------------------------------
# Tranche maturity
# ---------------------------------------------------------------------------------------


def test_tranche_maturity() -> None:
    # Legal maturity: 1 + (ML - 1) x 0.8, floored at 1, capped at 5.
    mt = tranche_maturity([0.0, 1.0, 2.0, 3.5, 6.0, 30.0])
    np.testing.assert_allclose(mt, [1.0, 1.0, 1.8, 3.0, 5.0, 5.0], rtol=1e-15)
    assert isinstance(tranche_maturity(2.0), float)
    # Weighted average: (0.5 x 5 + 1 x 5 + 1.5 x 105) / 115 = 165/115 = 1.434783.
    wam = tranche_maturity(cash_flow_times=[0.5, 1.0, 1.5], cash_flows=[5.0, 5.0, 105.0])
    assert wam == pytest.approx(165.0 / 115.0, rel=1e-15)
    # Rows of cash flows give one MT each; short ones are floored at 1.
    two = tranche_maturity(
        cash_flow_times=[0.25, 0.5, 0.75], cash_flows=[[1.0, 1.0, 1.0], [0.0, 0.0, 1.0]]
    )
    assert np.asarray(two).tolist() == [1.0, 1.0]
    with pytest.raises(ValidationError, match="either legal_maturity_years"):
        tranche_maturity()
    with pytest.raises(ValidationError, match="cash_flows"):
        tranche_maturity(cash_flow_times=[1.0])
    with pytest.raises(ValidationError, match=r"cash_flows: must sum to > 0"):
        tranche_maturity(cash_flow_times=[1.0, 2.0], cash_flows=[0.0, 0.0])


# ---------------------------------------------------------------------------------------
# Vectorisation
# ---------------------------------------------------------------------------------------


def _fields(r: Any) -> list[str]:
    return [
        f for f in ("ka", "p", "kssfa", "maturity_years", "risk_weight", "rwa") if hasattr(r, f)
    ]


def test_vectorised_equals_scalar_loop() -> None:
    rng = np.random.default_rng(7)
    n = 200
    att = rng.uniform(0.0, 0.9, n)
    det = np.minimum(att + rng.uniform(0.005, 0.5, n), 1.0)
    det[::7] = 1.0
    k = rng.uniform(0.0, 0.3, n)
    w = rng.uniform(0.0, 0.2, n)
    lgd = rng.uniform(0.05, 1.0, n)
    n_eff = rng.uniform(1.0, 200.0, n)
    m = rng.uniform(0.0, 8.0, n)
    e = rng.uniform(0.0, 1e7, n)
    stc = rng.uniform(size=n) < 0.3
    retail = rng.uniform(size=n) < 0.4

    vec_sa = sec_sa(att, det, k, w, stc=stc, exposure=e)
    vec_irba = sec_irba(att, det, k, lgd, n_eff, m, retail=retail, stc=stc, exposure=e)
    for i in range(n):
        one_sa = sec_sa(
            float(att[i]),
            float(det[i]),
            float(k[i]),
            float(w[i]),
            stc=bool(stc[i]),
            exposure=float(e[i]),
        )
        one_irba = sec_irba(
            float(att[i]),
            float(det[i]),
            float(k[i]),
            float(lgd[i]),
            float(n_eff[i]),
            float(m[i]),
            retail=bool(retail[i]),
            stc=bool(stc[i]),
            exposure=float(e[i]),
        )
        for vec, one in ((vec_sa, one_sa), (vec_irba, one_irba)):
            for f in _fields(one):
                assert isinstance(getattr(one, f), float)
                assert getattr(vec, f)[i] == getattr(one, f), (f, i)

    ratings = np.array(list(ERBA_LONG))[rng.integers(0, len(ERBA_LONG), n)]
    senior = rng.uniform(size=n) < 0.5
    thick = det - att
    vec_erba = sec_erba(ratings, m, senior=senior, thickness=thick, stc=stc, exposure=e)
    for i in range(n):
        one_erba = sec_erba(
            str(ratings[i]),
            float(m[i]),
            senior=bool(senior[i]),
            thickness=float(thick[i]),
            stc=bool(stc[i]),
            exposure=float(e[i]),
        )
        for f in _fields(one_erba):
            assert getattr(vec_erba, f)[i] == getattr(one_erba, f), (f, i)


def test_broadcasting_and_read_only_outputs() -> None:
    # A column of attachments against a row of pool KA: a (3, 2) grid.
    r = sec_sa(np.array([[0.0], [0.1], [0.5]]), 1.0, ksa=np.array([0.04, 0.12]))
    assert isinstance(r, SsfaResult)
    assert r.risk_weight.shape == (3, 2)
    assert not r.risk_weight.flags.writeable
    assert r.ka.tolist() == [[0.04, 0.12]] * 3
    e = sec_erba(np.array(["AAA"]), np.array(2.0), senior=True)
    assert isinstance(e, ErbaResult)
    assert e.risk_weight.shape == (1,)
    zero_d = sec_sa(np.array(0.1), 1.0, 0.08)
    assert isinstance(zero_d.risk_weight, np.ndarray)
    assert zero_d.risk_weight.shape == ()
    with pytest.raises(ValidationError, match="do not broadcast"):
        sec_sa([0.1, 0.2], [0.5, 0.6, 0.7], 0.08)


@settings(max_examples=200, deadline=None)
@given(
    a_pt=st.floats(0.0, 0.98),
    width=st.floats(1e-4, 1.0),
    ka=st.one_of(st.just(0.0), st.floats(1e-12, 1.0)),
    w=st.one_of(st.just(0.0), st.floats(1e-12, 1.0)),
    stc=st.booleans(),
)
def test_sec_sa_properties(a_pt: float, width: float, ka: float, w: float, stc: bool) -> None:
    d_pt = min(a_pt + width, 1.0)
    r = sec_sa(a_pt, d_pt, ka, w, stc=stc)
    floor = 0.10 if (stc and d_pt >= 1.0) else 0.15
    assert math.isfinite(r.risk_weight)
    assert floor <= r.risk_weight <= 12.5
    assert 0.0 <= r.kssfa <= 1.0
    assert r.ka == pytest.approx((1.0 - w) * ka + 0.5 * w, rel=1e-12, abs=1e-15)
    expected = floor if r.ka == 0.0 else _hand_ssfa_rw(a_pt, d_pt, r.ka, r.p, floor)
    assert r.risk_weight == pytest.approx(expected, rel=1e-9, abs=1e-12)


# ---------------------------------------------------------------------------------------
# Validation and re-exports
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: sec_sa(0.3, 0.3, 0.08), r"detachment: must exceed attachment \(0.3\)"),
        (lambda: sec_sa([0.1, 0.4], [0.2, 0.3], 0.08), r"detachment\[1\]: must exceed"),
        (lambda: sec_sa(-0.1, 0.3, 0.08), r"attachment: must be in \[0, 1\)"),
        (lambda: sec_sa(0.1, 1.2, 0.08), r"detachment: must be in \(0, 1\]"),
        (lambda: sec_sa(0.1, 0.2, 1.5), r"ksa: must be in \[0, 1\]"),
        (lambda: sec_sa(0.1, 0.2, 0.08, w=-0.1), r"w: must be in \[0, 1\]"),
        (lambda: sec_sa(0.1, 0.2, 0.08, stc=1), r"stc: must be True/False"),
        (lambda: sec_sa(0.1, 0.2, True), "ksa: must be a number, not a boolean"),
        (lambda: sec_sa(0.1, 0.2, float("nan")), "ksa: must not be NaN"),
        (lambda: sec_sa(0.1, 0.2, 0.08, exposure=-1.0), "exposure: must be finite and >= 0"),
        (lambda: sec_irba(0.1, 0.2, -0.01, 0.4, 10, 2.0), r"kirb: must be in \[0, 1\]"),
        (lambda: sec_irba(0.1, 0.2, 0.05, 1.4, 10, 2.0), r"lgd_pool: must be in \[0, 1\]"),
        (lambda: sec_irba(0.1, 0.2, 0.05, 0.4, 0.5, 2.0), "n_effective: must be >= 1"),
        (lambda: sec_irba(0.1, 0.2, 0.05, 0.4, 10, -2.0), "maturity_years: must be finite"),
        (lambda: sec_erba("AAA+", 2.0, senior=True), "rating: unknown long-term rating"),
        (lambda: sec_erba(["AAA", "ZZ"], 2.0, senior=True), r"rating\[1\]: unknown"),
        (lambda: sec_erba("A-1", 2, senior=True), "rating: unknown long-term rating"),
        (lambda: sec_erba("AAA", senior=True, short_term=True), "unknown short-term rating"),
        (lambda: sec_erba(19, 2, senior=True), "credit quality step must be 1 to 18"),
        (lambda: sec_erba(1.5, 2, senior=True), "must be rating strings or credit quality"),
        (lambda: sec_erba("BB", 2.0, senior=False), "thickness: required for non-senior"),
        (lambda: sec_erba("BB", 2, senior=False, thickness=0.0), r"thickness: must be in \(0, 1\]"),
        (lambda: sec_erba("BB", senior=True), "maturity_years: required for long-term ratings"),
        (lambda: ssfa(0.1, 0.2, 0.08, 0.0), "p: must be finite and > 0"),
        (lambda: ssfa(0.1, 0.2, 0.08, 1.0, floor=13.0), r"floor: must be in \[0, 12.5\]"),
    ],
)
def test_validation_errors_name_the_field(call: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        call()


def test_reexported_from_capital() -> None:
    for name in (
        "sec_sa",
        "sec_irba",
        "sec_irba_p",
        "sec_erba",
        "ssfa",
        "tranche_maturity",
        "SsfaResult",
        "ErbaResult",
        "SEC_IRBA_P_PARAMETERS",
        "ERBA_LONG_TERM_RISK_WEIGHTS",
        "ERBA_LONG_TERM_RISK_WEIGHTS_STC",
        "ERBA_SHORT_TERM_RISK_WEIGHTS",
        "ERBA_SHORT_TERM_RISK_WEIGHTS_STC",
        "SECURITISATION_RISK_WEIGHT_CAP",
        "SECURITISATION_RISK_WEIGHT_FLOOR",
        "SECURITISATION_RISK_WEIGHT_FLOOR_STC_SENIOR",
    ):
        assert name in capital.__all__
        assert hasattr(capital, name)
