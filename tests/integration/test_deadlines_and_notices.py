"""Late classification, the late list, and reminders and escalations sent exactly once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import nats
import pytest

from baocao.nats_identities import ops_options
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


async def test_a_unit_that_reported_on_time_stays_on_time_when_it_corrects_late(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    first = submission("00073", docs_issued=50)
    await system.submit(first)
    await system.settled(first["submission_id"])
    move_to(system.clock, datetime(2026, 12, 18, 1, 0, tzinfo=UTC))  # after the 17 Dec deadline
    correction = submission("00073", docs_issued=55)

    await system.submit(correction)
    status = await system.settled(correction["submission_id"])

    assert status["timeliness"] == "late"  # the submission itself came after the deadline
    province = await system.rollup("/v1/rollups/kl226-quarterly/2026-Q4/01")
    assert province["values"]["docs_issued"] == 55  # the correction's figures count
    assert (province["completeness"]["on_time"], province["completeness"]["late"]) == (1, 0)
    late_list = (
        await system.central_http.get("/v1/late/kl226-quarterly/2026-Q4?province=01")
    ).json()
    assert "00073" not in {u["unit"] for u in late_list["units"]}


async def _notices(nats_url: str) -> list[dict[str, Any]]:
    connection = await nats.connect(nats_url, **ops_options())
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
    # 16 Dec: one working day before the communes' deadline (Thursday 17 Dec).
    move_to(system.clock, datetime(2026, 12, 16, 1, 0, tzinfo=UTC))

    await system.notifier.service.tick()  # type: ignore[union-attr]
    await system.notifier.service.tick()  # type: ignore[union-attr]
    await system.notifier.stop()
    restarted = await start_system()
    await restarted.notifier.service.tick()  # type: ignore[union-attr]

    notices = await _notices(system.nats_url)
    reminders = [
        n for n in notices if n["kind"] == "reminder" and n["report_type"] == "kl226-quarterly"
    ]
    to_hoan_kiem_neighbour = [n for n in reminders if n["unit"] == "00073"]
    assert len(to_hoan_kiem_neighbour) == 1
    assert to_hoan_kiem_neighbour[0]["subject"] == "notify.00073"
    assert to_hoan_kiem_neighbour[0]["stage"] == "unit-1"
    assert not [n for n in reminders if n["unit"] == "00070"]
    assert len(reminders) == 3321 - 1
    assert not [
        n for n in notices if n["kind"] == "escalation" and n["report_type"] == "kl226-quarterly"
    ]


async def test_after_the_deadline_the_province_gets_one_digest_of_its_missing_communes(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    body = submission("00070")
    await system.submit(body)
    await system.settled(body["submission_id"])
    # Friday 18 Dec: one working day after the communes' deadline.
    move_to(system.clock, datetime(2026, 12, 18, 1, 0, tzinfo=UTC))

    await system.notifier.service.tick()  # type: ignore[union-attr]

    notices = await _notices(system.nats_url)
    to_ha_noi = [
        n for n in notices if n["subject"] == "notify.01" and n["report_type"] == "kl226-quarterly"
    ]
    assert [n["stage"] for n in to_ha_noi] == ["parent+1"]
    [digest] = to_ha_noi
    listed = {u["unit"] for u in digest["late"]}
    assert "00073" in listed
    assert "00070" not in listed  # it reported
    assert len(listed) == 126 - 1  # Hà Nội's 126 communes, less the one that reported
    assert "Quá hạn" in str(digest["subject_vi"])
    assert f"{len(listed)} đơn vị" in str(digest["message_vi"])


async def test_three_working_days_after_the_deadline_central_hears_which_provinces_are_behind(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    # Tuesday 22 Dec 2026: three working days after Thursday 17 Dec.
    move_to(system.clock, datetime(2026, 12, 22, 3, 0, tzinfo=UTC))

    await system.notifier.service.tick()  # type: ignore[union-attr]

    notices = await _notices(system.nats_url)
    to_central = [
        n for n in notices if n["subject"] == "notify.VN" and n["report_type"] == "kl226-quarterly"
    ]
    assert [(n["stage"], n["level"]) for n in to_central] == [("central+3", "commune")]
    behind = to_central[0]["late"]
    assert len(behind) == 34
    assert all(p["submitted"] == 0 and p["rate_pct"] == 0 for p in behind)
    assert sum(p["expected"] for p in behind) == 3321
    assert "34 tỉnh, thành phố" in str(to_central[0]["message_vi"])
