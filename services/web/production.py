"""What ``BAOCAO_ENV=production`` refuses in the web app, listed at once (as
``shared/production.py`` does for the services).

The web app holds no NATS user and no database login, so those checks do not apply; what
matters here is how people sign in and how their sessions travel.
"""

from __future__ import annotations

from pathlib import PurePath

from services.web.settings import WebSettings
from shared.production import DEVELOPMENT_DIRECTORY, RefusedToStart


def problems(settings: WebSettings) -> list[str]:
    if settings.environment != "production":
        return []
    found = []
    if settings.local_accounts:
        found.append(
            "WEB_LOCAL_ACCOUNTS is on: local accounts need the token issuer's private keys"
            " beside the web app; sign people in through the provider (WEB_OIDC_CLIENT_ID)"
        )
    if not settings.oidc_enabled:
        found.append("WEB_OIDC_CLIENT_ID and BAOCAO_OIDC_ISSUER are needed to sign people in")
    elif not str(settings.oidc_issuer).startswith("https://"):
        found.append("BAOCAO_OIDC_ISSUER is not https")
    if not settings.base_url.startswith("https://"):
        found.append("WEB_PUBLIC_URL is not https: session cookies would travel in clear")
    if DEVELOPMENT_DIRECTORY in PurePath(settings.session_secret_path).parts:
        found.append(
            f"WEB_SESSION_SECRET_FILE is under {DEVELOPMENT_DIRECTORY}/: give every replica the"
            " same secret from the secret store"
        )
    return found


def check(settings: WebSettings) -> None:
    found = problems(settings)
    if found:
        raise RefusedToStart(found)
