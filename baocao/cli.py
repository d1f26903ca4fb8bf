"""The `baocao` command."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import sys
from typing import Any

import httpx

from baocao import edge_cli, nats_cli, signing_cli, tokens_cli

DEFAULT_INTAKE = "http://127.0.0.1:8080"


def _token(unit: str, given: str | None) -> str:
    """--token, else BAOCAO_TOKEN, else one minted by the local issuer (development)."""
    from shared.identity.issuer import LocalIssuer

    return given or os.environ.get("BAOCAO_TOKEN") or LocalIssuer.of().mint(unit)


def cmd_up(args: argparse.Namespace) -> int:
    from baocao.up import up

    return up(once=args.once, simulate=not args.no_round)


def cmd_simulate(args: argparse.Namespace) -> int:
    from baocao.nats_identities import NatsIdentities
    from baocao.simulate import Target, simulate_command
    from shared.identity.issuer import LocalIssuer

    target = None
    if not args.start:
        target = Target(
            os.environ.get("NATS_URL", "nats://127.0.0.1:4222"),
            args.url,
            args.central_url,
            LocalIssuer.of(),
            NatsIdentities.of(),
        )
    return simulate_command(
        scale=args.scale,
        over_http=args.http_share,
        seed=args.seed,
        start=args.start,
        target=target,
        say=lambda m: print(m, flush=True),
    )


def cmd_bench(args: argparse.Namespace) -> int:
    from baocao.bench import bench_command

    return bench_command(args)


def cmd_profile(args: argparse.Namespace) -> int:
    from baocao.bench.profile import profile_command

    return profile_command(args)


def cmd_contracts(_: argparse.Namespace) -> int:
    from baocao.contracts import write

    for path in write():
        print(path)
    return 0


def cmd_chaos(args: argparse.Namespace) -> int:
    from baocao.chaos import chaos_command

    return chaos_command(args)


def cmd_submit(args: argparse.Namespace) -> int:
    response = _post_report(args.file, args.url, args.token, dry_run=False)
    print(json.dumps(response.json(), ensure_ascii=False, indent=2))
    return 0 if response.status_code == 202 else 1


def cmd_validate(args: argparse.Namespace) -> int:
    """Exit 0 if the report would be accepted, 1 if rejected, 2 if it could not be judged."""
    response = _post_report(args.file, args.url, args.token, dry_run=True)
    body = response.json()
    print(json.dumps(body, ensure_ascii=False, indent=2))
    if response.status_code != 200:
        return 1 if 400 <= response.status_code < 500 and response.status_code != 401 else 2
    return 0 if body["status"] == "accepted" else 1


def _post_report(path: str, url: str, token: str | None, *, dry_run: bool) -> httpx.Response:
    with open(path, "rb") as handle:
        body = handle.read()
    try:
        unit = json.loads(body)["unit"]
    except (ValueError, KeyError, TypeError):
        unit = "VN"
    return httpx.post(
        f"{url}/v1/submissions",
        params={"dry_run": "true"} if dry_run else None,
        content=body,
        timeout=30,
        headers={
            "Authorization": f"Bearer {_token(unit, token)}",
            "Content-Type": "application/json",
        },
    )


def cmd_status(args: argparse.Namespace) -> int:
    response = httpx.get(
        f"{args.url}/v1/submissions/{args.submission_id}",
        timeout=30,
        headers={"Authorization": f"Bearer {_token('VN', args.token)}"},
    )
    print(json.dumps(response.json(), ensure_ascii=False, indent=2))
    return 0 if response.status_code == 200 else 1


def cmd_migrate(_: argparse.Namespace) -> int:
    from baocao.stack import Stack
    from baocao.up import RUN_DIR, say
    from shared.settings import CommonSettings

    env = dict(os.environ, DATABASE_URL=CommonSettings().database_url)
    asyncio.run(Stack(RUN_DIR, env, say=say).prepare_database())
    return 0


def cmd_registry(args: argparse.Namespace) -> int:
    from pathlib import Path

    from baocao.registry import apply_file, sync_package
    from shared.settings import CommonSettings

    database_url = CommonSettings().database_url
    if args.action == "apply":
        if args.file is None:
            print("baocao registry apply needs a changes FILE")
            return 2
        text = Path(args.file).read_text(encoding="utf-8")
        return asyncio.run(apply_file(database_url, text, dry_run=args.dry_run))
    return asyncio.run(sync_package(database_url, dry_run=args.dry_run))


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="baocao", description="Baocao: periodic reports from communes to Central."
    )
    commands = root.add_subparsers(dest="command", required=True)
    up = commands.add_parser(
        "up", help="start NATS, PostgreSQL, the four services and a simulated round"
    )
    up.add_argument("--once", action="store_true", help="exit 0 after the round's summary")
    up.add_argument("--no-round", action="store_true", help="start everything but simulate nothing")
    up.set_defaults(run=cmd_up)
    simulate = commands.add_parser(
        "simulate",
        help="send a national round of every report type and check Central against an oracle",
    )
    simulate.add_argument(
        "--start", action="store_true", help="start a private system in a temporary directory"
    )
    simulate.add_argument(
        "--scale", type=int, default=1, help="communes x N (synthetic units; needs --start)"
    )
    simulate.add_argument(
        "--http-share", type=float, default=0.2, help="share of reports sent over HTTP intake"
    )
    simulate.add_argument("--seed", type=int, default=2026)
    simulate.add_argument("--url", default=os.environ.get("BAOCAO_INTAKE_URL", DEFAULT_INTAKE))
    simulate.add_argument(
        "--central-url", default=os.environ.get("BAOCAO_CENTRAL_URL", "http://127.0.0.1:8081")
    )
    simulate.set_defaults(run=cmd_simulate)
    bench = commands.add_parser(
        "bench", help="measure raw, e2e, freshness, burst, read and scale figures (make bench)"
    )
    bench.add_argument(
        "--json", default=".run/bench-results.json", help="where to write the figures"
    )
    bench.add_argument("--quick", action="store_true", help="smaller runs, for a smoke test")
    bench.add_argument(
        "--only",
        choices=["edges"],
        help="one part alone: edges, what 3,321 edges cost the hub (docs/performance.md)",
    )
    bench.set_defaults(run=cmd_bench)
    profile = commands.add_parser(
        "profile", help="CPU per process and per report on the e2e path (make profile)"
    )
    profile.add_argument("--reports", type=int, default=13000)
    profile.add_argument("--scale", type=int, default=1, help="communes x N (synthetic)")
    profile.add_argument("--spy", help="also record py-spy profiles into this directory")
    profile.set_defaults(run=cmd_profile)
    contracts = commands.add_parser(
        "contracts",
        help="write the services' OpenAPI and the events' AsyncAPI documents into docs/contracts/",
    )
    contracts.set_defaults(run=cmd_contracts)
    chaos = commands.add_parser(
        "chaos", help="a national round while services, NATS and PostgreSQL are killed (make chaos)"
    )
    chaos.add_argument("--kills", type=int, default=24, help="SIGKILLs of services in all")
    chaos.add_argument(
        "--province", action="append", help="limit the round to these provinces (repeatable)"
    )
    chaos.add_argument("--seed", type=int, default=2026)
    chaos.set_defaults(run=cmd_chaos)
    _add_operator_commands(commands)
    for module in _COMMAND_MODULES:
        importlib.import_module(module).add_commands(commands)
    return root


# Command groups that live in modules of their own, each with ``add_commands(subparsers)``.
_COMMAND_MODULES = (
    "baocao.rebuild",
    "baocao.approvals",
    "baocao.contacts",
    "baocao.accounts_cli",
    "baocao.screenshots",
)


def _add_operator_commands(commands: Any) -> None:
    """Commands for a unit's IT staff and operators: tokens, reports, the registry."""
    tokens_cli.add_commands(commands)
    nats_cli.add_commands(commands)
    signing_cli.add_commands(commands)
    edge_cli.add_commands(commands)
    submit = commands.add_parser("submit", help="submit a report from a JSON file")
    submit.add_argument("file")
    submit.add_argument("--url", default=os.environ.get("BAOCAO_INTAKE_URL", DEFAULT_INTAKE))
    submit.add_argument("--token")
    submit.set_defaults(run=cmd_submit)
    validate = commands.add_parser(
        "validate",
        help="judge a report from a JSON file without submitting it (a dry run); exit 0 if it"
        " would be accepted",
    )
    validate.add_argument("file")
    validate.add_argument("--url", default=os.environ.get("BAOCAO_INTAKE_URL", DEFAULT_INTAKE))
    validate.add_argument("--token")
    validate.set_defaults(run=cmd_validate)
    status = commands.add_parser("status", help="show where a submission stands")
    status.add_argument("submission_id")
    status.add_argument("--url", default=os.environ.get("BAOCAO_INTAKE_URL", DEFAULT_INTAKE))
    status.add_argument("--token")
    status.set_defaults(run=cmd_status)
    migrate = commands.add_parser(
        "migrate", help="apply migrations and seed the unit registry (DATABASE_URL)"
    )
    migrate.set_defaults(run=cmd_migrate)
    registry = commands.add_parser(
        "registry",
        help="change the unit registry without losing history: `apply FILE` (mergers, new units,"
        " renames) or `sync` (a newer vietnam-provinces release)",
    )
    registry.add_argument("action", choices=["apply", "sync"])
    registry.add_argument("file", nargs="?", help="the changes file (TOML), for apply")
    registry.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    registry.set_defaults(run=cmd_registry)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
