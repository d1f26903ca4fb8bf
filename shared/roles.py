"""The database roles: one login per service (migration 0009), and setting their passwords.

Migrations create the roles and their grants but never hold a password: passwords are set here,
by the owner, after migrating (the embedded server's generated ones), or by the operator in
production (docs/database-roles.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from typing import Final
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

SERVICE_ROLES: Final = {
    "intake": "baocao_intake",
    "validator": "baocao_validator",
    "aggregator": "baocao_aggregator",
    "notifier": "baocao_notifier",
}
# PostgreSQL's own defaults for a SCRAM-SHA-256 verifier (scram_iterations, SCRAM_SALT_LEN).
SCRAM_ITERATIONS: Final = 4096
SCRAM_SALT_BYTES: Final = 16
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def scram_verifier(
    password: str, *, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS
) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for ``password`` (RFC 5802, RFC 7677).

    ``ALTER ROLE ... PASSWORD`` takes a verifier as is, so the password itself never reaches
    the server, its statement log or pg_stat_activity. Only ASCII: the server would SASLprep
    other text first, which is not reproduced here.
    """
    if not password.isascii() or not password.isprintable() or not password:
        raise ValueError("a role password must be non-empty printable ASCII")
    salt = os.urandom(SCRAM_SALT_BYTES) if salt is None else salt
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")
    encode = base64.b64encode
    return (
        f"SCRAM-SHA-256${iterations}:{encode(salt).decode()}"
        f"${encode(stored_key).decode()}:{encode(server_key).decode()}"
    )


def password_statement(role: str, password: str) -> str:
    """``ALTER ROLE`` setting ``role``'s password (as a verifier). DDL takes no parameters, so
    the role name is checked and the literal is one that needs no quoting (base64, $ and :)."""
    if not _ROLE_NAME.match(role):
        raise ValueError(f"not a role name: {role!r}")
    return f"ALTER ROLE \"{role}\" PASSWORD '{scram_verifier(password)}'"


async def set_passwords(dsn: str, passwords: Mapping[str, str]) -> None:
    """Set (or rotate) the roles' passwords, connected as ``dsn`` (a superuser, or a role with
    CREATEROLE and admin option on them). A connection already open keeps working; new ones
    need the new password."""
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            for role, password in sorted(passwords.items()):
                await connection.execute(password_statement(role, password))
    finally:
        await connection.close()


def with_credentials(dsn: str, user: str, password: str) -> str:
    """``dsn`` logging in as ``user`` with ``password`` instead of whoever it names."""
    parts = urlsplit(dsn)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port is not None else ""
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}{port}"
    return urlunsplit(parts._replace(netloc=netloc))
