"""Wires the aggregator: consumer of accepted reports, the live feed, the Central read API and
its exports."""

from __future__ import annotations

from fastapi import FastAPI

from services.aggregator.adapters.approval_status import ApprovalStatus
from services.aggregator.adapters.feed_publisher import FeedPublisher, Summaries
from services.aggregator.adapters.rollup_store import RollupStore
from services.aggregator.adapters.totals_cache import InMemoryTotals
from services.aggregator.entrypoints import consumer, exports, feed, http
from services.aggregator.entrypoints.bodies import feed_summaries
from services.aggregator.entrypoints.gauges import CompletenessGauges
from services.aggregator.entrypoints.http import Readers
from services.aggregator.settings import AggregatorSettings
from services.aggregator.usecases.aggregation import AggregationService
from services.aggregator.usecases.read_lists import UnitListReader
from services.aggregator.usecases.read_rollups import RollupReader
from shared.catalog import Catalog
from shared.clock import Clock
from shared.registry import Registry
from shared.registry.store import load_registry
from shared.runtime import Runtime, load_catalog, make_broker, service_app


def feed_summaries_of(catalog: Catalog, registry: Registry, store: RollupStore) -> Summaries:
    """What the live feed publishes, read as the read API reads it (for ``baocao rebuild``)."""
    return feed_summaries(RollupReader(catalog, registry, store, InMemoryTotals()).summaries)


class Aggregator:
    def __init__(self, settings: AggregatorSettings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.runtime = Runtime(settings, make_broker(settings))
        if clock is not None:
            self.runtime.clock = clock
        self.catalog = load_catalog(settings)
        self.gauges: CompletenessGauges | None = None
        self.readers: Readers | None = None
        self.summaries: Summaries | None = None  # what the live feed publishes
        self.approvals: ApprovalStatus | None = None
        self.service: AggregationService | None = None
        self.consumer = consumer.subscribe(
            self.runtime.broker, lambda: self.service, batch_size=settings.batch_size
        )

    async def start(self) -> None:
        await self.runtime.open()
        registry = await load_registry(self.runtime.db)
        store = RollupStore(self.runtime.db)
        reader = RollupReader(self.catalog, registry, store, InMemoryTotals())
        self.readers = Readers(reader, UnitListReader(self.catalog, registry, store))
        self.approvals = ApprovalStatus(self.runtime.db)
        self.summaries = feed_summaries(reader.summaries)
        publisher = FeedPublisher(lambda: self.runtime.js, self.summaries, self.runtime.clock)
        service = AggregationService(
            catalog=self.catalog,
            registry=registry,
            clock=self.runtime.clock,
            store=store,
            on_change=publisher.publish,
            partitions=self.settings.partitions,
        )
        self.service = service
        await self.consumer.start()
        self.runtime.consumers.append(self.consumer)
        self.gauges = CompletenessGauges(service, self.settings.gauge_seconds)
        self.gauges.start()

    def _readers(self) -> Readers:
        assert self.readers is not None, "the aggregator has not started"
        return self.readers

    def _reader(self) -> RollupReader:
        return self._readers().rollups

    def _approvals(self) -> ApprovalStatus:
        assert self.approvals is not None, "the aggregator has not started"
        return self.approvals

    async def stop(self) -> None:
        if self.gauges is not None:
            await self.gauges.stop()
        await self.consumer.stop()
        await self.runtime.close()

    def app(self) -> FastAPI:
        app = service_app("Baocao Central read API", self.runtime, self.start, self.stop)
        app.include_router(http.routes(self._readers))
        app.include_router(
            feed.routes(
                self._reader,
                lambda: self.runtime.js,
                feed.FeedSettings(
                    heartbeat_seconds=self.settings.feed_heartbeat_seconds,
                    max_clients=self.settings.feed_max_clients,
                ),
            )
        )
        app.include_router(
            exports.routes(self._reader, self._approvals, lambda: self.runtime.clock)
        )
        return app
