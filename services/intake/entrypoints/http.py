"""Intake's HTTP API: POST /v1/submissions and GET /v1/submissions/{id}."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from services.intake import metrics
from services.intake.adapters.dry_runs import ValidatorUnavailable
from services.intake.adapters.status import StatusReader
from services.intake.service import IntakeService, Refused
from shared.consuming import is_transient
from shared.identity import caller_of, require_reach
from shared.logging import get_logger
from shared.schemas import DryRunResult, Problem, Reason, Receipt, Submission, SubmissionStatus

log = get_logger(__name__)

_SUBMISSION_SCHEMA = Submission.model_json_schema(ref_template="#/components/schemas/{model}")
RETRY_AFTER_SECONDS = 1


class Unavailable(Exception):
    """PostgreSQL or NATS could not be reached: the same request may simply be sent again."""


def routes(
    service_of: Callable[[], IntakeService],
    status_of: Callable[[], StatusReader],
) -> APIRouter:
    router = APIRouter()

    @router.post(
        "/v1/submissions",
        status_code=202,
        response_model=Receipt | DryRunResult,
        responses={
            200: {
                "model": DryRunResult,
                "description": "With dry_run=true: the validator's verdict; nothing stored",
            },
            400: {"model": Problem},
            401: {"model": Problem},
            403: {"model": Problem},
            409: {"model": Problem},
            413: {"model": Problem},
            415: {"model": Problem},
            503: {"model": Problem},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _SUBMISSION_SCHEMA}},
            }
        },
        summary="Submit a report; 202 with the receipt once JetStream has stored it",
        description="With `dry_run=true` the report is judged synchronously, exactly as the"
        " validator would judge it if it arrived now, and nothing is stored or published: 200"
        " with the verdict (DHIS2's dryRun).",
    )
    async def submit(request: Request, dry_run: bool = False) -> Receipt | JSONResponse:
        caller = caller_of(request)
        # Media types are case-insensitive (RFC 9110): Application/JSON is JSON.
        content_type = (
            request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
        )
        if content_type != "application/json":
            raise Refused(415, "unsupported_media_type", "send the report as application/json")
        # Already bounded by INTAKE_MAX_BODY_BYTES, before the token was even checked
        # (shared/identity/asgi.py).
        body = await request.body()
        if dry_run:
            with _outage_is_unavailable():
                verdict = await service_of().dry_run(body, caller)
            result = DryRunResult(
                submission_id=verdict.submission_id,
                status=verdict.status,
                reasons=verdict.reasons,
                warnings=verdict.warnings,
                timeliness=verdict.timeliness,
            )
            return JSONResponse(result.model_dump(mode="json"), status_code=200)
        # A retry is safe: the stream drops a re-sent id and the first receipt is kept.
        with _outage_is_unavailable():
            receipt, submission = await service_of().submit(body, caller)
        # The receipt names the signature it acknowledges: the unit can keep both together.
        return Receipt(
            submission_id=receipt.submission_id,
            received_at=receipt.received_at,
            signed_at=submission.signed_at if submission.signature else None,
            key_id=submission.signature.key_id if submission.signature else None,
        )

    @router.get(
        "/v1/submissions/{submission_id}",
        response_model=SubmissionStatus,
        responses={
            401: {"model": Problem},
            403: {"model": Problem},
            404: {"model": Problem},
            503: {"model": Problem},
        },
        summary="Where a submission stands: received, accepted, rejected or superseded (the"
        " unit, its province or Central)",
    )
    async def status(submission_id: str, request: Request) -> SubmissionStatus:
        caller = caller_of(request)
        with _outage_is_unavailable():
            found = await status_of().status(submission_id)
        if found is None:
            raise Refused(404, "unknown_submission", f"no submission {submission_id!r}")
        unit = service_of().registry.get(found.unit)
        if unit is None:
            raise Refused(404, "unknown_submission", f"no submission {submission_id!r}")
        require_reach(caller, unit)
        return found

    return router


@contextlib.contextmanager
def _outage_is_unavailable() -> Iterator[None]:
    """Turn PostgreSQL or NATS being down or restarting into a 503, not an unexplained 500."""
    try:
        yield
    except ValidatorUnavailable as error:
        raise Unavailable(str(error)) from error
    except Exception as error:
        if not is_transient(error):
            raise
        raise Unavailable(repr(error)) from error


def add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Refused)
    async def refused(_: Request, error: Refused) -> JSONResponse:
        metrics.refusals.labels(error.reason).inc()
        details: list[dict[str, Any]] = [d.model_dump(exclude_none=True) for d in error.details]
        problem = Problem(reason=error.reason, message=error.message, details=details)
        return JSONResponse(problem.model_dump(), status_code=error.status)

    @app.exception_handler(Unavailable)
    async def unavailable(request: Request, error: Unavailable) -> JSONResponse:
        log.warning(
            "dependency unavailable; answered 503",
            method=request.method,
            path=request.url.path,
            error=str(error),
        )
        problem = Problem(
            reason="service_unavailable",
            message="the service cannot reach its database or message stream; retry shortly",
            details=[
                Reason(
                    code="service_unavailable",
                    message="Hệ thống tạm thời chưa sẵn sàng; vui lòng gửi lại sau giây lát",
                    message_en="The system is briefly unavailable; please send again shortly",
                ).model_dump(exclude_none=True)
            ],
        )
        return JSONResponse(
            problem.model_dump(),
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        metrics.refusals.labels("invalid_request").inc()
        problem = Problem(
            reason="invalid_request",
            message="the request is not valid",
            details=[{"loc": list(e["loc"]), "msg": e["msg"]} for e in error.errors()],
        )
        return JSONResponse(problem.model_dump(), status_code=400)
