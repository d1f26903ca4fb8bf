"""Driving the notifier in tests: its clock, who has reported, contacts, what reached NATS."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import nats

from baocao.nats_identities import NatsIdentities, ops_options
from services.notifier.bootstrap import Notifier
from services.notifier.settings import NotifierSettings
from shared import subjects
from shared.clock import ClockSegment, ScheduledClock
from tests.integration.conftest import service_url
from tests.integration.notifier.conftest import SECRETS_KEY, WEBHOOK_SECRET, SmtpServer


def move_to(clock: ScheduledClock, instant: datetime, speed: float = 0) -> None:
    clock.replace([*clock.segments, ClockSegment(datetime.now(UTC), instant, speed)])


async def notifier(
    nats_url: str,
    database_url: str,
    clock: ScheduledClock,
    smtp: SmtpServer | None = None,
    *,
    loop: bool = False,
    **env: Any,
) -> Notifier:
    settings: dict[str, Any] = {
        "NATS_URL": nats_url,
        "NATS_CREDS": str(
            shared_clock_user("notifier")
            if env.get("BAOCAO_CLOCK") == "shared"
            else NatsIdentities.of().path("notifier")
        ),
        "DATABASE_URL": service_url(database_url, "notifier"),
        "NOTIFIER_BACKOFF_BASE_SECONDS": 0.05,
        "NOTIFIER_BACKOFF_CAP_SECONDS": 0.2,
        # The receivers listen on 127.0.0.1, which webhooks may not reach unless allow-listed.
        "NOTIFIER_WEBHOOK_ALLOW": "127.0.0.1/32",
        "NOTIFIER_SECRETS_KEY": SECRETS_KEY,
        **env,
    }
    if smtp is not None:
        settings |= {"NOTIFIER_SMTP_HOST": smtp.host, "NOTIFIER_SMTP_PORT": smtp.port}
    service = Notifier(NotifierSettings(**settings), clock)
    await service.start(loop=loop)
    return service


def shared_clock_user(service: str) -> Path:
    """The service's NATS user when it follows the shared clock (it may watch the bucket)."""
    identities = NatsIdentities.of()
    return NatsIdentities(identities.authority, shared_clock=True).path(service)


async def mark_submitted(
    database_url: str, report_type: str, period: str, units: Iterable[str]
) -> None:
    """Record accepted reports as the validator would, without sending them through."""
    connection = await asyncpg.connect(database_url)
    try:
        await connection.executemany(
            "INSERT INTO submissions (submission_id, report_type, period, unit, status,"
            " timeliness, received_at, validated_at, stream_seq, verdict)"
            " VALUES ($1, $2, $3, $4, 'accepted', 'on_time', now(), now(), 0, '{}')",
            [(str(uuid.uuid4()), report_type, period, unit) for unit in units],
        )
    finally:
        await connection.close()


async def all_units(database_url: str, level: str) -> list[str]:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT code FROM units WHERE level = $1 AND valid_to IS NULL ORDER BY code", level
        )
    finally:
        await connection.close()
    return [r["code"] for r in rows]


async def give_contacts(
    database_url: str, units: Iterable[str], webhook_url: str | None = None
) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await connection.executemany(
            "INSERT INTO contacts (unit, emails, webhook_url, webhook_secret, updated_by,"
            " updated_at) VALUES ($1, $2, $3, $4, 'VN', now())",
            [
                (
                    unit,
                    [f"vanthu.{unit}@example.gov.vn"],
                    f"{webhook_url}/{unit}" if webhook_url else None,
                    WEBHOOK_SECRET if webhook_url else None,
                )
                for unit in units
            ],
        )
    finally:
        await connection.close()


async def deliveries(database_url: str) -> list[dict[str, Any]]:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT notice_id, channel, status, attempts, claimed_by FROM notification_deliveries"
            " ORDER BY notice_id, channel"
        )
    finally:
        await connection.close()
    return [dict(r) for r in rows]


async def stream_notices(nats_url: str, subject: str = "notify.>") -> list[dict[str, Any]]:
    """Every message in the NOTIFY stream on ``subject``, with its subject."""
    connection = await nats.connect(nats_url, **ops_options())
    found: list[dict[str, Any]] = []
    try:
        js = connection.jetstream()
        subscription = await js.subscribe(
            subject, stream=subjects.NOTIFY_STREAM, ordered_consumer=True
        )
        while True:
            try:
                message = await subscription.next_msg(timeout=0.5)
            except nats.errors.TimeoutError:
                break
            found.append({"subject": message.subject, **json.loads(message.data)})
    finally:
        await connection.close()
    return found
