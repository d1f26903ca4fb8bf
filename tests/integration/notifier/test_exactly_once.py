"""Two notifier processes share the outbox; one is SIGKILLed in the middle of its batch. Every
(unit, report type, period, stage, channel) is still delivered exactly once: counted on NATS,
at the SMTP server and at the webhook receiver."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import nats
import pytest

from baocao.embedded import EmbeddedNats, free_port
from baocao.nats_identities import ops_options
from shared.clock import ClockSegment
from shared.clock_sync import append_segment
from shared.periods import VIETNAM
from tests.integration.conftest import service_url
from tests.integration.notifier.conftest import SECRETS_KEY, SmtpServer, WebhookReceiver
from tests.integration.notifier.helpers import (
    all_units,
    give_contacts,
    mark_submitted,
    shared_clock_user,
    stream_notices,
)
from tests.integration.notifier.test_channels import KL226

pytestmark = pytest.mark.integration

LATE_COUNT = 90  # late communes, each with e-mail and a webhook: 270 deliveries
CONCURRENCY = 4


def start_notifier(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "services.notifier"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def wait_for(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.02)
    raise AssertionError(f"{what}: not within {timeout}s")


async def hold_claimed_deliveries(pool: Any, held: list[tuple[Any, Any, tuple[str, str]]]) -> str:
    """Lock the last ``CONCURRENCY`` deliveries of the batch one worker has claimed and not
    begun; its worker id."""

    async def claimed_not_begun() -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await pool.fetch(
            "SELECT notice_id, channel, claimed_by FROM notification_deliveries"
            " WHERE status = 'pending' AND attempts = 0 AND claimed_by IS NOT NULL"
            " ORDER BY claimed_by, notice_id, channel"
        )
        return rows

    victim_worker = ""
    while len(held) < CONCURRENCY:
        rows = await wait_for(claimed_not_begun, 60, "a batch claimed")
        victim_worker = victim_worker or rows[0]["claimed_by"]
        # The last of its batch (it sends in this order): it sends the first ones, then blocks.
        for row in reversed([r for r in rows if r["claimed_by"] == victim_worker]):
            if len(held) == CONCURRENCY:
                break
            lock = await pool.acquire()
            transaction = lock.transaction()
            await transaction.start()
            locked = await lock.fetchrow(
                "SELECT attempts FROM notification_deliveries"
                " WHERE notice_id = $1 AND channel = $2 FOR UPDATE SKIP LOCKED",
                row["notice_id"],
                row["channel"],
            )
            if locked is None or locked["attempts"] != 0:
                await transaction.rollback()  # it is being sent now: not a safe point
                await pool.release(lock)
                continue
            held.append((lock, transaction, (row["notice_id"], row["channel"])))
    return victim_worker


async def prepare(
    nats_server: EmbeddedNats,
    database_url: str,
    smtp_server: SmtpServer,
    webhook_receiver: WebhookReceiver,
    catalog_dir: Path,
) -> tuple[list[str], dict[str, str]]:
    """The late communes (with contacts), the shared clock set, the notifiers' environment."""
    communes = await all_units(database_url, "commune")
    late = communes[:LATE_COUNT]
    provinces = await all_units(database_url, "province")
    await mark_submitted(database_url, KL226, "2026-Q4", communes[LATE_COUNT:] + provinces)
    await give_contacts(database_url, late, webhook_receiver.url)
    connection = await nats.connect(nats_server.url, **ops_options())
    # Both processes follow the shared clock: 16 Dec 2026, 10:00, unit-1 day for communes.
    await append_segment(
        connection.jetstream(),
        ClockSegment(datetime.now(VIETNAM), datetime(2026, 12, 16, 10, tzinfo=VIETNAM), 0),
    )
    await connection.close()
    env = {
        **os.environ,
        "NATS_URL": nats_server.url,
        "DATABASE_URL": service_url(database_url, "notifier"),
        "NATS_CREDS": str(shared_clock_user("notifier")),
        "BAOCAO_CLOCK": "shared",
        "BAOCAO_CATALOG_DIR": str(catalog_dir),
        "BAOCAO_LOG_FORMAT": "json",
        "NOTIFIER_SMTP_HOST": smtp_server.host,
        "NOTIFIER_SMTP_PORT": str(smtp_server.port),
        "NOTIFIER_TICK_SECONDS": "0.2",
        "NOTIFIER_RELAY_SECONDS": "0.1",
        "NOTIFIER_LEASE_SECONDS": "3",
        "NOTIFIER_SEND_TIMEOUT_SECONDS": "1.5",
        "NOTIFIER_SEND_CONCURRENCY": str(CONCURRENCY),
        "NOTIFIER_BATCH_SIZE": "40",
        "NOTIFIER_WEBHOOK_ALLOW": "127.0.0.1/32",  # the receiver's address
        "NOTIFIER_SECRETS_KEY": SECRETS_KEY,  # one key for both processes
    }
    return late, env


async def test_two_notifiers_one_killed_mid_batch_deliver_everything_exactly_once(
    nats_server: EmbeddedNats,
    database_url: str,
    smtp_server: SmtpServer,
    webhook_receiver: WebhookReceiver,
    catalog_dir: Path,
    tmp_path: Path,
) -> None:
    late, env = await prepare(nats_server, database_url, smtp_server, webhook_receiver, catalog_dir)
    processes = {
        name: start_notifier({**env, "NOTIFIER_PORT": str(free_port())}, tmp_path / f"{name}.log")
        for name in ("a", "b")
    }
    pids = {str(p.pid): name for name, p in processes.items()}
    pool = await asyncpg.create_pool(
        database_url, min_size=CONCURRENCY + 1, max_size=CONCURRENCY + 2
    )
    assert pool is not None
    # (connection, its open transaction, the delivery it locks)
    held: list[tuple[Any, Any, tuple[str, str]]] = []
    try:
        # Stop one replica in the middle of a batch, at a point where no message is half
        # sent: hold row locks on the next deliveries it has claimed but not begun, so it
        # blocks right before sending them, with more of its batch behind them.
        victim_worker = await hold_claimed_deliveries(pool, held)
        victim = processes[pids[victim_worker.split(":")[1]]]

        async def victim_stuck() -> bool:
            before = await pool.fetchval(
                "SELECT count(*) FROM notification_attempts WHERE worker = $1", victim_worker
            )
            await asyncio.sleep(0.5)
            after = await pool.fetchval(
                "SELECT count(*) FROM notification_attempts WHERE worker = $1", victim_worker
            )
            return bool(before == after)

        await wait_for(victim_stuck, 30, "the victim blocked on the held deliveries")
        sent_by_victim = await pool.fetchval(
            "SELECT count(*) FROM notification_attempts WHERE worker = $1 AND outcome = 'sent'",
            victim_worker,
        )
        left_by_victim = await pool.fetchval(
            "SELECT count(*) FROM notification_deliveries WHERE claimed_by = $1"
            " AND status = 'pending'",
            victim_worker,
        )
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        held_keys = [key for _, _, key in held]
        for lock, transaction, _ in held:
            await transaction.rollback()
            await pool.release(lock)
        held.clear()

        async def all_closed() -> bool:
            pending = await pool.fetchval(
                "SELECT count(*) FROM notification_deliveries WHERE status <> 'sent'"
            )
            total = await pool.fetchval("SELECT count(*) FROM notification_deliveries")
            return bool(total == 3 * LATE_COUNT and pending == 0)

        await wait_for(all_closed, 60, "every delivery sent by the survivor")
        await asyncio.sleep(0.5)  # anything sent twice would have arrived by now

        # The deliveries the victim had claimed and was about to send: the survivor sent them.
        # (The victim's blocked statement may still record an attempt once the lock goes, its
        # process dead: an attempt with no outcome, "in doubt", that sent nothing.)
        senders_of_held = {
            key: await pool.fetchval(
                "SELECT array_agg(worker) FROM notification_attempts"
                " WHERE notice_id = $1 AND channel = $2 AND outcome = 'sent'",
                *key,
            )
            for key in held_keys
        }
    finally:
        for lock, transaction, _ in held:
            await transaction.rollback()
            await pool.release(lock)
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(15)
        await pool.close()

    expected = {f"unit-1:{KL226}:2026-Q4:commune:{code}" for code in late}
    on_nats = Counter(n["notice_id"] for n in await stream_notices(nats_server.url))
    assert on_nats == dict.fromkeys(expected, 1)
    assert smtp_server.mailbox.by_notice() == dict.fromkeys(expected, 1)
    assert webhook_receiver.by_delivery() == dict.fromkeys(expected, 1)
    assert len(webhook_receiver.requests) == LATE_COUNT  # not one request more
    assert sent_by_victim > 0  # it was killed in the middle, not before it began
    assert left_by_victim >= CONCURRENCY  # with claimed work left: at least the held rows
    survivor = next(w for w in senders_of_held.values() if w)[0]
    assert survivor != victim_worker
    assert all(workers == [survivor] for workers in senders_of_held.values())
