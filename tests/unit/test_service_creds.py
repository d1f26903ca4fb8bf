"""A service's NATS credentials are minted once and kept, and minted anew when its grant has
changed since (a release that gives a service a new subject: baocao/nats_identities.py)."""

from __future__ import annotations

from pathlib import Path

from baocao.nats_authority import NatsAuthority, write_creds
from baocao.nats_identities import NatsIdentities
from shared import nats_permissions as grants
from shared.nats_grants import user_claims_of_creds


def test_a_services_credentials_are_kept_while_its_grant_stands(tmp_path: Path) -> None:
    identities = NatsIdentities(NatsAuthority(tmp_path))

    first = identities.path("validator").read_text()
    again = identities.path("validator").read_text()

    assert first == again


def test_credentials_minted_under_an_older_grant_are_minted_anew(tmp_path: Path) -> None:
    authority = NatsAuthority(tmp_path)
    identities = NatsIdentities(authority)
    path = identities.path("validator")
    # What an earlier release minted: the validator's grant without the landing streams.
    write_creds(path, authority.user_creds("validator", grants.validator))

    renewed = user_claims_of_creds(identities.path("validator").read_text())

    assert "$JS.API.STREAM.INFO.IN_01" in renewed["nats"]["pub"]["allow"]
