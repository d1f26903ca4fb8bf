"""An edge's metrics for the commune's (or the province's) monitoring: what its outbox holds,
what waits for the hub and for how long, and whether its link is up. Served by `baocao edge run`
on loopback (``--metrics-port``, 9422 by default), in Prometheus' text format, from a registry
of its own: the edge process exports nothing else."""

from __future__ import annotations

from datetime import datetime
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Gauge, start_http_server

from baocao.edge_node import OutboxStatus

DEFAULT_METRICS_PORT = 9422


class EdgeMetrics:
    def __init__(self, unit: str) -> None:
        self.registry = CollectorRegistry()
        labels = {"unit": unit}
        self.stored = Gauge(
            "baocao_edge_outbox_stored",
            "Reports the edge's outbox holds (kept 30 days, sent or not).",
            registry=self.registry,
        )
        self.unsent = Gauge(
            "baocao_edge_outbox_unsent",
            "Reports the hub has not yet taken from the outbox.",
            registry=self.registry,
        )
        self.oldest_age = Gauge(
            "baocao_edge_outbox_oldest_unsent_age_seconds",
            "How long the oldest report not yet taken by the hub has waited; 0 when none waits.",
            registry=self.registry,
        )
        self.link_up = Gauge(
            "baocao_edge_link_up",
            "1 while the edge's leaf connection to the hub is up, 0 while it is down; absent when"
            " unknown (no monitoring port).",
            registry=self.registry,
        )
        self.info = Gauge(
            "baocao_edge_info", "The unit this edge reports for.", ["unit"], registry=self.registry
        )
        self.info.labels(**labels).set(1)

    def serve(self, port: int) -> WSGIServer:
        """Serve /metrics on 127.0.0.1:``port`` from a thread of its own; shut the server
        returned down to stop."""
        server, _ = start_http_server(port, addr="127.0.0.1", registry=self.registry)
        return server

    def observe(self, outbox: OutboxStatus, link_up: bool | None, now: datetime) -> None:
        self.stored.set(outbox.stored)
        self.unsent.set(outbox.unsent)
        age = outbox.oldest_unsent_age(now)
        self.oldest_age.set(0 if age is None else max(age.total_seconds(), 0.0))
        if link_up is not None:
            self.link_up.set(1 if link_up else 0)
