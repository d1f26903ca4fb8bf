"""NATS connection options every service shares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.nats_permissions import inbox_prefix_of_creds
from shared.settings import CommonSettings

# nats-py gives up after 60 reconnect attempts by default; a service must keep trying forever.
CONNECTION_OPTIONS: dict[str, Any] = {
    "max_reconnect_attempts": -1,
    "reconnect_time_wait": 1,
    "connect_timeout": 5,
}


def connection_options(settings: CommonSettings) -> dict[str, Any]:
    """How a service connects: as its own NATS user (NATS_CREDS) with that user's own inbox
    prefix, which its permissions name; NATS refuses a connection without credentials."""
    options = dict(CONNECTION_OPTIONS)
    if settings.nats_creds:
        creds = Path(settings.nats_creds)
        options["user_credentials"] = str(creds)
        options["inbox_prefix"] = inbox_prefix_of_creds(creds.read_text(encoding="utf-8"))
    return options
