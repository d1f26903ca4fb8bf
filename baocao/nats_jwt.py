"""NATS decentralised-auth JWTs and ``.creds`` files, on top of nkeys' ed25519 signatures.

The format is nats-io/jwt v2's: a header ``{"typ":"JWT","alg":"ed25519-nkey"}``, claims with
``jti``, ``iat``, ``iss``, ``sub``, ``name`` (``exp`` optional) and a ``nats`` object whose
``type`` is operator, account or user, each part base64url without padding, the signature over
``header.claims`` by the issuer's nkey. Writing it is encoding, not cryptography: the one
cryptographic step, the signature, is the ``nkeys`` package's (nats-io's own). The ``nats-jwt``
package on PyPI says of itself that it is "not well-tested" and pins old ``pytz`` and
``dataclasses-json``; the real nats-server accepting these tokens is our contract test.

Nothing here reads or writes files: :mod:`baocao.nats_authority` keeps the keys.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import nkeys  # type: ignore[import-untyped]

from shared.nats_permissions import Permissions, Rules

HEADER = {"typ": "JWT", "alg": "ed25519-nkey"}
VERSION = 2


class Role(Enum):
    """What a key stands for; the first letter of its public key says it (O, A, U)."""

    OPERATOR = nkeys.PREFIX_BYTE_OPERATOR
    ACCOUNT = nkeys.PREFIX_BYTE_ACCOUNT
    USER = nkeys.PREFIX_BYTE_USER


@dataclass(frozen=True, repr=False)
class KeyPair:
    """An nkey from its seed (``S`` + role letter + ...). ``repr`` never shows the seed."""

    seed: str

    @classmethod
    def generate(cls, role: Role) -> KeyPair:
        return cls(nkeys.encode_seed(os.urandom(32), role.value).decode())

    @property
    def public_key(self) -> str:
        return str(self._pair().public_key.decode())

    def sign(self, data: bytes) -> bytes:
        return bytes(self._pair().sign(data))

    def verify(self, data: bytes, signature: bytes) -> bool:
        try:
            return bool(self._pair().verify(data, signature))
        except nkeys.ErrInvalidSignature:
            return False

    def _pair(self) -> Any:
        return nkeys.from_seed(bytearray(self.seed.encode()))

    def __repr__(self) -> str:
        return f"KeyPair({self.public_key})"


def encode(
    *,
    issuer: KeyPair,
    subject: str,
    name: str,
    nats: Mapping[str, Any],
    issued_at: datetime | None = None,
    expires: datetime | None = None,
) -> str:
    """A signed JWT saying ``nats`` about ``subject`` (a public key), issued by ``issuer``."""
    claims: dict[str, Any] = {}
    if expires is not None:
        claims["exp"] = int(expires.timestamp())
    claims |= {
        "iat": int((issued_at or datetime.now(UTC)).timestamp()),
        "iss": issuer.public_key,
        "name": name,
        "sub": subject,
        "nats": {**nats, "version": VERSION},
    }
    # nats-io/jwt hashes only the standard claims, so two versions of an account signed in the
    # same second (a revocation right after an update) would share a jti, and the server's
    # resolver, which skips a JWT whose jti it already has, would ignore the second. Hashing the
    # whole claims keeps every distinct JWT distinct; the server does not recompute the jti.
    claims = {"jti": _jti(claims), **claims}
    signed = f"{_b64(_json(HEADER))}.{_b64(_json(claims))}"
    return f"{signed}.{_b64(issuer.sign(signed.encode()))}"


def claims_of(token: str) -> dict[str, Any]:
    """The claims of ``token``, NOT verified: for reading our own tokens back."""
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def signed_by(token: str, issuer: KeyPair) -> bool:
    """Whether ``token`` carries ``issuer``'s signature over its header and claims."""
    signed, _, signature = token.rpartition(".")
    return issuer.verify(
        signed.encode(), base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    )


def creds(user_jwt: str, user_seed: str) -> str:
    """A ``.creds`` file, as ``nsc`` writes it and nats-py's ``user_credentials`` reads it (the
    line after each BEGIN line is the value)."""
    return (
        "-----BEGIN NATS USER JWT-----\n"
        f"{user_jwt}\n"
        "------END NATS USER JWT------\n"
        "\n"
        "************************* IMPORTANT *************************\n"
        "NKEY Seed printed below can be used to sign and prove identity.\n"
        "NKEYs are sensitive and should be treated as secrets.\n"
        "\n"
        "-----BEGIN USER NKEY SEED-----\n"
        f"{user_seed}\n"
        "------END USER NKEY SEED------\n"
        "\n"
        "*************************************************************\n"
    )


def permission_claims(permissions: Permissions) -> dict[str, Any]:
    """``permissions`` as a user JWT's (or a scope template's) ``pub``, ``sub`` and ``resp``."""
    claims: dict[str, Any] = {
        "pub": _rules(permissions.publish),
        "sub": _rules(permissions.subscribe),
    }
    if permissions.responses is not None:
        claims["resp"] = {
            "max": permissions.responses.max_messages,
            # A Go time.Duration: nanoseconds.
            "ttl": int(permissions.responses.ttl_seconds * 1_000_000_000),
        }
    return claims


def _rules(rules: Rules) -> dict[str, list[str]]:
    if not rules.allow and not rules.deny:
        raise ValueError("empty rules would allow everything; say NOTHING explicitly")
    return {
        **({"allow": list(rules.allow)} if rules.allow else {}),
        **({"deny": list(rules.deny)} if rules.deny else {}),
    }


def _jti(claims: Mapping[str, Any]) -> str:
    digest = hashlib.new("sha512_256", _json(claims)).digest()
    return base64.b32encode(digest).decode().rstrip("=")


def _json(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
