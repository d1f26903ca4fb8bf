"""Each service's handler on FastStream's in-memory broker: what it hands its use case, what it
parks. The use cases are test doubles here; acknowledgement is tested in
test_subscribers_settling.py, and everything together against NATS in tests/integration."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from faststream.nats import NatsBroker, TestNatsBroker
from faststream.nats.testing import build_message

from services.aggregator.entrypoints import consumer as aggregator
from services.aggregator.usecases.aggregation import AggregationService
from services.notifier.entrypoints import consumers as notifier
from services.notifier.usecases.notifications import NotificationService
from services.validator.domain.incoming import IncomingSubmission
from services.validator.entrypoints import consumer as validator
from services.validator.usecases.validation import ValidationService
from shared.consuming import BatchSubscriber, DeadLetter
from shared.schemas import Reason, Verdict

STORED_NS = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z


def jetstream_reply(seq: int, *, durable: str = "validator", deliveries: int = 1) -> str:
    """The reply subject JetStream gives a delivered message: its metadata lives there."""
    return f"$JS.ACK.REPORTS.{durable}.{deliveries}.{seq}.{seq}.{STORED_NS}.0"


def verdict(status: str = "accepted", *, reasons: Sequence[Reason] = ()) -> Verdict:
    return Verdict(
        submission_id="s-1",
        report_type="kl226-quarterly",
        period="2026-Q4",
        unit="00070",
        province="01",
        status=cast(Any, status),
        reasons=list(reasons),
        received_at=datetime(2026, 1, 1, tzinfo=UTC),
        stream_seq=7,
    )


async def handled(subscriber: BatchSubscriber, *bodies: tuple[str, bytes]) -> list[DeadLetter]:
    """Hand ``bodies`` (subject, bytes) to the subscriber as one batch, as its loop would."""
    batch = [
        await build_message(
            data, subject, reply_to=jetstream_reply(seq), headers={"Nats-Msg-Id": f"m-{seq}"}
        )
        for seq, (subject, data) in enumerate(bodies, 1)
    ]
    response = await subscriber.process_message(cast(Any, batch))
    return list(response.body)


class Judge:
    """The validator's use case: records what it is given, rejects what it is told to."""

    def __init__(self, unreadable: bytes | None = None) -> None:
        self.given: list[IncomingSubmission] = []
        self.unreadable = unreadable

    async def process(self, batch: Sequence[IncomingSubmission]) -> list[Verdict]:
        self.given.extend(batch)
        malformed = Reason(code="malformed_json", message="JSON hỏng", message_en="not JSON")
        return [
            verdict("rejected", reasons=[malformed]) if m.data == self.unreadable else verdict()
            for m in batch
        ]


async def test_the_validator_hands_its_use_case_each_submission_as_it_left_the_stream() -> None:
    broker = NatsBroker()
    judge = Judge()
    validator.subscribe(broker, lambda: cast(ValidationService, judge), batch_size=16)

    async with TestNatsBroker(broker) as test_broker:
        await test_broker.publish(
            b'{"submission_id": "s-1"}',
            "reports.submitted.01.00070",
            headers={"Nats-Msg-Id": "s-1"},
            reply_to=jetstream_reply(42),
        )

    [incoming] = judge.given
    assert incoming.subject == "reports.submitted.01.00070"
    assert incoming.data == b'{"submission_id": "s-1"}'  # the bytes, undecoded
    assert incoming.msg_id == "s-1"
    assert incoming.stream_seq == 42
    assert incoming.stored_at == datetime(2026, 1, 1, tzinfo=UTC)


async def test_the_validator_parks_what_was_not_a_submission_at_all() -> None:
    broker = NatsBroker()
    judge = Judge(unreadable=b"{not json")
    subscriber = validator.subscribe(broker, lambda: cast(ValidationService, judge), batch_size=16)

    async with TestNatsBroker(broker):
        dead = await handled(
            subscriber,
            ("reports.submitted.01.00070", b'{"submission_id": "s-1"}'),
            ("reports.submitted.01.00071", b"{not json"),
        )

    assert len(judge.given) == 2  # judged too: the sender gets its rejection
    [letter] = dead
    assert letter.reason == "unreadable_submission"
    assert letter.message.data == b"{not json"
    assert letter.detail == "not JSON"


class Rollups:
    def __init__(self) -> None:
        self.applied: list[Verdict] = []

    async def apply(self, verdicts: Sequence[Verdict]) -> None:
        self.applied.extend(verdicts)


async def test_the_aggregator_folds_readable_verdicts_and_parks_the_rest() -> None:
    broker = NatsBroker()
    rollups = Rollups()
    subscriber = aggregator.subscribe(
        broker, lambda: cast(AggregationService, rollups), batch_size=16
    )

    async with TestNatsBroker(broker):
        dead = await handled(
            subscriber,
            ("reports.accepted.01.00070", verdict().model_dump_json().encode()),
            ("reports.accepted.01.00071", b'{"status": "accepted"}'),
        )

    assert rollups.applied == [verdict()]
    [letter] = dead
    assert letter.reason == "unreadable_verdict"
    assert letter.message.data == b'{"status": "accepted"}'


async def test_the_aggregator_receives_verdicts_published_on_any_province_and_unit() -> None:
    broker = NatsBroker()
    rollups = Rollups()
    aggregator.subscribe(broker, lambda: cast(AggregationService, rollups), batch_size=16)

    async with TestNatsBroker(broker) as test_broker:
        await test_broker.publish(
            verdict().model_dump_json(),
            "reports.accepted.79.26734",
            reply_to=jetstream_reply(3, durable="aggregator"),
        )
        await test_broker.publish(verdict().model_dump_json(), "reports.rejected.79.26734")

    assert rollups.applied == [verdict()]  # the rejected one went to nobody here


class Notices:
    def __init__(self) -> None:
        self.accepted: list[Collection[tuple[str, str, str]]] = []
        self.rejected: list[Sequence[Verdict]] = []
        self.carriers: list[Mapping[str, Mapping[str, str]]] = []

    async def on_accepted(self, reported: Collection[tuple[str, str, str]]) -> int:
        self.accepted.append(reported)
        return 0

    async def on_rejected(
        self, verdicts: Sequence[Verdict], carriers: Mapping[str, Mapping[str, str]]
    ) -> None:
        self.rejected.append(verdicts)
        self.carriers.append(carriers)


async def test_the_notifier_cancels_reminders_and_explains_rejections() -> None:
    broker = NatsBroker()
    notices = Notices()
    notifier.subscribe(broker, lambda: cast(NotificationService, notices), batch_size=16)
    rejected = verdict("rejected", reasons=[Reason(code="late", message="trễ", message_en="late")])

    async with TestNatsBroker(broker) as test_broker:
        await test_broker.publish(
            verdict().model_dump_json(),
            "reports.accepted.01.00070",
            reply_to=jetstream_reply(1, durable="notifier-accepted"),
        )
        await test_broker.publish(
            rejected.model_dump_json(),
            "reports.rejected.01.00070",
            reply_to=jetstream_reply(2, durable="notifier-rejected"),
        )

    assert notices.accepted == [{("00070", "kl226-quarterly", "2026-Q4")}]
    assert notices.rejected == [[rejected]]
    assert list(notices.carriers[0]) == ["s-1"]
