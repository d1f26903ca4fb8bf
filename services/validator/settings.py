from __future__ import annotations

from pydantic import Field

from shared.settings import CommonSettings
from shared.tokens import DEVELOPMENT_SECRET


class ValidatorSettings(CommonSettings):
    host: str = Field(default="127.0.0.1", alias="VALIDATOR_HOST")
    port: int = Field(default=8082, alias="VALIDATOR_PORT")
    batch_size: int = Field(default=256, alias="VALIDATOR_BATCH_SIZE")
    token_secret: str = Field(
        default=DEVELOPMENT_SECRET,
        alias="BAOCAO_TOKEN_SECRET",
        description="Verifies the provinces' tokens on the lock-exception API.",
    )
