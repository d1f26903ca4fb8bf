"""The subscribers the services declare: documented, provisioned, bound and acknowledged as
ops and the AsyncAPI document say."""

from __future__ import annotations

import json

import pytest
from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, PullSub
from faststream.specification import AsyncAPI

from baocao import asyncapi, nats_provisioning
from services.aggregator.bootstrap import Aggregator
from services.aggregator.settings import AggregatorSettings
from services.notifier.bootstrap import Notifier
from services.notifier.settings import NotifierSettings
from services.validator.bootstrap import Validator
from services.validator.settings import ValidatorSettings
from shared.consuming import Batch, BatchSubscriber, DeadLetter
from shared.schemas import Verdict


def declared() -> dict[str, BatchSubscriber]:
    """Every subscriber the services declare, by durable, built as their bootstraps build them
    (declaring connects nothing)."""
    subscribers = [
        Validator(ValidatorSettings()).consumer,
        Aggregator(AggregatorSettings()).consumer,
        *Notifier(NotifierSettings()).consumers,
    ]
    return {s.durable: s for s in subscribers}


def test_ops_provisions_exactly_the_durables_the_services_bind_to() -> None:
    assert {d.name for d in nats_provisioning.DURABLES} == set(declared())


@pytest.mark.parametrize("durable", nats_provisioning.DURABLES, ids=lambda d: d.name)
def test_each_durable_is_provisioned_as_its_subscriber_declares_it(
    durable: nats_provisioning.Durable,
) -> None:
    subscriber = declared()[durable.name]

    assert subscriber.config == nats_provisioning.durable_config(durable, 256)
    assert subscriber.stream.name == durable.stream
    assert subscriber.filter_subject == durable.filter_subject


def test_every_subscriber_pulls_batches_and_leaves_acknowledgement_to_the_settlement() -> None:
    for subscriber in declared().values():
        assert subscriber.pull_sub.batch
        assert subscriber.pull_sub.batch_size == 256
        # FastStream's default, REJECT_ON_ERROR, would terminate a message on an outage.
        assert subscriber.ack_policy is AckPolicy.MANUAL
        assert subscriber.stream.declare is False  # ops creates streams, not services


def test_the_asyncapi_document_is_generated_from_the_subscribers_the_services_run() -> None:
    document = json.loads(asyncapi.document())

    for subscriber in declared().values():
        key = f"{subscriber.durable}: {subscriber.topic}"
        assert document["channels"][key]["address"] == f"{subscriber.topic}.{{province}}.{{unit}}"
        assert document["operations"][key]["action"] == "receive"
        handler = next(iter(subscriber.calls)).handler._original_call
        assert document["channels"][key]["description"] == " ".join(
            (handler.__doc__ or "-").split()
        )


def test_a_batch_handler_documents_the_one_event_each_message_carries() -> None:
    messages = json.loads(asyncapi.document())["components"]["messages"]

    assert messages["validator: reports.submitted:SubscribeMessage"]["payload"] == {
        "$ref": "#/components/schemas/Submission"
    }
    for durable in ("aggregator", "notifier-accepted"):
        payload = messages[f"{durable}: reports.accepted:SubscribeMessage"]["payload"]
        assert payload == {"$ref": "#/components/schemas/Verdict"}


@pytest.mark.xfail(strict=True, reason="FastStream 0.7.8 documents the first definition: Reason")
def test_stock_faststream_documents_a_batch_of_verdicts_as_a_verdict() -> None:
    broker = NatsBroker()

    @broker.subscriber(
        "reports.accepted.{province}.{unit}",
        stream=JStream("REPORTS", declare=False),
        pull_sub=PullSub(16, batch=True),
        title="stock",
    )
    async def stock(accepted: Batch[Verdict]) -> list[DeadLetter]:
        return []

    document = AsyncAPI(broker, schema_version="3.0.0").to_specification().to_jsonable()
    payload = document["components"]["messages"]["stock:SubscribeMessage"]["payload"]
    assert payload == {"$ref": "#/components/schemas/Verdict"}
