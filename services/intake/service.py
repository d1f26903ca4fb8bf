"""The intake use case: from an authenticated body to a receipt."""

from __future__ import annotations

from dataclasses import dataclass

from services.intake.adapters.dry_runs import DryRunClient
from services.intake.adapters.publisher import SubmissionPublisher
from services.intake.adapters.receipts import ReceiptStore
from services.intake.domain.receipt import StoredReceipt
from shared.clock import Clock
from shared.decoding import decode_submission
from shared.identity import Caller, require_submitter_for
from shared.logging import get_logger
from shared.registry import Registry
from shared.schemas import Reason, Submission, Verdict

log = get_logger(__name__)


class Refused(Exception):
    """A request intake answers with a 4xx and a machine-readable reason."""

    def __init__(
        self, status: int, reason: str, message: str, details: list[Reason] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.details = details or []


@dataclass
class IntakeService:
    registry: Registry
    clock: Clock
    receipts: ReceiptStore
    publisher: SubmissionPublisher
    dry_runs: DryRunClient

    async def submit(self, body: bytes, caller: Caller) -> tuple[StoredReceipt, Submission]:
        """The receipt (the first one, for a re-sent id) and the submission it acknowledges."""
        submission = self._readable(body, caller)
        previous = await self.receipts.get(submission.submission_id)
        if previous is not None:
            return self._same_unit(previous, submission), submission
        unit = self.registry.get(submission.unit)
        if unit is None or unit.province is None:
            raise Refused(400, "unknown_unit", f"no unit has code {submission.unit}")
        stored = await self.publisher.publish(submission, body, unit.province)
        if stored.unit != submission.unit:
            raise Refused(
                409,
                "submission_id_taken",
                "another unit already used this submission_id; generate a new one",
            )
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
        return self._same_unit(receipt, submission), submission

    async def dry_run(self, body: bytes, caller: Caller) -> Verdict:
        """What the validator would decide about ``body`` now; nothing is stored or published."""
        submission = self._readable(body, caller)
        return await self.dry_runs.judge(body, submission.unit)

    @staticmethod
    def _readable(body: bytes, caller: Caller) -> Submission:
        decoded = decode_submission(body)
        if isinstance(decoded, list):
            reason = decoded[0].code
            raise Refused(400, reason, "the body is not a valid submission", decoded)
        require_submitter_for(caller, decoded.unit)
        return decoded

    @staticmethod
    def _same_unit(receipt: StoredReceipt, submission: Submission) -> StoredReceipt:
        if receipt.unit != submission.unit:
            raise Refused(
                409,
                "submission_id_taken",
                "another unit already used this submission_id; generate a new one",
            )
        return receipt
