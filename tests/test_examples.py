"""The shipped examples run end to end (a small number of paths keeps them quick)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_cny_h100_loan_example_prints_every_output(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "cny_h100_loan.py"), "--paths", "200",
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for heading in ("Loan cash flows", "Fleet projection", "Collateral coverage, expected",
                    "breach probability", "Loan valuation, expected", "fair_margin",
                    "rwa_firb"):  # fmt: skip
        assert heading in done.stdout
    assert (tmp_path / "nx-h100-noi.png").read_bytes()[:4] == b"\x89PNG"


def test_gpu_lease_abs_example_prints_every_output(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "gpu_lease_abs.py"), "--paths", "60",
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for heading in ("== Pool", "Waterfall, first six periods", "Tranches, deterministic",
                    "over 60 simulated paths", "Credit enhancement", "Breakeven CDR",
                    "Scenario grid", "SEC-ERBA"):  # fmt: skip
        assert heading in done.stdout
    assert (tmp_path / "abs-note-balances.png").read_bytes()[:4] == b"\x89PNG"
