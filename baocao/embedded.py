"""nats-server and PostgreSQL run from their PyPI wheels, for `make run` and the test suite.

One import for the servers the tools and tests start: nats-server closed by JWT auth
(:mod:`baocao.embedded_nats`), PostgreSQL on loopback with a password for every role
(:mod:`baocao.embedded_postgres`), and the helpers for a child server process
(:mod:`baocao.processes`).
"""

from __future__ import annotations

from baocao.embedded_nats import EmbeddedNats, nats_server_binary
from baocao.embedded_postgres import (
    OWNER,
    PASSWORDS_FILE,
    POSTGRES_BIN_PATH,
    POSTGRES_USER,
    EmbeddedPostgres,
)
from baocao.processes import free_port, wait_for_port

__all__ = [
    "OWNER",
    "PASSWORDS_FILE",
    "POSTGRES_BIN_PATH",
    "POSTGRES_USER",
    "EmbeddedNats",
    "EmbeddedPostgres",
    "free_port",
    "nats_server_binary",
    "wait_for_port",
]
