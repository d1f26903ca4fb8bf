"""The session cookie: signed, bounded in time, and bound to a CSRF token."""

from __future__ import annotations

import time

import jwt

from services.web.entrypoints.session import (
    SessionCookies,
    csrf_matches,
    new_session,
)
from shared.identity import Role

SECRET = b"k" * 32


def _token(expires_in: int) -> str:
    return jwt.encode({"exp": int(time.time()) + expires_in}, "x" * 32, algorithm="HS256")


def test_a_session_round_trips_through_its_cookie() -> None:
    cookies = SessionCookies(SECRET, secure=False, max_age_seconds=3600)
    session = new_session("hanoi", "01", frozenset({Role.READER}), "Hà Nội", _token(3600))
    loaded = cookies.load(cookies.dump(session))
    assert loaded == session
    assert loaded is not None
    assert loaded.caller.unit == "01"
    assert loaded.caller.roles == frozenset({Role.READER})


def test_a_tampered_or_foreign_cookie_is_no_session() -> None:
    cookies = SessionCookies(SECRET, secure=False, max_age_seconds=3600)
    value = cookies.dump(new_session("hanoi", "01", frozenset(), "x", _token(3600)))
    tampered = value.replace(value[10], "A" if value[10] != "A" else "B", 1)
    assert cookies.load(tampered) is None
    other_key = SessionCookies(b"o" * 32, secure=False, max_age_seconds=3600)
    assert other_key.load(value) is None
    assert cookies.load("") is None


def test_secure_cookies_use_the_host_prefix_and_are_httponly_and_lax() -> None:
    cookies = SessionCookies(SECRET, secure=True, max_age_seconds=3600)
    assert cookies.name.startswith("__Host-")
    options = cookies.cookie_options()
    assert options["httponly"] is True
    assert options["secure"] is True
    assert options["samesite"] == "lax"
    assert options["path"] == "/"


def test_csrf_tokens_are_per_session_and_compared_exactly() -> None:
    one = new_session("hanoi", "01", frozenset(), "x", _token(3600))
    two = new_session("hanoi", "01", frozenset(), "x", _token(3600))
    assert one.csrf != two.csrf
    assert csrf_matches(one, one.csrf)
    assert not csrf_matches(one, two.csrf)
    assert not csrf_matches(one, None)


def test_the_sign_in_form_token_must_match_its_cookie() -> None:
    cookies = SessionCookies(SECRET, secure=False, max_age_seconds=3600)
    cookie, form = cookies.new_sign_in_token()
    assert cookies.sign_in_token_matches(cookie, form)
    assert not cookies.sign_in_token_matches(cookie, form + "x")
    assert not cookies.sign_in_token_matches(None, form)


def test_a_token_near_its_end_asks_to_be_refreshed() -> None:
    fresh = new_session("hanoi", "01", frozenset(), "x", _token(3600))
    ending = new_session("hanoi", "01", frozenset(), "x", _token(60))
    assert not fresh.token_nearly_expired()
    assert ending.token_nearly_expired()


def test_a_providers_session_ends_when_its_token_does() -> None:
    ended = new_session("f3c1", "01", frozenset(), "x", _token(-1), source="oidc")
    live = new_session("f3c1", "01", frozenset(), "x", _token(60), source="oidc")
    assert ended.token_expired()
    assert not live.token_expired()


def test_the_person_is_named_by_their_tokens_subject_for_local_and_provider_sessions() -> None:
    def token(sub: str) -> str:
        claims = {"sub": sub, "exp": int(time.time()) + 3600}
        return jwt.encode(claims, "x" * 32, algorithm="HS256")

    local = new_session("hanoi", "01", frozenset({Role.SUBMITTER}), "x", token("person:hanoi"))
    assert local.token_subject() == local.caller.subject == "person:hanoi"
    # A provider's session keeps the subject as its username; its token says it as it is.
    oidc = new_session("a1b2-c3", "01", frozenset(), "x", token("a1b2-c3"), source="oidc")
    assert oidc.token_subject() == "a1b2-c3"
