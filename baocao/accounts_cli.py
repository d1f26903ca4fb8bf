"""`baocao account`: the web app's local accounts (the embedded default's sign-in).

baocao account add hanoi --unit 01 --role reader --role approver --name "Nguyễn Văn A"
baocao account password hanoi        # asks twice, or --password-stdin
baocao account disable hanoi | enable hanoi
baocao account list

Production signs people in through the ministry's OpenID Connect provider instead.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from services.web.adapters.account_file import AccountFile
from services.web.adapters.passwords import Argon2Passwords
from services.web.adapters.person_tokens import LocalPersonTokens
from services.web.domain.accounts import AccountError
from services.web.settings import WebSettings
from services.web.usecases.signing_in import SigningIn
from shared.identity import Role
from shared.identity.issuer import LocalIssuer, default_roles


def signing_in(settings: WebSettings | None = None) -> SigningIn:
    settings = settings or WebSettings()
    return SigningIn(
        accounts=AccountFile(settings.accounts_path),
        passwords=Argon2Passwords(),
        tokens=LocalPersonTokens(
            LocalIssuer(Path(settings.identity_dir), settings.token_issuer, settings.token_audience)
        ),
    )


def add_commands(commands: Any) -> None:
    account = commands.add_parser("account", help="the web app's local accounts for people")
    account.add_argument("action", choices=["add", "password", "disable", "enable", "list"])
    account.add_argument("username", nargs="?")
    account.add_argument("--unit", help="the unit the person acts for (VN, 01, 00004)")
    account.add_argument("--role", action="append", choices=[r.value for r in Role])
    account.add_argument("--name", help="the person's name as pages show it")
    account.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    account.set_defaults(run=run_account)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise AccountError("the two passwords differ")
    return first


def run_account(args: argparse.Namespace) -> int:
    accounts = signing_in()
    try:
        if args.action == "list":
            for account in accounts.accounts.all():
                state = "disabled" if account.disabled else "active"
                roles = ",".join(sorted(r.value for r in account.roles))
                print(
                    f"{account.username:<20} {account.unit:<6} {roles:<30} {state}  {account.name}"
                )
            return 0
        if not args.username:
            print(f"baocao account {args.action} needs a USERNAME")
            return 2
        if args.action == "add":
            if not args.unit:
                print("baocao account add needs --unit")
                return 2
            given = frozenset(Role(r) for r in args.role) if args.role else default_roles(args.unit)
            made = accounts.create(
                args.username, args.unit, given, args.name or args.username, _password(args)
            )
            print(f"added {made.username} for {made.unit} ({', '.join(sorted(given))})")
        elif args.action == "password":
            accounts.set_password(args.username, _password(args))
            print(f"password of {args.username} changed")
        else:
            accounts.set_disabled(args.username, args.action == "disable")
            print(f"{args.username} {args.action}d; their open sessions end at their next request")
    except AccountError as error:
        print(error)
        return 2
    return 0
