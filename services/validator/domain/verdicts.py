"""From an incoming message to a verdict. Pure."""

from __future__ import annotations

from datetime import datetime

from services.validator.domain.incoming import IncomingSubmission
from services.validator.domain.judgement import judge
from shared.catalog import Catalog
from shared.decoding import decode_submission
from shared.registry import Registry
from shared.schemas import Verdict

# Reasons that mean the bytes are not a submission at all: they also go to the dead-letter subject.
UNREADABLE = frozenset({"malformed_json", "invalid_envelope"})


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
            reasons=decoded,
            received_at=received_at,
            stream_seq=message.stream_seq,
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
        reasons=judgement.reasons,
        timeliness=judgement.timeliness,
        received_at=received_at,
        stream_seq=message.stream_seq,
        values=judgement.values,
    )
