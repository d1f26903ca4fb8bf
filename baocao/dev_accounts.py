"""The development accounts `make run` prints: one for Central, one province, one commune.

Their passwords are made once per `.run` directory and kept beside the local accounts (mode
0600), so every `make run` prints the same ones. Never in production: BAOCAO_ENV=production
refuses local accounts made this way (their file is a development key).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from services.web.usecases.signing_in import SigningIn
from shared.identity import Role
from shared.identity.keys import write_json_atomically


@dataclass(frozen=True)
class DevAccount:
    username: str
    unit: str
    roles: frozenset[Role]
    name: str


DEV_ACCOUNTS = (
    DevAccount("trunguong", "VN", frozenset({Role.READER, Role.APPROVER}), "Văn phòng Trung ương"),
    DevAccount(
        "hanoi",
        "01",
        frozenset({Role.READER, Role.APPROVER, Role.SUBMITTER}),
        "Sở Nội vụ Hà Nội",
    ),
    DevAccount("badinh", "00004", frozenset({Role.SUBMITTER}), "UBND phường Ba Đình"),
)


def ensure_dev_accounts(signing_in: SigningIn, directory: Path) -> dict[str, str]:
    """The development accounts, made if missing; their passwords by username."""
    path = directory / "dev-accounts.json"
    try:
        passwords: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        passwords = {}
    for account in DEV_ACCOUNTS:
        if signing_in.accounts.find(account.username) is not None and account.username in passwords:
            continue
        password = passwords.get(account.username) or f"dev-{secrets.token_urlsafe(12)}"
        if signing_in.accounts.find(account.username) is None:
            signing_in.create(account.username, account.unit, account.roles, account.name, password)
        else:
            signing_in.set_password(account.username, password)
        passwords[account.username] = password
    write_json_atomically(path, passwords, mode=0o600)
    return passwords
