"""A unit's submission history for the audit: the use case behind /v1/units/{unit}/submissions.

Pages of the unit's verdicts, newest first, each accepted one linked to the accepted
submission it superseded and the one that superseded it (domain/history.py decides the links).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.validator.domain.history import Cursor, Links, links
from services.validator.usecases.ports import HistoryPages
from shared.identity import Caller, require_reach
from shared.refusals import Invalid, NotFound
from shared.registry import Registry
from shared.schemas import Verdict


@dataclass(frozen=True)
class Entry:
    verdict: Verdict
    links: Links | None  # None: not an accepted submission

    @property
    def superseded(self) -> bool:
        return self.links is not None and self.links.superseded_by is not None


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    next_cursor: str | None  # None: the last page


class Audit:
    def __init__(self, store: HistoryPages, registry: Registry) -> None:
        self.store = store
        self.registry = registry

    async def page(
        self,
        caller: Caller,
        unit: str,
        *,
        report_type: str | None = None,
        period: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page:
        """Up to ``limit`` submissions of ``unit`` (within the caller's reach) below ``cursor``."""
        subject = self.registry.get(unit)
        if subject is None:
            raise NotFound("unknown_unit", f"no unit has code {unit[:16]!r}")
        require_reach(caller, subject)
        try:
            after = Cursor.decode(cursor) if cursor else None
        except ValueError as error:
            raise Invalid("invalid_cursor", str(error)) from error
        # One more than asked: whether it is there says whether a next page is.
        verdicts = await self.store.page(
            unit, report_type=report_type, period=period, after=after, limit=limit + 1
        )
        more, verdicts = len(verdicts) > limit, verdicts[:limit]
        chains = links(
            await self.store.accepted(
                unit, {(v.report_type, v.period) for v in verdicts if v.status == "accepted"}
            )
        )
        last = verdicts[-1] if verdicts else None
        return Page(
            [Entry(v, chains.get(v.submission_id)) for v in verdicts],
            Cursor(last.received_at, last.stream_seq, last.submission_id).encode()
            if more and last
            else None,
        )
