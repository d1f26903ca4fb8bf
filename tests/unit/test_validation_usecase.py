"""The judging use case (services/validator/usecases/validation.py) on in-memory stores: judged once,
recorded once, published as often as redelivered, and judged again when an approval is
committed between its judgement and its recording (no NATS, no database)."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from services.validator.domain.approvals import Approval
from services.validator.domain.incoming import IncomingSubmission
from services.validator.domain.judgement import LockKey, Locks
from services.validator.usecases.validation import ValidationService
from shared.catalog import Catalog
from shared.clock import FixedClock
from shared.registry import Registry
from shared.registry.seed import units_from_package
from tests.fakes.validator import (
    InMemoryValidatorTables,
    InMemoryVerdictStore,
    RecordingPublisher,
)
from tests.unit.test_judgement import valid_values

HOAN_KIEM, HA_NOI = "00070", "01"
# In the 2026-Q4 round, before the communes' deadline.
NOW = datetime(2026, 12, 10, 2, tzinfo=UTC)


def message(submission_id: str, seq: int) -> IncomingSubmission:
    body = {
        "submission_id": submission_id,
        "report_type": "kl226-quarterly",
        "period": "2026-Q4",
        "unit": HOAN_KIEM,
        "values": {k: float(v) if isinstance(v, Decimal) else v for k, v in valid_values().items()},
    }
    return IncomingSubmission(
        subject=f"reports.submitted.{HA_NOI}.{HOAN_KIEM}",
        data=json.dumps(body).encode(),
        msg_id=submission_id,
        stream_seq=seq,
        stored_at=NOW - timedelta(minutes=1),
    )


class ApprovedWhileJudging(InMemoryVerdictStore):
    """A province approves right after the batch's locks were read, once."""

    approved = False

    async def locks(
        self, exception_keys: Collection[LockKey], approval_keys: Collection[LockKey], now: datetime
    ) -> Locks:
        found = await super().locks(exception_keys, approval_keys, now)
        if not self.approved:
            self.approved = True
            approval = Approval("kl226-quarterly", "2026-Q4", HA_NOI, HA_NOI, now)
            self.tables.approvals[("kl226-quarterly", "2026-Q4", HA_NOI)] = approval
        return found


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry(units_from_package())


def service(
    store: InMemoryVerdictStore, publisher: RecordingPublisher, registry: Registry
) -> ValidationService:
    return ValidationService(
        catalog=Catalog.load(),
        registry=registry,
        clock=FixedClock(NOW),
        store=store,
        publisher=publisher,
    )


async def test_a_report_is_recorded_once_and_its_verdict_published_again_on_redelivery(
    registry: Registry,
) -> None:
    store, publisher = InMemoryVerdictStore(), RecordingPublisher()
    validator = service(store, publisher, registry)

    [first] = await validator.process([message("sub-0001", 1)])
    await validator.process([message("sub-0001", 1)])

    assert first.status == "accepted", first.reasons
    assert list(store.tables.submissions) == ["sub-0001"]
    assert [v.submission_id for v in publisher.published] == ["sub-0001", "sub-0001"]
    assert publisher.published[1] == publisher.published[0]


async def test_an_approval_committed_while_judging_makes_the_batch_judged_again(
    registry: Registry,
) -> None:
    store, publisher = ApprovedWhileJudging(InMemoryValidatorTables()), RecordingPublisher()

    [verdict] = await service(store, publisher, registry).process([message("sub-0001", 1)])

    assert store.approved
    assert [r.code for r in verdict.reasons] == ["period_locked"]
    assert store.tables.submissions["sub-0001"].status == "rejected"
