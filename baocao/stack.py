"""The whole system as processes on loopback: nats-server, PostgreSQL and the four services.

`baocao up`, `make bench` and the fault-injection tests all run the system through this one
class, so what the benchmarks measure and what the fault tests kill is what `make run` starts.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from baocao.embedded import EmbeddedNats, EmbeddedPostgres, free_port
from shared.db import migrate
from shared.registry import Unit
from shared.registry.seed import units_from_package
from shared.registry.store import upsert_units


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    port_variable: str
    default_port: int


SERVICES = (
    ServiceSpec("intake", "services.intake", "INTAKE_PORT", 8080),
    ServiceSpec("aggregator", "services.aggregator", "AGGREGATOR_PORT", 8081),
    ServiceSpec("validator", "services.validator", "VALIDATOR_PORT", 8082),
    ServiceSpec("notifier", "services.notifier", "NOTIFIER_PORT", 8083),
)
SERVICE_BY_NAME = {spec.name: spec for spec in SERVICES}


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
        say: Callable[[str], None] = _quiet,
    ) -> None:
        self.run_dir = run_dir
        self.env = dict(os.environ if env is None else env)
        self.say = say
        self.nats: EmbeddedNats | None = None
        self.postgres: EmbeddedPostgres | None = None
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        if random_ports:
            for spec in SERVICES:
                self.env[spec.port_variable] = str(free_port())
            self.env["BAOCAO_NATS_PORT"] = str(free_port())
            self.env["BAOCAO_PG_PORT"] = str(free_port())

    # --- addresses -------------------------------------------------------------------------
    def port(self, service: str) -> int:
        spec = SERVICE_BY_NAME[service]
        return int(self.env.get(spec.port_variable, spec.default_port))

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.port(service)}"

    @property
    def nats_url(self) -> str:
        return self.env["NATS_URL"]

    @property
    def database_url(self) -> str:
        return self.env["DATABASE_URL"]

    @property
    def logs(self) -> Path:
        return self.run_dir / "logs"

    # --- infrastructure --------------------------------------------------------------------
    def start_infrastructure(self) -> None:
        """Start nats-server and PostgreSQL unless NATS_URL / DATABASE_URL point elsewhere."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if "NATS_URL" not in self.env:
            self.nats = EmbeddedNats(
                self.run_dir / "nats", port=int(self.env.get("BAOCAO_NATS_PORT", 4222))
            )
            self.nats.start()
            self.env["NATS_URL"] = self.nats.url
            self.say(f"nats-server (JetStream)   {self.nats.url}   data {self.run_dir / 'nats'}")
        else:
            self.say(f"NATS                      {self.env['NATS_URL']} (from NATS_URL)")
        if "DATABASE_URL" not in self.env:
            self.postgres = EmbeddedPostgres(
                self.run_dir / "postgres", port=int(self.env.get("BAOCAO_PG_PORT", 55432))
            )
            self.postgres.start()
            self.env["DATABASE_URL"] = self.postgres.dsn()
            self.say(
                f"PostgreSQL                {self.postgres.dsn()}   data {self.run_dir / 'postgres'}"
            )
        else:
            self.say("PostgreSQL                (from DATABASE_URL)")

    async def prepare_database(self, extra_units: list[Unit] | None = None) -> None:
        """Apply migrations and seed the registry (and any synthetic units) before services load it."""
        applied = await migrate(self.database_url)
        self.say(
            f"migrations                {len(applied)} applied"
            if applied
            else "migrations                up to date"
        )
        pool = await asyncpg.create_pool(self.database_url, min_size=1, max_size=2)
        assert pool is not None
        try:
            units = units_from_package() + list(extra_units or [])
            self.say(f"unit registry             seeding {len(units):,} units ...")
            await upsert_units(pool, units)
        finally:
            await pool.close()

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
        spec = SERVICE_BY_NAME[name]
        self.logs.mkdir(parents=True, exist_ok=True)
        with open(self.logs / f"{name}.log", "ab") as log:
            self.children[name] = subprocess.Popen(
                [sys.executable, "-m", spec.module],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

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
        for spec in SERVICES:
            self.say(
                f"{spec.name:<25} {self.url(spec.name)}   log {self.logs / (spec.name + '.log')}"
            )

    def start(self, extra_units: list[Unit] | None = None) -> None:
        self.start_infrastructure()
        asyncio.run(self.prepare_database(extra_units))
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
