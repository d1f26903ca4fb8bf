"""CloudEvents 1.0 attributes for every event Baocao publishes, in the NATS binding's binary mode.

The payload stays the plain JSON document (a submission, a verdict, a notice), so consumers that
ignore CloudEvents lose nothing; the context attributes travel as ``ce-`` headers, with the data
content type in ``content-type``. A consumer that speaks CloudEvents reads the event from the
headers; the ``traceparent`` header beside them is the distributed-tracing extension.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

SPEC_VERSION: Final = "1.0"
TYPE_PREFIX: Final = "vn.gov.baocao"

SUBMITTED: Final = f"{TYPE_PREFIX}.report.submitted.v1"
ACCEPTED: Final = f"{TYPE_PREFIX}.report.accepted.v1"
REJECTED: Final = f"{TYPE_PREFIX}.report.rejected.v1"
DEAD_LETTERED: Final = f"{TYPE_PREFIX}.message.deadlettered.v1"


def notice_type(stage: str) -> str:
    return f"{TYPE_PREFIX}.notice.{stage}.v1"


def source(service: str) -> str:
    """The producing service, as a URI reference."""
    return f"/baocao/{service}"


def headers(
    *,
    event_id: str,
    event_type: str,
    service: str,
    subject: str,
    time: datetime,
    content_type: str = "application/json",
) -> dict[str, str]:
    """The binary-mode headers of one event. ``event_id`` is also its ``Nats-Msg-Id``, so the
    stream's duplicate window and a CloudEvents consumer agree on what "the same event" is."""
    return {
        "ce-specversion": SPEC_VERSION,
        "ce-id": event_id,
        "ce-source": source(service),
        "ce-type": event_type,
        "ce-subject": subject,
        "ce-time": time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "content-type": content_type,
        "Nats-Msg-Id": event_id,
    }
