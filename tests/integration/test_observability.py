"""What operators see: one trace per report, log lines that name it, metrics and CloudEvents."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import httpx
import nats
import pytest
import structlog
from nats.js.api import RawStreamMsg
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from baocao.nats_identities import ops_options
from shared import subjects
from shared.logging import configure_logging
from tests.integration.conftest import SystemFactory
from tests.integration.system import System, bearer, eventually, submission

pytestmark = pytest.mark.integration

UNIT = "00070"
PROVINCE = "01"


def consumer_group(span: ReadableSpan) -> str | None:
    value = (span.attributes or {}).get("messaging.consumer.group.name")
    return str(value) if value is not None else None


def spans_of(exporter: InMemorySpanExporter, submission_id: str) -> list[ReadableSpan]:
    return [
        s
        for s in exporter.get_finished_spans()
        if (s.attributes or {}).get("baocao.submission_id") == submission_id
        or s.name == "POST /v1/submissions"
    ]


def one(spans: Sequence[ReadableSpan], name: str, group: str | None = None) -> ReadableSpan:
    found = [s for s in spans if s.name == name and (group is None or consumer_group(s) == group)]
    assert len(found) == 1, (name, group, [(s.name, consumer_group(s)) for s in spans])
    return found[0]


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


async def stored(nats_url: str, subject: str) -> list[RawStreamMsg]:
    """Every message the REPORTS or NOTIFY stream holds on ``subject``."""
    connection = await nats.connect(nats_url, **ops_options())
    try:
        js = connection.jetstream()
        stream = (
            subjects.NOTIFY_STREAM if subject.startswith("notify.") else subjects.REPORTS_STREAM
        )
        found: list[RawStreamMsg] = []
        seq = 0
        while True:
            try:
                message = await js.get_msg(stream, seq=seq + 1, subject=subject, next=True)
            except nats.js.errors.NotFoundError:
                return found
            found.append(message)
            assert message.seq is not None
            seq = message.seq
    finally:
        await connection.close()


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("test", "DEBUG", "json", stream=stream, cache=False)
    yield stream
    structlog.reset_defaults()


def lines_of(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


async def test_one_report_is_one_trace_from_intake_through_validator_aggregator_and_notifier(
    start_system: SystemFactory, spans: InMemorySpanExporter
) -> None:
    system = await start_system()
    body = submission(UNIT)

    assert (await system.submit(body)).status_code == 202
    assert (await system.settled(body["submission_id"]))["status"] == "accepted"

    journey = spans_of(spans, body["submission_id"])
    received = one(journey, "POST /v1/submissions")
    sent = one(journey, "send reports.submitted")
    judged = one(journey, "process reports.submitted", "validator")
    verdict = one(journey, "send reports.accepted")
    rolled_up = one(journey, "process reports.accepted", "aggregator")
    reminders_cancelled = one(journey, "process reports.accepted", "notifier-accepted")
    assert {s.context.trace_id for s in journey} == {received.context.trace_id}
    # Each step is the child of the one that caused it, across the NATS hops.
    assert parent_of(sent) == received.context.span_id
    assert parent_of(judged) == sent.context.span_id
    assert parent_of(verdict) == judged.context.span_id
    assert parent_of(rolled_up) == verdict.context.span_id
    assert parent_of(reminders_cancelled) == verdict.context.span_id
    assert received.kind == SpanKind.SERVER
    assert (sent.kind, judged.kind) == (SpanKind.PRODUCER, SpanKind.CONSUMER)
    attributes = dict(judged.attributes or {})
    assert attributes["messaging.system"] == "nats"
    assert attributes["messaging.destination.name"] == f"reports.submitted.{PROVINCE}.{UNIT}"
    assert attributes["baocao.unit"] == UNIT
    assert attributes["baocao.report_type"] == "kl226-quarterly"
    assert attributes["baocao.period"] == "2026-Q4"


async def test_a_rejection_is_traced_to_the_notice_that_tells_the_submitter_why(
    start_system: SystemFactory, spans: InMemorySpanExporter
) -> None:
    system = await start_system()
    body = submission(UNIT, procedures_online=-1)

    assert (await system.submit(body)).status_code == 202
    assert (await system.settled(body["submission_id"]))["status"] == "rejected"

    journey = spans_of(spans, body["submission_id"])
    explained = one(journey, "process reports.rejected", "notifier-rejected")
    notice_sent = next(s for s in spans.get_finished_spans() if s.name == "send notify")
    assert explained.context.trace_id == notice_sent.context.trace_id
    assert parent_of(notice_sent) == explained.context.span_id
    [notice] = await stored(system.nats_url, subjects.notify(UNIT))
    payload = json.loads(notice.data or b"")
    assert payload["stage"] == "rejection"
    assert payload["submission_id"] == body["submission_id"]
    assert "negative_value" in {r["code"] for r in payload["reasons"]}
    assert "không được chấp nhận" in payload["message_vi"]
    headers = notice.headers or {}
    assert headers["ce-type"] == "vn.gov.baocao.notice.rejection.v1"
    assert f"{explained.context.trace_id:032x}" in headers["traceparent"]


async def test_every_published_event_carries_cloudevents_attributes(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    body = submission(UNIT)
    assert (await system.submit(body)).status_code == 202
    await system.settled(body["submission_id"])

    [report] = await stored(system.nats_url, subjects.submitted(PROVINCE, UNIT))
    [verdict] = await stored(system.nats_url, subjects.accepted(PROVINCE, UNIT))

    for event, event_type, source in (
        (report, "vn.gov.baocao.report.submitted.v1", "/baocao/intake"),
        (verdict, "vn.gov.baocao.report.accepted.v1", "/baocao/validator"),
    ):
        headers = event.headers or {}
        assert headers["ce-specversion"] == "1.0"
        assert headers["ce-type"] == event_type
        assert headers["ce-source"] == source
        assert headers["ce-subject"] == body["submission_id"]
        assert headers["ce-id"] == headers["Nats-Msg-Id"]
        assert datetime.fromisoformat(headers["ce-time"]).tzinfo is not None
        assert headers["content-type"] == "application/json"
        assert headers["traceparent"].startswith("00-")


async def test_log_lines_written_while_handling_a_report_carry_its_trace_submission_and_unit(
    start_system: SystemFactory, spans: InMemorySpanExporter, log_lines: io.StringIO
) -> None:
    system = await start_system()
    body = submission(UNIT)
    token = bearer(UNIT)["Authorization"].split()[1]

    assert (await system.submit(body)).status_code == 202
    await system.settled(body["submission_id"])

    trace_id = f"{one(spans_of(spans, body['submission_id']), 'POST /v1/submissions').context.trace_id:032x}"
    lines = lines_of(log_lines)
    about_it = {
        line["event"]: line for line in lines if line.get("submission_id") == body["submission_id"]
    }
    assert {"received", "judged", "rolled up"} <= about_it.keys()
    for line in about_it.values():
        assert line["trace_id"] == trace_id
        assert len(line["span_id"]) == 16
        assert line["unit"] == UNIT
    assert token not in log_lines.getvalue()


async def metric_lines(app_client: httpx.AsyncClient) -> list[str]:
    response = await app_client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text.splitlines()


def has(lines: Sequence[str], name: str, *labels: str) -> bool:
    return any(
        line.startswith(name + "{") and all(label in line for label in labels) for line in lines
    )


def value_of(lines: Sequence[str], name: str, *labels: str) -> float:
    [line] = [
        line for line in lines if line.startswith(name + "{") and all(x in line for x in labels)
    ]
    return float(line.rsplit(" ", 1)[1])


def client_of(app: Any, base_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


async def test_each_service_exports_transport_and_domain_metrics(
    start_system: SystemFactory,
) -> None:
    system: System = await start_system()
    good, bad = submission(UNIT), submission(UNIT, procedures_online=-1)
    assert (await system.intake_http.post("/v1/submissions", json=good)).status_code == 401
    for body in (good, bad):
        assert (await system.submit(body)).status_code == 202
        await system.settled(body["submission_id"])
    assert system.aggregator.gauges is not None
    await system.aggregator.gauges.refresh()

    intake = await metric_lines(system.intake_http)
    assert has(intake, "baocao_auth_refusals_total", 'reason="missing_token"')
    assert has(intake, "baocao_http_requests_total", 'route="/v1/submissions"', 'status="202"')
    assert has(intake, "baocao_events_published_total", 'subject="reports.submitted"')

    async with client_of(system.validator.app(), "http://validator") as client:
        validator = await metric_lines(client)
    kind = 'report_type="kl226-quarterly"'
    assert value_of(validator, "baocao_submissions_received_total", kind) >= 2
    assert has(validator, "baocao_submissions_accepted_total", kind, 'timeliness="on_time"')
    assert has(validator, "baocao_submissions_rejected_total", kind, 'reason="negative_value"')
    assert any(line.startswith("# TYPE baocao_submissions_late_total") for line in validator)
    assert has(validator, "baocao_messages_processed_total", 'consumer="validator"')
    assert has(validator, "baocao_batch_duration_seconds_count", 'consumer="validator"')

    await eventually(lambda: _caught_up(system))
    aggregator = await metric_lines(system.central_http)
    period = 'period="2026-Q4"'
    assert value_of(aggregator, "baocao_rollup_submitted_units", kind, period, 'unit="01"') == 1
    assert value_of(aggregator, "baocao_rollup_expected_units", kind, period, 'unit="VN"') == 3355
    assert has(aggregator, "baocao_rollup_completeness_ratio", kind, period, 'unit="VN"')
    assert has(aggregator, "baocao_report_deadline_timestamp_seconds", kind, 'level="commune"')
    assert value_of(aggregator, "baocao_consumer_pending_messages", 'consumer="aggregator"') == 0
    assert has(aggregator, "baocao_consumer_oldest_unprocessed_age_seconds")

    async with client_of(system.notifier.app(), "http://notifier") as client:
        notifier = await metric_lines(client)
    assert value_of(notifier, "baocao_notices_sent_total", 'stage="rejection"') >= 1
    assert any(line.startswith("# TYPE baocao_notices_failed_total") for line in notifier)
    assert has(notifier, "baocao_messages_processed_total", 'consumer="notifier-accepted"')


async def _caught_up(system: System) -> bool:
    # The lag gauges are read every few seconds; wait for a reading taken after the drain.
    lines = await metric_lines(system.central_http)
    return has(lines, "baocao_consumer_pending_messages", 'consumer="aggregator"') and (
        value_of(lines, "baocao_consumer_pending_messages", 'consumer="aggregator"') == 0
    )
