"""`baocao token` and `baocao keys`: tokens from Baocao's own issuer, key rotation, revocation.

baocao token 00004                       # a commune's system: submitter, 30 days
baocao token 01 --role approver --person # a province official: 1 hour
baocao token 01 --units 00004 00007      # a province platform submitting for two communes
baocao token revoke --jti ID | --subject SUB
baocao keys list | rotate | retire KID
"""

from __future__ import annotations

import argparse
from typing import Any

import jwt

from shared.identity import Grant, Role
from shared.identity.issuer import LocalIssuer


def add_commands(commands: Any) -> None:
    token = commands.add_parser(
        "token", help="print a signed token for a unit (or: token revoke --jti/--subject)"
    )
    token.add_argument("unit", help="a unit code (VN, 01, 00004), or 'revoke'")
    token.add_argument("--role", action="append", choices=[r.value for r in Role])
    token.add_argument("--person", action="store_true", help="a person's short-lived token")
    token.add_argument("--units", nargs="+", default=[], help="further units it submits for")
    token.add_argument("--grant", action="append", choices=[g.value for g in Grant], default=[])
    token.add_argument("--lifetime", type=int, help="seconds (default: 1 h person, 30 d system)")
    token.add_argument("--subject", help="the token's sub (default person:UNIT or system:UNIT)")
    token.add_argument("--jti", help="with 'revoke': the token id to revoke")
    token.add_argument("--show", action="store_true", help="print the claims, not the token")
    token.set_defaults(run=run_token)
    keys = commands.add_parser("keys", help="the issuer's signing keys: list, rotate, retire")
    keys.add_argument("action", choices=["list", "rotate", "retire"])
    keys.add_argument("kid", nargs="?")
    keys.set_defaults(run=run_keys)


def run_token(args: argparse.Namespace) -> int:
    issuer = LocalIssuer.of()
    if args.unit == "revoke":
        if not (args.jti or args.subject):
            print("baocao token revoke needs --jti ID or --subject SUB")
            return 2
        issuer.revoke(token_id=args.jti, subject=args.subject)
        print(f"revoked in {issuer.revocations_path}; services refuse it within seconds")
        return 0
    try:
        token = issuer.mint(
            args.unit,
            None if args.role is None else [Role(r) for r in args.role],
            person=args.person,
            subject=args.subject,
            units=args.units,
            grants=[Grant(g) for g in args.grant],
            lifetime_seconds=args.lifetime,
        )
    except ValueError as error:
        print(error)
        return 2
    print(jwt.decode(token, options={"verify_signature": False}) if args.show else token)
    return 0


def run_keys(args: argparse.Namespace) -> int:
    issuer = LocalIssuer.of()
    if args.action == "rotate":
        key = issuer.rotate()
        print(f"signing with {key.kid}; older keys stay trusted until retired")
    elif args.action == "retire":
        if not args.kid:
            print("baocao keys retire needs a KID")
            return 2
        try:
            issuer.retire(args.kid)
        except (KeyError, ValueError) as error:
            print(f"cannot retire {args.kid}: {error}")
            return 2
        print(f"retired {args.kid}; tokens it signed are refused from now on")
    for key in issuer.signing_keys():
        print(key.kid)
    return 0
