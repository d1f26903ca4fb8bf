"""The four services as the province pages see them, behind an ``httpx.MockTransport``: each
answers as its API does, deciding scope from the caller's token (a province reaches itself and
its communes, Central everything), and records every request it was sent."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from services.web.adapters.services_api import ServicesApi
from tests.unit.web.people import faked_api, problem, unit_of

REPORT_TYPE, PERIOD = "kl226-quarterly", "2026-Q4"
DERIVED = [
    {"code": "docs_reduction_pct", "title": {"vi": "Giảm văn bản", "en": "Cut"}, "target": ">= 15"},
    {
        "code": "in_person_share_pct",
        "title": {"vi": "Trực tiếp", "en": "In person"},
        "target": "<= 40",
    },
    {"code": "plain", "title": {"vi": "x", "en": "x"}, "target": None},
]


@dataclass
class FakeServices:
    communes: int = 3
    approval: str = "open"
    notifier_down: bool = False
    refuse_step: tuple[int, str] | None = None
    validator_without_report_status: bool = False
    requests: list[httpx.Request] = field(default_factory=list)

    def api(self) -> ServicesApi:
        return faked_api(self)

    def codes(self) -> list[str]:
        return [f"{4 + i:05d}" for i in range(self.communes)]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        handler = getattr(self, f"_{request.url.host}")
        answer = handler(request, unit_of(request))
        return answer if isinstance(answer, httpx.Response) else httpx.Response(200, json=answer)

    def calls(self, host: str | None = None) -> list[str]:
        return [
            f"{r.method} {r.url.path}" + (f"?{r.url.query.decode()}" if r.url.query else "")
            for r in self.requests
            if host is None or r.url.host == host
        ]

    def _reaches(self, caller: str, unit: str) -> bool:
        return caller in ("VN", unit) or (caller == "01" and unit in self.codes())

    def _intake(self, request: httpx.Request, _: str) -> Any:
        if request.url.path == "/v1/catalog":
            types = [
                {
                    "code": REPORT_TYPE,
                    "title": {"vi": "Báo cáo quý", "en": "Quarterly report"},
                    "periodicity": "quarterly",
                    "levels": ["commune", "province"],
                }
            ]
            return {"report_types": types}
        return {"x-baocao-derived": DERIVED}

    def _child(self, code: str, on_time: int) -> dict[str, Any]:
        completeness = {"expected": 1, "on_time": on_time, "late": 0, "missing": 1 - on_time}
        return {
            "unit": code,
            "name": f"Xã {code}",
            "level": "commune",
            "completeness": completeness,
        }

    def _aggregator(self, request: httpx.Request, caller: str) -> Any:
        parts = request.url.path.split("/")
        unit = request.url.params.get("province") or parts[-1]
        if not self._reaches(caller, unit):
            return problem(403, "not_your_unit")
        if parts[2] == "rollups":
            own = {**self._child(unit, 0), "name": "Hà Nội", "level": "province"}
            children = [self._child(c, 1 if i == 0 else 0) for i, c in enumerate(self.codes())]
            return {
                "unit": unit,
                "name": "Hà Nội",
                "level": "province",
                "own": own,
                "children": children,
                "completeness": {"expected": self.communes + 1, "submitted": 1, "rate_pct": 25.0},
                "derived": {"docs_reduction_pct": {"value": 20, "target": ">= 15", "met": True}},
                "targets": {"docs_reduction_pct": {"units_met": 1, "units_missed": 0}},
            }
        if parts[2] == "late":
            late = [unit, *self.codes()[1:]]
            units = [
                {
                    "unit": c,
                    "name": f"Xã {c}",
                    "status": "missing",
                    "deadline": None,
                    "received_at": None,
                }
                for c in late
            ]
            return {"province": unit, "units": units}
        return {"units": [{"unit": self.codes()[0], "name": "Xã A", "value": 55.5}]}

    def _notifier(self, request: httpx.Request, caller: str) -> Any:
        if self.notifier_down:
            return problem(503, "service_unavailable")
        unit = request.url.params.get("unit") or request.url.path.split("/")[-1]
        if not self._reaches(caller, unit):
            return problem(403, "not_your_unit")
        if request.url.path.startswith("/v1/contacts/"):
            return {
                "unit": unit,
                "emails": [f"vanthu@{unit}.gov.vn"],
                "nats_subject": f"notify.{unit}",
            }
        digest = {
            "notice_id": f"parent+1:{REPORT_TYPE}:{PERIOD}:commune:{unit}",
            "kind": "escalation",
            "stage": "parent+1",
            "recipient": unit,
            "unit": unit,
            "late": [{"unit": c, "name": c} for c in self.codes()[1:]],
        }
        record = {"notice": digest, "created_at": "2026-12-18T02:00:00Z", "deliveries": []}
        return {"unit": unit, "notifications": [record]}

    def _validator(self, request: httpx.Request, caller: str) -> Any:
        unit = request.url.path.split("/")[5]
        if not self._reaches(caller, unit):
            return problem(403, "not_the_province")
        if request.method != "GET":
            return self._step(request, caller, unit)
        if request.url.path.startswith("/v1/report-status/"):
            return self._report_status()
        log = (
            []
            if self.approval == "open"
            else [
                {
                    "unit": unit,
                    "action": "approve",
                    "actor": unit,
                    "at": "2026-12-10T02:00:00Z",
                    "reason": None,
                }
            ]
        )
        own = {
            "unit": unit,
            "status": self.approval,
            "approved_by": None if self.approval == "open" else unit,
            "approved_at": None if self.approval == "open" else "2026-12-10T02:00:00Z",
            "accepted_by": "VN" if self.approval == "accepted" else None,
            "accepted_at": "2026-12-11T02:00:00Z" if self.approval == "accepted" else None,
        }
        return {"unit": unit, "locked": self.approval != "open", "own": own, "log": log}

    def _report_status(self) -> Any:
        if self.validator_without_report_status:
            return problem(404, "error")
        reason = {"code": "rule_violated", "message": "Không khớp", "message_en": "Mismatch"}
        latest = {"status": "rejected", "received_at": "2026-12-10T02:05:00Z", "reasons": [reason]}
        rejected = {
            "unit": self.codes()[1],
            "status": "rejected",
            "corrected": False,
            "latest": latest,
        }
        return {"units": [rejected]}

    def _step(self, request: httpx.Request, caller: str, unit: str) -> Any:
        if self.refuse_step is not None:
            return problem(*self.refuse_step)
        accepting = request.url.path.endswith("/acceptance")
        if request.method == "DELETE":
            reason = json.loads(request.content or b"{}").get("reason")
            if not reason:
                return problem(400, "reason_required")
            self.approval = "approved" if accepting else "open"
        else:
            self.approval = "accepted" if accepting else "approved"
        return {"unit": unit, "status": self.approval, "changed": True}
