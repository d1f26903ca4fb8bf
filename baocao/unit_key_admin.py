"""Units' signing keys in the database: made and registered, rotated, revoked, listed; the policy
of when a unit's reports must be signed.

Run as the database's owner (the services may only read keys), by `baocao signing-key`
(:mod:`baocao.signing_cli`). Private keys made here are development keys, kept under
.run/unit-keys (docs/signatures.md).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from baocao.unit_keys import PublicKey, UnitKeys, register
from services.validator.domain.signatures import UnitKey as RegisteredKey
from shared.periods import VIETNAM
from shared.signing import PUBLIC_KEY_BYTES, decode_value

Say = Callable[[str], None]


async def connect(database_url: str) -> asyncpg.Connection[Any]:
    """One connection to the database, as the role DATABASE_URL names (its owner)."""
    return await asyncpg.connect(database_url)


async def add_key(
    database_url: str,
    keys: UnitKeys,
    unit: str,
    say: Say,
    *,
    rotate: bool = False,
    public: str | None = None,
) -> int:
    """Register a new key for ``unit``: made and kept in ``keys``, or the ``public`` one given.

    Without ``rotate`` the unit must have no open key; with it, every open key ends at the
    instant the new one starts."""
    now = datetime.now(UTC)
    connection = await connect(database_url)
    try:
        if not await connection.fetchval("SELECT count(*) FROM units WHERE code = $1", unit):
            say(f"no unit has code {unit!r}")
            return 2
        async with connection.transaction():
            open_keys = await connection.fetch(
                "SELECT key_id FROM unit_signing_keys WHERE unit = $1 AND valid_to IS NULL"
                " AND revoked_at IS NULL FOR UPDATE",
                unit,
            )
            if open_keys and not rotate:
                names = ", ".join(r["key_id"] for r in open_keys)
                say(f"unit {unit} already signs with {names}; use --rotate to replace it")
                return 2
            if rotate:
                await connection.execute(
                    "UPDATE unit_signing_keys SET valid_to = $2"
                    " WHERE unit = $1 AND valid_to IS NULL AND valid_from < $2",
                    unit,
                    now,
                )
            key = PublicKey.given(unit, public, now) if public else keys.make(unit, now).public
            await register(connection, [key], now)
    except ValueError as error:
        say(f"not an Ed25519 public key (raw 32 bytes, base64url): {error}")
        return 2
    finally:
        await connection.close()
    for row in open_keys if rotate else []:
        say(f"{row['key_id']}  valid until {now.isoformat(timespec='seconds')}")
    kept = "" if public else f"  private key {keys.directory / unit / (key.key_id + '.key')}"
    say(
        f"{key.key_id}  registered for {unit}, valid from {now.isoformat(timespec='seconds')}{kept}"
    )
    return 0


async def revoke(
    database_url: str,
    unit: str,
    key_id: str,
    reason: str,
    say: Say,
    at: datetime | None = None,
) -> int:
    """Refuse ``key_id`` from ``at`` (now by default; earlier when it was compromised before it
    was noticed: what was accepted meanwhile then no longer verifies as valid)."""
    connection = await connect(database_url)
    try:
        at = await connection.fetchval(
            "UPDATE unit_signing_keys SET revoked_at = coalesce($4, now()), revoked_reason = $3"
            " WHERE unit = $1 AND key_id = $2 AND revoked_at IS NULL RETURNING revoked_at",
            unit,
            key_id,
            unicodedata.normalize("NFC", reason),
            at,
        )
    finally:
        await connection.close()
    if at is None:
        say(f"unit {unit} has no unrevoked key {key_id!r}")
        return 2
    say(
        f"{key_id} of {unit} revoked from {shown(at)}: whatever is received from then on"
        " with it is refused (key_revoked); make the unit a new key with --rotate"
    )
    return 0


async def set_policy(database_url: str, unit: str, required_from: datetime, say: Say) -> int:
    connection = await connect(database_url)
    try:
        await connection.execute(
            "INSERT INTO unit_signature_policy (unit, required_from) VALUES ($1, $2)"
            " ON CONFLICT (unit) DO UPDATE SET required_from = $2, set_at = now()",
            unit,
            required_from,
        )
    except asyncpg.ForeignKeyViolationError:
        say(f"no unit has code {unit!r}")
        return 2
    finally:
        await connection.close()
    say(f"unit {unit}: unsigned reports refused from {shown(required_from)}")
    return 0


async def list_keys(database_url: str, unit: str, say: Say) -> int:
    connection = await connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT * FROM unit_signing_keys WHERE unit = $1 ORDER BY valid_from, key_id", unit
        )
        policy = await connection.fetchval(
            "SELECT required_from FROM unit_signature_policy WHERE unit = $1", unit
        )
    finally:
        await connection.close()
    say(f"unit {unit}: signatures required from " + (shown(policy) if policy else "the default"))
    for row in rows:
        say(describe(registered_key(row)))
    return 0


def registered_key(row: asyncpg.Record) -> RegisteredKey:
    """A row of ``unit_signing_keys`` as the validator's domain sees a key."""
    return RegisteredKey(
        unit=row["unit"],
        key_id=row["key_id"],
        public_key=Ed25519PublicKey.from_public_bytes(
            decode_value(row["public_key"], PUBLIC_KEY_BYTES)
        ),
        valid_from=row["valid_from"],
        valid_to=row["valid_to"],
        revoked_at=row["revoked_at"],
        revoked_reason=row["revoked_reason"],
    )


def shown(instant: datetime) -> str:
    """An instant as Vietnam time, to the second."""
    return instant.astimezone(VIETNAM).isoformat(timespec="seconds")


def describe(key: RegisteredKey) -> str:
    """One line: a key, when it is valid, and whether it was revoked."""
    until = f" until {shown(key.valid_to)}" if key.valid_to else ""
    revoked = (
        f"; REVOKED at {shown(key.revoked_at)} ({key.revoked_reason})" if key.revoked_at else ""
    )
    return f"{key.key_id}  valid from {shown(key.valid_from)}{until}{revoked}"
