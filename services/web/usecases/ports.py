"""What the web app's use cases need from the world: accounts, password hashes, tokens, and
the four services' public APIs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol

from services.web.domain.accounts import Account


class Accounts(Protocol):
    def find(self, username: str) -> tuple[Account, str] | None:
        """The account and its password hash, or None."""
        ...

    def save(self, account: Account, password_hash: str | None = None) -> None:
        """Create or update; a None hash keeps the stored one."""
        ...

    def all(self) -> list[Account]: ...


class PasswordHashes(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...

    def burn(self, password: str) -> None:
        """Spend the time a verification takes, for a username that does not exist."""
        ...


class PersonTokens(Protocol):
    def mint(self, account: Account) -> str:
        """A short-lived bearer token for the services, acting as ``account``."""
        ...


class ServiceRefused(Exception):
    """A service answered with a problem: its status and machine-readable reason."""

    def __init__(self, status: int, reason: str, detail: str, body: Mapping[str, Any]) -> None:
        super().__init__(f"{status} {reason}: {detail}")
        self.status = status
        self.reason = reason
        self.detail = detail
        self.body = body


class LineStream(Protocol):
    """A streamed answer read line by line (Server-Sent Events); ends quietly if cut off."""

    def lines(self) -> AsyncIterator[str]: ...

    async def close(self) -> None: ...


class ServiceApis(Protocol):
    """The four services' public HTTP APIs, called with the person's token. A 4xx or 5xx
    answer raises :class:`ServiceRefused`; so does a service that does not answer (503)."""

    async def get(
        self, service: str, path: str, token: str, params: Mapping[str, str] | None = None
    ) -> Any: ...

    async def get_bytes(self, service: str, path: str, token: str) -> tuple[bytes, str]: ...

    async def post(
        self,
        service: str,
        path: str,
        token: str,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any: ...

    async def delete(
        self, service: str, path: str, token: str, body: Mapping[str, Any] | None = None
    ) -> Any: ...

    async def post_bytes(self, service: str, path: str, token: str, content: bytes) -> Any:
        """POST ``content`` unchanged as JSON (a body signed in the browser)."""
        ...

    async def open_lines(
        self,
        service: str,
        path: str,
        token: str,
        *,
        params: Mapping[str, str],
        headers: Mapping[str, str],
        read_timeout: float,
    ) -> LineStream: ...
