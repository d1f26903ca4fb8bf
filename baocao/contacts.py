"""`baocao contacts ...`: a unit's e-mail addresses and webhook, through the notifier's API.

    baocao contacts show 00070
    baocao contacts set 00070 --email vanthu@hoankiem.gov.vn --webhook-url https://... \
        --webhook-secret <16+ characters>
    baocao contacts remove 00070
    baocao contacts seed contacts.toml      # [[contacts]] unit, emails, webhook_url, webhook_secret
    baocao contacts history 00070           # the unit's notices and every delivery attempt

The token is ``--token``, else ``BAOCAO_TOKEN``, else Central's from the local issuer.
"""

from __future__ import annotations

import argparse
import json
import os
import tomllib
from pathlib import Path
from typing import Any

import httpx

from shared.identity.issuer import LocalIssuer

DEFAULT_NOTIFIER = "http://127.0.0.1:8083"


def add_commands(commands: Any) -> None:
    """Register ``contacts`` on the CLI's subparsers."""
    contacts = commands.add_parser(
        "contacts",
        help="a unit's e-mail addresses and webhook for notices: show, set, remove, seed, history",
    )
    contacts.add_argument("--url", default=os.environ.get("BAOCAO_NOTIFIER_URL", DEFAULT_NOTIFIER))
    contacts.add_argument("--token", help="bearer token (default: BAOCAO_TOKEN, else Central's)")
    actions = contacts.add_subparsers(dest="action", required=True)
    show = actions.add_parser("show", help="print a unit's contacts")
    show.add_argument("unit")
    change = actions.add_parser("set", help="replace a unit's contacts")
    change.add_argument("unit")
    change.add_argument("--email", action="append", default=[], help="repeatable")
    change.add_argument("--webhook-url")
    change.add_argument("--webhook-secret")
    remove = actions.add_parser("remove", help="remove a unit's contacts (NATS stays on)")
    remove.add_argument("unit")
    seed = actions.add_parser("seed", help="set the contacts of every unit in a TOML file")
    seed.add_argument("file")
    history = actions.add_parser("history", help="a unit's notices and delivery attempts")
    history.add_argument("unit")
    history.add_argument("--limit", type=int, default=20)
    contacts.set_defaults(run=run)


def _headers(token: str | None) -> dict[str, str]:
    if token is None:
        token = os.environ.get("BAOCAO_TOKEN")
    if token is None:
        token = LocalIssuer.of().mint("VN")
    return {"Authorization": f"Bearer {token}"}


def _body(emails: list[str], url: str | None, secret: str | None) -> dict[str, Any]:
    return {"emails": emails, "webhook_url": url, "webhook_secret": secret}


def _print(response: httpx.Response) -> None:
    if response.content:
        print(json.dumps(response.json(), ensure_ascii=False, indent=2))


def run(args: argparse.Namespace, client: httpx.Client | None = None) -> int:
    """Exit 0 when every request succeeded, 1 otherwise."""
    owned = client is None
    http = client or httpx.Client(base_url=args.url, timeout=30)
    headers = _headers(args.token)
    try:
        if args.action == "show":
            response = http.get(f"/v1/contacts/{args.unit}", headers=headers)
        elif args.action == "set":
            body = _body(args.email, args.webhook_url, args.webhook_secret)
            response = http.put(f"/v1/contacts/{args.unit}", json=body, headers=headers)
        elif args.action == "remove":
            response = http.delete(f"/v1/contacts/{args.unit}", headers=headers)
        elif args.action == "history":
            response = http.get(
                "/v1/notifications",
                params={"unit": args.unit, "limit": args.limit},
                headers=headers,
            )
        else:
            return seed(http, Path(args.file), headers)
        _print(response)
        return 0 if response.is_success else 1
    finally:
        if owned:
            http.close()


def seed(http: httpx.Client, path: Path, headers: dict[str, str]) -> int:
    """PUT every ``[[contacts]]`` entry of ``path``; report each failure and carry on."""
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("contacts", [])
    failed = 0
    for entry in entries:
        if not isinstance(entry.get("unit"), str):
            failed += 1
            print(f"an entry without a unit code is skipped: {entry!r:.200}")
            continue
        body = _body(
            list(entry.get("emails", [])), entry.get("webhook_url"), entry.get("webhook_secret")
        )
        response = http.put(f"/v1/contacts/{entry['unit']}", json=body, headers=headers)
        if not response.is_success:
            failed += 1
            print(f"{entry['unit']}: {response.status_code} {response.text}")
    print(f"contacts seeded: {len(entries) - failed} of {len(entries)}")
    return 0 if failed == 0 else 1
