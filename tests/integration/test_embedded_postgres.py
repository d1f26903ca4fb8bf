"""The embedded PostgreSQL of `make run` and the suite asks every role for its password, and a
cluster's roles come from migrating any of its databases, several at once included."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from baocao.embedded import EmbeddedPostgres, free_port
from shared.db import migrate
from shared.roles import SERVICE_ROLES

pytestmark = pytest.mark.integration


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedPostgres]:
    postgres = EmbeddedPostgres(tmp_path / "postgres", port=free_port())
    postgres.start()
    yield postgres
    postgres.stop()


async def refused(dsn: str) -> bool:
    try:
        connection = await asyncpg.connect(dsn)
    except asyncpg.InvalidPasswordError:
        return True
    await connection.close()
    return False


def without_password(server: EmbeddedPostgres) -> str:
    return f"postgresql://postgres@{server.host}:{server.port}/{server.database}"


async def test_the_embedded_server_listens_on_loopback_and_asks_for_a_password(
    server: EmbeddedPostgres,
) -> None:
    connection = await asyncpg.connect(server.dsn())
    try:
        listening = await connection.fetchval("SHOW listen_addresses")
    finally:
        await connection.close()

    assert listening == "127.0.0.1"
    assert await refused(without_password(server))
    assert await refused(server.dsn().replace(server.passwords["postgres"], "guessed"))
    assert server.passwords_file.stat().st_mode & 0o777 == 0o600


async def test_databases_migrated_at_once_in_one_cluster_share_its_roles(
    server: EmbeddedPostgres,
) -> None:
    connection = await asyncpg.connect(server.dsn())
    try:
        for name in ("province_a", "province_b"):
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()

    # Both create the roles, or find them created: neither fails.
    await asyncio.gather(migrate(server.dsn("province_a")), migrate(server.dsn("province_b")))
    await server.set_service_passwords()

    for database in ("province_a", "province_b"):
        for service, role in SERVICE_ROLES.items():
            connection = await asyncpg.connect(server.service_dsn(service, database))
            try:
                assert await connection.fetchval("SELECT current_user") == role
                assert await connection.fetchval("SELECT count(*) FROM units") == 0
            finally:
                await connection.close()


async def test_a_data_directory_from_before_passwords_is_converted_on_its_next_start(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "postgres"
    old = EmbeddedPostgres(directory, port=free_port())
    old.start()
    old.stop()
    # What `make run` left in .run/postgres before passwords: trust, and no passwords file.
    hba = directory / "data" / "pg_hba.conf"
    hba.write_text(hba.read_text().replace("scram-sha-256", "trust"))
    old.passwords_file.unlink()

    converted = EmbeddedPostgres(directory, port=free_port())
    converted.start()
    try:
        connection = await asyncpg.connect(converted.dsn())
        await connection.close()
        assert await refused(without_password(converted))
    finally:
        converted.stop()
    assert "trust" not in [
        line.split()[-1] for line in hba.read_text().splitlines() if line[:1].isalpha()
    ]

    converted.passwords_file.unlink()  # lost: nothing can log in any more
    with pytest.raises(RuntimeError, match="make clean"):
        EmbeddedPostgres(directory, port=free_port()).start()
