"""The web app's composition root: settings in, one FastAPI app out."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware

from services.web import production
from services.web.adapters.account_file import AccountFile
from services.web.adapters.oidc import OidcClient
from services.web.adapters.passwords import Argon2Passwords
from services.web.adapters.person_tokens import LocalPersonTokens
from services.web.adapters.services_api import ServicesApi
from services.web.entrypoints import (
    commune,
    device,
    exports,
    national,
    offline,
    oidc,
    province,
    signing_in,
)
from services.web.entrypoints.frame import add_frame
from services.web.entrypoints.pages import STATIC, WebContext, make_templates, render
from services.web.entrypoints.session import SessionCookies, session_secret
from services.web.settings import WebSettings
from services.web.usecases.catalog import CatalogReader
from services.web.usecases.signing_in import SigningIn
from shared import metrics
from shared.http_observability import TELEMETRY, RequestMetrics
from shared.identity import verifier_from
from shared.identity.issuer import LocalIssuer


class WebApp:
    def __init__(self, settings: WebSettings, api: ServicesApi | None = None) -> None:
        production.check(settings)
        self.settings = settings
        self.api = api or ServicesApi(
            intake=settings.intake_url,
            aggregator=settings.aggregator_url,
            validator=settings.validator_url,
            notifier=settings.notifier_url,
        )
        issuer = LocalIssuer(
            Path(settings.identity_dir),
            settings.token_issuer,
            settings.token_audience,
        )
        self.signing_in = SigningIn(
            accounts=AccountFile(settings.accounts_path),
            passwords=Argon2Passwords(),
            tokens=LocalPersonTokens(issuer),
        )
        self.context = WebContext(
            settings=settings,
            api=self.api,
            catalog=CatalogReader(self.api),
            signing_in=self.signing_in,
            cookies=SessionCookies(
                session_secret(settings.session_secret_path),
                secure=settings.secure_cookies,
                max_age_seconds=int(settings.session_hours * 3600),
            ),
            templates=make_templates(),
            verifier=verifier_from(settings),
            oidc=_oidc_client(settings),
        )

    def app(self) -> FastAPI:
        @contextlib.asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            yield
            await self.api.close()

        app = FastAPI(
            title="Baocao web",
            lifespan=lifespan,
            telemetry=TELEMETRY,
            docs_url=None,
            redoc_url=None,
            openapi_url=None,
        )
        app.state.web = self.context
        add_frame(app)
        app.add_middleware(GZipMiddleware, minimum_size=1024)
        app.add_middleware(RequestMetrics)
        app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
        app.include_router(signing_in.router)
        app.include_router(oidc.router)
        app.include_router(offline.router)
        app.include_router(device.router)
        for area in (national, province, commune, exports):
            app.include_router(area.router)
        _add_errors(app)
        _add_health(app)
        return app


def _oidc_client(settings: WebSettings) -> OidcClient | None:
    if settings.oidc_client_id is None or settings.oidc_issuer is None:
        return None
    secret = None
    if settings.oidc_client_secret_file:
        secret = Path(settings.oidc_client_secret_file).read_text(encoding="utf-8").strip()
    return OidcClient(
        issuer=settings.oidc_issuer,
        client_id=settings.oidc_client_id,
        client_secret=secret,
        redirect_uri=f"{settings.base_url}/sign-in/oidc/callback",
        scopes=settings.oidc_scopes,
    )


def _add_errors(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        reason = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "error")
        return render(
            request,
            "error.html",
            {"status": error.status_code, "reason": reason, "detail": ""},
            status_code=error.status_code,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        fields = ", ".join(str(e.get("loc", ["?"])[-1]) for e in error.errors())
        return render(
            request,
            "error.html",
            {"status": 400, "reason": "invalid_request", "detail": fields},
            status_code=400,
        )


def _add_health(app: FastAPI) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        # Ready when it can serve pages; a service it calls being down shows on the page.
        return JSONResponse({"ready": True, "checks": {}})

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)
