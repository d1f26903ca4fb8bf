"""The three ways a notice reaches its recipient: NATS, e-mail over SMTP, a signed webhook.

Each ``send`` returns when the channel has taken the message (a PubAck, the SMTP server's 250
after the data, a 2xx) and raises :class:`DeliveryFailed` otherwise.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib
import httpx
from nats.js import JetStreamContext

from services.notifier.domain import delivery, webhook_targets
from services.notifier.domain.webhook_targets import TargetRefusal, WebhookPolicy
from services.notifier.usecases.ports import DeliveryFailed
from shared import cloudevents, subjects, telemetry
from shared.logging import get_logger
from shared.outages import is_transient
from shared.schemas import Notice, NoticeDeadLettered

log = get_logger(__name__)


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


Resolver = Callable[[str, int], Awaitable[list[str]]]
DEFAULT_PORTS = {"http": 80, "https": 443}


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` has now, in the order the system prefers them."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class WebhookChannel:
    """Signs and POSTs a notice to a unit's webhook, only ever to an address the policy allows.

    The host is resolved here and every address it has is checked (a name with one public and
    one private address is refused); the request then goes to a checked address itself, never
    through a second lookup, which a rebinding DNS server could answer differently. The URL's
    host name still goes in the Host header and in TLS (SNI and certificate check).
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        policy: WebhookPolicy,
        resolver: Resolver = system_resolver,
    ) -> None:
        self._client = client
        self._policy = policy
        self._resolve = resolver

    async def send(self, notice: Notice, url: str, secret: str) -> None:
        target = httpx.URL(url)  # InvalidURL: recorded as a failed attempt like any fault
        host = target.raw_host.decode("ascii")
        addresses = await self._addresses(target, host)
        body = notice.model_dump_json().encode()
        # Real time, not the system clock: the receiver checks it against its own clock.
        timestamp = str(int(time.time()))
        headers = {
            "Host": target.netloc.decode("ascii"),
            # The pool keys connections by address: one opened (and its certificate checked)
            # for another host name at the same address must not carry this request.
            "Connection": "close",
            "Content-Type": "application/json",
            delivery.DELIVERY_HEADER: notice.notice_id,
            delivery.EVENT_HEADER: cloudevents.notice_type(notice.kind),
            delivery.TIMESTAMP_HEADER: timestamp,
            delivery.SIGNATURE_HEADER: delivery.signature(secret, timestamp, body),
        }
        try:
            response = await self._post(target, host, addresses, body, headers)
        except httpx.HTTPError as error:
            raise DeliveryFailed(repr(error)) from error
        if not 200 <= response.status_code < 300:
            raise DeliveryFailed(
                f"HTTP {response.status_code}: {response.text[:200]}",
                http_status=response.status_code,
            )

    async def _post(
        self,
        target: httpx.URL,
        host: str,
        addresses: list[str],
        body: bytes,
        headers: dict[str, str],
    ) -> httpx.Response:
        """To the first of ``addresses`` that takes a connection, as a browser would."""
        *others, last = addresses
        for address in others:
            try:
                return await self._post_to(address, target, host, body, headers)
            except httpx.ConnectError:
                continue
        return await self._post_to(last, target, host, body, headers)

    async def _post_to(
        self, address: str, target: httpx.URL, host: str, body: bytes, headers: dict[str, str]
    ) -> httpx.Response:
        return await self._client.post(
            target.copy_with(host=address),
            content=body,
            headers=headers,
            extensions={"sni_hostname": host},  # the certificate is checked for the name
        )

    async def _addresses(self, target: httpx.URL, host: str) -> list[str]:
        """Where ``target`` may be sent: all its host's addresses, each allowed by the policy.
        A refusal is recorded by its reason, never with the address: the unit reads it in its
        notification history, and must learn nothing of our network from it."""
        refusal = webhook_targets.check_target(target.scheme, host, self._policy)
        if refusal is not None:
            raise DeliveryFailed(str(refusal), permanent=True)
        addresses = await self._lookup(host, target.port or DEFAULT_PORTS.get(target.scheme, 443))
        for address in addresses:
            refusal = webhook_targets.check_address(address, host, self._policy)
            if refusal is not None:
                log.warning(
                    "webhook address refused", host=host, address=address, reason=refusal.reason
                )
                raise DeliveryFailed(str(refusal), permanent=True)
        return addresses

    async def _lookup(self, host: str, port: int) -> list[str]:
        try:
            addresses = await self._resolve(host, port)
        except OSError as error:  # the resolver's own words stay in our logs
            log.warning("webhook host not resolved", host=host, error=repr(error))
            addresses = []
        if not addresses:  # perhaps for a while only: tried again like any failure
            raise DeliveryFailed(str(TargetRefusal.of(webhook_targets.UNRESOLVED)))
        return addresses
