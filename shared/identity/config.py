"""The token verifier a service builds from its settings."""

from __future__ import annotations

from pathlib import Path

from shared.identity.keys import JwksFile, JwksUrl, KeySource, RevocationList
from shared.identity.verifier import ClaimMapping, TokenVerifier, TrustedIssuer
from shared.settings import CommonSettings


def jwks_path(settings: CommonSettings) -> str:
    return settings.jwks or str(Path(settings.identity_dir) / "jwks.json")


def revocations_path(settings: CommonSettings) -> Path:
    return Path(settings.revocations or Path(settings.identity_dir) / "revocations.json")


def _source(location: str) -> KeySource:
    if location.startswith(("https://", "http://")):
        return JwksUrl(location)
    return JwksFile(Path(location))


def verifier_from(settings: CommonSettings) -> TokenVerifier:
    issuers = [
        TrustedIssuer(
            issuer=settings.token_issuer,
            keys=_source(jwks_path(settings)),
            audience=settings.token_audience,
            algorithms=("EdDSA",),
        )
    ]
    if settings.oidc_issuer and settings.oidc_jwks_url:
        issuers.append(
            TrustedIssuer(
                issuer=settings.oidc_issuer,
                keys=JwksUrl(settings.oidc_jwks_url),
                audience=settings.oidc_audience,
                claims=ClaimMapping(
                    unit=settings.oidc_unit_claim,
                    roles=settings.oidc_roles_claim,
                    role_prefix=settings.oidc_role_prefix,
                ),
            )
        )
    return TokenVerifier(issuers, RevocationList(revocations_path(settings)))
