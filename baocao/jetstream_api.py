"""The JetStream API spoken directly, for what nats-py's models drop: a durable stream source's
``consumer`` and each source's ``external`` API in stream info, by which the edges are told
apart (ADR 0024). One request, one JSON answer."""

from __future__ import annotations

import json
from typing import Any

from nats.aio.client import Client

API_TIMEOUT_SECONDS = 5.0


class JetStreamApiError(RuntimeError):
    """JetStream refused a request; the message names the request and the server's reason."""


async def request(
    connection: Client, subject: str, body: Any = None, *, timeout: float = API_TIMEOUT_SECONDS
) -> dict[str, Any]:
    """The answer to ``subject`` (``$JS.API.…`` or a domain's ``$JS.<domain>.API.…``), errors
    included as JetStream writes them (``{"error": …}``)."""
    reply = await connection.request(
        subject, json.dumps(body).encode() if body is not None else b"", timeout=timeout
    )
    answer: dict[str, Any] = json.loads(reply.data)
    return answer


async def checked(
    connection: Client, subject: str, body: Any = None, *, timeout: float = API_TIMEOUT_SECONDS
) -> dict[str, Any]:
    """The answer to ``subject``; an error answer raises :class:`JetStreamApiError`."""
    answer = await request(connection, subject, body, timeout=timeout)
    if "error" in answer:
        raise JetStreamApiError(f"{subject}: {answer['error'].get('description')}")
    return answer
