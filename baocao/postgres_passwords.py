"""The embedded PostgreSQL's passwords: kept in a file only its owner reads, and asked for.

Every role gets a generated password, saved in ``passwords.json`` (mode 0600) beside the data
directory; a data directory initialised with ``trust`` (before passwords) has its
``pg_hba.conf`` rewritten to ask for SCRAM passwords instead.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path


def read_passwords(path: Path) -> dict[str, str]:
    passwords: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return passwords


def passwords_for_every_role(path: Path, roles: Iterable[str]) -> dict[str, str]:
    """The passwords on file, with one generated (and saved) for any role that has none."""
    try:
        passwords = read_passwords(path)
    except FileNotFoundError:
        passwords = {}
    missing = [r for r in roles if r not in passwords]
    if missing:
        passwords |= {role: secrets.token_urlsafe(24) for role in missing}
        write_private(path, json.dumps(passwords, indent=2) + "\n")
    return passwords


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only, from the first byte on."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)


def asking_passwords(hba: str) -> str:
    """pg_hba.conf with every ``trust`` rule asking for a SCRAM password instead."""
    return "".join(
        line
        if line.lstrip().startswith("#")
        else re.sub(r"(?<=\s)trust(?=\s|$)", "scram-sha-256", line)
        for line in hba.splitlines(keepends=True)
    )


def trusts_anyone(pgdata: Path) -> bool:
    """Whether the data directory's pg_hba.conf lets anyone in without a password."""
    hba = pgdata / "pg_hba.conf"
    if not hba.exists():
        return False
    text = hba.read_text(encoding="utf-8")
    return asking_passwords(text) != text
