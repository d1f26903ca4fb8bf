"""Baocao's own token issuer, the embedded default: Ed25519 keys kept under ``.run/identity``.

``baocao keys rotate`` adds a key and signs with it from then on; the old key stays in the
JWKS until ``baocao keys retire KID``, so tokens it signed keep working through the overlap.
Revocations go into a list the services re-read while they run. Production replaces this with
the ministry's OpenID Connect provider, or keeps it with the keys in a secret store.
"""

from __future__ import annotations

import json
import os
import secrets
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from shared.identity import CENTRAL, Grant, Role
from shared.identity.caller import UNIT_CODE
from shared.identity.keys import write_json_atomically
from shared.settings import CommonSettings

# People sign in for a working session; systems hold a credential their operators rotate.
PERSON_LIFETIME_SECONDS = 60 * 60
SYSTEM_LIFETIME_SECONDS = 30 * 24 * 60 * 60
CREATED = "baocao_created_ns"  # a private member of our own key files, not in the JWKS


def default_roles(unit: str) -> frozenset[Role]:
    """What ``baocao token UNIT`` grants unless told otherwise, by the unit's level."""
    if unit == CENTRAL:
        return frozenset({Role.READER, Role.APPROVER})
    if len(unit) == 2:  # a province reports its own figures too
        return frozenset({Role.SUBMITTER, Role.READER, Role.APPROVER})
    return frozenset({Role.SUBMITTER})


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: dict[str, Any]

    @property
    def public(self) -> dict[str, Any]:
        return {k: v for k, v in self.private.items() if k != "d"}


class LocalIssuer:
    def __init__(
        self, directory: Path, issuer: str = "urn:baocao:local", audience: str = "baocao"
    ) -> None:
        self.directory = directory
        self.issuer = issuer
        self.audience = audience
        self._minted: dict[tuple[str, tuple[Role, ...] | None], str] = {}

    @classmethod
    def of(cls, env: Mapping[str, str] | None = None) -> LocalIssuer:
        """The issuer the services of this environment trust (BAOCAO_IDENTITY_DIR & co.)."""
        settings = CommonSettings.model_validate(dict(os.environ if env is None else env))
        return cls(Path(settings.identity_dir), settings.token_issuer, settings.token_audience)

    def headers(self, unit: str, roles: Iterable[Role] | None = None) -> dict[str, str]:
        """An Authorization header for a system acting for ``unit``, minted once and reused,
        as a real local system keeps its token until it nears expiry."""
        key = (unit, None if roles is None else tuple(sorted(roles)))
        token = self._minted.get(key)
        if token is None:
            token = self._minted[key] = self.mint(unit, roles)
        return {"Authorization": f"Bearer {token}"}

    @property
    def _keys_dir(self) -> Path:
        return self.directory / "signing-keys"

    @property
    def jwks_path(self) -> Path:
        return self.directory / "jwks.json"

    @property
    def revocations_path(self) -> Path:
        return self.directory / "revocations.json"

    # --- keys ----------------------------------------------------------------------------
    def signing_keys(self) -> list[SigningKey]:
        """Live keys, oldest first; the last one signs."""
        if not self._keys_dir.exists():
            return []
        found = []
        for path in sorted(self._keys_dir.glob("*.jwk.json")):
            document = json.loads(path.read_text(encoding="utf-8"))
            found.append(SigningKey(document["kid"], document))
        return sorted(found, key=lambda key: (key.private.get(CREATED, 0), key.kid))

    def ensure(self) -> SigningKey:
        """The current signing key, made on first use."""
        keys = self.signing_keys()
        return keys[-1] if keys else self.rotate()

    def rotate(self) -> SigningKey:
        private = OKPAlgorithm.to_jwk(Ed25519PrivateKey.generate(), as_dict=True)
        created = int(time.time())
        kid = f"baocao-{datetime.fromtimestamp(created, UTC):%Y%m%d}-{secrets.token_hex(4)}"
        # Nanoseconds: two keys made within one second (a rotation right after the first use)
        # must still sort in the order they were made.
        private.update({"kid": kid, "alg": "EdDSA", "use": "sig", CREATED: time.time_ns()})
        self._keys_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        write_json_atomically(self._keys_dir / f"{kid}.jwk.json", private, mode=0o600)
        key = SigningKey(kid, private)
        self._publish()
        return key

    def retire(self, kid: str) -> None:
        path = self._keys_dir / f"{kid}.jwk.json"
        if not path.exists():
            raise KeyError(kid)
        if len(self.signing_keys()) == 1:
            raise ValueError("the last key cannot be retired; rotate first")
        path.unlink()
        self._publish()

    def _publish(self) -> None:
        public = [
            {k: v for k, v in key.public.items() if k != CREATED} for key in self.signing_keys()
        ]
        write_json_atomically(self.jwks_path, {"keys": public})

    # --- tokens --------------------------------------------------------------------------
    def mint(
        self,
        unit: str,
        roles: Iterable[Role] | None = None,
        *,
        person: bool = False,
        subject: str | None = None,
        units: Iterable[str] = (),
        grants: Iterable[Grant] = (),
        lifetime_seconds: int | None = None,
    ) -> str:
        if not UNIT_CODE.fullmatch(unit):
            raise ValueError(f"not a unit code: {unit!r}")
        extra = sorted(set(units) - {unit})
        for code in extra:
            if not UNIT_CODE.fullmatch(code):
                raise ValueError(f"not a unit code: {code!r}")
        key = self.ensure()
        now = int(time.time())
        lifetime = lifetime_seconds or (
            PERSON_LIFETIME_SECONDS if person else SYSTEM_LIFETIME_SECONDS
        )
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": subject or f"{'person' if person else 'system'}:{unit}",
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "jti": str(uuid.uuid4()),
            "baocao_unit": unit,
            "baocao_roles": sorted(
                r.value for r in (default_roles(unit) if roles is None else roles)
            ),
        }
        if extra:
            claims["baocao_units"] = extra
        if grants:
            claims["baocao_grants"] = sorted(g.value for g in grants)
        signer = OKPAlgorithm.from_jwk(json.dumps(key.private))
        assert isinstance(signer, Ed25519PrivateKey), "a signing key holds its private part"
        return jwt.encode(claims, signer, algorithm="EdDSA", headers={"kid": key.kid})

    # --- revocation ----------------------------------------------------------------------
    def revoke(self, *, token_id: str | None = None, subject: str | None = None) -> None:
        document = _read(self.revocations_path)
        at = datetime.now(UTC).isoformat()
        if token_id:
            document.setdefault("tokens", {})[token_id] = at
        if subject:
            document.setdefault("subjects", {})[subject] = at
        write_json_atomically(self.revocations_path, document)


def _read(path: Path) -> dict[str, Any]:
    try:
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return document
