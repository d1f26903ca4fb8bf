"""NATS connection options and stream set-up shared by every service."""

from __future__ import annotations

from typing import Any

from nats.js import JetStreamContext
from nats.js.errors import BadRequestError, NotFoundError

from shared.subjects import stream_configs

# nats-py gives up after 60 reconnect attempts by default; a service must keep trying forever.
CONNECTION_OPTIONS: dict[str, Any] = {
    "max_reconnect_attempts": -1,
    "reconnect_time_wait": 1,
    "connect_timeout": 5,
}


async def ensure_streams(js: JetStreamContext, replicas: int = 1) -> None:
    """Create the streams, or bring an existing one's config up to date."""
    for config in stream_configs(replicas):
        assert config.name is not None
        try:
            await js.stream_info(config.name)
        except NotFoundError:
            try:
                await js.add_stream(config)
            except BadRequestError:
                # Another process created it between our lookup and our add.
                await js.update_stream(config)
        else:
            await js.update_stream(config)
