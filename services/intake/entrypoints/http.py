"""Intake's HTTP API: POST /v1/submissions and GET /v1/submissions/{id}.

Thin: each route takes the caller from shared.identity, reads the body, calls the use case
(services/intake/usecases/submissions.py) and shapes the answer; refusals are rendered by
shared/problems.py for every service.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from services.intake import metrics
from services.intake.domain.refusals import Unavailable
from services.intake.usecases.submissions import IntakeService
from shared.identity import caller_of
from shared.logging import get_logger
from shared.problems import MEDIA_TYPE, problem
from shared.schemas import DryRunResult, Problem, Receipt, Submission, SubmissionStatus

log = get_logger(__name__)

_SUBMISSION_SCHEMA = Submission.model_json_schema(ref_template="#/components/schemas/{model}")


def routes(service_of: Callable[[], IntakeService]) -> APIRouter:
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
        if not _is_json(request):
            return _unsupported_media_type(request)
        # Already bounded by INTAKE_MAX_BODY_BYTES, before the token was even checked
        # (shared/identity/asgi.py).
        body = await request.body()
        with _outage_logged(request):
            if dry_run:
                verdict = await service_of().dry_run(body, caller)
                result = DryRunResult(
                    submission_id=verdict.submission_id,
                    status=verdict.status,
                    reasons=verdict.reasons,
                    warnings=verdict.warnings,
                    timeliness=verdict.timeliness,
                )
                return JSONResponse(result.model_dump(mode="json"), status_code=200)
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
        with _outage_logged(request):
            return await service_of().status(submission_id, caller_of(request))

    return router


def _is_json(request: Request) -> bool:
    # Media types are case-insensitive (RFC 9110): Application/JSON is JSON.
    content_type = request.headers.get("content-type", "application/json")
    return content_type.split(";")[0].strip().lower() == "application/json"


def _unsupported_media_type(request: Request) -> JSONResponse:
    """415 is about HTTP's content negotiation, not a refusal the use case makes, and
    shared.refusals has no kind for it: answered here, in the same problem body."""
    metrics.count_refusal("unsupported_media_type")
    body = problem(
        415,
        "unsupported_media_type",
        "send the report as application/json",
        instance=request.url.path,
    )
    return JSONResponse(body, status_code=415, media_type=MEDIA_TYPE)


@contextlib.contextmanager
def _outage_logged(request: Request) -> Iterator[None]:
    """An outage answer is a warning in the log, with the request it failed."""
    try:
        yield
    except Unavailable as outage:
        log.warning(
            "dependency unavailable; answered 503",
            method=request.method,
            path=request.url.path,
            error=outage.cause,
        )
        raise
