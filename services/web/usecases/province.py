"""A province's page, composed from the services' answers with the person's token: its
communes' status (the aggregator's rollup and late list, told more by the validator's report
status: rejected with why, corrected), the reminders sent (the notifier's history), its
targets with the communes missing each, and its approval (the validator).

Every call names the province the page is about, so the services decide what the person may
see; calls that do not depend on each other go out together; nothing is asked per commune
except the contacts of one late unit, when the person opens them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

from services.web.domain import province as domain
from services.web.usecases.approvals import approval_of
from services.web.usecases.catalog import CatalogReader, ReportTypeInfo
from services.web.usecases.ports import ServiceApis, ServiceRefused

T = TypeVar("T")
NOTICES_READ = 200  # the province's newest notices: a quarter's digests and its own reminders


def _path(*segments: str) -> str:
    return "/" + "/".join(quote(s, safe="") for s in segments)


@dataclass(frozen=True)
class Optional:
    """An answer a page can do without (the notifier being down does not hide the figures)."""

    value: Any = None
    refused: ServiceRefused | None = None


async def optional(call: Awaitable[T]) -> Optional:
    try:
        return Optional(await call)
    except ServiceRefused as refused:
        if refused.status == 401:
            raise
        return Optional(refused=refused)


def landing_report_type(types: Sequence[ReportTypeInfo]) -> ReportTypeInfo | None:
    """The first report type a province submits or rolls up from its communes."""
    return next((t for t in types if {"province", "commune"} & set(t.levels)), None)


class ProvinceReads:
    """The aggregator's and the notifier's answers about one province and period."""

    def __init__(self, api: ServiceApis, token: str, report_type: str, period: str, unit: str):
        self.api, self.token = api, token
        self.report_type, self.period, self.unit = report_type, period, unit

    async def rollup(self) -> dict[str, Any]:
        path = _path("v1", "rollups", self.report_type, self.period, self.unit)
        found: dict[str, Any] = await self.api.get("aggregator", path, self.token)
        return found

    async def late(self) -> dict[str, Any]:
        path = _path("v1", "late", self.report_type, self.period)
        found: dict[str, Any] = await self.api.get(
            "aggregator", path, self.token, params={"province": self.unit}
        )
        return found

    async def missing_target(self, derived: str) -> dict[str, Any]:
        path = _path("v1", "targets", self.report_type, self.period, derived)
        found: dict[str, Any] = await self.api.get(
            "aggregator", path, self.token, params={"province": self.unit}
        )
        return found

    async def notices(self, unit: str | None = None, limit: int = NOTICES_READ) -> Optional:
        """Notices to or about the province (its digests name its late communes)."""
        params = {"unit": unit or self.unit, "limit": str(limit)}
        return await optional(self.api.get("notifier", "/v1/notifications", self.token, params))

    async def contacts(self, unit: str) -> Optional:
        return await optional(self.api.get("notifier", _path("v1", "contacts", unit), self.token))

    async def report_status(self) -> Optional:
        """Each unit's standing by the validator's verdicts (rejected with why, corrected):
        one call for the province and all its communes."""
        path = _path("v1", "report-status", self.report_type, self.period, self.unit)
        return await optional(self.api.get("validator", path, self.token))

    async def approval(self) -> dict[str, Any]:
        return await approval_of(self.api, self.token, self.report_type, self.period, self.unit)


def _records(notices: Optional) -> list[dict[str, Any]]:
    value = notices.value or {}
    records: list[dict[str, Any]] = value.get("notifications", [])
    return [r for r in records if isinstance(r.get("notice"), dict)]


@dataclass(frozen=True)
class Communes:
    unit: str
    name: str
    completeness: dict[str, Any]
    on_time_rate: float | None
    rows: list[domain.UnitStatus]
    shown: list[domain.UnitStatus]
    counts: dict[str, int]
    wanted: tuple[str, ...]
    notices_refused: ServiceRefused | None = None
    verdicts_refused: ServiceRefused | None = None


def communes_view(
    rollup: dict[str, Any],
    late: dict[str, Any],
    sources: tuple[Optional, Optional],
    wanted: Collection[str],
) -> Communes:
    """``sources``: the validator's report status and the notifier's history; without the
    first, the notifier still tells the province's own rejections."""
    verdicts, notices = sources
    standings = {
        **domain.rejections_in(_records(notices)),
        **domain.standings_in(verdicts.value),
    }
    chosen = domain.wanted_statuses(wanted)
    rows = domain.unit_statuses(rollup, late.get("units", []), standings)
    return Communes(
        unit=rollup["unit"],
        name=rollup.get("name", rollup["unit"]),
        completeness=rollup.get("completeness", {}),
        on_time_rate=domain.on_time_rate(rollup.get("completeness", {})),
        rows=rows,
        shown=domain.filtered(rows, chosen),
        counts=domain.counts(rows),
        wanted=chosen,
        notices_refused=notices.refused,
        verdicts_refused=verdicts.refused,
    )


@dataclass(frozen=True)
class LateList:
    units: list[dict[str, Any]]
    reminders: dict[str, list[domain.Reminder]]
    notices_refused: ServiceRefused | None = None


def late_view(late: dict[str, Any], notices: Optional) -> LateList:
    return LateList(
        units=list(late.get("units", [])),
        reminders=domain.reminders_by_unit(_records(notices)),
        notices_refused=notices.refused,
    )


@dataclass(frozen=True)
class Targets:
    rows: list[domain.TargetRow] = field(default_factory=list)


async def derived_of(catalog: CatalogReader, report_type: str, token: str) -> list[Any]:
    """The catalog's derived indicators of ``report_type`` (read once, then kept); none for
    a report type the catalog does not know, which the aggregator then refuses."""
    try:
        schema = await catalog.schema(report_type, token)
    except ServiceRefused as refused:
        if refused.status != 404:
            raise
        return []
    derived: list[Any] = schema.get("x-baocao-derived", [])
    return derived


async def communes(reads: ProvinceReads, wanted: Collection[str]) -> Communes:
    rollup, late, verdicts, notices = await asyncio.gather(
        reads.rollup(), reads.late(), reads.report_status(), reads.notices()
    )
    return communes_view(rollup, late, (verdicts, notices), wanted)


async def late_list(reads: ProvinceReads) -> LateList:
    late, notices = await asyncio.gather(reads.late(), reads.notices())
    return late_view(late, notices)


async def targets(reads: ProvinceReads, catalog: CatalogReader) -> Targets:
    derived = await derived_of(catalog, reads.report_type, reads.token)
    codes = [d["code"] for d in domain.targeted(derived)]
    rollup, *lists = await asyncio.gather(
        reads.rollup(), *(reads.missing_target(code) for code in codes)
    )
    return Targets(domain.target_rows(derived, rollup, dict(zip(codes, lists, strict=True))))


@dataclass(frozen=True)
class ProvincePage:
    communes: Communes
    late: LateList
    targets: Targets
    approval: dict[str, Any]


async def page(
    reads: ProvinceReads, catalog: CatalogReader, wanted: Collection[str]
) -> ProvincePage:
    """Everything the page shows, in one round of concurrent calls (the catalog's derived
    indicators are read once and kept)."""
    derived = await derived_of(catalog, reads.report_type, reads.token)
    codes = [d["code"] for d in domain.targeted(derived)]
    rollup, late, verdicts, notices, approval, *lists = await asyncio.gather(
        reads.rollup(),
        reads.late(),
        reads.report_status(),
        reads.notices(),
        reads.approval(),
        *(reads.missing_target(code) for code in codes),
    )
    return ProvincePage(
        communes=communes_view(rollup, late, (verdicts, notices), wanted),
        late=late_view(late, notices),
        targets=Targets(domain.target_rows(derived, rollup, dict(zip(codes, lists, strict=True)))),
        approval=approval,
    )


@dataclass(frozen=True)
class UnitContacts:
    """One late unit's contacts and the notices it has had, read when the person opens them."""

    unit: str
    contacts: Optional
    reminders: list[domain.Reminder]
    notices_refused: ServiceRefused | None


async def unit_contacts(reads: ProvinceReads, unit: str) -> UnitContacts:
    contacts, notices = await asyncio.gather(reads.contacts(unit), reads.notices(unit, 20))
    forbidden = _forbidden(contacts)
    if forbidden is not None and _forbidden(notices) is not None:
        # The unit is out of the person's reach altogether: refused as a whole, as a page is.
        raise forbidden
    every_kind = ("reminder", "escalation", "rejection")
    reminders = domain.reminders_by_unit(_records(notices), every_kind).get(unit, [])
    return UnitContacts(unit, contacts, reminders, notices.refused)


def _forbidden(answer: Optional) -> ServiceRefused | None:
    refused = answer.refused
    return refused if refused is not None and refused.status == 403 else None
