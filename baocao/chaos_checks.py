"""The guarantees a chaos run checks once the system has settled, each of which can fail.

First the run waits for Central to show every report and the consumers to drain; then every
receipt has the verdict the plan implies, in PostgreSQL and over intake's status endpoint;
nothing is stuck on the durable consumers or dead-lettered; the planned disruptions happened.
(Counting exactly once is the oracle's check, :func:`baocao.simulate.check_oracle`.)
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Mapping

import asyncpg
import httpx
from nats.js import JetStreamContext

from baocao.chaos_config import ChaosConfig
from baocao.chaos_disruptions import Chaos
from baocao.load import LoadPlan
from baocao.service_specs import SERVICE_NAMES
from baocao.simulate import Target
from baocao.stack import Stack
from baocao.watching import CONSUMERS, wait_drained, wait_for_central
from shared import subjects

Say = Callable[[str], None]


async def settle(plan: LoadPlan, target: Target, timeout: float, say: Say) -> list[str]:
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


def expected_statuses(plan: LoadPlan) -> tuple[dict[str, str], dict[str, str]]:
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
    verdicts, statuses = expected_statuses(plan)
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


def disruption_problems(chaos: Chaos, config: ChaosConfig) -> list[str]:
    """The planned disruptions that did not happen: too few kills, a service never killed,
    nats-server or PostgreSQL not restarted exactly once."""
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
