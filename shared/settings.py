"""Settings every service shares; each service extends this with its own class."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    nats_url: str = Field(default="nats://127.0.0.1:4222", alias="NATS_URL")
    nats_creds: str | None = Field(
        default=None,
        alias="NATS_CREDS",
        description="This service's NATS user: a .creds file (JWT and seed) from `baocao nats`.",
    )
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
        " a production cluster (applied by ops' `baocao nats provision`).",
    )
    environment: Literal["development", "production"] = Field(
        default="development",
        alias="BAOCAO_ENV",
        description="'production' refuses development keys, default secrets and plaintext links.",
    )
    identity_dir: str = Field(
        default=".run/identity",
        alias="BAOCAO_IDENTITY_DIR",
        description="Baocao's own token issuer: its JWKS and revocation list (signing keys too,"
        " where `baocao token` runs).",
    )
    token_issuer: str = Field(default="urn:baocao:local", alias="BAOCAO_TOKEN_ISSUER")
    token_audience: str = Field(default="baocao", alias="BAOCAO_TOKEN_AUDIENCE")
    jwks: str | None = Field(
        default=None,
        alias="BAOCAO_JWKS",
        description="The own issuer's public keys: a file path or an https URL (default"
        " <BAOCAO_IDENTITY_DIR>/jwks.json).",
    )
    revocations: str | None = Field(
        default=None,
        alias="BAOCAO_REVOCATIONS",
        description="Revoked token ids and subjects, re-read when it changes (default"
        " <BAOCAO_IDENTITY_DIR>/revocations.json).",
    )
    oidc_issuer: str | None = Field(
        default=None,
        alias="BAOCAO_OIDC_ISSUER",
        description="An OpenID Connect provider whose tokens are accepted too (its `iss`).",
    )
    oidc_jwks_url: str | None = Field(default=None, alias="BAOCAO_OIDC_JWKS_URL")
    oidc_audience: str = Field(default="baocao", alias="BAOCAO_OIDC_AUDIENCE")
    oidc_unit_claim: str = Field(default="baocao_unit", alias="BAOCAO_OIDC_UNIT_CLAIM")
    oidc_roles_claim: str = Field(default="realm_access.roles", alias="BAOCAO_OIDC_ROLES_CLAIM")
    oidc_role_prefix: str = Field(default="baocao-", alias="BAOCAO_OIDC_ROLE_PREFIX")
    max_body_bytes: int = Field(
        default=256 * 1024,
        alias="BAOCAO_MAX_BODY_BYTES",
        description="Request bodies over this are refused (413) before anything parses them.",
    )
    otlp_endpoint: str | None = Field(
        default=None,
        alias="OTEL_EXPORTER_OTLP_ENDPOINT",
        description="Where traces go over OTLP/HTTP (the exporter reads the other OTEL_*"
        " variables itself); unset, spans are kept for log correlation and not exported.",
    )
