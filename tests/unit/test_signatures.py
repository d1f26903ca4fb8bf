"""Signed submissions: what a signature covers, which key it must verify against, and when a
missing one is refused (services/validator/domain/signatures.py, shared/signing.py)."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from baocao.load import Planned
from baocao.unit_keys import UnitKeys
from services.validator.domain import signatures as signatures_module
from services.validator.domain.incoming import IncomingSubmission
from services.validator.domain.signatures import (
    SignatureCheck,
    SigningRegistry,
    UnitKey,
    check_signature,
)
from services.validator.domain.verdicts import verdict_for
from shared.catalog import Catalog
from shared.decoding import decode_submission
from shared.identity.issuer import LocalIssuer
from shared.registry import Registry
from shared.registry.seed import units_from_package
from shared.schemas import Submission
from shared.signing import NotCanonical, canonical_bytes, sign
from tests.integration.system import kl226_values

UNIT = "00070"
OTHER = "00004"
RECEIVED = datetime(2026, 12, 10, 2, tzinfo=UTC)
REQUIRED_FROM = datetime(2027, 7, 1, tzinfo=UTC)
SIGNED = RECEIVED - timedelta(minutes=5)
KEY = Ed25519PrivateKey.generate()
OTHER_KEY = Ed25519PrivateKey.generate()


def unit_key(
    private: Ed25519PrivateKey = KEY,
    *,
    unit: str = UNIT,
    key_id: str = "k1",
    valid_from: datetime = datetime(2026, 1, 1, tzinfo=UTC),
    valid_to: datetime | None = None,
    revoked_at: datetime | None = None,
) -> UnitKey:
    return UnitKey(
        unit=unit,
        key_id=key_id,
        public_key=private.public_key(),
        valid_from=valid_from,
        valid_to=valid_to,
        revoked_at=revoked_at,
        revoked_reason="máy bị mất" if revoked_at else None,
    )


def registry_of(*keys: UnitKey, **dates: datetime) -> SigningRegistry:
    by_unit: dict[str, dict[str, UnitKey]] = {}
    for key in keys:
        by_unit.setdefault(key.unit, {})[key.key_id] = key
    return SigningRegistry(REQUIRED_FROM, timedelta(days=90), by_unit, dates)


REGISTRY = registry_of(unit_key(), unit_key(OTHER_KEY, unit=OTHER))


def body(unit: str = UNIT, **values: Any) -> dict[str, Any]:
    return {
        "submission_id": "sub-00000001",
        "report_type": "kl226-quarterly",
        "period": "2026-Q4",
        "unit": unit,
        "values": {"docs_issued": 80, "conference_budget_planned": 50.5, **values},
    }


def signed(
    document: dict[str, Any] | None = None,
    private: Ed25519PrivateKey = KEY,
    key_id: str = "k1",
    at: datetime = SIGNED,
) -> dict[str, Any]:
    return sign(document or body(), private, key_id, at)


def encoded(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


def judged(
    data: bytes, registry: SigningRegistry = REGISTRY, received_at: datetime = RECEIVED
) -> SignatureCheck:
    submission = decode_submission(data)
    assert isinstance(submission, Submission), submission
    return check_signature(data, submission, registry, received_at)


def refusal_code(check: SignatureCheck) -> str | None:
    return check.refusal.code if check.refusal else None


def test_a_report_signed_by_its_units_key_stands() -> None:
    assert judged(encoded(signed())) == SignatureCheck()


def test_a_value_changed_after_signing_is_an_invalid_signature() -> None:
    document = signed()
    document["values"]["docs_issued"] = 81

    check = judged(encoded(document))

    assert refusal_code(check) == "signature_invalid"
    assert check.refusal is not None
    assert "does not match" in check.refusal.message_en


def test_signed_at_is_covered_by_the_signature() -> None:
    document = signed()
    document["signed_at"] = (SIGNED - timedelta(days=1)).isoformat()

    assert refusal_code(judged(encoded(document))) == "signature_invalid"


def test_another_units_signed_body_replayed_under_your_own_unit_is_refused() -> None:
    """Key ids are per unit: the other unit's key is not among yours, whatever its id."""
    theirs = signed(body(OTHER), OTHER_KEY, "k1")
    replayed = {**theirs, "unit": UNIT}

    check = judged(encoded(replayed))

    assert refusal_code(check) == "signature_invalid"


def test_a_signature_by_a_key_the_unit_does_not_have_is_invalid() -> None:
    check = judged(encoded(signed(key_id="k-unknown")))

    assert refusal_code(check) == "signature_invalid"
    assert check.refusal is not None
    assert "has no key 'k-unknown'" in check.refusal.message_en


def test_a_key_revoked_before_receipt_refuses_even_a_signature_dated_before() -> None:
    """A thief can backdate signed_at; the receipt time is the system's own."""
    revoked = registry_of(unit_key(revoked_at=RECEIVED - timedelta(hours=1)))

    check = judged(encoded(signed(at=RECEIVED - timedelta(days=30))), revoked)

    assert refusal_code(check) == "key_revoked"
    assert check.refusal is not None
    assert "revoked at 08:00 10/12/2026" in check.refusal.message_en


def test_a_report_received_before_its_key_was_revoked_still_verifies() -> None:
    revoked_later = registry_of(unit_key(revoked_at=RECEIVED + timedelta(hours=1)))

    assert judged(encoded(signed()), revoked_later) == SignatureCheck()


def test_after_a_rotation_the_old_key_no_longer_signs() -> None:
    rotated_at = RECEIVED - timedelta(hours=1)
    rotated = registry_of(
        unit_key(valid_to=rotated_at),
        unit_key(Ed25519PrivateKey.generate(), key_id="k2", valid_from=rotated_at),
    )

    check = judged(encoded(signed(at=rotated_at)), rotated)

    assert refusal_code(check) == "signature_invalid"
    assert check.refusal is not None
    assert "was not valid at signed_at" in check.refusal.message_en


def test_a_signature_made_before_the_rotation_verifies_against_the_old_key() -> None:
    rotated_at = RECEIVED - timedelta(hours=1)
    new = Ed25519PrivateKey.generate()
    rotated = registry_of(
        unit_key(valid_to=rotated_at), unit_key(new, key_id="k2", valid_from=rotated_at)
    )

    before = judged(encoded(signed(at=rotated_at - timedelta(seconds=1))), rotated)
    after = judged(encoded(signed(private=new, key_id="k2", at=rotated_at)), rotated)

    assert before == SignatureCheck()
    assert after == SignatureCheck()


def test_a_key_is_not_valid_before_its_valid_from() -> None:
    later = registry_of(unit_key(valid_from=SIGNED + timedelta(seconds=1)))

    assert refusal_code(judged(encoded(signed()), later)) == "signature_invalid"


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"alg": "RS256"}, "algorithm 'RS256' is not supported"),
        ({"value": "not base64!"}, "not base64url of 64 bytes"),
        ({"value": "AAAA"}, "not base64url of 64 bytes"),
    ],
)
def test_a_malformed_signature_is_invalid_with_its_reason(
    change: dict[str, str], says: str
) -> None:
    document = signed()
    document["signature"] = {**document["signature"], **change}

    check = judged(encoded(document))

    assert refusal_code(check) == "signature_invalid"
    assert check.refusal is not None
    assert says in check.refusal.message_en


def test_a_signature_without_signed_at_is_invalid() -> None:
    document = signed()
    del document["signed_at"]

    assert refusal_code(judged(encoded(document))) == "signature_invalid"


def test_a_padded_signature_value_is_the_same_signature() -> None:
    document = signed()
    document["signature"]["value"] += "=="

    assert judged(encoded(document)) == SignatureCheck()


def test_an_unsigned_report_passes_silently_until_the_notice_before_its_units_date() -> None:
    assert judged(encoded(body())) == SignatureCheck()


def test_an_unsigned_report_is_warned_about_during_the_notice() -> None:
    check = judged(encoded(body()), received_at=REQUIRED_FROM - timedelta(days=30))

    assert check.refusal is None
    assert check.warning is not None
    assert check.warning.code == "signature_missing"
    assert "from 01/07/2027 unsigned reports" in check.warning.message_en


def test_an_unsigned_report_is_refused_from_its_units_date() -> None:
    check = judged(encoded(body()), received_at=REQUIRED_FROM)

    assert refusal_code(check) == "signature_missing"
    assert check.warning is None


def test_a_units_own_date_overrides_the_default_either_way() -> None:
    early = registry_of(**{UNIT: RECEIVED - timedelta(days=1)})
    late = registry_of(**{UNIT: datetime(2028, 1, 1, tzinfo=UTC)})

    assert refusal_code(judged(encoded(body()), early)) == "signature_missing"
    assert refusal_code(judged(encoded(body(OTHER)), early)) is None
    assert judged(encoded(body()), late, REQUIRED_FROM) == SignatureCheck()


def test_a_bad_signature_is_refused_even_before_the_transition_date() -> None:
    document = signed()
    document["values"]["docs_issued"] = 1

    assert RECEIVED < REQUIRED_FROM
    assert refusal_code(judged(encoded(document))) == "signature_invalid"


def test_the_canonical_form_ignores_member_order_and_whitespace() -> None:
    document = signed()
    reordered = dict(reversed(list(document.items())))
    reordered["values"] = dict(reversed(list(document["values"].items())))
    spaced = json.dumps(reordered, indent=4, separators=(" ,  ", " :  ")).encode()

    assert canonical_bytes(spaced) == canonical_bytes(encoded(document))
    assert judged(spaced) == SignatureCheck()


def test_the_canonical_form_is_rfc_8785_without_the_signature() -> None:
    data = b'{"values": {"b": 50.50, "a": 1e2, "c": -0.0}, "unit": "01", "signature": {}}'

    assert canonical_bytes(data) == b'{"unit":"01","values":{"a":100,"b":50.5,"c":0}}'


def test_a_number_a_double_does_not_hold_exactly_has_no_canonical_form() -> None:
    """Else 0.1000000000000000055 and 0.1 would share one signature."""
    with pytest.raises(NotCanonical, match="more digits"):
        canonical_bytes(b'{"values": {"a": 0.1000000000000000055}}')


def test_a_signed_body_with_such_a_number_is_refused_as_invalid() -> None:
    data = encoded(signed()).replace(b"50.5", b"50.50000000000000000001")

    check = judged(data)

    assert refusal_code(check) == "signature_invalid"
    assert check.refusal is not None
    assert "no canonical form" in check.refusal.message_en


# --- in the verdict -------------------------------------------------------------------------

CATALOG = Catalog.load()
UNITS = Registry(units_from_package())
VALUES = kl226_values()


def incoming(data: bytes) -> IncomingSubmission:
    return IncomingSubmission(f"reports.submitted.01.{UNIT}", data, None, 7, RECEIVED)


def full(**changes: Any) -> dict[str, Any]:
    return {**body(), "values": dict(VALUES), **changes}


def test_an_accepted_signed_report_keeps_its_signature_in_the_verdict() -> None:
    document = signed(full())

    verdict = verdict_for(
        incoming(encoded(document)),
        catalog=CATALOG,
        registry=UNITS,
        received_at=RECEIVED,
        signing=REGISTRY,
    )

    assert (verdict.status, verdict.reasons) == ("accepted", [])
    assert verdict.signed_at == SIGNED
    assert verdict.signature is not None
    assert verdict.signature.key_id == "k1"
    assert verdict.signature.value == document["signature"]["value"]


def test_a_bad_signature_rejects_an_otherwise_valid_report_and_keeps_no_values() -> None:
    document = signed(full())
    document["values"]["docs_issued"] = 81

    verdict = verdict_for(
        incoming(encoded(document)),
        catalog=CATALOG,
        registry=UNITS,
        received_at=RECEIVED,
        signing=REGISTRY,
    )

    assert verdict.status == "rejected"
    assert [r.code for r in verdict.reasons] == ["signature_invalid"]
    assert (verdict.values, verdict.timeliness, verdict.warnings) == (None, None, [])
    assert verdict.signature is not None


def test_the_missing_signature_warning_joins_the_others_of_an_accepted_report() -> None:
    verdict = verdict_for(
        incoming(encoded(full())),
        catalog=CATALOG,
        registry=UNITS,
        received_at=RECEIVED,
        signing=registry_of(**{UNIT: RECEIVED + timedelta(days=1)}),
    )

    assert verdict.status == "accepted"
    assert [w.code for w in verdict.warnings] == ["signature_missing"]
    assert (verdict.signed_at, verdict.signature) == (None, None)


def test_without_a_signing_registry_signatures_are_not_judged() -> None:
    data = encoded(full())
    required = registry_of(**{UNIT: RECEIVED - timedelta(days=1)})

    unjudged = verdict_for(incoming(data), catalog=CATALOG, registry=UNITS, received_at=RECEIVED)
    judged_ = verdict_for(
        incoming(data), catalog=CATALOG, registry=UNITS, received_at=RECEIVED, signing=required
    )

    assert (unjudged.status, unjudged.warnings) == ("accepted", [])
    assert [r.code for r in judged_.reasons] == ["signature_missing"]


def test_every_reason_is_stored_nfc() -> None:
    source = Path(signatures_module.__file__).read_text(encoding="utf-8")

    assert unicodedata.is_normalized("NFC", source)


# --- the load tools -------------------------------------------------------------------------


def test_the_load_tools_sign_each_report_with_its_units_key(tmp_path: Path) -> None:
    keys = UnitKeys(tmp_path)
    made = keys.make(UNIT)
    unit = UNITS.get(UNIT)
    assert unit is not None
    values = {**VALUES, "conference_budget_planned": Decimal("50.50")}
    planned = Planned(
        unit, "kl226-quarterly", "2026-Q4", values, "sub-00000002", "report", True, "nats"
    )
    registered = registry_of(unit_key(made.private, key_id=made.key_id))

    data = planned.body(keys)

    assert judged(data, registered) == SignatureCheck()
    assert UnitKeys.beside(LocalIssuer(tmp_path / "identity")).directory == tmp_path / "unit-keys"


def test_a_unit_without_a_key_of_its_own_is_sent_unsigned(tmp_path: Path) -> None:
    document = full()

    assert UnitKeys(tmp_path).signed(UNIT, document) is document
