"""A browser's own signing key and the reports it signs (docs/adr/0025-web-form-offline.md).
Pure: no I/O.

The web app never signs and never re-serialises a signed body: it checks what it must (the
shape of a device's key; that a signed body is of the page's unit, report type and period, and
the session's unit) and passes the bytes on. The signature itself is the validator's to judge.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

# What intake takes (POST /v1/devices): "web-" and 16 to 43 base64url characters.
KEY_ID = re.compile(r"web-[A-Za-z0-9_-]{16,43}")
PUBLIC_KEY_BYTES = 32
# As intake's own limit (INTAKE_MAX_BODY_BYTES' default): a bigger body is refused here.
MAX_SIGNED_BODY_BYTES = 64 * 1024


class DeviceRefused(ValueError):
    """What the web app refuses before asking intake: its status and machine-readable reason."""

    def __init__(self, status: int, reason: str, detail: str = "") -> None:
        super().__init__(f"{status} {reason}: {detail}")
        self.status = status
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class DeviceKey:
    key_id: str
    public_key: str  # raw 32 bytes, base64url without padding


def device_key(document: Any) -> DeviceKey:
    """The ``{"key_id", "public_key"}`` a page posts, checked for shape."""
    if not isinstance(document, dict):
        raise DeviceRefused(400, "invalid_device_key", "not a JSON object")
    key_id, public_key = document.get("key_id"), document.get("public_key")
    return DeviceKey(key_id_of(key_id), _public_key(public_key))


def key_id_of(value: Any) -> str:
    if not isinstance(value, str) or not KEY_ID.fullmatch(value):
        raise DeviceRefused(400, "invalid_key_id", "a device key id is web- and base64url")
    return value


def _public_key(value: Any) -> str:
    if not isinstance(value, str) or "=" in value:
        raise DeviceRefused(400, "invalid_public_key", "base64url without padding")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise DeviceRefused(400, "invalid_public_key", "not base64url") from None
    encoded = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
    if len(raw) != PUBLIC_KEY_BYTES or encoded != value:
        raise DeviceRefused(400, "invalid_public_key", "not a raw 32-byte Ed25519 key")
    return value


@dataclass(frozen=True)
class SignedBody:
    """A body signed in the browser: its bytes, to pass on as they are, and what was read."""

    data: bytes
    submission_id: str
    values: dict[str, Any]


def signed_body(
    data: bytes, *, unit: str, report_type: str, period: str, session_unit: str
) -> SignedBody:
    """``data`` if it is a signed report of ``unit`` (the page's and the session's own) for
    the page's report type and period; :class:`DeviceRefused` otherwise. Closed by default:
    anything not shown to be the clerk's own report is refused."""
    if len(data) > MAX_SIGNED_BODY_BYTES:
        raise DeviceRefused(413, "body_too_large", f"at most {MAX_SIGNED_BODY_BYTES} bytes")
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        raise DeviceRefused(400, "invalid_json", "the body is not JSON") from None
    if not isinstance(document, dict):
        raise DeviceRefused(400, "invalid_json", "the body is not a JSON object")
    if unit != session_unit or document.get("unit") != unit:
        raise DeviceRefused(403, "unit_mismatch", "a device signs its own unit's reports only")
    if "keyed_by" in document:
        raise DeviceRefused(403, "keyed_by_not_signed_here", "keyed reports are not signed here")
    if document.get("report_type") != report_type or document.get("period") != period:
        raise DeviceRefused(400, "form_mismatch", "not this form's report type and period")
    signature = document.get("signature")
    if not isinstance(signature, dict) or not KEY_ID.fullmatch(str(signature.get("key_id"))):
        raise DeviceRefused(400, "not_signed_by_a_device", "no device's signature")
    submission_id, values = document.get("submission_id"), document.get("values")
    if not isinstance(submission_id, str) or not isinstance(values, dict):
        raise DeviceRefused(400, "invalid_envelope", "submission_id and values are needed")
    return SignedBody(data, submission_id, values)
