"""`baocao up`: everything `make run` starts, and the simulated round it drives."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from datetime import date, datetime
from pathlib import Path

import asyncpg

from baocao.accounts_cli import signing_in
from baocao.contracts import CONTRACTS
from baocao.dev_accounts import DEV_ACCOUNTS, ensure_dev_accounts
from baocao.simulation import RoundDriver, summary
from baocao.stack import SERVICES, Stack
from services.web.settings import WebSettings
from shared.catalog import Catalog
from shared.periods import VIETNAM, Period, Periodicity
from shared.registry.store import load_registry

RUN_DIR = Path(".run")


def say(message: str) -> None:
    print(message, flush=True)


async def run_round(stack: Stack) -> bool:
    pool = await asyncpg.create_pool(stack.database_url, min_size=1, max_size=2)
    assert pool is not None
    try:
        registry = await load_registry(pool)
    finally:
        await pool.close()
    period = Period.containing(datetime.now(VIETNAM).date(), Periodicity.QUARTERLY)
    driver = RoundDriver(
        registry=registry,
        catalog=Catalog.load(),
        nats_url=stack.nats_url,
        intake_url=stack.url("intake"),
        central_url=stack.url("aggregator"),
        issuer=stack.issuer,
        identities=stack.nats_identities,
        progress=lambda m: say(f"  {m}"),
        notifier_url=stack.url("notifier"),
        hub_leaf=stack.hub_leaf,
        database_url=stack.database_url,
    )
    say(f"\nSimulated national round for {period.label} on a shared clock (docs/commands.md):")
    result = await driver.run(period)
    say("")
    say(summary(result))
    return result.oracle_holds


def print_web_app(stack: Stack) -> None:
    """The web app's address and the development accounts to sign in with."""
    settings = WebSettings.model_validate(stack.env)
    passwords = ensure_dev_accounts(signing_in(settings), Path(settings.identity_dir))
    say(f"\nWeb app                   {stack.url('web')}   (sign in with one of these)")
    for account in DEV_ACCOUNTS:
        say(
            f"  {account.name:<24} user {account.username:<10} password"
            f" {passwords[account.username]}   ({account.unit})"
        )
    say("  more accounts: .venv/bin/baocao account add USER --unit CODE (docs/web.md)\n")


def up(*, once: bool, simulate: bool) -> int:
    env = dict(os.environ)
    if simulate:
        env["BAOCAO_CLOCK"] = "shared"
        env.setdefault("NOTIFIER_TICK_SECONDS", "0.5")
    stack = Stack(RUN_DIR, env, web=True, say=say)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        stack.start()
        print_web_app(stack)
        say(
            f"Central read API          {stack.url('aggregator')}/v1/rollups/kl226-quarterly/<period>"
        )
        say(
            f"API docs (OpenAPI)        {stack.url('intake')}/docs and "
            f"{stack.url('aggregator')}/docs"
        )
        say(f"Event and API contracts   {CONTRACTS} (AsyncAPI and OpenAPI, `make contracts`)")
        for spec in SERVICES:
            say(
                f"{spec.name:<10} metrics {stack.url(spec.name)}/metrics"
                f"   health {stack.url(spec.name)}/healthz  /readyz"
            )
        say("Alert rules and runbook   deploy/k8s/alerts/baocao-rules.yml, docs/operations.md")
        say(
            "A unit's token            .venv/bin/baocao token 00004   (roles: --role submitter,"
            " approver, reader, ops; docs/security.md)"
        )
        say("Its NATS credentials      .venv/bin/baocao nats creds 00004 --out 00004.creds")
        say(
            f"Central's reader token    .venv/bin/baocao token VN --role reader   ({stack.url('aggregator')})"
        )
        say(
            "Traces                    set OTEL_EXPORTER_OTLP_ENDPOINT (e.g. a local Jaeger on"
            " http://127.0.0.1:4318) before `make run` to export them"
        )
        ok = asyncio.run(run_round(stack)) if simulate else True
        if once:
            return 0 if ok else 1
        if simulate:
            from baocao.reminder_replay import replay_month

            # Forward from the round, a month with a holiday (New Year's Day) and two deadlines
            # of the monthly report: reminders, the provinces' digests and Central's, as they go.
            say("\nA month of reminders in accelerated time (4 s a day):")
            asyncio.run(
                replay_month(
                    stack.nats_url,
                    stack.nats_identities.options("ops"),
                    date(2027, 1, 1),
                    say=say,
                )
            )
        say("\nRunning. Ctrl-C stops everything.")
        while stack.all_running():
            time.sleep(0.5)
        say("a service exited; stopping")
        return 1
    except KeyboardInterrupt:
        say("\nstopping ...")
        return 0
    finally:
        stack.stop()
