"""The small pieces of observability: event headers, log redaction, trace propagation."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import structlog
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider

from shared import cloudevents, telemetry
from shared.logging import configure_logging, get_logger


def test_event_headers_carry_the_cloudevents_required_attributes_in_binary_mode() -> None:
    hanoi = timezone(timedelta(hours=7))

    headers = cloudevents.headers(
        event_id="abc:verdict",
        event_type=cloudevents.ACCEPTED,
        service="validator",
        subject="abc",
        time=datetime(2026, 12, 10, 9, 0, tzinfo=hanoi),
    )

    assert headers["ce-specversion"] == "1.0"
    assert headers["ce-id"] == headers["Nats-Msg-Id"] == "abc:verdict"
    assert headers["ce-source"] == "/baocao/validator"
    assert headers["ce-type"] == "vn.gov.baocao.report.accepted.v1"
    assert headers["ce-subject"] == "abc"
    assert headers["ce-time"] == "2026-12-10T02:00:00Z"
    assert headers["content-type"] == "application/json"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("test", "INFO", "json", stream=stream, cache=False)
    yield stream
    structlog.reset_defaults()


def test_log_lines_never_carry_tokens_or_database_passwords(captured: io.StringIO) -> None:
    get_logger("test").info(
        "connecting",
        token="eyJ.secret.token",
        database="postgresql://baocao:hunter2@db:5432/baocao",
    )

    [line] = [json.loads(x) for x in captured.getvalue().splitlines()]
    assert line["token"] == "[redacted]"
    assert line["database"] == "postgresql://baocao:[redacted]@db:5432/baocao"
    assert line["service"] == "test"
    assert "hunter2" not in captured.getvalue()


def test_a_line_written_inside_a_span_carries_its_trace_and_span_ids(
    captured: io.StringIO,
) -> None:
    tracer = TracerProvider().get_tracer("test")

    with tracer.start_as_current_span("work") as span:
        get_logger("test").info("inside")
    get_logger("test").info("outside")

    inside, outside = (json.loads(x) for x in captured.getvalue().splitlines())
    assert inside["trace_id"] == f"{span.get_span_context().trace_id:032x}"
    assert inside["span_id"] == f"{span.get_span_context().span_id:016x}"
    assert "trace_id" not in outside


def test_console_format_is_for_people_and_json_for_pipelines() -> None:
    stream = io.StringIO()
    configure_logging("test", "INFO", "console", stream=stream, cache=False)
    try:
        get_logger("test").info("hello", unit="00070")
    finally:
        structlog.reset_defaults()

    text = stream.getvalue()
    assert "hello" in text
    assert "unit" in text
    assert not text.lstrip().startswith("{")


def test_trace_context_survives_the_trip_through_message_headers() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("producer") as producer:
        headers = telemetry.carrier_of(producer)

    child = tracer.start_span("consumer", context=telemetry.extract(headers))
    child.end()
    assert isinstance(child, ReadableSpan)

    assert headers["traceparent"].startswith("00-")
    assert child.get_span_context().trace_id == producer.get_span_context().trace_id
    assert child.parent is not None
    assert child.parent.span_id == producer.get_span_context().span_id
    assert telemetry.extract(None) == telemetry.extract({})


@pytest.fixture
def nothing_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a service started without OTEL_EXPORTER_OTLP_ENDPOINT."""
    monkeypatch.setattr(telemetry._Mode, "recording", False)


@pytest.mark.usefixtures("nothing_recorded")
def test_without_a_collector_a_message_span_still_continues_its_trace() -> None:
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

    span = telemetry.process_span(
        "reports.submitted", "reports.submitted.01.00070", "v", {"traceparent": parent}
    )
    headers = telemetry.carrier_of(span)

    context = span.get_span_context()
    assert not span.is_recording()
    assert context.trace_id == 0x0AF7651916CD43DD8448EB211C80319C
    assert context.span_id != 0xB7AD6B7169203331
    assert headers["traceparent"] == f"00-{context.trace_id:032x}-{context.span_id:016x}-00"
    child = telemetry.send_span("reports.accepted", "reports.accepted.01.00070", parent=headers)
    assert child.get_span_context().trace_id == context.trace_id


@pytest.mark.usefixtures("nothing_recorded")
@pytest.mark.parametrize(
    "traceparent",
    [
        None,
        "",
        "garbage",
        "00-zzzz651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",
    ],
)
def test_without_a_collector_a_missing_or_broken_traceparent_starts_a_new_trace(
    traceparent: str | None,
) -> None:
    headers = {} if traceparent is None else {"traceparent": traceparent}

    span = telemetry.process_span("reports.submitted", "reports.submitted.01.00070", "v", headers)

    assert span.get_span_context().is_valid
    assert span.get_span_context().trace_id != 0
