from __future__ import annotations

from pydantic import Field

from shared.settings import CommonSettings


class AggregatorSettings(CommonSettings):
    host: str = Field(default="127.0.0.1", alias="AGGREGATOR_HOST")
    port: int = Field(default=8081, alias="AGGREGATOR_PORT")
    batch_size: int = Field(default=256, alias="AGGREGATOR_BATCH_SIZE")
    gauge_seconds: float = Field(
        default=15.0,
        alias="AGGREGATOR_GAUGE_SECONDS",
        description="How often the completeness gauges on /metrics are refreshed.",
    )
