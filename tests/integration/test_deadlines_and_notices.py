"""Late classification, the late list, and reminders and escalations sent exactly once."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import nats
import pytest

from shared import subjects
from shared.clock import ClockSegment
from tests.integration.conftest import SystemFactory
from tests.integration.system import submission

pytestmark = pytest.mark.integration


def move_to(system_clock: object, instant: datetime) -> None:
    clock = system_clock
    assert hasattr(clock, "segments")
    clock.replace([*clock.segments, ClockSegment(datetime.now(UTC), instant, 0)])  # type: ignore[attr-defined]


async def test_a_report_after_the_communes_deadline_is_accepted_as_late(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    on_time = submission("00073")
    await system.submit(on_time)
    await system.settled(on_time["submission_id"])
    move_to(system.clock, datetime(2026, 12, 18, 1, 0, tzinfo=UTC))  # 18 Dec, 08:00 in Vietnam
    late = submission("00070")

    await system.submit(late)
    status = await system.settled(late["submission_id"])

    assert status["status"] == "accepted"
    assert status["timeliness"] == "late"
    assert (await system.status(on_time["submission_id"]))["timeliness"] == "on_time"
    province = await system.rollup("/v1/rollups/kl226-quarterly/2026-Q4/01")
    assert province["completeness"]["on_time"] == 1
    assert province["completeness"]["late"] == 1
    late_list = (
        await system.central_http.get("/v1/late/kl226-quarterly/2026-Q4?province=01")
    ).json()
    listed = {u["unit"]: u for u in late_list["units"]}
    assert listed["00070"]["status"] == "late"
    assert "00073" not in listed
    assert listed["01"]["status"] == "missing"
    assert listed["01"]["deadline"].startswith("2026-12-25T23:59:59")


async def _notices(nats_url: str) -> list[dict[str, object]]:
    connection = await nats.connect(nats_url)
    js = connection.jetstream()
    found = []
    try:
        subscription = await js.subscribe(
            f"{subjects.NOTIFY}.>", stream=subjects.NOTIFY_STREAM, ordered_consumer=True
        )
        while True:
            try:
                message = await subscription.next_msg(timeout=0.5)
            except nats.errors.TimeoutError:
                break
            found.append({"subject": message.subject, **json.loads(message.data)})
    finally:
        await connection.close()
    return found


async def test_a_reminder_goes_out_once_and_never_to_a_unit_that_has_submitted(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    body = submission("00070")
    await system.submit(body)
    await system.settled(body["submission_id"])
    move_to(system.clock, datetime(2026, 12, 16, 1, 0, tzinfo=UTC))  # within 3 days of the 17th

    await system.notifier.service.tick()  # type: ignore[union-attr]
    await system.notifier.service.tick()  # type: ignore[union-attr]
    await system.notifier.stop()
    restarted = await start_system()
    await restarted.notifier.service.tick()  # type: ignore[union-attr]

    notices = await _notices(system.nats_url)
    reminders = [
        n for n in notices if n["stage"] == "reminder" and n["report_type"] == "kl226-quarterly"
    ]
    to_hoan_kiem_neighbour = [n for n in reminders if n["unit"] == "00073"]
    assert len(to_hoan_kiem_neighbour) == 1
    assert to_hoan_kiem_neighbour[0]["subject"] == "notify.00073"
    assert not [n for n in reminders if n["unit"] == "00070"]
    assert len(reminders) == 3321 - 1
    assert not [
        n for n in notices if n["stage"] == "escalation" and n["report_type"] == "kl226-quarterly"
    ]


async def test_after_the_deadline_the_province_is_told_which_communes_are_missing(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    move_to(system.clock, datetime(2026, 12, 18, 1, 0, tzinfo=UTC))

    await system.notifier.service.tick()  # type: ignore[union-attr]

    notices = await _notices(system.nats_url)
    escalations = [
        n
        for n in notices
        if n["stage"] == "escalation"
        and n["unit"] == "00070"
        and n["report_type"] == "kl226-quarterly"
    ]
    assert len(escalations) == 1
    assert escalations[0]["subject"] == "notify.01"
    assert "Quá hạn" in str(escalations[0]["message_vi"])
