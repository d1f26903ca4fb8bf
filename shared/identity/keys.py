"""Where verification keys and the revocation list come from: a local file or an issuer's URL.

Both are re-read while services run, so a rotated key or a revoked token takes effect without
a restart: a file when its modification time changes (looked at no more than once a second), a
URL when its cache expires or a token names a key id it does not know yet.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import httpx
import jwt

STAT_INTERVAL_SECONDS = 1.0


class KeySource(Protocol):
    async def key(self, kid: str) -> jwt.PyJWK | None:
        """The public key with this key id, or None when the issuer has no such key."""


def parse_jwks(document: Mapping[str, Any]) -> dict[str, jwt.PyJWK]:
    """Keys by ``kid``; a key without a kid or of a type this library cannot use is skipped."""
    found: dict[str, jwt.PyJWK] = {}
    for entry in document.get("keys", []):
        kid = entry.get("kid") if isinstance(entry, dict) else None
        if not isinstance(kid, str) or entry.get("use", "sig") != "sig":
            continue
        try:
            found[kid] = jwt.PyJWK(entry)
        except jwt.PyJWKError:
            continue
    return found


class _WatchedFile:
    """A file parsed again only when it changed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[float, int] | None = None
        self._checked = 0.0

    def changed(self) -> bool:
        now = time.monotonic()
        if self._seen is not None and now - self._checked < STAT_INTERVAL_SECONDS:
            return False
        self._checked = now
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            changed = self._seen != (0.0, -1)
            self._seen = (0.0, -1)
            return changed
        current = (stat.st_mtime, stat.st_size)
        if current == self._seen:
            return False
        self._seen = current
        return True

    def read(self) -> Any:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}


class JwksFile:
    """Baocao's own issuer: the JWKS the CLI writes next to its signing keys."""

    def __init__(self, path: Path) -> None:
        self._file = _WatchedFile(path)
        self._keys: dict[str, jwt.PyJWK] = {}

    async def key(self, kid: str) -> jwt.PyJWK | None:
        if self._file.changed():
            self._keys = parse_jwks(self._file.read())
        return self._keys.get(kid)


@dataclass
class JwksUrl:
    """An external OpenID Connect provider's ``jwks_uri`` (a ministry's Keycloak, say)."""

    url: str
    ttl_seconds: float = 600.0
    # A token naming an unknown kid triggers a fetch, but no more often than this: a flood of
    # tokens with made-up key ids must not become a flood of requests to the provider.
    refetch_seconds: float = 30.0
    _keys: dict[str, jwt.PyJWK] = field(default_factory=dict)
    _fetched: float = float("-inf")

    async def key(self, kid: str) -> jwt.PyJWK | None:
        age = time.monotonic() - self._fetched
        if age > self.ttl_seconds or (kid not in self._keys and age > self.refetch_seconds):
            await self._fetch()
        return self._keys.get(kid)

    async def _fetch(self) -> None:
        self._fetched = time.monotonic()
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                response = await client.get(self.url)
                response.raise_for_status()
                self._keys = parse_jwks(response.json())
        except (httpx.HTTPError, ValueError):
            # Keep the keys we had: a provider briefly down must not sign everyone out.
            return


class RevocationList:
    """Revoked token ids and subjects, from a JSON file ops edit with ``baocao token revoke``.

    ``{"tokens": {"<jti>": "<revoked at>"}, "subjects": {"<sub>": "<revoked at>"}}``. A revoked
    subject refuses every token issued to it up to the moment of revocation; a token issued
    afterwards (a new device, say) is good again.
    """

    def __init__(self, path: Path) -> None:
        self._file = _WatchedFile(path)
        self._tokens: frozenset[str] = frozenset()
        self._subjects: dict[str, float] = {}

    def refresh(self) -> None:
        if not self._file.changed():
            return
        document = self._file.read()
        self._tokens = frozenset(document.get("tokens", {}))
        self._subjects = {
            subject: datetime.fromisoformat(at).timestamp()
            for subject, at in document.get("subjects", {}).items()
        }

    def is_revoked(self, token_id: str, subject: str, issued_at: float) -> bool:
        self.refresh()
        if token_id in self._tokens:
            return True
        revoked_at = self._subjects.get(subject)
        return revoked_at is not None and issued_at <= revoked_at


def write_json_atomically(path: Path, document: Mapping[str, Any], mode: int = 0o644) -> None:
    """Readers never see half a file: write beside it, then rename over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    os.chmod(temporary, mode)
    temporary.replace(path)
