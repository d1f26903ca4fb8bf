"""Where a rebuild reads accepted verdicts from: the validator's verdicts (the view over its
submissions table), or the REPORTS stream itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError

from shared import subjects
from shared.schemas import Verdict

FETCH_BATCH = 1000


async def from_database(
    pool: asyncpg.Pool[Any], report_type: str | None, period: str | None
) -> AsyncIterator[Verdict]:
    """Every accepted verdict on record, in the order the validator stored them."""
    query = "SELECT verdict FROM verdicts WHERE status = 'accepted'"
    arguments: list[str] = []
    for column, value in (("report_type", report_type), ("period", period)):
        if value is not None:
            arguments.append(value)
            query += f" AND {column} = ${len(arguments)}"
    async with pool.acquire() as connection, connection.transaction():
        async for row in connection.cursor(query + " ORDER BY stream_seq", *arguments):
            yield Verdict.model_validate(row["verdict"])


async def from_stream(
    js: JetStreamContext, report_type: str | None, period: str | None
) -> AsyncIterator[Verdict]:
    """Every accepted verdict the REPORTS stream still holds (it keeps 550 days), read by an
    ephemeral consumer from the first message; the live durable consumers are not touched."""
    subscription = await js.pull_subscribe(
        f"{subjects.ACCEPTED}.>",
        stream=subjects.REPORTS_STREAM,
        config=ConsumerConfig(
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.NONE,
            inactive_threshold=60.0,
        ),
    )
    try:
        while True:
            info = await subscription.consumer_info()
            if info.num_pending == 0:
                return
            try:
                messages = await subscription.fetch(FETCH_BATCH, timeout=5)
            except TimeoutError:
                continue
            for message in messages:
                try:
                    verdict = Verdict.model_validate_json(message.data)
                except ValidationError:
                    continue  # parked by the live consumer as a dead letter; not a report
                if report_type not in (None, verdict.report_type):
                    continue
                if period not in (None, verdict.period):
                    continue
                yield verdict
    finally:
        await subscription.unsubscribe()
