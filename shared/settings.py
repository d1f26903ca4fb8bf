"""Settings every service shares; each service extends this with its own class."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    nats_url: str = Field(default="nats://127.0.0.1:4222", alias="NATS_URL")
    database_url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/baocao", alias="DATABASE_URL"
    )
    clock: Literal["system", "shared"] = Field(
        default="system",
        alias="BAOCAO_CLOCK",
        description="'shared' follows the schedule in the BAOCAO_CLOCK key-value bucket"
        " (tests and the simulated round move time there); never use it in production.",
    )
    log_level: str = Field(default="INFO", alias="BAOCAO_LOG_LEVEL")
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto",
        alias="BAOCAO_LOG_FORMAT",
        description="'auto' is readable text in a terminal and JSON lines anywhere else.",
    )
    catalog_dir: str | None = Field(default=None, alias="BAOCAO_CATALOG_DIR")
    stream_replicas: int = Field(
        default=1,
        ge=1,
        le=5,
        alias="BAOCAO_STREAM_REPLICAS",
        description="Servers each JetStream stream is kept on: 1 for a single nats-server, 3 on"
        " a production cluster.",
    )
    otlp_endpoint: str | None = Field(
        default=None,
        alias="OTEL_EXPORTER_OTLP_ENDPOINT",
        description="Where traces go over OTLP/HTTP (the exporter reads the other OTEL_*"
        " variables itself); unset, spans are kept for log correlation and not exported.",
    )
