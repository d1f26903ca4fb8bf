"""Who is asking, proved by a signed token, and what is theirs to see and do."""

from shared.identity.asgi import Authentication, caller_of
from shared.identity.caller import CENTRAL, Caller, Grant, Role
from shared.identity.config import verifier_from
from shared.identity.scopes import (
    Forbidden,
    oversees,
    reaches_nation,
    require_keyer_for,
    require_national,
    require_oversight,
    require_reach,
    require_role,
    require_submitter_for,
    within_reach,
)
from shared.identity.verifier import TokenVerifier, Unauthenticated

__all__ = [
    "CENTRAL",
    "Authentication",
    "Caller",
    "Forbidden",
    "Grant",
    "Role",
    "TokenVerifier",
    "Unauthenticated",
    "caller_of",
    "oversees",
    "reaches_nation",
    "require_keyer_for",
    "require_national",
    "require_oversight",
    "require_reach",
    "require_role",
    "require_submitter_for",
    "verifier_from",
    "within_reach",
]
