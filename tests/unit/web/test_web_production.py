"""A production web app signs people in through the provider, over https, with a shared secret."""

from __future__ import annotations

import pytest

from services.web.production import check, problems
from services.web.settings import WebSettings
from shared.production import RefusedToStart

FIT = {
    "BAOCAO_ENV": "production",
    "WEB_LOCAL_ACCOUNTS": "false",
    "WEB_OIDC_CLIENT_ID": "baocao-web",
    "BAOCAO_OIDC_ISSUER": "https://sso.example.gov.vn/realms/baocao",
    "WEB_PUBLIC_URL": "https://baocao.example.gov.vn",
    "WEB_SESSION_SECRET_FILE": "/var/run/secrets/baocao-web/session.key",
}


def test_a_production_web_app_configured_for_it_starts() -> None:
    assert problems(WebSettings.model_validate(FIT)) == []


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"WEB_LOCAL_ACCOUNTS": "true"}, "WEB_LOCAL_ACCOUNTS"),
        ({"WEB_OIDC_CLIENT_ID": ""}, "WEB_OIDC_CLIENT_ID"),
        ({"BAOCAO_OIDC_ISSUER": "http://sso.example.gov.vn"}, "not https"),
        ({"WEB_PUBLIC_URL": "http://baocao.example.gov.vn"}, "in clear"),
        ({"WEB_SESSION_SECRET_FILE": ".run/identity/web-session.key"}, ".run/"),
    ],
)
def test_each_development_shortcut_is_refused_by_name(
    change: dict[str, str], complaint: str
) -> None:
    with pytest.raises(RefusedToStart) as refused:
        check(WebSettings.model_validate({**FIT, **change}))
    assert any(complaint in problem for problem in refused.value.problems)


def test_development_refuses_nothing() -> None:
    assert problems(WebSettings.model_validate({})) == []
