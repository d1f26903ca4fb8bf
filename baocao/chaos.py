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
What a run breaks is :mod:`baocao.chaos_config`, how it breaks it :mod:`baocao.chaos_disruptions`,
the checks :mod:`baocao.chaos_checks`, and the report :mod:`baocao.chaos_result`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import nats

from baocao.chaos_checks import check_consumers, check_statuses, disruption_problems, settle
from baocao.chaos_config import KILL_STEP, NATIONAL_MIX, ChaosConfig
from baocao.chaos_disruptions import Chaos, Disruption
from baocao.chaos_result import CHECKS, ChaosResult
from baocao.load import LoadPlan, latest_open_periods, plan_national
from baocao.sending import Sender
from baocao.service_specs import SERVICE_NAMES
from baocao.simulate import Target, check_oracle, registry_with
from baocao.stack import Stack
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
SEND_TICK = 0.25


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
        settled = await settle(plan, target, config.settle_timeout, say)
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
            "services": disruption_problems(chaos, config) + chaos.unexpected_exits,
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


# The parts of a run stay importable from here.
__all__ = [
    "CHECKS",
    "KILL_STEP",
    "NATIONAL_MIX",
    "SERVICE_NAMES",
    "Chaos",
    "ChaosConfig",
    "ChaosResult",
    "Disruption",
    "chaos_command",
    "check_consumers",
    "check_statuses",
    "paced_send",
    "private_environment",
    "run_chaos",
]
