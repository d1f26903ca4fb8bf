"""Sign in, sign out, the language switch, and the home page that sends each person to their
unit's view."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from services.web.domain import formatting
from services.web.entrypoints.offline import CLEAR_SITE_DATA
from services.web.entrypoints.pages import checked_csrf, render, web
from services.web.entrypoints.session import LANGUAGE_COOKIE, Session, new_session
from services.web.usecases.signing_in import SignInRefused

router = APIRouter()


def home_of(unit: str) -> str:
    """Where a person of ``unit`` starts: Central the nation, a province itself, a commune its
    report form."""
    if unit == "VN":
        return "/national"
    if len(unit) == 2:
        return f"/provinces/{unit}"
    return f"/communes/{unit}"


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: never a redirect to another origin."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@router.get("/", include_in_schema=False)
async def home(request: Request) -> Response:
    session: Session | None = request.state.session
    if session is None:
        return RedirectResponse("/sign-in", status_code=303)
    return RedirectResponse(home_of(session.unit), status_code=303)


def _sign_in_page(
    request: Request, error: str | None = None, status_code: int = 200, **values: str
) -> Response:
    cookies = web(request).cookies
    cookie, form_token = cookies.new_sign_in_token()
    response = render(
        request,
        "sign_in.html",
        {
            "error": error,
            "error_values": values,
            "form_token": form_token,
            "next": safe_next(request.query_params.get("next")) or "",
            "oidc": web(request).oidc is not None,
            "local": web(request).settings.local_accounts,
        },
        status_code=status_code,
    )
    response.set_cookie(cookies.sign_in_name, cookie, **cookies.cookie_options(max_age=3600))
    return response


@router.get("/sign-in", include_in_schema=False)
async def sign_in_form(request: Request) -> Response:
    return _sign_in_page(request)


@router.post("/sign-in", include_in_schema=False)
async def sign_in(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=2048)] = "",
) -> Response:
    context = web(request)
    cookies = context.cookies
    if not context.settings.local_accounts:
        return _sign_in_page(request, "sign_in.local_off", status_code=403)
    if not cookies.sign_in_token_matches(request.cookies.get(cookies.sign_in_name), csrf):
        return _sign_in_page(request, "sign_in.expired_form", status_code=400)
    try:
        signed = context.signing_in.sign_in(username, password)
    except SignInRefused as refused:
        if refused.until is not None:
            until = formatting.local_time(refused.until) or datetime.now()
            return _sign_in_page(
                request, "sign_in.paused", status_code=429, time=until.strftime("%H:%M")
            )
        return _sign_in_page(request, "sign_in.wrong_credentials", status_code=401)
    account = signed.account
    session = new_session(account.username, account.unit, account.roles, account.name, signed.token)
    target = safe_next(next) or home_of(account.unit)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(cookies.name, cookies.dump(session), **cookies.cookie_options())
    response.delete_cookie(cookies.sign_in_name, path="/")
    return response


@router.post("/sign-out", include_in_schema=False)
async def sign_out(request: Request, _: Annotated[Session, Depends(checked_csrf)]) -> Response:
    cookies = web(request).cookies
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(cookies.name, path="/", secure=cookies.secure, httponly=True)
    # The pages the service worker kept and the reports queued offline go with the session:
    # the next person at this browser finds none of them (docs/web.md, offline form).
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


@router.post("/language", include_in_schema=False)
async def switch_language(
    request: Request,
    language: Annotated[str, Form(max_length=2)],
    back: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    # Not behind CSRF: the worst another site can do is switch someone's language.
    response = RedirectResponse(safe_next(back) or "/", status_code=303)
    chosen = formatting.language(language)
    response.set_cookie(
        LANGUAGE_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="lax", path="/", httponly=True
    )
    return response
