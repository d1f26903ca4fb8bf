"""A running Baocao in one event loop, and helpers to drive it like a local system would."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import nats

from baocao.nats_identities import ops_options
from services.aggregator.bootstrap import Aggregator
from services.intake.bootstrap import Intake
from services.notifier.bootstrap import Notifier
from services.validator.bootstrap import Validator
from shared import subjects
from shared.clock import ScheduledClock
from shared.identity import Role
from shared.identity.issuer import LocalIssuer

CONSUMERS = ("validator", "aggregator", "notifier-accepted", "notifier-rejected")


def kl226_values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "docs_issued": 80,
        "docs_issued_prev_year": 100,
        "conferences_total": 10,
        "conferences_in_person": 3,
        "conferences_online": 7,
        "conferences_over_duration": 1,
        "procedures_total": 200,
        "procedures_online": 192,
        "reports_total": 20,
        "reports_over_network": 20,
        "conference_budget_planned": 50.5,
        "conference_budget_spent": 40.25,
    }
    values.update(overrides)
    return values


def submission(
    unit: str,
    *,
    period: str = "2026-Q4",
    report_type: str = "kl226-quarterly",
    submission_id: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    return {
        "submission_id": submission_id or str(uuid.uuid4()),
        "report_type": report_type,
        "period": period,
        "unit": unit,
        "values": kl226_values(**overrides),
    }


def bearer(unit: str, *roles: Role) -> dict[str, str]:
    """A token from the session's issuer for ``unit``: its level's default roles, or ``roles``."""
    return {"Authorization": f"Bearer {LocalIssuer.of().mint(unit, roles or None)}"}


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout}s")


@dataclass
class System:
    intake: Intake
    validator: Validator
    aggregator: Aggregator
    notifier: Notifier
    clock: ScheduledClock
    intake_http: httpx.AsyncClient
    central_http: httpx.AsyncClient
    nats_url: str
    database_url: str

    def __post_init__(self) -> None:
        # Central Office's dashboard reads unless a test asks as someone else.
        self.central_http.headers.update(bearer("VN", Role.READER))

    async def submit(self, body: dict[str, Any], unit: str | None = None) -> httpx.Response:
        return await self.intake_http.post(
            "/v1/submissions", json=body, headers=bearer(unit or body["unit"])
        )

    async def status(self, submission_id: str) -> dict[str, Any]:
        response = await self.intake_http.get(
            f"/v1/submissions/{submission_id}", headers=bearer("VN")
        )
        return response.json() if response.status_code == 200 else {"status": None}

    async def settled(self, submission_id: str) -> dict[str, Any]:
        """The submission's status once validated and, if accepted, rolled up."""
        result: dict[str, Any] = {}

        async def judged() -> bool:
            result.update(await self.status(submission_id))
            return result.get("status") in {"accepted", "rejected", "superseded"}

        await eventually(judged)
        await self.drained()
        result.update(await self.status(submission_id))
        return result

    async def drained(self) -> None:
        """Wait until every consumer has acknowledged everything in the stream."""
        connection = await nats.connect(self.nats_url, **ops_options())
        js = connection.jetstream()

        async def idle() -> bool:
            for durable in CONSUMERS:
                info = await js.consumer_info(subjects.REPORTS_STREAM, durable)
                if info.num_pending or info.num_ack_pending:
                    return False
            return True

        try:
            await eventually(idle)
        finally:
            await connection.close()

    async def rollup(self, path: str) -> dict[str, Any]:
        response = await self.central_http.get(path)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def close(self) -> None:
        await self.intake_http.aclose()
        await self.central_http.aclose()
        for service in (self.notifier, self.aggregator, self.validator, self.intake):
            await service.stop()


def as_decimal(value: Any) -> Decimal:
    return Decimal(str(value))
