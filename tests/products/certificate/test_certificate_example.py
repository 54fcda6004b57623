"""The shipped H20 certificate example runs end to end and writes its chart (not in the repo)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_h20_certificate_example_prints_every_output(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "h20_certificate.py"), "--paths", "200",
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for heading in ("Certificate terms", "Payoff schedule, expected case",
                    "Certificate valuation over 200 paths", "loss_probability", "irr_p50",
                    "delta_utilization_1pt", "dv01", "A book of three certificates"):  # fmt: skip
        assert heading in done.stdout
    assert (tmp_path / "certificate-nx-h20.png").read_bytes()[:4] == b"\x89PNG"
