"""Wires the aggregator: consumer of accepted reports, the live feed, the Central read API and
its exports."""

from __future__ import annotations

from fastapi import FastAPI

from services.aggregator.adapters.approval_status import ApprovalStatus
from services.aggregator.adapters.feed_publisher import FeedPublisher
from services.aggregator.adapters.rollup_store import RollupStore
from services.aggregator.entrypoints import consumer, exports, feed, http
from services.aggregator.entrypoints.gauges import CompletenessGauges
from services.aggregator.service import AggregationService
from services.aggregator.settings import AggregatorSettings
from services.aggregator.views import RollupViews
from shared.clock import Clock
from shared.consuming import BatchConsumer
from shared.registry.store import load_registry
from shared.runtime import Runtime, load_catalog, make_broker, service_app


class Aggregator:
    def __init__(self, settings: AggregatorSettings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.runtime = Runtime(settings, make_broker(settings))
        if clock is not None:
            self.runtime.clock = clock
        self.catalog = load_catalog(settings)
        self.consumer: BatchConsumer | None = None
        self.gauges: CompletenessGauges | None = None
        self.views: RollupViews | None = None
        self.approvals: ApprovalStatus | None = None
        self.service: AggregationService | None = None

    async def start(self) -> None:
        await self.runtime.open()
        registry = await load_registry(self.runtime.db)
        store = RollupStore(self.runtime.db)
        self.views = RollupViews(self.catalog, registry, store)
        self.approvals = ApprovalStatus(self.runtime.db)
        publisher = FeedPublisher(
            lambda: self.runtime.js,
            self.views.summaries,
            self.runtime.clock,
        )
        service = AggregationService(
            catalog=self.catalog,
            registry=registry,
            clock=self.runtime.clock,
            store=store,
            on_change=publisher.publish,
            partitions=self.settings.partitions,
        )
        self.service = service
        self.consumer = consumer.build(service, batch_size=self.settings.batch_size)
        await self.consumer.start(self.runtime.js)
        self.runtime.consumers.append(self.consumer)
        self.gauges = CompletenessGauges(service, self.settings.gauge_seconds)
        self.gauges.start()

    def _views(self) -> RollupViews:
        assert self.views is not None, "the aggregator has not started"
        return self.views

    def _approvals(self) -> ApprovalStatus:
        assert self.approvals is not None, "the aggregator has not started"
        return self.approvals

    async def stop(self) -> None:
        if self.gauges is not None:
            await self.gauges.stop()
        if self.consumer is not None:
            await self.consumer.stop()
        await self.runtime.close()

    def app(self) -> FastAPI:
        app = service_app("Baocao Central read API", self.runtime, self.start, self.stop)
        app.include_router(http.routes(self._views))
        app.include_router(
            feed.routes(
                self._views,
                lambda: self.runtime.js,
                feed.FeedSettings(
                    heartbeat_seconds=self.settings.feed_heartbeat_seconds,
                    max_clients=self.settings.feed_max_clients,
                ),
            )
        )
        app.include_router(exports.routes(self._views, self._approvals, lambda: self.runtime.clock))
        http.add_error_handlers(app)
        return app
