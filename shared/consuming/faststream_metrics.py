"""FastStream's Prometheus middleware, with labels from a bounded set.

Stock ``NatsPrometheusMiddleware`` (0.7.8) labels every series with the message's own subject,
``reports.accepted.01.00070``: one series per unit and metric, against the rule that metric
labels are bounded sets (docs/adr/0018). It also records a batch's message count as its size.
Its own extension point, the settings provider, is given here: the destination is the
subject's topic (``reports.accepted.>``, the label ``baocao_messages_*`` use), and a batch's
size is its bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from faststream.message import StreamMessage
from faststream.nats import NatsBroker
from faststream.nats.prometheus.provider import BaseNatsMetricsSettingsProvider
from faststream.prometheus import ConsumeAttrs, PrometheusMiddleware
from faststream.response import PublishCommand
from nats.aio.msg import Msg
from prometheus_client import REGISTRY, CollectorRegistry


def topic_of(subject: str) -> str:
    """``reports.accepted.01.00070`` -> ``reports.accepted.>``: the first two tokens, which
    every Baocao subject has, and never a unit or province code."""
    return ".".join(subject.split(".")[:2]) + ".>"


class BoundedNatsMetrics(BaseNatsMetricsSettingsProvider[Any]):
    """Labels a message, a batch or a publish by its topic."""

    __slots__ = ()

    def get_consume_attrs_from_message(self, msg: StreamMessage[Any]) -> ConsumeAttrs:
        raw = msg.raw_message
        messages: Sequence[Msg] = raw if isinstance(raw, Sequence) else [raw]
        return {
            "destination_name": topic_of(messages[0].subject) if messages else "",
            "message_size": sum(len(m.data) for m in messages),
            "messages_count": len(messages),
        }

    def get_publish_destination_name_from_cmd(self, cmd: PublishCommand) -> str:
        return topic_of(cmd.destination)


def bounded_metrics(msg: Any) -> BoundedNatsMetrics | None:
    """The settings provider for a core or JetStream message or batch; none for a KV watch."""
    if msg is None or isinstance(msg, Msg | Sequence):
        return BoundedNatsMetrics()
    return None


def prometheus_middleware(registry: CollectorRegistry) -> PrometheusMiddleware[Any, Any]:
    return PrometheusMiddleware(settings_provider_factory=bounded_metrics, registry=registry)


def observe(broker: NatsBroker) -> None:
    """FastStream's Prometheus middleware, once per broker, on the registry /metrics serves."""
    if not any(isinstance(m, PrometheusMiddleware) for m in broker.middlewares):
        broker.add_middleware(prometheus_middleware(REGISTRY))
