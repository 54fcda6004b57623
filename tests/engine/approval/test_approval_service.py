"""The three faces of ``decide`` (Python, CLI, HTTP) and the HTTP service's bad-input paths.

Every bad request gets a 4xx JSON error body naming the field; the fuzz tests send
schema-driven (schemathesis, positive and negative) and mutated (hypothesis) requests
and find no 5xx.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings, strategies as st
from schemathesis import GenerationMode
from typer.testing import CliRunner

from computefin.domain import demo_market
from computefin.engine.approval import CreditApplication, decide, default_policy
from computefin.engine.approval.examples import example_application_data
from computefin.engine.approval.schema import application_json_schema_text
from computefin.engine.approval.service import create_app
from computefin.engine.cli import app as cli_app

TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SMALL_LIMIT = 200_000
APP = create_app(token=TOKEN, max_body_bytes=SMALL_LIMIT)
CLIENT = TestClient(APP, raise_server_exceptions=False)
ROOT = Path(__file__).resolve().parents[3]


def post(body: bytes | str, headers: dict[str, str] | None = None) -> Any:
    content = body.encode() if isinstance(body, str) else body
    return CLIENT.post(
        "/v1/decisions", content=content, headers=AUTH if headers is None else headers
    )


def assert_error(response: Any, status: int, field: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["status"] == status
    assert "Traceback" not in response.text
    fields = [p["field"] for p in error["problems"]]
    assert any(field in f for f in fields), (field, fields)
    return dict(error)


# --- the same decision from Python, the CLI and HTTP --------------------------------------


def test_python_cli_and_http_agree(tmp_path: Path) -> None:
    data = example_application_data()
    python = decide(CreditApplication.model_validate(data), demo_market(), default_policy())
    expected = python.model_dump(mode="json")
    file = tmp_path / "application.json"
    file.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(cli_app, ["approve", str(file)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == expected
    response = post(json.dumps(data))
    assert response.status_code == 200, response.text
    assert response.json() == expected


def test_cli_takes_a_policy_file(tmp_path: Path) -> None:
    file = tmp_path / "application.json"
    file.write_text(json.dumps(example_application_data()), encoding="utf-8")
    policy = tmp_path / "tight.yaml"
    policy.write_text(
        "name: tight\nversion: t-1\nrules:\n  max_stressed_ltv: {limit: 0.3, on_breach: decline}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli_app, ["approve", str(file), "--policy", str(policy)])
    assert result.exit_code == 0, result.output
    decision = json.loads(result.output)
    assert (decision["outcome"], decision["policy_version"]) == ("decline", "t-1")


def test_published_schema_is_current() -> None:
    published = ROOT / "docs" / "approval-application.schema.json"
    assert published.read_text(encoding="utf-8") == application_json_schema_text(), (
        "regenerate: python -c 'from computefin.engine.approval.schema import "
        'application_json_schema_text as t; print(t(), end="")\' > '
        "docs/approval-application.schema.json"
    )


# --- authentication, size, malformed input --------------------------------------------------


def test_missing_token_is_401_and_wrong_token_403() -> None:
    body = json.dumps(example_application_data())
    assert_error(post(body, headers={}), 401, "Authorization")
    assert_error(post(body, headers={"Authorization": "Bearer nope"}), 403, "Authorization")
    assert_error(post(body, headers={"Authorization": TOKEN}), 403, "Authorization")
    assert CLIENT.get("/v1/policy").status_code == 401
    assert CLIENT.get("/v1/policy", headers=AUTH).json()["version"] == "2026.11-1"


def test_oversized_body_is_413() -> None:
    big = b'{"id": "' + b"x" * (SMALL_LIMIT + 10) + b'"}'
    assert_error(post(big), 413, "body")

    def chunks() -> Any:  # no Content-Length: counted while streaming
        for _ in range(30):
            yield b" " * 10_000

    response = CLIENT.post("/v1/decisions", content=chunks(), headers=AUTH)
    assert_error(response, 413, "body")


def test_malformed_json_is_400_naming_the_body() -> None:
    error = assert_error(post('{"id": "a",'), 400, "body")
    assert "line 1" in error["problems"][0]["reason"]
    assert_error(post(b"\xff\xfe"), 400, "body")
    assert_error(post(""), 400, "body")
    assert_error(post("[1, 2]"), 422, "CreditApplication")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.pop("requested_amount"), "CreditApplication.requested_amount"),
        (lambda d: d.update(requested_amount=-5), "CreditApplication.requested_amount"),
        (lambda d: d.update(currency="XYZ"), "CreditApplication.currency"),
        (lambda d: d.update(currency="EUR"), "CreditApplication.currency"),
        (lambda d: d.update(index="LPR1Y"), "CreditApplication.index"),
        (lambda d: d.update(requested_margin=350), "CreditApplication.requested_margin"),
        (lambda d: d["financial_statements"].update(currency="CNY"),
         "CreditApplication.financial_statements.currency"),
        (lambda d: d["fleets"][0]["server_groups"][0].update(accelerator_id="nvidia-h900"),
         "CreditApplication.fleets[0].server_groups[0].accelerator_id"),
        (lambda d: d["contracts"][0].update(counterparty_id="ghost"),
         "contracts[0].counterparty_id"),
        (lambda d: d["contracts"][0].update(gpus_committed=500), "gpus_committed"),
        (lambda d: d.update(borrower_counterparty_id="ghost"),
         "CreditApplication.borrower_counterparty_id"),
        (lambda d: d.update(start="2026-11-01"), "CreditApplication.start"),
        (lambda d: d.update(tenor_months=400), "CreditApplication.tenor_months"),
        (lambda d: d.update(colour="blue"), "CreditApplication.colour"),
        (lambda d: d["fleets"][0]["server_groups"][0].update(acquired="9999-12-31"),
         "CreditApplication.fleets[0].server_groups[0].acquired"),
        (lambda d: d["contracts"][0].update(end="9999-12-31"),
         "CreditApplication.contracts[0].end"),
    ],
)  # fmt: skip
def test_bad_fields_are_422_naming_the_field(change: Any, field: str) -> None:
    data = example_application_data()
    change(data)
    assert_error(post(json.dumps(data)), 422, field)


def test_unpriced_accelerator_is_a_422_market_error() -> None:
    data = example_application_data()
    group = data["fleets"][0]["server_groups"][0]
    group.update(accelerator_id="nvidia-b200", power_kw=14.3)
    response = post(json.dumps(data))
    assert response.status_code == 422
    assert response.json()["error"]["type"] == "market_data_error"
    assert "nvidia-b200" in response.json()["error"]["message"]


def test_no_contracts_still_decides() -> None:
    data = example_application_data() | {"contracts": []}
    response = post(json.dumps(data))
    assert response.status_code == 200, response.text
    rules = {r["rule"]: r for r in response.json()["rules"]}
    assert rules["max_single_lessee_share"]["status"] == "not_applicable"
    assert rules["min_contracted_coverage"]["status"] == "fail"


def test_unknown_route_and_method_are_json() -> None:
    assert CLIENT.get("/nope").json()["error"]["status"] == 404
    assert CLIENT.get("/v1/decisions", headers=AUTH).json()["error"]["status"] == 405


def test_service_refuses_to_start_without_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMPUTEFIN_API_TOKEN", raising=False)
    with pytest.raises(ValueError, match="COMPUTEFIN_API_TOKEN"):
        create_app()


# --- fuzzing ----------------------------------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=3),
    max_leaves=6,
)  # fmt: skip


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += _paths(value, (*prefix, i))
    return out


_BASE = example_application_data()
_PATHS = _paths(_BASE)


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(_BASE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_PATHS))
        parent: Any = data
        try:
            for key in path[:-1]:
                parent = parent[key]
            if draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = draw(_JSON)
        except (KeyError, IndexError, TypeError):
            continue
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated())
def test_mutated_applications_never_5xx(data: dict[str, Any]) -> None:
    response = post(json.dumps(data))
    assert response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/json")
    if response.status_code != 200:
        assert response.json()["error"]["message"]


def _schema(max_examples: int) -> Any:
    schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=max_examples
    )
    return schema.include(path="/v1/decisions")


FUZZ = _schema(200)
FUZZ_LONG = _schema(3000)


def _check(case: Any) -> None:
    response = case.call(headers=AUTH)
    assert response.status_code < 500, response.text
    kind = response.headers.get("content-type", [""])
    assert (kind[0] if isinstance(kind, list) else kind).startswith("application/json")


@FUZZ.parametrize()
def test_openapi_fuzz_finds_no_5xx(case: Any) -> None:
    _check(case)


@pytest.mark.slow
@FUZZ_LONG.parametrize()
def test_openapi_fuzz_thousands_find_no_5xx(case: Any) -> None:
    _check(case)


def test_non_standard_json_numbers_are_a_400_not_a_500() -> None:
    data = example_application_data()
    data["requested_amount"] = float("inf")
    response = post(json.dumps(data))  # Python writes Infinity, which JSON does not have
    assert response.status_code == 400, response.text
    assert "Infinity is not a JSON number" in response.text


def test_a_deeply_nested_body_is_a_400_not_a_500() -> None:
    response = post("[" * 50_000 + "]" * 50_000)  # under the size limit, too deep to parse
    assert response.status_code == 400, response.text
    assert response.json()["error"]["problems"][0]["field"] == "body"


def test_a_token_read_with_its_newline_still_works() -> None:
    client = TestClient(create_app(token="s3cret-token\n"))
    response = client.get("/v1/policy", headers={"Authorization": "Bearer s3cret-token"})
    assert response.status_code == 200, response.text
