"""`baocao chaos`: a reporting round sent while services, NATS and PostgreSQL are killed.

The system runs as real processes (``Stack``: nats-server, PostgreSQL, the four services) in a
private directory on ephemeral ports. A planned round (``plan_national``: every report type,
invalid reports, corrections, exact re-sends, missing units; some over HTTP, the rest straight
onto NATS) is sent by a ``Sender`` that retries until it holds a receipt, paced so that the send
phase lasts long enough for the disruptions to land all through it. Meanwhile the chaos task
SIGKILLs one service at a time, cycling through all four, and starts it again a moment later;
restarts nats-server once and PostgreSQL once; and keeps killing services after the last
receipt, while the consumers still work through their backlog.

Then everything is brought back up and left to settle, and the guarantees are checked, each of
which can fail:

1. every report with a receipt is counted exactly once: every province and Central equal the
   oracle, summed from the plan without the system's code;
2. every submission with a receipt has a final verdict in ``submissions`` (the one the plan
   implies), and a sample reads the same through intake's status endpoint;
3. nothing is stuck: both durable consumers have nothing pending or unacknowledged, and nothing
   was dead-lettered;
4. no service died except when killed, and the disruptions asked for really happened.

``run_chaos`` is the driver; ``baocao chaos`` (``make chaos``) and ``tests/faults`` both use it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import os
import random
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import asyncpg
import httpx
import nats
from nats.js import JetStreamContext

from baocao.load import LoadPlan, Mix, latest_open_periods, plan_national
from baocao.sending import Sender
from baocao.simulate import Target, check_oracle, registry_with
from baocao.stack import SERVICES, Stack
from baocao.watching import CONSUMERS, backlog, wait_drained, wait_for_central
from shared import subjects
from shared.catalog import Catalog
from shared.periods import VIETNAM

Say = Callable[[str], None]

# The run is private: it starts its own servers and services, whatever the environment says.
_OWN_VARIABLES = (
    "NATS_URL",
    "DATABASE_URL",
    "BAOCAO_",
    "INTAKE_",
    "VALIDATOR_",
    "AGGREGATOR_",
    "NOTIFIER_",
)
SERVICE_NAMES = tuple(spec.name for spec in SERVICES)
READY_TIMEOUT = 120.0
MAX_START_ATTEMPTS = 5
# Seconds planned per disruption while sending (a kill's down time included), when the send
# phase's length is not given: dense enough for 20 kills in about a minute of sending.
KILL_STEP = 2.5
SEND_TICK = 0.25
IN_FLIGHT_WAIT = 3.0
BACKLOG_IN_FLIGHT_WAIT = 40.0  # longer than the consumers' ack_wait (30 s)
# The load module's noise (missing, invalid, corrected, re-sent), with both ways in exercised.
NATIONAL_MIX = Mix(over_http=0.3)


@dataclass(frozen=True)
class ChaosConfig:
    """What one run sends and breaks. The defaults are ``make chaos``: the whole nation."""

    kills: int = 24
    provinces: tuple[str, ...] | None = None
    seed: int = 2026
    mix: Mix = NATIONAL_MIX
    kills_after_sending: int | None = None  # default: a sixth of the kills, at least 2
    send_seconds: float | None = None  # default: enough for the kills planned during sending
    down_for: tuple[float, float] = (0.2, 1.5)  # how long a killed service stays down
    infra_down_for: tuple[float, float] = (0.5, 2.0)  # how long nats-server / PostgreSQL stay down
    status_sample: int = 200
    settle_timeout: float = 300.0

    @property
    def after_sending(self) -> int:
        if self.kills_after_sending is not None:
            return self.kills_after_sending
        return min(self.kills, max(2, self.kills // 6))

    @property
    def during_sending(self) -> int:
        return max(self.kills - self.after_sending, 0)

    @property
    def planned_send_seconds(self) -> float:
        if self.send_seconds is not None:
            return self.send_seconds
        return max(15.0, KILL_STEP * (self.during_sending + 2))


@dataclass(frozen=True)
class Disruption:
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


@dataclass
class ChaosResult:
    plan: LoadPlan
    periods: list[str]
    disruptions: list[Disruption]
    receipts: int
    refused: dict[str, int]
    retries: int
    redelivered: dict[str, int]
    unexpected_exits: list[str]
    seconds: dict[str, float]
    failures: dict[str, list[str]]
    run_dir: Path

    @property
    def kills(self) -> Counter[str]:
        return Counter(d.target for d in self.disruptions if d.kind == "kill")

    def restarts(self, kind: str) -> int:
        return sum(1 for d in self.disruptions if d.kind == kind)

    def kills_in(self, phase: str) -> int:
        return sum(1 for d in self.disruptions if d.kind == "kill" and d.phase == phase)

    @property
    def holds(self) -> bool:
        return not any(self.failures.values())

    def summary(self) -> str:
        plan, seconds = self.plan, self.seconds
        over_http = sum(1 for p in plan.all if p.channel == "http")
        kills = self.kills
        lines = [
            f"round: {len(plan.all):,} submissions for {', '.join(self.periods)}"
            f" ({plan.count('report'):,} reports, {plan.count('invalid')} invalid,"
            f" {plan.count('correction')} corrections, {plan.count('duplicate')} duplicates;"
            f" {over_http:,} over HTTP, {len(plan.all) - over_http:,} straight onto NATS)",
            f"kills: {sum(kills.values())} SIGKILLs ("
            + ", ".join(f"{name} {kills[name]}" for name in SERVICE_NAMES)
            + f"; {self.kills_in('sending')} while sending, {self.kills_in('backlog')} during"
            f" the backlog); nats-server restarted {self.restarts('nats')}x,"
            f" PostgreSQL restarted {self.restarts('postgres')}x",
            f"sender: {self.receipts:,} receipts, {len(self.refused)} refused,"
            f" {self.retries:,} retries; redelivered: "
            + ", ".join(f"{name} {count:,}" for name, count in self.redelivered.items()),
            f"durations: start {seconds['start']:.1f} s, sending {seconds['sending']:.1f} s,"
            f" backlog chaos {seconds['backlog']:.1f} s, recovery {seconds['recovery']:.1f} s"
            f" (last disruption to settled), total {seconds['total']:.1f} s",
        ]
        for check, problems in self.failures.items():
            lines.append(f"  {'FAIL' if problems else 'ok  '} {CHECKS[check]}")
            lines.extend(f"       {p}" for p in problems[:20])
            if len(problems) > 20:
                lines.append(f"       ... and {len(problems) - 20} more")
        lines.append(
            "RESULT: every guarantee held"
            if self.holds
            else f"RESULT: FAILED (logs in {self.run_dir / 'logs'})"
        )
        return "\n".join(lines)


CHECKS = {
    "oracle": "counted exactly once: every province and Central equal the oracle",
    "statuses": "every receipt has its final verdict (in PostgreSQL and over HTTP)",
    "consumers": "nothing stuck: no message pending, unacknowledged or dead-lettered",
    "services": "no service died unless killed; the planned disruptions happened",
}


def private_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(_OWN_VARIABLES)}


def run_chaos(config: ChaosConfig, run_dir: Path, say: Say) -> ChaosResult:
    """Start a private system in ``run_dir``, send a round through the chaos, check it."""
    catalog = Catalog.load()
    periods = latest_open_periods(catalog, datetime.now(VIETNAM))
    plan = plan_national(
        registry_with([]),
        catalog,
        periods,
        mix=config.mix,
        seed=config.seed,
        provinces=config.provinces,
    )
    labels = [f"{code} {period.label}" for code, period in sorted(periods.items())]
    say(f"plan: {len(plan.all):,} submissions for {', '.join(labels)}")
    started = time.monotonic()
    stack = Stack(run_dir, private_environment(), random_ports=True, say=say)
    with _quiet_nats_client():
        try:
            stack.start()
            start_seconds = time.monotonic() - started
            result = asyncio.run(_drive(stack, plan, labels, catalog, config, say))
        finally:
            stack.stop()
    result.seconds["start"] = start_seconds
    result.seconds["total"] = time.monotonic() - started
    return result


@contextlib.contextmanager
def _quiet_nats_client() -> Iterator[None]:
    """The sender's NATS client logs a traceback for every failed reconnect while nats-server
    is down; those outages are ours, and announced as they happen."""
    logger = logging.getLogger("nats.aio.client")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


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
        try:
            return await asyncio.wait_for(backlog(self.watcher), 2)
        except (nats.errors.Error, OSError, TimeoutError):
            return None


async def paced_send(sender: Sender, plan: LoadPlan, seconds: float, say: Say) -> None:
    """Send the first wave, then the second, at a rate that spreads them over ``seconds``.

    Each slice waits for all its receipts, as ``Sender.send`` does, so the second wave starts
    only once every first-wave report holds one: the order the oracle relies on."""
    total = len(plan.all)
    rate = total / seconds
    per_tick = max(1, round(rate * SEND_TICK))
    loop = asyncio.get_running_loop()
    began, sent, shown = loop.time(), 0, 0
    for items, label in ((plan.first, "reports"), (plan.second, "corrections and re-sends")):
        for start in range(0, len(items), per_tick):
            await sender.send(items[start : start + per_tick], label)
            sent += len(items[start : start + per_tick])
            if sent * 10 // total > shown:
                shown = sent * 10 // total
                say(
                    f"[{loop.time() - began:6.1f} s] sent {sent:,}/{total:,}"
                    f" ({len(sender.outcome.receipts):,} ids hold a receipt,"
                    f" {sender.outcome.retries:,} retries)"
                )
            delay = began + sent / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)


async def _drive(
    stack: Stack,
    plan: LoadPlan,
    periods: list[str],
    catalog: Catalog,
    config: ChaosConfig,
    say: Say,
) -> ChaosResult:
    target = Target.of(stack)
    rng = random.Random(config.seed)
    watcher = await nats.connect(
        stack.nats_url, max_reconnect_attempts=-1, reconnect_time_wait=0.25, **target.ops
    )
    seconds: dict[str, float] = {}
    try:
        chaos = Chaos(stack, config, watcher.jetstream(timeout=5), rng, say)
        sending_done = asyncio.Event()
        async with Sender(
            nats_url=target.nats_url,
            intake_url=target.intake_url,
            issuer=target.issuer,
            identities=target.nats,
        ) as sender:

            async def send() -> None:
                await paced_send(sender, plan, config.planned_send_seconds, say)
                seconds["sending"] = chaos.elapsed()
                sending_done.set()
                say(f"[{chaos.elapsed():6.1f} s] every submission holds a receipt")

            async with asyncio.TaskGroup() as group:
                group.create_task(send())
                group.create_task(chaos.run(sending_done))
        seconds["backlog"] = chaos.elapsed() - seconds["sending"]
        last = time.monotonic()
        say("chaos over; waiting for every service to be ready and the pipeline to settle")
        await chaos.ready(list(SERVICE_NAMES))
        settled = await _settle(plan, target, config.settle_timeout, say)
        seconds["recovery"] = time.monotonic() - last
        stuck, redelivered = await check_consumers(watcher.jetstream(timeout=10))
        failures = {
            "oracle": settled
            + await check_oracle(plan, target.central_url, catalog, target.central_headers),
            "statuses": await check_statuses(
                plan,
                sender.outcome.receipts,
                sender.outcome.refused,
                stack,
                target,
                config.status_sample,
                rng,
            ),
            "consumers": stuck,
            "services": _disruption_problems(chaos, config) + chaos.unexpected_exits,
        }
        return ChaosResult(
            plan=plan,
            periods=periods,
            disruptions=chaos.disruptions,
            receipts=len(sender.outcome.receipts),
            refused=dict(sender.outcome.refused),
            retries=sender.outcome.retries,
            redelivered=redelivered,
            unexpected_exits=chaos.unexpected_exits,
            seconds=seconds,
            failures=failures,
            run_dir=stack.run_dir,
        )
    finally:
        await watcher.close()


async def _settle(plan: LoadPlan, target: Target, timeout: float, say: Say) -> list[str]:
    """Wait for Central to show every report and both consumers to drain; what did not."""
    problems: list[str] = []
    try:
        await wait_for_central(
            target.central_url,
            plan.expected_counts(),
            headers=target.central_headers,
            timeout=timeout,
            progress=say,
        )
    except TimeoutError as error:
        problems.append(f"Central never showed every report within {timeout:.0f} s: {error}")
    try:
        await wait_drained(target.nats_url, target.ops, timeout=timeout)
    except TimeoutError:
        say(f"the consumers did not drain within {timeout:.0f} s")
    return problems


def _expected_statuses(plan: LoadPlan) -> tuple[dict[str, str], dict[str, str]]:
    """Per submission id: its verdict (accepted, rejected), and what the status endpoint says
    once everything has settled (accepted, rejected or superseded by a later report)."""
    current: dict[tuple[str, str, str], str] = {}
    for item in plan.all:
        if item.valid:
            current[(item.report_type, item.period, item.unit.code)] = item.submission_id
    verdicts: dict[str, str] = {}
    statuses: dict[str, str] = {}
    for item in plan.all:
        key = (item.report_type, item.period, item.unit.code)
        verdicts[item.submission_id] = "accepted" if item.valid else "rejected"
        if not item.valid:
            statuses[item.submission_id] = "rejected"
        elif current[key] == item.submission_id:
            statuses[item.submission_id] = "accepted"
        else:
            statuses[item.submission_id] = "superseded"
    return verdicts, statuses


async def check_statuses(
    plan: LoadPlan,
    receipts: Mapping[str, float],
    refused: Mapping[str, int],
    stack: Stack,
    target: Target,
    sample: int,
    rng: random.Random,
) -> list[str]:
    """Every planned submission holds a receipt and has the verdict the plan implies; a
    sample of them reads the same through ``GET /v1/submissions/{id}``."""
    verdicts, statuses = _expected_statuses(plan)
    problems = [f"{sid}: refused with HTTP {status}" for sid, status in sorted(refused.items())]
    problems += [f"{sid}: never got a receipt" for sid in sorted(verdicts.keys() - receipts.keys())]
    connection = await asyncpg.connect(stack.database_url)
    try:
        rows = await connection.fetch(
            "SELECT submission_id, status FROM submissions WHERE submission_id = ANY($1::text[])",
            sorted(receipts),
        )
    finally:
        await connection.close()
    recorded = {r["submission_id"]: r["status"] for r in rows}
    for sid in sorted(receipts.keys() & verdicts.keys()):
        if sid not in recorded:
            problems.append(f"{sid}: receipt but no verdict in submissions")
        elif recorded[sid] != verdicts[sid]:
            problems.append(f"{sid}: verdict {recorded[sid]}, the plan implies {verdicts[sid]}")
    units = {p.submission_id: p.unit.code for p in plan.all}
    judged = sorted(receipts.keys() & verdicts.keys())
    chosen = rng.sample(judged, min(sample, len(judged)))
    async with httpx.AsyncClient(base_url=target.intake_url, timeout=30) as client:
        for sid in chosen:
            response = await client.get(
                f"/v1/submissions/{sid}", headers=target.issuer.headers(units[sid])
            )
            status = response.json().get("status") if response.status_code == 200 else None
            if status != statuses[sid]:
                problems.append(
                    f"{sid}: GET status answers {response.status_code} {status},"
                    f" expected {statuses[sid]}"
                )
    return problems


async def check_consumers(js: JetStreamContext) -> tuple[list[str], dict[str, int]]:
    """Anything still pending or unacknowledged on the two consumers, or dead-lettered; and how
    many deliveries each consumer made beyond the first of every message (its redeliveries)."""
    problems: list[str] = []
    redelivered: dict[str, int] = {}
    for durable in CONSUMERS:
        info = await js.consumer_info(subjects.REPORTS_STREAM, durable)
        if info.num_pending or info.num_ack_pending:
            problems.append(
                f"consumer {durable}: {info.num_pending} pending,"
                f" {info.num_ack_pending} delivered but not acknowledged"
            )
        messages = await _messages_on(js, info.config.filter_subject or ">")
        # Every delivery advances the consumer sequence; first deliveries are the messages
        # no longer pending, so the rest were redeliveries.
        redelivered[durable] = info.delivered.consumer_seq - (messages - info.num_pending)
    for subject, count in (await _subject_counts(js, f"{subjects.DEAD_LETTER}.>")).items():
        problems.append(f"{count} message(s) dead-lettered on {subject}")
    return problems, redelivered


async def _subject_counts(js: JetStreamContext, filter_subject: str) -> dict[str, int]:
    stream = await js.stream_info(subjects.REPORTS_STREAM, subjects_filter=filter_subject)
    return dict(sorted((stream.state.subjects or {}).items()))


async def _messages_on(js: JetStreamContext, filter_subject: str) -> int:
    return sum((await _subject_counts(js, filter_subject)).values())


def _disruption_problems(chaos: Chaos, config: ChaosConfig) -> list[str]:
    kills = Counter(d.target for d in chaos.disruptions if d.kind == "kill")
    problems = []
    if sum(kills.values()) < config.kills:
        problems.append(f"only {sum(kills.values())} kills, {config.kills} wanted")
    if config.kills >= len(SERVICE_NAMES):
        problems += [f"{name} was never killed" for name in SERVICE_NAMES if not kills[name]]
    for kind in ("nats", "postgres"):
        if sum(1 for d in chaos.disruptions if d.kind == kind) != 1:
            problems.append(f"{kind} was not restarted exactly once")
    return problems


def chaos_command(args: argparse.Namespace) -> int:
    def say(message: str) -> None:
        print(message, flush=True)

    config = ChaosConfig(
        kills=args.kills,
        provinces=tuple(args.province) if args.province else None,
        seed=args.seed,
    )
    run_dir = Path(tempfile.mkdtemp(prefix="baocao-chaos-"))
    try:
        result = run_chaos(config, run_dir, say)
    except BaseException:
        say(f"the chaos run broke down; logs are in {run_dir / 'logs'}")
        raise
    say(result.summary())
    if result.holds:
        shutil.rmtree(run_dir, ignore_errors=True)
        return 0
    return 1


__all__ = [
    "ChaosConfig",
    "ChaosResult",
    "Disruption",
    "chaos_command",
    "run_chaos",
]
