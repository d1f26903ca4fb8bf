"""A real nats-server closed by JWT auth: each identity can do its job and nothing else.

A refused publish or subscription is reported by the server asynchronously (``-ERR
Permissions Violation``), and a refused JetStream request would only time out; so each probe
publishes or subscribes, waits until the server has seen it (:meth:`Probe.settle`: the server
answers in order, so its verdict has arrived by then), and reads the violation. Every forbidden
attempt is counted, here and in the suite's ledger; the module ends by checking none got in.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from functools import partial

import nats
import nats.errors
import pytest
from nats.aio.client import Client, RawCredentials
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from nats.js.kv import KeyValue

from baocao import nats_jwt
from baocao.embedded import EmbeddedNats, free_port
from baocao.nats_authority import Credentials, NatsAuthority
from baocao.nats_provisioning import provision, push_account
from services.aggregator.adapters.feed_subscription import FeedSubscription
from shared import nats_permissions, subjects
from shared.nats_permissions import Permissions, Rules, Unit
from tests.ledger import LEDGER, Ledger

pytestmark = pytest.mark.integration

COMMUNE = Unit("01", "00004")
NEIGHBOUR = Unit("01", "00007")
ELSEWHERE = Unit("79", "26734")


class Forbidden(Ledger):
    """This module's forbidden attempts, each also entered in the suite's ledger."""

    def record(self, what: str, refused: bool) -> None:
        super().record(what, refused)
        LEDGER.record(f"nats: {what}", refused)


@dataclass
class Closed:
    authority: NatsAuthority
    server: EmbeddedNats
    ledger: Forbidden

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def closed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Closed]:
    directory = tmp_path_factory.mktemp("nats-closed")
    authority = NatsAuthority(directory / "auth")
    server = EmbeddedNats(directory / "server", port=free_port(), authority=authority)
    server.start()
    ledger = Forbidden()
    try:
        asyncio.run(_provision(server.url, authority))
        yield Closed(authority, server, ledger)
    finally:
        server.stop()
    print(f"\nforbidden actions tried: {ledger.attempts}, got in: {len(ledger.got_in)}")
    assert ledger.got_in == []


async def _provision(url: str, authority: NatsAuthority) -> None:
    connection = await _connect(url, authority.user_creds("ops", nats_permissions.ops))
    try:
        await provision(connection.jetstream(), shared_clock=True)
    finally:
        await connection.close()


async def _quiet(error: Exception) -> None:
    """nats-py prints a refused connection's traceback unless told where errors go."""


async def _connect(
    url: str, creds: Credentials, error_cb: Callable[[Exception], Awaitable[None]] = _quiet
) -> Client:
    return await nats.connect(
        url,
        user_credentials=RawCredentials(creds.text),
        inbox_prefix=creds.inbox_prefix,
        allow_reconnect=False,
        connect_timeout=2,
        error_cb=error_cb,
    )


class Probe:
    """One identity's connection, noting each permission violation the server reports."""

    def __init__(
        self, creds: Credentials, connection: Client, violations: list[str], ledger: Forbidden
    ) -> None:
        self.name = creds.name
        self.inbox = creds.inbox_prefix
        self.connection = connection
        self.js = connection.jetstream(timeout=2)
        self._violations = violations
        self._ledger = ledger

    @classmethod
    async def open(cls, closed: Closed, creds: Credentials) -> Probe:
        violations: list[str] = []

        async def noted(error: Exception) -> None:
            violations.append(str(error).lower())

        connection = await _connect(closed.url, creds, error_cb=noted)
        return cls(creds, connection, violations, closed.ledger)

    async def refused_publish(self, subject: str, payload: bytes = b"{}") -> bool:
        """Try a forbidden publish (a JetStream API request, if ``subject`` is one)."""
        await self.connection.publish(subject, payload, reply=self.connection.new_inbox())
        return await self._refused("publish to", subject)

    async def refused_subscription(self, subject: str) -> bool:
        subscription = await self.connection.subscribe(subject)
        refused = await self._refused("subscription to", subject)
        await subscription.unsubscribe()
        return refused

    @property
    def violations(self) -> list[str]:
        return list(self._violations)

    async def settle(self) -> None:
        """Until the server has seen everything sent so far. nats-py 2.16's ``flush()`` writes
        its PING straight to the socket, ahead of commands still queued for its flusher task;
        the second flush's PING goes out after them."""
        await self.connection.flush(timeout=2)
        await self.connection.flush(timeout=2)

    async def subscribed(self, subject: str) -> Subscription:
        subscription = await self.connection.subscribe(subject)
        await self.settle()
        return subscription

    async def _refused(self, what: str, subject: str) -> bool:
        await self.settle()
        refused = f'{what} "{subject.lower()}"' in " ".join(self._violations)
        self._ledger.record(f"{self.name}: {what} {subject}", refused)
        return refused

    async def stored(self, subject: str, stream: str) -> int:
        """Publish to a stream and return the sequence of the PubAck."""
        return (await self.js.publish(subject, b"{}", stream=stream)).seq


@pytest.fixture
async def probes(closed: Closed) -> AsyncIterator[dict[str, Probe]]:
    """A connection per identity, opened for the test and closed after it."""
    authority = closed.authority
    minted = {
        "commune": authority.unit_creds("commune", [COMMUNE]),
        "neighbour": authority.unit_creds("neighbour", [NEIGHBOUR]),
        "two units": authority.unit_creds("two units", [COMMUNE, ELSEWHERE]),
        "platform 01": authority.user_creds(
            "platform 01", partial(nats_permissions.province_platform, "01")
        ),
        "intake": authority.user_creds("intake", nats_permissions.intake),
        "validator": authority.user_creds(
            "validator", partial(nats_permissions.validator, shared_clock=True)
        ),
        "aggregator": authority.user_creds("aggregator", nats_permissions.aggregator),
        "notifier": authority.user_creds("notifier", nats_permissions.notifier),
        "reader 01": authority.user_creds(
            "reader 01", partial(nats_permissions.province_reader, "01")
        ),
        "central": authority.user_creds("central", nats_permissions.central_reader),
        "ops": authority.user_creds("ops", nats_permissions.ops),
    }
    opened = {name: await Probe.open(closed, creds) for name, creds in minted.items()}
    yield opened
    for probe in opened.values():
        await probe.connection.close()


async def _last_data(ops: Probe, stream: str, subject: str) -> bytes | None:
    try:
        return (await ops.js.get_last_msg(stream, subject)).data
    except NotFoundError:
        return None


# --- who may connect --------------------------------------------------------------------------


async def refused_connection(closed: Closed, creds: Credentials | None) -> bool:
    """Try to connect with ``creds`` (None: anonymously), which the server must refuse."""
    who = f"connection as {creds.name if creds else 'anonymous'}"
    try:
        if creds is None:
            connection = await nats.connect(
                closed.url, allow_reconnect=False, connect_timeout=2, error_cb=_quiet
            )
        else:
            connection = await _connect(closed.url, creds)
    except nats.errors.Error as error:
        refused = "authorization violation" in str(error).lower()
        closed.ledger.record(who, refused)
        return refused
    closed.ledger.record(who, refused=False)
    await connection.close()
    return False


async def test_an_anonymous_connection_is_refused(closed: Closed) -> None:
    assert await refused_connection(closed, None)


async def test_a_revoked_user_is_refused_without_restarting_the_server(closed: Closed) -> None:
    creds = closed.authority.unit_creds("leaving", [NEIGHBOUR])
    connected = await _connect(closed.url, creds)
    process = closed.server.process
    assert process is not None

    closed.authority.revoke(creds.public_key)
    await push_account(closed.url, closed.authority)

    assert await refused_connection(closed, creds)
    await asyncio.sleep(0.2)
    assert not connected.is_connected  # its open connection was closed too
    assert closed.server.process is process
    assert process.poll() is None
    other = await _connect(closed.url, closed.authority.unit_creds("staying", [NEIGHBOUR]))
    await other.close()
    await connected.close()


async def test_the_unit_key_cannot_mint_a_user_with_permissions_of_its_own(closed: Closed) -> None:
    """A scoped key's users get the template's permissions, never their own: one that carries
    the validator's is refused at connect."""
    authority = closed.authority
    user = nats_jwt.KeyPair.generate(nats_jwt.Role.USER)
    inbox = nats_permissions.inbox_prefix(user.public_key)
    claims = {"type": "user", **nats_jwt.permission_claims(nats_permissions.validator(inbox))}
    token = nats_jwt.encode(
        issuer=authority.account_units,
        subject=user.public_key,
        name="fake validator",
        nats={**claims, "issuer_account": authority.account.public_key},
    )
    forged = Credentials("fake", user.public_key, inbox, token, nats_jwt.creds(token, user.seed))
    assert await refused_connection(closed, forged)


async def test_a_user_minted_without_permissions_gets_the_accounts_default_nothing(
    closed: Closed,
) -> None:
    authority = closed.authority
    user = nats_jwt.KeyPair.generate(nats_jwt.Role.USER)
    token = nats_jwt.encode(
        issuer=authority.account_signing,
        subject=user.public_key,
        name="careless",
        nats={
            "type": "user",
            "issuer_account": authority.account.public_key,
            "subs": -1,  # without it, no subscription at all: the connection is refused
            "data": -1,
            "payload": -1,
        },
    )
    inbox = nats_permissions.inbox_prefix(user.public_key)
    careless = Credentials(
        "careless", user.public_key, inbox, token, nats_jwt.creds(token, user.seed)
    )
    probe = await Probe.open(closed, careless)
    try:
        assert await probe.refused_publish("reports.submitted.01.00004")
        assert await probe.refused_subscription("notify.00004")
    finally:
        await probe.connection.close()


# --- units ------------------------------------------------------------------------------------


async def test_a_commune_gets_a_puback_for_its_own_report(probes: dict[str, Probe]) -> None:
    commune = probes["commune"]
    ack = await commune.js.publish(
        "reports.submitted.01.00004", b'{"mine": true}', stream=subjects.REPORTS_STREAM
    )
    assert ack.stream == subjects.REPORTS_STREAM
    assert (
        await _last_data(probes["ops"], "REPORTS", "reports.submitted.01.00004")
        == b'{"mine": true}'
    )


async def test_a_commune_is_refused_everything_else(probes: dict[str, Probe]) -> None:
    commune, ops = probes["commune"], probes["ops"]
    before = (await ops.js.stream_info(subjects.REPORTS_STREAM)).state.messages
    forbidden = [
        "reports.submitted.01.00007",  # the neighbour's
        "reports.submitted.79.00004",  # its own code under another province
        "reports.accepted.01.00004",
        "reports.rejected.01.00004",
        "reports.deadletter.validator",
        "rollups.updated.bc01.2026-Q1.01",
        "notify.00004",
        "baocao.validate.00007",
        "$JS.API.STREAM.PURGE.REPORTS",
        "$JS.API.STREAM.DELETE.REPORTS",
        "$JS.API.STREAM.UPDATE.REPORTS",
        "$JS.API.STREAM.MSG.GET.REPORTS",
        "$JS.API.STREAM.MSG.DELETE.REPORTS",
        "$JS.API.CONSUMER.CREATE.REPORTS",
        "$JS.API.CONSUMER.CREATE.REPORTS.mine.reports.submitted.01.00004",
        "$JS.API.CONSUMER.DURABLE.CREATE.REPORTS.mine",
        "$JS.API.CONSUMER.MSG.NEXT.REPORTS.validator",
        "$JS.API.CONSUMER.DELETE.REPORTS.validator",
    ]
    refused = [subject for subject in forbidden if await commune.refused_publish(subject)]
    assert refused == forbidden
    # Nothing was stored, purged or deleted behind the refusals.
    assert (await ops.js.stream_info(subjects.REPORTS_STREAM)).state.messages == before
    assert await _last_data(ops, "REPORTS", "reports.submitted.01.00007") is None
    assert (await ops.js.consumer_info("REPORTS", "validator")).name == "validator"


async def test_a_commune_hears_its_own_notices_and_reads_no_one_elses_inbox(
    probes: dict[str, Probe],
) -> None:
    commune = probes["commune"]
    notices = await commune.subscribed("notify.00004")
    await probes["notifier"].stored("notify.00004", subjects.NOTIFY_STREAM)
    assert (await notices.next_msg(timeout=2)).subject == "notify.00004"

    others = [
        "notify.00007",
        "notify.>",
        "notify.deadletter.00004",
        "reports.submitted.01.00004",
        "rollups.updated.>",
        f"{probes['intake'].inbox}.>",
        f"{probes['neighbour'].inbox}.>",
        "_INBOX.>",
        ">",
    ]
    refused = [subject for subject in others if await commune.refused_subscription(subject)]
    assert refused == others


async def test_a_system_for_two_units_submits_for_exactly_those(probes: dict[str, Probe]) -> None:
    two = probes["two units"]
    assert await two.stored("reports.submitted.01.00004", subjects.REPORTS_STREAM)
    assert await two.stored("reports.submitted.79.26734", subjects.REPORTS_STREAM)
    assert await two.refused_publish("reports.submitted.01.00007")
    assert await two.refused_publish("reports.submitted.79.26735")


async def test_a_province_platform_submits_for_its_province_and_nothing_else(
    probes: dict[str, Probe],
) -> None:
    platform = probes["platform 01"]
    assert await platform.stored("reports.submitted.01.00004", subjects.REPORTS_STREAM)
    assert await platform.stored("reports.submitted.01.01", subjects.REPORTS_STREAM)
    assert await platform.refused_publish("reports.submitted.79.26734")
    assert await platform.refused_publish("reports.accepted.01.00004")
    assert await platform.refused_publish("baocao.validate.00004")
    assert await platform.refused_subscription("notify.00004")
    assert await platform.refused_publish(f"$JS.API.STREAM.PURGE.{subjects.REPORTS_STREAM}")


# --- services ---------------------------------------------------------------------------------


async def test_only_the_validator_publishes_verdicts(probes: dict[str, Probe]) -> None:
    validator = probes["validator"]
    for subject in ("reports.accepted.01.00004", "reports.rejected.01.00004"):
        assert await validator.stored(subject, subjects.REPORTS_STREAM)
    assert await validator.stored("reports.deadletter.validator", subjects.REPORTS_STREAM)
    for name in ("intake", "aggregator", "notifier", "central"):
        assert await probes[name].refused_publish("reports.accepted.01.00004")
        assert await probes[name].refused_publish("reports.rejected.01.00004")
    assert await validator.refused_publish("reports.deadletter.aggregator")


async def test_only_the_aggregator_publishes_the_feed(probes: dict[str, Probe]) -> None:
    assert await probes["aggregator"].stored("rollups.updated.bc01.2026-Q1.01", "ROLLUPS")
    for name in ("intake", "validator", "notifier", "reader 01", "central", "commune"):
        assert await probes[name].refused_publish("rollups.updated.bc01.2026-Q1.01")


async def test_only_the_notifier_publishes_notices(probes: dict[str, Probe]) -> None:
    notifier = probes["notifier"]
    assert await notifier.stored("notify.00004", subjects.NOTIFY_STREAM)
    assert await notifier.stored("notify.deadletter.00004", subjects.NOTIFY_STREAM)
    for name in ("intake", "validator", "aggregator"):
        assert await probes[name].refused_publish("notify.00004")


async def test_intake_stores_any_units_report_and_reads_back_when(probes: dict[str, Probe]) -> None:
    intake = probes["intake"]
    ack = await intake.js.publish(
        "reports.submitted.79.26734", b"{}", stream=subjects.REPORTS_STREAM
    )
    stored = await intake.js.get_msg(subjects.REPORTS_STREAM, ack.seq)
    assert stored.subject == "reports.submitted.79.26734"
    assert await intake.refused_publish("$JS.API.STREAM.PURGE.REPORTS")


async def test_only_intake_publishes_a_report_keyed_on_a_communes_behalf(
    probes: dict[str, Probe],
) -> None:
    """The subject intake alone may publish keyed reports on, after checking the mark is the
    caller's own: a commune, a system for two units and a province platform cannot, even for
    units they submit for, so the validator can refuse the mark on every other subject."""
    keyed = subjects.submitted("01", "00004", keyed=True)
    assert keyed == "reports.submitted.01.keyed.00004"
    assert await probes["intake"].stored(keyed, subjects.REPORTS_STREAM)
    for name in ("commune", "two units", "platform 01", "validator", "central"):
        assert await probes[name].refused_publish(keyed), name


async def test_dry_runs_are_asked_per_unit_and_answered_by_the_validator(
    probes: dict[str, Probe],
) -> None:
    async def answer(request: Msg) -> None:
        await request.respond(b'{"status": "accepted", "dry_run": true}')

    await probes["validator"].connection.subscribe(
        f"{nats_permissions.DRY_RUN_PREFIX}.*", queue=subjects.DRY_RUN_QUEUE, cb=answer
    )
    await probes["validator"].settle()
    asked_by_intake = await probes["intake"].connection.request(
        nats_permissions.dry_run("00007"), b"{}", timeout=2
    )
    asked_by_commune = await probes["commune"].connection.request(
        nats_permissions.dry_run("00004"), b"{}", timeout=2
    )
    assert json.loads(asked_by_intake.data) == json.loads(asked_by_commune.data)
    assert await probes["commune"].refused_publish(nats_permissions.dry_run("00007"))
    # The validator may answer a request, not publish to someone's inbox unasked.
    assert await probes["validator"].refused_publish(f"{probes['intake'].inbox}.unasked")


async def test_a_service_can_neither_create_nor_delete_nor_steal_a_consumer(
    probes: dict[str, Probe],
) -> None:
    # Binding, fetching, acking and parking as the validator's user, with no violation:
    # tests/integration/test_subscribers_on_nats.py, with the FastStream subscriber itself.
    validator, ops = probes["validator"], probes["ops"]
    for api in (
        "$JS.API.CONSUMER.CREATE.REPORTS.sneaky.reports.submitted.>",
        "$JS.API.CONSUMER.CREATE.REPORTS.sneaky",
        "$JS.API.CONSUMER.CREATE.REPORTS",
        "$JS.API.CONSUMER.DURABLE.CREATE.REPORTS.sneaky",
        "$JS.API.CONSUMER.DELETE.REPORTS.validator",
        "$JS.API.CONSUMER.MSG.NEXT.REPORTS.notifier-accepted",
        "$JS.ACK.REPORTS.aggregator.1.1.1.1.1",
        "$JS.API.STREAM.CREATE.SNEAKY",
        "$JS.API.STREAM.PURGE.REPORTS",
    ):
        assert await validator.refused_publish(api, json.dumps({"stream_name": "REPORTS"}).encode())
    names = {info.name for info in await ops.js.consumers_info(subjects.REPORTS_STREAM)}
    assert names == {"validator", "aggregator", "notifier-accepted", "notifier-rejected"}


async def test_the_aggregator_serves_the_live_feed_from_ephemeral_consumers(
    probes: dict[str, Probe],
) -> None:
    aggregator, ops = probes["aggregator"], probes["ops"]
    seq = await aggregator.stored("rollups.updated.bc02.2026-Q1.01", "ROLLUPS")
    latest = await aggregator.js.get_last_msg("ROLLUPS", "rollups.updated.bc02.2026-Q1.01")
    assert latest.seq == seq

    feed = await FeedSubscription.open(aggregator.js, "rollups.updated.bc02.*.01", seq - 1)
    try:
        event = await feed.next(timeout=2)
        assert event is not None
        assert event.sequence == seq
    finally:
        await feed.close()
    assert await ops.js.consumers_info("ROLLUPS") == []  # deleted when the client went

    # Ephemeral only, and only on ROLLUPS: the legacy endpoint refuses a durable name.
    reply = await aggregator.connection.request(
        "$JS.API.CONSUMER.CREATE.ROLLUPS",
        json.dumps({"stream_name": "ROLLUPS", "config": {"durable_name": "sneaky"}}).encode(),
        timeout=2,
    )
    assert "error" in json.loads(reply.data)
    assert await aggregator.refused_publish("$JS.API.CONSUMER.CREATE.REPORTS")
    assert await aggregator.refused_publish("$JS.API.CONSUMER.CREATE.ROLLUPS.sneaky.rollups.>")
    assert await aggregator.refused_publish("$JS.API.STREAM.PURGE.ROLLUPS")


async def test_a_consumer_deliver_subject_cannot_reach_the_jetstream_api(
    probes: dict[str, Probe],
) -> None:
    """The server does not check a push consumer's deliver subject against its creator's
    permissions (nats-server #8274): the aggregator can make it deliver ROLLUPS messages to a
    plain subscriber elsewhere. It cannot turn that into stream administration."""
    aggregator, ops = probes["aggregator"], probes["ops"]
    await ops.stored("reports.submitted.99.99998", subjects.REPORTS_STREAM)
    await aggregator.stored("rollups.updated.bc03.2026-Q1.01", "ROLLUPS")
    before = (await ops.js.stream_info(subjects.REPORTS_STREAM)).state.messages
    info = await aggregator.js.add_consumer(
        "ROLLUPS",
        ConsumerConfig(
            deliver_subject="$JS.API.STREAM.PURGE.REPORTS",
            deliver_policy=DeliverPolicy.LAST,
            inactive_threshold=1.0,
        ),
    )
    await asyncio.sleep(0.5)
    await aggregator.js.delete_consumer("ROLLUPS", info.name)
    assert (await ops.js.stream_info(subjects.REPORTS_STREAM)).state.messages >= before


async def test_services_follow_the_shared_clock_but_cannot_write_it(
    probes: dict[str, Probe],
) -> None:
    ops_bucket = await probes["ops"].js.key_value(subjects.CLOCK_BUCKET)
    await ops_bucket.put("schedule", b"[1]")
    validator = probes["validator"]
    bucket = await validator.js.key_value(subjects.CLOCK_BUCKET)
    assert (await bucket.get("schedule")).value == b"[1]"
    watcher = await bucket.watch("schedule")
    try:
        assert await _next_value(watcher) == b"[1]"
        await ops_bucket.put("schedule", b"[1, 2]")
        assert await _next_value(watcher) == b"[1, 2]"
    finally:
        await watcher.stop()  # type: ignore[no-untyped-call]
    assert await validator.refused_publish(f"$KV.{subjects.CLOCK_BUCKET}.schedule")
    assert await validator.refused_publish(f"$JS.API.STREAM.CREATE.KV_{subjects.CLOCK_BUCKET}")
    assert await probes["aggregator"].refused_publish(
        f"$JS.API.STREAM.INFO.KV_{subjects.CLOCK_BUCKET}"
    )


async def _next_value(watcher: KeyValue.KeyWatcher) -> bytes | None:
    """The next value written, past the marker that ends the initial values."""
    while True:
        entry: KeyValue.Entry | None = await watcher.updates(timeout=2)  # type: ignore[no-untyped-call]
        if entry is not None:
            return entry.value


# --- readers and ops --------------------------------------------------------------------------


async def test_a_province_reader_reads_its_province_and_no_other(probes: dict[str, Probe]) -> None:
    reader = probes["reader 01"]
    own = await reader.subscribed("rollups.updated.*.*.01")
    central = await probes["central"].subscribed("rollups.updated.>")
    await probes["aggregator"].stored("rollups.updated.bc01.2026-Q2.01", "ROLLUPS")
    assert (await own.next_msg(timeout=2)).subject == "rollups.updated.bc01.2026-Q2.01"
    assert (await central.next_msg(timeout=2)).subject == "rollups.updated.bc01.2026-Q2.01"

    for subject in ("rollups.updated.*.*.02", "rollups.updated.*.*.VN", "rollups.updated.>", ">"):
        assert await reader.refused_subscription(subject)
    assert await reader.refused_publish("rollups.updated.bc01.2026-Q2.01")
    assert await reader.refused_publish("$JS.API.CONSUMER.CREATE.ROLLUPS")
    assert await probes["central"].refused_subscription("reports.accepted.>")


async def test_ops_can_purge_and_delete(probes: dict[str, Probe]) -> None:
    ops = probes["ops"]
    await ops.stored("reports.submitted.99.99999", subjects.REPORTS_STREAM)
    await ops.js.purge_stream(subjects.REPORTS_STREAM, subject="reports.submitted.99.99999")
    assert await _last_data(ops, "REPORTS", "reports.submitted.99.99999") is None
    await ops.js.add_consumer("ROLLUPS", ConsumerConfig(durable_name="ops-scratch"))
    assert await ops.js.delete_consumer("ROLLUPS", "ops-scratch")


async def test_a_permission_set_minted_for_a_user_is_what_the_server_enforces(
    closed: Closed,
) -> None:
    """An identity made on the spot: the JWT's lists, not anything else, decide."""

    def only_this(inbox: str) -> Permissions:
        return Permissions(
            publish=Rules(allow=("reports.submitted.01.>",), deny=("reports.submitted.01.00007",)),
            subscribe=Rules(allow=(f"{inbox}.>",)),
        )

    probe = await Probe.open(closed, closed.authority.user_creds("custom", only_this))
    try:
        assert await probe.stored("reports.submitted.01.00005", subjects.REPORTS_STREAM)
        assert await probe.refused_publish("reports.submitted.01.00007")
        assert await probe.refused_publish("reports.submitted.02.00005")
        assert await probe.refused_subscription("notify.00005")
    finally:
        await probe.connection.close()
