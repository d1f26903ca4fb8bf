"""Tracing: one trace per report, carried between services in W3C ``traceparent`` NATS headers.

Every service opens spans through :data:`tracer`. A process that runs as a service installs an
SDK tracer provider with :func:`configure_tracing`. With ``OTEL_EXPORTER_OTLP_ENDPOINT`` set,
spans are recorded and exported over OTLP/HTTP, sampled as ``OTEL_TRACES_SAMPLER`` says (the
SDK reads it; parent-based, always on, by default). Unset, nothing is recorded: spans are
non-recording but still carry trace and span ids, so log lines and ``traceparent`` headers keep
them. Recording a span nobody collects cost about three times as much per message.
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping, MutableMapping
from typing import Final

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.semconv._incubating.attributes import messaging_attributes as messaging
from opentelemetry.trace import NonRecordingSpan, Span, SpanContext, SpanKind, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue

tracer: Final = trace.get_tracer("baocao")
_propagator: Final = TraceContextTextMapPropagator()


class _Mode:
    # False once configure_tracing knows nothing collects spans: message spans then skip the
    # SDK (sampler, attributes, regex parsing), which cost about 70 µs per report in the
    # validator, and are made directly as non-recording spans that keep the trace's ids.
    recording = True


_NOT_SAMPLED: Final = TraceFlags(TraceFlags.DEFAULT)

# Attribute names of our own, beside OpenTelemetry's messaging conventions.
SUBMISSION_ID: Final = "baocao.submission_id"
UNIT: Final = "baocao.unit"
REPORT_TYPE: Final = "baocao.report_type"
PERIOD: Final = "baocao.period"


def configure_tracing(service: str, otlp_endpoint: str | None) -> None:
    """Install this process's tracer provider, unless one is already installed (a test's)."""
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    name = os.environ.get("OTEL_SERVICE_NAME") or f"baocao-{service}"
    resource = Resource.create({"service.name": name})
    if not otlp_endpoint:
        trace.set_tracer_provider(TracerProvider(resource=resource, sampler=ALWAYS_OFF))
        _Mode.recording = False
        return
    # Imported here: the exporter pulls in protobuf, which a process without a collector never
    # needs.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)


def inject(headers: MutableMapping[str, str], span: Span | None = None) -> MutableMapping[str, str]:
    """Write the trace context (of ``span``, or the current one) into message ``headers``."""
    if not _Mode.recording:
        context = (span or trace.get_current_span()).get_span_context()
        if context.is_valid:
            headers["traceparent"] = (
                f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"
            )
        return headers
    context_ = trace.set_span_in_context(span) if span is not None else None
    _propagator.inject(headers, context=context_)
    return headers


def _unrecorded(parent: Mapping[str, str] | None) -> Span:
    """A non-recording span in ``parent``'s trace (a new trace without one), made directly."""
    trace_id = _trace_id((parent or {}).get("traceparent")) or random.getrandbits(128)
    return NonRecordingSpan(
        SpanContext(trace_id, random.getrandbits(64), is_remote=False, trace_flags=_NOT_SAMPLED)
    )


def _trace_id(traceparent: str | None) -> int | None:
    """The trace id of a W3C ``traceparent`` (version 00), or None if it is not one."""
    if traceparent is None or len(traceparent) < 55 or traceparent[2] != "-":
        return None
    try:
        trace_id = int(traceparent[3:35], 16)
    except ValueError:
        return None
    return trace_id or None


def extract(headers: Mapping[str, str] | None) -> Context:
    """The trace context a producer wrote into ``headers``; an empty context starts a new trace."""
    return _propagator.extract(headers or {})


def carrier_of(span: Span) -> dict[str, str]:
    """``span``'s context as headers, for work that continues the trace elsewhere."""
    return dict(inject({}, span))


def send_span(
    destination_template: str,
    destination: str,
    *,
    parent: Mapping[str, str] | None = None,
    attributes: Mapping[str, AttributeValue] | None = None,
) -> Span:
    """A producer span for publishing to ``destination``, a child of ``parent`` when given
    (else of the current span). The caller ends it, and injects it into the message headers."""
    if not _Mode.recording:
        if parent is None:
            parent = carrier_of(trace.get_current_span())
        return _unrecorded(parent)
    return tracer.start_span(
        f"send {destination_template}",
        context=extract(parent) if parent is not None else None,
        kind=SpanKind.PRODUCER,
        attributes={
            messaging.MESSAGING_SYSTEM: "nats",
            messaging.MESSAGING_OPERATION_TYPE: "send",
            messaging.MESSAGING_OPERATION_NAME: "publish",
            messaging.MESSAGING_DESTINATION_NAME: destination,
            messaging.MESSAGING_DESTINATION_TEMPLATE: destination_template,
            **(attributes or {}),
        },
    )


def process_span(
    destination_template: str,
    destination: str,
    consumer: str,
    headers: Mapping[str, str] | None,
    attributes: Mapping[str, AttributeValue] | None = None,
) -> Span:
    """A consumer span for processing one message, continuing the producer's trace."""
    if not _Mode.recording:
        return _unrecorded(headers)
    return tracer.start_span(
        f"process {destination_template}",
        context=extract(headers),
        kind=SpanKind.CONSUMER,
        attributes={
            messaging.MESSAGING_SYSTEM: "nats",
            messaging.MESSAGING_OPERATION_TYPE: "process",
            messaging.MESSAGING_OPERATION_NAME: "process",
            messaging.MESSAGING_DESTINATION_NAME: destination,
            messaging.MESSAGING_DESTINATION_TEMPLATE: destination_template,
            messaging.MESSAGING_CONSUMER_GROUP_NAME: consumer,
            **(attributes or {}),
        },
    )
