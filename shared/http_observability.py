"""HTTP server spans and request metrics for every service, as plain ASGI middleware.

Plain ASGI rather than Starlette's ``BaseHTTPMiddleware``: it adds no task or stream per
request, which matters on intake's hot path.
"""

from __future__ import annotations

import time
from typing import Final

from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import metrics, telemetry

_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Probes and scrapes arrive every few seconds; a span for each would bury the reports' traces.
_UNTRACED: Final = frozenset({"/healthz", "/readyz", "/metrics"})


class ObservedHTTP:
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

        if scope["path"] in _UNTRACED:
            try:
                await self.app(scope, receive, observed_send)
            finally:
                _count(method, scope, status, started)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        span = telemetry.tracer.start_span(
            method,
            context=telemetry.extract(headers),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": scope["path"]},
        )
        try:
            with trace.use_span(span, end_on_exit=False, record_exception=True):
                await self.app(scope, receive, observed_send)
        finally:
            route = _route(scope)
            span.update_name(f"{method} {route}")
            span.set_attribute("http.route", route)
            span.set_attribute("http.response.status_code", status)
            if status >= 500:
                span.set_status(StatusCode.ERROR)
            span.end()
            _count(method, scope, status, started)


def _route(scope: Scope) -> str:
    # Starlette's router records the matched route in the scope; its path is the template.
    return str(getattr(scope.get("route"), "path", "unmatched"))


def _count(method: str, scope: Scope, status: int, started: float) -> None:
    route = _route(scope)
    metrics.http_requests.labels(method, route, str(status)).inc()
    metrics.http_duration.labels(method, route).observe(time.perf_counter() - started)
