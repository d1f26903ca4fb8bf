"""Intake's refusals: a kind and a stable reason code, never an HTTP status.

shared/problems.py renders them for every service; the reason codes and details are part of
the contract (docs/submitting.md; tests/integration/test_bad_input.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.refusals import Kind, Refusal
from shared.schemas import Reason

RETRY_AFTER_SECONDS = 1
SERVICE_UNAVAILABLE = "service_unavailable"


class NotASubmission(Refusal):
    """The body is not a valid submission, or names a unit that does not exist."""

    kind = Kind.INVALID

    def __init__(self, reason: str, message: str, details: Iterable[Reason] = ()) -> None:
        super().__init__(reason, message, details=details)


class SubmissionIdTaken(Refusal):
    """Another unit already used this submission id."""

    kind = Kind.CONFLICT

    def __init__(self) -> None:
        super().__init__(
            "submission_id_taken",
            "another unit already used this submission_id; generate a new one",
        )


class DeviceKeyTaken(Refusal):
    """The key id is this unit's with another public key, or the public key is registered
    already (for this unit under another id, or for another unit): the browser makes a new
    key pair and id."""

    kind = Kind.CONFLICT

    def __init__(self) -> None:
        super().__init__(
            "device_key_taken",
            "this key id or public key is already registered; make a new key pair and key id",
        )


class UnknownDevice(Refusal):
    """The caller's unit has no browser key by that id. Another unit's key is answered the
    same, so a caller learns nothing of other units' keys."""

    kind = Kind.NOT_FOUND

    def __init__(self, key_id: str) -> None:
        super().__init__("unknown_device", f"this unit has no device key {key_id[:100]!r}")


class Unavailable(Refusal):
    """PostgreSQL, NATS or the validator could not be reached: the same request may simply be
    sent again. ``cause`` says what failed, for the log, not for the caller."""

    kind = Kind.UNAVAILABLE

    def __init__(self, cause: str) -> None:
        super().__init__(
            SERVICE_UNAVAILABLE,
            "the service cannot reach its database or message stream; retry shortly",
            details=[
                Reason(
                    code=SERVICE_UNAVAILABLE,
                    message="Hệ thống tạm thời chưa sẵn sàng; vui lòng gửi lại sau giây lát",
                    message_en="The system is briefly unavailable; please send again shortly",
                )
            ],
            retry_after=RETRY_AFTER_SECONDS,
        )
        self.cause = cause
