"""The audit over HTTP: a unit's full submission history, newest first.

Thin: the route takes the caller from shared.identity, calls usecases/history.py and shapes
the answer; refusals are rendered by shared/problems.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.validator.entrypoints.models import HistoryItem, SubmissionHistory, ValueChange
from services.validator.usecases.history import Audit, Entry
from shared.identity import caller_of
from shared.schemas import Problem

MAX_LIMIT = 500

PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem} for code in (400, 401, 403, 404)
}


def routes(audit_of: Callable[[], Audit]) -> APIRouter:
    router = APIRouter(tags=["audit"])

    @router.get(
        "/v1/units/{unit}/submissions",
        response_model=SubmissionHistory,
        responses=PROBLEMS,
        summary="A unit's submissions: who sent each, when, its verdict, what it changed and"
        " which accepted submission superseded which (the unit, its province or Central)",
    )
    async def history(
        unit: str,
        request: Request,
        report_type: str | None = None,
        period: str | None = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
        cursor: Annotated[str | None, Query(max_length=512)] = None,
    ) -> SubmissionHistory:
        page = await audit_of().page(
            caller_of(request),
            unit,
            report_type=report_type,
            period=period,
            limit=limit,
            cursor=cursor,
        )
        return SubmissionHistory(
            unit=unit, submissions=[_item(e) for e in page.entries], next_cursor=page.next_cursor
        )

    return router


def _item(entry: Entry) -> HistoryItem:
    verdict, link = entry.verdict, entry.links
    return HistoryItem(
        submission_id=verdict.submission_id,
        report_type=verdict.report_type,
        period=verdict.period,
        received_at=verdict.received_at,
        stream_seq=verdict.stream_seq,
        sender=verdict.sender,
        status="superseded" if entry.superseded else verdict.status,
        reasons=verdict.reasons,
        warnings=verdict.warnings,
        timeliness=verdict.timeliness,
        values=verdict.values,
        changes=None
        if link is None or link.changes is None
        else {
            code: ValueChange(before=c.before, after=c.after) for code, c in link.changes.items()
        },
        supersedes=link.supersedes if link else None,
        superseded_by=link.superseded_by if link else None,
        signed_at=verdict.signed_at,
        signature=verdict.signature,
        keyed_by=verdict.keyed_by,
        counted_from=verdict.counted_from,
    )
