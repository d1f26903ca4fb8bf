"""`baocao nats`: NATS credentials for local systems and readers, revocation, provisioning.

baocao nats creds 00004                    # a commune's own system  -> .creds on stdout
baocao nats creds 00004 00007 --name hn-platform   # one system for exactly these units
baocao nats creds --platform 01            # a province platform for all its units
baocao nats creds --reader 01 | --reader VN  # a province's (or Central's) feed reader
baocao nats revoke PUBLIC_KEY              # refused at once, without a restart
baocao nats provision                      # streams and consumers, as ops (each deploy)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import nats

from baocao.nats_identities import NatsIdentities, ops_options
from baocao.nats_provisioning import provision, push_account
from shared.nats_permissions import Unit
from shared.settings import CommonSettings


def add_commands(commands: Any) -> None:
    command = commands.add_parser("nats", help="NATS credentials, revocation and provisioning")
    actions = command.add_subparsers(dest="action", required=True)
    creds = actions.add_parser("creds", help="print a .creds file for local systems or readers")
    creds.add_argument("units", nargs="*", help="unit codes the system submits for")
    creds.add_argument("--name", help="the user's name (default: the units)")
    creds.add_argument("--platform", metavar="PROVINCE", help="a province's platform")
    creds.add_argument("--reader", metavar="UNIT", help="a feed reader: a province or VN")
    creds.add_argument(
        "--service",
        choices=["intake", "validator", "aggregator", "notifier", "ops"],
        help="a service's own user (or ops'), for a deployment's Secrets",
    )
    creds.add_argument("--out", type=Path, help="write the file here (0600) instead of stdout")
    creds.set_defaults(run=run_creds)
    revoke = actions.add_parser("revoke", help="revoke a NATS user by its public key")
    revoke.add_argument("public_key")
    revoke.set_defaults(run=run_revoke)
    provisioning = actions.add_parser("provision", help="create or update streams and consumers")
    provisioning.add_argument(
        "--replicas",
        type=int,
        help="servers each stream is kept on (default BAOCAO_STREAM_REPLICAS)",
    )
    provisioning.set_defaults(run=run_provision)


def run_creds(args: argparse.Namespace) -> int:
    identities = NatsIdentities.of()
    if args.service:
        path = identities.path(args.service)
    elif args.reader:
        path = (
            identities.path("central-reader")
            if args.reader == "VN"
            else identities.province_reader(args.reader)
        )
    elif args.platform:
        path = identities.province_platform(args.platform)
    elif args.units:
        units = [_unit(code) for code in args.units]
        path = identities.units(args.name or "-".join(args.units), units)
    else:
        print("baocao nats creds needs unit codes, --platform PROVINCE or --reader UNIT")
        return 2
    text = path.read_text(encoding="utf-8")
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        args.out.chmod(0o600)
        print(f"wrote {args.out}; connect with user_credentials and its inbox prefix")
    else:
        sys.stdout.write(text)
    return 0


def _unit(code: str) -> Unit:
    """A unit as its subjects name it; a commune's province comes from the registry package."""
    if len(code) == 2:
        return Unit(code, code)
    from shared.registry.seed import units_from_package

    found = {u.code: u for u in units_from_package()}.get(code)
    if found is None or found.province is None:
        raise SystemExit(f"no unit has code {code}")
    return Unit(found.province, code)


def run_revoke(args: argparse.Namespace) -> int:
    identities = NatsIdentities.of()
    identities.authority.revoke(args.public_key)
    url = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")
    asyncio.run(push_account(url, identities.authority))
    print(f"revoked {args.public_key}; the servers refuse it from now on")
    return 0


def run_provision(args: argparse.Namespace) -> int:
    async def run() -> None:
        url = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")
        connection = await nats.connect(url, **ops_options())
        try:
            replicas = args.replicas or CommonSettings().stream_replicas
            await provision(connection.jetstream(), replicas=replicas)
        finally:
            await connection.close()

    asyncio.run(run())
    print("streams and durable consumers are up to date")
    return 0
