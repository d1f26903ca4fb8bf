"""The audit: a unit's full submission history, newest first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.validator.adapters.history_store import HistoryStore
from services.validator.domain.history import Cursor, links
from services.validator.entrypoints.http import Refused
from services.validator.entrypoints.models import HistoryItem, SubmissionHistory, ValueChange
from shared.identity import caller_of, require_reach
from shared.registry import Registry
from shared.schemas import Problem

MAX_LIMIT = 500


def routes(store_of: Callable[[], HistoryStore], registry_of: Callable[[], Registry]) -> APIRouter:
    router = APIRouter(tags=["audit"])
    problems: dict[int | str, dict[str, Any]] = {
        code: {"model": Problem} for code in (400, 401, 403, 404)
    }

    @router.get(
        "/v1/units/{unit}/submissions",
        response_model=SubmissionHistory,
        responses=problems,
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
        caller = caller_of(request)
        subject = registry_of().get(unit)
        if subject is None:
            raise Refused(404, "unknown_unit", f"no unit has code {unit[:16]!r}")
        require_reach(caller, subject)
        try:
            after = Cursor.decode(cursor) if cursor else None
        except ValueError as error:
            raise Refused(400, "invalid_cursor", str(error)) from error
        store = store_of()
        page = await store.page(
            unit, report_type=report_type, period=period, after=after, limit=limit + 1
        )
        more, page = len(page) > limit, page[:limit]
        chains = links(
            await store.accepted(
                unit, {(v.report_type, v.period) for v in page if v.status == "accepted"}
            )
        )
        items = []
        for verdict in page:
            link = chains.get(verdict.submission_id)
            superseded = link is not None and link.superseded_by is not None
            items.append(
                HistoryItem(
                    submission_id=verdict.submission_id,
                    report_type=verdict.report_type,
                    period=verdict.period,
                    received_at=verdict.received_at,
                    stream_seq=verdict.stream_seq,
                    sender=verdict.sender,
                    status="superseded" if superseded else verdict.status,
                    reasons=verdict.reasons,
                    warnings=verdict.warnings,
                    timeliness=verdict.timeliness,
                    values=verdict.values,
                    changes=None
                    if link is None or link.changes is None
                    else {
                        code: ValueChange(before=c.before, after=c.after)
                        for code, c in link.changes.items()
                    },
                    supersedes=link.supersedes if link else None,
                    superseded_by=link.superseded_by if link else None,
                    signed_at=verdict.signed_at,
                    signature=verdict.signature,
                )
            )
        last = page[-1] if page else None
        return SubmissionHistory(
            unit=unit,
            submissions=items,
            next_cursor=Cursor(last.received_at, last.stream_seq, last.submission_id).encode()
            if more and last
            else None,
        )

    return router
