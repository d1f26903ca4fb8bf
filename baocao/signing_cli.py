"""`baocao signing-key` and `baocao verify`: units' signing keys, and checking a signature later.

    baocao signing-key 00004                         # make a key, keep it, register it
    baocao signing-key 00004 --public-key B64URL     # register a key the unit made itself
    baocao signing-key 00004 --rotate                # the current key ends now; a new one starts
    baocao signing-key 00004 --revoke KEY_ID --reason "máy bị mất"
    baocao signing-key 00004 --list
    baocao signing-key policy 00004 --required-from 2027-03-01
    baocao verify SUBMISSION_ID                      # exit 0: the signature stands

The database is DATABASE_URL's, as its owner: the services may only read keys. Private keys
made here are development keys, kept under .run/unit-keys (docs/signatures.md).
"""

from __future__ import annotations

import argparse
import asyncio
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from baocao.issuer import LocalIssuer
from baocao.unit_keys import PublicKey, UnitKeys, register
from services.validator.domain.signatures import UnitKey as RegisteredKey
from services.validator.domain.signatures import signature_refusal
from shared.decoding import decode_submission
from shared.periods import VIETNAM, start_of_day
from shared.schemas import Submission, Verdict
from shared.settings import CommonSettings
from shared.signing import PUBLIC_KEY_BYTES, decode_value

Say = Callable[[str], None]


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


async def _connect(database_url: str) -> asyncpg.Connection[Any]:
    return await asyncpg.connect(database_url)


async def add_key(
    database_url: str,
    keys: UnitKeys,
    unit: str,
    say: Say,
    *,
    rotate: bool = False,
    public: str | None = None,
) -> int:
    """Register a new key for ``unit``: made and kept in ``keys``, or the ``public`` one given.

    Without ``rotate`` the unit must have no open key; with it, every open key ends at the
    instant the new one starts."""
    now = datetime.now(UTC)
    connection = await _connect(database_url)
    try:
        if not await connection.fetchval("SELECT count(*) FROM units WHERE code = $1", unit):
            say(f"no unit has code {unit!r}")
            return 2
        async with connection.transaction():
            open_keys = await connection.fetch(
                "SELECT key_id FROM unit_signing_keys WHERE unit = $1 AND valid_to IS NULL"
                " AND revoked_at IS NULL FOR UPDATE",
                unit,
            )
            if open_keys and not rotate:
                names = ", ".join(r["key_id"] for r in open_keys)
                say(f"unit {unit} already signs with {names}; use --rotate to replace it")
                return 2
            if rotate:
                await connection.execute(
                    "UPDATE unit_signing_keys SET valid_to = $2"
                    " WHERE unit = $1 AND valid_to IS NULL AND valid_from < $2",
                    unit,
                    now,
                )
            key = PublicKey.given(unit, public, now) if public else keys.make(unit, now).public
            await register(connection, [key], now)
    except ValueError as error:
        say(f"not an Ed25519 public key (raw 32 bytes, base64url): {error}")
        return 2
    finally:
        await connection.close()
    for row in open_keys if rotate else []:
        say(f"{row['key_id']}  valid until {now.isoformat(timespec='seconds')}")
    kept = "" if public else f"  private key {keys.directory / unit / (key.key_id + '.key')}"
    say(
        f"{key.key_id}  registered for {unit}, valid from {now.isoformat(timespec='seconds')}{kept}"
    )
    return 0


async def revoke(
    database_url: str,
    unit: str,
    key_id: str,
    reason: str,
    say: Say,
    at: datetime | None = None,
) -> int:
    """Refuse ``key_id`` from ``at`` (now by default; earlier when it was compromised before it
    was noticed: what was accepted meanwhile then no longer verifies as valid)."""
    connection = await _connect(database_url)
    try:
        at = await connection.fetchval(
            "UPDATE unit_signing_keys SET revoked_at = coalesce($4, now()), revoked_reason = $3"
            " WHERE unit = $1 AND key_id = $2 AND revoked_at IS NULL RETURNING revoked_at",
            unit,
            key_id,
            unicodedata.normalize("NFC", reason),
            at,
        )
    finally:
        await connection.close()
    if at is None:
        say(f"unit {unit} has no unrevoked key {key_id!r}")
        return 2
    say(
        f"{key_id} of {unit} revoked from {_shown(at)}: whatever is received from then on"
        " with it is refused (key_revoked); make the unit a new key with --rotate"
    )
    return 0


async def set_policy(database_url: str, unit: str, required_from: datetime, say: Say) -> int:
    connection = await _connect(database_url)
    try:
        await connection.execute(
            "INSERT INTO unit_signature_policy (unit, required_from) VALUES ($1, $2)"
            " ON CONFLICT (unit) DO UPDATE SET required_from = $2, set_at = now()",
            unit,
            required_from,
        )
    except asyncpg.ForeignKeyViolationError:
        say(f"no unit has code {unit!r}")
        return 2
    finally:
        await connection.close()
    say(f"unit {unit}: unsigned reports refused from {_shown(required_from)}")
    return 0


async def list_keys(database_url: str, unit: str, say: Say) -> int:
    connection = await _connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT * FROM unit_signing_keys WHERE unit = $1 ORDER BY valid_from, key_id", unit
        )
        policy = await connection.fetchval(
            "SELECT required_from FROM unit_signature_policy WHERE unit = $1", unit
        )
    finally:
        await connection.close()
    say(f"unit {unit}: signatures required from " + (_shown(policy) if policy else "the default"))
    for row in rows:
        say(_describe(_registered(row)))
    return 0


async def _unit_keys(connection: asyncpg.Connection[Any], unit: str) -> dict[str, RegisteredKey]:
    rows = await connection.fetch("SELECT * FROM unit_signing_keys WHERE unit = $1", unit)
    return {r["key_id"]: _registered(r) for r in rows}


def _registered(row: asyncpg.Record) -> RegisteredKey:
    return RegisteredKey(
        unit=row["unit"],
        key_id=row["key_id"],
        public_key=Ed25519PublicKey.from_public_bytes(
            decode_value(row["public_key"], PUBLIC_KEY_BYTES)
        ),
        valid_from=row["valid_from"],
        valid_to=row["valid_to"],
        revoked_at=row["revoked_at"],
        revoked_reason=row["revoked_reason"],
    )


def _shown(instant: datetime) -> str:
    return instant.astimezone(VIETNAM).isoformat(timespec="seconds")


def _describe(key: RegisteredKey) -> str:
    until = f" until {_shown(key.valid_to)}" if key.valid_to else ""
    revoked = (
        f"; REVOKED at {_shown(key.revoked_at)} ({key.revoked_reason})" if key.revoked_at else ""
    )
    return f"{key.key_id}  valid from {_shown(key.valid_from)}{until}{revoked}"


async def verify(database_url: str, submission_id: str, say: Say) -> int:
    """Check a submission's signature again from the body the validator kept; 0 if it stands."""
    connection = await _connect(database_url)
    try:
        row = await connection.fetchrow(
            "SELECT verdict::text AS verdict, body FROM submissions WHERE submission_id = $1",
            submission_id,
        )
        if row is None:
            say(f"no submission {submission_id!r} has been judged")
            return 1
        verdict = Verdict.model_validate_json(row["verdict"])
        submission = decode_submission(row["body"]) if row["body"] is not None else None
        if not isinstance(submission, Submission) or submission.signature is None:
            say(f"{submission_id}: not signed (verdict: {verdict.status})")
            return 1
        keys = await _unit_keys(connection, submission.unit)
    finally:
        await connection.close()
    signature, signed_at = submission.signature, submission.signed_at
    say(f"{submission_id}: {submission.report_type} {submission.period} of unit {submission.unit}")
    say(
        f"signed by unit {submission.unit} with key {signature.key_id} ({signature.alg})"
        f" at {_shown(signed_at) if signed_at else '(no signed_at)'}"
    )
    say(f"received {_shown(verdict.received_at)}; verdict: {verdict.status}")
    key = keys.get(signature.key_id)
    if key is not None:
        say(f"key {_describe(key)}")
        if key.revoked_at is not None and key.revoked_at > verdict.received_at:
            say("the key was revoked after this submission was received: it was valid then")
    refusal = signature_refusal(
        row["body"], submission.unit, signature, signed_at, keys, verdict.received_at
    )
    if refusal is not None:
        say(f"signature: NOT VALID ({refusal.code}): {refusal.message_en}")
        say(f"chữ ký: KHÔNG HỢP LỆ: {refusal.message}")
        return 1
    say("signature: VALID: the body kept, in canonical form, is signed by the key valid then")
    return 0
