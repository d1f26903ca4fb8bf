"""An edge at a commune, as configuration: what its leaf connection and its admin may do, the
edge's server config, and how the hub sources it (ADR 0024; the real thing is
tests/integration/test_edge.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from baocao.bench.edges import proxy_source
from baocao.edge_hub import edge_source, landing_source
from baocao.edge_node import make_bundle, server_config
from baocao.nats_authority import NatsAuthority
from baocao.nats_jwt import claims_of
from shared import nats_permissions, subjects
from shared.nats_permissions import Unit
from tests.unit.test_nats_permissions import INBOX, may_publish, may_subscribe

BA_DINH = Unit("01", "00004")


def test_an_edges_leaf_carries_its_outbox_to_the_hub_and_nothing_else() -> None:
    link = nats_permissions.edge_link("01", "00004")

    assert may_publish(link, "edge.01.00004.outbox")
    assert may_publish(link, "$JSC.R.abc123")  # its answer to the hub's reset
    for subject in (
        "edge.01.00007.outbox",
        "reports.submitted.01.00004",
        "reports.accepted.01.00004",
        "notify.00004",
        "$JS.API.STREAM.PURGE.REPORTS",
        "$JS.hub.API.STREAM.PURGE.REPORTS",
    ):
        assert not may_publish(link, subject), subject
    # What the hub may send the edge: the reset of its consumer and the flow control (acks).
    assert may_subscribe(link, "$JS.e00004.API.CONSUMER.RESET.OUTBOX.HUB")
    assert may_subscribe(link, "$JS.FC.OUTBOX.abc.1")
    assert not may_subscribe(link, "$JS.e00004.API.STREAM.PURGE.OUTBOX")
    assert not may_subscribe(link, "$JS.e00007.API.CONSUMER.RESET.OUTBOX.HUB")


@pytest.mark.parametrize("code", ["00004.*", ">", "0000 4", ""])
def test_an_edge_link_for_something_that_is_not_one_unit_is_refused(code: str) -> None:
    with pytest.raises(ValueError, match="single subject token"):
        nats_permissions.edge_link("01", code)


def test_an_edges_admin_manages_its_outbox_only() -> None:
    admin = nats_permissions.edge_admin(INBOX)

    assert may_publish(admin, "$JS.API.STREAM.CREATE.OUTBOX")
    assert may_publish(admin, "$JS.API.CONSUMER.INFO.OUTBOX.HUB")
    for api in (
        "$JS.API.STREAM.PURGE.OUTBOX",
        "$JS.API.STREAM.DELETE.OUTBOX",
        "$JS.API.STREAM.UPDATE.REPORTS",
        "$JS.API.STREAM.PURGE.REPORTS",
        "$JS.API.CONSUMER.CREATE.OUTBOX.other",
        "reports.submitted.01.00004",
    ):
        assert not may_publish(admin, api), api


def test_a_bundle_holds_what_a_commune_needs_and_the_admin_only_works_from_loopback(
    tmp_path: Path,
) -> None:
    authority = NatsAuthority(tmp_path / "auth")

    bundle = make_bundle(authority, BA_DINH, "nats-leaf://hub.example:7422", tmp_path / "b")

    assert (bundle.unit, bundle.province, bundle.hub_leaf_url) == (
        "00004",
        "01",
        "nats-leaf://hub.example:7422",
    )
    names = sorted(p.name for p in (tmp_path / "b").iterdir())
    assert names == ["admin.creds", "edge.json", "leaf.creds", "trust.json", "unit.creds"]
    assert all((tmp_path / "b" / n).stat().st_mode & 0o077 == 0 for n in names)
    admin_jwt = bundle.creds("admin").read_text().split("\n")[1]
    assert claims_of(admin_jwt)["nats"]["src"] == ["127.0.0.0/8", "::1/128"]
    assert "account-signing" not in (tmp_path / "b" / "trust.json").read_text()


def test_the_edge_server_trusts_the_hubs_operator_with_its_own_domain_and_one_leaf(
    tmp_path: Path,
) -> None:
    authority = NatsAuthority(tmp_path / "auth")
    bundle = make_bundle(authority, BA_DINH, "nats-leaf://hub.example:7422", tmp_path / "b")

    text = server_config(bundle, tmp_path / "js", host="127.0.0.1", port=4333)

    assert 'listen: "127.0.0.1:4333"' in text
    assert 'domain: "e00004"' in text
    assert authority.operator_jwt in text
    assert authority.account_jwt in text
    assert 'url: "nats-leaf://hub.example:7422"' in text
    assert str(bundle.creds("leaf").resolve()) in text
    assert "compression: off" in text


def test_the_hub_takes_leaf_connections_only_when_asked_and_then_names_its_domain(
    tmp_path: Path,
) -> None:
    authority = NatsAuthority(tmp_path / "auth")
    store, resolver = tmp_path / "js", tmp_path / "r"

    plain = authority.server_config(store_dir=store, resolver_dir=resolver)
    hub = authority.server_config(store_dir=store, resolver_dir=resolver, leafnode_port=7422)

    assert "leafnodes" not in plain
    assert "domain" not in plain
    assert 'listen: "127.0.0.1:7422"' in hub
    assert f'domain: "{subjects.HUB_DOMAIN}"' in hub


def test_the_hub_lands_an_edges_messages_under_its_unit_and_keeps_only_its_submissions() -> None:
    source = edge_source("01", "00004")
    landing = landing_source("01")

    assert source["external"] == {"api": "$JS.e00004.API", "deliver": ""}
    assert source["consumer"] == {"name": "HUB", "deliver_subject": "edge.01.00004.outbox"}
    assert source["subject_transforms"] == [{"src": ">", "dest": "landed.00004.>"}]
    assert landing == {
        "name": "IN_01",
        "subject_transforms": [
            {
                "src": "landed.*.reports.submitted.01.*",
                "dest": "reports.submitted.01.{{wildcard(1)}}",
            }
        ],
    }


def test_the_scale_bench_sources_its_proxy_edges_as_the_hub_sources_a_real_one() -> None:
    real = edge_source("01", "00004")
    proxy = proxy_source(2, 17, "00004")

    assert proxy.keys() == real.keys()
    assert proxy["subject_transforms"] == real["subject_transforms"]
    assert proxy["consumer"]["name"] == real["consumer"]["name"]
    assert proxy["external"]["api"] == "$JS.p2.API"
