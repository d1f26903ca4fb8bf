"""Whether an error is an outage (PostgreSQL or NATS down, restarting, overloaded, failing over)
rather than a fault of the request or the message. Pure: it only reads exception types.

One answer for every layer that must tell the two apart: a consumer naks and backs off on an
outage but dead-letters poison (``shared/consuming``), intake answers 503 with Retry-After
instead of 4xx, a dry run says "try again", a notice channel retries.
"""

from __future__ import annotations

import asyncpg
import nats.errors
import nats.js.errors

OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    nats.errors.Error,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, cannot connect now
    asyncpg.exceptions.InsufficientResourcesError,  # too many connections
    asyncpg.exceptions.TransactionRollbackError,  # deadlock, serialization failure
    asyncpg.exceptions.ReadOnlySQLTransactionError,  # a failover in progress
)

# Errors from NATS that are about the message, not the server: retrying cannot help.
MESSAGE_ERRORS: tuple[type[BaseException], ...] = (
    nats.errors.MaxPayloadError,
    nats.errors.BadSubjectError,
)


def is_transient(error: BaseException) -> bool:
    """Whether ``error`` is about the infrastructure rather than the message or request."""
    if isinstance(error, MESSAGE_ERRORS):
        return False
    if isinstance(error, nats.js.errors.APIError):
        # A JetStream API error names the request's fault unless the service is unavailable.
        return (
            isinstance(
                error, nats.js.errors.ServiceUnavailableError | nats.js.errors.NoStreamResponseError
            )
            or (error.code or 0) >= 500
        )
    return isinstance(error, OUTAGE_ERRORS)
