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
    catalog_dir: str | None = Field(default=None, alias="BAOCAO_CATALOG_DIR")
