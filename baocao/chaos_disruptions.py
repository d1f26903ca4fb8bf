"""The chaos itself: services SIGKILLed one at a time, nats-server and PostgreSQL restarted once.

:class:`Chaos` paces its disruptions over the send phase of a chaos run (:mod:`baocao.chaos`),
aims each kill at a service that is ready and holding messages, keeps killing while the backlog
is processed, and records every :class:`Disruption`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import nats
from nats.js import JetStreamContext

from baocao.chaos_config import ChaosConfig
from baocao.service_specs import SERVICE_NAMES
from baocao.stack import Stack
from baocao.watching import CONSUMERS, backlog
from shared import subjects

Say = Callable[[str], None]

READY_TIMEOUT = 120.0
MAX_START_ATTEMPTS = 5
IN_FLIGHT_WAIT = 3.0
BACKLOG_IN_FLIGHT_WAIT = 40.0  # longer than the consumers' ack_wait (30 s)


@dataclass(frozen=True)
class Disruption:
    """One kill or restart: when, of what, in which phase, and what was waiting at the time."""

    at: float  # seconds since sending began
    kind: str  # "kill", "nats" or "postgres"
    target: str
    phase: str  # "sending" or "backlog"
    backlog: int | None  # messages the consumers had not yet acknowledged, just before
    in_flight: int | None  # for a consumer's service: its messages delivered but not yet acked
    down_for: float

    def describe(self) -> str:
        action = "SIGKILL" if self.kind == "kill" else "restart"
        waiting = "?" if self.backlog is None else f"{self.backlog:,}"
        held = "" if self.in_flight is None else f", {self.in_flight:,} in its hands"
        return (
            f"[{self.at:6.1f} s] {action} {self.target:<11} while {self.phase}:"
            f" backlog {waiting}{held}; down {self.down_for:.1f} s"
        )


class Chaos:
    """Kills and restarts, one at a time, while the round is sent and processed."""

    def __init__(
        self,
        stack: Stack,
        config: ChaosConfig,
        watcher: JetStreamContext,
        rng: random.Random,
        say: Say,
    ) -> None:
        self.stack = stack
        self.config = config
        self.watcher = watcher
        self.rng = rng
        self.say = say
        self.disruptions: list[Disruption] = []
        self.unexpected_exits: list[str] = []
        self.phase = "sending"
        self.began = time.monotonic()
        self._targets = self._cycle()

    def _cycle(self) -> Iterator[str]:
        while True:
            names = list(SERVICE_NAMES)
            self.rng.shuffle(names)
            yield from names

    def elapsed(self) -> float:
        return time.monotonic() - self.began

    @property
    def kill_count(self) -> int:
        return sum(1 for d in self.disruptions if d.kind == "kill")

    async def run(self, sending_done: asyncio.Event) -> None:
        """Disrupt all through sending, then ``after_sending`` more kills (or as many as the
        total still needs) while the backlog is processed.

        While sending, the k-th disruption is due around k steps into the planned send phase
        (one step per planned disruption, jittered), whatever the previous ones cost; the
        restarts of nats-server and PostgreSQL come at about a third and two thirds. If sending
        outlasts the plan, kills go on at the same pace until the last receipt."""
        config = self.config
        actions = ["kill"] * config.during_sending
        actions.insert(round(0.65 * len(actions)), "postgres")
        actions.insert(round(0.35 * len(actions)), "nats")
        step = config.planned_send_seconds / len(actions)
        for k in itertools.count():
            due = (k + 0.5 + self.rng.uniform(-0.4, 0.4)) * step
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sending_done.wait(), max(due - self.elapsed(), 0.2))
            if sending_done.is_set():
                break
            action = actions.pop(0) if actions else "kill"
            await (self.kill_next() if action == "kill" else self.restart(action))
        self.phase = "backlog"
        for kind in actions:
            if kind != "kill":
                await self.restart(kind)
        for _ in range(max(config.after_sending, config.kills - self.kill_count)):
            await asyncio.sleep(self.rng.uniform(0.3, 1.0))
            await self.kill_next()

    async def kill_next(self) -> None:
        name = next(self._targets)
        await self.ready([name])  # each kill hits a service that is up and working
        held = await self.until_in_flight(name) if name in CONSUMERS else None
        waiting = await self.backlog()
        self.stack.kill_service(name)
        down = self.rng.uniform(*self.config.down_for)
        self.record("kill", name, waiting, held, down)
        await asyncio.sleep(down)
        self.stack.start_service(name)

    async def restart(self, kind: str) -> None:
        await self.ready(list(SERVICE_NAMES))  # the outage hits every service while it runs
        waiting = await self.backlog()
        down = self.rng.uniform(*self.config.infra_down_for)
        self.record(kind, "nats-server" if kind == "nats" else "postgresql", waiting, None, down)
        action = self.stack.restart_nats if kind == "nats" else self.stack.restart_postgres
        await asyncio.to_thread(action, down)
        self.say(f"[{self.elapsed():6.1f} s] {kind} is back")

    def record(
        self, kind: str, target: str, waiting: int | None, held: int | None, down: float
    ) -> None:
        disruption = Disruption(self.elapsed(), kind, target, self.phase, waiting, held, down)
        self.disruptions.append(disruption)
        self.say(disruption.describe())

    async def ready(self, names: Sequence[str]) -> None:
        """Wait for ``names`` to be ready. One that exited on its own is noted (a failure of
        the run) and started again, as a supervisor would, a few times at most."""
        for _ in range(MAX_START_ATTEMPTS):
            self.restart_exited()
            try:
                await asyncio.to_thread(self.stack.wait_ready, list(names), READY_TIMEOUT)
            except RuntimeError:  # it exited while we waited
                continue
            return
        raise RuntimeError(f"{', '.join(names)} keeps exiting; see {self.stack.logs}")

    def restart_exited(self) -> None:
        for name, process in list(self.stack.children.items()):
            if process.poll() is not None:
                note = f"{name} exited on its own (code {process.returncode}) at {self.elapsed():.1f} s"
                self.unexpected_exits.append(note)
                self.say(f"[{self.elapsed():6.1f} s] {note}; starting it again")
                self.stack.start_service(name)

    async def until_in_flight(self, durable: str) -> int | None:
        """Wait until ``durable``'s service is at work: messages were just delivered to it and
        are not yet acknowledged, so killing it now strands them and JetStream must redeliver
        them. While sending this is a matter of moments; after it, the backlog may be waiting
        out ``ack_wait``, so the wait is longer (unless nothing is left to process). Returns how
        many messages it held."""
        limit = IN_FLIGHT_WAIT if self.phase == "sending" else BACKLOG_IN_FLIGHT_WAIT
        deadline = time.monotonic() + limit
        seen: int | None = None
        held: int | None = None
        while time.monotonic() < deadline:
            with contextlib.suppress(nats.errors.Error, OSError, TimeoutError):
                info = await self.watcher.consumer_info(subjects.REPORTS_STREAM, durable)
                delivered, held = info.delivered.consumer_seq, info.num_ack_pending
                if seen is not None and delivered != seen and held:
                    return held
                seen = delivered
                if self.phase == "backlog" and not await backlog(self.watcher):
                    return held  # nothing left to process: kill it idle
            await asyncio.sleep(0.01)
        return held

    async def backlog(self) -> int | None:
        """Messages the consumers have not yet acknowledged; None if NATS does not answer."""
        try:
            return await asyncio.wait_for(backlog(self.watcher), 2)
        except (nats.errors.Error, OSError, TimeoutError):
            return None
