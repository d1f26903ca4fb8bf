"""`baocao edge`: how its commands parse, what `add` refuses before touching anything, and what
`status` and `list` print, from pure functions (tests/integration/test_edge_cli.py runs them
against a real hub and edge)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from baocao import cli, edge_cli
from baocao.edge_cli import (
    Refused,
    checked_leaf_url,
    edge_unit,
    handover_text,
    leaf_url_of_config,
)
from baocao.edge_hub import EdgeLink
from baocao.edge_node import OutboxStatus, make_bundle, server_config
from baocao.edge_report import (
    EdgeReading,
    duration_text,
    leaf_link_up,
    links_json,
    links_text,
    longest_silent_first,
    status_exit_code,
    status_json,
    status_line,
    status_text,
    worth_a_line,
)
from baocao.nats_authority import NatsAuthority
from baocao.nats_identities import NatsIdentities
from shared.catalog.model import Level
from shared.nats_permissions import Unit as SubjectUnit
from shared.registry.model import Registry, Unit

# 14:03:12 in Vietnam (UTC+7); JetStream's times come with fractions of a second.
NOW = datetime(2026, 3, 5, 7, 3, 12, 250000, tzinfo=UTC)
OPENED = date(2025, 7, 1)
REGISTRY = Registry(
    [
        Unit("VN", "Trung ương", Level.CENTRAL, "central", None, OPENED),
        Unit("01", "Thành phố Hà Nội", Level.PROVINCE, "thanh_pho", "VN", OPENED),
        Unit("00004", "Phường Ba Đình", Level.COMMUNE, "phuong", "01", OPENED),
        Unit(
            "00007",
            "Phường Cũ",
            Level.COMMUNE,
            "phuong",
            "01",
            OPENED,
            valid_to=date(2026, 1, 1),
            successor="00004",
        ),
    ]
)


def reading(outbox: OutboxStatus | None, link_up: bool | None = True) -> EdgeReading:
    problem = None if outbox is not None else "nats: no servers available for connection"
    return EdgeReading("00004", "01", "nats://127.0.0.1:4222", outbox, link_up, problem)


WAITING = OutboxStatus(stored=12, unsent=3, oldest_unsent_at=NOW - timedelta(minutes=2, seconds=5))
EMPTY = OutboxStatus(stored=12, unsent=0, oldest_unsent_at=None)


# --- parsing -----------------------------------------------------------------------------


def test_the_edge_commands_parse_with_the_documented_defaults() -> None:
    parser = cli.parser()

    add = parser.parse_args(["edge", "add", "00004", "--out", "edge-00004"])
    run = parser.parse_args(["edge", "run", "edge-00004"])
    status = parser.parse_args(["edge", "status", "edge-00004", "--port", "4333", "--json"])
    listing = parser.parse_args(["edge", "list"])

    assert (add.unit, add.out, add.hub_leaf) == ("00004", Path("edge-00004"), None)
    assert (run.bundle, run.port, run.monitor_port, run.data, run.host, run.every) == (
        Path("edge-00004"),
        4222,
        8222,
        Path(".run/edge"),
        "127.0.0.1",
        5.0,
    )
    assert (status.port, status.json) == (4333, True)
    assert listing.json is False
    assert {add.run, run.run, status.run, listing.run} == {
        edge_cli.run_add,
        edge_cli.run_run,
        edge_cli.run_status,
        edge_cli.run_list,
    }


def test_add_needs_a_directory_to_write_the_bundle_into() -> None:
    with pytest.raises(SystemExit):
        cli.parser().parse_args(["edge", "add", "00004"])


# --- what `add` refuses ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "why"),
    [("99999", "no unit has code '99999'"), ("VN", "VN is Central")],
)
def test_add_refuses_an_unknown_unit_or_central_with_exit_code_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], code: str, why: str
) -> None:
    out = tmp_path / "edge"

    code_returned = cli.main(["edge", "add", code, "--out", str(out)])

    assert code_returned == 2
    assert why in capsys.readouterr().out
    assert not out.exists()


def test_an_edge_is_for_a_commune_or_a_province_open_now() -> None:
    today = date(2026, 3, 5)

    assert edge_unit("00004", REGISTRY, today).name == "Phường Ba Đình"
    assert edge_unit("01", REGISTRY, today).level == Level.PROVINCE
    with pytest.raises(Refused, match="closed; its successor is 00004"):
        edge_unit("00007", REGISTRY, today)


def test_add_refuses_where_there_is_no_nats_authority_rather_than_make_a_new_operator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BAOCAO_NATS_AUTH_DIR", str(tmp_path / "auth"))

    code = cli.main(["edge", "add", "00004", "--out", str(tmp_path / "edge")])

    assert code == 2
    assert "no NATS authority" in capsys.readouterr().out
    assert not (tmp_path / "auth").exists()


def test_add_asks_for_the_hubs_leaf_address_when_the_embedded_server_takes_no_leaves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    authority = NatsAuthority(tmp_path / "nats" / "auth")
    (tmp_path / "nats" / "nats-server.conf").write_text(
        authority.server_config(store_dir=tmp_path / "js", resolver_dir=tmp_path / "r")
    )
    monkeypatch.setenv("BAOCAO_NATS_AUTH_DIR", str(authority.directory))

    code = cli.main(["edge", "add", "00004", "--out", str(tmp_path / "edge")])

    assert code == 2
    assert "give --hub-leaf" in capsys.readouterr().out


def test_the_hubs_leaf_address_is_read_from_the_embedded_servers_config(tmp_path: Path) -> None:
    authority = NatsAuthority(tmp_path / "auth")
    store, resolver = tmp_path / "js", tmp_path / "r"

    hub = authority.server_config(store_dir=store, resolver_dir=resolver, leafnode_port=7422)
    plain = authority.server_config(store_dir=store, resolver_dir=resolver)

    assert leaf_url_of_config(hub) == "nats-leaf://127.0.0.1:7422"
    assert leaf_url_of_config(plain) is None


@pytest.mark.parametrize("url", ["http://hub:7422", "hub:7422", "nats-leaf://"])
def test_a_leaf_address_that_nats_server_would_not_dial_is_refused(url: str) -> None:
    with pytest.raises(Refused, match="not a leaf address"):
        checked_leaf_url(url)


def test_add_keeps_another_units_bundle_rather_than_write_over_its_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "edge"
    out.mkdir()
    (out / "edge.json").write_text(json.dumps({"unit": "00007"}))

    code = cli.main(["edge", "add", "00004", "--out", str(out), "--hub-leaf", "nats-leaf://h:1"])

    assert code == 2
    assert "holds the bundle of 00007" in capsys.readouterr().out


def test_what_add_prints_names_every_file_and_the_one_command_to_run_at_the_commune(
    tmp_path: Path,
) -> None:
    bundle = make_bundle(
        NatsIdentities.of().authority,
        SubjectUnit("01", "00004"),
        "nats-leaf://hub.example.vn:7422",
        tmp_path / "edge-00004",
    )

    text = handover_text(bundle, "Phường Ba Đình", changed=True)

    assert "Edge 00004 Phường Ba Đình (province 01) is now sourced by the hub." in text
    assert str((tmp_path / "edge-00004").resolve()) in text
    for name in ("edge.json", "trust.json", "leaf.creds", "admin.creds", "unit.creds"):
        assert (bundle.directory / name).is_file()
        assert f"  {name}" in text
    assert "  baocao edge run edge-00004\n" in text
    assert "nats-leaf://hub.example.vn:7422" in text


# --- the edge's monitoring, for the link's state -----------------------------------------


def test_the_edges_monitoring_listens_on_loopback_only_when_asked(tmp_path: Path) -> None:
    bundle = make_bundle(
        NatsIdentities.of().authority,
        SubjectUnit("01", "00004"),
        "nats-leaf://hub.example:7422",
        tmp_path / "b",
    )

    plain = server_config(bundle, tmp_path / "js", host="0.0.0.0", port=4222)
    monitored = server_config(bundle, tmp_path / "js", host="0.0.0.0", port=4222, monitor_port=8333)

    assert "http:" not in plain
    assert 'http: "127.0.0.1:8333"' in monitored


def test_the_link_is_up_while_the_edge_has_a_leaf_connection() -> None:
    assert leaf_link_up({"leafnodes": [{"name": "hub", "ip": "127.0.0.1"}]})
    assert not leaf_link_up({"leafnodes": []})
    assert not leaf_link_up({"leafnodes": None})


# --- `status` ----------------------------------------------------------------------------


def test_status_exits_0_when_nothing_waits_1_when_reports_wait_2_when_unreachable() -> None:
    assert status_exit_code(reading(EMPTY)) == 0
    assert status_exit_code(reading(WAITING)) == 1
    assert status_exit_code(reading(None)) == 2


def test_status_prints_the_backlog_in_vietnam_time_for_an_operator() -> None:
    assert status_text(reading(WAITING, link_up=False), NOW) == (
        "edge 00004 (province 01) at nats://127.0.0.1:4222\n"
        "  stored         12\n"
        "  unsent         3\n"
        "  oldest unsent  05/03/2026 14:01:07 (2m 05s ago)\n"
        "  link to hub    down"
    )
    assert "  oldest unsent  -\n  link to hub    unknown" in status_text(reading(EMPTY, None), NOW)
    assert status_text(reading(None), NOW) == (
        "edge 00004 (province 01) at nats://127.0.0.1:4222: cannot be reached"
        " (nats: no servers available for connection)"
    )


def test_status_as_json_gives_machines_iso_times_and_whole_seconds() -> None:
    assert status_json(reading(WAITING), NOW) == {
        "unit": "00004",
        "province": "01",
        "url": "nats://127.0.0.1:4222",
        "reachable": True,
        "stored": 12,
        "unsent": 3,
        "oldest_unsent_at": "2026-03-05T14:01:07+07:00",
        "oldest_unsent_age_seconds": 125,
        "link_up": True,
    }
    assert status_json(reading(EMPTY), NOW)["oldest_unsent_at"] is None
    assert status_json(reading(None), NOW) == {
        "unit": "00004",
        "province": "01",
        "url": "nats://127.0.0.1:4222",
        "reachable": False,
        "link_up": None,
        "error": "nats: no servers available for connection",
    }


def test_status_of_a_directory_that_is_no_bundle_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["edge", "status", str(tmp_path)]) == 2
    assert "not an edge's bundle" in capsys.readouterr().out


# --- `run`'s lines -----------------------------------------------------------------------


def test_run_prints_a_line_while_reports_wait_or_anything_changes_and_is_quiet_otherwise() -> None:
    quiet = (EMPTY.stored, EMPTY.unsent, True)

    assert worth_a_line(EMPTY, True, None)
    assert not worth_a_line(EMPTY, True, quiet)
    assert worth_a_line(EMPTY, False, quiet)  # the link went down
    assert worth_a_line(OutboxStatus(13, 0, None), True, quiet)  # one came and went
    assert worth_a_line(WAITING, True, (WAITING.stored, WAITING.unsent, True))


def test_runs_line_gives_the_time_the_backlog_its_age_and_the_link() -> None:
    assert status_line(WAITING, False, NOW) == (
        "05/03/2026 14:03:12  unsent 3  oldest 2m 05s  stored 12  link down"
    )
    assert status_line(EMPTY, None, NOW) == "05/03/2026 14:03:12  unsent 0  stored 12  link unknown"


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (timedelta(seconds=0), "0s"),
        (timedelta(seconds=45.9), "45s"),
        (timedelta(minutes=2, seconds=5), "2m 05s"),
        (timedelta(hours=3, minutes=2, seconds=59), "3h 02m"),
        (timedelta(days=4, hours=7, minutes=30), "4d 07h"),
        (timedelta(seconds=-3), "0s"),  # a clock a little ahead of the edge's
    ],
)
def test_a_duration_reads_in_its_two_largest_units(duration: timedelta, text: str) -> None:
    assert duration_text(duration) == text


# --- `list` ------------------------------------------------------------------------------

LINKS = [
    EdgeLink("00004", "01", timedelta(seconds=3), 0),
    EdgeLink("26506", "79", timedelta(hours=5, minutes=1), 2),
    EdgeLink("00007", "01", None, 0),
]


def test_the_edges_are_listed_longest_silent_first_never_heard_at_the_top() -> None:
    assert [link.unit for link in longest_silent_first(LINKS)] == ["00007", "26506", "00004"]


def test_list_prints_when_the_hub_last_heard_from_each_edge_in_vietnam_time() -> None:
    assert links_text(LINKS, NOW).splitlines() == [
        "unit    province  last heard           silent for  lag",
        "00007   01        never                -           0",
        "26506   79        05/03/2026 09:02:12  5h 01m      2",
        "00004   01        05/03/2026 14:03:09  3s          0",
        "3 edges",
    ]
    assert "no edge yet" in links_text([], NOW)


def test_list_as_json() -> None:
    assert links_json(LINKS, NOW) == [
        {
            "unit": "00007",
            "province": "01",
            "last_heard_at": None,
            "silent_seconds": None,
            "lag": 0,
        },
        {
            "unit": "26506",
            "province": "79",
            "last_heard_at": "2026-03-05T09:02:12+07:00",
            "silent_seconds": 18060,
            "lag": 2,
        },
        {
            "unit": "00004",
            "province": "01",
            "last_heard_at": "2026-03-05T14:03:09+07:00",
            "silent_seconds": 3,
            "lag": 0,
        },
    ]
