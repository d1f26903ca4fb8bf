"""`baocao edge` against a real hub: ops add an edge, the commune runs it, its link is cut and
restored, and `status` and `list` tell each side what waits. The commands run in-process (in
a thread: each runs its own event loop, as from a terminal); `run` is its own function here,
as signals can only be taken in the main thread."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from nats.aio.client import Client

from baocao import cli
from baocao.edge_cli import run_edge
from baocao.edge_metrics import EdgeMetrics
from baocao.edge_node import EdgeBundle, EdgeServer
from baocao.embedded import EmbeddedNats
from baocao.link_proxy import LinkProxy
from baocao.nats_identities import NatsIdentities, connect_options
from baocao.nats_provisioning import provision
from baocao.processes import free_port

pytestmark = pytest.mark.integration

REPORT = "reports.submitted.01.00004"


@pytest.fixture
def cli_hub(hub: EmbeddedNats, monkeypatch: pytest.MonkeyPatch) -> EmbeddedNats:
    """The hub (conftest.py); the commands find it by NATS_URL, as ops' do."""
    monkeypatch.setenv("NATS_URL", hub.url)
    return hub


@pytest.fixture
async def link(cli_hub: EmbeddedNats, nats_identities: NatsIdentities) -> AsyncIterator[LinkProxy]:
    """The commune's link to the provisioned hub, to cut."""
    ops = await nats.connect(cli_hub.url, **nats_identities.options("ops"))
    await provision(ops.jetstream())
    await ops.close()
    assert cli_hub.leafnode_port is not None
    proxy = LinkProxy(("127.0.0.1", cli_hub.leafnode_port), seed=17)
    await proxy.start()
    yield proxy
    await proxy.close()


async def baocao(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """``baocao ARGV``'s exit code and what it printed."""
    capsys.readouterr()
    code = await asyncio.to_thread(cli.main, list(argv))
    return code, capsys.readouterr().out


async def status(
    capsys: pytest.CaptureFixture[str], edge: EdgeServer, *more: str
) -> tuple[int, str]:
    return await baocao(
        capsys,
        "edge",
        "status",
        str(edge.bundle.directory),
        "--port",
        str(edge.port),
        "--monitor-port",
        str(edge.monitor_port),
        *more,
    )


async def eventually_status(
    capsys: pytest.CaptureFixture[str], edge: EdgeServer, code: int, link_up: bool
) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while True:
        returned, out = await status(capsys, edge, "--json")
        found: dict[str, Any] = json.loads(out)
        if (returned, found["link_up"]) == (code, link_up) or time.monotonic() > deadline:
            assert (returned, found["link_up"]) == (code, link_up), found
            return found
        await asyncio.sleep(0.3)


async def scrape(port: int) -> str:
    async with httpx.AsyncClient() as client:
        return (await client.get(f"http://127.0.0.1:{port}/metrics")).text


async def eventually_metric(port: int, line: str) -> None:
    deadline = time.monotonic() + 5
    while line not in (await scrape(port)).splitlines():
        assert time.monotonic() < deadline, line
        await asyncio.sleep(0.1)


async def the_hubs_list_shows_ba_dinh(capsys: pytest.CaptureFixture[str]) -> None:
    listed, table = await baocao(capsys, "edge", "list")
    listed_json, rows = await baocao(capsys, "edge", "list", "--json")
    assert (listed, listed_json) == (0, 0)
    assert table.splitlines()[0].startswith("unit    province  last heard")
    assert table.splitlines()[1].startswith("00004   01        ")
    [row] = json.loads(rows)
    assert (row["unit"], row["province"]) == ("00004", "01")


async def metrics_show_one_report_waiting_on_a_cut_link(port: int) -> None:
    await eventually_metric(port, "baocao_edge_link_up 0.0")
    scraped = (await scrape(port)).splitlines()
    assert "baocao_edge_outbox_unsent 1.0" in scraped
    assert 'baocao_edge_info{unit="00004"} 1.0' in scraped
    [age] = [line for line in scraped if line.startswith("baocao_edge_outbox_oldest_unsent_age")]
    assert 0 <= float(age.split()[1]) < 60


async def eventually_said(lines: list[str], ending: str) -> None:
    """``run`` looks every 0.3 s here, so it may say a moment after ``status`` sees it."""
    deadline = time.monotonic() + 5
    while not lines[-1].endswith(ending):
        assert time.monotonic() < deadline, lines[-3:]
        await asyncio.sleep(0.1)


async def publish(edge: EdgeServer, submission_id: str) -> None:
    system: Client = await nats.connect(edge.url, **connect_options(edge.bundle.creds("unit")))
    body = json.dumps({"submission_id": submission_id, "unit": "00004"}).encode()
    await system.jetstream().publish(REPORT, body, headers={"Nats-Msg-Id": submission_id})
    await system.close()


async def test_ops_add_an_edge_the_commune_runs_it_and_both_sides_see_what_waits_on_a_cut_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], link: LinkProxy
) -> None:
    out = tmp_path / "edge-00004"
    added, handover = await baocao(
        capsys, "edge", "add", "00004", "--out", str(out), "--hub-leaf", link.url("nats-leaf")
    )
    again, repeated = await baocao(
        capsys, "edge", "add", "00004", "--out", str(out), "--hub-leaf", link.url("nats-leaf")
    )

    assert (added, again) == (0, 0)
    assert "Edge 00004 Phường Ba Đình (province 01) is now sourced by the hub." in handover
    assert "  baocao edge run edge-00004\n" in handover
    assert "(province 01) was already sourced by the hub." in repeated

    edge = EdgeServer(
        EdgeBundle(out), tmp_path / "data", port=free_port(), monitor_port=free_port()
    )
    lines: list[str] = []
    stopping = asyncio.Event()
    metrics, metrics_port = EdgeMetrics("00004"), free_port()
    served = metrics.serve(metrics_port)
    running = asyncio.create_task(
        run_edge(edge, stopping, say=lines.append, every=0.3, metrics=metrics)
    )
    try:
        await eventually_status(capsys, edge, 0, link_up=True)
        assert lines[0] == "edge 00004 (province 01) is up"
        assert f"  local systems publish to {edge.url} with unit.creds" in lines

        link.cut("refuse")
        await publish(edge, "edge-cli-0001")
        waiting = await eventually_status(capsys, edge, 1, link_up=False)
        assert (waiting["stored"], waiting["unsent"]) == (1, 1)
        assert waiting["oldest_unsent_age_seconds"] < 60
        code, text = await status(capsys, edge)
        assert code == 1
        assert "  unsent         1\n" in text
        assert "  link to hub    down" in text
        # The commune's monitoring sees the same on the edge's metrics.
        await metrics_show_one_report_waiting_on_a_cut_link(metrics_port)

        await the_hubs_list_shows_ba_dinh(capsys)

        link.restore()
        handed = await eventually_status(capsys, edge, 0, link_up=True)
        assert (handed["stored"], handed["unsent"]) == (1, 0)
        await eventually_said(lines, "unsent 0  stored 1  link up")
        assert any(" unsent 1 " in line and line.endswith("link down") for line in lines)
    finally:
        stopping.set()
        stopped = await running
        served.shutdown()

    assert stopped == 0
    assert lines[-1].startswith("edge stopped")
    assert edge.process is not None
    assert edge.process.returncode is not None
    code, text = await status(capsys, edge)
    assert code == 2
    assert "cannot be reached" in text


async def test_add_and_list_exit_2_when_the_hub_cannot_be_reached(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NATS_URL", f"nats://127.0.0.1:{free_port()}")

    added, said = await baocao(
        capsys,
        "edge",
        "add",
        "00004",
        "--out",
        str(tmp_path / "e"),
        "--hub-leaf",
        "nats-leaf://h:1",
    )
    listed, listing = await baocao(capsys, "edge", "list")

    assert (added, listed) == (2, 2)
    assert "cannot reach the hub" in said
    assert "cannot reach the hub" in listing
