"""The engine's commands: help everywhere, one-line errors, load/value/report end to end,
the demo and its shipped book."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from engine_helpers import sqlite_url
from typer.main import get_command
from typer.testing import CliRunner

from computefin.engine.cli import app
from computefin.engine.demo_book import DEMO_BOOK_FILE, DEMO_LOANS_FILE, demo_data_path
from computefin.engine.demo_run import run_batch_demo
from computefin.engine.report import report_frames
from computefin.engine.results import results, runs
from computefin.engine.store import open_store

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
PNG = b"\x89PNG\r\n\x1a\n"


def _commands() -> list[list[str]]:
    root = get_command(app)
    out: list[list[str]] = []
    for name, cmd in root.commands.items():  # type: ignore[attr-defined]
        out.append([name])
        for sub in getattr(cmd, "commands", {}):
            out.append([name, sub])
    return out


def test_every_command_has_complete_help() -> None:
    top = runner.invoke(app, ["--help"])
    assert top.exit_code == 0
    for path in _commands():
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, path
        assert "Usage:" in result.output
        body = result.output.split("Options")[0]
        assert len(body.split("\n")) > 3, f"{path} has no description"
    for name in ("demo", "db", "load", "export", "value", "report", "runs"):
        assert name in top.output


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "computefin", *args], capture_output=True, text=True, check=False
    )


def test_errors_are_one_line_and_a_nonzero_exit(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    cases = [
        (["value", "--as-of", "2026-11-27", "--db", url], "no computefin schema"),
        (["load", str(tmp_path / "missing.csv"), "--db", url], "no computefin schema"),
    ]
    for args, expected in cases:
        done = _cli(*args)
        assert done.returncode == 2, done
        assert done.stderr.strip().count("\n") == 0, done.stderr
        assert expected in done.stderr
        assert "Traceback" not in done.stderr
    assert _cli("db", "upgrade", "--db", url).returncode == 0
    bad = tmp_path / "loans.csv"
    frame = pd.read_csv(demo_data_path(DEMO_LOANS_FILE), dtype=str, keep_default_na=False)
    frame.loc[0, "principal"] = "-5"
    frame.head(2).to_csv(bad, index=False)
    for args, expected in [
        (["value", "--as-of", "2026-13-01", "--db", url], "--as-of: must be a date"),
        (["value", "--db", url], "--as-of: is required"),
        (["report", "run-x", "--db", url], "no valuation run 'run-x'"),
        (["load", str(bad), "--db", url], "principal: Input should be greater than 0 (line 2)"),
        (["value", "--as-of", "2026-11-27", "--db", url], "no market snapshot as of"),
    ]:
        done = _cli(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.strip().count("\n") == 0, done.stderr
        assert expected in done.stderr, done.stderr
    debug = _cli("--debug", "report", "run-x", "--db", url)
    assert debug.returncode == 2
    assert "Traceback" in debug.stderr


def test_load_value_report_from_the_command_line(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    assert runner.invoke(app, ["db", "upgrade", "--db", url]).exit_code == 0
    loans = tmp_path / "loans.csv"
    pd.read_csv(demo_data_path(DEMO_LOANS_FILE), dtype=str, keep_default_na=False).head(6).to_csv(
        loans, index=False
    )
    market = tmp_path / "market.json"
    from computefin.domain import demo_market

    market.write_text(demo_market().model_dump_json())
    loaded = runner.invoke(
        app, ["load", str(demo_data_path(DEMO_BOOK_FILE)), str(loans), str(market), "--db", url]
    )
    assert loaded.exit_code == 0, loaded.output
    assert "6 loans record(s) loaded" in loaded.output
    valued = runner.invoke(
        app,
        ["value", "--as-of", "2026-11-27", "--db", url, "--scenarios", "5", "--stress",
         "rates-plus-200bp", "--chunk-size", "4", "--no-progress"],
    )  # fmt: skip
    assert valued.exit_code == 0, valued.output
    run_id = str(runs(url)["id"].iloc[0])
    assert f"run {run_id} completed: 12 valued now" in valued.output
    out = tmp_path / "reports"
    reported = runner.invoke(app, ["report", run_id, "--db", url, "--out", str(out)])
    assert reported.exit_code == 0, reported.output
    book = openpyxl.load_workbook(out / run_id / f"{run_id}.xlsx", read_only=True)
    assert book.sheetnames == ["summary", "parameters", "stress", "loan"]
    for name in ("pv_by_product_generation", "ltv_distribution", "el_rwa_by_rating",
                 "stress_results"):  # fmt: skip
        assert (out / run_id / f"{name}.png").read_bytes()[:8] == PNG
    exported = tmp_path / "back.csv"
    assert runner.invoke(app, ["export", "loans", str(exported), "--db", url]).exit_code == 0
    assert len(pd.read_csv(exported)) == 6


def test_report_totals_are_the_results_converted_at_the_snapshot_fx(tmp_path: Path) -> None:
    demo = run_batch_demo(tmp_path, n_scenarios=None, loans=8, stresses=("rates-plus-200bp",))
    store = open_store(sqlite_url(tmp_path, "computefin.db"))
    frames = report_frames(store, demo.run_id, "USD")
    frame = results(demo.run_id, db=store)
    from computefin.domain import demo_market

    usd = frame["currency"].map(lambda c: demo_market().fx(c, "USD"))
    summary = frames.summary.set_index(["case", "instrument_type"])
    assert set(summary.index.get_level_values(1)) == {"loan", "abs_tranche", "certificate"}
    for (case, kind), row in summary.iterrows():
        mine = (frame["case"] == case) & (frame["instrument_type"] == kind)
        expected = float((frame.loc[mine, "pv"] * usd[mine]).sum())
        assert row["pv_usd"] == pytest.approx(expected, rel=1e-12)
        assert row["instruments"] == {"loan": 8, "abs_tranche": 4, "certificate": 4}[kind]
    stress = frames.stress.set_index("case")
    assert stress.loc["base", "pv_usd_change"] == 0.0
    assert stress.loc["rates-plus-200bp", "pv_usd_change"] < 0.0
    book = openpyxl.load_workbook(demo.files.workbook, read_only=True)
    rows = list(book["parameters"].values)
    assert ("seed", 20261127) in rows
    store.close()


def test_shipped_demo_book_is_what_the_script_writes() -> None:
    spec = importlib.util.spec_from_file_location(
        "build_demo_book", ROOT / "scripts" / "build_demo_book.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    portfolio, loans = module.book()
    shipped = demo_data_path(DEMO_BOOK_FILE).read_text()
    import json

    assert json.loads(shipped) == portfolio.model_dump(mode="json")
    frame = pd.read_csv(demo_data_path(DEMO_LOANS_FILE), dtype=str, keep_default_na=False)
    assert list(frame["id"]) == [loan.id for loan in loans]
    assert len(loans) == 300
    gens = {g.accelerator_id for f in portfolio.fleets for g in f.server_groups}
    assert {"nvidia-h100-sxm", "nvidia-h200-sxm", "nvidia-h20", "huawei-ascend-910b"} <= gens
    assert {f.site.country for f in portfolio.fleets} == {"CN", "US"}
