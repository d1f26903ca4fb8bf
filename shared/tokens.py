"""Bearer tokens that bind a caller to one unit code.

A token is ``<unit>.<signature>`` where the signature is HMAC-SHA256 of the unit code under the
deployment's secret. This stands in for per-unit credentials from the national identity system;
it is enough to make a token for one commune useless for another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

_UNIT = re.compile(r"VN|[0-9]{2}|[0-9]{5}")
# Only for `make run` and tests; intake warns at start-up when it is in use.
DEVELOPMENT_SECRET = "baocao-development-secret-change-me"


def issue(unit: str, secret: str) -> str:
    if not _UNIT.fullmatch(unit):
        raise ValueError(f"not a unit code: {unit!r}")
    return f"{unit}.{_sign(unit, secret)}"


def verify(token: str, secret: str) -> str | None:
    """The unit code the token was issued for, or None if it is not genuine."""
    unit, _, signature = token.partition(".")
    if not _UNIT.fullmatch(unit) or not signature.isascii():
        return None
    return unit if hmac.compare_digest(signature.encode(), _sign(unit, secret).encode()) else None


class Unauthorized(Exception):
    """No usable bearer token: ``reason`` is ``missing_token`` or ``invalid_token``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def caller(authorization: str, secret: str) -> str:
    """The unit an ``Authorization: Bearer <token>`` header speaks for."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("missing_token", "send Authorization: Bearer <token>")
    unit = verify(token.strip(), secret)
    if unit is None:
        raise Unauthorized("invalid_token", "the bearer token is not valid")
    return unit


def _sign(unit: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), unit.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
