"""`baocao rebuild` gives exactly the live result, byte for byte, from either source."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import nats
import pytest

from baocao.nats_identities import ops_options
from baocao.rebuild import run
from services.aggregator.adapters import accepted_sources
from services.aggregator.adapters.feed_publisher import FeedPublisher
from services.aggregator.rebuild import rebuild
from services.aggregator.settings import AggregatorSettings
from shared import subjects
from shared.schemas import Verdict
from tests.integration.conftest import SystemFactory, service_url
from tests.integration.system import System, submission
from tests.integration.test_rollups import lg2_report

pytestmark = pytest.mark.integration

PATHS = [
    "/v1/rollups/kl226-quarterly/2026-Q4",
    "/v1/rollups/kl226-quarterly/2026-Q4/01",
    "/v1/rollups/kl226-quarterly/2026-Q4/79",
    "/v1/rollups/lg2-monthly/2026-12",
    "/v1/rollups/lg2-monthly/2026-12/01",
]


async def live_round(system: System) -> None:
    """Reports, corrections (one of them taking back a province's minimum), a late one and an
    exact re-send, in the order a real round mixes them."""
    sent = [
        submission("00070", docs_issued=120),
        submission("00073", docs_issued=90, conference_budget_spent=12.5),
        submission("26506", docs_issued=40),
        submission("79", docs_issued=7),
        lg2_report("00070", bandwidth_mbps=2.5, longest_resolution_days=9),
        lg2_report("00073", bandwidth_mbps=40, citizen_satisfaction_pct=70.25),
        lg2_report("00004", network_outage_hours=0),
    ]
    corrections = [
        submission("00070", docs_issued=130, conference_budget_spent=39.75),
        lg2_report("00070", bandwidth_mbps=60, longest_resolution_days=3),  # the minimum goes
        lg2_report("00004", procedures_received=250, citizen_satisfaction_pct=99.5),
    ]
    for body in [*sent, *corrections, sent[0]]:
        response = await system.submit(body)
        assert response.status_code in (200, 202), response.text
    for body in [*sent, *corrections]:
        status = await system.settled(body["submission_id"])
        assert status["status"] in {"accepted", "superseded"}, status


async def snapshot(system: System) -> tuple[list[bytes], list[tuple[Any, ...]]]:
    bodies = []
    for path in PATHS:
        response = await system.central_http.get(path)
        assert response.status_code == 200, response.text
        bodies.append(response.content)
    connection = await asyncpg.connect(system.database_url)
    try:
        rows = await connection.fetch(
            "SELECT report_type, period, province, sums::text, counts::text, weights::text,"
            " targets::text, expected, submitted, on_time, late FROM province_rollups"
            " ORDER BY 1, 2, 3"
        )
        reports = await connection.fetch(
            "SELECT report_type, period, unit, province, submission_id, received_at,"
            ' stream_seq, timeliness, "values"::text FROM latest_reports ORDER BY 1, 2, 3'
        )
    finally:
        await connection.close()
    return bodies, [tuple(r) for r in [*rows, *reports]]


@pytest.mark.parametrize("source", ["database", "stream"])
async def test_a_rebuild_equals_the_live_rollups_byte_for_byte(
    start_system: SystemFactory, source: str
) -> None:
    system = await start_system()
    await live_round(system)
    live_bodies, live_rows = await snapshot(system)
    assert any(b'"bandwidth_mbps":40' in body for body in live_bodies)

    settings = AggregatorSettings(
        NATS_URL=system.nats_url, DATABASE_URL=service_url(system.database_url, "aggregator")
    )
    done = await run(settings, None, None, source=source)

    assert {(d.report_type, d.period) for d in done} == {
        ("kl226-quarterly", "2026-Q4"),
        ("lg2-monthly", "2026-12"),
    }
    rebuilt_bodies, rebuilt_rows = await snapshot(system)
    assert rebuilt_rows == live_rows
    assert rebuilt_bodies == live_bodies


async def test_a_rebuild_of_one_period_leaves_the_others_alone(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    await live_round(system)
    settings = AggregatorSettings(
        NATS_URL=system.nats_url, DATABASE_URL=service_url(system.database_url, "aggregator")
    )
    connection = await asyncpg.connect(system.database_url)
    try:
        await connection.execute(
            "UPDATE province_rollups SET sums = '{}' WHERE report_type = 'lg2-monthly'"
        )
        done = await run(settings, "kl226-quarterly", "2026-Q4")
        untouched = await connection.fetchval(
            "SELECT count(*) FROM province_rollups"
            " WHERE report_type = 'lg2-monthly' AND sums = '{}'"
        )
    finally:
        await connection.close()
    assert [(d.report_type, d.period, d.reports) for d in done] == [
        ("kl226-quarterly", "2026-Q4", 4)
    ]
    assert untouched == 1


async def test_a_report_accepted_while_the_rebuild_reads_its_source_is_kept(
    start_system: SystemFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    system = await start_system()
    await live_round(system)
    late_comer = submission("26526", docs_issued=55)  # a commune of 79
    read_everything = accepted_sources.from_database

    async def source_then_a_live_report(*args: Any) -> AsyncIterator[Verdict]:
        async for verdict in read_everything(*args):
            yield verdict
        # The source has been read; the live path now stores a report it does not hold.
        assert (await system.submit(late_comer)).status_code == 202
        assert (await system.settled(late_comer["submission_id"]))["status"] == "accepted"

    monkeypatch.setattr(accepted_sources, "from_database", source_then_a_live_report)
    settings = AggregatorSettings(
        NATS_URL=system.nats_url, DATABASE_URL=service_url(system.database_url, "aggregator")
    )
    await run(settings, "kl226-quarterly", "2026-Q4")

    kept = await system.central_http.get("/v1/rollups/kl226-quarterly/2026-Q4/79")
    assert kept.json()["completeness"]["submitted"] == 3
    # Only this patch goes back (undo() would also drop the suite's trusted keys).
    monkeypatch.setattr(accepted_sources, "from_database", read_everything)
    live_bodies, live_rows = await snapshot(system)
    await run(settings, "kl226-quarterly", "2026-Q4")
    assert await snapshot(system) == (live_bodies, live_rows)


async def test_an_on_time_report_arriving_after_its_late_correction_leaves_the_unit_on_time(
    start_system: SystemFactory,
) -> None:
    """Verdicts redelivered out of order: the late correction is rolled up first, then the
    on-time original it replaced. Live and rebuilt alike: the correction's figures, on time."""
    system = await start_system()
    first = submission("00070", docs_issued=50)
    assert (await system.submit(first)).status_code == 202
    await system.settled(first["submission_id"])
    connection = await asyncpg.connect(system.database_url)
    try:
        stored = await connection.fetchval(
            "SELECT verdict FROM submissions WHERE submission_id = $1", first["submission_id"]
        )
        await connection.execute("DELETE FROM latest_reports")
        await connection.execute("DELETE FROM province_rollups")
    finally:
        await connection.close()
    original = Verdict.model_validate_json(stored)
    correction = original.model_copy(
        update={
            "submission_id": "late-correction",
            "received_at": original.received_at + timedelta(days=3),
            "stream_seq": original.stream_seq + 10,
            "timeliness": "late",
            "values": {**(original.values or {}), "docs_issued": 55},
        }
    )
    assert system.aggregator.service is not None

    await system.aggregator.service.apply([correction])
    await system.aggregator.service.apply([original])

    hanoi = await system.rollup("/v1/rollups/kl226-quarterly/2026-Q4/01")
    assert hanoi["values"]["docs_issued"] == 55
    assert (hanoi["completeness"]["on_time"], hanoi["completeness"]["late"]) == (1, 0)
    live = await snapshot(system)
    service = system.aggregator.service
    await rebuild(service, _verdicts([original, correction]))
    assert await snapshot(system) == live


async def _verdicts(verdicts: list[Verdict]) -> AsyncIterator[Verdict]:
    for verdict in verdicts:
        yield verdict


async def test_a_rebuild_that_mends_a_rollup_puts_the_mended_state_on_the_live_feed(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    await live_round(system)
    connection = await asyncpg.connect(system.database_url)
    try:  # Hà Nội's row damaged, and the damage published, as a faulty release would have
        await connection.execute(
            "UPDATE province_rollups SET sums = '{}', counts = '{}',"
            " version = nextval('province_rollup_versions')"
            " WHERE report_type = 'kl226-quarterly'"
            " AND province = '01'"
        )
    finally:
        await connection.close()
    assert system.aggregator.summaries is not None
    damaged = FeedPublisher(
        lambda: system.aggregator.runtime.js,
        system.aggregator.summaries,
        system.aggregator.runtime.clock,
    )
    await damaged.publish([("kl226-quarterly", "2026-Q4", "01")])
    assert (await last_feed(system, "01"))["values"].get("docs_issued") is None

    settings = AggregatorSettings(
        NATS_URL=system.nats_url, DATABASE_URL=service_url(system.database_url, "aggregator")
    )
    await run(settings, "kl226-quarterly", "2026-Q4")

    mended = await system.rollup("/v1/rollups/kl226-quarterly/2026-Q4/01")
    assert mended["values"]["docs_issued"] == 220
    assert (await last_feed(system, "01"))["values"] == mended["values"]


async def last_feed(system: System, unit: str) -> dict[str, Any]:
    connection = await nats.connect(system.nats_url, **ops_options())
    try:
        message = await connection.jetstream().get_last_msg(
            subjects.ROLLUPS_STREAM, subjects.rollups_updated("kl226-quarterly", "2026-Q4", unit)
        )
    finally:
        await connection.close()
    body: dict[str, Any] = json.loads(message.data or b"{}")
    return body
