"""Real parts: a PostgreSQL server for the session, a fresh database and nats-server per test.

Each service logs in as its own role (migration 0009), so every test that runs one shows that
its grants suffice; ``database_url`` itself is the owner's, for tests that set up or inspect
any table.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx
import nats
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from baocao.embedded import EmbeddedNats, EmbeddedPostgres, free_port
from baocao.nats_identities import NatsIdentities
from baocao.nats_provisioning import provision
from services.aggregator.bootstrap import Aggregator
from services.aggregator.settings import AggregatorSettings
from services.intake.bootstrap import Intake
from services.intake.settings import IntakeSettings
from services.notifier.bootstrap import Notifier
from services.notifier.settings import NotifierSettings
from services.validator.bootstrap import Validator
from services.validator.settings import ValidatorSettings
from shared.clock import ClockSegment, ScheduledClock
from shared.db import migrate
from shared.registry.seed import units_from_package
from shared.registry.store import upsert_units
from tests.integration.system import System

TEMPLATE = "baocao_template"
_databases = itertools.count()
# The session's server, by "host:port", for service_url.
_servers: dict[str, EmbeddedPostgres] = {}


@pytest.fixture(scope="session")
def postgres() -> Iterator[EmbeddedPostgres]:
    with tempfile.TemporaryDirectory(prefix="baocao-pg-") as directory:
        server = EmbeddedPostgres(Path(directory), port=free_port(), database=TEMPLATE)
        server.start()
        _servers[f"{server.host}:{server.port}"] = server
        try:
            asyncio.run(_prepare_template(server))
            yield server
        finally:
            del _servers[f"{server.host}:{server.port}"]
            server.stop()


async def _prepare_template(server: EmbeddedPostgres) -> None:
    dsn = server.dsn()
    await migrate(dsn)
    # Roles belong to the cluster: every database cloned from the template shares them.
    await server.set_service_passwords()
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    assert pool is not None
    await upsert_units(pool, units_from_package())
    await pool.close()


def service_url(database_url: str, service: str) -> str:
    """The URL ``service`` logs in with to the database of ``database_url`` (the owner's URL
    of a database on the session's server)."""
    parts = urlsplit(database_url)
    server = _servers[f"{parts.hostname}:{parts.port}"]
    return server.service_dsn(service, parts.path.lstrip("/"))


@pytest.fixture
async def database_url(postgres: EmbeddedPostgres) -> str:
    """A database of its own for each test, cloned from the migrated, seeded template."""
    name = f"test_{next(_databases)}"
    connection = await asyncpg.connect(postgres.dsn("postgres"))
    try:
        await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    finally:
        await connection.close()
    return postgres.dsn(name)


@pytest.fixture
def nats_identities() -> NatsIdentities:
    """The session's NATS operator (BAOCAO_NATS_AUTH_DIR) and the users it signs."""
    return NatsIdentities.of()


@pytest.fixture
def nats_server(tmp_path: Path, nats_identities: NatsIdentities) -> Iterator[EmbeddedNats]:
    """A closed nats-server of the test's own, provisioned by ops as a deployment is."""
    server = EmbeddedNats(tmp_path / "nats", port=free_port(), authority=nats_identities.authority)
    server.start()
    asyncio.run(_provision(server.url, nats_identities))
    yield server
    server.stop()


@pytest.fixture
def hub(tmp_path: Path, nats_identities: NatsIdentities) -> Iterator[EmbeddedNats]:
    """A nats-server of the test's own that takes edges' leaf connections (ADR 0024); the
    test provisions it."""
    server = EmbeddedNats(
        tmp_path / "hub",
        port=free_port(),
        authority=nats_identities.authority,
        leafnode_port=free_port(),
    )
    server.start()
    yield server
    server.stop()


async def _provision(url: str, identities: NatsIdentities) -> None:
    connection = await nats.connect(url, **identities.options("ops"))
    try:
        # With the shared clock's bucket: some tests follow it, as the simulated round does.
        await provision(connection.jetstream(), shared_clock=True)
    finally:
        await connection.close()


@pytest.fixture
def clock() -> ScheduledClock:
    """System time frozen in the middle of the 2026-Q4 round, before the communes' deadline."""
    return ScheduledClock(
        [ClockSegment(datetime.now(UTC), datetime(2026, 12, 10, 2, 0, tzinfo=UTC), 0)]
    )


SystemFactory = Callable[..., Awaitable[System]]


@pytest.fixture
async def start_system(
    nats_server: EmbeddedNats,
    nats_identities: NatsIdentities,
    database_url: str,
    clock: ScheduledClock,
) -> AsyncIterator[SystemFactory]:
    started: list[System] = []

    async def start(*, notifier_loop: bool = False) -> System:
        def env(service: str) -> dict[str, str]:
            return {
                "NATS_URL": nats_server.url,
                "NATS_CREDS": str(nats_identities.path(service)),
                "DATABASE_URL": service_url(database_url, service),
            }

        intake = Intake(IntakeSettings(**env("intake")), clock)  # type: ignore[arg-type]
        validator = Validator(ValidatorSettings(**env("validator")), clock)  # type: ignore[arg-type]
        aggregator = Aggregator(AggregatorSettings(**env("aggregator")), clock)  # type: ignore[arg-type]
        notifier = Notifier(
            NotifierSettings(**env("notifier"), NOTIFIER_TICK_SECONDS=0.2),  # type: ignore[arg-type]
            clock,
        )
        for service in (intake, validator, aggregator):
            await service.start()
        await notifier.start(loop=notifier_loop)
        system = System(
            intake=intake,
            validator=validator,
            aggregator=aggregator,
            notifier=notifier,
            clock=clock,
            intake_http=httpx.AsyncClient(
                transport=httpx.ASGITransport(app=intake.app()), base_url="http://intake"
            ),
            central_http=httpx.AsyncClient(
                transport=httpx.ASGITransport(app=aggregator.app()), base_url="http://central"
            ),
            nats_url=nats_server.url,
            database_url=database_url,
        )
        started.append(system)
        return system

    yield start
    for system in started:
        await system.close()


_exporter: InMemorySpanExporter | None = None


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Every span the services in this process finish, kept in memory for the test to read.

    OpenTelemetry allows one tracer provider per process, so the first test to ask installs it
    and later ones share it, cleared before and after each."""
    global _exporter  # noqa: PLW0603 -- one provider per process, by OpenTelemetry's rule
    if _exporter is None:
        _exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_exporter))
        trace.set_tracer_provider(provider)
    _exporter.clear()
    yield _exporter
    _exporter.clear()
