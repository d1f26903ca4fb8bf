"""`baocao approve|unapprove|accept|unaccept|approvals|history`: the validator's approval and
audit API from the command line. Each prints the JSON answer; exit 0 on success, 1 when the
validator refuses (4xx), 2 when it could not answer."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

import httpx

from shared.identity.issuer import LocalIssuer

DEFAULT_VALIDATOR = "http://127.0.0.1:8082"  # ValidatorSettings.port
CENTRAL = "VN"


def add_commands(commands: Any) -> None:
    """Register the commands on ``baocao``'s subparsers."""
    approve = _command(
        commands,
        "approve",
        "approve a unit's data for a period (a province: its own and its communes'); revisions"
        " are then refused",
    )
    _report(approve, "UNIT")
    approve.set_defaults(run=cmd_approve)
    unapprove = _command(commands, "unapprove", "withdraw an approval (a reason is required)")
    _report(unapprove, "UNIT")
    unapprove.add_argument("--reason", required=True)
    unapprove.set_defaults(run=cmd_unapprove)
    accept = _command(commands, "accept", "Central accepts a province's approved data")
    _report(accept, "PROVINCE")
    accept.set_defaults(run=cmd_accept)
    unaccept = _command(commands, "unaccept", "Central withdraws its acceptance (reason required)")
    _report(unaccept, "PROVINCE")
    unaccept.add_argument("--reason", required=True)
    unaccept.set_defaults(run=cmd_unaccept)
    approvals = _command(
        commands,
        "approvals",
        "where every province stands for a period, or one unit's approval and its log",
    )
    approvals.add_argument("report_type")
    approvals.add_argument("period")
    approvals.add_argument("unit", nargs="?")
    approvals.set_defaults(run=cmd_approvals)
    history = _command(
        commands, "history", "a unit's submissions: who, when, verdict, changes, superseding"
    )
    history.add_argument("unit")
    history.add_argument("--report-type")
    history.add_argument("--period")
    history.add_argument("--limit", type=int, default=50)
    history.add_argument("--cursor", help="next_cursor of the previous page")
    history.set_defaults(run=cmd_history)


def _command(commands: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(name, help=help_text)
    parser.add_argument(
        "--url",
        default=os.environ.get("BAOCAO_VALIDATOR_URL", DEFAULT_VALIDATOR),
        help="the validator (default: BAOCAO_VALIDATOR_URL or %(default)s)",
    )
    parser.add_argument(
        "--token",
        help="bearer token (default: BAOCAO_TOKEN, else one issued with BAOCAO_TOKEN_SECRET for"
        " the unit's province, Central, or for history the unit itself)",
    )
    return parser


def _report(parser: argparse.ArgumentParser, unit: str) -> None:
    parser.add_argument("report_type")
    parser.add_argument("period")
    parser.add_argument("unit", metavar=unit)


def cmd_approve(args: argparse.Namespace) -> int:
    return _call(args, "POST", _path(args), _province_of(args.unit))


def cmd_unapprove(args: argparse.Namespace) -> int:
    return _call(args, "DELETE", _path(args), _province_of(args.unit), {"reason": args.reason})


def cmd_accept(args: argparse.Namespace) -> int:
    return _call(args, "POST", _path(args) + "/acceptance", CENTRAL)


def cmd_unaccept(args: argparse.Namespace) -> int:
    return _call(args, "DELETE", _path(args) + "/acceptance", CENTRAL, {"reason": args.reason})


def cmd_approvals(args: argparse.Namespace) -> int:
    path = f"/v1/approvals/{args.report_type}/{args.period}"
    return _call(args, "GET", path + (f"/{args.unit}" if args.unit else ""), CENTRAL)


def cmd_history(args: argparse.Namespace) -> int:
    params = {
        "report_type": args.report_type,
        "period": args.period,
        "limit": str(args.limit),
        "cursor": args.cursor,
    }
    return _call(
        args,
        "GET",
        f"/v1/units/{args.unit}/submissions",
        args.unit,
        {k: v for k, v in params.items() if v is not None},
    )


def _path(args: argparse.Namespace) -> str:
    return f"/v1/approvals/{args.report_type}/{args.period}/{args.unit}"


def _call(
    args: argparse.Namespace,
    method: str,
    path: str,
    acting_unit: str,
    params: dict[str, str] | None = None,
) -> int:
    try:
        response = httpx.request(
            method,
            f"{args.url.rstrip('/')}{path}",
            params=params,
            timeout=30,
            headers={"Authorization": f"Bearer {_token(acting_unit, args.token)}"},
        )
    except httpx.HTTPError as error:
        print(f"could not reach the validator at {args.url}: {error}")
        return 2
    try:
        print(json.dumps(response.json(), ensure_ascii=False, indent=2))
    except ValueError:
        print(response.text)
    if response.is_success:
        return 0
    return 1 if response.is_client_error else 2


def _token(unit: str, given: str | None) -> str:
    """--token, else BAOCAO_TOKEN, else one minted by the local issuer (development)."""
    return given or os.environ.get("BAOCAO_TOKEN") or LocalIssuer.of().mint(unit)


def _province_of(code: str) -> str:
    """Who approves ``code`` by default: a province itself, a commune its province, found in the
    packaged registry (Central if the code is not there)."""
    if len(code) == 2 or code == CENTRAL:
        return code
    from shared.registry.seed import units_from_package

    for unit in units_from_package():
        if unit.code == code:
            return unit.province or CENTRAL
    return CENTRAL
