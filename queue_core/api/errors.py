"""The one place where errors become the API's error shape ``{"error": {"code", "message"}}``
(``wire.ErrorBody``): domain errors by kind, validation, HTTP errors, and anything else."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from queue_core.domain.errors import (
    DomainError,
    Forbidden,
    IllegalMove,
    InvalidInput,
    NotFound,
    TooMany,
    Unauthorized,
    Unavailable,
)

log = logging.getLogger(__name__)

STATUS: dict[type[DomainError], int] = {
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    IllegalMove: 409,
    InvalidInput: 422,
    TooMany: 429,
    Unavailable: 503,
}

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
}


#: The error shape as JSON Schema, for the OpenAPI document.
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                "message": {"type": "string", "minLength": 1},
            },
        }
    },
}
#: The error answers every API router documents (its endpoints may give any of them). Always
#: JSON, also on an endpoint whose own answer is another type (an event stream, CSV).
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {"application/json": {"schema": ERROR_SCHEMA}}}
    for status, text in (
        (400, "a malformed request"),
        (401, "missing or unknown token"),
        (403, "the caller's role may not do this"),
        (404, "no such ticket, counter, announcement…"),
        (409, "the state forbids it (a stable code says which rule)"),
        (413, "the request body is over 64 KB"),
        (422, "invalid input"),
        (429, "too many requests (the message says when to try again)"),
        (503, "the database is unavailable: retry shortly"),
    )
}


def only(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Some of ``ERRORS``."""
    return {status: ERRORS[status] for status in statuses}


def error_response(
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    retry_after_s: int | None = None,
) -> JSONResponse:
    """The error shape; ``headers`` adds to the status's own (``Allow`` on a 405); with
    ``retry_after_s`` also the ``Retry-After`` header and the same number in the body, so a
    page can say how long to wait."""
    own = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if status == 503:
        own = {"Retry-After": "2"}
    error: dict[str, object] = {"code": code, "message": message}
    if retry_after_s is not None:
        own = {"Retry-After": str(retry_after_s)}
        error["retry_after_s"] = retry_after_s
    return JSONResponse(
        {"error": error}, status_code=status, headers={**own, **(headers or {})} or None
    )


def status_of(exc: DomainError) -> int:
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{loc or 'body'}: {message}")
    return "; ".join(parts) or "invalid request"


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def allowed_methods(request: Request) -> str | None:
    """Every method the API takes at the request's path, for a 405's ``Allow`` (RFC 9110 lists
    them all; Starlette names only the first route's, and FastAPI makes a route per method)."""
    table: list[tuple[re.Pattern[str], set[str]]] | None = getattr(
        request.app.state, "allowed_methods", None
    )
    if table is None:
        table = [
            (re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path))), set(operations))
            for path, operations in request.app.openapi().get("paths", {}).items()
        ]
        request.app.state.allowed_methods = table
    path = request.url.path
    methods = {m.upper() for pattern, ms in table if pattern.fullmatch(path) for m in ms} & _METHODS
    return ", ".join(sorted(methods)) if methods else None


def install(app: FastAPI) -> None:
    """Register the handlers: domain errors, validation, HTTP errors, and anything else."""

    @app.exception_handler(DomainError)
    async def domain(_: Request, exc: DomainError) -> JSONResponse:
        retry = exc.retry_after_s if isinstance(exc, TooMany) else None
        return error_response(status_of(exc), exc.code, exc.message, retry_after_s=retry)

    @app.exception_handler(RequestValidationError)
    async def validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "validation_error", _describe(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
        return error_response(exc.status_code, code, message, headers)

    @app.exception_handler(Exception)
    async def anything(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return error_response(500, "internal_error", "the engine met an unexpected error")
