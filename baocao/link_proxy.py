"""A TCP proxy on loopback that a test, or the chaos script, makes into a weak link.

It stands between two parties (an edge nats-server and the hub, or a client and a server) and
can cut the link, flap it, or slow it down, while counting what it forwarded::

    async with LinkProxy(("127.0.0.1", hub_port), seed=7) as link:
        ...  # the edge's leaf node connects to link.url()
        link.shape(rate_bits_per_second=64_000, loss=0.02, jitter_seconds=0.1)
        link.cut("blackhole")  # until restore(): hours of simulated time, if the test says so
        link.restore()
        print(link.stats.describe())

What it can do, and what a userspace proxy cannot:

- ``cut("refuse")`` resets every open connection (RST, by ``SO_LINGER`` 0) and resets each new
  one as soon as it is accepted: a dead route. The listening socket stays open, so a connect
  succeeds an instant before the reset; a router would refuse the SYN itself.
- ``cut("blackhole")`` forwards nothing and closes nothing: open connections freeze, new ones
  are accepted and held without a word, as when a cable is pulled. The peers notice only by
  their own ping timeouts (a real one would not even finish a new handshake: here a connect
  succeeds and the wait for the first bytes times out instead). What is still open at
  ``restore()`` carries on with its held bytes (a cable plugged back in); a peer that gave up
  meanwhile sees its closing passed on then.
- ``shape(...)`` throttles each direction to a rate (a token bucket shared by all connections)
  and models loss and reordering *as TCP makes them look*. Both legs of the proxy are reliable,
  in-order loopback TCP; it cannot drop or reorder the peers' packets. So a lost segment
  becomes the stall its retransmission causes (a timeout, doubled for each loss in a row) and
  reordering becomes extra delay; either way the segments behind wait, and the bytes arrive in
  order. The peers' own TCP stacks never see a loss: their congestion windows, RTT estimates
  and SACK do not react, and nothing is corrupted. The arithmetic is in
  :mod:`baocao.link_shaping`.

An end of stream is passed on (``write_eof``) after the bytes before it, like any segment.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import math
import random
import socket
import struct
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, replace
from typing import Literal, TypeVar

from baocao.link_shaping import UNSHAPED, LinkPlan, LinkShape, flap_schedule

CutMode = Literal["refuse", "blackhole"]
Direction = Literal["to_target", "from_target"]
LOOPBACK = "127.0.0.1"
T = TypeVar("T")
_UNSHAPED_READ_BYTES = 64 * 1024
# Segments read ahead of their delivery, per connection and direction: the receive window.
_WINDOW_SEGMENTS = 64


@dataclass
class LinkStats:
    """What the proxy has done so far, for a test's assertions and a script's progress lines."""

    state: str = "up"  # "up", "refusing" or "blackholed"
    open: int = 0  # connections open now (held ones included)
    accepted: int = 0  # every connection the listener took, refused ones included
    refused: int = 0  # reset on arrival, the link being cut
    dropped: int = 0  # reset by a cut while open
    bytes_to_target: int = 0
    bytes_from_target: int = 0
    stalls: int = 0  # segments held back by a modelled loss
    cuts: int = 0

    def describe(self) -> str:
        return (
            f"link {self.state}: {self.open} open, {self.accepted} accepted, {self.refused}"
            f" refused, {self.dropped} dropped; {self.bytes_to_target:,} B to the target,"
            f" {self.bytes_from_target:,} B back; {self.stalls} stalls; {self.cuts} cuts"
        )


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with an RST, as a dead route's peer would see it, not a polite FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class LinkProxy:
    """Listens on 127.0.0.1 and forwards each connection to ``target``, as weak as told.

    ``seed`` fixes the losses, jitter and flaps drawn (one random stream each), so a run can be
    repeated; what interleaves with them on the event loop may still differ.
    """

    def __init__(
        self,
        target: tuple[str, int],
        *,
        listen_host: str = LOOPBACK,
        listen_port: int = 0,
        seed: int = 0,
    ) -> None:
        if listen_host != LOOPBACK:
            raise ValueError(f"a link proxy listens on {LOOPBACK} only, not {listen_host!r}")
        if not ipaddress.ip_address(target[0]).is_loopback:
            raise ValueError(f"a link proxy forwards to loopback only, not {target[0]!r}")
        self.target = target
        self._listen_port = listen_port
        self._seed = seed
        self._server: asyncio.Server | None = None
        self._closed = False
        self._state = "up"
        self._up = asyncio.Event()
        self._up.set()
        self._counters = LinkStats()  # its state and open count are filled in when read
        # Each open connection's task, and its sockets: the client's, then the target's.
        self._connections: dict[asyncio.Task[None], list[asyncio.StreamWriter]] = {}
        self._tasks: set[asyncio.Task[object]] = set()  # connections' and flaps', to cancel
        self._plans: dict[Direction, LinkPlan] = {}
        self._flaps = random.Random(f"{seed}:flaps")
        self._apply(UNSHAPED)

    async def start(self) -> LinkProxy:
        self._server = await asyncio.start_server(self._accept, LOOPBACK, self._listen_port)
        return self

    async def __aenter__(self) -> LinkProxy:
        return await self.start()

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the link proxy has not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    def url(self, scheme: str = "nats") -> str:
        return f"{scheme}://{LOOPBACK}:{self.port}"

    @property
    def stats(self) -> LinkStats:
        """A snapshot: later traffic does not change it."""
        return replace(self._counters, state=self._state, open=len(self._connections))

    def cut(self, mode: CutMode = "refuse") -> None:
        """Cut the link until :meth:`restore`: ``refuse`` resets, ``blackhole`` goes silent."""
        if mode not in ("refuse", "blackhole"):
            raise ValueError(f"a link is cut by 'refuse' or 'blackhole', not {mode!r}")
        if self._state == "up":
            self._counters.cuts += 1
        self._state = "refusing" if mode == "refuse" else "blackholed"
        self._up.clear()
        if mode == "refuse":
            for task in list(self._connections):
                self._reset(task)
                self._counters.dropped += 1

    def restore(self) -> None:
        self._state = "up"
        self._up.set()

    def shape(
        self,
        *,
        rate_bits_per_second: float | None = None,
        loss: float = 0.0,
        jitter_seconds: float = 0.0,
        retransmission_timeout_seconds: float = 0.2,
    ) -> None:
        """Slow the link down from now on; see :class:`~baocao.link_shaping.LinkShape`."""
        self._apply(
            LinkShape(rate_bits_per_second, loss, jitter_seconds, retransmission_timeout_seconds)
        )

    def unshaped(self) -> None:
        self._apply(UNSHAPED)

    def flap(
        self,
        every_seconds: float,
        *,
        jitter_seconds: float = 0.0,
        mode: CutMode = "refuse",
        for_seconds: float = math.inf,
    ) -> asyncio.Task[int]:
        """Cut and restore in turn (up first), each phase ``every_seconds`` give or take
        ``jitter_seconds``, for ``for_seconds``. Await the task for the number of cuts, or
        cancel it; either way the link ends restored, and :meth:`close` cancels it too."""
        schedule = flap_schedule(every_seconds, jitter_seconds, for_seconds, self._flaps)
        return self._track(self._flap(schedule, mode))

    async def close(self) -> None:
        """Stop listening, end every connection and flapper, and wait for all of them."""
        self._closed = True
        if self._server is not None:
            self._server.close()
        for connection in list(self._connections):
            self._reset(connection)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        # The aborted transports close their sockets on the loop's next turn.
        await asyncio.sleep(0)

    def _apply(self, shape: LinkShape) -> None:
        self._plans = {
            direction: LinkPlan(shape, random.Random(f"{self._seed}:{direction}"))
            for direction in ("to_target", "from_target")
        }

    def _track(self, work: Coroutine[object, object, T]) -> asyncio.Task[T]:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _reset(self, connection: asyncio.Task[None]) -> None:
        for writer in self._connections.pop(connection, []):
            _reset(writer)
        connection.cancel()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # A plain callback that starts a task of the proxy's own: start_server's task for a
        # coroutine would report a connection cancelled by a cut as an error.
        self._counters.accepted += 1
        if self._state == "refusing" or self._closed:
            self._counters.refused += 1
            _reset(writer)
            return
        writers = [writer]
        self._connections[self._track(self._forward(reader, writers))] = writers

    async def _forward(
        self, client: asyncio.StreamReader, writers: list[asyncio.StreamWriter]
    ) -> None:
        try:
            await self._up.wait()  # a blackholed link holds a new connection without a word
            target, target_writer = await asyncio.open_connection(*self.target)
            writers.append(target_writer)
            async with asyncio.TaskGroup() as group:
                group.create_task(self._pump(client, target_writer, "to_target"))
                group.create_task(self._pump(target, writers[0], "from_target"))
        except* OSError:
            pass  # a peer reset or went away (or the target is down): the connection ends
        finally:
            if (task := asyncio.current_task()) is not None:
                self._connections.pop(task, None)
            for writer in writers:
                writer.close()

    async def _flap(self, schedule: Iterator[tuple[bool, float]], mode: CutMode) -> int:
        cuts = 0
        try:
            for down, seconds in schedule:
                if down:
                    self.cut(mode)
                    cuts += 1
                else:
                    self.restore()
                await asyncio.sleep(seconds)
        finally:
            self.restore()
        return cuts

    async def _pump(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, direction: Direction
    ) -> None:
        """One direction: segments are read, paced and planned here, delivered in order."""
        loop = asyncio.get_running_loop()
        in_flight: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue(_WINDOW_SEGMENTS)
        async with asyncio.TaskGroup() as group:
            group.create_task(self._deliver(in_flight, sink, direction))
            arrives = 0.0
            while True:
                plan = self._plans[direction]
                size = plan.shape.segment_bytes if plan.shape.shaped else _UNSHAPED_READ_BYTES
                data = await source.read(size)
                await self._up.wait()  # nothing crosses a blackholed link, not even an end
                if not data:
                    await in_flight.put((arrives, b""))
                    return
                delivery = plan.deliver(len(data), loop.time())
                self._counters.stalls += delivery.retransmissions > 0
                # In order: a late segment holds back every segment behind it.
                arrives = max(arrives, delivery.arrives_at)
                await in_flight.put((arrives, data))
                await asyncio.sleep(max(0.0, delivery.departs_at - loop.time()))

    async def _deliver(
        self,
        in_flight: asyncio.Queue[tuple[float, bytes]],
        sink: asyncio.StreamWriter,
        direction: Direction,
    ) -> None:
        loop = asyncio.get_running_loop()
        while True:
            arrives, data = await in_flight.get()
            await asyncio.sleep(max(0.0, arrives - loop.time()))
            await self._up.wait()
            if not data:
                if sink.can_write_eof():
                    sink.write_eof()
                return
            sink.write(data)
            await sink.drain()
            if direction == "to_target":
                self._counters.bytes_to_target += len(data)
            else:
                self._counters.bytes_from_target += len(data)
