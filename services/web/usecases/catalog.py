"""The report types as the web app shows them: read once from intake's public catalog, which
does not change while the services run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from services.web.usecases.ports import ServiceApis
from shared.periods import Period, Periodicity


@dataclass(frozen=True)
class ReportTypeInfo:
    code: str
    title_vi: str
    title_en: str
    periodicity: Periodicity
    levels: tuple[str, ...]

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_vi

    def current_period(self, today: date) -> str:
        return Period.containing(today, self.periodicity).label

    def recent_periods(self, latest: str, count: int) -> list[str]:
        """``latest`` and the ``count - 1`` periods before it, oldest first."""
        period = Period.parse(latest)
        return [period.shifted(-step).label for step in reversed(range(count))]


class CatalogReader:
    def __init__(self, api: ServiceApis) -> None:
        self._api = api
        self._types: list[ReportTypeInfo] | None = None
        self._schemas: dict[str, dict[str, Any]] = {}

    async def report_types(self, token: str) -> list[ReportTypeInfo]:
        if self._types is None:
            listing = await self._api.get("intake", "/v1/catalog", token)
            self._types = [
                ReportTypeInfo(
                    code=entry["code"],
                    title_vi=entry["title"]["vi"],
                    title_en=entry["title"]["en"],
                    periodicity=Periodicity(entry["periodicity"]),
                    levels=tuple(entry["levels"]),
                )
                for entry in listing["report_types"]
            ]
        return self._types

    async def report_type(self, code: str, token: str) -> ReportTypeInfo | None:
        return next((t for t in await self.report_types(token) if t.code == code), None)

    async def schema(self, code: str, token: str) -> dict[str, Any]:
        if code not in self._schemas:
            self._schemas[code] = await self._api.get("intake", f"/v1/catalog/{code}", token)
        return self._schemas[code]
