"""In-memory fakes of intake's stores, stream and dry-run judge, for fast use-case tests.

The stores keep the promises of their protocols in ``services/intake/usecases/ports.py``; the contract
tests (``tests/integration/contracts/test_intake_stores.py``) run the same cases against these
fakes and against PostgreSQL. The stream and the judge stand in for NATS: they have no
PostgreSQL twin, and their behaviour (a re-sent id is a duplicate of the first unit's message)
is shown against a real nats-server by tests/integration/test_intake_http.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.intake.domain.devices import PRESENCE_GAP, DeviceKey, Registered
from services.intake.domain.receipt import Stored, StoredReceipt
from services.intake.usecases.ports import ValidatorUnavailable
from shared import subjects
from shared.schemas import Submission, SubmissionStatus, Verdict

ReportKey = tuple[str, str, str]  # report type, period, unit
KeyOfUnit = tuple[str, str]  # unit, key id
Interval = list[datetime]  # first_seen, last_seen (mutable: a contact extends it)


@dataclass
class InMemoryIntakeTables:
    """What intake reads and writes: its receipts; the validator's verdicts and the
    aggregator's current reports (the views intake may read)."""

    receipts: dict[str, StoredReceipt] = field(default_factory=dict)
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    current: dict[ReportKey, str] = field(default_factory=dict)
    signing_keys: dict[KeyOfUnit, DeviceKey] = field(default_factory=dict)
    presence: dict[KeyOfUnit, list[Interval]] = field(default_factory=dict)


class InMemoryReceiptStore:
    """:class:`~services.intake.usecases.ports.ReceiptRecords`."""

    def __init__(self, tables: InMemoryIntakeTables | None = None) -> None:
        self.tables = tables or InMemoryIntakeTables()

    async def get(self, submission_id: str) -> StoredReceipt | None:
        return self.tables.receipts.get(submission_id)

    async def save(self, receipt: StoredReceipt, report_type: str, period: str) -> StoredReceipt:
        return self.tables.receipts.setdefault(receipt.submission_id, receipt)


class InMemoryStatusReader:
    """:class:`~services.intake.usecases.ports.StatusRecords`, with ``judged`` and ``made_current`` to
    stand for the validator and the aggregator."""

    def __init__(self, tables: InMemoryIntakeTables | None = None) -> None:
        self.tables = tables or InMemoryIntakeTables()

    def judged(self, verdict: Verdict) -> None:
        self.tables.verdicts.setdefault(verdict.submission_id, verdict)

    def made_current(self, verdict: Verdict) -> None:
        key = (verdict.report_type, verdict.period, verdict.unit)
        self.tables.current[key] = verdict.submission_id

    async def status(self, submission_id: str) -> SubmissionStatus | None:
        verdict = self.tables.verdicts.get(submission_id)
        if verdict is not None:
            current = self.tables.current.get((verdict.report_type, verdict.period, verdict.unit))
            superseded = verdict.status == "accepted" and current not in (None, submission_id)
            return SubmissionStatus(
                submission_id=submission_id,
                unit=verdict.unit,
                status="superseded" if superseded else verdict.status,
                reasons=verdict.reasons,
                warnings=verdict.warnings,
                timeliness=verdict.timeliness,
                received_at=verdict.received_at,
                superseded_by=current if superseded else None,
                signed_at=verdict.signed_at,
                key_id=verdict.signature.key_id if verdict.signature else None,
                keyed_by=verdict.keyed_by,
            )
        receipt = self.tables.receipts.get(submission_id)
        if receipt is None:
            return None
        return SubmissionStatus(
            submission_id=submission_id,
            unit=receipt.unit,
            status="received",
            received_at=receipt.received_at,
        )


@dataclass
class InMemoryStream:
    """:class:`~services.intake.usecases.ports.SubmissionStream`: JetStream's deduplication by
    submission id, with no window (a re-sent id is always the first message). ``failure``,
    when set, is raised by the next publish, as a stream out of reach would."""

    messages: list[tuple[str, bytes]] = field(default_factory=list)  # subject, body
    first: dict[str, Stored] = field(default_factory=dict)
    failure: Exception | None = None
    now: datetime = datetime(2026, 12, 10, 2, tzinfo=UTC)

    async def publish(self, submission: Submission, body: bytes, province: str) -> Stored:
        if self.failure is not None:
            raise self.failure
        earlier = self.first.get(submission.submission_id)
        if earlier is not None:
            return Stored(earlier.stream_seq, earlier.stored_at, True, earlier.unit)
        keyed = submission.keyed_by is not None
        self.messages.append((subjects.submitted(province, submission.unit, keyed=keyed), body))
        stored = Stored(len(self.messages), self.now, False, submission.unit)
        self.first[submission.submission_id] = stored
        return stored


@dataclass
class FixedJudge:
    """:class:`~services.intake.usecases.ports.DryRunJudge` answering each unit with a verdict given,
    or as a validator that does not answer."""

    verdicts: dict[str, Verdict] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    async def judge(self, body: bytes, unit: str) -> Verdict:
        self.asked.append(unit)
        if unit not in self.verdicts:
            raise ValidatorUnavailable("no responders")
        return self.verdicts[unit]


class InMemoryDeviceStore:
    """:class:`~services.intake.usecases.ports.DeviceRecords`; ``silences`` reads its contacts as
    the view ``device_silences`` does."""

    def __init__(self, tables: InMemoryIntakeTables | None = None) -> None:
        self.tables = tables or InMemoryIntakeTables()

    async def register(self, key: DeviceKey) -> Registered | None:
        on_record = self.tables.signing_keys.get((key.unit, key.key_id))
        if on_record is not None:
            same = on_record.public_key == key.public_key
            return Registered(on_record, new=False) if same else None
        if any(k.public_key == key.public_key for k in self.tables.signing_keys.values()):
            return None
        self.tables.signing_keys[(key.unit, key.key_id)] = key
        return Registered(key, new=True)

    async def seen(self, unit: str, key_id: str, at: datetime) -> bool:
        if (unit, key_id) not in self.tables.signing_keys:
            return False
        intervals = self.tables.presence.setdefault((unit, key_id), [])
        latest = max(intervals, default=None)
        if latest is not None and latest[1] >= at - PRESENCE_GAP:
            latest[1] = max(latest[1], at)
        else:
            intervals.append([at, at])
        return True

    def silences(self, unit: str, key_id: str) -> list[tuple[datetime, datetime | None]]:
        """Each silence, from a last contact to the next first one (None while it lasts)."""
        intervals = sorted(self.tables.presence.get((unit, key_id), []))
        return [
            (interval[1], intervals[i + 1][0] if i + 1 < len(intervals) else None)
            for i, interval in enumerate(intervals)
        ]
