"""What every page and fragment shares: templates with the person's language, the signed-in
person, CSRF checks, and a service's refusal shown as a page with the service's own status."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from services.web.adapters.oidc import OidcClient
from services.web.adapters.services_api import ServicesApi
from services.web.domain import formatting, keying
from services.web.entrypoints.session import (
    CSRF_FIELD,
    CSRF_HEADER,
    LANGUAGE_COOKIE,
    Session,
    SessionCookies,
    csrf_matches,
)
from services.web.settings import WebSettings
from services.web.texts import translate
from services.web.usecases.catalog import CatalogReader
from services.web.usecases.ports import ServiceRefused
from services.web.usecases.signing_in import SigningIn
from shared.identity.verifier import TokenVerifier

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"


class SignInNeeded(Exception):
    """No valid session: a page redirects to sign-in, a fragment asks htmx to."""


class CsrfMismatch(Exception):
    """A form or fragment request without this session's CSRF token."""


@dataclass
class WebContext:
    """The composition root's parts, kept on ``app.state.web``."""

    settings: WebSettings
    api: ServicesApi
    catalog: CatalogReader
    signing_in: SigningIn
    cookies: SessionCookies
    templates: Jinja2Templates
    verifier: TokenVerifier
    oidc: OidcClient | None = None


def web(request: Request) -> WebContext:
    context: WebContext = request.app.state.web
    return context


def lang_of(request: Request) -> formatting.Language:
    return formatting.language(request.cookies.get(LANGUAGE_COOKIE))


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    environment = templates.env
    environment.filters["period_name"] = formatting.period_name
    environment.filters["day"] = formatting.day
    environment.filters["day_and_time"] = formatting.day_and_time
    environment.filters["time_and_day"] = formatting.time_and_day
    environment.filters["person"] = keying.person_shown
    environment.globals["CSRF_FIELD"] = CSRF_FIELD
    environment.globals["CSRF_HEADER"] = CSRF_HEADER
    return templates


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """``template`` with the person's language: ``t(key)``, ``num(value)``, ``pct(value)``,
    and ``session`` (None when signed out)."""
    lang = lang_of(request)
    session: Session | None = getattr(request.state, "session", None)
    values: dict[str, Any] = {
        "lang": lang,
        "t": lambda key, **kw: translate(key, lang, **kw),
        "num": lambda value, places=2: formatting.number(value, lang, places),
        "pct": lambda value: formatting.percent(value, lang),
        "period_name": lambda label: formatting.period_name(label, lang),
        "stage_when": lambda stage: formatting.stage_when(stage, lang),
        "session": session,
        "csrf": session.csrf if session else "",
    }
    values.update(context or {})
    return web(request).templates.TemplateResponse(
        request, template, values, status_code=status_code, headers=dict(headers or {})
    )


def is_fragment(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


async def signed_in(request: Request) -> Session:
    """The person behind this request, their token refreshed if it nears its end; the
    refreshed session is written back by the session middleware."""
    session: Session | None = getattr(request.state, "session", None)
    if session is None:
        raise SignInNeeded()
    return session


async def checked_csrf(request: Request) -> Session:
    """A state-changing request: signed in, and carrying this session's CSRF token (a form
    field, or the header htmx sends)."""
    session = await signed_in(request)
    submitted = request.headers.get(CSRF_HEADER)
    if submitted is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        submitted = value if isinstance(value, str) else None
    if not csrf_matches(session, submitted):
        raise CsrfMismatch()
    return session


def sign_in_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"/sign-in?next={target}" if target not in ("/", "/sign-in") else "/sign-in"
    if is_fragment(request):
        return Response(status_code=401, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


def refusal_page(request: Request, refused: ServiceRefused) -> Response:
    template = "fragments/error.html" if is_fragment(request) else "error.html"
    return render(
        request,
        template,
        {"status": refused.status, "reason": refused.reason, "detail": refused.detail},
        status_code=refused.status,
    )
