"""The aggregator's refusals, by kind (shared/problems.py turns a kind into an HTTP status)."""

from __future__ import annotations

from shared.refusals import Kind, Refusal


class NotFound(Refusal):
    """Nothing by that name: a report type, period, unit, province or target."""

    kind = Kind.NOT_FOUND


class BadRequest(Refusal):
    kind = Kind.INVALID


class Unavailable(Refusal):
    """A dependency (NATS) or a limit (feed clients) stops it now; the same request works later."""

    kind = Kind.UNAVAILABLE
