"""Each unit's directory of contacts: e-mail addresses and a webhook with its secret.

The notifier needs each webhook secret in plaintext to sign with it, so the secret cannot be
hashed; it is encrypted in the table under a key kept out of the database (a dump alone does not
give it away) and decrypted here on reading.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import asyncpg
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from services.notifier.usecases.ports import Contact
from shared.logging import get_logger

log = get_logger(__name__)
SEALED = "v1:"  # Fernet; another format would come as v2:, read side by side


class SecretUnreadable(ValueError):
    """A stored secret the keys cannot decrypt: the wrong NOTIFIER_SECRETS_KEY, or a key that
    was dropped from it too early."""


class SecretCipher:
    """Seals webhook secrets as ``v1:<Fernet token>``. ``keys``, newest first: the first
    encrypts, every one decrypts, so a new key can be put in front while old rows stay
    readable."""

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def seal(self, secret: str) -> str:
        return SEALED + self._fernet.encrypt(secret.encode()).decode("ascii")

    def unseal(self, stored: str) -> str:
        if not stored.startswith(SEALED):
            return stored  # written before secrets were encrypted: sealed when next written
        try:
            return self._fernet.decrypt(stored.removeprefix(SEALED).encode("ascii")).decode()
        except (InvalidToken, UnicodeError) as error:
            raise SecretUnreadable("the webhook secret cannot be decrypted") from error


class PostgresContactStore:
    """:class:`~services.notifier.usecases.ports.ContactStore` in PostgreSQL, secrets sealed."""

    def __init__(self, pool: asyncpg.Pool[Any], cipher: SecretCipher) -> None:
        self._pool = pool
        self._cipher = cipher

    def _contact(self, row: asyncpg.Record) -> Contact:
        secret: str | None = row["webhook_secret"]
        if secret is not None:
            try:
                secret = self._cipher.unseal(secret)
            except SecretUnreadable:
                # One unreadable row must not stop every unit's e-mail: this unit's webhook
                # fails (no secret to sign with) and shows as having no secret until reset.
                log.error("webhook secret unreadable; check NOTIFIER_SECRETS_KEY", unit=row["unit"])
                secret = None
        return Contact(
            row["unit"],
            tuple(row["emails"]),
            row["webhook_url"],
            secret,
            row["updated_by"],
            row["updated_at"],
        )

    async def get(self, unit: str) -> Contact | None:
        row = await self._pool.fetchrow("SELECT * FROM contacts WHERE unit = $1", unit)
        return None if row is None else self._contact(row)

    async def get_many(self, units: Collection[str]) -> dict[str, Contact]:
        if not units:
            return {}
        rows = await self._pool.fetch(
            "SELECT * FROM contacts WHERE unit = ANY($1::text[])", list(units)
        )
        return {r["unit"]: self._contact(r) for r in rows}

    async def put(self, contact: Contact) -> bool:
        """Create or replace a unit's contacts; True if it had none before."""
        created: bool = await self._pool.fetchval(
            "INSERT INTO contacts (unit, emails, webhook_url, webhook_secret, updated_by,"
            " updated_at) VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT (unit) DO UPDATE SET emails = EXCLUDED.emails,"
            " webhook_url = EXCLUDED.webhook_url, webhook_secret = EXCLUDED.webhook_secret,"
            " updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at"
            " RETURNING xmax = 0",
            contact.unit,
            list(contact.emails),
            contact.webhook_url,
            None if contact.webhook_secret is None else self._cipher.seal(contact.webhook_secret),
            contact.updated_by,
            contact.updated_at,
        )
        return created

    async def delete(self, unit: str) -> bool:
        deleted = await self._pool.fetchval(
            "DELETE FROM contacts WHERE unit = $1 RETURNING true", unit
        )
        return bool(deleted)
