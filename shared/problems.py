"""One error body for every service: RFC 9457 problem details.

Every refusal, whichever service and layer raised it, reaches the caller as
``application/problem+json`` with the RFC's members (``type``, ``title``, ``status``,
``detail``, ``instance``) and Baocao's extensions: ``reason`` (stable, machine-readable),
``message`` (the same text as ``detail``, kept for clients written before RFC 9457) and
``details`` (per-field reasons, in Vietnamese and English where a person reads them).

This module is the only place that maps a :class:`~shared.refusals.Kind` to an HTTP status.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from shared.refusals import Kind, Refusal
from shared.schemas import Problem

MEDIA_TYPE: Final = "application/problem+json"
TYPE_PREFIX: Final = "urn:baocao:problem:"

STATUS: Final[dict[Kind, int]] = {
    Kind.INVALID: 400,
    Kind.UNAUTHENTICATED: 401,
    Kind.FORBIDDEN: 403,
    Kind.NOT_FOUND: 404,
    Kind.CONFLICT: 409,
    Kind.TOO_LARGE: 413,
    Kind.UNAVAILABLE: 503,
}

TITLES: Final[dict[int, str]] = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    503: "Service unavailable",
}

# Starlette's own refusals (an unknown path, a wrong method) get a reason like every other.
_HTTP_REASONS: Final[dict[int, str]] = {404: "not_found", 405: "method_not_allowed"}


def problem(
    status: int,
    reason: str,
    message: str,
    *,
    details: Sequence[dict[str, Any]] = (),
    instance: str | None = None,
) -> dict[str, Any]:
    """The problem-details body for a refusal with ``reason``, answered with ``status``."""
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + reason,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": message,
        "reason": reason,
        "message": message,
        "details": list(details),
    }
    if instance is not None:
        body["instance"] = instance
    return body


def response_for(refusal: Refusal, instance: str | None = None) -> JSONResponse:
    status = STATUS[refusal.kind]
    headers = {"Retry-After": str(refusal.retry_after)} if refusal.retry_after else None
    body = problem(
        status, refusal.reason, refusal.message, details=refusal.details, instance=instance
    )
    return JSONResponse(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


def add_problem_handlers(app: FastAPI, on_refusal: Callable[[str], None] | None = None) -> None:
    """Answer every refusal, identity error, invalid request and unknown path as a problem.

    ``on_refusal(reason)`` is called for each refusal, e.g. to count it in a service's metrics.
    """

    def refused(reason: str) -> None:
        if on_refusal is not None:
            on_refusal(reason)

    @app.exception_handler(Refusal)
    async def refusal(request: Request, error: Refusal) -> JSONResponse:
        refused(error.reason)
        return response_for(error, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        refused("invalid_request")
        details = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in error.errors()]
        body = problem(
            400,
            "invalid_request",
            "the request is not valid",
            details=details,
            instance=request.url.path,
        )
        return JSONResponse(body, status_code=400, media_type=MEDIA_TYPE)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        reason = _HTTP_REASONS.get(error.status_code, f"http_{error.status_code}")
        body = problem(error.status_code, reason, str(error.detail), instance=request.url.path)
        return JSONResponse(
            body, status_code=error.status_code, headers=error.headers, media_type=MEDIA_TYPE
        )


def document_problems(app: FastAPI) -> None:
    """Make the OpenAPI document say what the service sends: every route answers a problem body
    as ``application/problem+json``, 400 for an invalid request (never FastAPI's 422), 401 and
    403 from the authentication in front of every route, 404 where the path names something,
    and a bearer JWT as its security."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {})
        definitions = components.setdefault("schemas", {})
        definitions["Problem"] = Problem.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        definitions.pop("HTTPValidationError", None)
        definitions.pop("ValidationError", None)
        components["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        }
        schema["security"] = [{"bearer": []}]
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                if "{" in path:  # a path that names something may name nothing there
                    responses.setdefault("404", {"description": TITLES[404]})
                _problem_responses(responses)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _problem_responses(responses: dict[str, Any]) -> None:
    responses.pop("422", None)
    for code in (400, 401, 403):
        responses.setdefault(str(code), {"description": TITLES[code]})
    for status, response in responses.items():
        if status.isdigit() and int(status) >= 400:
            response["content"] = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
