"""The README opens with exactly two commands, and they work from a fresh clone.

The default run checks the contract cheaply: the README's first code block holds exactly
the two make targets, `.ci/run` runs the test one, and the demo runs from a fresh clone
of the committed tree (with this environment's interpreter, so nothing untracked is
needed). The `slow` case does what a new machine does: a fresh clone, then `make demo`,
which builds its own .venv and installs the package from the registry.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```(?:sh|bash)?\n(.*?)```", text, re.S)
    assert block is not None, "README.md has no code block"
    lines = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line]


def _clone(tmp_path: Path) -> Path:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    target = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(target)], check=True, timeout=120)
    return target


def test_readme_opens_with_the_two_commands() -> None:
    assert _readme_commands() == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo:", makefile, re.M)
    assert re.search(r"^test:", makefile, re.M)
    ci = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert ci[-1] == "make test"


def test_demo_runs_from_a_fresh_clone_of_the_committed_tree(tmp_path: Path) -> None:
    clone = _clone(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(clone)}
    done = subprocess.run(
        [sys.executable, "-m", "computefin", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "300 loans" in done.stdout
    assert "rental-price-halved" in done.stdout
    report = tmp_path / "computefin-demo" / "report"
    workbooks = list(report.glob("*.xlsx"))
    assert len(workbooks) == 1
    assert openpyxl.load_workbook(workbooks[0], read_only=True).sheetnames[:3] == [
        "summary",
        "parameters",
        "stress",
    ]
    assert len(list(report.glob("*.png"))) == 4


@pytest.mark.slow
def test_make_demo_on_a_fresh_clone_builds_its_own_venv(tmp_path: Path) -> None:
    clone = _clone(tmp_path)
    done = subprocess.run(
        ["make", "demo"], cwd=clone, capture_output=True, text=True, timeout=1800, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (clone / ".venv" / ".installed").exists()
    assert "300 loans" in done.stdout
    assert len(list((clone / "computefin-demo" / "report").glob("*.png"))) == 4
