from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, Field

from shared.settings import CommonSettings


class ValidatorSettings(CommonSettings):
    host: str = Field(default="127.0.0.1", alias="VALIDATOR_HOST")
    port: int = Field(default=8082, alias="VALIDATOR_PORT")
    batch_size: int = Field(default=256, alias="VALIDATOR_BATCH_SIZE")
    signatures_required_from: AwareDatetime = Field(
        default=datetime.fromisoformat("2027-07-01T00:00:00+07:00"),
        alias="VALIDATOR_SIGNATURES_REQUIRED_FROM",
        description="From when a report without its unit's signature is refused (by receipt"
        " time); a unit's own date in unit_signature_policy overrides it (docs/signatures.md).",
    )
    signatures_notice_days: int = Field(
        default=90,
        ge=0,
        alias="VALIDATOR_SIGNATURES_NOTICE_DAYS",
        description="How long before a unit's date an unsigned report is accepted with a"
        " signature_missing warning.",
    )
    edge_watch_seconds: float = Field(
        default=5.0,
        ge=0,
        alias="VALIDATOR_EDGE_WATCH_SECONDS",
        description="How often the validator looks at the landing streams to record which"
        " edges the hub hears nothing from (docs/weak-networks.md); 0: never (no signed time is"
        " honoured).",
    )
