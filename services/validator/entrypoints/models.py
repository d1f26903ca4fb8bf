"""Wire formats of the validator's approval and audit API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.schemas import (
    CountedFrom,
    IndicatorValue,
    KeyedBy,
    Reason,
    SubmissionSignature,
    Timeliness,
)


class UndoRequest(BaseModel):
    """Why an approval or an acceptance is withdrawn (required)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, examples=["Xã bổ sung số liệu quý"])


class ApprovalState(BaseModel):
    report_type: str
    period: str
    unit: str
    status: Literal["open", "approved", "accepted"] = Field(
        description="open: no approval of its own; approved: by its province (or Central);"
        " accepted: a province's approved data, accepted by Central."
    )
    approved_by: str | None = None
    approved_at: datetime | None = None
    accepted_by: str | None = None
    accepted_at: datetime | None = None


class StepResult(ApprovalState):
    """The unit's approval after a step; ``changed`` is false when the step was already taken
    (nothing was logged)."""

    changed: bool


class LogEntryOut(BaseModel):
    unit: str
    action: Literal["approve", "unapprove", "accept", "unaccept"]
    actor: str = Field(description="The unit whose token took the step (a province or VN).")
    at: datetime
    reason: str | None = None


class UnitApprovals(BaseModel):
    """One unit's approval, what locks its report, and every step taken on it."""

    report_type: str
    period: str
    unit: str
    name: str
    level: str
    locked: bool = Field(description="Whether revisions are refused (period_locked) by approval.")
    own: ApprovalState
    covered_by: ApprovalState | None = Field(
        default=None, description="For a commune: its province's approval, when one stands."
    )
    log: list[LogEntryOut] = Field(
        description="Oldest first; a province's includes its communes' own steps."
    )


class ProvinceApprovals(ApprovalState):
    name: str
    communes: list[ApprovalState] = Field(
        description="Communes of the province approved on their own."
    )


class PeriodApprovals(BaseModel):
    report_type: str
    period: str
    provinces: list[ProvinceApprovals]


class ValueChange(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    before: IndicatorValue | None = Field(alias="from")
    after: IndicatorValue | None = Field(alias="to")


class HistoryItem(BaseModel):
    submission_id: str
    report_type: str
    period: str
    received_at: datetime
    stream_seq: int
    sender: str | None = Field(description="Who sent it: the unit of the subject or token.")
    status: Literal["accepted", "rejected", "superseded"] = Field(
        description="superseded: accepted, then replaced by a later accepted submission."
    )
    reasons: list[Reason] = []
    warnings: list[Reason] = []
    timeliness: Timeliness | None = None
    values: dict[str, IndicatorValue] | None = Field(
        default=None, description="Accepted values (a rejection keeps none)."
    )
    changes: dict[str, ValueChange] | None = Field(
        default=None,
        description="Indicators that differ from the accepted submission this one supersedes;"
        " null when it supersedes none or was rejected.",
    )
    supersedes: str | None = None
    superseded_by: str | None = None
    signed_at: datetime | None = Field(
        default=None, description="When the unit signed it (its own claim), if it was signed."
    )
    signature: SubmissionSignature | None = Field(
        default=None,
        description="The signature it carried (key id and value): `baocao verify` checks it"
        " again against the body kept and the key valid at signed_at.",
    )
    keyed_by: KeyedBy | None = Field(
        default=None,
        description="A paper report keyed on the unit's behalf: the keying unit, the person"
        " (their token's subject) and why.",
    )
    counted_from: CountedFrom | None = Field(
        default=None,
        description="The time it was judged at and why: its receipt, or its signed time when"
        " the hub recorded the unit's edge silent then (docs/weak-networks.md).",
    )


class SubmissionHistory(BaseModel):
    unit: str
    submissions: list[HistoryItem] = Field(description="Newest first.")
    next_cursor: str | None = Field(
        default=None, description="Pass as ?cursor= for the next (older) page; null at the end."
    )
