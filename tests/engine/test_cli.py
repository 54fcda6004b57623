"""The computefin command: showcase, schema, catalog, holidays; shipped files are current."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from computefin.domain import demo_market, demo_portfolio
from computefin.domain.schemas import schemas_markdown
from computefin.engine.cli import app
from computefin.engine.demo import demo_frames

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_showcase_prints_catalog_fleets_contracts_and_curves() -> None:
    result = runner.invoke(app, ["showcase", "--width", "250"])
    assert result.exit_code == 0, result.output
    for fleet in demo_portfolio().fleets:
        assert fleet.id in result.output
    for text in ("nvidia-h100-sxm", "huawei-ascend-910b", "SHIBOR3M", "FR007", "SOFR"):
        assert text in result.output


def test_demo_frames_match_the_models_by_hand() -> None:
    frames = demo_frames()
    dal = demo_portfolio().fleet("fleet-dal-h100")
    # 128 servers x 8 H100 at USD 300k and 10.2 kW each, PUE 1.30.
    assert frames.fleets.loc["fleet-dal-h100", "gpus"] == 1024 == dal.gpus
    assert frames.fleets.loc["fleet-dal-h100", "capex"] == 128 * 300_000.0
    assert frames.fleets.loc["fleet-dal-h100", "it_power_kw"] == pytest.approx(128 * 10.2)
    assert frames.fleets.loc["fleet-dal-h100", "facility_power_kw"] == pytest.approx(
        128 * 10.2 * 1.30
    )
    # US-lab contract: 768 GPUs x 8760 h x USD 2.35, rated BB on the global scale.
    row = frames.contracts.loc["ctr-dal-ailab"]
    assert row["annual_contract_value"] == pytest.approx(768 * 8760 * 2.35, rel=1e-15)
    assert row["pd_1y"] == 0.0055
    assert set(frames.curves.index) == {"FR007", "SHIBOR3M", "SOFR"}
    assert list(frames.projections.index) == [f.id for f in demo_portfolio().fleets]
    assert frames.stresses.loc["base", "pv_noi_change"] == 0.0
    assert (frames.stresses["pv_noi_change"].drop("base") <= 0.0).all()
    assert frames.curves.notna().all().all()


def test_schema_command_writes_every_schema(tmp_path: Path) -> None:
    result = runner.invoke(app, ["schema", "--out", str(tmp_path), "--markdown",
                                 str(tmp_path / "model.md")])  # fmt: skip
    assert result.exit_code == 0, result.output
    written = {p.name for p in tmp_path.glob("*.schema.json")}
    assert {"Fleet.schema.json", "Contract.schema.json", "MarketSnapshot.schema.json"} <= written
    schema = json.loads((tmp_path / "Contract.schema.json").read_text())
    assert schema["properties"]["take_or_pay_share"]["maximum"] == 1.0
    assert (tmp_path / "model.md").read_text() == schemas_markdown()


def test_data_model_doc_is_current() -> None:
    shipped = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
    assert shipped == schemas_markdown(), (
        "docs/data-model.md is stale: run .venv/bin/computefin schema --markdown docs/data-model.md"
    )


def test_shipped_demo_data_is_what_the_script_writes() -> None:
    spec = importlib.util.spec_from_file_location("build_demo", ROOT / "scripts" /
                                                  "build_demo_data.py")  # fmt: skip
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (module.DATA / "demo_portfolio.json").read_text() == module.render(module.portfolio())
    assert (module.DATA / "demo_market.json").read_text() == module.render(module.market())
    assert module.portfolio() == demo_portfolio()
    assert module.market() == demo_market()


def test_catalog_command_json_lists_the_catalog() -> None:
    result = runner.invoke(app, ["catalog", "--json"])
    assert result.exit_code == 0, result.output
    ids = {row["id"] for row in json.loads(result.output)}
    assert {"nvidia-h100-sxm", "huawei-ascend-910c", "amd-mi300x"} <= ids


def test_holidays_command_lists_projected_2027_national_day() -> None:
    result = runner.invoke(app, ["holidays", "CN-IB", "2027"])
    assert result.exit_code == 0, result.output
    assert "2027-10-01" in result.output.split()
    assert "2027-10-04" in result.output.split()


def test_bad_calendar_name_is_a_clean_error() -> None:
    result = runner.invoke(app, ["holidays", "XX-NOPE", "2027"])
    assert result.exit_code != 0
    assert "XX-NOPE" in str(result.exception) or "XX-NOPE" in result.output
