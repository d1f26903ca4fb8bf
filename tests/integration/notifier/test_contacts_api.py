"""Contacts through the API and `baocao contacts`, who may change them, and the history of a
unit's notices with every attempt."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from baocao import contacts as cli
from baocao.embedded import EmbeddedNats
from services.notifier.bootstrap import Notifier
from shared.clock import ScheduledClock
from shared.periods import VIETNAM
from tests.integration.notifier.conftest import SmtpServer, WebhookReceiver
from tests.integration.notifier.helpers import move_to, notifier
from tests.integration.system import bearer

pytestmark = pytest.mark.integration

SECRET = "a-webhook-secret-of-some-length"


@pytest.fixture
async def service(
    nats_server: EmbeddedNats,
    database_url: str,
    clock: ScheduledClock,
    smtp_server: SmtpServer,
    catalog_dir: Path,
) -> AsyncIterator[Notifier]:
    started = await notifier(
        nats_server.url, database_url, clock, smtp_server, BAOCAO_CATALOG_DIR=str(catalog_dir)
    )
    yield started
    await started.stop()


@pytest.fixture
async def api(service: Notifier) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=service.app()), base_url="http://notifier"
    ) as client:
        yield client


async def test_a_unit_its_province_and_central_manage_its_contacts_no_one_else(
    api: httpx.AsyncClient,
) -> None:
    body = {
        "emails": ["vanthu@hoankiem.gov.vn"],
        "webhook_url": "https://hk.example/hook",
        "webhook_secret": SECRET,
    }

    created = await api.post("/v1/contacts/00070", json=body, headers=bearer("00070"))
    again = await api.post("/v1/contacts/00070", json=body, headers=bearer("00070"))
    by_province = await api.put(
        "/v1/contacts/00070", json={"emails": ["a@b.vn"]}, headers=bearer("01")
    )
    other_province = await api.put("/v1/contacts/00070", json=body, headers=bearer("79"))
    neighbour = await api.get("/v1/contacts/00070", headers=bearer("00073"))
    no_token = await api.get("/v1/contacts/00070")
    bad = await api.put(
        "/v1/contacts/00070", json={"emails": ["not-an-address"]}, headers=bearer("VN")
    )
    half_webhook = await api.put(
        "/v1/contacts/00070", json={"webhook_url": "https://x.example"}, headers=bearer("VN")
    )
    bad_port = await api.put(
        "/v1/contacts/00070",
        json={"webhook_url": "http://hook.example:abc/x", "webhook_secret": "s" * 20},
        headers=bearer("VN"),
    )
    unknown = await api.get("/v1/contacts/99999", headers=bearer("VN"))
    shown = await api.get("/v1/contacts/00070", headers=bearer("VN"))

    assert created.status_code == 201
    assert created.json()["webhook_secret_set"] is True
    assert "webhook_secret" not in created.json()
    assert created.json()["nats_subject"] == "notify.00070"
    assert (again.status_code, again.json()["reason"]) == (409, "contacts_exist")
    assert again.headers["content-type"] == "application/problem+json"  # RFC 9457, as everywhere
    assert again.json()["type"] == "urn:baocao:problem:contacts_exist"
    assert by_province.status_code == 200
    assert (other_province.status_code, other_province.json()["reason"]) == (403, "not_your_unit")
    assert neighbour.status_code == 403
    assert (no_token.status_code, no_token.json()["reason"]) == (401, "missing_token")
    assert (bad.status_code, bad.json()["reason"]) == (400, "invalid_request")
    assert half_webhook.status_code == 400
    assert (bad_port.status_code, bad_port.json()["reason"]) == (400, "invalid_request")
    assert "webhook URL" in bad_port.text
    assert (unknown.status_code, unknown.json()["reason"]) == (404, "unknown_unit")
    assert shown.json()["emails"] == ["a@b.vn"]
    assert shown.json()["webhook_url"] is None
    assert shown.json()["updated_by"] == "01"


async def test_removed_contacts_are_gone_and_removing_them_again_is_not_found(
    api: httpx.AsyncClient,
) -> None:
    await api.put("/v1/contacts/00070", json={"emails": ["a@b.vn"]}, headers=bearer("00070"))

    removed = await api.delete("/v1/contacts/00070", headers=bearer("00070"))
    again = await api.delete("/v1/contacts/00070", headers=bearer("00070"))
    shown = await api.get("/v1/contacts/00070", headers=bearer("00070"))

    assert removed.status_code == 204
    assert (again.status_code, again.json()["reason"]) == (404, "no_contacts")
    assert shown.json()["emails"] == []


async def test_a_webhook_on_a_private_address_is_refused_with_the_rule_that_refuses_it(
    api: httpx.AsyncClient,
) -> None:
    body = {"webhook_url": "https://10.1.2.3:5432/", "webhook_secret": SECRET}

    refused = await api.put("/v1/contacts/00070", json=body, headers=bearer("00070"))

    assert (refused.status_code, refused.json()["reason"]) == (400, "webhook_host_private")
    assert refused.json()["status"] == 400


async def test_contacts_seeded_from_a_file_and_the_history_of_each_attempt(
    api: httpx.AsyncClient,
    service: Notifier,
    clock: ScheduledClock,
    webhook_receiver: WebhookReceiver,
    smtp_server: SmtpServer,
    tmp_path: Path,
) -> None:
    seed_file = tmp_path / "contacts.toml"
    seed_file.write_text(
        "[[contacts]]\n"
        'unit = "00070"\n'
        'emails = ["vanthu@hoankiem.gov.vn", "chutich@hoankiem.gov.vn"]\n'
        f'webhook_url = "{webhook_receiver.url}/00070"\n'
        f'webhook_secret = "{"webhook-secret-for-tests-0123456789"}"\n'
        "[[contacts]]\n"
        'unit = "99999"\n'
        'emails = ["x@y.vn"]\n'
        "[[contacts]]\n"
        'emails = ["no-unit@y.vn"]\n',
        encoding="utf-8",
    )
    sync = httpx.Client(transport=_SyncOverAsync(api), base_url="http://notifier")
    args = argparse.Namespace(action="seed", file=str(seed_file), token=None, url="")

    exit_code = await asyncio.to_thread(cli.run, args, sync)
    move_to(clock, datetime(2026, 12, 14, 10, tzinfo=VIETNAM))  # unit-3: 3 working days before
    assert service.service is not None
    await service.service.tick()
    history = await api.get("/v1/notifications", params={"unit": "00070"}, headers=bearer("01"))

    assert exit_code == 1  # 99999 is no unit, one entry names none: both reported, the rest seeded
    assert smtp_server.mailbox.recipients == [["vanthu@hoankiem.gov.vn", "chutich@hoankiem.gov.vn"]]
    assert history.status_code == 200
    [record] = history.json()["notifications"]
    assert record["notice"]["stage"] == "unit-3"
    channels = {d["channel"]: d for d in record["deliveries"]}
    assert set(channels) == {"nats", "email", "webhook"}
    for delivery in channels.values():
        assert delivery["status"] == "sent"
        [attempt] = delivery["history"]
        assert attempt["outcome"] == "sent"
        assert attempt["worker"] == service.worker


class _SyncOverAsync(httpx.BaseTransport):
    """Lets the synchronous CLI talk to the ASGI app the test runs in its own event loop."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.loop = asyncio.get_running_loop()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def forward() -> httpx.Response:
            response = await self.client.request(
                request.method,
                str(request.url.copy_with(scheme="http", host="notifier")),
                content=request.read(),
                headers=request.headers,
            )
            return httpx.Response(
                response.status_code, headers=response.headers, content=response.content
            )

        return asyncio.run_coroutine_threadsafe(forward(), self.loop).result(30)
