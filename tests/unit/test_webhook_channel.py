"""The webhook channel resolves the host once, checks every address, and sends to a checked
address under the URL's host name; a refused target fails for good, naming only its reason."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import httpx
import pytest

from services.notifier.adapters.channels import (
    Resolver,
    WebhookChannel,
    system_resolver,
)
from services.notifier.domain import webhook_targets as targets
from services.notifier.domain.delivery import SIGNATURE_HEADER
from services.notifier.domain.webhook_targets import WebhookPolicy
from services.notifier.usecases.ports import DeliveryFailed
from shared.schemas import Notice

NOTICE = Notice(
    notice_id="unit-1:kl226-quarterly:2026-Q4:commune:00070",
    kind="reminder",
    stage="unit-1",
    recipient="00070",
    unit="00070",
    unit_name="Phường Hoàn Kiếm",
    report_type="kl226-quarterly",
    period="2026-Q4",
    deadline=None,
    message_vi="Nhắc nhở",
    message_en="Reminder",
)
SECRET = "webhook-secret-for-tests-0123456789"


class Receiver:
    """Answers every request with ``status``; keeps what it was asked, and which addresses it
    pretends not to be reachable at."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.unreachable: set[str] = set()
        self.status = 200

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host in self.unreachable:
            raise httpx.ConnectError("connection refused", request=request)
        self.requests.append(request)
        return httpx.Response(self.status, text="ok")


def resolver(answers: dict[str, list[str]], asked: list[str] | None = None) -> Resolver:
    async def resolve(host: str, port: int) -> list[str]:
        if asked is not None:
            asked.append(host)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return answers[host]

    return resolve


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
async def client(receiver: Receiver) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as client:
        yield client


def channel(
    client: httpx.AsyncClient,
    answers: dict[str, list[str]],
    policy: WebhookPolicy | None = None,
    asked: list[str] | None = None,
) -> WebhookChannel:
    return WebhookChannel(client, policy or WebhookPolicy(), resolver(answers, asked))


async def test_the_request_goes_to_the_checked_address_under_the_urls_host_name(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    asked: list[str] = []
    webhook = channel(client, {"hook.hoankiem.gov.vn": ["203.113.131.1"]}, asked=asked)

    await webhook.send(NOTICE, "https://hook.hoankiem.gov.vn:8443/baocao?x=1", SECRET)

    [request] = receiver.requests
    assert asked == ["hook.hoankiem.gov.vn"]  # once: the address checked is the one used
    assert str(request.url) == "https://203.113.131.1:8443/baocao?x=1"
    assert request.headers["host"] == "hook.hoankiem.gov.vn:8443"
    assert request.extensions["sni_hostname"] == "hook.hoankiem.gov.vn"
    assert request.headers["connection"] == "close"
    assert request.headers[SIGNATURE_HEADER].startswith("sha256=")


async def test_an_ipv6_address_is_used_in_brackets(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    webhook = channel(client, {"hook.example.vn": ["2606:4700::1111"]})

    await webhook.send(NOTICE, "http://hook.example.vn/x", SECRET)

    assert str(receiver.requests[0].url) == "http://[2606:4700::1111]/x"
    assert receiver.requests[0].headers["host"] == "hook.example.vn"


async def test_the_next_address_is_tried_when_one_takes_no_connection(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.unreachable.add("2606:4700::1111")
    webhook = channel(client, {"hook.example.vn": ["2606:4700::1111", "203.113.131.1"]})

    await webhook.send(NOTICE, "https://hook.example.vn/x", SECRET)

    assert [r.url.host for r in receiver.requests] == ["203.113.131.1"]


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (["127.0.0.1"], targets.LOOPBACK),
        (["169.254.169.254"], targets.LINK_LOCAL),
        (["10.0.0.7"], targets.PRIVATE),
        (["::ffff:192.168.0.1"], targets.PRIVATE),
        # A rebinding name: one public address and one internal one. Every one is checked.
        (["203.113.131.1", "127.0.0.1"], targets.LOOPBACK),
    ],
)
async def test_a_name_resolving_to_an_internal_address_fails_for_good_naming_only_the_reason(
    client: httpx.AsyncClient, receiver: Receiver, answers: list[str], expected: str
) -> None:
    webhook = channel(client, {"hook.example.vn": answers})

    with pytest.raises(DeliveryFailed) as failed:
        await webhook.send(NOTICE, "http://hook.example.vn/x", SECRET)

    assert failed.value.permanent
    assert str(failed.value).startswith(f"{expected}: ")
    assert not any(address in str(failed.value) for address in answers)
    assert receiver.requests == []


async def test_an_internal_address_in_the_url_is_refused_before_any_lookup(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    asked: list[str] = []
    webhook = channel(client, {}, asked=asked)

    for url, expected in [
        ("http://0x7f000001/x", targets.ODD_NOTATION),
        ("http://localhost:8083/", targets.LOOPBACK),
        ("http://[::1]/", targets.LOOPBACK),
    ]:
        with pytest.raises(DeliveryFailed, match=f"^{expected}: ") as failed:
            await webhook.send(NOTICE, url, SECRET)
        assert failed.value.permanent
    assert asked == []
    assert receiver.requests == []


async def test_an_allow_listed_address_is_reached(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    policy = WebhookPolicy.parse("127.0.0.1/32")
    webhook = channel(client, {"hook.test": ["127.0.0.1"], "127.0.0.1": ["127.0.0.1"]}, policy)

    await webhook.send(NOTICE, "http://hook.test:9000/x", SECRET)
    await webhook.send(NOTICE, "http://127.0.0.1:9000/y", SECRET)

    assert [str(r.url) for r in receiver.requests] == [
        "http://127.0.0.1:9000/x",
        "http://127.0.0.1:9000/y",
    ]


async def test_production_refuses_plain_http_for_good(client: httpx.AsyncClient) -> None:
    webhook = channel(
        client, {"hook.example.vn": ["203.113.131.1"]}, WebhookPolicy(https_only=True)
    )

    with pytest.raises(DeliveryFailed, match=f"^{targets.NOT_HTTPS}: ") as failed:
        await webhook.send(NOTICE, "http://hook.example.vn/x", SECRET)

    assert failed.value.permanent


async def test_a_name_that_does_not_resolve_is_tried_again_later_without_the_resolvers_words(
    client: httpx.AsyncClient,
) -> None:
    webhook = channel(client, {"empty.example.vn": []})

    for url in ("http://nowhere.example.vn/x", "http://empty.example.vn/x"):
        with pytest.raises(DeliveryFailed) as failed:
            await webhook.send(NOTICE, url, SECRET)
        assert not failed.value.permanent
        assert str(failed.value).startswith(f"{targets.UNRESOLVED}: ")
        assert "Name or service" not in str(failed.value)


async def test_a_receiver_answering_an_error_is_a_failure_to_try_again(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.status = 503
    webhook = channel(client, {"hook.example.vn": ["203.113.131.1"]})

    with pytest.raises(DeliveryFailed, match="HTTP 503") as failed:
        await webhook.send(NOTICE, "https://hook.example.vn/x", SECRET)

    assert not failed.value.permanent
    assert failed.value.http_status == 503


async def test_the_system_resolver_gives_each_address_once() -> None:
    assert await system_resolver("127.0.0.1", 80) == ["127.0.0.1"]
    addresses = await system_resolver("localhost", 443)
    assert addresses
    assert len(addresses) == len(set(addresses))
