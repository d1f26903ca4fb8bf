"""The `baocao` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

import httpx

from shared import tokens

DEFAULT_INTAKE = "http://127.0.0.1:8080"


def _secret() -> str:
    from services.intake.settings import IntakeSettings

    return IntakeSettings().token_secret


def _token(unit: str, given: str | None) -> str:
    return given or os.environ.get("BAOCAO_TOKEN") or tokens.issue(unit, _secret())


def cmd_up(args: argparse.Namespace) -> int:
    from baocao.up import up

    return up(once=args.once, simulate=not args.no_round)


def cmd_token(args: argparse.Namespace) -> int:
    print(tokens.issue(args.unit, _secret()))
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    with open(args.file, "rb") as handle:
        body = handle.read()
    try:
        unit = json.loads(body)["unit"]
    except (ValueError, KeyError, TypeError):
        unit = "VN"
    response = httpx.post(
        f"{args.url}/v1/submissions",
        content=body,
        timeout=30,
        headers={
            "Authorization": f"Bearer {_token(unit, args.token)}",
            "Content-Type": "application/json",
        },
    )
    print(json.dumps(response.json(), ensure_ascii=False, indent=2))
    return 0 if response.status_code == 202 else 1


def cmd_status(args: argparse.Namespace) -> int:
    response = httpx.get(
        f"{args.url}/v1/submissions/{args.submission_id}",
        timeout=30,
        headers={"Authorization": f"Bearer {_token('VN', args.token)}"},
    )
    print(json.dumps(response.json(), ensure_ascii=False, indent=2))
    return 0 if response.status_code == 200 else 1


def cmd_migrate(_: argparse.Namespace) -> int:
    from baocao.up import prepare_database
    from shared.settings import CommonSettings

    asyncio.run(prepare_database(CommonSettings().database_url))
    return 0


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
    token = commands.add_parser("token", help="print a bearer token for a unit code")
    token.add_argument("unit")
    token.set_defaults(run=cmd_token)
    submit = commands.add_parser("submit", help="submit a report from a JSON file")
    submit.add_argument("file")
    submit.add_argument("--url", default=os.environ.get("BAOCAO_INTAKE_URL", DEFAULT_INTAKE))
    submit.add_argument("--token")
    submit.set_defaults(run=cmd_submit)
    status = commands.add_parser("status", help="show where a submission stands")
    status.add_argument("submission_id")
    status.add_argument("--url", default=os.environ.get("BAOCAO_INTAKE_URL", DEFAULT_INTAKE))
    status.add_argument("--token")
    status.set_defaults(run=cmd_status)
    migrate = commands.add_parser(
        "migrate", help="apply migrations and seed the unit registry (DATABASE_URL)"
    )
    migrate.set_defaults(run=cmd_migrate)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
