"""A weak link on loopback: the proxy cuts, blackholes, flaps and throttles what crosses it.

First with plain sockets and an echo server (every byte comes back, so what went through can
be compared), then with a commune's nats-py client publishing to a real, closed nats-server
through the proxy, as an edge server's link to the hub will be (issue 17).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import nats
import nats.errors
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from baocao.embedded import EmbeddedNats
from baocao.link_proxy import LinkProxy
from baocao.nats_identities import NatsIdentities, connect_options
from shared import subjects
from shared.nats_permissions import Unit

pytestmark = pytest.mark.integration

COMMUNE = Unit("01", "00004")
REPORT_SUBJECT = subjects.submitted(COMMUNE.province, COMMUNE.code)


# --- an echo server through the proxy ---------------------------------------------------------


@pytest.fixture
async def echo_port() -> AsyncIterator[int]:
    """A server that sends back every byte, then ends its stream when the client ends its own."""
    writers: set[asyncio.StreamWriter] = set()
    handlers: set[asyncio.Task[Any]] = set()

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.add(writer)
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        try:
            while data := await reader.read(65_536):
                writer.write(data)
                await writer.drain()
            writer.write_eof()
        except ConnectionError:
            pass  # the proxy reset the connection: what a cut is for
        finally:
            writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    for writer in writers:
        writer.transport.abort()
    if handlers:
        await asyncio.wait(handlers, timeout=2)
    await server.wait_closed()


@pytest.fixture
async def proxy(echo_port: int) -> AsyncIterator[LinkProxy]:
    async with LinkProxy(("127.0.0.1", echo_port), seed=17) as started:
        yield started


async def _echoed(proxy: LinkProxy, payload: bytes) -> bytes:
    """Send ``payload`` through the proxy to the echo server and read all of it back."""
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    try:

        async def send() -> None:
            writer.write(payload)
            await writer.drain()
            writer.write_eof()

        sending = asyncio.create_task(send())
        received = await asyncio.wait_for(reader.read(-1), timeout=10)
        await sending
        return received
    finally:
        writer.close()


async def _silent_for(reader: asyncio.StreamReader, seconds: float) -> bool:
    try:
        await asyncio.wait_for(reader.read(1), timeout=seconds)
    except TimeoutError:
        return True
    return False


async def test_bytes_cross_an_unshaped_link_unchanged_and_are_counted(proxy: LinkProxy) -> None:
    payload = random.Random(1).randbytes(1_000_000)

    assert await _echoed(proxy, payload) == payload

    stats = proxy.stats
    assert (stats.bytes_to_target, stats.bytes_from_target) == (1_000_000, 1_000_000)
    assert (stats.state, stats.accepted, stats.refused, stats.dropped) == ("up", 1, 0, 0)
    print(stats.describe())


async def test_a_64_kbit_link_carries_about_8_kilobytes_a_second_each_way(
    proxy: LinkProxy,
) -> None:
    """16 KB for 2 s at 64 kbit/s says what 64 KB in 8 s would, four times faster."""
    proxy.shape(rate_bits_per_second=64_000)
    payload = random.Random(2).randbytes(16_000)

    began = time.monotonic()
    assert await _echoed(proxy, payload) == payload
    took = time.monotonic() - began

    # The bucket's first segment (1,460 bytes) leaves at once, the rest at 8,000 bytes/s. The
    # echo comes back at the same rate alongside; were both directions to share one rate, it
    # would take 3.8 s.
    assert (16_000 - 1_460) / 8_000 <= took < 3.5
    print(f"16,000 bytes each way at 64 kbit/s in {took:.2f} s; {proxy.stats.describe()}")


async def test_a_lossy_jittery_link_stalls_but_delivers_every_byte_in_order(
    proxy: LinkProxy,
) -> None:
    proxy.shape(loss=0.2, jitter_seconds=0.02, retransmission_timeout_seconds=0.05)
    payload = random.Random(3).randbytes(64_000)

    assert await _echoed(proxy, payload) == payload

    assert proxy.stats.stalls > 0
    proxy.unshaped()
    assert await _echoed(proxy, b"fast again") == b"fast again"


async def test_a_refusing_cut_resets_open_connections_and_every_new_one(
    proxy: LinkProxy,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(b"before the cut")
    assert await reader.readexactly(14) == b"before the cut"

    proxy.cut("refuse")

    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(reader.read(1), timeout=2)
    writer.close()
    late_reader, late_writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(late_reader.read(1), timeout=2)
    late_writer.close()
    stats = proxy.stats
    assert (stats.state, stats.open, stats.dropped, stats.refused, stats.cuts) == (
        "refusing",
        0,
        1,
        1,
        1,
    )

    proxy.restore()
    assert await _echoed(proxy, b"after the cut") == b"after the cut"


async def test_a_blackholed_link_holds_everything_silently_until_restored(
    proxy: LinkProxy,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    proxy.cut("blackhole")

    writer.write(b"into the void")
    assert await _silent_for(reader, 0.5)  # no echo, and no reset either
    late_reader, late_writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    late_writer.write(b"late")
    assert await _silent_for(late_reader, 0.3)
    assert (proxy.stats.state, proxy.stats.open, proxy.stats.dropped) == ("blackholed", 2, 0)

    proxy.restore()  # the cable plugged back in before either end gave up

    assert await asyncio.wait_for(reader.readexactly(13), timeout=2) == b"into the void"
    assert await asyncio.wait_for(late_reader.readexactly(4), timeout=2) == b"late"
    for held in (writer, late_writer):
        held.close()


async def test_closing_the_proxy_ends_its_connections_and_flapping(echo_port: int) -> None:
    proxy = await LinkProxy(("127.0.0.1", echo_port)).start()
    port = proxy.port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    flapping = proxy.flap(0.2)

    await proxy.close()

    assert flapping.cancelled()
    with pytest.raises(ConnectionResetError):  # the link is gone, as in a refusing cut
        await asyncio.wait_for(reader.read(1), timeout=2)
    assert proxy.stats.open == 0
    writer.close()
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)


def test_the_proxy_listens_on_loopback_and_forwards_to_loopback_only() -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.1 only"):
        LinkProxy(("127.0.0.1", 4222), listen_host="0.0.0.0")
    with pytest.raises(ValueError, match="loopback only"):
        LinkProxy(("10.0.0.1", 4222))


# --- a commune's NATS client through the proxy -----------------------------------------------


class Watched:
    """A nats-py client through the proxy, with its disconnections and reconnections noted."""

    def __init__(self) -> None:
        self.disconnected = asyncio.Event()
        self.reconnected = asyncio.Event()
        self.connection: Client | None = None

    async def connect(self, url: str, credentials: dict[str, Any], **options: Any) -> Client:
        async def disconnected() -> None:
            self.reconnected.clear()
            self.disconnected.set()

        async def reconnected() -> None:
            self.disconnected.clear()
            self.reconnected.set()

        async def quiet(error: Exception) -> None:
            """Resets and timeouts are what this test causes; the events say enough."""

        self.connection = await nats.connect(
            url,
            **credentials,
            **options,
            disconnected_cb=disconnected,
            reconnected_cb=reconnected,
            error_cb=quiet,
            max_reconnect_attempts=-1,
        )
        return self.connection


@pytest.fixture
async def nats_proxy(nats_server: EmbeddedNats) -> AsyncIterator[LinkProxy]:
    async with LinkProxy((nats_server.host, nats_server.port), seed=17) as started:
        yield started


@pytest.fixture
def commune(nats_identities: NatsIdentities) -> dict[str, Any]:
    """A commune's local system's credentials: it may publish its own reports, nothing else."""
    return connect_options(nats_identities.units("link-proxy-commune", [COMMUNE]))


@pytest.fixture
async def watched() -> AsyncIterator[Watched]:
    client = Watched()
    yield client
    if client.connection is not None:
        await client.connection.close()


# nats-py annotates these as int but only ever sleeps on them; fractions keep the tests short.
QUICK_RECONNECT: dict[str, Any] = {"reconnect_time_wait": 0.1, "connect_timeout": 1}


async def _stored(nats_server: EmbeddedNats, nats_identities: NatsIdentities) -> int:
    """How many reports the hub's stream holds, asked directly, not through the proxy."""
    ops = await nats.connect(nats_server.url, **nats_identities.options("ops"))
    try:
        return (await ops.jetstream().stream_info(subjects.REPORTS_STREAM)).state.messages
    finally:
        await ops.close()


async def test_a_refusing_cut_drops_a_nats_client_which_publishes_again_once_restored(
    nats_proxy: LinkProxy,
    commune: dict[str, Any],
    watched: Watched,
    nats_server: EmbeddedNats,
    nats_identities: NatsIdentities,
) -> None:
    client = await watched.connect(nats_proxy.url(), commune, **QUICK_RECONNECT)
    js = client.jetstream(timeout=2)
    await js.publish(REPORT_SUBJECT, b'{"before": "the cut"}')

    nats_proxy.cut("refuse")
    # At once, by the reset: its ping interval is the default two minutes.
    await asyncio.wait_for(watched.disconnected.wait(), timeout=1)
    await asyncio.sleep(0.5)  # it keeps trying, and is turned away each time
    assert nats_proxy.stats.refused >= 1
    assert not client.is_connected

    nats_proxy.restore()
    await asyncio.wait_for(watched.reconnected.wait(), timeout=3)
    ack = await js.publish(REPORT_SUBJECT, b'{"after": "the cut"}')

    assert ack.stream == subjects.REPORTS_STREAM
    assert await _stored(nats_server, nats_identities) == 2
    assert nats_proxy.stats.dropped == 1


async def test_a_blackholed_nats_client_notices_only_by_its_own_pings(
    nats_proxy: LinkProxy, commune: dict[str, Any], watched: Watched
) -> None:
    # Three unanswered pings half a second apart: noticed 1 to 1.5 s after the cut.
    pings = {"ping_interval": 0.5, "max_outstanding_pings": 2}
    client = await watched.connect(nats_proxy.url(), commune, **QUICK_RECONNECT, **pings)
    js = client.jetstream(timeout=2)
    await js.publish(REPORT_SUBJECT, b"{}")

    nats_proxy.cut("blackhole")
    cut_at = time.monotonic()
    await asyncio.sleep(0.6)
    assert client.is_connected  # no reset, no end of stream: nothing to notice yet
    await asyncio.wait_for(watched.disconnected.wait(), timeout=3)
    noticed_after = time.monotonic() - cut_at

    nats_proxy.restore()
    await asyncio.wait_for(watched.reconnected.wait(), timeout=5)
    await js.publish(REPORT_SUBJECT, b"{}")

    assert noticed_after >= 0.9
    assert nats_proxy.stats.dropped == 0
    print(f"blackholed client noticed after {noticed_after:.2f} s; {nats_proxy.stats.describe()}")


async def _publish_until_stored(js: JetStreamContext, number: int) -> int:
    """Publish report ``number``, again and again until the hub acknowledges it; the message
    id lets the stream drop a copy stored by an attempt whose acknowledgement was lost."""
    attempts = 0
    while True:
        attempts += 1
        try:
            await js.publish(
                REPORT_SUBJECT,
                f'{{"n": {number}}}'.encode(),
                timeout=0.5,
                headers={"Nats-Msg-Id": f"link-proxy-{number}"},
            )
            return attempts
        except (nats.errors.Error, TimeoutError):
            await asyncio.sleep(0.05)


async def test_a_flapping_link_loses_no_report_published_with_retries(
    nats_proxy: LinkProxy,
    commune: dict[str, Any],
    watched: Watched,
    nats_server: EmbeddedNats,
    nats_identities: NatsIdentities,
) -> None:
    client = await watched.connect(nats_proxy.url(), commune, **QUICK_RECONNECT)
    js = client.jetstream()
    flapping = nats_proxy.flap(0.5, jitter_seconds=0.1, for_seconds=3.0)

    attempts = 0
    for number in range(30):
        attempts += await _publish_until_stored(js, number)
        await asyncio.sleep(0.08)
    cuts = await flapping

    assert await _stored(nats_server, nats_identities) == 30
    assert cuts >= 2
    assert nats_proxy.stats.dropped >= 1  # the flaps did cut the client off
    print(f"30 reports in {attempts} attempts over {cuts} cuts; {nats_proxy.stats.describe()}")
