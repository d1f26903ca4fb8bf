from __future__ import annotations

from pydantic import Field

from shared.settings import CommonSettings


class NotifierSettings(CommonSettings):
    host: str = Field(default="127.0.0.1", alias="NOTIFIER_HOST")
    port: int = Field(default=8083, alias="NOTIFIER_PORT")
    tick_seconds: float = Field(default=30.0, alias="NOTIFIER_TICK_SECONDS")
    reminder_lead_days: int = Field(default=3, alias="NOTIFIER_REMINDER_LEAD_DAYS")
    escalation_window_days: int = Field(default=30, alias="NOTIFIER_ESCALATION_WINDOW_DAYS")
    batch_size: int = Field(default=256, alias="NOTIFIER_BATCH_SIZE")
