from __future__ import annotations

from pydantic import Field, SecretStr, field_validator, model_validator

from services.notifier.domain.delivery import QuietHours
from services.notifier.domain.webhook_targets import WebhookPolicy
from shared.settings import CommonSettings
from shared.subjects import DUPLICATE_WINDOW


class NotifierSettings(CommonSettings):
    host: str = Field(default="127.0.0.1", alias="NOTIFIER_HOST")
    port: int = Field(default=8083, alias="NOTIFIER_PORT")
    tick_seconds: float = Field(
        default=30.0,
        alias="NOTIFIER_TICK_SECONDS",
        description="How often the reminder policy is checked for notices to schedule.",
    )
    relay_seconds: float = Field(
        default=1.0,
        gt=0,
        alias="NOTIFIER_RELAY_SECONDS",
        description="How often due deliveries (new, retried, after quiet hours) are sent.",
    )
    batch_size: int = Field(
        default=256,
        gt=0,
        alias="NOTIFIER_BATCH_SIZE",
        description="How many verdicts a consumer fetches at once, and how many deliveries a"
        " relay claims at once (the rest stay free for other replicas).",
    )
    catch_up_days: int = Field(
        default=2,
        ge=0,
        le=30,
        alias="NOTIFIER_CATCH_UP_DAYS",
        description="A policy step missed (the notifier was down on its day) is still sent"
        " this many calendar days later.",
    )
    quiet_hours: str = Field(
        default="21:00-07:00",
        alias="NOTIFIER_QUIET_HOURS",
        description="Vietnam time, HH:MM-HH:MM: no e-mail is sent inside it (NATS and webhooks"
        " are machines and are not held back). Equal ends: no quiet hours.",
    )
    lease_seconds: float = Field(
        default=30.0,
        alias="NOTIFIER_LEASE_SECONDS",
        description="How long a replica holds the deliveries it claimed; a killed replica's"
        " claims are taken over after it. Must stay under the NATS duplicate window.",
    )
    send_timeout_seconds: float = Field(default=10.0, gt=0, alias="NOTIFIER_SEND_TIMEOUT_SECONDS")
    send_concurrency: int = Field(default=8, ge=1, le=256, alias="NOTIFIER_SEND_CONCURRENCY")
    max_attempts: int = Field(
        default=6,
        ge=1,
        le=50,
        alias="NOTIFIER_MAX_ATTEMPTS",
        description="E-mail and webhook attempts before a delivery is dead-lettered.",
    )
    backoff_base_seconds: float = Field(default=2.0, gt=0, alias="NOTIFIER_BACKOFF_BASE_SECONDS")
    backoff_cap_seconds: float = Field(default=600.0, gt=0, alias="NOTIFIER_BACKOFF_CAP_SECONDS")
    smtp_host: str | None = Field(
        default=None,
        alias="NOTIFIER_SMTP_HOST",
        description="The SMTP relay; unset, no e-mail is scheduled (NATS and webhooks only).",
    )
    smtp_port: int = Field(default=25, alias="NOTIFIER_SMTP_PORT")
    smtp_username: str | None = Field(default=None, alias="NOTIFIER_SMTP_USERNAME")
    smtp_password: str | None = Field(default=None, alias="NOTIFIER_SMTP_PASSWORD")
    smtp_tls: str = Field(
        default="starttls-if-offered",
        pattern="^(none|starttls|starttls-if-offered|tls)$",
        alias="NOTIFIER_SMTP_TLS",
    )
    mail_from: str = Field(default="Baocao <no-reply@baocao.gov.vn>", alias="NOTIFIER_MAIL_FROM")
    submit_url: str = Field(
        default="http://127.0.0.1:8080/v1/submissions",
        alias="NOTIFIER_SUBMIT_URL",
        description="Where the messages tell units to submit (intake's public address).",
    )
    webhook_allow: str = Field(
        default="",
        alias="NOTIFIER_WEBHOOK_ALLOW",
        description="Comma-separated CIDRs and host names webhooks may reach although private"
        " or loopback (tests, closed networks).",
    )
    secrets_key: SecretStr | None = Field(
        default=None,
        alias="NOTIFIER_SECRETS_KEY",
        description="Fernet keys that encrypt webhook secrets at rest; comma-separated, newest"
        " first.",
    )
    secrets_key_file: str = Field(
        default=".run/notifier-secrets.key",
        alias="NOTIFIER_SECRETS_KEY_FILE",
        description="Development only: a key generated once and kept here when"
        " NOTIFIER_SECRETS_KEY is unset.",
    )

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours_parse(cls, value: str) -> str:
        QuietHours.parse(value)
        return value

    @field_validator("webhook_allow")
    @classmethod
    def _allow_list_parses(cls, value: str) -> str:
        WebhookPolicy.parse(value)
        return value

    def webhook_policy(self) -> WebhookPolicy:
        """BAOCAO_ENV=production: https only."""
        return WebhookPolicy.parse(self.webhook_allow, https_only=self.environment == "production")

    @model_validator(mode="after")
    def _production_has_a_secrets_key(self) -> NotifierSettings:
        # A generated key file is for a developer's machine: replicas would each make their own.
        if self.environment == "production" and not (
            self.secrets_key and self.secrets_key.get_secret_value()
        ):
            raise ValueError("NOTIFIER_SECRETS_KEY must be set when BAOCAO_ENV=production")
        return self

    @model_validator(mode="after")
    def _lease_fits(self) -> NotifierSettings:
        # A NATS resend after a lease expires must fall inside the duplicate window (the stream
        # drops it); and a lease must outlast one send, renewed before each.
        if (
            not 2 * self.send_timeout_seconds
            <= self.lease_seconds
            < DUPLICATE_WINDOW.total_seconds()
        ):
            raise ValueError(
                "NOTIFIER_LEASE_SECONDS must be at least twice NOTIFIER_SEND_TIMEOUT_SECONDS and"
                f" under the duplicate window ({DUPLICATE_WINDOW.total_seconds():.0f} s)"
            )
        return self
