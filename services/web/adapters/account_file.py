"""Local accounts in one JSON file (mode 0600), beside the embedded token issuer's keys.

The embedded default keeps its identity in files (the issuer's keys, the revocation list), and
so do its people: production signs in through the ministry's OpenID Connect provider instead.
The file is re-read when it changes, so `baocao account` takes effect without a restart.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from services.web.domain.accounts import Account
from shared.identity import Role
from shared.identity.keys import write_json_atomically


class AccountFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._document: dict[str, Any] = {"accounts": {}}

    def _load(self) -> dict[str, Any]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._document = None, {"accounts": {}}
            return self._document
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            self._document = json.loads(self.path.read_text(encoding="utf-8"))
            self._stamp = stamp
        return self._document

    def find(self, username: str) -> tuple[Account, str] | None:
        entry = self._load()["accounts"].get(username)
        if entry is None:
            return None
        return _account(username, entry), str(entry["password_hash"])

    def all(self) -> list[Account]:
        accounts = self._load()["accounts"]
        return [_account(name, entry) for name, entry in sorted(accounts.items())]

    def save(self, account: Account, password_hash: str | None = None) -> None:
        document = json.loads(json.dumps(self._load()))  # a copy: the cache stays as read
        entries = document.setdefault("accounts", {})
        previous = entries.get(account.username, {})
        stored_hash = password_hash or previous.get("password_hash")
        if stored_hash is None:
            raise ValueError(f"a new account needs a password: {account.username}")
        entries[account.username] = {
            "unit": account.unit,
            "roles": sorted(r.value for r in account.roles),
            "name": account.name,
            "disabled": account.disabled,
            "password_hash": stored_hash,
        }
        write_json_atomically(self.path, document, mode=0o600)


def _account(username: str, entry: dict[str, Any]) -> Account:
    return Account(
        username=username,
        unit=str(entry["unit"]),
        roles=frozenset(Role(r) for r in entry["roles"]),
        name=str(entry.get("name", username)),
        disabled=bool(entry.get("disabled", False)),
    )
