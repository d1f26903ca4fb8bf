"""`baocao verify`: a submission's signature checked again, later, from the body kept.

The check is the validator's own (:func:`services.validator.domain.signatures.signature_refusal`)
against the keys registered for the unit, as they were when the submission was received.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from baocao.unit_key_admin import Say, connect, describe, registered_key, shown
from services.validator.domain.signatures import UnitKey as RegisteredKey
from services.validator.domain.signatures import signature_refusal, signing_unit
from shared.decoding import decode_submission
from shared.schemas import Submission, Verdict


async def verify(database_url: str, submission_id: str, say: Say) -> int:
    """Check a submission's signature again from the body the validator kept; 0 if it stands."""
    connection = await connect(database_url)
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
        # The verdict's mark, not the body's: only one that came through intake counts.
        signer = signing_unit(submission.unit, verdict.keyed_by)
        keys = await _unit_keys(connection, signer)
    finally:
        await connection.close()
    signature, signed_at = submission.signature, submission.signed_at
    say(f"{submission_id}: {submission.report_type} {submission.period} of unit {submission.unit}")
    if verdict.keyed_by is not None:
        keyed = verdict.keyed_by
        say(f"keyed on its behalf by unit {keyed.unit} ({keyed.person}): {keyed.reason}")
    say(
        f"signed by unit {signer} with key {signature.key_id} ({signature.alg})"
        f" at {shown(signed_at) if signed_at else '(no signed_at)'}"
    )
    say(f"received {shown(verdict.received_at)}; verdict: {verdict.status}")
    key = keys.get(signature.key_id)
    if key is not None:
        say(f"key {describe(key)}")
        if key.revoked_at is not None and key.revoked_at > verdict.received_at:
            say("the key was revoked after this submission was received: it was valid then")
    refusal = signature_refusal(
        row["body"], signer, signature, signed_at, keys, verdict.received_at
    )
    if refusal is not None:
        say(f"signature: NOT VALID ({refusal.code}): {refusal.message_en}")
        say(f"chữ ký: KHÔNG HỢP LỆ: {refusal.message}")
        return 1
    say("signature: VALID: the body kept, in canonical form, is signed by the key valid then")
    return 0


async def _unit_keys(connection: asyncpg.Connection[Any], unit: str) -> dict[str, RegisteredKey]:
    rows = await connection.fetch("SELECT * FROM unit_signing_keys WHERE unit = $1", unit)
    return {r["key_id"]: registered_key(r) for r in rows}
