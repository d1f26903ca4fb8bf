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
from collections.abc import Mapping, MutableMapping
from typing import Final

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.semconv._incubating.attributes import messaging_attributes as messaging
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue

tracer: Final = trace.get_tracer("baocao")
_propagator: Final = TraceContextTextMapPropagator()

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
        return
    # Imported here: the exporter pulls in protobuf, which a process without a collector never
    # needs.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)


def inject(headers: MutableMapping[str, str], span: Span | None = None) -> MutableMapping[str, str]:
    """Write the trace context (of ``span``, or the current one) into message ``headers``."""
    context = trace.set_span_in_context(span) if span is not None else None
    _propagator.inject(headers, context=context)
    return headers


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
    attributes: Mapping[str, AttributeValue],
) -> Span:
    """A consumer span for processing one message, continuing the producer's trace."""
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
            **attributes,
        },
    )
