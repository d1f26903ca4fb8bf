"""A database, stream or validator out of reach is the refusal Unavailable, for every intake use
case: the caller knows the same request may simply be sent again."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from services.intake.domain.refusals import Unavailable
from services.intake.usecases.ports import ValidatorUnavailable
from shared.outages import is_transient
from shared.refusals import Refusal


@contextlib.contextmanager
def outage_is_unavailable() -> Iterator[None]:
    """PostgreSQL or NATS down or restarting, or no validator answering: Unavailable, not an
    unexplained failure."""
    try:
        yield
    except Refusal:
        raise
    except ValidatorUnavailable as error:
        raise Unavailable(str(error)) from error
    except Exception as error:
        if not is_transient(error):
            raise
        raise Unavailable(repr(error)) from error
