"""`baocao signing-key` and `baocao verify`: units' signing keys, and checking a signature later.

    baocao signing-key 00004                         # make a key, keep it, register it
    baocao signing-key 00004 --public-key B64URL     # register a key the unit made itself
    baocao signing-key 00004 --rotate                # the current key ends now; a new one starts
    baocao signing-key 00004 --revoke KEY_ID --reason "máy bị mất"
    baocao signing-key 00004 --list
    baocao signing-key policy 00004 --required-from 2027-03-01
    baocao verify SUBMISSION_ID                      # exit 0: the signature stands

The database is DATABASE_URL's, as its owner: the services may only read keys. Private keys
made here are development keys, kept under .run/unit-keys (docs/signatures.md). The commands' work
is done by :mod:`baocao.unit_key_admin` and :mod:`baocao.signature_audit`.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import date, datetime
from typing import Any

from baocao.signature_audit import verify
from baocao.unit_key_admin import add_key, list_keys, revoke, set_policy
from baocao.unit_keys import UnitKeys
from shared.identity.issuer import LocalIssuer
from shared.periods import start_of_day
from shared.settings import CommonSettings


def add_commands(commands: Any) -> None:
    key = commands.add_parser(
        "signing-key",
        help="a unit's keys for signing its reports: make and register, rotate, revoke, list;"
        " `policy UNIT --required-from DATE` sets when its reports must be signed",
    )
    key.add_argument("unit", help="a unit code, or 'policy'")
    key.add_argument("policy_unit", nargs="?", help="with 'policy': the unit")
    key.add_argument("--rotate", action="store_true", help="end the current key now; add a new")
    key.add_argument("--revoke", metavar="KEY_ID", help="the key is compromised: refuse it")
    key.add_argument("--reason", help="why it is revoked (required with --revoke)")
    key.add_argument(
        "--at", help="with --revoke: since when it is not trusted (default now); a date or time"
    )
    key.add_argument("--public-key", help="register this public key (raw 32 bytes, base64url)")
    key.add_argument("--list", action="store_true", help="print the unit's keys")
    key.add_argument("--required-from", help="with 'policy': a date or an ISO time")
    key.set_defaults(run=run_signing_key)
    verify = commands.add_parser(
        "verify",
        help="check a submission's signature against the body kept and the key valid when it"
        " was signed; exit 0 when it stands",
    )
    verify.add_argument("submission_id")
    verify.set_defaults(run=run_verify)


def run_signing_key(args: argparse.Namespace) -> int:
    database_url = CommonSettings().database_url
    keys = UnitKeys.beside(LocalIssuer.of())
    if args.unit == "policy":
        if not args.policy_unit or not args.required_from:
            print("baocao signing-key policy needs UNIT and --required-from DATE")
            return 2
        try:
            when = parse_when(args.required_from)
        except ValueError as error:
            print(error)
            return 2
        return asyncio.run(set_policy(database_url, args.policy_unit, when, print))
    if args.revoke:
        if not args.reason:
            print("baocao signing-key --revoke needs --reason")
            return 2
        try:
            at = parse_when(args.at) if args.at else None
        except ValueError as error:
            print(error)
            return 2
        return asyncio.run(revoke(database_url, args.unit, args.revoke, args.reason, print, at))
    if args.list:
        return asyncio.run(list_keys(database_url, args.unit, print))
    return asyncio.run(
        add_key(database_url, keys, args.unit, print, rotate=args.rotate, public=args.public_key)
    )


def run_verify(args: argparse.Namespace) -> int:
    return asyncio.run(verify(CommonSettings().database_url, args.submission_id, print))


def parse_when(text: str) -> datetime:
    """A day (from its start, Vietnam time) or an ISO time with its zone."""
    try:
        return start_of_day(date.fromisoformat(text))
    except ValueError:
        pass
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"{text!r} needs a time zone, e.g. {text}+07:00")
    return when


# What the commands run stays importable from here.
__all__ = [
    "add_commands",
    "add_key",
    "list_keys",
    "parse_when",
    "revoke",
    "run_signing_key",
    "run_verify",
    "set_policy",
    "verify",
]
