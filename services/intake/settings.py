from __future__ import annotations

from pydantic import Field

from shared.settings import CommonSettings
from shared.tokens import DEVELOPMENT_SECRET

__all__ = ["DEVELOPMENT_SECRET", "IntakeSettings"]


class IntakeSettings(CommonSettings):
    host: str = Field(default="127.0.0.1", alias="INTAKE_HOST")
    port: int = Field(default=8080, alias="INTAKE_PORT")
    token_secret: str = Field(default=DEVELOPMENT_SECRET, alias="BAOCAO_TOKEN_SECRET")
    max_body_bytes: int = Field(default=64 * 1024, alias="INTAKE_MAX_BODY_BYTES")
