"""Units' signing keys for development and the load tools, and their registration.

A unit's private keys are kept under ``<dir>/<unit>/<key_id>.key`` (PKCS#8 PEM, mode 0600),
with ``<dir>/<unit>/current`` naming the one it signs with; ``dir`` is ``unit-keys`` beside
the local token issuer's directory (``.run/unit-keys``), so every tool of one stack finds the
same keys. In production a unit keeps its key on its own system and only the public key is
registered here (docs/signatures.md).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.signing import PUBLIC_KEY_BYTES, decode_value, encode_value, sign

if TYPE_CHECKING:
    from shared.identity.issuer import LocalIssuer

CURRENT = "current"
SUFFIX = ".key"


@dataclass(frozen=True)
class PublicKey:
    """A unit's public key as unit_signing_keys holds it: raw 32 bytes, base64url."""

    unit: str
    key_id: str
    public_key: str

    @classmethod
    def given(cls, unit: str, text: str, at: datetime) -> PublicKey:
        """A public key the unit made itself; ValueError if ``text`` is not one."""
        raw = decode_value(text, PUBLIC_KEY_BYTES)
        Ed25519PublicKey.from_public_bytes(raw)
        return cls(unit, key_id_for(raw, at), encode_value(raw))


@dataclass(frozen=True)
class UnitKey:
    unit: str
    key_id: str
    private: Ed25519PrivateKey

    @property
    def public(self) -> PublicKey:
        raw = self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return PublicKey(self.unit, self.key_id, encode_value(raw))


def key_id_for(public_key: bytes, at: datetime) -> str:
    """The day the key was made and a fingerprint of it: readable, and unique."""
    return f"{at.astimezone(UTC):%Y%m%d}-{hashlib.sha256(public_key).hexdigest()[:12]}"


class UnitKeys:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._loaded: dict[str, UnitKey | None] = {}

    @classmethod
    def beside(cls, issuer: LocalIssuer) -> UnitKeys:
        """The keys of the stack whose token issuer is ``issuer``."""
        return cls(issuer.directory.parent / "unit-keys")

    def current_id(self, unit: str) -> str | None:
        try:
            return (self.directory / unit / CURRENT).read_text(encoding="ascii").strip() or None
        except FileNotFoundError:
            return None

    def current(self, unit: str) -> UnitKey | None:
        """The key ``unit`` signs with, read once; None if it has none here."""
        if unit not in self._loaded:
            key_id = self.current_id(unit)
            self._loaded[unit] = None if key_id is None else self.load(unit, key_id)
        return self._loaded[unit]

    def load(self, unit: str, key_id: str) -> UnitKey:
        pem = (self.directory / unit / f"{key_id}{SUFFIX}").read_bytes()
        private = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(private, Ed25519PrivateKey):
            raise ValueError(f"{unit}/{key_id}{SUFFIX} is not an Ed25519 key")
        return UnitKey(unit, key_id, private)

    def make(self, unit: str, at: datetime | None = None) -> UnitKey:
        """A new key for ``unit``, written (0600) and made the one it signs with."""
        private = Ed25519PrivateKey.generate()
        raw = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        key = UnitKey(unit, key_id_for(raw, at or datetime.now(UTC)), private)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        folder = self.directory / unit
        folder.mkdir(exist_ok=True, mode=0o700)
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        descriptor = os.open(
            folder / f"{key.key_id}{SUFFIX}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600
        )
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        pointer = folder / f"{CURRENT}.tmp"
        pointer.write_text(key.key_id + "\n", encoding="ascii")
        pointer.replace(folder / CURRENT)
        self._loaded[unit] = key
        return key

    def signed(
        self, unit: str, document: Mapping[str, Any], at: datetime | None = None
    ) -> Mapping[str, Any]:
        """``document`` signed with ``unit``'s current key, at ``at`` (now); as it is if the
        unit has none here (it is then judged as an unsigned report)."""
        key = self.current(unit)
        if key is None:
            return document
        return sign(document, key.private, key.key_id, at or datetime.now(UTC))

    async def register_all(
        self, connection: asyncpg.Connection[Any] | asyncpg.Pool[Any], units: Iterable[str]
    ) -> int:
        """Make a key for each of ``units`` that has none here, and register every current key
        not yet registered, in one statement. Returns how many were registered."""
        registered = {
            (r["unit"], r["key_id"])
            for r in await connection.fetch("SELECT unit, key_id FROM unit_signing_keys")
        }
        missing = []
        for unit in units:
            key_id = self.current_id(unit)
            if key_id is None:
                missing.append(self.make(unit).public)
            elif (unit, key_id) not in registered:
                missing.append(self.load(unit, key_id).public)
        await register(connection, missing, datetime.now(UTC))
        return len(missing)


async def register(
    connection: asyncpg.Connection[Any] | asyncpg.Pool[Any],
    keys: Sequence[PublicKey],
    valid_from: datetime,
) -> None:
    """Register ``keys``' public halves, valid from ``valid_from``: one statement for them all;
    a key already registered is left as it is."""
    if not keys:
        return
    await connection.execute(
        "INSERT INTO unit_signing_keys (unit, key_id, public_key, valid_from)"
        " SELECT u, k, p, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS t(u, k, p)"
        " ON CONFLICT (unit, key_id) DO NOTHING",
        [k.unit for k in keys],
        [k.key_id for k in keys],
        [k.public_key for k in keys],
        valid_from,
    )
