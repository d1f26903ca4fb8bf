"""From an incoming message to a verdict. Pure."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from services.validator.domain.approvals import Approval, covering
from services.validator.domain.incoming import IncomingSubmission
from services.validator.domain.judgement import LockKey, judge
from services.validator.domain.offline_time import CountedTime, QuietSpell, counted_time
from services.validator.domain.signatures import SignatureCheck, SigningRegistry, check_signature
from shared.catalog import Catalog, ReportType
from shared.decoding import decode_submission
from shared.periods import InvalidPeriod, Period
from shared.registry import Registry
from shared.schemas import IndicatorValue, Reason, Submission, Verdict
from shared.signing import is_browser_key

Decoded = Submission | list[Reason]
Device = tuple[str, str]  # (unit, key id) of a clerk's browser
Link = str | Device  # an edge's unit, or a browser
# (unit, report type, period) -> the unit's accepted values for that period.
History = Mapping[tuple[str, str, str], Mapping[str, IndicatorValue]]

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


def decode(message: IncomingSubmission) -> Decoded:
    return decode_submission(message.data)


Dated = tuple[Submission, ReportType, Period]


def _dated(submission: Decoded, catalog: Catalog) -> Dated | None:
    """The submission with its report type and period, if it is readable and both are valid."""
    if isinstance(submission, list):
        return None
    report_type = catalog.get(submission.report_type)
    if report_type is None:
        return None
    try:
        return submission, report_type, report_type.period_of(submission.period)
    except (InvalidPeriod, ValueError):
        return None


def _previous(dated: Dated) -> list[tuple[str, str, str]]:
    """(unit, report type, period) of the periods the outlier warning compares with, newest first."""
    submission, report_type, period = dated
    if report_type.outliers is None:
        return []
    return [
        (submission.unit, report_type.code, period.shifted(-back).label)
        for back in range(1, report_type.outliers.periods + 1)
    ]


def history_keys(decoded: Iterable[Decoded], catalog: Catalog) -> set[tuple[str, str, str]]:
    """(unit, report type, period) of the previous periods the outlier warning looks at."""
    keys: set[tuple[str, str, str]] = set()
    for submission in decoded:
        if (dated := _dated(submission, catalog)) is not None:
            keys.update(_previous(dated))
    return keys


def lock_keys(decoded: Iterable[Decoded], catalog: Catalog, now: datetime) -> set[LockKey]:
    """(unit, report type, period) of reports for periods locked by ``now``, at any level:
    the only ones whose lock exceptions are worth looking up."""
    keys = set()
    for submission in decoded:
        if (dated := _dated(submission, catalog)) is None:
            continue
        dated_submission, report_type, period = dated
        locks = [rule.deadline.locks_at(period) for rule in report_type.levels]
        if any(at is not None and at < now for at in locks):
            keys.add((dated_submission.unit, report_type.code, period.label))
    return keys


def approval_keys(decoded: Iterable[Decoded], catalog: Catalog, registry: Registry) -> set[LockKey]:
    """(unit, report type, period) of the approvals that would lock these reports: the unit's
    own and its province's. Unlike the lock date, an approval can stand before a period locks,
    so every readable report is looked up."""
    keys: set[LockKey] = set()
    for submission in decoded:
        if (dated := _dated(submission, catalog)) is None:
            continue
        dated_submission, report_type, period = dated
        unit = registry.get(dated_submission.unit)
        if unit is not None:
            keys.update(covering(unit.code, unit.province, report_type.code, period.label))
    return keys


def verdict_for(
    message: IncomingSubmission,
    *,
    catalog: Catalog,
    registry: Registry,
    received_at: datetime,
    decoded: Decoded | None = None,
    history: History | None = None,
    lock_exceptions: Collection[LockKey] = frozenset(),
    approvals: Mapping[LockKey, Approval] | None = None,
    signing: SigningRegistry | None = None,
    spells: Mapping[str, Sequence[QuietSpell]] | None = None,
    device_spells: Mapping[Device, Sequence[QuietSpell]] | None = None,
) -> Verdict:
    """The verdict on ``message``; its signature is judged when ``signing`` is given.
    ``spells`` are the hub's recorded silences of the units' edges, ``device_spells`` those of
    clerks' browsers (offline_time.py)."""
    province_token, unit_token = message.subject_tokens
    if decoded is None:
        decoded = decode(message)
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
    # The mark counts only where intake vouched for it; elsewhere the judgement refused it.
    keyed_by = decoded.keyed_by if message.keyed else None
    signed = (
        check_signature(message.data, decoded, signing, received_at, keyed_by)
        if signing is not None
        else SignatureCheck()
    )
    counted = _counted(
        message,
        decoded,
        catalog,
        received_at,
        signature_stands=signing is not None and signed.refusal is None,
        spells=_link_spells(message, decoded, spells or {}, device_spells or {}),
    )
    judgement = judge(
        decoded,
        catalog=catalog,
        registry=registry,
        received_at=received_at,
        counted_at=counted.at,
        subject_unit=unit_token,
        keyed_channel=message.keyed,
        history=_history_of(decoded, catalog, history or {}),
        lock_exceptions=lock_exceptions,
        approvals=approvals,
    )
    # A signature that does not stand comes first: whatever else is wrong, the report may not
    # be the unit's.
    reasons = [signed.refusal, *judgement.reasons] if signed.refusal else judgement.reasons
    accepted = judgement.accepted and signed.refusal is None
    warnings = [*judgement.warnings, signed.warning] if signed.warning else judgement.warnings
    return Verdict(
        submission_id=decoded.submission_id,
        report_type=decoded.report_type,
        period=decoded.period,
        unit=decoded.unit,
        province=judgement.province,
        status="accepted" if accepted else "rejected",
        reasons=capped(reasons),
        warnings=capped(warnings) if accepted else [],
        timeliness=judgement.timeliness if accepted else None,
        received_at=received_at,
        stream_seq=message.stream_seq,
        values=judgement.values if accepted else None,
        sender=_sender(unit_token),
        signed_at=decoded.signed_at if decoded.signature else None,
        signature=decoded.signature,
        keyed_by=keyed_by,
        counted_from=counted.published(),
    )


def link_of(message: IncomingSubmission, submission: Submission) -> Link | None:
    """The link whose silences may vouch for the report's signed time: its unit's edge when it
    came through one, the clerk's browser when one signed it; none for anything else, which was
    online when it came."""
    if message.via_edge:
        return message.subject_tokens[1]
    signature = submission.signature
    if signature is not None and is_browser_key(signature.key_id):
        return (submission.unit, signature.key_id)
    return None


def _link_spells(
    message: IncomingSubmission,
    submission: Submission,
    spells: Mapping[str, Sequence[QuietSpell]],
    device_spells: Mapping[Device, Sequence[QuietSpell]],
) -> Sequence[QuietSpell]:
    link = link_of(message, submission)
    if isinstance(link, str):
        return spells.get(link, ())
    return device_spells.get(link, ()) if link is not None else ()


def _counted(
    message: IncomingSubmission,
    submission: Submission,
    catalog: Catalog,
    received_at: datetime,
    *,
    signature_stands: bool,
    spells: Sequence[QuietSpell],
) -> CountedTime:
    """The time the report counts from, given the silences of the link it came by."""
    report_type = catalog.get(submission.report_type)
    return counted_time(
        received_at,
        submission.signed_at if submission.signature is not None else None,
        signature_stands=signature_stands and submission.signature is not None,
        window=report_type.offline_window if report_type is not None else timedelta(0),
        spells=spells,
    )


def _history_of(
    submission: Submission, catalog: Catalog, history: History
) -> Sequence[Mapping[str, IndicatorValue]]:
    """The unit's values for the previous periods, most recent first; gaps are skipped."""
    dated = _dated(submission, catalog) if history else None
    if dated is None:
        return []
    return [history[key] for key in _previous(dated) if key in history]


def _sender(unit_token: str) -> str | None:
    # "_" stands for a subject that names no unit.
    return None if unit_token == "_" else unit_token
