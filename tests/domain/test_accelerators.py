"""The accelerator catalog: shipped data, validation, merging and the active catalog."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import pickle
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from computefin.domain.accelerators import (
    Accelerator,
    AcceleratorCatalog,
    Market,
    active_catalog,
    catalog,
    load_catalog,
    use_catalog,
)
from computefin.errors import ValidationError

HEADER = (
    "id,vendor,model,launch_date,memory_gb,tdp_w,dense_bf16_tflops,"
    "list_price,list_price_currency,successor,market,source"
)
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _row(**changes: Any) -> dict[str, Any]:
    """A valid accelerator as plain data, with some fields changed."""
    base: dict[str, Any] = {
        "id": "acme-x1",
        "vendor": "Acme",
        "model": "X1",
        "launch_date": "2024-05-01",
        "memory_gb": 96.0,
        "tdp_w": 600.0,
        "dense_bf16_tflops": 500.0,
        "list_price": 9000.0,
        "list_price_currency": "USD",
        "successor": None,
        "market": "global",
        "source": "illustrative test row",
    }
    base.update(changes)
    return base


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=HEADER.split(","))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return path


# --- the shipped data --------------------------------------------------------------------


def test_shipped_catalog_is_large_enough_and_covers_the_named_models() -> None:
    cat = catalog()
    assert len(cat) >= 18
    models = {a.vendor + " " + a.model for a in cat}
    for needle in [
        "A100 40GB",
        "A100 80GB",
        "H100 SXM",
        "H100 PCIe",
        "H200",
        "B200",
        "GB200",
        "A800",
        "H800",
        "H20",
        "L40S",
        "MI250X",
        "MI300X",
        "MI325X",
        "Ascend 910B",
        "Ascend 910C",
    ]:
        assert any(needle in m for m in models), needle


def test_every_row_has_a_source_and_a_consistent_market_and_currency() -> None:
    for a in catalog():
        assert a.source.strip(), a.id
        assert a.list_price_currency.value in {"USD", "CNY"}, a.id
        if a.vendor == "Huawei":
            assert a.market is Market.CHINA
    china = {a.id for a in catalog() if a.market is Market.CHINA}
    assert {"nvidia-a800-sxm", "nvidia-h800-sxm", "nvidia-h20", "huawei-ascend-910b"} <= china
    assert "nvidia-h100-sxm" not in china


def test_approximate_figures_say_so_in_their_source() -> None:
    for a in catalog():
        assert "approx" in a.source, a.id  # every list price is a street price estimate


@pytest.mark.parametrize(
    ("accelerator_id", "memory_gb", "tdp_w", "dense_bf16_tflops"),
    [
        # NVIDIA datasheets: A100 (SXM) 40/80 GB at 400 W and 312 TFLOPS dense BF16;
        # H100 SXM 80 GB, 700 W, 989.4 TFLOPS dense; H200 141 GB, 700 W; B200 1000 W.
        ("nvidia-a100-40gb-sxm", 40, 400, 312),
        ("nvidia-a100-80gb-sxm", 80, 400, 312),
        ("nvidia-h100-sxm", 80, 700, 989.4),
        ("nvidia-h200-sxm", 141, 700, 989.4),
        ("nvidia-b200", None, 1000, None),
        # China export parts: H800 keeps H100 compute; H20 96 GB, 400 W, 148 TFLOPS.
        ("nvidia-h800-sxm", 80, 700, 989.4),
        ("nvidia-h20", 96, 400, 148),
        ("nvidia-l40s", 48, 350, None),
        # AMD datasheets: MI300X 192 GB, 750 W, 1307.4 TFLOPS; MI325X 256 GB.
        ("amd-mi300x", 192, 750, 1307.4),
        ("amd-mi325x", 256, None, 1307.4),
    ],
)
def test_datasheet_spot_checks(
    accelerator_id: str,
    memory_gb: float | None,
    tdp_w: float | None,
    dense_bf16_tflops: float | None,
) -> None:
    a = catalog()[accelerator_id]
    if memory_gb is not None:
        assert a.memory_gb == pytest.approx(memory_gb)
    if tdp_w is not None:
        assert a.tdp_w == pytest.approx(tdp_w)
    if dense_bf16_tflops is not None:
        assert a.dense_bf16_tflops == pytest.approx(dense_bf16_tflops)


def test_launch_dates_of_known_announcements() -> None:
    cat = catalog()
    assert cat["nvidia-a100-40gb-sxm"].launch_date == dt.date(2020, 5, 14)
    assert cat["nvidia-h100-sxm"].launch_date == dt.date(2022, 3, 22)
    assert cat["nvidia-b200"].launch_date == dt.date(2024, 3, 18)
    assert cat["amd-mi300x"].launch_date == dt.date(2023, 12, 6)


@pytest.mark.parametrize("accelerator_id", catalog().ids)
def test_json_round_trip_is_unchanged(accelerator_id: str) -> None:
    a = catalog()[accelerator_id]
    assert Accelerator.model_validate_json(a.model_dump_json()) == a


def test_successor_chains_follow_product_lines() -> None:
    cat = catalog()
    assert cat.successor_chain("nvidia-a100-40gb-sxm") == [
        "nvidia-a100-80gb-sxm",
        "nvidia-h100-sxm",
        "nvidia-h200-sxm",
        "nvidia-b200",
        "nvidia-b300",
    ]
    assert cat.successor_chain("nvidia-a800-sxm") == ["nvidia-h800-sxm", "nvidia-h20"]
    assert cat.successor_chain("amd-mi250x") == ["amd-mi300x", "amd-mi325x", "amd-mi355x"]
    assert cat.successor_chain("huawei-ascend-910b") == ["huawei-ascend-910c"]
    assert cat.successor_chain("nvidia-gb200") == ["nvidia-gb300"]


def test_every_successor_exists_and_launched_later() -> None:
    cat = catalog()
    for a in cat:
        chain = cat.successor_chain(a.id)
        dates = [a.launch_date] + [cat[s].launch_date for s in chain]
        assert dates == sorted(dates), a.id
        assert len(set(dates)) == len(dates), a.id
        assert a.id not in chain


def test_package_file_loads_like_a_bank_file() -> None:
    path = Path(__file__).parents[2] / "computefin" / "domain" / "data" / "accelerators.csv"
    assert AcceleratorCatalog.from_csv(path) == catalog()


# --- mapping behaviour -------------------------------------------------------------------


def test_mapping_like_access() -> None:
    cat = catalog()
    h100 = cat["nvidia-h100-sxm"]
    assert "nvidia-h100-sxm" in cat
    assert h100 in cat
    assert "nvidia-h999" not in cat
    assert 42 not in cat
    assert len(cat) == len(cat.ids) == len(list(cat))
    assert all(isinstance(a, Accelerator) for a in cat)
    assert [a.id for a in cat] == list(cat.ids)
    assert cat.get("nvidia-h100-sxm") is h100
    assert cat.get("nope") is None
    assert cat.get("nope", h100) is h100


def test_unknown_id_names_close_known_ids() -> None:
    with pytest.raises(ValidationError) as info:
        catalog()["nvidia-h100"]
    err = info.value
    assert err.fields == ("accelerator_id",)
    assert "nvidia-h100-sxm" in str(err)
    assert "nvidia-h100-pcie" in str(err)
    with pytest.raises(ValidationError, match="mi300x"):
        catalog()["amd-mi300"]
    with pytest.raises(ValidationError, match="accelerator_id"):
        catalog()[None]  # type: ignore[index]


def test_catalog_is_immutable_and_picklable() -> None:
    cat = catalog()
    with pytest.raises(AttributeError):
        cat._by_id = {}
    with pytest.raises(TypeError):
        cat._by_id["x"] = cat["nvidia-h20"]  # type: ignore[index]
    assert pickle.loads(pickle.dumps(cat)) == cat
    assert hash(pickle.loads(pickle.dumps(cat))) == hash(cat)


def test_frame_round_trip() -> None:
    frame = catalog().to_frame()
    assert frame.index.name == "id"
    assert list(frame.columns) == [f for f in Accelerator.model_fields if f != "id"]
    assert frame.loc["nvidia-h100-sxm", "tdp_w"] == 700
    assert frame.loc["huawei-ascend-910b", "list_price_currency"] == "CNY"
    assert AcceleratorCatalog.from_frame(frame) == catalog()
    # a frame read back from CSV (strings, NaN for empty successors, parsed dates)
    flat = pd.read_csv(io.StringIO(frame.to_csv()), parse_dates=["launch_date"])
    assert AcceleratorCatalog.from_frame(flat) == catalog()


def test_from_frame_names_row_and_field() -> None:
    frame = catalog().to_frame().reset_index()
    frame.loc[3, "tdp_w"] = -5.0
    with pytest.raises(ValidationError) as info:
        AcceleratorCatalog.from_frame(frame, origin="bank frame")
    assert info.value.fields == ("bank frame row 3: Accelerator.tdp_w",)


# --- CSV errors ----------------------------------------------------------------------------


def test_bad_csv_row_names_file_line_and_field(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "bank.csv",
        [_row(id="acme-x1"), _row(id="acme-x2", memory_gb=-80), _row(id="acme-x3")],
    )
    with pytest.raises(ValidationError) as info:
        AcceleratorCatalog.from_csv(path)
    message = str(info.value)
    assert str(path) in message
    assert "line 3" in message
    assert "memory_gb" in message
    assert info.value.fields == (f"{path} line 3: Accelerator.memory_gb",)


def test_every_bad_row_is_reported(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "bank.csv",
        [_row(id="Acme X1"), _row(id="acme-x2", market="mars", launch_date="soon")],
    )
    with pytest.raises(ValidationError) as info:
        AcceleratorCatalog.from_csv(path)
    fields = info.value.fields
    assert f"{path} line 2: Accelerator.id" in fields
    assert f"{path} line 3: Accelerator.market" in fields
    assert f"{path} line 3: Accelerator.launch_date" in fields


def test_missing_required_cell_and_bad_header(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", [_row(source="")])
    with pytest.raises(ValidationError, match=r"line 2: Accelerator\.source: Field required"):
        AcceleratorCatalog.from_csv(path)

    path = tmp_path / "b.csv"
    path.write_text("id,vendor,colour\nacme-x1,Acme,green\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        AcceleratorCatalog.from_csv(path)
    text = str(info.value)
    assert "line 1" in text
    assert "unknown columns: 'colour'" in text
    assert "missing columns" in text

    path = tmp_path / "c.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ValidationError, match="empty file"):
        AcceleratorCatalog.from_csv(path)

    path = tmp_path / "d.csv"
    path.write_text(HEADER + "\nacme-x1,Acme,X1,2024-05-01,96,600,500,9000,USD,,global,s,extra\n")
    with pytest.raises(ValidationError, match="line 2: row has 1 more values"):
        AcceleratorCatalog.from_csv(path)

    path = tmp_path / "e.csv"
    path.write_bytes(HEADER.encode() + b"\n\xff\xfe,broken\n")
    with pytest.raises(ValidationError, match="not UTF-8"):
        AcceleratorCatalog.from_csv(path)


def test_duplicate_ids_in_one_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "dup.csv", [_row(), _row(list_price=1.0)])
    with pytest.raises(ValidationError) as info:
        AcceleratorCatalog.from_csv(path)
    assert info.value.fields == (f"{path} line 3: Accelerator.id",)
    assert "first at" in str(info.value)
    assert "line 2" in str(info.value)


def test_successor_must_exist_and_launch_later(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.csv", [_row(successor="acme-x9")])
    with pytest.raises(ValidationError, match=r"line 2: Accelerator\.successor: .*not in"):
        AcceleratorCatalog.from_csv(path)

    older = _row(id="acme-x0", launch_date="2025-01-01", successor="acme-x1")
    path = _write(tmp_path / "t.csv", [older, _row()])
    with pytest.raises(ValidationError, match="must launch after acme-x0"):
        AcceleratorCatalog.from_csv(path)

    a = Accelerator.model_validate(_row(successor="acme-x2"))
    b = Accelerator.model_validate(_row(id="acme-x2", launch_date="2024-05-01"))
    with pytest.raises(ValidationError) as info:
        AcceleratorCatalog([a, b])
    assert info.value.fields == ("AcceleratorCatalog['acme-x1'].successor",)


# --- merging and bank files -------------------------------------------------------------------


def test_merged_overrides_and_adds_without_touching_the_base() -> None:
    base = catalog()
    cheaper = base["nvidia-h100-sxm"].model_copy(update={"list_price": 21000.0})
    new = Accelerator.model_validate(_row(successor="nvidia-b300"))
    merged = base.merged([cheaper, new])
    assert merged["nvidia-h100-sxm"].list_price == 21000.0
    assert base["nvidia-h100-sxm"].list_price == 30000.0
    assert merged["acme-x1"] == new
    assert len(merged) == len(base) + 1
    assert merged.ids[: len(base)] == base.ids  # order kept, additions at the end
    plain = new.model_copy(update={"successor": None})
    assert base.merged(AcceleratorCatalog([plain]))["acme-x1"] == plain
    assert merged.merged([base["nvidia-h100-sxm"]])["nvidia-h100-sxm"] == base["nvidia-h100-sxm"]


def test_merged_revalidates_successor_links() -> None:
    base = catalog()
    a100 = base["nvidia-a100-80gb-sxm"]
    late = a100.model_copy(update={"launch_date": dt.date(2030, 1, 1)})
    with pytest.raises(ValidationError) as info:
        base.merged([late])  # now launched after its own successor, the H100
    assert info.value.fields == ("AcceleratorCatalog['nvidia-a100-80gb-sxm'].successor",)
    early = a100.model_copy(update={"launch_date": dt.date(2019, 1, 1)})
    with pytest.raises(ValidationError) as info:
        base.merged([early])  # now launched before its predecessor, the A100 40GB
    assert info.value.fields == ("AcceleratorCatalog['nvidia-a100-40gb-sxm'].successor",)
    assert base.merged([a100]) == base  # replacing a row by itself changes nothing


def test_load_catalog_lays_a_bank_file_on_top(tmp_path: Path) -> None:
    h20 = catalog()["nvidia-h20"].model_dump(mode="json")
    h20.update(list_price=95000, list_price_currency="CNY", source="bank procurement 2026")
    path = _write(tmp_path / "bank.csv", [h20, _row(successor="nvidia-b300")])
    mine = load_catalog(path)
    assert mine["nvidia-h20"].list_price == 95000
    assert mine["nvidia-h20"].list_price_currency.value == "CNY"
    assert mine["acme-x1"].successor == "nvidia-b300"
    assert mine["nvidia-h100-sxm"] == catalog()["nvidia-h100-sxm"]
    assert len(mine) == len(catalog()) + 1

    small = AcceleratorCatalog([catalog()["nvidia-b300"]])
    assert set(load_catalog(path, base=small).ids) == {"nvidia-b300", "nvidia-h20", "acme-x1"}


def test_load_catalog_errors_name_the_bank_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "bank.csv", [_row(successor="nvidia-h100-sxm")])  # launched earlier
    with pytest.raises(ValidationError) as info:
        load_catalog(path)
    assert info.value.fields == (f"{path} line 2: Accelerator.successor",)
    with pytest.raises(ValidationError, match="base"):
        load_catalog(path, base=[])  # type: ignore[arg-type]


# --- the active catalog -------------------------------------------------------------------


def test_active_catalog_defaults_to_the_shipped_one() -> None:
    assert active_catalog() is catalog()
    assert catalog() is catalog()


def test_use_catalog_scopes_and_restores() -> None:
    mine = AcceleratorCatalog([Accelerator.model_validate(_row())])
    other = AcceleratorCatalog()
    with use_catalog(mine) as active:
        assert active is mine
        assert active_catalog() is mine
        with use_catalog(other):
            assert active_catalog() is other
        assert active_catalog() is mine
    assert active_catalog() is catalog()


def test_use_catalog_restores_on_exception() -> None:
    mine = AcceleratorCatalog([Accelerator.model_validate(_row())])
    seen: list[AcceleratorCatalog] = []

    def failing_job() -> None:
        with use_catalog(mine):
            seen.append(active_catalog())
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        failing_job()
    assert seen == [mine]
    assert active_catalog() is catalog()
    with pytest.raises(ValidationError, match="catalog"), use_catalog([]):  # type: ignore[arg-type]
        pass
    assert active_catalog() is catalog()


# --- rejection of bad inputs -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"memory_gb": -80}, "memory_gb"),
        ({"memory_gb": 0}, "memory_gb"),
        ({"memory_gb": 80_000}, "memory_gb"),  # MB typed as GB
        ({"tdp_w": 0.7}, "tdp_w"),  # kW typed as W
        ({"dense_bf16_tflops": 2.25}, "dense_bf16_tflops"),  # PFLOPS typed as TFLOPS
        ({"list_price": 0}, "list_price"),
        ({"list_price": float("nan")}, "list_price"),
        ({"list_price_currency": "XXX"}, "list_price_currency"),
        ({"id": "NVIDIA H100"}, "id"),
        ({"successor": "acme-x1"}, "successor"),
        ({"market": "europe"}, "market"),
        ({"source": ""}, "source"),
        ({"colour": "green"}, "colour"),
    ],
)
def test_bad_values_name_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        Accelerator.model_validate(_row(**changes))
    assert info.value.fields == (f"Accelerator.{field}",)


bad_numbers = st.one_of(
    st.floats(max_value=0.0),
    st.floats(min_value=4096.0, exclude_min=True),
    st.sampled_from([float("nan"), float("inf"), float("-inf")]),
    st.text(alphabet="abcxyz!?% ", min_size=1),
    st.none(),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=150, deadline=None)
@given(value=bad_numbers)
def test_property_bad_memory_is_a_validation_error(value: object) -> None:
    with pytest.raises(ValidationError):
        Accelerator.model_validate(_row(memory_gb=value))


@settings(max_examples=150, deadline=None)
@given(value=st.text(max_size=80))
def test_property_non_slug_id_is_a_validation_error(value: str) -> None:
    stripped = value.strip()
    if SLUG.fullmatch(stripped) and 2 <= len(stripped) <= 64:
        assert Accelerator.model_validate(_row(id=value)).id == stripped
    else:
        with pytest.raises(ValidationError):
            Accelerator.model_validate(_row(id=value))


@settings(max_examples=100, deadline=None)
@given(value=st.from_regex(r"\A[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,3}\Z").filter(lambda s: len(s) > 1))
def test_property_successor_equal_to_id_is_rejected(value: str) -> None:
    with pytest.raises(ValidationError, match="successor"):
        Accelerator.model_validate(_row(id=value, successor=value))


@settings(max_examples=150, deadline=None)
@given(
    column=st.sampled_from(HEADER.split(",")),
    value=st.text(max_size=30),
)
def test_property_any_csv_cell_either_loads_or_is_a_validation_error(
    tmp_path_factory: pytest.TempPathFactory, column: str, value: str
) -> None:
    path = _write(tmp_path_factory.mktemp("fuzz") / "bank.csv", [_row(**{column: value})])
    fields: tuple[str, ...] = ()
    try:
        cat = AcceleratorCatalog.from_csv(path)
    except ValidationError as exc:
        fields = exc.fields
    else:
        assert len(cat) == 1
    assert all(f.startswith(f"{path} line ") for f in fields)


@settings(max_examples=100, deadline=None)
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            name: st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=10))
            for name in HEADER.split(",")
        },
    )
)
def test_property_arbitrary_rows_never_crash(data: dict[str, Any]) -> None:
    with contextlib.suppress(ValidationError):
        AcceleratorCatalog([Accelerator.model_validate(data)])
