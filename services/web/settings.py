from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.settings import CommonSettings

__all__ = ["WebSettings"]

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class WebSettings(CommonSettings):
    host: str = Field(default="127.0.0.1", alias="WEB_HOST")
    port: int = Field(default=8090, alias="WEB_PORT")
    public_url: str | None = Field(
        default=None,
        alias="WEB_PUBLIC_URL",
        description="Where people reach the web app (https://baocao.example.gov.vn); default"
        " http://<WEB_HOST>:<WEB_PORT>. An https URL makes cookies Secure.",
    )
    intake_url: str = Field(default="http://127.0.0.1:8080", alias="WEB_INTAKE_URL")
    aggregator_url: str = Field(default="http://127.0.0.1:8081", alias="WEB_AGGREGATOR_URL")
    validator_url: str = Field(default="http://127.0.0.1:8082", alias="WEB_VALIDATOR_URL")
    notifier_url: str = Field(default="http://127.0.0.1:8083", alias="WEB_NOTIFIER_URL")
    accounts_file: str | None = Field(
        default=None,
        alias="WEB_ACCOUNTS_FILE",
        description="Local accounts with argon2 password hashes (default"
        " <BAOCAO_IDENTITY_DIR>/people.json), made with `baocao account`.",
    )
    session_secret_file: str | None = Field(
        default=None,
        alias="WEB_SESSION_SECRET_FILE",
        description="The key session cookies are signed with (default"
        " <BAOCAO_IDENTITY_DIR>/web-session.key, made on first start). Every replica needs the"
        " same one.",
    )
    session_hours: float = Field(default=8.0, gt=0, le=24, alias="WEB_SESSION_HOURS")
    live_throttle_seconds: float = Field(
        default=2.0,
        ge=0,
        alias="WEB_LIVE_THROTTLE_SECONDS",
        description="At most one live refresh of a page part per this many seconds.",
    )

    oidc_client_id: str | None = Field(
        default=None,
        alias="WEB_OIDC_CLIENT_ID",
        description="The web app's client at the OpenID Connect provider (BAOCAO_OIDC_ISSUER);"
        " set, the sign-in page offers the provider (authorization code flow with PKCE).",
    )
    oidc_client_secret_file: str | None = Field(
        default=None,
        alias="WEB_OIDC_CLIENT_SECRET_FILE",
        description="A confidential client's secret, in a file; unset, a public client.",
    )
    oidc_scopes: str = Field(default="openid profile", alias="WEB_OIDC_SCOPES")
    local_accounts: bool = Field(
        default=True,
        alias="WEB_LOCAL_ACCOUNTS",
        description="Offer sign-in with local accounts (the embedded default); production"
        " turns it off and signs in through the provider.",
    )

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_client_id and self.oidc_issuer)

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def secure_cookies(self) -> bool:
        """Secure cookies on https; plain http is allowed only on loopback (development)."""
        return self.base_url.startswith("https://") or self.host not in _LOOPBACK

    @property
    def accounts_path(self) -> Path:
        return Path(self.accounts_file or Path(self.identity_dir) / "people.json")

    @property
    def session_secret_path(self) -> Path:
        return Path(self.session_secret_file or Path(self.identity_dir) / "web-session.key")
