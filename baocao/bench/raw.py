"""The ceiling: what JetStream and PostgreSQL do with nothing of Baocao in the way.

Measured with the same client libraries the services use, on events the size of a real report.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
import nats
from nats.js.api import AckPolicy, ConsumerConfig, StorageType, StreamConfig

RAW_STREAM = "BENCH_RAW"
WINDOW = 2000
FETCH_BATCH = 256


@dataclass(frozen=True)
class RawFigures:
    messages: int
    publish_per_s: float
    consume_per_s: float
    publish_consume_per_s: float  # one message in and out again: N / (publish + consume time)
    upsert_rows_per_s: float


async def jetstream_ceiling(
    nats_url: str, options: Mapping[str, Any], payload: bytes, count: int
) -> tuple[float, float]:
    """Async publish ``count`` messages (PubAck for each), then pull-consume and ack them all."""
    # As ops: only ops may create, purge and delete a stream.
    connection = await nats.connect(nats_url, **options)
    js = connection.jetstream(timeout=30)
    try:
        await js.add_stream(
            StreamConfig(name=RAW_STREAM, subjects=["bench.raw.>"], storage=StorageType.FILE)
        )
        await js.purge_stream(RAW_STREAM)
        started = time.perf_counter()
        for first in range(0, count, WINDOW):
            futures = [
                await js.publish_async(f"bench.raw.{n % 34:02d}.{n:05d}", payload)
                for n in range(first, min(first + WINDOW, count))
            ]
            await asyncio.gather(*futures)
        published = time.perf_counter() - started

        subscription = await js.pull_subscribe(
            "bench.raw.>",
            durable="bench-raw",
            stream=RAW_STREAM,
            config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, max_ack_pending=FETCH_BATCH * 8),
        )
        started = time.perf_counter()
        received = 0
        while received < count:
            for message in await subscription.fetch(FETCH_BATCH, timeout=5):
                await message.ack()
                received += 1
        await connection.flush()
        consumed = time.perf_counter() - started
        await js.delete_stream(RAW_STREAM)
    finally:
        await connection.close()
    return published, consumed


async def upsert_ceiling(database_url: str, body: str, count: int) -> float:
    """Rows per second asyncpg upserts into a jsonb table, in batches of 256 per transaction."""
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "CREATE TEMP TABLE bench_upsert (key text PRIMARY KEY, body jsonb NOT NULL,"
            " seq bigint NOT NULL)"
        )
        rows = [(f"{n % (count // 2):08d}", body, n) for n in range(count)]
        started = time.perf_counter()
        for first in range(0, count, 256):
            async with connection.transaction():
                await connection.executemany(
                    "INSERT INTO bench_upsert VALUES ($1, $2::jsonb, $3) ON CONFLICT (key)"
                    " DO UPDATE SET body = excluded.body, seq = excluded.seq"
                    " WHERE bench_upsert.seq < excluded.seq",
                    rows[first : first + 256],
                )
        return count / (time.perf_counter() - started)
    finally:
        await connection.close()


async def measure_raw(
    nats_url: str, options: Mapping[str, Any], database_url: str, payload: bytes, count: int
) -> RawFigures:
    published, consumed = await jetstream_ceiling(nats_url, options, payload, count)
    upserts = await upsert_ceiling(database_url, json.dumps(json.loads(payload)["values"]), count)
    return RawFigures(
        count, count / published, count / consumed, count / (published + consumed), upserts
    )
