"""The shipped RVI example runs end to end and writes its chart where it is told."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_h100_rvi_example_prints_every_output(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "h100_rvi.py"), "--paths", "400",
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for heading in ("The policy", "Value per GPU on 2028-11-27", "Quote (USD)",
                    "discounted_expected_loss", "premium", "tvar_0.99", "Guarantee ladder",
                    "Monte Carlo convergence", "6-year economic life"):  # fmt: skip
        assert heading in done.stdout
    assert (tmp_path / "insurance-rvi.png").read_bytes()[:4] == b"\x89PNG"
