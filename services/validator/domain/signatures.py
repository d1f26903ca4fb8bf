"""Whether a submission is signed by its unit, with the key valid when it signed. Pure.

The rules (docs/signatures.md):

- A signature verifies against the key of the body's unit with its ``key_id``, valid at the
  unit's own ``signed_at``: ``valid_from <= signed_at`` and, once the key was rotated out,
  ``signed_at < valid_to``. Key ids are the unit's own, so another unit's signature never
  finds its key here.
- A revoked key (compromised) refuses whatever is *received* from ``revoked_at`` on, whatever
  its ``signed_at`` says: a thief can backdate. What was received before stays verifiable.
- A signature that is present is checked always; a missing one is refused only from the
  unit's transition date (by receipt time), and warned about during the notice before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.decoding import shown
from shared.periods import VIETNAM
from shared.schemas import KeyedBy, Reason, Submission, SubmissionSignature
from shared.signing import ALGORITHM, SIGNATURE_BYTES, NotCanonical, canonical_bytes, decode_value


@dataclass(frozen=True)
class UnitKey:
    """One of a unit's signing keys, as registered (migration 0010)."""

    unit: str
    key_id: str
    public_key: Ed25519PublicKey
    valid_from: datetime
    valid_to: datetime | None = None
    revoked_at: datetime | None = None
    revoked_reason: str | None = None

    def valid_at(self, instant: datetime) -> bool:
        return self.valid_from <= instant and (self.valid_to is None or instant < self.valid_to)

    def revoked_by(self, instant: datetime) -> bool:
        return self.revoked_at is not None and self.revoked_at <= instant


@dataclass(frozen=True)
class SigningRegistry:
    """Every unit's keys and transition date, as read at one moment."""

    required_from: datetime
    notice: timedelta = timedelta(days=90)
    keys: Mapping[str, Mapping[str, UnitKey]] = field(default_factory=dict)
    required_from_by_unit: Mapping[str, datetime] = field(default_factory=dict)

    def required_from_for(self, unit: str) -> datetime:
        return self.required_from_by_unit.get(unit, self.required_from)

    def keys_of(self, unit: str) -> Mapping[str, UnitKey]:
        return self.keys.get(unit, {})


@dataclass(frozen=True)
class SignatureCheck:
    """A refusal, or a warning, or neither."""

    refusal: Reason | None = None
    warning: Reason | None = None


def _reason(code: str, vi: str, en: str) -> Reason:
    return Reason(code=code, message=vi, message_en=en)


def _when(instant: datetime) -> str:
    return instant.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y")


def signing_unit(unit: str, keyed_by: KeyedBy | None) -> str:
    """Whose key signs a report: its unit's, or for a paper report keyed on the unit's behalf
    (a mark that came through intake), the keying unit's: the province vouches for what it
    typed, and holds no commune's key."""
    return keyed_by.unit if keyed_by is not None else unit


def check_signature(
    data: bytes,
    submission: Submission,
    registry: SigningRegistry,
    received_at: datetime,
    keyed_by: KeyedBy | None = None,
) -> SignatureCheck:
    """Judge the signature of ``submission``, read from ``data``, received at ``received_at``;
    ``keyed_by`` is its mark when intake vouched for it."""
    signer = signing_unit(submission.unit, keyed_by)
    if submission.signature is None:
        return _missing(signer, registry, received_at)
    refusal = signature_refusal(
        data,
        signer,
        submission.signature,
        submission.signed_at,
        registry.keys_of(signer),
        received_at,
    )
    return SignatureCheck(refusal=refusal)


def _missing(unit: str, registry: SigningRegistry, received_at: datetime) -> SignatureCheck:
    required_from = registry.required_from_for(unit)
    day = required_from.astimezone(VIETNAM).strftime("%d/%m/%Y")
    if received_at >= required_from:
        return SignatureCheck(
            refusal=_reason(
                "signature_missing",
                f"Báo cáo chưa được ký số; từ {day} mọi báo cáo của đơn vị {unit} phải có chữ"
                " ký (signature) bằng khoá của đơn vị",
                f"The report is not signed; from {day} every report of unit {unit} must carry"
                " a signature by the unit's key",
            )
        )
    if received_at >= required_from - registry.notice:
        return SignatureCheck(
            warning=_reason(
                "signature_missing",
                f"Báo cáo chưa được ký số; từ {day} báo cáo không có chữ ký của đơn vị {unit}"
                " sẽ bị từ chối",
                f"The report is not signed; from {day} unsigned reports of unit {unit} will be"
                " rejected",
            )
        )
    return SignatureCheck()


def signature_refusal(
    data: bytes,
    unit: str,
    signature: SubmissionSignature,
    signed_at: datetime | None,
    keys: Mapping[str, UnitKey],
    received_at: datetime,
) -> Reason | None:
    """Why the signature of the body ``data`` of ``unit`` does not stand, or None if it does.

    Cheapest checks first: the public-key operation runs only for a signature that could
    otherwise stand."""
    key_id = shown(signature.key_id)
    if signed_at is None:
        return _invalid(
            "chữ ký phải đi kèm thời điểm ký (signed_at)", "a signature needs signed_at"
        )
    if signature.alg != ALGORITHM:
        alg = shown(signature.alg)
        return _invalid(
            f"thuật toán {alg!r} không được hỗ trợ, chỉ dùng {ALGORITHM}",
            f"algorithm {alg!r} is not supported, only {ALGORITHM}",
        )
    try:
        value = decode_value(signature.value, SIGNATURE_BYTES)
    except ValueError:
        return _invalid(
            f"giá trị chữ ký không phải base64url của {SIGNATURE_BYTES} byte",
            f"the value is not base64url of {SIGNATURE_BYTES} bytes",
        )
    key = keys.get(signature.key_id)
    if key is None:
        return _invalid(
            f"đơn vị {unit} không có khoá ký {key_id!r}", f"unit {unit} has no key {key_id!r}"
        )
    if key.revoked_at is not None and key.revoked_by(received_at):
        return _reason(
            "key_revoked",
            f"Khoá ký {key_id} của đơn vị {unit} đã bị thu hồi lúc {_when(key.revoked_at)};"
            " hãy tạo khoá mới, đăng ký và ký lại báo cáo",
            f"Key {key_id} of unit {unit} was revoked at {_when(key.revoked_at)}; make and"
            " register a new key, then sign the report again",
        )
    if not key.valid_at(signed_at):
        return _invalid(
            f"khoá {key_id} không có hiệu lực lúc ký {_when(signed_at)}",
            f"key {key_id} was not valid at signed_at {_when(signed_at)}",
        )
    try:
        key.public_key.verify(value, canonical_bytes(data))
    except NotCanonical as error:
        detail = shown(str(error))
        return _invalid(
            f"nội dung không có dạng chuẩn để kiểm tra chữ ký ({detail})",
            f"the body has no canonical form to verify ({detail})",
        )
    except InvalidSignature:
        return _invalid(
            f"chữ ký không khớp với nội dung báo cáo và khoá {key_id}",
            f"the signature does not match the report's content and key {key_id}",
        )
    return None


def _invalid(vi: str, en: str) -> Reason:
    return _reason("signature_invalid", f"Chữ ký số không hợp lệ: {vi}", f"Invalid signature: {en}")
