"""A person who signs in to the web app, and the rules their account follows. Pure: no I/O."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared.identity import Caller, Role
from shared.identity.caller import UNIT_CODE

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
MIN_PASSWORD_LENGTH = 12
# Failed sign-ins before an account pauses, and for how long (NIST SP 800-63B 5.2.2 allows up
# to 100; a short pause after a few stops guessing without locking a clerk out for the day).
MAX_FAILURES = 5
PAUSE = timedelta(minutes=15)


class AccountError(ValueError):
    """An account that cannot be made as asked: the message says why, for the operator."""


@dataclass(frozen=True)
class Account:
    """A local account. A person acts for one unit, with that unit's roles they were given."""

    username: str
    unit: str
    roles: frozenset[Role]
    name: str
    disabled: bool = False

    def caller(self) -> Caller:
        return Caller(subject=f"person:{self.username}", unit=self.unit, roles=self.roles)


def checked_username(username: str) -> str:
    if not USERNAME.fullmatch(username):
        raise AccountError(
            "a username is 3-64 lowercase letters, digits, '.', '_' or '-', starting with a"
            f" letter or digit: {username!r}"
        )
    return username


def checked_unit(unit: str) -> str:
    if not UNIT_CODE.fullmatch(unit):
        raise AccountError(f"not a unit code (VN, 2 or 5 digits): {unit!r}")
    return unit


def checked_password(password: str, username: str) -> str:
    """Length over composition rules (NIST SP 800-63B): at least 12 characters, not the
    username. Stored NFC, so the same password typed on another keyboard still matches."""
    password = unicodedata.normalize("NFC", password)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    if username.lower() in password.lower():
        raise AccountError("a password may not contain the username")
    return password


@dataclass
class FailedAttempts:
    """Recent failed sign-ins of one username; enough of them pause the account for a while."""

    times: list[datetime] = field(default_factory=list)

    def paused_until(self, now: datetime) -> datetime | None:
        recent = [t for t in self.times if now - t < PAUSE]
        self.times = recent
        if len(recent) >= MAX_FAILURES:
            return recent[-1] + PAUSE
        return None

    def record(self, now: datetime) -> None:
        self.times.append(now)
