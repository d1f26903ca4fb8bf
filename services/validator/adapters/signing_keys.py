"""The units' signing keys and transition dates (migration 0010), held in memory.

Read whole once, then again only when ``signing_registry_version`` has moved: one single-row
read per batch, so a key registered, rotated or revoked counts from the next batch judged,
without a restart and without a window in which a revoked key is still trusted. Public keys
are parsed once each and reused across reloads.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.validator.domain.signatures import SigningRegistry, UnitKey
from shared.logging import get_logger
from shared.signing import PUBLIC_KEY_BYTES, decode_value

log = get_logger(__name__)


class SigningKeyStore:
    def __init__(
        self, pool: asyncpg.Pool[Any], *, required_from: datetime, notice: timedelta
    ) -> None:
        self._pool = pool
        self._required_from = required_from
        self._notice = notice
        self._version: int | None = None
        self._registry = SigningRegistry(required_from, notice)
        self._parsed: dict[str, Ed25519PublicKey] = {}

    async def current(self) -> SigningRegistry:
        """The keys and dates as committed now."""
        version = await self._pool.fetchval("SELECT version FROM signing_registry_version")
        if version != self._version:
            await self._reload()
        return self._registry

    async def _reload(self) -> None:
        async with (
            self._pool.acquire() as connection,
            connection.transaction(isolation="repeatable_read", readonly=True),
        ):
            version = await connection.fetchval("SELECT version FROM signing_registry_version")
            rows = await connection.fetch(
                "SELECT unit, key_id, public_key, valid_from, valid_to, revoked_at,"
                " revoked_reason FROM unit_signing_keys"
            )
            policies = await connection.fetch(
                "SELECT unit, required_from FROM unit_signature_policy"
            )
        keys: dict[str, dict[str, UnitKey]] = {}
        parsed: dict[str, Ed25519PublicKey] = {}
        for row in rows:
            text = row["public_key"]
            public_key = self._parsed.get(text) or Ed25519PublicKey.from_public_bytes(
                decode_value(text, PUBLIC_KEY_BYTES)
            )
            parsed[text] = public_key
            keys.setdefault(row["unit"], {})[row["key_id"]] = UnitKey(
                unit=row["unit"],
                key_id=row["key_id"],
                public_key=public_key,
                valid_from=row["valid_from"],
                valid_to=row["valid_to"],
                revoked_at=row["revoked_at"],
                revoked_reason=row["revoked_reason"],
            )
        self._parsed = parsed
        self._registry = SigningRegistry(
            self._required_from,
            self._notice,
            keys,
            {r["unit"]: r["required_from"] for r in policies},
        )
        self._version = version
        log.info("signing keys read", version=version, keys=len(rows), policies=len(policies))
