"""The credit-approval HTTP service (FastAPI): ``POST /v1/decisions`` is :func:`decide`.

A bearer token read from the environment (``COMPUTEFIN_API_TOKEN``) guards every
``/v1`` route; bodies above ``max_body_bytes`` are refused with 413 before they are read
in full; every error is a JSON body ``{"error": {"status", "type", "message",
"problems": [{"field", "reason", "value"}]}}`` without a stack trace. Nothing is stored.
The OpenAPI document is at ``/openapi.json`` (the request body schema is
:class:`CreditApplication`'s).

>>> from fastapi.testclient import TestClient
>>> client = TestClient(create_app(token="s3cret-token"))
>>> client.get("/health").json()["status"]
'ok'
>>> r = client.post("/v1/decisions", content=b"{}")
>>> r.status_code, r.json()["error"]["type"]
(401, 'unauthorized')
"""

from __future__ import annotations

import hmac
import json
import math
import os
import threading
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from computefin._version import __version__
from computefin.domain import MarketSnapshot, demo_market
from computefin.engine.approval._limits import DEFAULT_MAX_BODY_BYTES, TOKEN_ENV
from computefin.engine.approval.decide import decide
from computefin.engine.approval.models import CreditApplication
from computefin.engine.approval.policy import CreditPolicy, default_policy
from computefin.engine.approval.schema import application_json_schema
from computefin.errors import ComputefinError, FieldProblem, MarketDataError, ValidationError

__all__ = ["DEFAULT_MAX_BODY_BYTES", "TOKEN_ENV", "ApiError", "create_app"]

_MIN_TOKEN_LENGTH: Final = 8


class ApiError(Exception):
    """An HTTP error with a JSON body: status, type, message and field problems.

    >>> ApiError(413, "payload_too_large", "body above 10 bytes").status
    413
    """

    def __init__(
        self, status: int, kind: str, message: str, problems: tuple[FieldProblem, ...] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message
        self.problems = problems


def _plain(value: object) -> object:
    """A JSON-safe echo of a bad value (NaN and infinities as text: JSON has neither)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _no_constants(name: str) -> object:
    """``json.loads`` hook: NaN, Infinity and -Infinity are not JSON (RFC 8259)."""
    raise ValueError(f"{name} is not a JSON number")


def _error_body(
    status: int, kind: str, message: str, problems: tuple[FieldProblem, ...] = ()
) -> JSONResponse:
    content = {
        "error": {
            "status": status,
            "type": kind,
            "message": message,
            "problems": [
                {"field": p.field, "reason": p.reason, "value": _plain(p.value)} for p in problems
            ],
        }
    }
    return JSONResponse(status_code=status, content=content)


def _check_token(request: Request, token: str) -> None:
    header = request.headers.get("authorization")
    if header is None:
        raise ApiError(
            401,
            "unauthorized",
            "missing bearer token",
            (FieldProblem("Authorization", "send 'Authorization: Bearer <token>'"),),
        )
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode("utf-8", "replace"), token.encode("utf-8")
    ):
        raise ApiError(
            403,
            "forbidden",
            "wrong bearer token",
            (FieldProblem("Authorization", "the token is not valid for this service"),),
        )


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise ApiError(
                400,
                "bad_request",
                "Content-Length is not an integer",
                (FieldProblem("Content-Length", "must be an integer", declared),),
            ) from None
        if size > limit:
            raise ApiError(
                413,
                "payload_too_large",
                f"request body of {size} bytes is above the {limit}-byte limit",
                (FieldProblem("body", f"at most {limit} bytes", size),),
            )
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise ApiError(
                413,
                "payload_too_large",
                f"request body is above the {limit}-byte limit",
                (FieldProblem("body", f"at most {limit} bytes", total),),
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_application(body: bytes) -> CreditApplication:
    if not body.strip():
        raise ApiError(
            400,
            "bad_request",
            "empty request body; send a CreditApplication as JSON",
            (FieldProblem("body", "must be a JSON object"),),
        )
    try:
        data = json.loads(body, parse_constant=_no_constants)
    except RecursionError:
        raise ApiError(
            400,
            "malformed_json",
            "the body nests too deeply to be a credit application",
            (FieldProblem("body", "JSON nested too deeply"),),
        ) from None
    except (UnicodeDecodeError, ValueError) as exc:
        where = (
            f"line {exc.lineno} column {exc.colno}"
            if isinstance(exc, json.JSONDecodeError)
            else "encoding"
            if isinstance(exc, UnicodeDecodeError)
            else "a number"
        )
        raise ApiError(
            400,
            "malformed_json",
            f"the body is not valid UTF-8 JSON ({where})",
            (FieldProblem("body", f"invalid JSON at {where}: {exc}"),),
        ) from None
    if not isinstance(data, dict):
        raise ApiError(
            422,
            "validation_error",
            "the body must be a JSON object (a CreditApplication)",
            (FieldProblem("CreditApplication", "must be a JSON object", type(data).__name__),),
        )
    return CreditApplication.model_validate(data)


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is not None:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    doc = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    schema = application_json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    schema.pop("$schema", None)
    components = doc.setdefault("components", {}).setdefault("schemas", {})
    components.update(defs)
    components["CreditApplication"] = schema
    app.openapi_schema = doc
    return doc


_ERROR_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "status": {"type": "integer"},
                "type": {"type": "string"},
                "message": {"type": "string"},
                "problems": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "field": {"type": "string"},
                            "reason": {"type": "string"},
                            "value": {},
                        },
                    },
                },
            },
        }
    },
}
_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    code: {
        "description": text,
        "content": {"application/json": {"schema": _ERROR_SCHEMA}},
    }
    for code, text in (
        (400, "Malformed JSON or headers"),
        (401, "Missing bearer token"),
        (403, "Wrong bearer token"),
        (413, "Body above the size limit"),
        (422, "Invalid application or market data missing"),
    )
}


def create_app(
    market: MarketSnapshot | None = None,
    policy: CreditPolicy | None = None,
    *,
    token: str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FastAPI:
    """The FastAPI application deciding applications against ``market`` and ``policy``.

    ``market`` defaults to the shipped demo snapshot, ``policy`` to the default policy,
    ``token`` to the ``COMPUTEFIN_API_TOKEN`` environment variable (at least 8
    characters; the service refuses to start without one). Decisions run one at a time
    per process (QuantLib's evaluation date is process-global); run several worker
    processes for throughput.

    >>> from fastapi.testclient import TestClient
    >>> client = TestClient(create_app(token="s3cret-token"))
    >>> r = client.post("/v1/decisions", content=b"[1, 2",
    ...                 headers={"Authorization": "Bearer s3cret-token"})
    >>> r.status_code, r.json()["error"]["problems"][0]["field"]
    (400, 'body')
    """
    # stripped once: a token read from a file (`$(cat token)`) ends with a newline
    secret = (token if token is not None else os.environ.get(TOKEN_ENV, "")).strip()
    if len(secret) < _MIN_TOKEN_LENGTH:
        raise ValidationError(
            TOKEN_ENV,
            f"set it to the service's bearer token (at least {_MIN_TOKEN_LENGTH} characters)",
        )
    if max_body_bytes < 1:
        raise ValidationError("max_body_bytes", "must be at least 1", max_body_bytes)
    snapshot = market if market is not None else demo_market()
    chosen = policy if policy is not None else default_policy()
    lock = threading.Lock()
    api = FastAPI(
        title="computefin credit approval",
        version=__version__,
        description="Decide compute collateral loan applications: approve, refer or decline, "
        "with the maximum amount, the risk-based margin, covenants and every rule's outcome.",
    )

    def _decide(application: CreditApplication) -> dict[str, Any]:
        with lock:
            decision = decide(application, snapshot, chosen)
        out: dict[str, Any] = decision.model_dump(mode="json")
        return out

    @api.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error_body(exc.status, exc.kind, exc.message, exc.problems)

    @api.exception_handler(ValidationError)
    async def _invalid(request: Request, exc: ValidationError) -> JSONResponse:
        return _error_body(422, "validation_error", str(exc), exc.problems)

    @api.exception_handler(MarketDataError)
    async def _market(request: Request, exc: MarketDataError) -> JSONResponse:
        return _error_body(422, "market_data_error", str(exc))

    @api.exception_handler(ComputefinError)
    async def _computefin(request: Request, exc: ComputefinError) -> JSONResponse:
        return _error_body(422, "unprocessable", str(exc))

    @api.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error_body(exc.status_code, "http_error", str(exc.detail))

    @api.exception_handler(RequestValidationError)
    async def _request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = tuple(
            FieldProblem(".".join(str(p) for p in e.get("loc", ())), str(e.get("msg", "")))
            for e in exc.errors()
        )
        return _error_body(422, "validation_error", "invalid request", problems)

    @api.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return _error_body(500, "internal_error", "internal error; the request was not decided")

    @api.get("/health", summary="Liveness, policy and market in use")
    def health() -> dict[str, str]:
        return {
            "status": "ok",
            "version": __version__,
            "policy_version": chosen.version,
            "market_as_of": snapshot.as_of.isoformat(),
        }

    @api.get("/v1/policy", summary="The credit policy in use", responses=_ERRORS)
    def get_policy(request: Request) -> dict[str, Any]:
        _check_token(request, secret)
        out: dict[str, Any] = chosen.model_dump(mode="json")
        return out

    @api.post(
        "/v1/decisions",
        summary="Decide a credit application",
        responses=_ERRORS,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/CreditApplication"}
                    }
                },
            }
        },
    )
    async def post_decision(request: Request) -> JSONResponse:
        _check_token(request, secret)
        body = await _read_body(request, max_body_bytes)
        application = _parse_application(body)
        return JSONResponse(await run_in_threadpool(_decide, application))

    api.openapi = lambda: _openapi(api)  # type: ignore[method-assign]
    return api
