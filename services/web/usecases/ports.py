"""What the web app's use cases need from the world: accounts, password hashes, tokens, and
the four services' public APIs."""

from __future__ import annotations

from collections.abc import Mapping
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
