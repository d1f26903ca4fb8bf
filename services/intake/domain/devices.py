"""A clerk's browser as a signer of its unit's reports: its key and the hub's record of when it
heard from it (docs/signatures.md#keys-of-browsers, migration 0013). Pure: no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

# `web-` and 16 to 43 base64url characters: within migration 0010's key ids, and marked as a
# browser's by its prefix (device_presence takes only those).
KEY_ID_PATTERN: Final = r"^web-[A-Za-z0-9_-]{16,43}$"
# The raw 32-byte Ed25519 public key in base64url without padding (migration 0010's CHECK).
PUBLIC_KEY_PATTERN: Final = r"^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$"
# Contacts closer together than this are one interval of presence; a longer gap is a silence.
# The page says it is there every 60 s: three minutes forgives two contacts lost on a bad link.
PRESENCE_GAP: Final = timedelta(minutes=3)

_KEY_ID: Final = re.compile(KEY_ID_PATTERN[1:-1])


def is_device_key_id(key_id: str) -> bool:
    """Whether ``key_id`` can name a browser's key (any other key of the unit is not a device)."""
    return _KEY_ID.fullmatch(key_id) is not None


@dataclass(frozen=True)
class DeviceKey:
    """A browser's signing key, registered for ``unit`` from ``valid_from`` on."""

    unit: str
    key_id: str
    public_key: str
    valid_from: datetime


@dataclass(frozen=True)
class Registered:
    """The key on record after a registration, and whether this registration made it."""

    key: DeviceKey
    new: bool
