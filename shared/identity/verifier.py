"""Bearer tokens verified: standard JWTs with an asymmetric signature, from trusted issuers.

Which issuers are trusted, with which keys and audience, comes from configuration: Baocao's
own issuer (keys minted by ``baocao keys`` under ``.run/identity``) and, optionally, an OpenID
Connect provider. Each issuer's claims are mapped to a :class:`Caller` by a
:class:`ClaimMapping`, so a Keycloak realm's roles can stand for Baocao's.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jwt

from shared.identity.caller import UNIT_CODE, Caller, Grant, Role
from shared.identity.keys import KeySource, RevocationList
from shared.refusals import Kind, Refusal

REQUIRED_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "jti")
# Only asymmetric algorithms: a verifier never holds a key that could also sign, and naming
# them here refuses ``alg: none`` and HS256-signed-with-the-public-key confusion outright.
ASYMMETRIC = ("EdDSA", "ES256")
LEEWAY_SECONDS = 30
CACHE_SIZE = 20_000


class Unauthenticated(Refusal):
    """No usable token (HTTP 401), with a machine-readable ``reason``."""

    kind = Kind.UNAUTHENTICATED


@dataclass(frozen=True)
class ClaimMapping:
    """Where an issuer's tokens carry the unit, roles, extra units and grants.

    ``roles`` may be a dotted path (Keycloak puts realm roles in ``realm_access.roles``); a
    role counts when it equals a Baocao role after ``role_prefix`` is removed
    (``baocao-approver`` with prefix ``baocao-``). Values that are not Baocao roles are ignored.
    """

    unit: str = "baocao_unit"
    roles: str = "baocao_roles"
    role_prefix: str = ""
    units: str = "baocao_units"
    grants: str = "baocao_grants"


@dataclass(frozen=True)
class TrustedIssuer:
    issuer: str
    keys: KeySource
    audience: str
    algorithms: Sequence[str] = ASYMMETRIC
    claims: ClaimMapping = field(default_factory=ClaimMapping)


class TokenVerifier:
    def __init__(self, issuers: Sequence[TrustedIssuer], revocations: RevocationList) -> None:
        self._issuers = {trusted.issuer: trusted for trusted in issuers}
        self._revocations = revocations
        # A local system sends the same token with every request; checking its signature once
        # per token keeps verification off the hot path. Expiry and revocation are still
        # checked on every use.
        self._verified: OrderedDict[str, tuple[Caller, float, float]] = OrderedDict()

    async def caller(self, authorization: str) -> Caller:
        """The caller an ``Authorization: Bearer <token>`` header speaks for."""
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("missing_token", "send Authorization: Bearer <token>")
        return await self.verify(token)

    async def verify(self, token: str) -> Caller:
        cached = self._verified.get(token)
        if cached is None:
            cached = await self._verify_signature(token)
            self._verified[token] = cached
            if len(self._verified) > CACHE_SIZE:
                self._verified.popitem(last=False)
        caller, expires, issued = cached
        if time.time() > expires + LEEWAY_SECONDS:
            self._verified.pop(token, None)
            raise Unauthenticated("token_expired", "the token has expired; get a new one")
        if self._revocations.is_revoked(caller.token_id, caller.subject, issued):
            raise Unauthenticated("token_revoked", "this token has been revoked")
        return caller

    async def _verify_signature(self, token: str) -> tuple[Caller, float, float]:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as error:
            raise Unauthenticated("malformed_token", "the token is not a JWT") from error
        trusted = self._issuers.get(str(unverified.get("iss")))
        if trusted is None:
            raise Unauthenticated("unknown_issuer", "the token's issuer is not trusted here")
        if header.get("alg") not in trusted.algorithms:
            raise Unauthenticated(
                "unsupported_algorithm",
                f"tokens must be signed with {', '.join(trusted.algorithms)}",
            )
        kid = header.get("kid")
        key = await trusted.keys.key(kid) if isinstance(kid, str) else None
        if key is None:
            raise Unauthenticated("unknown_key", "the token's key id (kid) is not a known key")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=list(trusted.algorithms),
                audience=trusted.audience,
                issuer=trusted.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError as error:
            raise Unauthenticated(
                "token_expired", "the token has expired; get a new one"
            ) from error
        except (jwt.ImmatureSignatureError, jwt.InvalidIssuedAtError) as error:
            raise Unauthenticated("token_not_yet_valid", "the token is not valid yet") from error
        except jwt.InvalidAudienceError as error:
            raise Unauthenticated("wrong_audience", "the token is for another audience") from error
        except jwt.MissingRequiredClaimError as error:
            raise Unauthenticated("missing_claims", str(error)) from error
        except jwt.PyJWTError as error:
            raise Unauthenticated(
                "invalid_signature", "the token's signature is not valid"
            ) from error
        return _caller(claims, trusted), float(claims["exp"]), float(claims["iat"])


def _caller(claims: Mapping[str, Any], trusted: TrustedIssuer) -> Caller:
    mapping = trusted.claims
    unit = _at(claims, mapping.unit)
    if not isinstance(unit, str) or not UNIT_CODE.fullmatch(unit):
        raise Unauthenticated("missing_claims", f"the token names no unit ({mapping.unit})")
    units = _strings(_at(claims, mapping.units))
    if any(not UNIT_CODE.fullmatch(code) for code in units):
        raise Unauthenticated("missing_claims", f"{mapping.units} holds something not a unit code")
    known = {role.value for role in Role}
    roles = frozenset(
        Role(name.removeprefix(mapping.role_prefix))
        for name in _strings(_at(claims, mapping.roles))
        if name.startswith(mapping.role_prefix) and name.removeprefix(mapping.role_prefix) in known
    )
    grant_names = {grant.value for grant in Grant}
    grants = frozenset(Grant(g) for g in _strings(_at(claims, mapping.grants)) if g in grant_names)
    return Caller(
        subject=str(claims["sub"]),
        unit=unit,
        roles=roles,
        units=frozenset(units) | {unit},
        grants=grants,
        issuer=trusted.issuer,
        token_id=str(claims["jti"]),
    )


def _at(claims: Mapping[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []
