"""The intake use case: from an authenticated body to a receipt, a dry-run verdict, or where a
submission stands.

Refusals are services/intake/domain/refusals.py's (a kind and a reason, no HTTP status); a
database, stream or validator out of reach is the refusal Unavailable, so the caller knows the
same request may simply be sent again.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.intake.domain.receipt import StoredReceipt
from services.intake.domain.refusals import NotASubmission, SubmissionIdTaken
from services.intake.usecases.outages import outage_is_unavailable
from services.intake.usecases.ports import (
    DryRunJudge,
    ReceiptRecords,
    StatusRecords,
    SubmissionStream,
)
from shared.clock import Clock
from shared.decoding import decode_submission
from shared.identity import Caller, require_keyer_for, require_reach, require_submitter_for
from shared.logging import get_logger
from shared.refusals import NotFound
from shared.registry import Registry
from shared.schemas import Submission, SubmissionStatus, Verdict

log = get_logger(__name__)


@dataclass
class IntakeService:
    registry: Registry
    clock: Clock
    receipts: ReceiptRecords
    publisher: SubmissionStream
    dry_runs: DryRunJudge
    statuses: StatusRecords

    async def submit(self, body: bytes, caller: Caller) -> tuple[StoredReceipt, Submission]:
        """The receipt (the first one, for a re-sent id) and the submission it acknowledges.

        A retry is safe: the stream drops a re-sent id and the first receipt is kept."""
        submission = self._readable(body, caller)
        with outage_is_unavailable():
            return await self._received(submission, body), submission

    async def dry_run(self, body: bytes, caller: Caller) -> Verdict:
        """What the validator would decide about ``body`` now; nothing is stored or published."""
        submission = self._readable(body, caller)
        with outage_is_unavailable():
            return await self.dry_runs.judge(body, submission.unit)

    async def status(self, submission_id: str, caller: Caller) -> SubmissionStatus:
        """Where a submission stands, for its unit, its province or Central; anyone else is
        refused (not_your_unit) and learns nothing of its content. Submission ids are random
        UUIDs the unit chose, so saying that one exists gives nothing away."""
        with outage_is_unavailable():
            found = await self.statuses.status(submission_id)
        unit = self.registry.get(found.unit) if found is not None else None
        if found is None or unit is None:
            raise NotFound("unknown_submission", f"no submission {submission_id!r}")
        require_reach(caller, unit)
        return found

    async def _received(self, submission: Submission, body: bytes) -> StoredReceipt:
        previous = await self.receipts.get(submission.submission_id)
        if previous is not None:
            return _same_unit(previous, submission)
        unit = self.registry.get(submission.unit)
        if unit is None or unit.province is None:
            raise NotASubmission("unknown_unit", f"no unit has code {submission.unit}")
        stored = await self.publisher.publish(submission, body, unit.province)
        if stored.unit != submission.unit:
            raise SubmissionIdTaken()
        receipt = await self.receipts.save(
            StoredReceipt(
                submission.submission_id,
                submission.unit,
                self.clock.at(stored.stored_at),
                stored.stream_seq,
            ),
            submission.report_type,
            submission.period,
        )
        log.info(
            "received",
            submission_id=receipt.submission_id,
            unit=receipt.unit,
            report_type=submission.report_type,
            period=submission.period,
            stream_seq=receipt.stream_seq,
            duplicate=stored.duplicate,
        )
        return _same_unit(receipt, submission)

    def _readable(self, body: bytes, caller: Caller) -> Submission:
        decoded = decode_submission(body)
        if isinstance(decoded, list):
            raise NotASubmission(decoded[0].code, "the body is not a valid submission", decoded)
        if decoded.keyed_by is None:
            require_submitter_for(caller, decoded.unit)
            return decoded
        unit = self.registry.get(decoded.unit)
        if unit is None:
            raise NotASubmission("unknown_unit", f"no unit has code {decoded.unit}")
        require_keyer_for(caller, decoded.keyed_by.unit, decoded.keyed_by.person, unit)
        return decoded


def _same_unit(receipt: StoredReceipt, submission: Submission) -> StoredReceipt:
    if receipt.unit != submission.unit:
        raise SubmissionIdTaken()
    return receipt
