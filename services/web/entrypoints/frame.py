"""The frame around the pages: the session read on every request (and its token refreshed),
security headers, errors shown as pages."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import Response

from services.web.entrypoints.pages import (
    CsrfMismatch,
    SignInNeeded,
    refusal_page,
    render,
    sign_in_redirect,
    web,
)
from services.web.entrypoints.session import Session, new_session
from services.web.usecases.ports import ServiceRefused

# Every asset is the app's own: no CDN, no inline script, no other origin (communes may sit on
# closed networks, and a page that loads nothing foreign cannot leak to it).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none';"
    " object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

Handler = Callable[[Request], Awaitable[Response]]


def _current(request: Request, session: Session) -> Session | None:
    """The session as it stands now: ended at once if the account has been disabled or
    removed, with a new token if its token nears its end."""
    if session.source == "oidc":
        return None if session.token_expired() else session
    signing_in = web(request).signing_in
    if not signing_in.active(session.username):
        return None
    if not session.token_nearly_expired():
        return session
    renewed = signing_in.refresh(session.username)
    if renewed is None:
        return None
    account = renewed.account
    fresh = new_session(account.username, account.unit, account.roles, account.name, renewed.token)
    # The CSRF token of the forms already on screen stays valid.
    return dataclasses.replace(fresh, csrf=session.csrf)


def add_frame(app: FastAPI) -> None:
    @app.middleware("http")
    async def session_and_headers(request: Request, call_next: Handler) -> Response:
        cookies = web(request).cookies
        found = cookies.load(request.cookies.get(cookies.name))
        session = _current(request, found) if found else None
        request.state.session = session
        response = await call_next(request)
        if session is not found:
            if session is None:
                response.delete_cookie(cookies.name, path="/")
            else:
                response.set_cookie(cookies.name, cookies.dump(session), **cookies.cookie_options())
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            # Pages hold a person's data: never kept by a shared cache or the back button.
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(SignInNeeded)
    async def sign_in_needed(request: Request, _: SignInNeeded) -> Response:
        return sign_in_redirect(request)

    @app.exception_handler(ServiceRefused)
    async def refused(request: Request, error: ServiceRefused) -> Response:
        if error.status == 401:
            return sign_in_redirect(request)
        return refusal_page(request, error)

    @app.exception_handler(CsrfMismatch)
    async def csrf_mismatch(request: Request, _: CsrfMismatch) -> Response:
        return render(
            request,
            "error.html",
            {"status": 403, "reason": "csrf_token_mismatch", "detail": ""},
            status_code=403,
        )
