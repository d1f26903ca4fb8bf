"""The three ways a notice reaches its recipient: NATS, e-mail over SMTP, a signed webhook.

Each ``send`` returns when the channel has taken the message (a PubAck, the SMTP server's 250
after the data, a 2xx) and raises :class:`DeliveryFailed` otherwise.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib
import httpx
from nats.js import JetStreamContext

from services.notifier.domain import delivery
from shared import cloudevents, subjects, telemetry
from shared.consuming import is_transient
from shared.schemas import Notice, NoticeDeadLettered


class DeliveryFailed(Exception):
    """The channel did not take the message. ``permanent``: trying again cannot help (NATS
    refused it for what it is); ``outage``: our own backbone is down, not the recipient."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        permanent: bool = False,
        outage: bool = False,
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.permanent = permanent
        self.outage = outage


class NatsChannel:
    def __init__(self, js: JetStreamContext) -> None:
        self._js = js

    async def send(self, notice: Notice, now: datetime, carrier: Mapping[str, str]) -> None:
        subject = subjects.notify(notice.recipient)
        headers = cloudevents.headers(
            event_id=notice.notice_id,
            event_type=cloudevents.notice_type(notice.kind),
            service="notifier",
            subject=notice.submission_id or notice.notice_id,
            time=now,
        )
        span = telemetry.send_span(
            subjects.NOTIFY,
            subject,
            parent=carrier or None,
            attributes={
                telemetry.UNIT: notice.unit,
                telemetry.REPORT_TYPE: notice.report_type,
                telemetry.PERIOD: notice.period,
                "messaging.message.id": notice.notice_id,
                "baocao.notice.stage": notice.stage,
            },
        )
        try:
            telemetry.inject(headers, span)
            # A resend after a crash carries the same Nats-Msg-Id: the stream drops it.
            await self._js.publish(
                subject,
                notice.model_dump_json().encode(),
                stream=subjects.NOTIFY_STREAM,
                headers=headers,
            )
        except Exception as error:
            transient = is_transient(error)
            raise DeliveryFailed(repr(error), permanent=not transient, outage=transient) from error
        finally:
            span.end()

    async def dead_letter(self, event: NoticeDeadLettered) -> None:
        event_id = f"dead:{event.notice_id}:{event.channel}"
        await self._js.publish(
            subjects.notify_dead_letter(event.recipient),
            event.model_dump_json().encode(),
            stream=subjects.NOTIFY_STREAM,
            headers=cloudevents.headers(
                event_id=event_id,
                event_type=cloudevents.DEAD_LETTERED,
                service="notifier",
                subject=event.notice_id,
                time=event.at,
            ),
        )


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    start_tls: bool | None = None  # None: if the server offers it
    use_tls: bool = False
    timeout: float = 10.0


def message_id(notice_id: str) -> str:
    """The same for every attempt, so a mail store that sees a resend can tell it is one."""
    return f"<{hashlib.sha256(notice_id.encode()).hexdigest()[:32]}@baocao.notify>"


def email_of(
    notice: Notice, sender: str, recipients: tuple[str, ...], now: datetime
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = notice.subject_vi or notice.subject_en
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(notice.notice_id)
    message["Content-Language"] = "vi, en"
    message["X-Baocao-Notice"] = notice.notice_id
    # Vietnamese first; English below it for a reader (or a mail filter) without Vietnamese.
    message.set_content(
        f"{notice.message_vi}\n\n---\n{notice.subject_en}\n\n{notice.message_en}\n",
        charset="utf-8",
    )
    return message


class EmailChannel:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def send(self, notice: Notice, recipients: tuple[str, ...], now: datetime) -> None:
        config = self.config
        try:
            await aiosmtplib.send(
                email_of(notice, config.sender, recipients, now),
                hostname=config.host,
                port=config.port,
                username=config.username,
                password=config.password,
                start_tls=config.start_tls,
                use_tls=config.use_tls,
                timeout=config.timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            status = getattr(error, "code", None)
            raise DeliveryFailed(
                repr(error), http_status=status if isinstance(status, int) else None
            ) from error


class WebhookChannel:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def send(self, notice: Notice, url: str, secret: str) -> None:
        body = notice.model_dump_json().encode()
        # Real time, not the system clock: the receiver checks it against its own clock.
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            delivery.DELIVERY_HEADER: notice.notice_id,
            delivery.EVENT_HEADER: cloudevents.notice_type(notice.kind),
            delivery.TIMESTAMP_HEADER: timestamp,
            delivery.SIGNATURE_HEADER: delivery.signature(secret, timestamp, body),
        }
        try:
            response = await self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryFailed(repr(error)) from error
        if not 200 <= response.status_code < 300:
            raise DeliveryFailed(
                f"HTTP {response.status_code}: {response.text[:200]}",
                http_status=response.status_code,
            )
