"""The NATS users of one deployment, as .creds files: each service's, ops', and local systems'.

A service's credentials are minted once and kept (a restarted service reconnects as the same
user); a unit system's are minted when asked for (`baocao nats creds UNIT`), so one unit's can
be revoked without touching anyone else's.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from baocao.nats_authority import Credentials, NatsAuthority, write_creds
from baocao.nats_jwt import permission_claims
from shared import nats_permissions as grants
from shared.nats_grants import user_claims_of_creds
from shared.nats_permissions import Permissions, Unit, inbox_prefix_of_creds

Grant = Callable[[str], Permissions]
DEFAULT_AUTH_DIR = ".run/nats/auth"


def _service_grants(shared_clock: bool) -> dict[str, Grant]:
    return {
        "intake": lambda inbox: grants.intake(inbox, shared_clock=shared_clock),
        "validator": lambda inbox: grants.validator(
            inbox, shared_clock=shared_clock, provinces=_provinces()
        ),
        "aggregator": lambda inbox: grants.aggregator(inbox, shared_clock=shared_clock),
        "notifier": lambda inbox: grants.notifier(inbox, shared_clock=shared_clock),
        "ops": grants.ops,
        "central-reader": grants.central_reader,
    }


class NatsIdentities:
    def __init__(self, authority: NatsAuthority, *, shared_clock: bool = False) -> None:
        self.authority = authority
        self.shared_clock = shared_clock
        self.directory = authority.directory / "creds"

    @classmethod
    def of(cls, env: Mapping[str, str] | None = None) -> NatsIdentities:
        """The embedded default's authority (BAOCAO_NATS_AUTH_DIR, else ``.run/nats/auth``)."""
        env = os.environ if env is None else env
        directory = Path(env.get("BAOCAO_NATS_AUTH_DIR", DEFAULT_AUTH_DIR))
        return cls(NatsAuthority(directory), shared_clock=env.get("BAOCAO_CLOCK") == "shared")

    def path(self, name: str) -> Path:
        """A service's (or ops', or Central's reader's) .creds file, minted on first use."""
        suffix = (
            "-shared-clock" if self.shared_clock and name not in ("ops", "central-reader") else ""
        )
        path = self.directory / f"{name}{suffix}.creds"
        grant = _service_grants(self.shared_clock)[name]
        if not path.exists() or not _grants_match(path.read_text(encoding="utf-8"), grant):
            # Minted anew when the service's grant changed since (a new release's subjects):
            # a service restarted on old credentials would be refused what it now needs.
            write_creds(path, self.authority.user_creds(name, grant))
        return path

    def options(self, name: str) -> dict[str, Any]:
        """``nats.connect`` keyword arguments for that identity."""
        return connect_options(self.path(name))

    def units(self, name: str, units: Iterable[Unit]) -> Path:
        """A local system reporting for ``units`` (a commune, or a platform for a few named
        units), minted once under ``creds/units/`` and kept."""
        path = self.directory / "units" / f"{name}.creds"
        if not path.exists():
            credentials: Credentials = self.authority.unit_creds(name, units)
            write_creds(path, credentials)
        return path

    def province_platform(self, province: str) -> Path:
        """A province's platform submitting for all its units, minted once and kept."""
        path = self.directory / "platforms" / f"{province}.creds"
        if not path.exists():
            grant: Grant = lambda inbox: grants.province_platform(province, inbox)  # noqa: E731
            write_creds(path, self.authority.user_creds(f"platform-{province}", grant))
        return path

    def province_reader(self, province: str) -> Path:
        grant: Grant = lambda inbox: grants.province_reader(province, inbox)  # noqa: E731
        credentials = self.authority.user_creds(f"reader-{province}", grant)
        return write_creds(self.directory / "readers" / f"{province}.creds", credentials)


@cache
def _provinces() -> tuple[str, ...]:
    """Every province the package's registry knows: the validator reads their landing streams
    (a province's edges)."""
    from shared.registry.model import Registry
    from shared.registry.seed import units_from_package

    return tuple(Registry(units_from_package()).province_codes())


def _grants_match(creds: str, grant: Grant) -> bool:
    """Whether the user JWT in ``creds`` carries exactly what ``grant`` gives its inbox."""
    claims = user_claims_of_creds(creds)
    wanted = permission_claims(grant(inbox_prefix_of_creds(creds)))
    nats = claims.get("nats", {})
    return all(nats.get(key) == value for key, value in wanted.items())


def ops_options(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """How an operator's tool connects: NATS_CREDS if set, else the embedded default's ops."""
    env = os.environ if env is None else env
    if env.get("NATS_CREDS"):
        return connect_options(Path(env["NATS_CREDS"]))
    return NatsIdentities.of(env).options("ops")


def connect_options(path: Path) -> dict[str, Any]:
    return {
        "user_credentials": str(path),
        "inbox_prefix": inbox_prefix_of_creds(path.read_text(encoding="utf-8")),
    }
