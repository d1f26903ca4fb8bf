"""The whole system as processes on loopback: nats-server, PostgreSQL, the four services and,
when asked, the web app.

`baocao up`, `make bench` and the fault-injection tests all run the system through this one
class, so what the benchmarks measure and what the fault tests kill is what `make run` starts.
Which services there are, and what each process is given, is :mod:`baocao.service_specs`.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from baocao.embedded_nats import EmbeddedNats
from baocao.embedded_postgres import EmbeddedPostgres
from baocao.nats_identities import NatsIdentities, ops_options
from baocao.processes import free_port
from baocao.service_specs import (
    PRIVATE_VARIABLES,
    PROCESS_BY_NAME,
    SERVICE_BY_NAME,
    SERVICES,
    WEB,
    ServiceSpec,
)
from baocao.stack_preparation import migrate_and_seed, provision_as_ops
from shared.identity.issuer import LocalIssuer
from shared.registry import Unit


def _quiet(_: str) -> None:
    return None


class Stack:
    """The processes one run owns. ``stop`` ends them all, whatever happened before."""

    def __init__(
        self,
        run_dir: Path,
        env: dict[str, str] | None = None,
        *,
        random_ports: bool = False,
        web: bool = False,
        say: Callable[[str], None] = _quiet,
    ) -> None:
        self.run_dir = run_dir
        self.env = dict(os.environ if env is None else env)
        self.say = say
        # The services trust the issuer whose keys live here; tools mint tokens from it.
        self.env.setdefault("BAOCAO_IDENTITY_DIR", str(run_dir / "identity"))
        # The embedded nats-server's operator and account keys, and every NATS user's creds.
        self.env.setdefault("BAOCAO_NATS_AUTH_DIR", str(run_dir / "nats" / "auth"))
        self._nats_identities: NatsIdentities | None = None
        self.nats: EmbeddedNats | None = None
        self.postgres: EmbeddedPostgres | None = None
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.web = web
        if random_ports:
            for spec in (*SERVICES, WEB):
                self.env[spec.port_variable] = str(free_port())
            self.env["BAOCAO_NATS_PORT"] = str(free_port())
            self.env["BAOCAO_NATS_LEAF_PORT"] = str(free_port())
            self.env["BAOCAO_PG_PORT"] = str(free_port())

    # --- addresses -------------------------------------------------------------------------
    def port(self, service: str) -> int:
        spec = PROCESS_BY_NAME[service]
        return int(self.env.get(spec.port_variable, spec.default_port))

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.port(service)}"

    @property
    def nats_url(self) -> str:
        return self.env["NATS_URL"]

    @property
    def database_url(self) -> str:
        """The owner's URL: migrations, seeding, and checks that read every table."""
        return self.env["DATABASE_URL"]

    def service_database_url(self, service: str) -> str:
        """The URL ``service`` runs with: its own role's. Given from outside as
        ``<SERVICE>_DATABASE_URL``; for the embedded server, its generated login; failing
        both, DATABASE_URL (the owner: the service works, without least privilege)."""
        spec = SERVICE_BY_NAME[service]
        if spec.database_variable in self.env:
            return self.env[spec.database_variable]
        if self.postgres is not None:
            return self.postgres.service_dsn(service)
        return self.database_url

    @property
    def nats_identities(self) -> NatsIdentities:
        if self._nats_identities is None:
            self._nats_identities = NatsIdentities.of(self.env)
        return self._nats_identities

    def service_nats_creds(self, service: str) -> str | None:
        """The NATS user ``service`` runs as: ``<SERVICE>_NATS_CREDS`` given from outside, its
        own user on the embedded server, else NATS_CREDS."""
        given = self.env.get(f"{service.upper()}_NATS_CREDS")
        if given:
            return given
        if self.nats is not None:
            return str(self.nats_identities.path(service))
        return self.env.get("NATS_CREDS")

    @property
    def issuer(self) -> LocalIssuer:
        return LocalIssuer.of(self.env)

    @property
    def hub_leaf(self) -> tuple[str, int] | None:
        """Where edges reach the embedded hub; None when NATS is elsewhere."""
        if self.nats is None or self.nats.leafnode_port is None:
            return None
        return (self.nats.host, self.nats.leafnode_port)

    @property
    def logs(self) -> Path:
        return self.run_dir / "logs"

    # --- infrastructure --------------------------------------------------------------------
    def start_infrastructure(self) -> None:
        """Start nats-server and PostgreSQL unless NATS_URL / DATABASE_URL point elsewhere."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        issuer = self.issuer
        key = issuer.ensure()
        self.say(f"token issuer              {issuer.directory}   key {key.kid}")
        if "NATS_URL" not in self.env:
            self.nats = EmbeddedNats(
                self.run_dir / "nats",
                port=int(self.env.get("BAOCAO_NATS_PORT", 4222)),
                authority=self.nats_identities.authority,
                # Edges at communes connect here (baocao edge add; docs/weak-networks.md).
                leafnode_port=int(self.env.get("BAOCAO_NATS_LEAF_PORT", 7422)),
            )
            self.nats.start()
            self.env["NATS_URL"] = self.nats.url
            self.say(
                f"nats-server (JetStream)   {self.nats.url}   closed: JWT users"
                f" ({self.nats_identities.directory}); edges: {self.nats.leafnode_url}"
            )
        else:
            self.say(f"NATS                      {self.env['NATS_URL']} (from NATS_URL)")
        if "DATABASE_URL" not in self.env:
            self.postgres = EmbeddedPostgres(
                self.run_dir / "postgres", port=int(self.env.get("BAOCAO_PG_PORT", 55432))
            )
            self.postgres.start()
            self.env["DATABASE_URL"] = self.postgres.dsn()
            self.say(
                f"PostgreSQL                {self.postgres.host}:{self.postgres.port}"
                f"   data {self.run_dir / 'postgres'}"
                f"   passwords {self.postgres.passwords_file}"
            )
        else:
            self.say("PostgreSQL                (from DATABASE_URL)")
            shared = [s.database_variable for s in SERVICES if s.database_variable not in self.env]
            if shared:
                self.say(
                    f"  warning: {', '.join(shared)} not set; those services log in as"
                    " DATABASE_URL's role (docs/database-roles.md)"
                )

    async def prepare_database(self, extra_units: list[Unit] | None = None) -> None:
        """Apply migrations and seed the registry (and any synthetic units) before services load
        it, as the owner; then, on the embedded server, set the service roles' passwords (the
        roles exist once migrations have run)."""
        dev_keys = self.postgres is not None or self.env.get("BAOCAO_DEV_UNIT_KEYS") == "1"
        await migrate_and_seed(
            self.database_url,
            extra_units,
            self.say,
            unit_keys_beside=self.issuer if dev_keys else None,
        )
        if self.postgres is not None:
            await self.postgres.set_service_passwords()

    async def prepare_nats(self) -> None:
        """As ops: the streams and the durable consumers the services bind to (a service's
        NATS user may not create them), and the shared clock's bucket when it is in use."""
        options = (
            self.nats_identities.options("ops") if self.nats is not None else ops_options(self.env)
        )
        await provision_as_ops(self.nats_url, options, self.env)
        self.say("NATS streams, consumers  provisioned (as ops)")

    def restart_nats(self, down_for: float = 1.0) -> None:
        assert self.nats is not None, "only an embedded nats-server can be restarted"
        self.nats.kill()
        time.sleep(down_for)
        self.nats.start()

    def restart_postgres(self, down_for: float = 1.0) -> None:
        assert self.postgres is not None, "only an embedded PostgreSQL can be restarted"
        self.postgres.kill()
        time.sleep(down_for)
        self.postgres.start()

    # --- services --------------------------------------------------------------------------
    def start_service(self, name: str) -> None:
        spec = PROCESS_BY_NAME[name]
        self.logs.mkdir(parents=True, exist_ok=True)
        with open(self.logs / f"{name}.log", "ab") as log:
            self.children[name] = subprocess.Popen(
                [sys.executable, "-m", spec.module],
                env=self.service_env(name),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def service_env(self, name: str) -> dict[str, str]:
        """The environment of ``name``'s process: DATABASE_URL is its own role's, and no other
        login (the owner's or another service's) is passed on."""
        env = {k: v for k, v in self.env.items() if k not in PRIVATE_VARIABLES}
        if name == WEB.name:
            # No database, no NATS: only the services' public APIs, as any client.
            for spec in SERVICES:
                env.setdefault(f"WEB_{spec.name.upper()}_URL", self.url(spec.name))
            return env
        env["DATABASE_URL"] = self.service_database_url(name)
        creds = self.service_nats_creds(name)
        if creds:
            env["NATS_CREDS"] = creds
        return env

    def kill_service(self, name: str) -> None:
        process = self.children[name]
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()

    def wait_ready(self, names: list[str] | None = None, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        for name in names or [s.name for s in SERVICES]:
            while True:
                process = self.children[name]
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited; see {self.logs / (name + '.log')}")
                try:
                    if httpx.get(f"{self.url(name)}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} not ready; see {self.logs / (name + '.log')}")
                time.sleep(0.1)

    def start_services(self) -> None:
        for spec in SERVICES:
            self.start_service(spec.name)
        self.wait_ready()
        if self.web:
            self.start_service(WEB.name)
            self.wait_ready([WEB.name])
        for spec in (*SERVICES, WEB) if self.web else SERVICES:
            self.say(
                f"{spec.name:<25} {self.url(spec.name)}   log {self.logs / (spec.name + '.log')}"
            )

    def start(self, extra_units: list[Unit] | None = None) -> None:
        self.start_infrastructure()
        asyncio.run(self.prepare_database(extra_units))
        asyncio.run(self.prepare_nats())
        self.start_services()

    def stop(self) -> None:
        for process in self.children.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.children.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.nats is not None:
            self.nats.stop()
        if self.postgres is not None:
            self.postgres.stop()

    def all_running(self) -> bool:
        return all(p.poll() is None for p in self.children.values())


# The service specs stay importable from here.
__all__ = ["SERVICES", "SERVICE_BY_NAME", "ServiceSpec", "Stack"]
