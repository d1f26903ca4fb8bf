"""From an incoming message to a verdict. Pure."""

from __future__ import annotations

from datetime import datetime

from services.validator.domain.incoming import IncomingSubmission
from services.validator.domain.judgement import judge
from shared.catalog import Catalog
from shared.decoding import decode_submission
from shared.registry import Registry
from shared.schemas import Reason, Verdict

# Reasons that mean the bytes are not a submission at all: they also go to the dead-letter subject.
UNREADABLE = frozenset({"malformed_json", "invalid_envelope"})


# A 64 KiB body naming 6,000 unknown indicators judged into a 1.1 MB verdict, over NATS's
# 1 MiB limit: it could never be published. The first reasons say what is wrong; the rest are
# counted.
MAX_REASONS = 50


def capped(reasons: list[Reason]) -> list[Reason]:
    if len(reasons) <= MAX_REASONS:
        return reasons
    more = len(reasons) - (MAX_REASONS - 1)
    return [
        *reasons[: MAX_REASONS - 1],
        Reason(
            code="too_many_reasons",
            message=f"Còn {more} lỗi khác chưa liệt kê; hãy sửa các lỗi trên rồi gửi lại",
            message_en=f"{more} more problems not listed; fix the ones above and resubmit",
        ),
    ]


def is_unreadable(verdict: Verdict) -> bool:
    return any(reason.code in UNREADABLE for reason in verdict.reasons)


def verdict_for(
    message: IncomingSubmission, *, catalog: Catalog, registry: Registry, received_at: datetime
) -> Verdict:
    province_token, unit_token = message.subject_tokens
    decoded = decode_submission(message.data)
    if isinstance(decoded, list):
        return Verdict(
            submission_id=message.fallback_id,
            report_type="",
            period="",
            unit=unit_token,
            province=province_token,
            status="rejected",
            reasons=capped(decoded),
            received_at=received_at,
            stream_seq=message.stream_seq,
            sender=_sender(unit_token),
        )
    judgement = judge(
        decoded,
        catalog=catalog,
        registry=registry,
        received_at=received_at,
        subject_unit=unit_token,
    )
    return Verdict(
        submission_id=decoded.submission_id,
        report_type=decoded.report_type,
        period=decoded.period,
        unit=decoded.unit,
        province=judgement.province,
        status="accepted" if judgement.accepted else "rejected",
        reasons=capped(judgement.reasons),
        timeliness=judgement.timeliness,
        received_at=received_at,
        stream_seq=message.stream_seq,
        values=judgement.values,
        sender=_sender(unit_token),
    )


def _sender(unit_token: str) -> str | None:
    # "_" stands for a subject that names no unit.
    return None if unit_token == "_" else unit_token
