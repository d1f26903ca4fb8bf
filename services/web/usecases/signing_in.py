"""Signing a person in with a local account, and keeping their token fresh while the session
lasts."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.web.domain.accounts import (
    Account,
    AccountError,
    FailedAttempts,
    checked_password,
    checked_unit,
    checked_username,
)
from services.web.usecases.ports import Accounts, PasswordHashes, PersonTokens
from shared.identity import Role
from shared.logging import get_logger

log = get_logger(__name__)


class SignInRefused(Exception):
    """Why a sign-in failed, as a reason code; the page never says whether the username exists."""

    def __init__(self, reason: str, until: datetime | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.until = until


@dataclass
class SignedIn:
    account: Account
    token: str


@dataclass
class SigningIn:
    accounts: Accounts
    passwords: PasswordHashes
    tokens: PersonTokens
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    _failures: dict[str, FailedAttempts] = field(default_factory=dict)

    def sign_in(self, username: str, password: str) -> SignedIn:
        username = unicodedata.normalize("NFC", username).strip().lower()
        password = unicodedata.normalize("NFC", password)
        attempts = self._failures.setdefault(username, FailedAttempts())
        now = self.now()
        if (until := attempts.paused_until(now)) is not None:
            log.warning("sign-in refused: paused", username=username)
            raise SignInRefused("paused", until)
        found = self.accounts.find(username)
        if found is None:
            self.passwords.burn(password)  # the same time as a wrong password
            return self._fail(username, attempts, now)
        account, password_hash = found
        if not self.passwords.verify(password_hash, password) or account.disabled:
            return self._fail(username, attempts, now)
        attempts.times.clear()
        if self.passwords.needs_rehash(password_hash):
            self.accounts.save(account, self.passwords.hash(password))
        log.info("signed in", username=username, unit=account.unit)
        return SignedIn(account, self.tokens.mint(account))

    def _fail(self, username: str, attempts: FailedAttempts, now: datetime) -> SignedIn:
        attempts.record(now)
        log.warning("sign-in refused", username=username, failures=len(attempts.times))
        raise SignInRefused("wrong_credentials")

    def active(self, username: str) -> bool:
        found = self.accounts.find(username)
        return found is not None and not found[0].disabled

    def refresh(self, username: str) -> SignedIn | None:
        """A new token for a session whose token nears its end, unless the account has since
        been disabled or removed (then the session ends)."""
        found = self.accounts.find(username)
        if found is None or found[0].disabled:
            return None
        return SignedIn(found[0], self.tokens.mint(found[0]))

    def create(
        self, username: str, unit: str, roles: frozenset[Role], name: str, password: str
    ) -> Account:
        username = checked_username(username)
        if self.accounts.find(username) is not None:
            raise AccountError(f"an account {username!r} exists; use `baocao account password`")
        if not roles:
            raise AccountError("an account needs at least one role")
        account = Account(username, checked_unit(unit), roles, unicodedata.normalize("NFC", name))
        self.accounts.save(account, self.passwords.hash(checked_password(password, username)))
        return account

    def set_password(self, username: str, password: str) -> None:
        found = self.accounts.find(username)
        if found is None:
            raise AccountError(f"no account {username!r}")
        self.accounts.save(found[0], self.passwords.hash(checked_password(password, username)))

    def set_disabled(self, username: str, disabled: bool) -> None:
        found = self.accounts.find(username)
        if found is None:
            raise AccountError(f"no account {username!r}")
        account = found[0]
        self.accounts.save(
            Account(account.username, account.unit, account.roles, account.name, disabled)
        )
