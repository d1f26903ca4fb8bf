"""Tokens: signed JWTs from a trusted issuer, and every way a forged or stale one is refused."""

from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from shared.identity import Caller, Grant, Role, TokenVerifier, Unauthenticated, verifier_from
from shared.identity.issuer import LocalIssuer
from shared.identity.keys import JwksFile, RevocationList, parse_jwks
from shared.identity.verifier import ClaimMapping, TrustedIssuer
from shared.settings import CommonSettings


@pytest.fixture
def issuer(tmp_path: Path) -> LocalIssuer:
    made = LocalIssuer(tmp_path)
    made.ensure()
    return made


def verifier(issuer: LocalIssuer) -> TokenVerifier:
    return verifier_from(CommonSettings(BAOCAO_IDENTITY_DIR=str(issuer.directory)))


async def refused(verifying: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as error:
        await verifying.verify(token)
    return error.value.reason


def claims_of(issuer: LocalIssuer, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer.issuer,
        "sub": "system:00070",
        "aud": issuer.audience,
        "iat": now,
        "exp": now + 600,
        "jti": str(uuid.uuid4()),
        "baocao_unit": "00070",
        "baocao_roles": ["submitter"],
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def signed(issuer: LocalIssuer, claims: dict[str, Any], kid: str | None = None) -> str:
    key = issuer.ensure()
    private = jwt.algorithms.OKPAlgorithm.from_jwk(json.dumps(key.private))
    assert isinstance(private, Ed25519PrivateKey)
    return jwt.encode(claims, private, algorithm="EdDSA", headers={"kid": kid or key.kid})


async def test_a_minted_token_names_its_unit_roles_and_issuer(issuer: LocalIssuer) -> None:
    caller = await verifier(issuer).verify(issuer.mint("00070"))

    assert caller.unit == "00070"
    assert caller.roles == {Role.SUBMITTER}
    assert caller.units == {"00070"}
    assert caller.issuer == "urn:baocao:local"


async def test_a_token_carries_every_standard_claim(issuer: LocalIssuer) -> None:
    token = issuer.mint("01", [Role.APPROVER], person=True)
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})

    assert header["alg"] == "EdDSA"
    assert header["kid"] == issuer.ensure().kid
    assert {"iss", "sub", "aud", "exp", "iat", "jti"} <= claims.keys()
    assert claims["exp"] - claims["iat"] == 3600  # a person's token lives an hour


async def test_a_platform_token_submits_for_exactly_its_units(issuer: LocalIssuer) -> None:
    caller = await verifier(issuer).verify(
        issuer.mint("01", [Role.SUBMITTER], units=["00004", "00007"])
    )

    assert caller.units == {"01", "00004", "00007"}


async def test_a_grant_reaches_the_caller(issuer: LocalIssuer) -> None:
    caller = await verifier(issuer).verify(issuer.mint("01", grants=[Grant.NATIONAL]))

    assert Grant.NATIONAL in caller.grants


async def test_alg_none_is_refused(issuer: LocalIssuer) -> None:
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(json.dumps(claims_of(issuer)).encode()).rstrip(b"=").decode()

    assert await refused(verifier(issuer), f"{header}.{body}.") == "unsupported_algorithm"


async def test_hs256_signed_with_the_public_key_is_refused(issuer: LocalIssuer) -> None:
    public = issuer.ensure().public
    raw = base64.urlsafe_b64decode(public["x"] + "==")
    forged = jwt.api_jws.PyJWS(algorithms=["HS256"]).encode(
        json.dumps(claims_of(issuer)).encode(),
        raw,
        algorithm="HS256",
        headers={"kid": public["kid"]},
    )

    assert await refused(verifier(issuer), forged) == "unsupported_algorithm"


async def test_an_expired_token_is_refused(issuer: LocalIssuer) -> None:
    old = int(time.time()) - 7200
    token = signed(issuer, claims_of(issuer, iat=old, exp=old + 600))

    assert await refused(verifier(issuer), token) == "token_expired"


async def test_a_token_not_yet_valid_is_refused(issuer: LocalIssuer) -> None:
    later = int(time.time()) + 3600
    token = signed(issuer, claims_of(issuer, nbf=later, exp=later + 600))

    assert await refused(verifier(issuer), token) == "token_not_yet_valid"


async def test_a_token_for_another_audience_is_refused(issuer: LocalIssuer) -> None:
    token = signed(issuer, claims_of(issuer, aud="another-system"))

    assert await refused(verifier(issuer), token) == "wrong_audience"


async def test_a_token_with_an_unknown_key_id_is_refused(issuer: LocalIssuer) -> None:
    token = signed(issuer, claims_of(issuer), kid="nobody-knows-this-key")

    assert await refused(verifier(issuer), token) == "unknown_key"


async def test_a_token_from_a_foreign_issuer_is_refused(
    issuer: LocalIssuer, tmp_path: Path
) -> None:
    foreign = LocalIssuer(tmp_path / "foreign", issuer="https://elsewhere.example")

    assert await refused(verifier(issuer), foreign.mint("00070")) == "unknown_issuer"


async def test_a_token_signed_by_a_foreign_key_under_our_key_id_is_refused(
    issuer: LocalIssuer, tmp_path: Path
) -> None:
    impostor = LocalIssuer(tmp_path / "impostor")
    key = impostor.ensure()
    private = jwt.algorithms.OKPAlgorithm.from_jwk(json.dumps(key.private))
    assert isinstance(private, Ed25519PrivateKey)
    token = jwt.encode(
        claims_of(issuer), private, algorithm="EdDSA", headers={"kid": issuer.ensure().kid}
    )

    assert await refused(verifier(issuer), token) == "invalid_signature"


async def test_a_token_without_a_required_claim_is_refused(issuer: LocalIssuer) -> None:
    token = signed(issuer, claims_of(issuer, jti=None))

    assert await refused(verifier(issuer), token) == "missing_claims"


async def test_a_token_naming_no_unit_is_refused(issuer: LocalIssuer) -> None:
    token = signed(issuer, claims_of(issuer, baocao_unit="../etc"))

    assert await refused(verifier(issuer), token) == "missing_claims"


async def test_a_tampered_token_is_refused(issuer: LocalIssuer) -> None:
    header, body, signature = issuer.mint("00070").split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["baocao_unit"] = "VN"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()

    assert await refused(verifier(issuer), f"{header}.{forged}.{signature}") == "invalid_signature"


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "chữ.ký.số"])
async def test_garbage_is_a_malformed_token(issuer: LocalIssuer, garbage: str) -> None:
    verifying = verifier(issuer)

    with pytest.raises(Unauthenticated) as error:
        await verifying.caller(f"Bearer {garbage}")

    assert error.value.reason in {"missing_token", "malformed_token"}


async def test_a_missing_header_asks_for_a_token(issuer: LocalIssuer) -> None:
    with pytest.raises(Unauthenticated) as error:
        await verifier(issuer).caller("")

    assert error.value.reason == "missing_token"


async def test_a_revoked_token_is_refused_without_a_restart(
    issuer: LocalIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("shared.identity.keys.STAT_INTERVAL_SECONDS", 0.0)
    verifying = verifier(issuer)
    token = issuer.mint("00070")
    assert (await verifying.verify(token)).unit == "00070"

    issuer.revoke(token_id=jwt.decode(token, options={"verify_signature": False})["jti"])

    assert await refused(verifying, token) == "token_revoked"
    assert (await verifying.verify(issuer.mint("00070"))).unit == "00070"


async def test_revoking_a_subject_refuses_its_earlier_tokens_only(
    issuer: LocalIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("shared.identity.keys.STAT_INTERVAL_SECONDS", 0.0)
    verifying = verifier(issuer)
    earlier = signed(issuer, claims_of(issuer, iat=int(time.time()) - 60))

    issuer.revoke(subject="system:00070")

    assert await refused(verifying, earlier) == "token_revoked"
    later = signed(issuer, claims_of(issuer, iat=int(time.time()) + 2))
    assert (await verifying.verify(later)).unit == "00070"


async def test_a_rotated_key_overlaps_then_the_retired_one_is_refused(
    issuer: LocalIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("shared.identity.keys.STAT_INTERVAL_SECONDS", 0.0)
    old_kid = issuer.ensure().kid
    before = issuer.mint("00070")
    issuer.rotate()
    after = issuer.mint("00070")
    verifying = TokenVerifier(
        [TrustedIssuer(issuer.issuer, JwksFile(issuer.jwks_path), issuer.audience)],
        RevocationList(issuer.revocations_path),
    )

    assert jwt.get_unverified_header(after)["kid"] != old_kid
    assert (await verifying.verify(before)).unit == "00070"
    assert (await verifying.verify(after)).unit == "00070"

    issuer.retire(old_kid)
    fresh = TokenVerifier(
        [TrustedIssuer(issuer.issuer, JwksFile(issuer.jwks_path), issuer.audience)],
        RevocationList(issuer.revocations_path),
    )
    assert await refused(fresh, before) == "unknown_key"
    assert (await fresh.verify(after)).unit == "00070"


def test_the_jwks_holds_no_private_part(issuer: LocalIssuer) -> None:
    issuer.rotate()
    document = json.loads(issuer.jwks_path.read_text())

    assert len(document["keys"]) == 2
    assert all("d" not in key for key in document["keys"])
    assert len(parse_jwks(document)) == 2


def test_signing_keys_are_readable_by_their_owner_only(issuer: LocalIssuer) -> None:
    for path in (issuer.directory / "signing-keys").iterdir():
        assert path.stat().st_mode & 0o077 == 0


async def test_an_oidc_providers_claims_map_to_unit_and_roles() -> None:
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    jwk = {
        "kty": "OKP",
        "crv": "Ed25519",
        "kid": "kc-1",
        "use": "sig",
        "x": base64.urlsafe_b64encode(raw).rstrip(b"=").decode(),
    }

    class StaticKeys:
        async def key(self, kid: str) -> jwt.PyJWK | None:
            return parse_jwks({"keys": [jwk]}).get(kid)

    keycloak = TrustedIssuer(
        "https://sso.bonoivu.gov.vn/realms/baocao",
        StaticKeys(),
        "baocao",
        claims=ClaimMapping(unit="ma_don_vi", roles="realm_access.roles", role_prefix="baocao-"),
    )
    verifying = TokenVerifier([keycloak], RevocationList(Path("/nonexistent/revocations.json")))
    now = int(time.time())
    token = jwt.encode(
        {
            "iss": keycloak.issuer,
            "sub": "f3b1-user",
            "aud": "baocao",
            "iat": now,
            "exp": now + 300,
            "jti": "k-1",
            "ma_don_vi": "01",
            "realm_access": {"roles": ["baocao-approver", "offline_access", "approver"]},
        },
        private,
        algorithm="EdDSA",
        headers={"kid": "kc-1"},
    )

    caller = await verifying.verify(token)

    assert caller == Caller(
        subject="f3b1-user",
        unit="01",
        roles=frozenset({Role.APPROVER}),
        issuer=keycloak.issuer,
        token_id="k-1",
    )
