"""E-mail through a real SMTP server, signed webhooks, retries then dead letters, quiet hours,
and a report arriving after its reminder was scheduled."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from baocao.embedded import EmbeddedNats
from services.notifier.bootstrap import Notifier
from services.notifier.domain.delivery import SIGNATURE_HEADER, TIMESTAMP_HEADER
from shared.clock import ScheduledClock
from shared.periods import VIETNAM
from tests.integration.notifier.conftest import (
    WEBHOOK_SECRET,
    SmtpServer,
    WebhookReceiver,
    as_json,
)
from tests.integration.notifier.helpers import (
    all_units,
    deliveries,
    give_contacts,
    mark_submitted,
    move_to,
    notifier,
    stream_notices,
)

pytestmark = pytest.mark.integration

KL226 = "kl226-quarterly"
LATE = ["00070", "00073"]  # two communes of Hà Nội that have not reported 2026-Q4
# 16 Dec 2026, 10:00 in Hà Nội: one working day before the communes' deadline (17 Dec).
MORNING = datetime(2026, 12, 16, 10, 0, tzinfo=VIETNAM)


@pytest.fixture
async def everyone_else_reported(database_url: str) -> None:
    communes = await all_units(database_url, "commune")
    provinces = await all_units(database_url, "province")
    await mark_submitted(
        database_url, KL226, "2026-Q4", [c for c in communes + provinces if c not in LATE]
    )


@pytest.fixture
async def service(
    nats_server: EmbeddedNats,
    database_url: str,
    clock: ScheduledClock,
    smtp_server: SmtpServer,
    catalog_dir: Path,
    everyone_else_reported: None,
) -> AsyncIterator[Notifier]:
    started = await notifier(
        nats_server.url,
        database_url,
        clock,
        smtp_server,
        BAOCAO_CATALOG_DIR=str(catalog_dir),
        NOTIFIER_MAX_ATTEMPTS=3,
    )
    yield started
    await started.stop()


async def test_a_reminder_reaches_nats_email_and_the_webhook_once_each(
    service: Notifier,
    database_url: str,
    nats_server: EmbeddedNats,
    smtp_server: SmtpServer,
    webhook_receiver: WebhookReceiver,
    clock: ScheduledClock,
) -> None:
    await give_contacts(database_url, LATE, webhook_receiver.url)
    move_to(clock, MORNING)
    assert service.service is not None

    await service.service.tick()
    await service.service.tick()

    on_nats = [n for n in await stream_notices(nats_server.url) if n["stage"] == "unit-1"]
    assert sorted(n["subject"] for n in on_nats) == ["notify.00070", "notify.00073"]
    assert smtp_server.mailbox.by_notice() == {
        "unit-1:kl226-quarterly:2026-Q4:commune:00070": 1,
        "unit-1:kl226-quarterly:2026-Q4:commune:00073": 1,
    }
    mail = next(m for m in smtp_server.mailbox.mails if "00070" in str(m["X-Baocao-Notice"]))
    text = mail.get_content()
    assert "Nhắc nhở" in str(mail["Subject"])
    assert "Hạn chót: 23:59 17/12/2026 (còn 1 ngày làm việc)" in text
    assert "baocao submit" in text
    assert "1 working day left" in text  # the English fallback under the Vietnamese
    assert smtp_server.mailbox.recipients[0][0].startswith("vanthu.")
    assert webhook_receiver.by_delivery() == {
        "unit-1:kl226-quarterly:2026-Q4:commune:00070": 1,
        "unit-1:kl226-quarterly:2026-Q4:commune:00073": 1,
    }
    request = webhook_receiver.requests[0]
    assert request.signature_valid
    # What a receiver written from docs/notifications.md computes, without the project's code.
    signed = request.headers[TIMESTAMP_HEADER].encode() + b"." + request.body
    expected = hmac.new(WEBHOOK_SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert request.headers[SIGNATURE_HEADER] == f"sha256={expected}"
    assert as_json(request.body)["stage"] == "unit-1"
    assert {d["status"] for d in await deliveries(database_url)} == {"sent"}


async def test_a_failing_webhook_is_retried_with_backoff_then_dead_lettered(
    service: Notifier,
    database_url: str,
    nats_server: EmbeddedNats,
    webhook_receiver: WebhookReceiver,
    clock: ScheduledClock,
) -> None:
    await give_contacts(database_url, ["00070"], webhook_receiver.url)
    webhook_receiver.status_for["/00070"] = 500
    move_to(clock, MORNING)
    assert service.service is not None

    await service.service.tick()
    for _ in range(40):  # the relay loop's rounds, faster than the notifier's own loop
        await service.service.relay()
        if len(webhook_receiver.requests) >= 3:
            break
        await asyncio.sleep(0.05)
    await service.service.relay()

    assert len(webhook_receiver.requests) == 3  # NOTIFIER_MAX_ATTEMPTS, then no more
    assert all(r.signature_valid and r.answered == 500 for r in webhook_receiver.requests)
    webhook = [d for d in await deliveries(database_url) if d["channel"] == "webhook"]
    assert [(d["status"], d["attempts"]) for d in webhook] == [("dead", 3)]
    [dead] = await stream_notices(nats_server.url, "notify.deadletter.>")
    assert dead["subject"] == "notify.deadletter.00070"
    assert dead["channel"] == "webhook"
    assert dead["attempts"] == 3
    assert "HTTP 500" in dead["last_error"]
    # NATS and e-mail went out regardless.
    others = {
        d["channel"]: d["status"]
        for d in await deliveries(database_url)
        if d["notice_id"].endswith("00070")
    }
    assert others == {"nats": "sent", "email": "sent", "webhook": "dead"}


async def test_a_webhook_no_client_can_call_is_an_attempt_each_time_then_dead_lettered(
    service: Notifier,
    database_url: str,
    nats_server: EmbeddedNats,
    clock: ScheduledClock,
) -> None:
    # Stored before the contacts API checked ports: httpx refuses it before any request.
    await give_contacts(database_url, ["00070"], "http://hook.example.gov.vn:port")
    move_to(clock, MORNING)
    assert service.service is not None

    await service.service.tick()
    for _ in range(40):
        await service.service.relay()
        webhook = [d for d in await deliveries(database_url) if d["channel"] == "webhook"]
        if webhook[0]["status"] != "pending":
            break
        await asyncio.sleep(0.05)

    assert [(d["status"], d["attempts"]) for d in webhook] == [("dead", 3)]
    connection = await asyncpg.connect(database_url)
    try:
        outcomes = await connection.fetch(
            "SELECT outcome, error FROM notification_attempts WHERE channel = 'webhook'"
            " ORDER BY attempt"
        )
    finally:
        await connection.close()
    assert [r["outcome"] for r in outcomes] == ["failed", "failed", "dead"]  # none left in doubt
    assert all("InvalidURL" in r["error"] for r in outcomes)
    [dead] = await stream_notices(nats_server.url, "notify.deadletter.>")
    assert dead["channel"] == "webhook"


async def test_no_email_at_night_and_a_report_accepted_overnight_cancels_it(
    service: Notifier,
    database_url: str,
    nats_server: EmbeddedNats,
    smtp_server: SmtpServer,
    clock: ScheduledClock,
) -> None:
    await give_contacts(database_url, LATE)
    move_to(clock, datetime(2026, 12, 15, 22, 30, tzinfo=VIETNAM))  # unit-1 is due the 16th
    move_to(clock, datetime(2026, 12, 16, 0, 5, tzinfo=VIETNAM))  # just after midnight
    assert service.service is not None

    await service.service.tick()
    nats_first = {n["unit"] for n in await stream_notices(nats_server.url)}
    mails_at_night = len(smtp_server.mailbox.mails)
    await mark_submitted(database_url, KL226, "2026-Q4", ["00070"])  # reported overnight
    await service.service.on_accepted({("00070", KL226, "2026-Q4")})
    move_to(clock, datetime(2026, 12, 16, 7, 0, tzinfo=VIETNAM))
    await service.service.tick()

    assert nats_first == {"00070", "00073"}  # NATS is machines: not held back
    assert mails_at_night == 0
    assert smtp_server.mailbox.by_notice() == {"unit-1:kl226-quarterly:2026-Q4:commune:00073": 1}
    email = {
        d["notice_id"]: d["status"]
        for d in await deliveries(database_url)
        if d["channel"] == "email"
    }
    assert email == {
        "unit-1:kl226-quarterly:2026-Q4:commune:00070": "cancelled",
        "unit-1:kl226-quarterly:2026-Q4:commune:00073": "sent",
    }


async def test_a_notifier_shutting_down_gives_back_the_deliveries_it_has_not_begun(
    service: Notifier,
    database_url: str,
    clock: ScheduledClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    move_to(clock, MORNING)
    notifier = service.service
    assert notifier is not None
    delivery = notifier.delivery
    delivery.policy = replace(delivery.policy, concurrency=1)
    await notifier.schedule()
    send = delivery.nats.send

    async def send_then_stop(*args: Any) -> None:
        notifier.claiming = False  # SIGTERM arrives while the first message is on its way
        await send(*args)

    monkeypatch.setattr(delivery.nats, "send", send_then_stop)
    sent = await notifier.relay(channels=["nats"])

    assert sent == 1  # the one in flight was finished and recorded
    rows = [d for d in await deliveries(database_url) if d["channel"] == "nats"]
    assert sorted(d["status"] for d in rows) == ["pending", "sent"]
    [left] = [d for d in rows if d["status"] == "pending"]
    assert left["attempts"] == 0  # never begun, so never in doubt
    assert left["claimed_by"] is None  # and free at once for the next replica
