"""Contract paid/idle shares: hand cases, and the closed-form expectation vs simulation."""

from __future__ import annotations

import numpy as np
import pytest

from computefin.risk.projection._contracts import expected_shares, path_shares

MONTH = 1.0 / 12.0
A = np.arange(0.0, 3.0, MONTH)
B = A + MONTH


def test_hand_case_default_mid_period() -> None:
    # Contract [0, 1) year, default at 0.30 y, gap 0.25 y, quarterly periods.
    a = np.array([0.0, 0.25, 0.5, 0.75])
    b = a + 0.25
    paid, idle = path_shares(0.0, 1.0, np.array([0.30]), 0.25, a, b)
    # Paid: full first quarter, then 0.05 of 0.25 = 0.2 of the second, then nothing.
    np.testing.assert_allclose(paid[0], [1.0, 0.2, 0.0, 0.0], rtol=0, atol=1e-15)
    # Idle from 0.30 to 0.55: 0.20 of Q2 (0.8 share), 0.05 of Q3 (0.2 share).
    np.testing.assert_allclose(idle[0], [0.0, 0.8, 0.2, 0.0], rtol=0, atol=1e-15)


def test_default_before_the_contract_starts_leaves_nothing_idle() -> None:
    paid, idle = path_shares(1.0, 2.0, np.array([0.5]), 0.5, A, B)
    assert paid.sum() == 0.0
    assert idle.sum() == 0.0


def test_no_default_pays_exactly_the_contract_term() -> None:
    paid, idle = path_shares(0.5, 1.5, np.array([np.inf]), 0.25, A, B)
    assert paid.sum() * MONTH == pytest.approx(1.0, abs=1e-12)
    assert idle.sum() == 0.0
    exp_paid, exp_idle = expected_shares(0.5, 1.5, 0.0, 0.25, A, B)
    np.testing.assert_allclose(exp_paid, paid[0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(exp_idle, 0.0, rtol=0, atol=1e-15)


@pytest.mark.parametrize(
    ("hazard", "gap", "start", "end"),
    [(0.3, 0.25, 0.4, 2.7), (0.05, 0.5, 0.0, 1.3), (1.5, 0.1, -0.5, 5.0), (0.8, 1.0, -2.0, 0.7)],
)
def test_expected_shares_match_the_mean_of_simulated_defaults(
    hazard: float, gap: float, start: float, end: float
) -> None:
    n = 200_000
    tau = np.random.default_rng(20261127).exponential(1.0 / hazard, n)
    paid, idle = path_shares(start, end, tau, gap, A, B)
    exp_paid, exp_idle = expected_shares(start, end, hazard, gap, A, B)
    # Each share is in [0, 1], so its standard error is at most 0.5 / sqrt(n); 5 SE.
    for simulated, expected in ((paid, exp_paid), (idle, exp_idle)):
        se = np.maximum(simulated.std(axis=0) / np.sqrt(n), 1e-12)
        assert (np.abs(simulated.mean(axis=0) - expected) <= 5 * se + 1e-12).all()
