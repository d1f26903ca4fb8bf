"""Tokens for people signed in with a local account, from Baocao's own issuer (the embedded
default). The services trust this issuer already; a person's token lives an hour and the web
app mints a new one while the session lasts."""

from __future__ import annotations

from services.web.domain.accounts import Account
from shared.identity.issuer import LocalIssuer


class LocalPersonTokens:
    def __init__(self, issuer: LocalIssuer) -> None:
        self._issuer = issuer

    def mint(self, account: Account) -> str:
        return self._issuer.mint(
            account.unit, account.roles, person=True, subject=f"person:{account.username}"
        )
