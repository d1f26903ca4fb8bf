"""What the stack does before the services start: the database migrated and seeded, and NATS
provisioned.

:class:`baocao.stack.Stack` calls these with its own addresses and logins; they are kept apart
from the processes it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import asyncpg
import nats

from baocao.nats_provisioning import provision
from shared.db import migrate
from shared.identity.issuer import LocalIssuer
from shared.registry import Unit
from shared.registry.seed import units_from_package
from shared.registry.store import upsert_units
from shared.settings import CommonSettings


async def migrate_and_seed(
    database_url: str,
    extra_units: list[Unit] | None,
    say: Callable[[str], None],
    *,
    unit_keys_beside: LocalIssuer | None,
) -> None:
    """As the owner: apply migrations and seed the registry (and any synthetic units); with
    ``unit_keys_beside``, also give every unit a development signing key."""
    applied = await migrate(database_url)
    say(
        f"migrations                {len(applied)} applied"
        if applied
        else "migrations                up to date"
    )
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    assert pool is not None
    try:
        units = units_from_package() + list(extra_units or [])
        say(f"unit registry             seeding {len(units):,} units ...")
        await upsert_units(pool, units)
        if unit_keys_beside is not None:
            await _register_unit_keys(pool, unit_keys_beside, [u.code for u in units], say)
    finally:
        await pool.close()


async def _register_unit_keys(
    pool: asyncpg.Pool[Any], issuer: LocalIssuer, units: list[str], say: Callable[[str], None]
) -> None:
    """Development only: a signing key for every unit, kept beside the token issuer's and
    registered in one statement, so the tools sign what they send (docs/signatures.md).
    Never on a database the stack did not start, unless BAOCAO_DEV_UNIT_KEYS=1."""
    from baocao.unit_keys import UnitKeys

    keys = UnitKeys.beside(issuer)
    registered = await keys.register_all(pool, units)
    say(f"unit signing keys         {registered:,} registered   {keys.directory}")


async def provision_as_ops(
    nats_url: str, options: Mapping[str, Any], env: Mapping[str, str]
) -> None:
    """The streams and the durable consumers the services bind to (a service's NATS user may
    not create them), and the shared clock's bucket when ``env`` uses it."""
    connection = await nats.connect(nats_url, **options)
    try:
        await provision(
            connection.jetstream(),
            replicas=CommonSettings.model_validate(env).stream_replicas,
            shared_clock=env.get("BAOCAO_CLOCK") == "shared",
        )
    finally:
        await connection.close()
