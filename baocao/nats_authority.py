"""The NATS operator's keys and JWTs, kept in one directory, and the server config that trusts them.

Decentralised JWT auth (docs/nats-security.md): an operator signs two accounts, SYS (the
server's system account) and BAOCAO (everything Baocao publishes, JetStream enabled without
limits); BAOCAO's signing keys sign users; each user proves it holds its own nkey at connect.
The server verifies every signature itself, so credentials are minted offline, here, and no
service sits on the connection path (unlike auth callout).

BAOCAO has two signing keys, and the decision is this:
- ``account-signing``: signs whatever permissions it is given (services, readers, ops). It is
  ops' key and should live offline or in a secret store.
- ``account-units``: a *scoped* signing key with the role ``unit``. The server ignores any
  permissions in a user JWT it signs and applies the scope's template instead
  (:data:`shared.nats_permissions.UNIT_TEMPLATE`), filled in from the JWT's tags and subject.
  Whoever mints credentials for local systems (an onboarding desk, a registry job) gets only
  this key, and so can mint units, any units, but never a validator, the aggregator or ops.

Files are written 0600 in a 0700 directory. The operator's and the accounts' seeds are here for
development; production keeps them offline and hands the servers only the JWTs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from baocao import nats_jwt
from baocao.nats_jwt import KeyPair, Role
from shared import nats_permissions, subjects
from shared.nats_permissions import Permissions, Unit

ACCOUNT_NAME = "BAOCAO"
SYSTEM_ACCOUNT_NAME = "SYS"
UNIT_ROLE = "unit"
NO_LIMIT = -1
_UNLIMITED_USER = {"subs": NO_LIMIT, "data": NO_LIMIT, "payload": NO_LIMIT}
_UNLIMITED_ACCOUNT = {
    **_UNLIMITED_USER,
    "imports": NO_LIMIT,
    "exports": NO_LIMIT,
    "wildcards": True,
    "conn": NO_LIMIT,
    "leaf": NO_LIMIT,
}

# A user's permissions, given the inbox prefix of the key it is about to get.
Grant = Callable[[str], Permissions]


@dataclass(frozen=True, repr=False)
class Credentials:
    """A user's ``.creds`` text (for ``nats.connect(user_credentials=...)``, as a file or as
    ``nats.aio.client.RawCredentials``) and what to connect and revoke it with."""

    name: str
    public_key: str
    inbox_prefix: str
    jwt: str
    text: str

    def __repr__(self) -> str:
        return f"Credentials({self.name!r}, {self.public_key})"


class NatsAuthority:
    """Keys, account JWTs and revocations of one deployment, in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o700)
        self.operator = self._key("operator", Role.OPERATOR)
        self.system_account = self._key("system-account", Role.ACCOUNT)
        self.account = self._key("account", Role.ACCOUNT)
        self.account_signing = self._key("account-signing", Role.ACCOUNT)
        self.account_units = self._key("account-units", Role.ACCOUNT)
        self.operator_jwt = self._stored("operator.jwt", self._sign_operator)
        self.system_account_jwt = self._stored("system-account.jwt", self._sign_system_account)
        self.account_jwt = self._stored("account.jwt", self._sign_account)

    def user_creds(
        self,
        name: str,
        grant: Grant,
        *,
        expires: datetime | None = None,
        source_networks: Iterable[str] = (),
    ) -> Credentials:
        """A new user of BAOCAO with ``grant``'s permissions for its own inbox; with
        ``source_networks`` (CIDRs), accepted only from connections coming from them."""
        user = KeyPair.generate(Role.USER)
        permissions = grant(nats_permissions.inbox_prefix(user.public_key))
        nats = {"type": "user", **nats_jwt.permission_claims(permissions), **_UNLIMITED_USER}
        if networks := list(source_networks):
            nats["src"] = networks
        return self._mint(name, user, self.account_signing, self.account, nats, expires)

    def unit_creds(
        self, name: str, units: Iterable[Unit], *, expires: datetime | None = None
    ) -> Credentials:
        """A local system reporting for ``units``, signed by the scoped unit key: its JWT
        carries only tags; the server applies the ``unit`` template to them."""
        user = KeyPair.generate(Role.USER)
        nats = {"type": "user", "tags": list(nats_permissions.unit_tags(units))}
        return self._mint(name, user, self.account_units, self.account, nats, expires)

    def system_creds(
        self, name: str = "claims-publisher", *, expires: datetime | None = None
    ) -> Credentials:
        """A system-account user that may only push account JWTs (revocations) to the servers."""
        user = KeyPair.generate(Role.USER)
        permissions = nats_permissions.claims_publisher(
            nats_permissions.inbox_prefix(user.public_key)
        )
        nats = {"type": "user", **nats_jwt.permission_claims(permissions), **_UNLIMITED_USER}
        return self._mint(name, user, self.system_account, self.system_account, nats, expires)

    def revoke(self, public_key: str, *, at: datetime | None = None) -> str:
        """Revoke every JWT of user ``public_key`` issued up to ``at`` (now); returns the new
        account JWT, which running servers apply once it is pushed
        (:func:`baocao.nats_provisioning.push_account`; a SIGHUP reload does not apply it with
        the full resolver) and a restarted server from its rewritten config's preload."""
        revocations = self.revocations()
        revocations[public_key] = int((at or datetime.now(UTC)).timestamp())
        _write(self.directory / "revocations.json", json.dumps(revocations, sort_keys=True))
        return self.reissue_account()

    def reissue_account(self) -> str:
        """Sign BAOCAO's JWT again from the code's claims and the revocations so far (after a
        revocation, or when the unit template changed); returns it."""
        self.account_jwt = self._sign_account()
        _write(self.directory / "account.jwt", self.account_jwt + "\n")
        return self.account_jwt

    def revocations(self) -> dict[str, int]:
        path = self.directory / "revocations.json"
        return dict(json.loads(path.read_text())) if path.exists() else {}

    def server_config(
        self,
        *,
        store_dir: Path,
        resolver_dir: Path,
        host: str = "127.0.0.1",
        port: int = 4222,
        server_name: str | None = None,
        leafnode_port: int | None = None,
    ) -> str:
        """A nats-server config trusting this operator, closed to anyone without credentials.

        The resolver is ``full``: account JWTs live in ``resolver_dir``, a pushed update
        (``$SYS.REQ.CLAIMS.UPDATE``) takes effect at once, is kept across restarts and spreads
        to the other servers of a cluster. The preload seeds the two accounts; a preloaded JWT
        older than the one stored is ignored, so a restart never undoes a revocation.
        """
        domain = "" if leafnode_port is None else f", domain: {_quote(subjects.HUB_DOMAIN)}"
        lines = [
            "# Written by baocao.nats_authority: decentralised JWT auth, no anonymous access.",
            f"listen: {_quote(f'{host}:{port}')}",
            *([f"server_name: {_quote(server_name)}"] if server_name else []),
            f"operator: {_quote(self.operator_jwt)}",
            f"system_account: {_quote(self.system_account.public_key)}",
            "resolver: {",
            "  type: full",
            f"  dir: {_quote(str(resolver_dir))}",
            "  allow_delete: false",
            '  interval: "2m"',
            '  timeout: "1.9s"',
            "}",
            "resolver_preload: {",
            f"  {self.system_account.public_key}: {_quote(self.system_account_jwt)}",
            f"  {self.account.public_key}: {_quote(self.account_jwt)}",
            "}",
            f"jetstream: {{ store_dir: {_quote(str(store_dir))}{domain} }}",
        ]
        if leafnode_port is not None:
            # Edges connect here (docs/weak-networks.md). The hub's JetStream domain lets them
            # tell it from their own; compression off: s2 kept ~1.5 MB per leaf after a
            # reconnect storm, and the 1/s heartbeats that are most of an edge's traffic hardly
            # compress. no_advertise: an edge reconnects only to the address it was given (a
            # proxy, a NAT, the chart's TLS port), never to the hub's own listen address, which
            # it would otherwise learn at its first connection.
            lines += [
                "leafnodes {",
                f"  listen: {_quote(f'{host}:{leafnode_port}')}",
                "  compression: off",
                "  no_advertise: true",
                "}",
            ]
        return "\n".join(lines) + "\n"

    def _mint(
        self,
        name: str,
        user: KeyPair,
        signer: KeyPair,
        account: KeyPair,
        nats: Mapping[str, Any],
        expires: datetime | None,
    ) -> Credentials:
        issuer_account = {"issuer_account": account.public_key} if signer != account else {}
        token = nats_jwt.encode(
            issuer=signer,
            subject=user.public_key,
            name=name,
            nats={**nats, **issuer_account},
            expires=expires,
        )
        return Credentials(
            name=name,
            public_key=user.public_key,
            inbox_prefix=nats_permissions.inbox_prefix(user.public_key),
            jwt=token,
            text=nats_jwt.creds(token, user.seed),
        )

    def _sign_operator(self) -> str:
        nats = {"type": "operator", "system_account": self.system_account.public_key}
        return nats_jwt.encode(
            issuer=self.operator, subject=self.operator.public_key, name="baocao", nats=nats
        )

    def _sign_system_account(self) -> str:
        # The system account has no JetStream: it carries the servers' own traffic.
        return nats_jwt.encode(
            issuer=self.operator,
            subject=self.system_account.public_key,
            name=SYSTEM_ACCOUNT_NAME,
            nats={"type": "account", "limits": _UNLIMITED_ACCOUNT},
        )

    def _sign_account(self) -> str:
        return nats_jwt.encode(
            issuer=self.operator,
            subject=self.account.public_key,
            name=ACCOUNT_NAME,
            nats=self._account_claims(),
        )

    def _account_claims(self) -> dict[str, Any]:
        limits = {
            **_UNLIMITED_ACCOUNT,
            # JetStream without limits: any non-zero storage enables it.
            "mem_storage": NO_LIMIT,
            "disk_storage": NO_LIMIT,
            "streams": NO_LIMIT,
            "consumer": NO_LIMIT,
        }
        units_scope = {
            "kind": "user_scope",
            "key": self.account_units.public_key,
            "role": UNIT_ROLE,
            "template": {
                **nats_jwt.permission_claims(nats_permissions.UNIT_TEMPLATE),
                **_UNLIMITED_USER,
            },
            "description": "local unit systems: submit, dry-run and hear notices for their units",
        }
        nothing = nats_jwt.permission_claims(Permissions())
        return {
            "type": "account",
            "limits": limits,
            "signing_keys": [self.account_signing.public_key, units_scope],
            # A user JWT minted with no permissions at all gets nothing, not everything.
            "default_permissions": nothing,
            **({"revocations": revocations} if (revocations := self.revocations()) else {}),
        }

    def _key(self, name: str, role: Role) -> KeyPair:
        path = self.directory / f"{name}.nk"
        if path.exists():
            return KeyPair(path.read_text().strip())
        key = KeyPair.generate(role)
        _write(path, key.seed + "\n")
        return key

    def _stored(self, file: str, sign: Callable[[], str]) -> str:
        path = self.directory / file
        if path.exists():
            return path.read_text().strip()
        token = sign()
        _write(path, token + "\n")
        return token


def write_creds(path: Path, credentials: Credentials) -> Path:
    """Save ``credentials`` as a ``.creds`` file only its owner can read (it holds the seed)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    _write(path, credentials.text)
    return path


def _quote(value: str) -> str:
    return json.dumps(value)


def _write(path: Path, text: str) -> None:
    """Write ``text`` readable by its owner only, replacing the file whole."""
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    os.replace(temporary, path)
