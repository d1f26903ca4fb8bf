"""Wire formats: what local systems send, and the events services publish to each other."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SUBMISSION_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}\z"
UNIT_CODE_PATTERN = r"^(VN|[0-9]{2}|[0-9]{5})\z"

IndicatorValue = int | Decimal
# How long the reason for keying a unit's paper report may be (intake's limit, the web form's).
KEYED_REASON_MAX_CHARS = 500


class SubmissionSignature(BaseModel):
    """A detached signature by the unit's signing key over the canonical form of the body
    without this member (RFC 8785, JCS): docs/signatures.md.

    Kept loose on purpose: a wrong algorithm or value is the validator's ``signature_invalid``,
    with its reason, not an unreadable envelope."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key_id: str = Field(
        min_length=1, max_length=128, description="The unit's key, as registered for it."
    )
    alg: str = Field(max_length=32, examples=["Ed25519"])
    value: str = Field(max_length=256, description="The 64-byte signature, base64url.")


class KeyedBy(BaseModel):
    """Who keyed a unit's paper report on its behalf, and why: a province (or Central) typing in
    what a commune sent on paper (docs/keyed-on-behalf.md).

    Only intake may send a report carrying it, after checking that ``unit`` and ``person`` are
    the caller's own and that ``unit`` answers for the report's unit; the validator refuses it
    from anywhere else (``keyed_by_not_allowed``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    unit: str = Field(pattern=UNIT_CODE_PATTERN, examples=["01"])
    person: str = Field(
        min_length=1,
        max_length=256,
        description="The subject of the token it was sent with: the person who typed it.",
        examples=["person:hanoi"],
    )
    reason: str = Field(
        min_length=1,
        max_length=KEYED_REASON_MAX_CHARS,
        description="Why the province keyed it, stored as sent (NFC).",
        examples=["Xã gửi báo cáo giấy ngày 08/12 do mất kết nối"],
    )


class Submission(BaseModel):
    """A report as a local system sends it, over HTTP or on ``reports.submitted.<prov>.<unit>``.

    ``values`` is kept as sent: judging it against the catalog is the validator's work, so a
    report with wrong values still gets a receipt and then a rejection the submitter can read.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    submission_id: str = Field(
        pattern=SUBMISSION_ID_PATTERN,
        description="Client-generated, globally unique (a UUID or ULID).",
    )
    report_type: str = Field(min_length=1, max_length=64, examples=["kl226-quarterly"])
    period: str = Field(min_length=4, max_length=16, examples=["2026-Q4"])
    unit: str = Field(pattern=UNIT_CODE_PATTERN, examples=["03385"])
    values: dict[str, Any]
    submitted_at: AwareDatetime | None = Field(
        default=None, description="When the local system produced the report; informational only."
    )
    signed_at: AwareDatetime | None = Field(
        default=None,
        description="When the unit signed the report, by its own clock; covered by the"
        " signature, and the time its key must have been valid at.",
    )
    signature: SubmissionSignature | None = Field(
        default=None, description="Required from the unit's transition date; see signed_at."
    )
    keyed_by: KeyedBy | None = Field(
        default=None,
        description="A paper report keyed on the unit's behalf by its province or Central: who"
        " and why. Over HTTP only; a signature, if any, is then the keying unit's.",
    )


class Receipt(BaseModel):
    submission_id: str
    received_at: datetime
    status: Literal["received"] = "received"
    signed_at: datetime | None = Field(
        default=None, description="The unit's signed_at, when the report carried a signature."
    )
    key_id: str | None = Field(
        default=None, description="The unit's key the report says it was signed with."
    )


class Reason(BaseModel):
    """Why a report was rejected or flagged: a stable ``code``, Vietnamese and English text."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    message_en: str
    indicator: str | None = None
    rule: str | None = None


Timeliness = Literal["on_time", "late"]


CountedBasis = Literal["received", "signed"]
# offline: the signed time was honoured; else why the receipt counts.
CountedGrounds = Literal[
    "not_signed",
    "signed_after_receipt",
    "beyond_offline_window",
    "no_quiet_spell",
    "offline",
]


class CountedFrom(BaseModel):
    """The time a report was judged at, for timeliness and locks, and why: its receipt, or the
    unit's signed time honoured because the hub recorded its edge's link silent then
    (docs/weak-networks.md)."""

    at: datetime
    basis: CountedBasis
    grounds: CountedGrounds = Field(
        description="offline: the signed time was honoured. Otherwise why the receipt counts:"
        " no signature that stands, signed after its receipt, received beyond the report type's"
        " offline window, or no silence of the unit's edge recorded by the hub around it."
    )
    quiet_from: datetime | None = Field(
        default=None, description="The recorded silence that was honoured: from when."
    )
    quiet_until: datetime | None = Field(
        default=None, description="The last instant the hub saw that silence."
    )


class Verdict(BaseModel):
    """The validator's decision, published on ``reports.accepted.*`` or ``reports.rejected.*``."""

    submission_id: str
    report_type: str
    period: str
    unit: str
    province: str | None
    status: Literal["accepted", "rejected"]
    reasons: list[Reason] = []
    warnings: list[Reason] = Field(
        default=[],
        description="Accepted, but worth a second look: a warning rule broken, a target"
        " missed, a value far from the unit's own history.",
    )
    timeliness: Timeliness | None = None
    received_at: datetime
    stream_seq: int
    values: dict[str, IndicatorValue] | None = Field(
        default=None, description="Accepted values; decimals travel as strings to stay exact."
    )
    sender: str | None = Field(
        default=None,
        description="The unit the submission was published for (the last token of its subject;"
        " over HTTP, the unit of the caller's token). A notice about the submission goes there,"
        " even when the body names another unit.",
    )
    signed_at: datetime | None = Field(
        default=None, description="The submission's signed_at, when it carried a signature."
    )
    signature: SubmissionSignature | None = Field(
        default=None,
        description="The signature the submission carried, accepted or not: with the body kept"
        " by the validator, anyone can check later who sent what (`baocao verify`).",
    )
    keyed_by: KeyedBy | None = Field(
        default=None, description="Who keyed the paper report on the unit's behalf, and why."
    )
    counted_from: CountedFrom | None = Field(
        default=None,
        description="The time timeliness and locks were judged at, and why; none on a report"
        " that could not be read.",
    )


class LockExceptionRequest(BaseModel):
    """A province reopening one unit's report for a period that has locked."""

    model_config = ConfigDict(extra="forbid")

    unit: str = Field(pattern=UNIT_CODE_PATTERN, examples=["03385"])
    report_type: str = Field(min_length=1, max_length=64, examples=["kl226-quarterly"])
    period: str = Field(min_length=4, max_length=16, examples=["2026-Q4"])
    reason: str = Field(min_length=1, max_length=2000, description="Why it is reopened.")
    expires_at: AwareDatetime | None = Field(
        default=None, description="When the exception ends; none: until revoked."
    )


class LockException(BaseModel):
    unit: str
    report_type: str
    period: str
    granted_by: str = Field(description="The unit whose token granted it (a province or VN).")
    reason: str
    granted_at: datetime
    expires_at: datetime | None = None


class DryRunResult(BaseModel):
    """What the validator would decide about a report now (``?dry_run=true``); nothing stored."""

    dry_run: Literal[True] = True
    submission_id: str
    status: Literal["accepted", "rejected"]
    reasons: list[Reason] = []
    warnings: list[Reason] = []
    timeliness: Timeliness | None = Field(
        default=None, description="If it were received now: on_time or late."
    )


class SubmissionStatus(BaseModel):
    submission_id: str
    unit: str
    status: Literal["received", "accepted", "rejected", "superseded"]
    reasons: list[Reason] = []
    warnings: list[Reason] = []
    timeliness: Timeliness | None = None
    received_at: datetime
    superseded_by: str | None = None
    signed_at: datetime | None = Field(
        default=None, description="When the unit signed it, if it was signed."
    )
    key_id: str | None = Field(default=None, description="The unit's key it was signed with.")
    keyed_by: KeyedBy | None = Field(
        default=None, description="Who keyed the paper report on the unit's behalf, and why."
    )
    counted_from: CountedFrom | None = Field(
        default=None,
        description="The time it was judged at and why: its receipt, or its signed time when"
        " the hub recorded the unit's edge silent then.",
    )


NoticeKind = Literal["reminder", "escalation", "rejection"]
NOTICE_STAGE_PATTERN = r"^(rejection|reminder|escalation|(unit|parent|central)[+-][0-9]{1,2})\z"


class LateUnit(BaseModel):
    """One unit a digest names: a commune or province that has not reported, or (in Central's
    digest) a province that is behind, with the completeness of its units."""

    unit: str
    name: str
    province: str | None = None
    expected: int | None = Field(default=None, description="Central's digest: units due.")
    submitted: int | None = Field(default=None, description="Central's digest: units reported.")
    rate_pct: float | None = Field(default=None, description="Central's digest: completeness.")


class Notice(BaseModel):
    """A reminder, an escalation (a digest) or a rejection, published on ``notify.<recipient>``
    and, where the recipient has them, sent by e-mail and to its webhook.

    ``stage`` is the step of the report type's reminder policy (``unit-3``, ``unit+0``,
    ``parent+1``, ``central+3``) or ``rejection``; ``kind`` says what it is to the reader."""

    notice_id: str
    kind: NoticeKind
    stage: str = Field(pattern=NOTICE_STAGE_PATTERN)
    level: str | None = Field(
        default=None, description="The level whose deadline the notice is about."
    )
    recipient: str
    unit: str = Field(
        description="The unit the notice is about: the late unit for a reminder, the recipient"
        " for a digest, the unit the rejected report names."
    )
    unit_name: str
    report_type: str
    period: str
    deadline: datetime | None = Field(
        description="When the unit's report is due; none for a report type outside the catalog."
    )
    subject_vi: str = ""
    subject_en: str = ""
    message_vi: str
    message_en: str
    late: list[LateUnit] = Field(
        default=[], description="For an escalation: the late units (or provinces behind) it lists."
    )
    submit_url: str | None = Field(default=None, description="Where to submit the report.")
    submission_id: str | None = Field(
        default=None, description="For a rejection: the submission that was rejected."
    )
    reasons: list[Reason] = Field(default=[], description="For a rejection: why, every reason.")


class NoticeDeadLettered(BaseModel):
    """A notice that failed on one channel (e-mail, webhook) every time it was tried, published
    on ``notify.deadletter.<recipient>`` for operators."""

    notice_id: str
    channel: Literal["nats", "email", "webhook"]
    recipient: str
    stage: str
    report_type: str
    period: str
    attempts: int
    last_error: str
    at: datetime


class Problem(BaseModel):
    """Every HTTP error body (RFC 9457 problem details, ``application/problem+json``): the RFC's
    members, a stable machine-readable ``reason``, and per-field ``details``."""

    type: str = Field("about:blank", description="urn:baocao:problem:<reason>")
    title: str | None = None
    status: int | None = None
    detail: str | None = None
    instance: str | None = Field(None, description="the path that was refused")
    reason: str
    message: str = Field(description="the same text as detail, for clients before RFC 9457")
    details: list[dict[str, Any]] = []
