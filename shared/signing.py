"""What a unit signs and how: the canonical form of a submission, and its detached signature.

Both sides of the boundary use this module: the validator (and `baocao verify`) to check a
signature, the load tools to make one. A local system in another language does the same with
any RFC 8785 library and Ed25519 (docs/signatures.md).

The signed bytes are the RFC 8785 (JCS) canonical JSON of the body as sent, without its
``signature`` member: ``signed_at`` and every other member are covered. JCS writes numbers as
IEEE 754 doubles, so a number that a double does not hold exactly as sent (more than about 15
significant digits) has no canonical form here: two such numbers could share one, and the
signature would not say which of them the unit sent.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.decoding import parse_json

ALGORITHM = "Ed25519"
# A clerk's browser signs with a key of its own, registered for its unit through intake: the
# hub's record of when it heard from that device is the evidence for a time it signed offline.
BROWSER_KEY_PREFIX = "web-"
SIGNATURE_MEMBER = "signature"
SIGNATURE_BYTES = 64
PUBLIC_KEY_BYTES = 32


class NotCanonical(ValueError):
    """The body has no canonical form to sign or verify."""


def canonical_form(document: Mapping[str, Any]) -> bytes:
    """The bytes a unit signs: ``document`` without its signature, in RFC 8785 form."""
    unsigned = {k: v for k, v in document.items() if k != SIGNATURE_MEMBER}
    try:
        return rfc8785.dumps(_as_doubles(unsigned))
    except rfc8785.CanonicalizationError as error:
        raise NotCanonical(str(error)) from error


def canonical_bytes(data: bytes) -> bytes:
    """The canonical form of the JSON object ``data``, read as the validator reads a body."""
    try:
        document = parse_json(data)
    except (ValueError, RecursionError) as error:
        raise NotCanonical(f"not JSON: {error}") from error
    if not isinstance(document, dict):
        raise NotCanonical("not a JSON object")
    return canonical_form(document)


def _as_doubles(value: Any) -> Any:
    """``value`` with each Decimal as the double JCS writes, refused unless that double is the
    number sent (50.50 and 50.5 are; 0.1000000000000000055 is not)."""
    if isinstance(value, dict):
        return {k: _as_doubles(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_doubles(v) for v in value]
    if isinstance(value, Decimal):
        double = float(value)
        if Decimal(repr(double)) != value:
            raise NotCanonical(f"{value} has more digits than a signed number keeps")
        return double
    return value


def encode_value(signature: bytes) -> str:
    """base64url without padding, as JWS writes it."""
    return base64.urlsafe_b64encode(signature).decode("ascii").rstrip("=")


def decode_value(text: str, length: int) -> bytes:
    """The ``length`` bytes of base64url ``text`` (padded or not); ValueError otherwise."""
    if text.rstrip("=") != text and len(text) % 4:
        raise ValueError("wrong padding")
    try:
        raw = base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except (binascii.Error, ValueError) as error:
        raise ValueError("not base64url") from error
    if len(raw) != length or encode_value(raw) != text.rstrip("="):
        raise ValueError(f"not base64url of {length} bytes")
    return raw


def sign(
    document: Mapping[str, Any], key: Ed25519PrivateKey, key_id: str, signed_at: datetime
) -> dict[str, Any]:
    """``document`` with ``signed_at`` and a detached signature over its canonical form.

    Sign what you send: the canonical form is computed from ``document``'s values as they
    will be encoded (a Decimal as the double its JSON text reads back as)."""
    if signed_at.tzinfo is None:
        raise ValueError("signed_at needs a time zone")
    signed = {k: v for k, v in document.items() if k != SIGNATURE_MEMBER}
    signed["signed_at"] = signed_at.isoformat()
    signed[SIGNATURE_MEMBER] = {
        "key_id": key_id,
        "alg": ALGORITHM,
        "value": encode_value(key.sign(canonical_form(signed))),
    }
    return signed


def is_browser_key(key_id: str) -> bool:
    return key_id.startswith(BROWSER_KEY_PREFIX)
