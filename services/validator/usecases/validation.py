"""The validator's main use case: judge a batch, record the verdicts, publish them.

Its ports (the store, the publisher, the signing keys) are in usecases/ports.py."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from services.validator import metrics
from services.validator.domain.approvals import ApprovalsChanged
from services.validator.domain.incoming import IncomingSubmission
from services.validator.domain.judgement import LockKey
from services.validator.domain.offline_time import QuietSpell
from services.validator.domain.verdicts import (
    Decoded,
    Device,
    approval_keys,
    decode,
    history_keys,
    is_unreadable,
    link_of,
    lock_keys,
    verdict_for,
)
from services.validator.usecases.ports import (
    QuietSpellRecords,
    SigningKeys,
    VerdictPublisher,
    VerdictRecords,
)
from shared.catalog import Catalog
from shared.clock import Clock
from shared.logging import get_logger
from shared.registry import Registry
from shared.schemas import Verdict

log = get_logger(__name__)

# Each retry needs a person to approve a report of the batch in the milliseconds between its
# judgement and its recording; more than a few in a row means something else is wrong.
MAX_JUDGEMENTS = 10


class ValidationService:
    def __init__(
        self,
        *,
        catalog: Catalog,
        registry: Registry,
        clock: Clock,
        store: VerdictRecords,
        publisher: VerdictPublisher,
        signing_keys: SigningKeys | None = None,
        quiet_spells: QuietSpellRecords | None = None,
    ) -> None:
        self.catalog = catalog
        self.registry = registry
        self.clock = clock
        self.store = store
        self.publisher = publisher
        # None: signatures are not judged (a validator without the registry of unit keys).
        self.signing_keys = signing_keys
        # None: no edges' silences are read, and every report counts from its receipt.
        self.quiet_spells = quiet_spells

    async def process(self, batch: Sequence[IncomingSubmission]) -> list[Verdict]:
        """Judge, record, publish. Safe to repeat: a submission is judged once, its verdict
        published as often as the input is redelivered.

        Returns the verdict judged for each message of ``batch``, in order.
        """
        for attempt in range(1, MAX_JUDGEMENTS + 1):
            judged, approved = await self._judged(batch)
            first: dict[str, Verdict] = {}
            carriers: dict[str, Mapping[str, str]] = {}
            # A signed submission's bytes are kept with its verdict: the evidence of who sent it.
            bodies: dict[str, bytes] = {}
            for message, verdict in zip(batch, judged, strict=True):
                first.setdefault(verdict.submission_id, verdict)
                carriers.setdefault(verdict.submission_id, message.trace_carrier)
                if verdict.signature is not None and first[verdict.submission_id] is verdict:
                    bodies[verdict.submission_id] = message.data
            # Each verdict is serialised once, for the database and the stream alike.
            documents = {i: v.model_dump_json() for i, v in first.items()}
            validated_at = self.clock.now()
            try:
                on_record = await self.store.record(
                    list(first.values()), documents, validated_at, approved, bodies
                )
            except ApprovalsChanged:
                if attempt == MAX_JUDGEMENTS:
                    raise
                log.info("approval committed while judging; judging the batch again")
                continue
            break
        for submission_id, verdict in on_record.items():
            if verdict is not first[submission_id]:  # judged before: what is on record stands
                documents[submission_id] = verdict.model_dump_json()
        # Counted as they are committed: a redelivery finds them on record and does not count
        # them again.
        metrics.count_judged(
            (v for i, v in on_record.items() if v is first[i]), self.catalog.report_types
        )
        verdicts = list(on_record.values())
        await self.publisher.publish(verdicts, documents, carriers, validated_at)
        log.info(
            "batch judged",
            size=len(batch),
            accepted=sum(v.status == "accepted" for v in verdicts),
            rejected=sum(v.status == "rejected" for v in verdicts),
            first_stream_seq=batch[0].stream_seq if batch else None,
        )
        return judged

    async def judge(self, batch: Sequence[IncomingSubmission]) -> list[Verdict]:
        """Verdicts for ``batch``, in order, from what is on record now; nothing is stored."""
        verdicts, _ = await self._judged(batch)
        return verdicts

    async def _judged(
        self, batch: Sequence[IncomingSubmission]
    ) -> tuple[list[Verdict], set[LockKey]]:
        """Verdicts for ``batch``, in order, and the approvals they were judged with.

        The unit's previous periods (for the outlier warning), and the lock exceptions and
        approvals together, are read for the whole batch in one statement each."""
        decoded = [decode(m) for m in batch]
        now = self.clock.now()
        history = await self.store.history(history_keys(decoded, self.catalog))
        locks = await self.store.locks(
            lock_keys(decoded, self.catalog, now),
            approval_keys(decoded, self.catalog, self.registry),
            now,
        )
        signing = await self.signing_keys.current() if self.signing_keys is not None else None
        spells, device_spells = await self._spells(batch, decoded)
        verdicts = [
            verdict_for(
                m,
                catalog=self.catalog,
                registry=self.registry,
                received_at=self.clock.at(m.stored_at),
                decoded=d,
                history=history,
                lock_exceptions=locks.exceptions,
                approvals=locks.approvals,
                signing=signing,
                spells=spells,
                device_spells=device_spells,
            )
            for m, d in zip(batch, decoded, strict=True)
        ]
        return verdicts, set(locks.approvals)

    async def _spells(
        self, batch: Sequence[IncomingSubmission], decoded: Sequence[Decoded]
    ) -> tuple[dict[str, list[QuietSpell]], dict[Device, list[QuietSpell]]]:
        """The silences of the links that carried signed reports here (edges, browsers), from
        the earliest signed time on: a read each, and none for a batch without such a report
        (the hot path)."""
        if self.quiet_spells is None:
            return {}, {}
        edges: dict[str, datetime] = {}
        devices: dict[Device, datetime] = {}
        for message, submission in zip(batch, decoded, strict=True):
            if isinstance(submission, list) or submission.signed_at is None:
                continue
            link = link_of(message, submission)
            if isinstance(link, str):
                edges[link] = min(submission.signed_at, edges.get(link, submission.signed_at))
            elif link is not None:
                devices[link] = min(submission.signed_at, devices.get(link, submission.signed_at))
        by_edge = await self.quiet_spells.spells(edges, min(edges.values())) if edges else {}
        by_device = (
            await self.quiet_spells.device_spells(devices, min(devices.values())) if devices else {}
        )
        return by_edge, by_device


def unreadable(judged: Sequence[Verdict]) -> list[tuple[int, str]]:
    """Positions of messages that were not submissions at all, with their first reason."""
    return [
        (index, "; ".join(r.message_en for r in verdict.reasons))
        for index, verdict in enumerate(judged)
        if is_unreadable(verdict)
    ]
