"""The services as the national pages see them, behind an ``httpx.MockTransport``: the national
rollup (the 34 provinces of the registry as children), the late list and the live feed answer
Central's token only, as the aggregator does (``national_scope_required``), and every request is
recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from services.web.adapters.services_api import ServicesApi
from shared.registry.seed import units_from_package
from tests.unit.web.people import faked_api, problem, unit_of

REPORT_TYPE, PERIOD = "kl226-quarterly", "2026-Q4"
FIRST_PERIOD = "2025-Q3"  # the registry's first quarter: earlier ones are 404
PROVINCES = [(u.code, u.name) for u in units_from_package() if u.level.value == "province"]
DERIVED = [
    {
        "code": "docs_reduction_pct",
        "title": {"vi": "Tỷ lệ giảm văn bản (%)", "en": "Cut in documents (%)"},
        "target": ">= 15",
    },
    {
        "code": "in_person_share_pct",
        "title": {"vi": "Tỷ lệ hội nghị trực tiếp (%)", "en": "In person (%)"},
        "target": "<= 40",
    },
]


def completeness(expected: int, on_time: int, late: int = 0) -> dict[str, Any]:
    submitted = on_time + late
    rate = round(100 * submitted / expected, 2) if expected else None
    return {
        "expected": expected,
        "submitted": submitted,
        "on_time": on_time,
        "late": late,
        "missing": expected - submitted,
        "rate_pct": rate,
    }


def province(code: str, name: str, on_time: int = 0, late: int = 0) -> dict[str, Any]:
    """A province's summary: 100 units expected; it misses the in-person target when any
    of its units reported late (a handy way to vary figures)."""
    missed = late > 0
    return {
        "unit": code,
        "name": name,
        "level": "province",
        "completeness": completeness(100, on_time, late),
        "derived": {
            "docs_reduction_pct": {"value": 20.0, "target": ">= 15", "met": True},
            "in_person_share_pct": {
                "value": 55.5 if missed else 30.0,
                "target": "<= 40",
                "met": not missed if on_time + late else None,
            },
        },
        "targets": {
            "docs_reduction_pct": {
                "target": ">= 15",
                "units_met": on_time + late,
                "units_missed": 0,
                "units_unjudged": 0,
            },
            "in_person_share_pct": {
                "target": "<= 40",
                "units_met": on_time,
                "units_missed": late,
                "units_unjudged": 0,
            },
        },
    }


class FeedStream(httpx.AsyncByteStream):
    """A finite event stream that records whether the web app closed it."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk

    async def aclose(self) -> None:
        self.closed = True


@dataclass
class FakeServices:
    reported: dict[str, tuple[int, int]] = field(
        default_factory=lambda: {"01": (5, 0), "79": (97, 2)}
    )
    feed_chunks: list[bytes] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    streams: list[FeedStream] = field(default_factory=list)

    def api(self) -> ServicesApi:
        return faked_api(self)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host == "intake":
            return httpx.Response(200, json=self._intake(request))
        if unit_of(request) != "VN":
            return problem(403, "national_scope_required")
        kind, report_type, period = [*request.url.path.split("/")[2:], "", ""][:3]
        if kind == "feed":
            stream = FeedStream(self.feed_chunks)
            self.streams.append(stream)
            return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=stream)
        if period < FIRST_PERIOD or (kind == "late" and "-Q" not in period):
            return problem(404, "invalid_period")
        if kind == "late":
            return httpx.Response(200, json={"units": self.late_units()})
        return httpx.Response(200, json=self.national(report_type, period))

    def paths(self, host: str = "aggregator") -> list[str]:
        return [r.url.path for r in self.requests if r.url.host == host]

    def _intake(self, request: httpx.Request) -> Any:
        if request.url.path == "/v1/catalog":
            types = [
                {
                    "code": REPORT_TYPE,
                    "title": {"vi": "Báo cáo quý KL-226", "en": "KL-226"},
                    "periodicity": "quarterly",
                    "levels": ["commune", "province"],
                },
                {
                    "code": "lg2-monthly",
                    "title": {"vi": "Báo cáo tháng", "en": "Monthly"},
                    "periodicity": "monthly",
                    "levels": ["commune", "province"],
                },
            ]
            return {"report_types": types}
        return {"x-baocao-derived": DERIVED}

    def children(self) -> list[dict[str, Any]]:
        return [province(code, name, *self.reported.get(code, (0, 0))) for code, name in PROVINCES]

    def national(self, report_type: str, period: str) -> dict[str, Any]:
        on_time = sum(v[0] for v in self.reported.values())
        late = sum(v[1] for v in self.reported.values())
        return {
            "report_type": report_type,
            "period": period,
            "unit": "VN",
            "name": "Trung ương",
            "level": "central",
            "completeness": completeness(100 * len(PROVINCES), on_time, late),
            "derived": {
                "docs_reduction_pct": {"value": 20.0, "target": ">= 15", "met": True},
                "in_person_share_pct": {"value": 41.0, "target": "<= 40", "met": False},
                "budget_overrun": {"value": -3.0},
            },
            "targets": {
                "docs_reduction_pct": {
                    "target": ">= 15",
                    "units_met": on_time + late,
                    "units_missed": 0,
                    "units_unjudged": 0,
                },
                "in_person_share_pct": {
                    "target": "<= 40",
                    "units_met": on_time,
                    "units_missed": late,
                    "units_unjudged": 0,
                },
            },
            "children": self.children(),
        }

    def late_units(self) -> list[dict[str, Any]]:
        units = [
            {
                "unit": code,
                "name": name,
                "level": "province",
                "province": code,
                "deadline": "2026-12-25T23:59:59+07:00",
                "status": "missing",
                "received_at": None,
            }
            for code, name in PROVINCES
            if code != "79"
        ]
        units.append(
            {
                "unit": "26734",
                "name": "Phường Sài Gòn",
                "level": "commune",
                "province": "79",
                "deadline": "2026-12-17T23:59:59+07:00",
                "status": "late",
                "received_at": "2026-12-18T02:00:00+00:00",
            }
        )
        return units
