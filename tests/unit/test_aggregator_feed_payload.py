"""The live feed's message is the typed ``RollupUpdate`` the AsyncAPI document declares: a
rollup summary as the read API shows it, plus ``updated_at``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from faststream.nats import NatsBroker
from faststream.specification import AsyncAPI
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from pydantic import TypeAdapter

from baocao import asyncapi
from services.aggregator.adapters.feed_publisher import FeedPublisher
from services.aggregator.entrypoints.bodies import RollupUpdate, feed_summaries
from shared.clock import FixedClock
from tests.unit.test_aggregator_usecases import HA_NOI, HOAN_KIEM, KL226, Q4, System, verdict

NOW = datetime(2026, 12, 10, 3, tzinfo=UTC)


class RecordingJetStream:
    """Just enough of a JetStream context for the publisher: every subject starts empty."""

    def __init__(self) -> None:
        self.published: dict[str, bytes] = {}

    async def get_last_msg(self, stream: str, subject: str) -> Any:
        raise NotFoundError

    async def publish(self, subject: str, payload: bytes, **options: Any) -> None:
        self.published[subject] = payload


async def test_each_published_update_is_a_rollup_update_with_when_it_was_published() -> None:
    system = System()
    await system.aggregation.apply([verdict(HOAN_KIEM)])
    js = RecordingJetStream()
    publisher = FeedPublisher(
        lambda: cast(JetStreamContext, js),
        feed_summaries(system.rollups.summaries),
        FixedClock(NOW),
    )

    await publisher.publish([(KL226, Q4, HA_NOI)])

    assert set(js.published) == {
        f"rollups.updated.{KL226}.{Q4}.{HA_NOI}",
        f"rollups.updated.{KL226}.{Q4}.VN",
    }
    for payload in js.published.values():
        update = TypeAdapter(RollupUpdate).validate_json(payload, strict=True)
        assert update["updated_at"] == "2026-12-10T03:00:00Z"
    hanoi = json.loads(js.published[f"rollups.updated.{KL226}.{Q4}.{HA_NOI}"])
    assert (hanoi["unit"], hanoi["values"]["docs_issued"]) == (HA_NOI, 80)


def test_the_asyncapi_document_declares_that_payload_for_rollups_updated() -> None:
    document = json.loads(asyncapi.document())
    messages = document["components"]["messages"]
    schemas = document["components"]["schemas"]

    payload = messages["aggregator: rollups.updated:Message"]["payload"]
    declared = schemas[payload["$ref"].rsplit("/", 1)[-1]]
    update = schemas[declared["$ref"].rsplit("/", 1)[-1]]
    assert update["title"] == "RollupUpdate"
    assert {"report_type", "period", "unit", "values", "updated_at"} <= set(update["required"])
    assert update["properties"]["updated_at"]["format"] == "date-time"


@pytest.mark.xfail(strict=True, reason="FastStream 0.7.8 documents the first definition")
def test_stock_faststream_documents_a_typed_dict_payload_as_itself() -> None:
    # Passes once FastStream documents a TypedDict as itself; then baocao/asyncapi.py can
    # declare RollupUpdate directly instead of its RollupUpdated model.
    broker = NatsBroker()
    broker.publisher("rollups.updated.x", schema=RollupUpdate, title="stock")

    document = AsyncAPI(broker, schema_version="3.0.0").to_specification().to_jsonable()

    payload = document["components"]["messages"]["stock:Message"]["payload"]
    assert payload == {"$ref": "#/components/schemas/RollupUpdate"}
