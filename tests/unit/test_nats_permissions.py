"""What each NATS identity may publish and subscribe to, read as NATS would match subjects."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from baocao import nats_jwt
from baocao.nats_authority import NatsAuthority
from baocao.nats_jwt import KeyPair, Role
from shared import nats_permissions
from shared.nats_permissions import (
    NOTHING,
    Permissions,
    Rules,
    Unit,
    aggregator,
    central_reader,
    intake,
    notifier,
    ops,
    province_reader,
    unit_system,
    validator,
)

INBOX = "_INBOX_UTEST"
COMMUNE = Unit("01", "00004")
NEIGHBOUR = Unit("01", "00007")
ELSEWHERE = Unit("79", "26734")


def matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: ``*`` is one token, ``>`` one or more at the end."""
    wanted, tokens = pattern.split("."), subject.split(".")
    for index, token in enumerate(wanted):
        if token == ">":
            return len(tokens) > index
        if index >= len(tokens) or token not in ("*", tokens[index]):
            return False
    return len(tokens) == len(wanted)


def allows(rules: Rules, subject: str) -> bool:
    return any(matches(a, subject) for a in rules.allow) and not any(
        matches(d, subject) for d in rules.deny
    )


def may_publish(permissions: Permissions, subject: str) -> bool:
    return allows(permissions.publish, subject)


def may_subscribe(permissions: Permissions, subject: str) -> bool:
    return allows(permissions.subscribe, subject)


IDENTITIES: dict[str, Permissions] = {
    "commune": unit_system([COMMUNE], INBOX),
    "intake": intake(INBOX),
    "validator": validator(INBOX),
    "aggregator": aggregator(INBOX),
    "notifier": notifier(INBOX),
    "province reader": province_reader("01", INBOX),
    "central reader": central_reader(INBOX),
    "edge link": nats_permissions.edge_link("01", "00004"),
    "edge admin": nats_permissions.edge_admin(INBOX),
}


# --- units ------------------------------------------------------------------------------------


def test_a_commune_may_submit_only_its_own_report() -> None:
    commune = IDENTITIES["commune"]
    assert may_publish(commune, "reports.submitted.01.00004")
    assert not may_publish(commune, "reports.submitted.01.00007")
    assert not may_publish(commune, "reports.submitted.79.00004")
    assert not may_publish(commune, "reports.submitted.01.*")


def test_a_commune_asks_dry_runs_and_hears_notices_only_for_itself() -> None:
    commune = IDENTITIES["commune"]
    assert may_publish(commune, "baocao.validate.00004")
    assert not may_publish(commune, "baocao.validate.00007")
    assert may_subscribe(commune, "notify.00004")
    assert not may_subscribe(commune, "notify.00007")
    assert not may_subscribe(commune, "notify.>")


def test_a_commune_grant_is_exactly_its_subjects_and_its_inbox() -> None:
    assert IDENTITIES["commune"] == Permissions(
        publish=Rules(allow=("reports.submitted.01.00004", "baocao.validate.00004")),
        subscribe=Rules(allow=("notify.00004", "_INBOX_UTEST.>")),
    )


def test_a_system_for_several_units_is_granted_exactly_those_units() -> None:
    several = unit_system([ELSEWHERE, COMMUNE, COMMUNE], INBOX)
    assert several.publish.allow == (
        "reports.submitted.01.00004",
        "reports.submitted.79.26734",
        "baocao.validate.00004",
        "baocao.validate.26734",
    )
    assert several.subscribe.allow == ("notify.00004", "notify.26734", "_INBOX_UTEST.>")
    assert not may_publish(several, "reports.submitted.01.00007")


def test_a_unit_may_not_touch_jetstream_beyond_its_own_pubacks() -> None:
    commune = IDENTITIES["commune"]
    assert not any(a.startswith("$") for a in commune.publish.allow)
    assert may_subscribe(commune, "_INBOX_UTEST.nuid.token")
    assert not may_subscribe(commune, "_INBOX.anything")
    assert not may_subscribe(commune, "_INBOX_UOTHER.nuid")


def test_a_system_for_no_unit_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one unit"):
        unit_system([], INBOX)


@pytest.mark.parametrize("code", ["", "00*", "01.00004", ">", "*", "0 1"])
def test_a_code_that_is_not_one_subject_token_is_refused(code: str) -> None:
    with pytest.raises(ValueError, match="single subject token"):
        Unit("01", code)
    with pytest.raises(ValueError, match="single subject token"):
        province_reader(code)


def expand(template: Rules, tags: tuple[str, ...], subject: str) -> tuple[str, ...]:
    """The server's expansion of a scope template: ``{{subject()}}`` and every combination of
    the values of each ``{{tag(name)}}``."""
    expanded = []
    for pattern in template.allow:
        names = re.findall(r"\{\{tag\((\w+)\)\}\}", pattern)
        values = [[t.split(":", 1)[1] for t in tags if t.startswith(f"{n}:")] for n in names]
        for combination in itertools.product(*values):
            subject_of = pattern.replace("{{subject()}}", subject)
            for name, value in zip(names, combination, strict=True):
                subject_of = subject_of.replace(f"{{{{tag({name})}}}}", value, 1)
            expanded.append(subject_of)
    return tuple(expanded)


@pytest.mark.parametrize("units", [[COMMUNE], [COMMUNE, NEIGHBOUR], [COMMUNE, ELSEWHERE]])
def test_the_scoped_unit_template_grants_what_unit_system_grants(units: list[Unit]) -> None:
    tags = nats_permissions.unit_tags(units)
    template = nats_permissions.UNIT_TEMPLATE
    granted = unit_system(units, nats_permissions.inbox_prefix("UKEY"))
    assert sorted(expand(template.publish, tags, "UKEY")) == sorted(granted.publish.allow)
    assert sorted(expand(template.subscribe, tags, "UKEY")) == sorted(granted.subscribe.allow)


# --- services ---------------------------------------------------------------------------------


def publishers(subject: str) -> set[str]:
    return {name for name, p in IDENTITIES.items() if may_publish(p, subject)}


@pytest.mark.parametrize(
    ("subject", "only"),
    [
        ("reports.submitted.01.00004", {"intake", "commune"}),
        ("reports.accepted.01.00004", {"validator"}),
        ("reports.rejected.01.00004", {"validator"}),
        ("reports.deadletter.validator", {"validator"}),
        ("reports.deadletter.aggregator", {"aggregator"}),
        ("reports.deadletter.notifier-rejected", {"notifier"}),
        ("rollups.updated.bc01.2026-Q1.01", {"aggregator"}),
        ("rollups.updated.bc01.2026-Q1.VN", {"aggregator"}),
        ("notify.00004", {"notifier"}),
        ("notify.deadletter.00004", {"notifier"}),
        ("baocao.validate.00007", {"intake"}),
    ],
)
def test_each_event_has_only_its_own_publishers(subject: str, only: set[str]) -> None:
    assert publishers(subject) == only


@pytest.mark.parametrize(
    "api",
    [
        "$JS.API.STREAM.CREATE.REPORTS",
        "$JS.API.STREAM.UPDATE.REPORTS",
        "$JS.API.STREAM.PURGE.REPORTS",
        "$JS.API.STREAM.DELETE.REPORTS",
        "$JS.API.STREAM.DELETE.ROLLUPS",
        "$JS.API.STREAM.PURGE.ROLLUPS",
        "$JS.API.STREAM.MSG.DELETE.REPORTS",
        "$JS.API.CONSUMER.CREATE.REPORTS",
        "$JS.API.CONSUMER.CREATE.REPORTS.validator.reports.submitted.>",
        "$JS.API.CONSUMER.CREATE.ROLLUPS.sneaky.rollups.updated.>",
        "$JS.API.CONSUMER.DURABLE.CREATE.REPORTS.validator",
        "$JS.API.CONSUMER.DURABLE.CREATE.ROLLUPS.sneaky",
        "$JS.API.CONSUMER.DELETE.REPORTS.validator",
        "$JS.API.STREAM.CREATE.KV_BAOCAO_CLOCK",
    ],
)
def test_no_one_but_ops_administers_streams_or_durable_consumers(api: str) -> None:
    assert publishers(api) == set()
    assert may_publish(ops(), api)


def test_a_service_binds_only_its_own_durable() -> None:
    mine = "$JS.API.CONSUMER.MSG.NEXT.REPORTS.validator"
    assert may_publish(validator(INBOX), mine)
    assert may_publish(validator(INBOX), "$JS.ACK.REPORTS.validator.1.2.3.4.5")
    assert not may_publish(aggregator(INBOX), mine)
    assert not may_publish(notifier(INBOX), "$JS.ACK.REPORTS.validator.1.2.3.4.5")
    assert may_publish(notifier(INBOX), "$JS.API.CONSUMER.MSG.NEXT.REPORTS.notifier-accepted")


def test_only_the_aggregator_opens_ephemeral_consumers_and_only_on_rollups() -> None:
    assert publishers("$JS.API.CONSUMER.CREATE.ROLLUPS") == {"aggregator"}
    assert publishers("$JS.FC.ROLLUPS.x.1.2.3") == {"aggregator"}
    assert publishers("$JS.API.CONSUMER.DELETE.ROLLUPS.abc") == {"aggregator"}


def test_the_shared_clock_is_followed_only_when_asked_and_never_written() -> None:
    following = validator(INBOX, shared_clock=True)
    assert not may_publish(validator(INBOX), "$JS.API.CONSUMER.CREATE.KV_BAOCAO_CLOCK")
    assert may_publish(following, "$JS.API.CONSUMER.CREATE.KV_BAOCAO_CLOCK")
    assert may_publish(following, "$JS.API.DIRECT.GET.KV_BAOCAO_CLOCK.$KV.BAOCAO_CLOCK.schedule")
    assert not may_publish(following, "$KV.BAOCAO_CLOCK.schedule")


def test_only_the_validator_answers_requests_it_did_not_subscribe_to_the_reply_of() -> None:
    answering = {name for name, p in IDENTITIES.items() if p.responses is not None}
    assert answering == {"validator"}
    assert may_subscribe(validator(INBOX), "baocao.validate.00004")


# --- readers and ops --------------------------------------------------------------------------


def test_a_province_reader_reads_its_own_province_and_publishes_nothing() -> None:
    reader = IDENTITIES["province reader"]
    assert may_subscribe(reader, "rollups.updated.bc01.2026-Q1.01")
    assert not may_subscribe(reader, "rollups.updated.bc01.2026-Q1.02")
    assert not may_subscribe(reader, "rollups.updated.bc01.2026-Q1.VN")
    assert not may_subscribe(reader, "rollups.updated.>")
    assert reader.publish == NOTHING


def test_central_reads_every_feed_subject_and_publishes_nothing() -> None:
    central = IDENTITIES["central reader"]
    assert may_subscribe(central, "rollups.updated.bc01.2026-Q1.VN")
    assert may_subscribe(central, "rollups.updated.bc01.2026-Q1.79")
    assert not may_subscribe(central, "reports.accepted.01.00004")
    assert central.publish == NOTHING


def test_ops_may_do_anything() -> None:
    assert may_publish(ops(), "$JS.API.STREAM.PURGE.REPORTS")
    assert may_subscribe(ops(), "reports.submitted.01.00004")


# --- inboxes, JWT claims ----------------------------------------------------------------------


def test_each_user_has_an_inbox_prefix_of_its_own_key() -> None:
    assert nats_permissions.inbox_prefix("UABC") == "_INBOX_UABC"
    user = KeyPair.generate(Role.USER)
    issuer = KeyPair.generate(Role.ACCOUNT)
    token = nats_jwt.encode(issuer=issuer, subject=user.public_key, name="x", nats={})
    creds = nats_jwt.creds(token, user.seed)
    assert nats_permissions.inbox_prefix_of_creds(creds) == f"_INBOX_{user.public_key}"


def test_permissions_become_jwt_claims_with_nothing_left_implicit() -> None:
    claims = nats_jwt.permission_claims(validator(INBOX))
    assert claims["pub"]["allow"][0] == "reports.accepted.>"
    assert "deny" not in claims["pub"]
    assert claims["resp"] == {"max": 1, "ttl": 30_000_000_000}
    assert nats_jwt.permission_claims(province_reader("01"))["pub"] == {"deny": [">"]}
    with pytest.raises(ValueError, match="allow everything"):
        nats_jwt.permission_claims(Permissions(publish=Rules()))


def test_a_jwt_is_signed_by_its_issuer_and_distinct_from_any_other() -> None:
    issuer = KeyPair.generate(Role.OPERATOR)
    first = nats_jwt.encode(issuer=issuer, subject="ASUB", name="a", nats={"type": "account"})
    second = nats_jwt.encode(
        issuer=issuer, subject="ASUB", name="a", nats={"type": "account", "revocations": {}}
    )
    assert nats_jwt.signed_by(first, issuer)
    assert not nats_jwt.signed_by(first, KeyPair.generate(Role.OPERATOR))
    claims = nats_jwt.claims_of(first)
    assert claims["iss"] == issuer.public_key
    assert claims["nats"] == {"type": "account", "version": 2}
    # Same second, different content: the resolver must not take one for the other.
    assert claims["jti"] != nats_jwt.claims_of(second)["jti"]


def test_the_authority_keeps_its_keys_private_and_reopens_them(tmp_path: Path) -> None:
    first = NatsAuthority(tmp_path / "auth")
    again = NatsAuthority(tmp_path / "auth")
    assert again.account.public_key == first.account.public_key
    assert again.account_jwt == first.account_jwt
    assert (tmp_path / "auth").stat().st_mode & 0o777 == 0o700
    for path in (tmp_path / "auth").iterdir():
        assert path.stat().st_mode & 0o777 == 0o600, path.name


def test_a_unit_is_minted_by_the_scoped_key_with_tags_and_no_permissions(tmp_path: Path) -> None:
    authority = NatsAuthority(tmp_path / "auth")
    minted = authority.unit_creds("xa-00004", [COMMUNE])
    claims = nats_jwt.claims_of(minted.jwt)
    assert claims["iss"] == authority.account_units.public_key
    assert claims["nats"] == {
        "type": "user",
        "tags": ["submits:01.00004", "unit:00004"],
        "issuer_account": authority.account.public_key,
        "version": 2,
    }


# --- provisioning -----------------------------------------------------------------------------


# Provisioned as the subscribers declare: tests/unit/test_subscribers_contract.py


def test_the_validator_reads_the_landing_streams_info_and_no_other_streams_api() -> None:
    permissions = validator(INBOX, provinces=["01", "79"])

    assert may_publish(permissions, "$JS.API.STREAM.INFO.IN_01")
    assert may_publish(permissions, "$JS.API.STREAM.INFO.IN_79")
    # Not another stream's info, nor any change to a landing stream.
    for subject in (
        "$JS.API.STREAM.INFO.IN_48",
        "$JS.API.STREAM.UPDATE.IN_01",
        "$JS.API.STREAM.PURGE.IN_01",
        "$JS.API.STREAM.INFO.REPORTS",
    ):
        assert not may_publish(permissions, subject), subject
