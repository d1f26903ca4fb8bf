from __future__ import annotations

from pydantic import Field

from shared.settings import CommonSettings


class AggregatorSettings(CommonSettings):
    host: str = Field(default="127.0.0.1", alias="AGGREGATOR_HOST")
    port: int = Field(default=8081, alias="AGGREGATOR_PORT")
    batch_size: int = Field(default=256, alias="AGGREGATOR_BATCH_SIZE")
    partitions: int = Field(
        default=4,
        ge=1,
        le=8,
        alias="AGGREGATOR_PARTITIONS",
        description="Each batch is split by province into this many partitions, applied in"
        " parallel, one transaction and pool connection each (a province always in the same"
        " one); at most 8, so that the pool of 10 keeps connections for reads.",
    )
    gauge_seconds: float = Field(
        default=15.0,
        alias="AGGREGATOR_GAUGE_SECONDS",
        description="How often the completeness gauges on /metrics are refreshed.",
    )
    feed_heartbeat_seconds: float = Field(
        default=15.0,
        gt=0,
        alias="AGGREGATOR_FEED_HEARTBEAT_SECONDS",
        description="How long a live-feed (Server-Sent Events) stream may stay silent before a"
        " comment line is sent, so that proxies keep it open.",
    )
    feed_max_clients: int = Field(
        default=200,
        ge=1,
        alias="AGGREGATOR_FEED_MAX_CLIENTS",
        description="Live-feed streams served at once by one replica (each holds an ephemeral"
        " consumer on NATS); more get 503 too_many_clients.",
    )
