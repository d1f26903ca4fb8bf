"""Each unit's directory of contacts: e-mail addresses and a webhook with its secret."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg


@dataclass(frozen=True)
class Contact:
    unit: str
    emails: tuple[str, ...]
    webhook_url: str | None
    webhook_secret: str | None
    updated_by: str
    updated_at: datetime


def _contact(row: asyncpg.Record) -> Contact:
    return Contact(
        row["unit"],
        tuple(row["emails"]),
        row["webhook_url"],
        row["webhook_secret"],
        row["updated_by"],
        row["updated_at"],
    )


class ContactStore:
    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    async def get(self, unit: str) -> Contact | None:
        row = await self._pool.fetchrow("SELECT * FROM contacts WHERE unit = $1", unit)
        return None if row is None else _contact(row)

    async def get_many(self, units: Collection[str]) -> dict[str, Contact]:
        if not units:
            return {}
        rows = await self._pool.fetch(
            "SELECT * FROM contacts WHERE unit = ANY($1::text[])", list(units)
        )
        return {r["unit"]: _contact(r) for r in rows}

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
            contact.webhook_secret,
            contact.updated_by,
            contact.updated_at,
        )
        return created

    async def delete(self, unit: str) -> bool:
        deleted = await self._pool.fetchval(
            "DELETE FROM contacts WHERE unit = $1 RETURNING true", unit
        )
        return bool(deleted)
