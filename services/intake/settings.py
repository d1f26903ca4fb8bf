from __future__ import annotations

from pydantic import Field

from shared.settings import CommonSettings

__all__ = ["IntakeSettings"]


class IntakeSettings(CommonSettings):
    host: str = Field(default="127.0.0.1", alias="INTAKE_HOST")
    port: int = Field(default=8080, alias="INTAKE_PORT")
    max_body_bytes: int = Field(default=64 * 1024, alias="INTAKE_MAX_BODY_BYTES")
