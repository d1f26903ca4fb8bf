"""The national overview, composed from the Central read API with the person's own token: the
service decides whether they may see it (a province gets ``national_scope_required``).

Every call a page needs is made at once (asyncio.gather): the nation's rollup (the 34
provinces as its children), the late list, the catalog's indicator titles and the previous
periods of the trend. Nothing is asked per province.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from services.web.domain import national
from services.web.usecases.catalog import CatalogReader, ReportTypeInfo
from services.web.usecases.ports import ServiceApis, ServiceRefused
from shared.periods import InvalidPeriod, Period

TREND_PERIODS = 6
CHOICE_PERIODS = 8


@dataclass(frozen=True)
class Overview:
    """What the map fragment shows: the nation's completeness and the 34 tiles."""

    completeness: national.Completeness
    tiles: list[national.Tile]


@dataclass(frozen=True)
class NationalPage:
    overview: Overview
    targets: list[national.Target]
    lateness: national.Lateness | None  # None for a period total (no late list)
    trend: list[national.TrendRow]


def parse_period(label: str, report_type: ReportTypeInfo) -> Period | None:
    """``label`` if it is a period of this report type or a total of its periods."""
    try:
        period = Period.parse(label)
    except InvalidPeriod:
        return None
    own = Period.containing(period.cutoff_end, report_type.periodicity)
    return period if period.months >= own.months else None


def period_choices(report_type: ReportTypeInfo, current: str, shown: str) -> list[str]:
    """The last :data:`CHOICE_PERIODS` periods up to the current one, newest first, with the
    period shown when it is not among them."""
    choices = list(reversed(report_type.recent_periods(current, CHOICE_PERIODS)))
    return choices if shown in choices else [shown, *choices]


class NationalReader:
    def __init__(self, api: ServiceApis, catalog: CatalogReader) -> None:
        self._api = api
        self._catalog = catalog

    async def rollup(self, report_type: str, period: str, token: str) -> dict[str, Any]:
        body: dict[str, Any] = await self._api.get(
            "aggregator", f"/v1/rollups/{report_type}/{period}", token
        )
        return body

    async def late_units(
        self, report_type: ReportTypeInfo, period: str, token: str
    ) -> list[Any] | None:
        """Every unit late or missing in the country; None for a period total, which has no
        late list."""
        if _is_total(report_type, period):
            return None
        path = f"/v1/late/{report_type.code}/{period}"
        body = await self._api.get("aggregator", path, token)
        units: list[Any] = body["units"]
        return units

    async def titles(self, report_type: str, token: str, lang: str) -> dict[str, str]:
        schema = await self._catalog.schema(report_type, token)
        return {
            entry["code"]: entry["title"].get(lang) or entry["title"]["vi"]
            for entry in schema.get("x-baocao-derived", [])
        }

    async def overview(self, report_type: str, period: str, token: str) -> Overview:
        body = await self.rollup(report_type, period, token)
        return _overview(body)

    async def targets(
        self, report_type: str, period: str, token: str, lang: str
    ) -> list[national.Target]:
        body, titles = await asyncio.gather(
            self.rollup(report_type, period, token), self.titles(report_type, token, lang)
        )
        return national.targets(body, body.get("children", []), titles)

    async def lateness(
        self, report_type: ReportTypeInfo, period: str, token: str
    ) -> national.Lateness | None:
        body, late = await asyncio.gather(
            self.rollup(report_type.code, period, token),
            self.late_units(report_type, period, token),
        )
        return None if late is None else national.lateness(body.get("children", []), late)

    async def trend(
        self, report_type: ReportTypeInfo, period: str, token: str
    ) -> list[national.TrendRow]:
        periods = report_type.recent_periods(period, TREND_PERIODS)
        bodies = await asyncio.gather(
            *(self._earlier(report_type.code, label, token) for label in periods)
        )
        return _trend(periods, bodies)

    async def page(
        self, report_type: ReportTypeInfo, period: str, token: str, lang: str
    ) -> NationalPage:
        code = report_type.code
        earlier = report_type.recent_periods(period, TREND_PERIODS)[:-1]
        body, late, titles, *before = await asyncio.gather(
            self.rollup(code, period, token),
            self.late_units(report_type, period, token),
            self.titles(code, token, lang),
            *(self._earlier(code, label, token) for label in earlier),
        )
        children = body.get("children", [])
        return NationalPage(
            overview=_overview(body),
            targets=national.targets(body, children, titles),
            lateness=None if late is None else national.lateness(children, late),
            trend=_trend([*earlier, period], [*before, body]),
        )

    async def _earlier(self, report_type: str, period: str, token: str) -> Any:
        """A previous period's rollup for the trend; one the service cannot give (before the
        registry began) is a gap, while a refusal of scope is the page's refusal."""
        try:
            return await self.rollup(report_type, period, token)
        except ServiceRefused as refused:
            if refused.status == 404:
                return None
            raise


def _overview(body: Any) -> Overview:
    return Overview(national.Completeness.of(body), national.tiles(body.get("children", [])))


def _trend(periods: list[str], bodies: list[Any]) -> list[national.TrendRow]:
    return [
        national.TrendRow(label, None if body is None else national.Completeness.of(body))
        for label, body in zip(periods, bodies, strict=True)
    ]


def _is_total(report_type: ReportTypeInfo, period: str) -> bool:
    return Period.parse(period).periodicity != report_type.periodicity
