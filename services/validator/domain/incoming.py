"""A message as it left the REPORTS stream, stripped of transport objects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from shared import subjects


@dataclass(frozen=True)
class IncomingSubmission:
    subject: str
    data: bytes
    msg_id: str | None
    stream_seq: int
    stored_at: datetime
    # Opaque headers carrying the trace this message is processed in, for the verdict to continue.
    trace_carrier: Mapping[str, str] = field(default_factory=dict)
    # Sourced into REPORTS from a landing stream: it came through an edge (ADR 0024).
    via_edge: bool = False

    @property
    def subject_tokens(self) -> tuple[str, str]:
        """(province, unit) as named by ``reports.submitted.<province>[.keyed].<unit>``."""
        parts = subjects.submitted_parts(self.subject)
        return (parts[0], parts[1]) if parts else ("_", "_")

    @property
    def keyed(self) -> bool:
        """Whether it came on the subject only intake publishes keyed reports on."""
        parts = subjects.submitted_parts(self.subject)
        return parts is not None and parts[2]

    @property
    def fallback_id(self) -> str:
        """An id for a message whose body names none, from its Nats-Msg-Id, else its sequence.

        Prefixed, so that the rejection of unreadable bytes can never stand in for a real
        submission later sent, readable, under the same id."""
        return f"unreadable:{self.msg_id}" if self.msg_id else f"seq-{self.stream_seq}"
