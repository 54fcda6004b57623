"""The shipped fund example runs end to end and writes its chart (not in the repo)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_compute_fund_example_prints_every_output(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "compute_fund.py"), "--paths", "200",
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for heading in ("Fund terms", "Holdings, expected case", "NAV, expected case",
                    "NAV and risk over 200 paths", "risk_level", "distribution_yield",
                    "Liquidity: 10% of units redeemed", "Liquidity: 60% of units redeemed",
                    "Concentration by fleet", "Concentration by generation",
                    "Concentration by counterparty"):  # fmt: skip
        assert heading in done.stdout
    assert (tmp_path / "fund-nav-risk.png").read_bytes()[:4] == b"\x89PNG"
