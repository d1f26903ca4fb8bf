"""The notifier listens to verdicts: a rejection is explained once to its sender, and an
accepted report cancels the reminders still waiting for it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import asyncpg
import nats
import pytest

from baocao.nats_identities import ops_options
from services.notifier.domain.schedule import Planned
from services.notifier.usecases.ports import NewNotice
from services.notifier.usecases.reminders import notice_of
from shared import subjects
from shared.schemas import Notice
from tests.integration.conftest import SystemFactory
from tests.integration.system import System, eventually, submission

pytestmark = pytest.mark.integration

PROVINCE = "01"
SENDER = "00070"
OTHER = "00073"


async def notices_on(nats_url: str, recipient: str) -> list[Notice]:
    connection = await nats.connect(nats_url, **ops_options())
    try:
        js = connection.jetstream()
        found: list[Notice] = []
        seq = 0
        while True:
            try:
                message = await js.get_msg(
                    subjects.NOTIFY_STREAM,
                    seq=seq + 1,
                    subject=subjects.notify(recipient),
                    next=True,
                )
            except nats.js.errors.NotFoundError:
                return found
            found.append(Notice.model_validate_json(message.data or b""))
            assert message.seq is not None
            seq = message.seq
    finally:
        await connection.close()


async def publish(nats_url: str, subject: str, body: bytes, msg_id: str) -> None:
    connection = await nats.connect(nats_url, **ops_options())
    try:
        await connection.jetstream().publish(
            subject, body, stream=subjects.REPORTS_STREAM, headers={"Nats-Msg-Id": msg_id}
        )
    finally:
        await connection.close()


async def test_a_rejection_is_explained_to_the_unit_that_sent_it_not_the_unit_it_names(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    body = submission(OTHER)  # the body names another commune than the subject it is sent on

    await publish(
        system.nats_url,
        subjects.submitted(PROVINCE, SENDER),
        json.dumps(body).encode(),
        body["submission_id"],
    )
    await system.settled(body["submission_id"])

    [notice] = await notices_on(system.nats_url, SENDER)
    assert notice.stage == "rejection"
    assert notice.kind == "rejection"
    assert notice.submission_id == body["submission_id"]
    assert "subject_mismatch" in {r.code for r in notice.reasons}
    assert await notices_on(system.nats_url, OTHER) == []


async def test_a_verdict_delivered_again_later_does_not_send_its_notice_twice(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    body = submission(SENDER, procedures_online=-1)
    assert (await system.submit(body)).status_code == 202
    await system.settled(body["submission_id"])
    connection = await nats.connect(system.nats_url, **ops_options())
    try:
        verdict = await connection.jetstream().get_last_msg(
            subjects.REPORTS_STREAM, subjects.rejected(PROVINCE, SENDER)
        )
    finally:
        await connection.close()

    # Beyond the stream's duplicate window, as after a long outage: a new message id.
    await publish(
        system.nats_url, subjects.rejected(PROVINCE, SENDER), verdict.data or b"", "replayed"
    )
    await system.drained()

    notices = await notices_on(system.nats_url, SENDER)
    assert [n.notice_id for n in notices] == [f"rejection:{body['submission_id']}"]


async def schedule_reminder(system: System, unit: str) -> None:
    """Put a unit-1 reminder for ``unit`` in the outbox, as a scheduling round would, without
    sending it."""
    assert system.notifier.service is not None
    service = system.notifier.service
    registry_unit = service.reminders.registry.get(unit)
    assert registry_unit is not None
    report_type = service.reminders.catalog.report_types["kl226-quarterly"]
    period = report_type.period_of("2026-Q4")
    rule = report_type.level_rule(registry_unit.level)
    assert rule is not None
    step = next(s for s in rule.reminders if s.stage == "unit-1")
    planned = Planned(
        step,
        report_type,
        period,
        registry_unit.level,
        rule.deadline.for_period(period),
        registry_unit,
        (registry_unit,),
    )
    added = await service.outbox.add(
        [NewNotice(notice_of(planned, "http://intake"), [unit])],
        datetime.now(UTC),
        email_from=None,
    )
    assert added["unit-1"] == 1


async def cancelled_deliveries(system: System, unit: str) -> set[str]:
    connection = await asyncpg.connect(system.database_url)
    try:
        rows = await connection.fetch(
            "SELECT d.channel FROM notification_deliveries d"
            " JOIN notifications n USING (notice_id)"
            " WHERE n.recipient = $1 AND d.status = 'cancelled'",
            unit,
        )
    finally:
        await connection.close()
    return {r["channel"] for r in rows}


async def test_a_report_accepted_after_its_reminder_was_scheduled_cancels_it(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    await schedule_reminder(system, SENDER)
    await schedule_reminder(system, OTHER)
    body = submission(SENDER)

    assert (await system.submit(body)).status_code == 202
    await system.settled(body["submission_id"])
    assert system.notifier.service is not None
    # The notifier-accepted consumer cancelled it on the verdict, before any relay looked.
    assert await cancelled_deliveries(system, SENDER) == {"nats"}
    sent = await system.notifier.service.relay()

    assert sent == 1
    assert await notices_on(system.nats_url, SENDER) == []
    [reminder] = await notices_on(system.nats_url, OTHER)
    assert reminder.stage == "unit-1"
    assert reminder.kind == "reminder"


async def test_a_reminder_scheduled_while_its_report_was_being_accepted_is_not_sent(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    body = submission(SENDER)
    assert (await system.submit(body)).status_code == 202
    await system.settled(body["submission_id"])

    # The round that scheduled it read the submissions before the report was accepted.
    await schedule_reminder(system, SENDER)
    assert system.notifier.service is not None
    sent = await system.notifier.service.relay()

    assert sent == 0
    assert await notices_on(system.nats_url, SENDER) == []

    async def cancelled() -> bool:
        assert system.notifier.service is not None
        return await system.notifier.service.outbox.unsent_count() == 0

    await eventually(cancelled, timeout=5)
