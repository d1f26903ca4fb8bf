"""Process plumbing every service shares: connections, the clock, health, serving HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from faststream.nats import NatsBroker
from nats.js import JetStreamContext

from shared import metrics, production
from shared.catalog import DEFAULT_DIRECTORY, Catalog
from shared.clock import Clock, ScheduledClock, SystemClock
from shared.clock_sync import SharedClockFollower
from shared.consuming import BatchSubscriber
from shared.db import create_pool, pending_migrations
from shared.http_observability import TELEMETRY, RequestMetrics
from shared.identity import Authentication, verifier_from
from shared.logging import configure_logging, get_logger
from shared.messaging import connection_options
from shared.problems import add_problem_handlers, document_problems
from shared.settings import CommonSettings
from shared.telemetry import configure_tracing


def make_broker(settings: CommonSettings) -> NatsBroker:
    # The first thing every service builds: BAOCAO_ENV=production refuses here, before any
    # credential is read, development keys, placeholders and plaintext links.
    production.check(settings)
    # FastStream's own lines go through our JSON logging; its per-batch "Received/Processed"
    # lines are DEBUG, so they do not drown a service's log at the rate a deadline brings.
    return NatsBroker(
        settings.nats_url,
        logger=get_logger("faststream"),
        log_level=logging.DEBUG,
        **connection_options(settings),
    )


def load_catalog(settings: CommonSettings) -> Catalog:
    return Catalog.load(Path(settings.catalog_dir) if settings.catalog_dir else DEFAULT_DIRECTORY)


@dataclass
class Runtime:
    """The connections a service holds while it runs."""

    settings: CommonSettings
    broker: NatsBroker
    clock: Clock = field(default_factory=SystemClock)
    pool: asyncpg.Pool[Any] | None = None
    # The service's consumers, once started: /healthz fails if one's fetch loop has died.
    consumers: list[BatchSubscriber] = field(default_factory=list)
    _follower: SharedClockFollower | None = None

    @property
    def js(self) -> JetStreamContext:
        return self.broker.connection.jetstream()

    @property
    def db(self) -> asyncpg.Pool[Any]:
        assert self.pool is not None, "the runtime is not open"
        return self.pool

    async def open(self, *, pool_size: int = 10) -> None:
        """Connect to NATS and PostgreSQL; consumers start afterwards."""
        # Streams and durable consumers are provisioned by ops (`baocao nats provision`): a
        # service's NATS user may not create them.
        await self.broker.connect()
        if self.settings.clock == "shared" and not isinstance(self.clock, ScheduledClock):
            self.clock = ScheduledClock()
        if isinstance(self.clock, ScheduledClock) and self.settings.clock == "shared":
            self._follower = SharedClockFollower(self.clock)
            await self._follower.start(self.js)
        self.pool = await create_pool(self.settings.database_url, max_size=pool_size)

    async def close(self) -> None:
        """Stop following the clock, close NATS, close the pool: each step bounded, so a stuck
        connection can delay shutdown by seconds but never hold it forever."""
        if self._follower is not None:
            await _bounded("clock follower", self._follower.stop())
        await _bounded("nats", self.broker.stop())
        if self.pool is not None and not await _bounded("postgres pool", self.pool.close()):
            self.pool.terminate()

    async def ready(self) -> dict[str, bool]:
        checks = {"nats": self._nats_connected()}
        try:
            checks["postgres"] = await self.db.fetchval("SELECT true", timeout=2) is True
            # A replica started before `baocao migrate` ran would write to tables that are not
            # there yet, or not in their new shape: it is not ready until the schema is current.
            checks["migrations"] = not await pending_migrations(self.db)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            checks["postgres"] = False
            checks["migrations"] = False
        return checks

    def _nats_connected(self) -> bool:
        # FastStream raises rather than returning None before the broker has connected.
        try:
            return bool(self.broker.connection.is_connected)
        except Exception:
            return False


SHUTDOWN_STEP_SECONDS = 10.0


async def _bounded(step: str, work: Awaitable[Any]) -> bool:
    try:
        await asyncio.wait_for(work, SHUTDOWN_STEP_SECONDS)
    except TimeoutError:
        get_logger(__name__).warning("shutdown step timed out", step=step)
        return False
    return True


def service_app(
    title: str,
    runtime: Runtime,
    start: Callable[[], Awaitable[None]],
    stop: Callable[[], Awaitable[None]],
    on_refusal: Callable[[str], None] | None = None,
) -> FastAPI:
    """An HTTP app whose lifespan starts and stops the service, with /healthz and /readyz,
    closed by default, answering every refusal as RFC 9457 problem details (``on_refusal``
    counts them, if given)."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await start()
        yield
        await stop()

    app = FastAPI(title=title, lifespan=lifespan, telemetry=TELEMETRY)
    settings = runtime.settings
    # Closed by default: added first, so it sits inside the request metrics and a refused
    # request is still counted.
    app.add_middleware(
        Authentication, verifier=verifier_from(settings), max_body_bytes=settings.max_body_bytes
    )
    app.add_middleware(RequestMetrics)
    add_health_routes(app, runtime)
    add_problem_handlers(app, on_refusal)
    document_problems(app)
    return app


def add_health_routes(app: FastAPI, runtime: Runtime) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        # A consumer's fetch loop never ends on its own; if one has, only a restart helps.
        stopped = [c.durable for c in runtime.consumers if not c.alive]
        if stopped:
            return JSONResponse({"status": "consumer stopped", "consumers": stopped}, 503)
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        checks = await runtime.ready()
        return JSONResponse(
            {"ready": all(checks.values()), "checks": checks},
            status_code=200 if all(checks.values()) else 503,
        )

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)


def serve(app: FastAPI, host: str, port: int, service: str, settings: CommonSettings) -> None:
    """Run ``app`` until SIGINT/SIGTERM; logging is ours, not uvicorn's access log."""
    configure_logging(service, settings.log_level, settings.log_format)
    configure_tracing(service, settings.otlp_endpoint)
    get_logger(service).info("listening", host=host, port=port)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
        # An open live-feed stream would otherwise hold a SIGTERM until the pod is killed.
        timeout_graceful_shutdown=5,
    )
    asyncio.run(uvicorn.Server(config).serve())
