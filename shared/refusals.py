"""A request refused, said in words rather than in HTTP codes.

Domain rules and use cases raise a :class:`Refusal` (or a subclass) naming the kind of refusal,
a stable machine-readable ``reason`` and a readable ``message``. Only the HTTP edge
(``shared/problems.py``) turns a kind into a status code, so the same rule can refuse over HTTP
today and over NATS or a CLI tomorrow without knowing either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel


class Kind(StrEnum):
    """Why a request cannot be done, in the caller's terms."""

    INVALID = "invalid"  # the request itself is wrong: fix it and send again
    UNAUTHENTICATED = "unauthenticated"  # no usable proof of who is asking
    FORBIDDEN = "forbidden"  # known caller, not theirs to see or do
    NOT_FOUND = "not_found"  # nothing by that name within the caller's reach
    CONFLICT = "conflict"  # valid, but the current state does not allow it
    TOO_LARGE = "too_large"  # over a size limit
    UNAVAILABLE = "unavailable"  # a dependency is down: the same request will work later


class Refusal(Exception):
    """A refused request: ``kind`` says what sort, ``reason`` which rule, ``details`` where.

    Subclasses fix ``kind`` for a family of refusals; a single raise may pass ``kind=``.
    ``retry_after`` (seconds) tells a caller of an UNAVAILABLE refusal when to come back.
    """

    kind: ClassVar[Kind] = Kind.INVALID

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        details: Iterable[Mapping[str, Any] | BaseModel] = (),
        kind: Kind | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.details: list[dict[str, Any]] = [_plain(d) for d in details]
        self.retry_after = retry_after
        if kind is not None:
            # An instance attribute shadows the class default for this one refusal.
            self.kind = kind  # type: ignore[misc]


def _plain(detail: Mapping[str, Any] | BaseModel) -> dict[str, Any]:
    if isinstance(detail, BaseModel):
        return detail.model_dump(exclude_none=True)
    return dict(detail)


class Invalid(Refusal):
    """The request is wrong as sent (an unknown name in its body, an unreadable value)."""

    kind = Kind.INVALID


class NotFound(Refusal):
    """Nothing by that name within the caller's reach: a report type, period, unit, submission."""

    kind = Kind.NOT_FOUND


class Conflict(Refusal):
    """Valid, but the current state does not allow it."""

    kind = Kind.CONFLICT


class Unavailable(Refusal):
    """A dependency or a limit stops it now; the same request works later (``retry_after``)."""

    kind = Kind.UNAVAILABLE
