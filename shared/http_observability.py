"""HTTP observability for every service: FastAPI's own server spans, and Prometheus counts.

FastAPI (0.165+) opens the server span itself, continuing a caller's ``traceparent``; we only
turn off what would bury the reports' traces (a span per dependency and per serialisation, and
spans for probes and scrapes). Request metrics are Prometheus's, from a plain ASGI middleware:
it adds no task or stream per request, which matters on intake's hot path.
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any, Final

from fastapi.telemetry import TelemetryConfig
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import metrics

_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNTRACED_PATHS: Final = frozenset({"/healthz", "/readyz", "/metrics"})


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    return scope.get("path") in UNTRACED_PATHS


TELEMETRY: Final[TelemetryConfig] = {
    "tracing": True,
    "operation_spans": False,
    "metrics": False,  # Prometheus counts requests, below
    "logs": False,  # our structured logs record failures
    "exclude": _untraced,
}


class RequestMetrics:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"
        started = time.perf_counter()
        status = 500

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            # Starlette's router records the matched route in the scope; its path is the template.
            route = str(getattr(scope.get("route"), "path", "unmatched"))
            metrics.http_requests.labels(method, route, str(status)).inc()
            metrics.http_duration.labels(method, route).observe(time.perf_counter() - started)
