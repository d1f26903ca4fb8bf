"""`baocao edge`: an edge at a commune, a leaf nats-server with its own outbox (ADR 0024).

    baocao edge add 00004 --out edge-00004   # the hub's ops: the commune's bundle, and the hub
                                             # sources its outbox from now on
    baocao edge run edge-00004               # at the commune: the edge, until Ctrl-C
    baocao edge status edge-00004 [--json]   # exit 0: nothing waiting, 1: reports waiting,
                                             # 2: the edge cannot be reached
    baocao edge list [--json]                # the hub's ops: every edge, longest silent first

The work is :mod:`baocao.edge_node`'s (the commune's side) and :mod:`baocao.edge_hub`'s (the
hub's). What is printed is made by :mod:`baocao.edge_report`, pure and tested on its own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import nats
from nats.aio.client import Client

from baocao.edge_hub import EdgeLink, edge_links, register_edge
from baocao.edge_metrics import DEFAULT_METRICS_PORT, EdgeMetrics
from baocao.edge_node import (
    EdgeBundle,
    EdgeServer,
    make_bundle,
    outbox_status,
    provision_outbox,
)
from baocao.edge_report import (
    EdgeReading,
    leaf_link_up,
    links_json,
    links_text,
    status_exit_code,
    status_json,
    status_line,
    status_text,
    vietnam_time,
    worth_a_line,
)
from baocao.nats_identities import (
    DEFAULT_AUTH_DIR,
    NatsIdentities,
    connect_options,
    ops_options,
)
from shared.catalog.model import Level
from shared.nats_permissions import Unit as SubjectUnit
from shared.periods import VIETNAM
from shared.registry.model import Registry, Unit

DEFAULT_PORT = 4222
# nats-server's own default; the edge's monitoring answers on loopback only.
DEFAULT_MONITOR_PORT = 8222
DEFAULT_DATA_DIR = Path(".run/edge")
STATUS_EVERY_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 3.0
LEAF_SCHEMES = ("nats-leaf", "nats", "tls", "ws", "wss")
BUNDLE_FILES = {
    "edge.json": "the unit, its province and the hub's leaf address",
    "trust.json": "the operator's and accounts' public JWTs the edge trusts",
    "leaf.creds": "the edge's link to the hub: carries its outbox, nothing else (secret)",
    "admin.creds": "the edge's own outbox, from the edge's machine only (secret)",
    "unit.creds": "the commune's local system, the same as on the hub (secret)",
}

Say = Callable[[str], None]


def add_commands(commands: Any) -> None:
    command = commands.add_parser(
        "edge",
        help="an edge at a commune, a leaf nats-server with its own outbox: add (hub), run and"
        " status (commune), list (hub)",
    )
    actions = command.add_subparsers(dest="action", required=True)
    add = actions.add_parser(
        "add", help="write a commune's bundle and have the hub source its outbox (the hub's ops)"
    )
    add.add_argument("unit", help="the unit's code, e.g. 00004")
    add.add_argument("--out", type=Path, required=True, help="the bundle's directory")
    add.add_argument(
        "--hub-leaf",
        help="where edges reach the hub, nats-leaf://HOST:PORT (default: the embedded"
        " nats-server's leaf port, if it has one)",
    )
    add.set_defaults(run=run_add)
    run = actions.add_parser("run", help="run the edge from its bundle, until Ctrl-C (commune)")
    run.add_argument("bundle", type=Path, help="the bundle's directory")
    _edge_address(run)
    run.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help=f"the outbox's store and the server's log (default {DEFAULT_DATA_DIR})",
    )
    run.add_argument("--host", default="127.0.0.1", help="where local systems reach the edge")
    run.add_argument(
        "--every", type=float, default=STATUS_EVERY_SECONDS, help="seconds between status lines"
    )
    run.add_argument(
        "--metrics-port",
        type=int,
        default=DEFAULT_METRICS_PORT,
        help=f"serve Prometheus metrics on 127.0.0.1 here (default {DEFAULT_METRICS_PORT}; 0: off)",
    )
    run.set_defaults(run=run_run)
    status = actions.add_parser(
        "status",
        help="what a running edge holds; exit 0: nothing waiting, 1: reports waiting,"
        " 2: the edge cannot be reached",
    )
    status.add_argument("bundle", type=Path, help="the bundle's directory")
    _edge_address(status)
    status.add_argument("--json", action="store_true", help="print a JSON object")
    status.set_defaults(run=run_status)
    listing = actions.add_parser(
        "list", help="every edge the hub sources, longest silent first (the hub's ops)"
    )
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(run=run_list)


def _edge_address(command: argparse.ArgumentParser) -> None:
    command.add_argument("--port", type=int, default=DEFAULT_PORT, help="the edge's NATS port")
    command.add_argument(
        "--monitor-port",
        type=int,
        default=DEFAULT_MONITOR_PORT,
        help="the edge's monitoring port, where the leaf link's state is read (0: none)",
    )


# --- pure: the unit, the hub's leaf address, the bundle ------------------------------------


class Refused(Exception):
    """A command refused before doing anything; the message says why (exit code 2)."""


def edge_unit(code: str, registry: Registry, on: date) -> Unit:
    """The unit an edge may be added for: a commune or a province the registry has now."""
    unit = registry.get(code)
    if unit is None:
        raise Refused(f"no unit has code {code!r} in the registry")
    if unit.level == Level.CENTRAL:
        raise Refused(f"{code} is Central: an edge is for a commune or a province")
    if not unit.is_active_on(on):
        successor = f"; its successor is {unit.successor}" if unit.successor else ""
        raise Refused(f"{code} ({unit.name}) is closed{successor}")
    return unit


def leaf_url_of_config(config: str) -> str | None:
    """The leaf address a nats-server config listens on (``leafnodes { listen: ... }``)."""
    found = re.search(r'leafnodes\s*\{[^}]*?listen:\s*"([^"]+)"', config)
    return None if found is None else f"nats-leaf://{found.group(1)}"


def checked_leaf_url(url: str) -> str:
    scheme, separator, rest = url.partition("://")
    if not separator or scheme not in LEAF_SCHEMES or not rest:
        raise Refused(f"{url!r} is not a leaf address such as nats-leaf://hub.example.vn:7422")
    return url


def handover_text(bundle: EdgeBundle, name: str, *, changed: bool) -> str:
    """What the hub's ops read after ``add``: what to hand over and the command to run there."""
    registered = "is now sourced by the hub" if changed else "was already sourced by the hub"
    lines = [
        f"Edge {bundle.unit} {name} (province {bundle.province}) {registered}.",
        f"Hand the commune this directory: {bundle.directory.resolve()}",
        *(f"  {file:<12} {meaning}" for file, meaning in BUNDLE_FILES.items()),
        "Send it over a trusted channel: the three .creds files are keys.",
        "At the commune, with Baocao installed, run in the directory holding it:",
        f"  baocao edge run {bundle.directory.name}",
        f"Local systems then publish to nats://127.0.0.1:{DEFAULT_PORT} with unit.creds;"
        f" the edge forwards to {bundle.hub_leaf_url} whenever the link is up.",
    ]
    return "\n".join(lines)


# --- pure: times and what an edge holds ----------------------------------------------------


def run_add(args: argparse.Namespace) -> int:
    try:
        unit = edge_unit(args.unit, _registry(), _today())
        identities = _hub_identities()
        hub_leaf = checked_leaf_url(args.hub_leaf or _embedded_leaf_url(identities))
        _check_out_directory(args.out, unit.code)
    except Refused as refusal:
        print(f"baocao edge add: {refusal}")
        return 2
    return asyncio.run(_add(identities, unit, hub_leaf, args.out))


async def _add(identities: NatsIdentities, unit: Unit, hub_leaf: str, out: Path) -> int:
    url = _hub_url()
    try:
        ops = await _connect(url, ops_options())
    except (OSError, nats.errors.Error) as error:
        print(f"baocao edge add: cannot reach the hub at {url} ({_reason(error)})")
        return 2
    try:
        subject_unit = _subject_unit(unit)
        bundle = make_bundle(identities.authority, subject_unit, hub_leaf, out)
        changed = await register_edge(ops, subject_unit.province, subject_unit.code)
    finally:
        await ops.close()
    print(handover_text(bundle, unit.name, changed=changed))
    return 0


def run_run(args: argparse.Namespace) -> int:
    try:
        bundle = _bundle(args.bundle)
    except Refused as refusal:
        print(f"baocao edge run: {refusal}")
        return 2

    async def until_stopped() -> int:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
        edge = EdgeServer(
            bundle,
            args.data,
            host=args.host,
            port=args.port,
            monitor_port=args.monitor_port or None,
        )
        metrics = EdgeMetrics(bundle.unit)
        if args.metrics_port:
            metrics.serve(args.metrics_port)
        return await run_edge(edge, stopping, say=_say, every=args.every, metrics=metrics)

    return asyncio.run(until_stopped())


async def run_edge(
    edge: EdgeServer,
    stopping: asyncio.Event,
    *,
    say: Say,
    every: float,
    metrics: EdgeMetrics | None = None,
) -> int:
    """Start the edge, provision its outbox, and report its backlog until ``stopping`` is set;
    the server then gets SIGTERM, and its outbox stays in its data directory."""
    bundle, log = edge.bundle, edge.data_dir / "edge-server.log"
    try:
        edge.start()
    except (RuntimeError, TimeoutError) as error:
        say(f"the edge's nats-server did not start ({error}); see {log}")
        edge.stop()
        return 1
    try:
        admin = await edge.connect("admin")
        await provision_outbox(admin, bundle.province, bundle.unit)
    except (OSError, RuntimeError, nats.errors.Error) as error:
        say(f"the edge's outbox could not be set up ({_reason(error)}); see {log}")
        edge.stop()
        return 1
    say(f"edge {bundle.unit} (province {bundle.province}) is up")
    say(f"  local systems publish to {edge.url} with unit.creds")
    say(f"  hub {bundle.hub_leaf_url}   data {edge.data_dir}   log {log}")
    say("  a line every few seconds while reports wait or anything changes; Ctrl-C stops")
    try:
        await _watch(edge, admin, stopping, say=say, every=every, metrics=metrics)
        await admin.close()
    finally:
        edge.stop()
    if edge.process is not None and edge.process.returncode not in (0, -signal.SIGTERM):
        say(f"the edge's nats-server exited with {edge.process.returncode}; see {log}")
        return 1
    say(f"edge stopped; what its outbox holds is kept in {edge.data_dir}")
    return 0


async def _watch(
    edge: EdgeServer,
    admin: Client,
    stopping: asyncio.Event,
    *,
    say: Say,
    every: float,
    metrics: EdgeMetrics | None,
) -> None:
    last: tuple[int, int, bool | None] | None = None
    while not stopping.is_set():
        if edge.process is not None and edge.process.poll() is not None:
            return
        try:
            outbox = await outbox_status(admin)
        except (RuntimeError, nats.errors.Error) as error:
            say(f"{vietnam_time(_now())}  the outbox cannot be read ({_reason(error)})")
        else:
            link_up = await _leaf_link_up(edge.monitor_port)
            if metrics is not None:
                metrics.observe(outbox, link_up, _now())
            if worth_a_line(outbox, link_up, last):
                say(status_line(outbox, link_up, _now()))
            last = (outbox.stored, outbox.unsent, link_up)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), every)


def run_status(args: argparse.Namespace) -> int:
    try:
        bundle = _bundle(args.bundle)
    except Refused as refusal:
        print(f"baocao edge status: {refusal}")
        return 2
    reading = asyncio.run(read_edge(bundle, args.port, args.monitor_port or None))
    now = _now()
    if args.json:
        print(json.dumps(status_json(reading, now), ensure_ascii=False, indent=2))
    else:
        print(status_text(reading, now))
    return status_exit_code(reading)


async def read_edge(bundle: EdgeBundle, port: int, monitor_port: int | None) -> EdgeReading:
    url = f"nats://127.0.0.1:{port}"
    try:
        admin = await _connect(url, connect_options(bundle.creds("admin")))
    except (OSError, nats.errors.Error) as error:
        return EdgeReading(bundle.unit, bundle.province, url, None, problem=_reason(error))
    try:
        outbox = await outbox_status(admin)
    except (RuntimeError, nats.errors.Error) as error:
        # Up, but its outbox is not there: `edge run` provisions it.
        return EdgeReading(bundle.unit, bundle.province, url, None, problem=_reason(error))
    finally:
        await admin.close()
    link_up = await _leaf_link_up(monitor_port)
    return EdgeReading(bundle.unit, bundle.province, url, outbox, link_up)


def run_list(args: argparse.Namespace) -> int:
    provinces = [p.code for p in _registry().provinces(_today())]
    url = _hub_url()

    async def read() -> list[EdgeLink] | str:
        try:
            ops = await _connect(url, ops_options())
        except (OSError, nats.errors.Error) as error:
            return _reason(error)
        try:
            return await edge_links(ops, provinces)
        finally:
            await ops.close()

    links = asyncio.run(read())
    if isinstance(links, str):
        print(f"baocao edge list: cannot reach the hub at {url} ({links})")
        return 2
    now = _now()
    if args.json:
        print(json.dumps(links_json(links, now), ensure_ascii=False, indent=2))
    else:
        print(links_text(links, now))
    return 0


# --- helpers -------------------------------------------------------------------------------


def _bundle(directory: Path) -> EdgeBundle:
    if not (directory / "edge.json").is_file():
        raise Refused(f"{directory} is not an edge's bundle (no edge.json; baocao edge add)")
    return EdgeBundle(directory)


def _check_out_directory(out: Path, code: str) -> None:
    """Refuse to write one unit's bundle over another's: its keys would be lost."""
    settings = out / "edge.json"
    if settings.is_file():
        other = json.loads(settings.read_text()).get("unit")
        if other != code:
            raise Refused(f"{out} holds the bundle of {other}; choose another --out")


def _hub_identities() -> NatsIdentities:
    """The hub's NATS authority. Refused where there is none: NatsAuthority would make a new
    operator, and the bundle would trust one the hub does not know."""
    directory = Path(os.environ.get("BAOCAO_NATS_AUTH_DIR", DEFAULT_AUTH_DIR))
    if not (directory / "operator.jwt").is_file():
        raise Refused(
            f"no NATS authority in {directory}: run where the hub's operator keys are"
            " (BAOCAO_NATS_AUTH_DIR)"
        )
    return NatsIdentities.of()


def _embedded_leaf_url(identities: NatsIdentities) -> str:
    # The embedded nats-server keeps its config beside its authority (.run/nats/auth).
    config = identities.authority.directory.parent / "nats-server.conf"
    found = leaf_url_of_config(config.read_text()) if config.is_file() else None
    if found is None:
        raise Refused(
            "the embedded nats-server takes no leaf connections; give --hub-leaf"
            " nats-leaf://HOST:PORT"
        )
    return found


def _subject_unit(unit: Unit) -> SubjectUnit:
    """The unit as its subjects name it, from a registry unit ``edge_unit`` admitted."""
    province = unit.province
    assert province is not None
    return SubjectUnit(province, unit.code)


def _registry() -> Registry:
    # The package's, as `baocao nats creds` finds a unit's province; imported here, it costs
    # the other commands nothing.
    from shared.registry.seed import units_from_package

    return Registry(units_from_package())


def _hub_url() -> str:
    return os.environ.get("NATS_URL", "nats://127.0.0.1:4222")


async def _connect(url: str, options: dict[str, Any]) -> Client:
    async def quiet(_: Exception) -> None:
        # The failure is reported once, by the caller, in a sentence.
        return None

    # allow_reconnect=False alone still tries a server 60 times, 2 s apart, before the first
    # connection (nats-py 2.16): one retry is enough to tell an operator it is not there.
    return await nats.connect(
        url,
        allow_reconnect=False,
        max_reconnect_attempts=1,
        reconnect_time_wait=0.5,
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        error_cb=quiet,
        **options,
    )


async def _leaf_link_up(monitor_port: int | None) -> bool | None:
    """From the edge's monitoring endpoint; None when it has none or does not answer."""
    if monitor_port is None:
        return None
    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            response = await client.get(f"http://127.0.0.1:{monitor_port}/leafz")
            response.raise_for_status()
            return leaf_link_up(response.json())
    except (httpx.HTTPError, ValueError):
        return None


def _reason(error: BaseException) -> str:
    return str(error) or type(error).__name__


def _say(message: str) -> None:
    print(message, flush=True)


def _now() -> datetime:
    return datetime.now(UTC)


def _today() -> date:
    return datetime.now(VIETNAM).date()
