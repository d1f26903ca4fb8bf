"""/readyz says whether a service can do its work: NATS and PostgreSQL reachable, schema current."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from baocao.embedded import EmbeddedNats, EmbeddedPostgres, free_port
from baocao.nats_identities import NatsIdentities
from services.validator.bootstrap import Validator
from services.validator.settings import ValidatorSettings
from shared.db import migrate
from tests.integration.conftest import SystemFactory


async def readyz(client: httpx.AsyncClient) -> tuple[int, dict[str, object]]:
    response = await client.get("/readyz")
    body: dict[str, object] = response.json()
    return response.status_code, body


@pytest.fixture
async def own_postgres(tmp_path: Path) -> AsyncIterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(tmp_path / "postgres", port=free_port())
    server.start()
    await migrate(server.dsn())
    yield server
    server.stop()


async def test_every_service_is_ready_when_nats_postgres_and_migrations_are(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    for service in (system.intake, system.validator, system.aggregator, system.notifier):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=service.app()), base_url="http://service"
        ) as client:
            status, body = await readyz(client)

        assert status == 200
        assert body["checks"] == {"nats": True, "postgres": True, "migrations": True}


async def test_a_service_is_not_ready_while_a_migration_is_pending(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    connection = await asyncpg.connect(system.database_url)
    try:
        await connection.execute("DELETE FROM schema_migrations WHERE name LIKE '0002%'")
    finally:
        await connection.close()

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=system.validator.app()), base_url="http://service"
    ) as client:
        status, body = await readyz(client)

    assert status == 503
    assert body["ready"] is False
    assert body["checks"] == {"nats": True, "postgres": True, "migrations": False}


async def test_a_service_is_not_ready_once_postgresql_is_stopped(
    nats_server: EmbeddedNats, nats_identities: NatsIdentities, own_postgres: EmbeddedPostgres
) -> None:
    validator = Validator(
        ValidatorSettings(
            NATS_URL=nats_server.url,
            NATS_CREDS=str(nats_identities.path("validator")),
            DATABASE_URL=own_postgres.dsn(),
        )
    )
    await validator.start()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=validator.app()), base_url="http://service"
        ) as client:
            before, _ = await readyz(client)
            own_postgres.stop()
            after, body = await readyz(client)
    finally:
        await validator.stop()

    assert before == 200
    assert after == 503
    assert body["checks"] == {"nats": True, "postgres": False, "migrations": False}


@pytest.mark.integration
async def test_a_consumer_whose_fetch_loop_died_fails_the_liveness_probe(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    consumer = system.aggregator.consumer
    assert consumer is not None
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=system.aggregator.app()), base_url="http://aggregator"
    ) as client:
        assert (await client.get("/healthz")).status_code == 200

        loop = consumer.tasks[0]
        loop.cancel()  # stands for a bug that ends the loop
        await asyncio.wait({loop}, timeout=5)

        response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["consumers"] == ["aggregator"]
