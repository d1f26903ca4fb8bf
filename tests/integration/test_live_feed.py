"""The live feed: every accepted report moves its province's rollup and the nation's onto
rollups.updated.<type>.<period>.<unit>, and a browser follows the same over Server-Sent Events."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import nats
import pytest
import uvicorn
from nats.js.api import DeliverPolicy, RawStreamMsg
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from baocao.embedded import free_port
from baocao.nats_identities import ops_options
from services.aggregator import metrics
from services.aggregator.adapters.feed_publisher import (
    CONTENT_HASH,
    FeedPublisher,
    Summaries,
    Versioned,
)
from shared import subjects
from shared.identity import Role
from tests.integration.conftest import SystemFactory
from tests.integration.system import System, bearer, eventually, submission

pytestmark = pytest.mark.integration

RT, PERIOD = "kl226-quarterly", "2026-Q4"
HANOI, HCMC = "01", "79"
HOAN_KIEM, CUA_NAM, VUNG_TAU = "00070", "00073", "26506"  # communes of 01, 01, 79


@contextlib.asynccontextmanager
async def feed_server(system: System, heartbeat_seconds: float = 15.0) -> AsyncIterator[str]:
    """The aggregator's HTTP app on a real port: httpx's in-process transport cannot stream."""
    system.aggregator.settings.feed_heartbeat_seconds = heartbeat_seconds
    config = uvicorn.Config(
        system.aggregator.app(),
        host="127.0.0.1",
        port=free_port(),
        lifespan="off",  # the aggregator is already running in this event loop
        log_config=None,
        access_log=False,
        ws="none",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    await eventually(started, timeout=10.0)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        await task


class EventStream:
    """Reads a text/event-stream: events as {field: value}, comment lines kept aside."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.comments: list[str] = []
        self._lines = response.aiter_lines()

    async def next_event(self, timeout: float = 15.0) -> dict[str, str]:
        return await asyncio.wait_for(self._next_event(), timeout)

    async def _next_event(self) -> dict[str, str]:
        fields: dict[str, str] = {}
        async for line in self._lines:
            if line == "":
                if "data" in fields:
                    return fields
                fields = {}
            elif line.startswith(":"):
                self.comments.append(line[1:].strip())
            else:
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
        raise AssertionError("the stream ended")

    async def rollups(self, count: int, timeout: float = 15.0) -> list[dict[str, Any]]:
        """The next ``count`` rollup events, each with its id beside the body."""
        found: list[dict[str, Any]] = []
        while len(found) < count:
            event = await self.next_event(timeout)
            assert event["event"] == "rollup", event
            found.append({"id": int(event["id"]), "body": json.loads(event["data"])})
        return found


@contextlib.asynccontextmanager
async def follow(url: str, **params: str) -> AsyncIterator[EventStream]:
    headers = bearer("VN", Role.READER)
    if "last_event_id" in params:
        headers["Last-Event-ID"] = params.pop("last_event_id")
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(30.0)) as client,
        client.stream("GET", f"{url}/v1/feed", params=params, headers=headers) as response,
    ):
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield EventStream(response)


async def last_update(system: System, unit: str) -> RawStreamMsg:
    connection = await nats.connect(system.nats_url, **ops_options())
    try:
        return await connection.jetstream().get_last_msg(
            subjects.ROLLUPS_STREAM, subjects.rollups_updated(RT, PERIOD, unit)
        )
    finally:
        await connection.close()


async def stream_messages(system: System) -> int:
    connection = await nats.connect(system.nats_url, **ops_options())
    try:
        info = await connection.jetstream().stream_info(subjects.ROLLUPS_STREAM)
        return info.state.messages
    finally:
        await connection.close()


async def accepted(system: System, body: dict[str, Any]) -> None:
    response = await system.submit(body)
    assert response.status_code == 202, response.text
    status = await system.settled(body["submission_id"])
    assert status["status"] in {"accepted", "superseded"}, status


def body_of(message: RawStreamMsg) -> dict[str, Any]:
    assert message.data is not None
    result: dict[str, Any] = json.loads(message.data)
    return result


async def test_an_accepted_report_updates_its_province_and_the_nation(
    start_system: SystemFactory,
) -> None:
    system = await start_system()

    await accepted(system, submission(HOAN_KIEM))

    hanoi = await last_update(system, HANOI)
    nation = await last_update(system, "VN")
    province, national = body_of(hanoi), body_of(nation)
    assert (province["unit"], province["level"], province["name"]) == (
        HANOI,
        "province",
        "Thành phố Hà Nội",
    )
    assert province["values"]["docs_issued"] == 80
    assert province["completeness"]["submitted"] == 1
    assert province["completeness"]["expected"] == 126 + 1  # its communes and itself
    assert national["unit"] == "VN"
    assert national["values"]["docs_issued"] == 80
    assert (
        national["completeness"]
        == (await system.rollup(f"/v1/rollups/{RT}/{PERIOD}"))["completeness"]
    )
    assert "children" not in national
    assert province["updated_at"].startswith("2026-12-10T")
    headers = hanoi.headers or {}
    assert headers["ce-type"] == "vn.gov.baocao.rollup.updated.v1"
    assert headers["ce-source"] == "/baocao/aggregator"
    assert headers["ce-subject"] == f"{RT}/{PERIOD}/{HANOI}"
    assert headers["ce-id"] == headers["Nats-Msg-Id"]
    # Nothing was published for a province the report did not touch.
    with pytest.raises(nats.js.errors.NotFoundError):
        await last_update(system, HCMC)


async def test_central_subscribes_on_nats_to_one_province_with_wildcards(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    await accepted(system, submission(VUNG_TAU))
    await accepted(system, submission(HOAN_KIEM, docs_issued=70))

    connection = await nats.connect(system.nats_url, **ops_options())
    try:
        js = connection.jetstream()
        subscription = await js.subscribe(
            "rollups.updated.*.*.01", ordered_consumer=True, deliver_policy=DeliverPolicy.ALL
        )
        message = await subscription.next_msg(timeout=5)
        with pytest.raises(nats.errors.TimeoutError):
            await subscription.next_msg(timeout=0.5)
    finally:
        await connection.close()
    assert message.subject == f"rollups.updated.{RT}.{PERIOD}.{HANOI}"
    assert json.loads(message.data)["values"]["docs_issued"] == 70


async def test_a_batch_delivered_again_publishes_nothing_new(start_system: SystemFactory) -> None:
    system = await start_system()
    await accepted(system, submission(HOAN_KIEM))
    before = await stream_messages(system)
    unchanged = metrics.feed_updates.labels(RT, "unchanged")._value.get()
    assert system.aggregator.summaries is not None
    publisher = publisher_of(system, system.aggregator.summaries)

    await publisher.publish([(RT, PERIOD, HANOI)])

    assert await stream_messages(system) == before
    assert metrics.feed_updates.labels(RT, "unchanged")._value.get() == unchanged + 2


def publisher_of(system: System, summaries: Summaries) -> FeedPublisher:
    """Another replica's publisher, on the same NATS and database."""
    return FeedPublisher(
        lambda: system.aggregator.runtime.js,
        summaries,
        system.aggregator.runtime.clock,
    )


async def test_a_replica_that_read_before_a_newer_commit_never_publishes_last(
    start_system: SystemFactory,
) -> None:
    """Replica A reads Hà Nội's rollup; the live aggregator then commits a correction. Whatever
    the timing, the last update on the subject is the correction, never A's older read."""
    system = await start_system()
    await accepted(system, submission(HOAN_KIEM, docs_issued=80))
    summaries = system.aggregator.summaries
    assert summaries is not None
    read_done, correction = asyncio.Event(), submission(HOAN_KIEM, docs_issued=90)

    async def committed() -> bool:
        body = await summaries(RT, PERIOD, [HANOI])
        return bool(body[HANOI].body["values"]["docs_issued"] == 90)

    async def read_then_wait(*args: Any) -> Mapping[str, Versioned]:
        stale = await summaries(*args)
        read_done.set()
        await eventually(committed)  # the correction is committed while A holds its read
        await asyncio.sleep(0.3)  # and the live aggregator has had time to publish it
        return stale

    replica_a = asyncio.create_task(
        publisher_of(system, read_then_wait).publish([(RT, PERIOD, HANOI)])
    )
    await read_done.wait()
    assert (await system.submit(correction)).status_code == 202
    await replica_a
    await system.settled(correction["submission_id"])

    assert body_of(await last_update(system, HANOI))["values"]["docs_issued"] == 90
    assert body_of(await last_update(system, "VN"))["values"]["docs_issued"] == 90
    assert metrics.feed_updates.labels(RT, "superseded")._value.get() >= 2  # A's, both skipped


async def test_figures_that_come_back_are_published_again(start_system: SystemFactory) -> None:
    """A correction undone within the stream's duplicate window still reaches the feed: the
    message id names the state and the message it follows, not the state alone."""
    system = await start_system()

    await accepted(system, submission(HOAN_KIEM, docs_issued=80))
    await accepted(system, submission(HOAN_KIEM, docs_issued=90))
    await accepted(system, submission(HOAN_KIEM, docs_issued=80))

    connection = await nats.connect(system.nats_url, **ops_options())
    try:
        js = connection.jetstream()
        subscription = await js.subscribe(
            subjects.rollups_updated(RT, PERIOD, HANOI),
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.ALL,
        )
        seen = [json.loads((await subscription.next_msg(timeout=5)).data) for _ in range(3)]
    finally:
        await connection.close()
    assert [b["values"]["docs_issued"] for b in seen] == [80, 90, 80]
    last = await last_update(system, HANOI)
    assert (last.headers or {})[CONTENT_HASH]


async def test_the_update_continues_the_trace_of_the_report_that_caused_it(
    start_system: SystemFactory, spans: InMemorySpanExporter
) -> None:
    system = await start_system()
    body = submission(HOAN_KIEM)

    await accepted(system, body)

    finished = spans.get_finished_spans()
    report = next(
        s
        for s in finished
        if s.name == "send reports.submitted"
        and (s.attributes or {}).get("baocao.submission_id") == body["submission_id"]
    )
    updates = [s for s in finished if s.name == "send rollups.updated"]
    assert {(s.attributes or {}).get("baocao.unit") for s in updates} == {HANOI, "VN"}
    assert all(s.context.trace_id == report.context.trace_id for s in updates)


async def test_a_browser_receives_the_same_updates_over_server_sent_events(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    async with (
        feed_server(system) as url,
        follow(url, report_type=RT, period=PERIOD, unit=HANOI) as stream,
    ):
        await accepted(system, submission(HOAN_KIEM))

        (event,) = await stream.rollups(1)

    stored = await last_update(system, HANOI)
    assert event["id"] == stored.seq
    assert event["body"] == body_of(stored)
    assert event["body"]["completeness"]["submitted"] == 1
    assert "baocao live feed" in stream.comments


async def test_a_client_follows_one_province_or_the_nation(start_system: SystemFactory) -> None:
    system = await start_system()
    async with (
        feed_server(system) as url,
        follow(url, report_type=RT, unit=HCMC) as hcmc,
        follow(url, unit="VN") as nation,
    ):
        await accepted(system, submission(HOAN_KIEM))
        await accepted(system, submission(VUNG_TAU))
        await accepted(system, submission(CUA_NAM))

        (only,) = await hcmc.rollups(1)
        national = await nation.rollups(3)
        with pytest.raises(TimeoutError):
            await hcmc.rollups(1, timeout=1.0)

    assert only["body"]["unit"] == HCMC
    assert {e["body"]["unit"] for e in national} == {"VN"}
    assert [e["body"]["completeness"]["submitted"] for e in national] == [1, 2, 3]


async def test_a_client_resumes_after_the_last_event_it_saw(start_system: SystemFactory) -> None:
    system = await start_system()
    async with feed_server(system) as url:
        async with follow(url, unit=HANOI) as stream:
            await accepted(system, submission(HOAN_KIEM))
            (seen,) = await stream.rollups(1)
        await accepted(system, submission(CUA_NAM))  # while the client is away
        await accepted(system, submission(VUNG_TAU))  # not its province

        async with follow(url, unit=HANOI, last_event_id=str(seen["id"])) as resumed:
            (missed,) = await resumed.rollups(1)
            with pytest.raises(TimeoutError):
                await resumed.rollups(1, timeout=1.0)
        # A new client starts from the latest state of what it follows.
        async with follow(url, unit=HANOI) as fresh:
            (latest,) = await fresh.rollups(1)

    assert missed["id"] > seen["id"]
    assert missed["body"]["completeness"]["submitted"] == 2
    assert latest == missed


async def test_an_idle_stream_gets_heartbeats(start_system: SystemFactory) -> None:
    system = await start_system()
    async with feed_server(system, heartbeat_seconds=0.2) as url, follow(url) as stream:
        with pytest.raises(TimeoutError):
            await stream.next_event(timeout=1.0)

    assert stream.comments.count("heartbeat") >= 3


async def test_a_client_that_leaves_takes_its_consumer_with_it(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    connection = await nats.connect(system.nats_url, **ops_options())
    js = connection.jetstream()

    async def consumers() -> int:
        return (await js.stream_info(subjects.ROLLUPS_STREAM)).state.consumer_count

    try:
        async with feed_server(system, heartbeat_seconds=0.2) as url:
            async with follow(url, unit=HANOI) as stream:
                await stream.response.aiter_lines().__anext__()
                assert await consumers() == 1

                async def counted() -> bool:
                    return bool(metrics.feed_clients._value.get() == 1)

                # The gauge is a process-wide count; under load it was seen a moment behind.
                await eventually(counted, timeout=5.0)

            async def gone() -> bool:
                return await consumers() == 0 and metrics.feed_clients._value.get() == 0

            # Well before the server's own clean-up of an abandoned consumer (10 s).
            await eventually(gone, timeout=5.0)
    finally:
        await connection.close()


async def test_clients_past_the_limit_are_told_to_come_back(start_system: SystemFactory) -> None:
    system = await start_system()
    system.aggregator.settings.feed_max_clients = 1
    async with feed_server(system) as url, follow(url) as first:
        await first.response.aiter_lines().__anext__()
        async with httpx.AsyncClient(headers=bearer("VN", Role.READER)) as client:
            refused = await client.get(f"{url}/v1/feed")

    assert refused.status_code == 503
    assert refused.json()["reason"] == "too_many_clients"
    assert refused.headers["retry-after"] == "5"


async def test_clients_opening_at_once_cannot_pass_the_limit(start_system: SystemFactory) -> None:
    system = await start_system()
    system.aggregator.settings.feed_max_clients = 2
    async with (
        feed_server(system) as url,
        httpx.AsyncClient(timeout=30, headers=bearer("VN", Role.READER)) as client,
    ):
        streams = [client.stream("GET", f"{url}/v1/feed") for _ in range(6)]
        responses = await asyncio.gather(*(s.__aenter__() for s in streams))
        try:
            statuses = sorted(r.status_code for r in responses)
        finally:
            for stream in streams:
                await stream.__aexit__(None, None, None)

    assert statuses == [200, 200, 503, 503, 503, 503]


@pytest.mark.parametrize(
    ("query", "headers", "status", "reason"),
    [
        ("report_type=nope", {}, 404, "unknown_report_type"),
        ("report_type=kl226-quarterly&period=2026-03", {}, 404, "invalid_period"),
        ("period=2026-Q5", {}, 404, "invalid_period"),
        ("unit=00070", {}, 404, "unknown_province"),
        ("unit=01.*", {}, 404, "unknown_province"),
        ("", {"Last-Event-ID": "abc"}, 400, "invalid_last_event_id"),
        ("last_event_id=-1", {}, 400, "invalid_last_event_id"),
    ],
)
async def test_a_bad_filter_is_refused_before_the_stream_starts(
    start_system: SystemFactory,
    query: str,
    headers: dict[str, str],
    status: int,
    reason: str,
) -> None:
    system = await start_system()

    response = await system.central_http.get(f"/v1/feed?{query}", headers=headers)

    assert response.status_code == status
    assert response.json()["reason"] == reason
