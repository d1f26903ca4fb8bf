"""The notifier's stores, one contract each, run against the in-memory fakes and PostgreSQL.

Every test takes ``stores``, parametrized by implementation: what passes here for the fake is
what the use-case unit tests may rely on. The outbox's exactly-once properties are part of the
contract: a delivery is claimed by one worker at a time, sent once, and taken over by another
worker after its holder crashed (its lease ran out), never sent by both.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from cryptography.fernet import Fernet

from services.notifier.adapters.accepted_reports import PostgresAcceptedReports
from services.notifier.adapters.contacts import PostgresContactStore, SecretCipher
from services.notifier.adapters.notice_history import PostgresNoticeHistory
from services.notifier.adapters.outbox import PostgresOutbox
from services.notifier.adapters.silent_edges import PostgresSilentEdges
from services.notifier.usecases.ports import (
    AcceptedReports,
    Contact,
    ContactStore,
    NewNotice,
    NoticeHistory,
    Outbox,
    SilentEdges,
)
from shared.db import create_pool
from shared.schemas import Notice
from tests.fakes.notifier import InMemorySilentEdges, memory_stores
from tests.integration.conftest import service_url
from tests.integration.notifier.helpers import mark_submitted

pytestmark = pytest.mark.integration

KL226 = "kl226-quarterly"
HOAN_KIEM, BA_DINH, HANOI = "00070", "00073", "01"
NOW = datetime(2026, 12, 10, 2, tzinfo=UTC)
LEASE = 0.3  # seconds of real time: short, so a crashed holder's lease runs out in the test
ALL = ("nats", "email", "webhook")


@dataclass
class Stores:
    outbox: Outbox
    history: NoticeHistory
    accepted: AcceptedReports
    contacts: ContactStore
    accept: Callable[[str, str, Collection[str]], Awaitable[None]]  # as the validator would
    edges: SilentEdges
    # A quiet spell of a unit's edge link (unit, began, still open), as the validator records it.
    record_spell: Callable[[str, datetime, bool], Awaitable[None]]

    async def accepted_report(self, unit: str, period: str = "2026-Q4") -> None:
        await self.accept(KL226, period, [unit])


@pytest.fixture
async def stores(backend: str | None) -> AsyncIterator[Stores]:
    if backend is None:
        outbox, contacts, accepted = memory_stores()

        async def accept_in_memory(report_type: str, period: str, units: Collection[str]) -> None:
            accepted.accept(report_type, period, units)

        edges = InMemorySilentEdges()

        async def spell_in_memory(unit: str, began: datetime, still_open: bool) -> None:
            if still_open:
                edges.fall_silent(unit, began)

        yield Stores(outbox, outbox, accepted, contacts, accept_in_memory, edges, spell_in_memory)
        return
    # The stores log in as the notifier does; reports are recorded as the validator would.
    pool = await create_pool(service_url(backend, "notifier"), min_size=1, max_size=4)
    cipher = SecretCipher([Fernet.generate_key()])

    async def accept(report_type: str, period: str, units: Collection[str]) -> None:
        await mark_submitted(backend, report_type, period, units)

    async def spell(unit: str, began: datetime, still_open: bool) -> None:
        connection = await asyncpg.connect(service_url(backend, "validator"))
        try:
            await connection.execute(
                "INSERT INTO edge_link_spells (unit, began, silent_until, open)"
                " VALUES ($1, $2::timestamptz, $2::timestamptz + interval '1 hour', $3)",
                unit,
                began,
                still_open,
            )
        finally:
            await connection.close()

    try:
        yield Stores(
            PostgresOutbox(pool),
            PostgresNoticeHistory(pool),
            PostgresAcceptedReports(pool),
            PostgresContactStore(pool, cipher),
            accept,
            PostgresSilentEdges(pool),
            spell,
        )
    finally:
        await pool.close()


def reminder(unit: str, *, period: str = "2026-Q4", stage: str = "unit-1") -> Notice:
    return Notice(
        notice_id=f"{stage}:{KL226}:{period}:commune:{unit}",
        kind="reminder",
        stage=stage,
        level="commune",
        recipient=unit,
        unit=unit,
        unit_name=f"Commune {unit}",
        report_type=KL226,
        period=period,
        deadline=NOW + timedelta(days=5),
        message_vi="Nhắc nộp báo cáo",
        message_en="Please submit your report",
    )


def rejection(unit: str, submission_id: str = "s-1") -> Notice:
    return reminder(unit).model_copy(
        update={
            "notice_id": f"rejection:{submission_id}",
            "kind": "rejection",
            "stage": "rejection",
            "submission_id": submission_id,
        }
    )


def contact(unit: str, *, emails: tuple[str, ...] = (), webhook: bool = False) -> Contact:
    return Contact(
        unit,
        emails,
        f"https://{unit}.example.gov.vn/hook" if webhook else None,
        "webhook-secret-0123456789" if webhook else None,
        HANOI,
        NOW,
    )


async def add(stores: Stores, *notices: Notice, email_from: datetime | None = NOW) -> int:
    added = await stores.outbox.add(
        [NewNotice(n, [n.unit] if n.kind != "rejection" else []) for n in notices],
        NOW,
        email_from=email_from,
    )
    return added.total()


async def claim(
    stores: Stores,
    worker: str,
    *,
    channels: Collection[str] = ALL,
    now: datetime = NOW,
    only: Collection[str] | None = None,
) -> list[tuple[str, str]]:
    claimed = await stores.outbox.claim(
        worker, 100, now, channels=channels, lease_seconds=LEASE, only=only
    )
    return [(c.notice.notice_id, c.channel) for c in claimed]


# --- the outbox: recording notices ------------------------------------------------------------


async def test_a_notice_is_recorded_once_whatever_times_it_is_added(stores: Stores) -> None:
    notice = reminder(HOAN_KIEM)

    first = await add(stores, notice)
    again = await add(stores, notice)

    assert (first, again) == (1, 0)
    assert await stores.outbox.unsent_count() == 1  # NATS only: no contacts
    assert await stores.outbox.scheduled([(KL226, "2026-Q4")]) == {notice.notice_id}
    assert await stores.outbox.scheduled([(KL226, "2026-Q3")]) == set()


async def test_email_and_webhook_deliveries_follow_the_recipients_contacts(
    stores: Stores,
) -> None:
    await stores.contacts.put(contact(HOAN_KIEM, emails=("a@hoankiem.gov.vn",), webhook=True))
    await stores.contacts.put(contact(BA_DINH, emails=("b@badinh.gov.vn",)))

    await add(stores, reminder(HOAN_KIEM), reminder(BA_DINH))

    assert sorted(await claim(stores, "w1")) == [
        (reminder(HOAN_KIEM).notice_id, "email"),
        (reminder(HOAN_KIEM).notice_id, "nats"),
        (reminder(HOAN_KIEM).notice_id, "webhook"),
        (reminder(BA_DINH).notice_id, "email"),
        (reminder(BA_DINH).notice_id, "nats"),
    ]


async def test_email_waits_for_its_hour_and_is_not_made_when_email_is_off(
    stores: Stores,
) -> None:
    await stores.contacts.put(contact(HOAN_KIEM, emails=("a@hoankiem.gov.vn",)))
    await stores.contacts.put(contact(BA_DINH, emails=("b@badinh.gov.vn",)))
    morning = NOW + timedelta(hours=8)
    await add(stores, reminder(HOAN_KIEM), email_from=morning)
    await add(stores, reminder(BA_DINH), email_from=None)

    tonight = await claim(stores, "w1", channels=["email"])
    in_the_morning = await claim(stores, "w1", channels=["email"], now=morning)

    assert tonight == []
    assert in_the_morning == [(reminder(HOAN_KIEM).notice_id, "email")]


# --- the outbox: exactly once -----------------------------------------------------------------


async def test_a_delivery_is_claimed_by_one_worker_while_its_lease_holds(stores: Stores) -> None:
    await add(stores, reminder(HOAN_KIEM), reminder(BA_DINH))

    first = await claim(stores, "w1")
    second = await claim(stores, "w2")

    assert len(first) == 2
    assert second == []
    assert await stores.outbox.begin_attempt(first[0][0], "nats", "w2", LEASE, NOW) is None


async def test_a_delivery_sent_is_never_claimed_again(stores: Stores) -> None:
    notice = reminder(HOAN_KIEM)
    await add(stores, notice)
    [(notice_id, channel)] = await claim(stores, "w1")

    begun = await stores.outbox.begin_attempt(notice_id, channel, "w1", LEASE, NOW)
    assert begun is not None
    attempt_id, attempt = begun
    await stores.outbox.finish_sent(attempt_id, notice_id, channel, NOW)
    await asyncio.sleep(LEASE * 1.5)  # even once the lease would have run out

    assert attempt == 1
    assert await claim(stores, "w2") == []
    assert await stores.outbox.begin_attempt(notice_id, channel, "w1", LEASE, NOW) is None
    assert await stores.outbox.unsent_count() == 0


async def test_a_crashed_workers_delivery_is_taken_over_once_its_lease_runs_out(
    stores: Stores,
) -> None:
    await add(stores, reminder(HOAN_KIEM))
    [(notice_id, channel)] = await claim(stores, "crashed")
    begun = await stores.outbox.begin_attempt(notice_id, channel, "crashed", LEASE, NOW)
    assert begun is not None  # it began, and died before recording an outcome

    before_expiry = await claim(stores, "survivor")
    await asyncio.sleep(LEASE * 1.5)
    after_expiry = await claim(stores, "survivor")
    taken_over = await stores.outbox.begin_attempt(notice_id, channel, "survivor", LEASE, NOW)
    # The crashed worker, were it only stalled, is fenced off: it must not send now.
    fenced = await stores.outbox.begin_attempt(notice_id, channel, "crashed", LEASE, NOW)

    assert before_expiry == []
    assert after_expiry == [(notice_id, channel)]
    assert taken_over is not None
    assert taken_over[1] == 2  # the attempt in doubt is counted
    assert fenced is None


async def test_a_released_delivery_is_free_for_another_worker_at_once(stores: Stores) -> None:
    await add(stores, reminder(HOAN_KIEM))
    [(notice_id, channel)] = await claim(stores, "stopping")

    await stores.outbox.release(notice_id, channel, "someone-else")  # not theirs: no effect
    held = await claim(stores, "next")
    await stores.outbox.release(notice_id, channel, "stopping")
    freed = await claim(stores, "next")

    assert held == []
    assert freed == [(notice_id, channel)]


async def test_a_delivery_given_back_to_wait_is_claimed_again_only_after_its_wait(
    stores: Stores,
) -> None:
    digest = reminder(HANOI, stage="parent+1").model_copy(update={"kind": "escalation"})
    await stores.outbox.add([NewNotice(digest, [HOAN_KIEM, BA_DINH])], NOW, email_from=None)
    [held] = await stores.outbox.claim("w1", 10, NOW, channels=ALL, lease_seconds=LEASE)

    await stores.outbox.release(held.notice.notice_id, "nats", "w1", wait_seconds=LEASE)
    too_soon = await claim(stores, "w2")
    await asyncio.sleep(LEASE * 1.5)
    [again] = await stores.outbox.claim("w2", 10, NOW, channels=ALL, lease_seconds=LEASE)

    assert held.about == (HOAN_KIEM, BA_DINH)  # what it chases comes with the claim
    assert too_soon == []
    assert (again.notice.notice_id, again.about) == (digest.notice_id, (HOAN_KIEM, BA_DINH))
    begun = await stores.outbox.begin_attempt(digest.notice_id, "nats", "w2", LEASE, NOW)
    assert begun is not None
    assert begun[1] == 1  # given back unsent: no attempt was counted


async def test_a_failed_delivery_is_retried_after_its_delay_and_not_before(
    stores: Stores,
) -> None:
    await add(stores, reminder(HOAN_KIEM))
    [(notice_id, channel)] = await claim(stores, "w1")
    begun = await stores.outbox.begin_attempt(notice_id, channel, "w1", LEASE, NOW)
    assert begun is not None

    await stores.outbox.finish_failed(
        begun[0], notice_id, channel, NOW, error="HTTP 503", http_status=503, retry_in=LEASE
    )
    too_soon = await claim(stores, "w2")
    await asyncio.sleep(LEASE * 1.5)
    retried = await claim(stores, "w2")
    again = await stores.outbox.begin_attempt(notice_id, channel, "w2", LEASE, NOW)

    assert too_soon == []
    assert retried == [(notice_id, channel)]
    assert again is not None
    assert again[1] == 2
    assert await stores.outbox.unsent_count() == 1


async def test_a_dead_delivery_is_closed_for_good(stores: Stores) -> None:
    await add(stores, reminder(HOAN_KIEM))
    [(notice_id, channel)] = await claim(stores, "w1")
    begun = await stores.outbox.begin_attempt(notice_id, channel, "w1", LEASE, NOW)
    assert begun is not None

    await stores.outbox.finish_failed(
        begun[0], notice_id, channel, NOW, error="refused", http_status=None, retry_in=None
    )

    assert await claim(stores, "w2") == []
    assert await stores.outbox.unsent_count() == 0


async def test_an_undeliverable_delivery_is_closed_without_an_attempt(stores: Stores) -> None:
    await add(stores, reminder(HOAN_KIEM))
    [(notice_id, channel)] = await claim(stores, "w1")

    await stores.outbox.close_undeliverable(notice_id, channel, NOW, "no webhook")

    assert await claim(stores, "w2") == []
    assert await stores.outbox.begin_attempt(notice_id, channel, "w1", LEASE, NOW) is None
    assert await stores.outbox.unsent_count() == 0


async def test_claims_keep_to_the_channels_the_notices_and_the_limit_asked_for(
    stores: Stores,
) -> None:
    await stores.contacts.put(contact(HOAN_KIEM, webhook=True))
    await add(stores, reminder(HOAN_KIEM), reminder(BA_DINH), rejection(BA_DINH))

    webhooks = await claim(stores, "w1", channels=["webhook"])
    only = await claim(stores, "w1", channels=["nats"], only=[rejection(BA_DINH).notice_id])
    two = await stores.outbox.claim("w2", 2, NOW, channels=ALL, lease_seconds=LEASE)

    assert webhooks == [(reminder(HOAN_KIEM).notice_id, "webhook")]
    assert only == [(rejection(BA_DINH).notice_id, "nats")]
    assert len(two) == 2
    assert not {(c.notice.notice_id, c.channel) for c in two} & set(webhooks + only)


# --- the outbox: cancelled when the reports arrive ---------------------------------------------


async def test_reminders_whose_reports_arrived_are_cancelled_and_rejections_never(
    stores: Stores,
) -> None:
    await add(stores, reminder(HOAN_KIEM), reminder(BA_DINH), rejection(HOAN_KIEM))
    await stores.accepted_report(HOAN_KIEM)

    other_period = await stores.outbox.cancel_answered(NOW, [(KL226, "2026-Q3")])
    cancelled = await stores.outbox.cancel_answered(NOW, [(KL226, "2026-Q4")])
    again = await stores.outbox.cancel_answered(NOW)

    assert other_period == []
    assert [(c.notice_id, c.channel, c.stage) for c in cancelled] == [
        (reminder(HOAN_KIEM).notice_id, "nats", "unit-1")
    ]
    assert again == []
    assert sorted(await claim(stores, "w1")) == [
        (rejection(HOAN_KIEM).notice_id, "nats"),
        (reminder(BA_DINH).notice_id, "nats"),
    ]


async def test_a_digest_is_cancelled_only_once_every_unit_it_lists_has_reported(
    stores: Stores,
) -> None:
    digest = reminder(HANOI, stage="parent+1").model_copy(update={"kind": "escalation"})
    await stores.outbox.add([NewNotice(digest, [HOAN_KIEM, BA_DINH])], NOW, email_from=None)

    await stores.accepted_report(HOAN_KIEM)
    one_reported = await stores.outbox.cancel_answered(NOW)
    await stores.accepted_report(BA_DINH)
    both_reported = await stores.outbox.cancel_answered(NOW)

    assert one_reported == []
    assert [c.notice_id for c in both_reported] == [digest.notice_id]


async def test_a_delivery_sent_while_it_was_being_cancelled_stays_sent(stores: Stores) -> None:
    await add(stores, reminder(HOAN_KIEM))
    [(notice_id, channel)] = await claim(stores, "w1")
    begun = await stores.outbox.begin_attempt(notice_id, channel, "w1", LEASE, NOW)
    assert begun is not None

    await stores.accepted_report(HOAN_KIEM)
    await stores.outbox.cancel_answered(NOW)
    await stores.outbox.finish_sent(begun[0], notice_id, channel, NOW)

    [record] = await stores.history.history(HOAN_KIEM, 10)
    [delivery] = record["deliveries"]
    assert delivery["status"] == "sent"
    assert [a["outcome"] for a in delivery["history"]] == ["sent"]


# --- the notice history -----------------------------------------------------------------------


async def test_the_history_shows_a_units_notices_newest_first_with_every_attempt(
    stores: Stores,
) -> None:
    await stores.outbox.add([NewNotice(reminder(HOAN_KIEM), [HOAN_KIEM])], NOW, email_from=None)
    later = NOW + timedelta(minutes=1)
    await stores.outbox.add([NewNotice(rejection(HOAN_KIEM), [])], later, email_from=None)
    await stores.outbox.add([NewNotice(reminder(BA_DINH), [BA_DINH])], NOW, email_from=None)
    [(notice_id, channel)] = await claim(stores, "w1", only=[reminder(HOAN_KIEM).notice_id])
    first = await stores.outbox.begin_attempt(notice_id, channel, "w1", LEASE, NOW)
    assert first is not None
    await stores.outbox.finish_failed(
        first[0], notice_id, channel, NOW, error="NATS down", http_status=None, retry_in=0
    )
    await claim(stores, "w1", only=[notice_id])
    second = await stores.outbox.begin_attempt(notice_id, channel, "w1", LEASE, later)
    assert second is not None
    await stores.outbox.finish_sent(second[0], notice_id, channel, later)

    records = await stores.history.history(HOAN_KIEM, 10)
    limited = await stores.history.history(HOAN_KIEM, 1)

    assert [r["notice"]["notice_id"] for r in records] == [
        rejection(HOAN_KIEM).notice_id,
        reminder(HOAN_KIEM).notice_id,
    ]
    assert [r["notice"]["notice_id"] for r in limited] == [rejection(HOAN_KIEM).notice_id]
    [delivery] = records[1]["deliveries"]
    assert (delivery["channel"], delivery["status"], delivery["attempts"]) == ("nats", "sent", 2)
    assert [(a["attempt"], a["worker"], a["outcome"], a["error"]) for a in delivery["history"]] == [
        (1, "w1", "failed", "NATS down"),
        (2, "w1", "sent", None),
    ]
    assert records[0]["deliveries"][0]["status"] == "pending"
    assert records[0]["deliveries"][0]["history"] == []


# --- accepted reports ------------------------------------------------------------------------


async def test_accepted_reports_are_read_for_the_periods_asked_for(stores: Stores) -> None:
    await stores.accepted_report(HOAN_KIEM)
    await stores.accepted_report(BA_DINH, period="2026-Q3")

    q4 = await stores.accepted.submitted([(KL226, "2026-Q4")])
    both = await stores.accepted.submitted([(KL226, "2026-Q4"), (KL226, "2026-Q3")])
    none = await stores.accepted.submitted([])

    assert q4 == {(KL226, "2026-Q4", HOAN_KIEM)}
    assert both == {(KL226, "2026-Q4", HOAN_KIEM), (KL226, "2026-Q3", BA_DINH)}
    assert none == set()


# --- silent edges -----------------------------------------------------------------------------


async def test_silent_edges_are_the_units_heard_from_nothing_now_with_since_when(
    stores: Stores,
) -> None:
    began = NOW - timedelta(hours=30)
    await stores.record_spell(HOAN_KIEM, began, True)
    await stores.record_spell(BA_DINH, NOW - timedelta(days=3), False)  # heard again since

    asked = await stores.edges.silent([HOAN_KIEM, BA_DINH, HANOI])
    one_not_asked = await stores.edges.silent([BA_DINH, HANOI])
    none = await stores.edges.silent([])

    assert asked == {HOAN_KIEM: began}
    assert one_not_asked == {}
    assert none == {}


# --- contacts --------------------------------------------------------------------------------


async def test_contacts_are_created_replaced_read_and_removed(stores: Stores) -> None:
    first = contact(HOAN_KIEM, emails=("a@hoankiem.gov.vn",), webhook=True)
    second = contact(HOAN_KIEM, emails=("b@hoankiem.gov.vn", "c@hoankiem.gov.vn"))

    created = await stores.contacts.put(first)
    read_back = await stores.contacts.get(HOAN_KIEM)
    replaced = await stores.contacts.put(second)
    many = await stores.contacts.get_many([HOAN_KIEM, BA_DINH])
    removed = await stores.contacts.delete(HOAN_KIEM)
    removed_again = await stores.contacts.delete(HOAN_KIEM)

    assert (created, replaced) == (True, False)
    assert read_back == first  # the webhook secret comes back as it was given
    assert many == {HOAN_KIEM: second}
    assert (removed, removed_again) == (True, False)
    assert await stores.contacts.get(HOAN_KIEM) is None
    assert await stores.contacts.get_many([]) == {}
