"""Real receivers for the notifier's channels: an SMTP server (aiosmtpd) that keeps every mail,
and an HTTP webhook receiver (aiohttp) that checks signatures and can be told to fail."""

from __future__ import annotations

import email
import email.policy
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from cryptography.fernet import Fernet

from baocao.embedded import free_port
from services.notifier.domain.delivery import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature_is_valid,
)

WEBHOOK_SECRET = "webhook-secret-for-tests-0123456789"
# Encrypts the webhook secrets in the contacts table; a new one for each run of the suite.
SECRETS_KEY = Fernet.generate_key().decode("ascii")


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Path:
    """Only kl226-quarterly: the monthly report's reminders would go to every commune."""
    directory = tmp_path / "catalog"
    directory.mkdir()
    source = Path(__file__).parents[3] / "shared/catalog/data/kl226-quarterly.toml"
    (directory / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    return directory


@dataclass
class Mailbox:
    """Every mail the SMTP server accepted, parsed."""

    mails: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 -- aiosmtpd's hook name
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.mails.append(message)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def by_notice(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for mail in self.mails:
            notice_id = str(mail["X-Baocao-Notice"])
            counts[notice_id] = counts.get(notice_id, 0) + 1
        return counts


@dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: Mailbox


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, mailbox)
    finally:
        controller.stop()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_valid: bool
    answered: int


@dataclass
class WebhookReceiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    # Status to answer per path (default 200): a receiver that is down answers 500.
    status_for: dict[str, int] = field(default_factory=dict)

    def by_delivery(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for request in self.requests:
            if request.answered < 300:
                key = request.headers[DELIVERY_HEADER]
                counts[key] = counts.get(key, 0) + 1
        return counts


@pytest.fixture
async def webhook_receiver() -> AsyncIterator[WebhookReceiver]:
    port = free_port()
    receiver = WebhookReceiver(f"http://127.0.0.1:{port}")

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        valid = signature_is_valid(
            WEBHOOK_SECRET,
            request.headers.get(TIMESTAMP_HEADER, ""),
            body,
            request.headers.get(SIGNATURE_HEADER, ""),
            datetime.now(UTC),
        )
        status = receiver.status_for.get(request.path, 200) if valid else 401
        receiver.requests.append(Received(request.path, dict(request.headers), body, valid, status))
        return web.json_response({"ok": status < 300}, status=status)

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield receiver
    finally:
        await runner.cleanup()


def as_json(body: bytes) -> dict[str, Any]:
    import json

    value: dict[str, Any] = json.loads(body)
    return value
