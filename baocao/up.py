"""`baocao up`: everything `make run` starts, and the simulated round it drives."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from baocao.embedded import EmbeddedNats, EmbeddedPostgres
from baocao.simulation import RoundDriver, summary
from shared.catalog import Catalog
from shared.db import migrate
from shared.periods import VIETNAM, Period, Periodicity
from shared.registry.seed import units_from_package
from shared.registry.store import load_registry, upsert_units

RUN_DIR = Path(".run")


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


def say(message: str) -> None:
    print(message, flush=True)


class Stack:
    """The processes `baocao up` owns; stops them all, whatever happens."""

    def __init__(self) -> None:
        self.nats: EmbeddedNats | None = None
        self.postgres: EmbeddedPostgres | None = None
        self.children: dict[str, subprocess.Popen[bytes]] = {}

    def stop(self) -> None:
        for process in self.children.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.children.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.nats is not None:
            self.nats.stop()
        if self.postgres is not None:
            self.postgres.stop()


def _port(spec: ServiceSpec) -> int:
    return int(os.environ.get(spec.port_variable, spec.default_port))


def start_infrastructure(stack: Stack, env: dict[str, str]) -> None:
    if "NATS_URL" not in env:
        stack.nats = EmbeddedNats(RUN_DIR / "nats", port=int(env.get("BAOCAO_NATS_PORT", 4222)))
        stack.nats.start()
        env["NATS_URL"] = stack.nats.url
        say(f"nats-server (JetStream)   {stack.nats.url}   data {RUN_DIR / 'nats'}")
    else:
        say(f"NATS                      {env['NATS_URL']} (from NATS_URL)")
    if "DATABASE_URL" not in env:
        stack.postgres = EmbeddedPostgres(
            RUN_DIR / "postgres", port=int(env.get("BAOCAO_PG_PORT", 55432))
        )
        stack.postgres.start()
        env["DATABASE_URL"] = stack.postgres.dsn()
        say(f"PostgreSQL                {stack.postgres.dsn()}   data {RUN_DIR / 'postgres'}")
    else:
        say("PostgreSQL                (from DATABASE_URL)")


async def prepare_database(dsn: str) -> None:
    applied = await migrate(dsn)
    say(
        f"migrations                {len(applied)} applied"
        if applied
        else "migrations                up to date"
    )
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    assert pool is not None
    try:
        units = units_from_package()
        say(f"unit registry             seeding {len(units):,} units from vietnam-provinces ...")
        await upsert_units(pool, units)
        say("unit registry             1 central, 34 provinces, 3,321 communes")
    finally:
        await pool.close()


def start_services(stack: Stack, env: dict[str, str]) -> None:
    logs = RUN_DIR / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for spec in SERVICES:
        with open(logs / f"{spec.name}.log", "ab") as log:
            stack.children[spec.name] = subprocess.Popen(
                [sys.executable, "-m", spec.module], env=env, stdout=log, stderr=subprocess.STDOUT
            )
    deadline = time.monotonic() + 60
    for spec in SERVICES:
        url = f"http://127.0.0.1:{_port(spec)}/readyz"
        while True:
            process = stack.children[spec.name]
            if process.poll() is not None:
                raise RuntimeError(f"{spec.name} exited; see {logs / (spec.name + '.log')}")
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{spec.name} not ready; see {logs / (spec.name + '.log')}")
            time.sleep(0.2)
        say(f"{spec.name:<25} http://127.0.0.1:{_port(spec)}   log {logs / (spec.name + '.log')}")


async def run_round(env: dict[str, str]) -> bool:
    from services.intake.settings import IntakeSettings

    pool = await asyncpg.create_pool(env["DATABASE_URL"], min_size=1, max_size=2)
    assert pool is not None
    try:
        registry = await load_registry(pool)
    finally:
        await pool.close()
    period = Period.containing(datetime.now(VIETNAM).date(), Periodicity.QUARTERLY)
    driver = RoundDriver(
        registry=registry,
        catalog=Catalog.load(),
        nats_url=env["NATS_URL"],
        intake_url=f"http://127.0.0.1:{_port(SERVICES[0])}",
        central_url=f"http://127.0.0.1:{_port(SERVICES[1])}",
        token_secret=IntakeSettings().token_secret,
        progress=lambda m: say(f"  {m}"),
    )
    say(f"\nSimulated national round for {period.label} on a shared clock (see README):")
    result = await driver.run(period)
    say("")
    say(summary(result))
    return result.oracle_holds


def up(*, once: bool, simulate: bool) -> int:
    env: dict[str, Any] = dict(os.environ)
    if simulate:
        env["BAOCAO_CLOCK"] = "shared"
        env.setdefault("NOTIFIER_TICK_SECONDS", "0.5")
    stack = Stack()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        RUN_DIR.mkdir(exist_ok=True)
        start_infrastructure(stack, env)
        asyncio.run(prepare_database(env["DATABASE_URL"]))
        start_services(stack, env)
        say(
            f"Central read API          http://127.0.0.1:{_port(SERVICES[1])}/v1/rollups/kl226-quarterly/<period>"
        )
        say(
            f"API docs (OpenAPI)        http://127.0.0.1:{_port(SERVICES[0])}/docs and "
            f"http://127.0.0.1:{_port(SERVICES[1])}/docs"
        )
        ok = asyncio.run(run_round(env)) if simulate else True
        if once:
            return 0 if ok else 1
        say("\nRunning. Ctrl-C stops everything.")
        while all(p.poll() is None for p in stack.children.values()):
            time.sleep(0.5)
        say("a service exited; stopping")
        return 1
    except KeyboardInterrupt:
        say("\nstopping ...")
        return 0
    finally:
        stack.stop()
