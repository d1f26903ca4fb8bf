"""A webhook whose host name resolves to an internal address is refused at send time, its reason
in the unit's history; allow-listed, the same receiver is reached. Secrets are stored
encrypted, and one stored in plaintext before is still read."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from cryptography.fernet import Fernet

from baocao.embedded import EmbeddedNats
from services.notifier.adapters.channels import Resolver, WebhookChannel
from services.notifier.adapters.notice_history import PostgresNoticeHistory
from services.notifier.bootstrap import Notifier
from services.notifier.domain.delivery import DELIVERY_HEADER
from services.notifier.usecases.notifications import NotificationService
from services.notifier.usecases.ports import Contact
from shared.clock import ScheduledClock
from shared.db import create_pool
from tests.integration.notifier.conftest import SECRETS_KEY, WEBHOOK_SECRET, WebhookReceiver
from tests.integration.notifier.helpers import (
    all_units,
    deliveries,
    give_contacts,
    mark_submitted,
    move_to,
    notifier,
    stream_notices,
)
from tests.integration.notifier.test_channels import KL226, MORNING

pytestmark = pytest.mark.integration

UNIT = "00070"
HOST = "hook.hoankiem.baocao.test"  # what a unit's DNS answers with 127.0.0.1

Start = Callable[..., Awaitable[NotificationService]]


def name_resolving_to_loopback() -> Resolver:
    """A resolver where :data:`HOST` has the address 127.0.0.1, as any DNS name can."""

    async def resolve(host: str, port: int) -> list[str]:
        assert host == HOST
        return ["127.0.0.1"]

    return resolve


@pytest.fixture
async def start(
    nats_server: EmbeddedNats, database_url: str, clock: ScheduledClock, catalog_dir: Path
) -> AsyncIterator[Start]:
    """Starts a notifier with its webhooks resolved by :func:`name_resolving_to_loopback`."""
    units = await all_units(database_url, "commune") + await all_units(database_url, "province")
    await mark_submitted(database_url, KL226, "2026-Q4", [u for u in units if u != UNIT])
    started: list[Notifier] = []
    async with httpx.AsyncClient(timeout=5, follow_redirects=False) as client:

        async def begin(**env: Any) -> NotificationService:
            running = await notifier(
                nats_server.url, database_url, clock, BAOCAO_CATALOG_DIR=str(catalog_dir), **env
            )
            started.append(running)
            assert running.service is not None
            running.service.delivery.webhook = WebhookChannel(
                client, running.settings.webhook_policy(), name_resolving_to_loopback()
            )
            return running.service

        yield begin
        for running in started:
            await running.stop()


async def notice_history(database_url: str, unit: str) -> list[dict[str, Any]]:
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        return await PostgresNoticeHistory(pool).history(unit, 10)
    finally:
        await pool.close()


async def attempts(database_url: str) -> list[dict[str, Any]]:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT outcome, error FROM notification_attempts WHERE channel = 'webhook'"
            " ORDER BY attempt"
        )
    finally:
        await connection.close()
    return [dict(r) for r in rows]


async def test_a_webhook_whose_name_resolves_to_loopback_is_refused_when_sent(
    start: Start,
    database_url: str,
    nats_server: EmbeddedNats,
    clock: ScheduledClock,
    webhook_receiver: WebhookReceiver,
) -> None:
    port = httpx.URL(webhook_receiver.url).port
    service = await start(NOTIFIER_WEBHOOK_ALLOW="")  # nothing allow-listed
    await give_contacts(database_url, [UNIT], f"http://{HOST}:{port}")
    move_to(clock, MORNING)

    await service.tick()

    assert webhook_receiver.requests == []
    webhook = [d for d in await deliveries(database_url) if d["channel"] == "webhook"]
    assert [(d["status"], d["attempts"]) for d in webhook] == [("dead", 1)]  # no use retrying
    [attempt] = await attempts(database_url)
    assert attempt["outcome"] == "dead"
    assert attempt["error"].startswith("webhook_host_loopback: ")
    assert "127.0.0.1" not in attempt["error"]
    [record] = await notice_history(database_url, UNIT)  # what GET /v1/notifications shows
    shown = {d["channel"]: d for d in record["deliveries"]}
    assert shown["webhook"]["last_error"].startswith("webhook_host_loopback: ")
    assert shown["nats"]["status"] == "sent"
    [dead] = await stream_notices(nats_server.url, "notify.deadletter.>")
    assert dead["last_error"].startswith("webhook_host_loopback: ")


async def test_the_same_receiver_is_reached_when_its_address_is_allow_listed(
    start: Start,
    database_url: str,
    clock: ScheduledClock,
    webhook_receiver: WebhookReceiver,
) -> None:
    port = httpx.URL(webhook_receiver.url).port
    service = await start(NOTIFIER_WEBHOOK_ALLOW="127.0.0.1/32")
    await give_contacts(database_url, [UNIT], f"http://{HOST}:{port}")
    move_to(clock, MORNING)

    await service.tick()

    [request] = webhook_receiver.requests
    assert request.headers["Host"] == f"{HOST}:{port}"  # the name, though sent to the address
    assert request.path == f"/{UNIT}"
    assert request.signature_valid
    assert request.headers[DELIVERY_HEADER].endswith(UNIT)
    webhook = [d for d in await deliveries(database_url) if d["channel"] == "webhook"]
    assert [d["status"] for d in webhook] == ["sent"]


async def test_a_secret_is_stored_encrypted_and_a_plaintext_one_is_sealed_when_next_written(
    start: Start, database_url: str, webhook_receiver: WebhookReceiver
) -> None:
    service = await start()
    contacts = service.delivery.contacts
    await give_contacts(database_url, [UNIT], webhook_receiver.url)  # plaintext, as before

    before = await contacts.get(UNIT)
    assert before is not None
    assert before.webhook_secret == WEBHOOK_SECRET  # still read
    await contacts.put(
        Contact(UNIT, before.emails, before.webhook_url, WEBHOOK_SECRET, "VN", datetime.now(UTC))
    )
    after = await contacts.get(UNIT)

    connection = await asyncpg.connect(database_url)
    try:
        stored = await connection.fetchval(
            "SELECT webhook_secret FROM contacts WHERE unit = $1", UNIT
        )
    finally:
        await connection.close()
    assert stored.startswith("v1:")
    assert WEBHOOK_SECRET not in stored
    assert Fernet(SECRETS_KEY).decrypt(stored.removeprefix("v1:")).decode() == WEBHOOK_SECRET
    assert after is not None
    assert after.webhook_secret == WEBHOOK_SECRET
