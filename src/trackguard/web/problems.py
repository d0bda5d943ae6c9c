"""Every error leaves the web layer here, as `application/problem+json` (RFC 9457).

The `TrackguardError` hierarchy, HTTP errors (unknown paths, wrong methods),
request validation errors and anything unexpected all become a problem object
with type, title, status and detail. Nothing else answers with an error, so no
response ever carries a stack trace, and a detail never echoes request input
(it may be personal data). Server-side failures get a generic detail: their
messages can name files and settings that are none of a visitor's business.
The OpenAPI document says so too (`document_problems`): every operation's
errors are documented as problem+json, FastAPI's own 422 shape replaced (and
the HEAD twins of GET routes left out, so operation ids stay unique).
"""

from __future__ import annotations

import logging
import re
import warnings
from collections import Counter
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trackguard.errors import (
    AuditChainBroken,
    ConfigurationError,
    Forbidden,
    KeyDestroyed,
    NotFound,
    PolicyError,
    TrackguardError,
    VaultError,
)

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger(__name__)

# Most specific first; the first class in an error's MRO that is listed decides.
STATUS_BY_ERROR: dict[type[TrackguardError], int] = {
    NotFound: 404,
    Forbidden: 403,
    KeyDestroyed: 410,  # crypto-shredded on purpose: gone for good, not a fault
    ConfigurationError: 500,
    PolicyError: 500,
    VaultError: 500,
    AuditChainBroken: 500,
    TrackguardError: 400,
}
SERVER_FAULT_DETAIL = "The server could not complete the request."


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def problem(
    status: int,
    detail: str | None = None,
    *,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> ProblemResponse:
    """A problem response. The type stays `about:blank`, so the title is the status
    phrase (RFC 9457 §4.2.1); `code` names the trackguard error for clients to switch on."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail or HTTPStatus(status).description,
    }
    if code:
        body["code"] = code
    body.update(extensions)
    return ProblemResponse(body, status_code=status, headers=dict(headers or {}))


def status_for(error: TrackguardError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def error_code(error: Exception) -> str:
    """`KeyDestroyed` -> `key-destroyed`: stable, and free of any message text."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", type(error).__name__).lower()


async def _trackguard_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, TrackguardError)
    status = status_for(exc)
    if status >= 500:
        log.error("%s on %s %s", type(exc).__name__, request.method, request.url.path, exc_info=exc)
        return problem(status, SERVER_FAULT_DETAIL, code=error_code(exc))
    # TrackguardError messages name records and fields, never values (errors.py).
    return problem(status, str(exc), code=error_code(exc))


async def _http_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, HTTPException)
    detail: str | None = exc.detail if isinstance(exc.detail, str) else None
    if detail == HTTPStatus(exc.status_code).phrase:
        detail = None  # Starlette's default detail only repeats the title
    return problem(exc.status_code, detail, headers=exc.headers)


async def _validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    # Where and why only: pydantic's "input" and "ctx" can echo what was sent.
    errors = [
        {"loc": [str(part) for part in error.get("loc", ())], "msg": str(error.get("msg", ""))}
        for error in exc.errors()
    ]
    return problem(422, "The request is not valid.", errors=errors)


class UnhandledErrors:
    """Turns an unexpected exception into a generic 500 problem (and logs it).

    Installed inside the security-headers middleware, so the 500 carries the same
    headers as every other response; Starlette's own last-resort handler sits
    outside all middleware and would not.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise  # half a response is out; only the server can end it now
            await problem(500, SERVER_FAULT_DETAIL)(scope, receive, send)


# -- the OpenAPI document ------------------------------------------------------------------

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An error (RFC 9457). `code` names a trackguard error; `errors` lists "
    "where and why a request is not valid. No stack trace, no request input.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg"],
                "properties": {
                    "loc": {"type": "array", "items": {"type": "string"}},
                    "msg": {"type": "string"},
                },
            },
        },
    },
}
PROBLEM_CONTENT = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
# Status (or range) -> description; explicit responses an operation declares stay as they are.
PROBLEM_RESPONSES = {
    "422": "The request is not valid: `errors` says where and why.",
    "4XX": "The request was refused (see `detail`).",
    "5XX": "The server could not complete the request.",
}
# FastAPI's own 422 body, which no response here has.
FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
OPERATION_KEYS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def with_problem_responses(document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI `document` with every operation's errors documented as problems."""
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in OPERATION_KEYS:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in PROBLEM_RESPONSES.items():
                documented = {"description": description, "content": PROBLEM_CONTENT}
                if status == "422":
                    # FastAPI documents its own 422 body wherever input can be invalid;
                    # `_validation_error` answers those with a problem instead.
                    if status in responses:
                        responses[status] = documented
                else:
                    responses.setdefault(status, documented)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for name in FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    return document


def without_head_operations(document: dict[str, Any]) -> dict[str, Any]:
    """The document with GET only where a route answers GET and HEAD.

    HEAD is GET without the body (RFC 9110 §9.3.2), and FastAPI gives both the one
    operation id, which makes the document invalid: ids must be unique.
    """
    for path_item in document.get("paths", {}).values():
        if "get" in path_item:
            path_item.pop("head", None)
    return document


def duplicate_operation_ids(document: dict[str, Any]) -> list[str]:
    seen: Counter[str] = Counter(
        operation["operationId"]
        for path_item in document.get("paths", {}).values()
        for method, operation in path_item.items()
        if method in OPERATION_KEYS and "operationId" in operation
    )
    return sorted(name for name, count in seen.items() if count > 1)


def document_problems(app: FastAPI) -> None:
    """Make `app.openapi()` document the problem responses (built once, then cached)."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            with warnings.catch_warnings():
                # FastAPI warns of the GET+HEAD pairs, dropped just below; a real
                # duplicate is still reported after that.
                warnings.filterwarnings("ignore", "Duplicate Operation ID", UserWarning)
                document = without_head_operations(build())
            for name in duplicate_operation_ids(document):
                warnings.warn(f"Duplicate Operation ID {name}", UserWarning, stacklevel=2)
            app.openapi_schema = with_problem_responses(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_problem_handlers(app: FastAPI) -> None:
    """Map every error to problem+json, and document it; call before adding the
    security headers."""
    app.add_exception_handler(TrackguardError, _trackguard_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_middleware(UnhandledErrors)
    document_problems(app)
