"""An edge: a nats-server at a commune, a leaf node of the hub with its own JetStream domain and
an outbox the hub sources whenever the link is up (docs/weak-networks.md, ADR 0024).

Local systems publish to the edge exactly as to the hub: the same subjects, credentials and
signed bodies. The edge trusts the same operator and account (their JWTs are public), so a
unit's credentials work on both, and its template still limits it to its own subject.

What the hub hands a commune is a directory, the **bundle**: ``edge.json`` (the unit, its
province, the hub's leaf URL), ``trust.json`` (the operator's and accounts' JWTs), and three
credentials: ``leaf.creds`` (the leaf connection: shared.nats_permissions.edge_link),
``admin.creds`` (the edge's own JetStream, through its domain only) and ``unit.creds`` (the
local system's, as for the hub).
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nats
from nats.aio.client import Client

from baocao.embedded_nats import start_nats_server
from baocao.jetstream_api import checked, request
from baocao.nats_authority import NatsAuthority, write_creds
from baocao.nats_identities import connect_options
from baocao.processes import stop_process
from shared import nats_permissions, subjects
from shared.nats_permissions import Unit

# A local system's re-sends over a day are one report; the hub keeps its own 2-minute window.
OUTBOX_DUPLICATE_WINDOW = timedelta(days=1)
# A month offline is far past any report's offline window; the outbox keeps a copy that long.
OUTBOX_MAX_AGE = timedelta(days=30)


@dataclass(frozen=True)
class EdgeBundle:
    """The directory the hub's ops hand to a commune to run its edge."""

    directory: Path

    @property
    def settings(self) -> dict[str, str]:
        settings: dict[str, str] = json.loads((self.directory / "edge.json").read_text())
        return settings

    @property
    def unit(self) -> str:
        return self.settings["unit"]

    @property
    def province(self) -> str:
        return self.settings["province"]

    @property
    def hub_leaf_url(self) -> str:
        return self.settings["hub_leaf_url"]

    def creds(self, name: str) -> Path:
        return self.directory / f"{name}.creds"

    def trust(self) -> dict[str, str]:
        trust: dict[str, str] = json.loads((self.directory / "trust.json").read_text())
        return trust


def make_bundle(
    authority: NatsAuthority, unit: Unit, hub_leaf_url: str, directory: Path
) -> EdgeBundle:
    """Mint an edge's credentials and write its bundle (the hub's ops, with the account key)."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    province, code = unit.province, unit.code
    write_creds(
        directory / "leaf.creds",
        authority.user_creds(
            f"edge-{code}", lambda inbox: nats_permissions.edge_link(province, code, inbox)
        ),
    )
    write_creds(
        directory / "admin.creds",
        authority.user_creds(
            f"edge-admin-{code}",
            nats_permissions.edge_admin,
            source_networks=nats_permissions.EDGE_ADMIN_NETWORKS,
        ),
    )
    write_creds(directory / "unit.creds", authority.unit_creds(f"system-{code}", [unit]))
    _private(directory / "trust.json", json.dumps(trust_of(authority), indent=1))
    settings = {"unit": code, "province": province, "hub_leaf_url": hub_leaf_url}
    _private(directory / "edge.json", json.dumps(settings, indent=1))
    return EdgeBundle(directory)


def trust_of(authority: NatsAuthority) -> dict[str, str]:
    """What an edge needs to trust the hub's users: the operator's and accounts' public JWTs."""
    return {
        "operator_jwt": authority.operator_jwt,
        "system_account": authority.system_account.public_key,
        "system_account_jwt": authority.system_account_jwt,
        "account": authority.account.public_key,
        "account_jwt": authority.account_jwt,
    }


def server_config(
    bundle: EdgeBundle, store_dir: Path, *, host: str, port: int, monitor_port: int | None = None
) -> str:
    """The edge's nats-server config, from its bundle (:func:`leaf_node_config`)."""
    return leaf_node_config(
        bundle.trust(),
        server_name=f"edge-{bundle.province}-{bundle.unit}",
        domain=subjects.edge_domain(bundle.unit),
        store_dir=store_dir,
        host=host,
        port=port,
        hub_leaf_url=bundle.hub_leaf_url,
        leaf_creds=bundle.creds("leaf").resolve(),
        monitor_port=monitor_port,
    )


def leaf_node_config(
    trust: Mapping[str, str],
    *,
    server_name: str,
    domain: str,
    store_dir: Path,
    host: str,
    port: int,
    hub_leaf_url: str,
    leaf_creds: Path,
    monitor_port: int | None = None,
) -> str:
    """A nats-server config for an edge: the same operator and account as the hub, preloaded
    (the edge may start with its link down), its own JetStream domain, and one leaf remote to
    the hub. With ``monitor_port``, the monitoring endpoint on loopback, where `baocao edge`
    reads whether the leaf link is up (``/leafz``): the bundle's users may not ask the system
    account."""
    lines = [
        "# Written by baocao edge: a leaf node of the hub with its own outbox.",
        f"listen: {_quote(f'{host}:{port}')}",
        f"server_name: {_quote(server_name)}",
        f"operator: {_quote(trust['operator_jwt'])}",
        f"system_account: {_quote(trust['system_account'])}",
        "resolver: MEMORY",
        "resolver_preload: {",
        f"  {trust['system_account']}: {_quote(trust['system_account_jwt'])}",
        f"  {trust['account']}: {_quote(trust['account_jwt'])}",
        "}",
        f"jetstream: {{ store_dir: {_quote(str(store_dir))}, domain: {_quote(domain)} }}",
        "leafnodes {",
        '  reconnect: "2s"',
        "  remotes: [ {",
        f"    url: {_quote(hub_leaf_url)}",
        f"    credentials: {_quote(str(leaf_creds))}",
        f"    account: {trust['account']}",
        "    compression: off",
        "  } ]",
        "}",
    ]
    if monitor_port is not None:
        # Loopback whatever ``host`` is: it answers anyone without credentials.
        lines.append(f"http: {_quote(f'127.0.0.1:{monitor_port}')}")
    return "\n".join(lines) + "\n"


class EdgeServer:
    """The edge's nats-server, run from its bundle, its data in ``data_dir``."""

    def __init__(
        self,
        bundle: EdgeBundle,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 4222,
        monitor_port: int | None = None,
    ) -> None:
        self.bundle = bundle
        self.data_dir = data_dir.resolve()
        self.host = host
        self.port = port
        self.monitor_port = monitor_port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def start(self) -> None:
        store = self.data_dir / "jetstream"
        store.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "edge-server.conf"
        config.write_text(
            server_config(
                self.bundle, store, host=self.host, port=self.port, monitor_port=self.monitor_port
            )
        )
        config.chmod(0o600)
        self.process = start_nats_server(
            config, self.data_dir / "edge-server.log", self.host, self.port
        )

    def stop(self) -> None:
        stop_process(self.process, signal.SIGTERM)

    def kill(self) -> None:
        stop_process(self.process, signal.SIGKILL)

    async def connect(self, creds: str) -> Client:
        """A connection to the edge with one of the bundle's credentials (``admin``, ``unit``)."""
        return await nats.connect(self.url, **connect_options(self.bundle.creds(creds)))


async def provision_outbox(connection: Client, province: str, unit: str) -> None:
    """The outbox and the durable consumer the hub pulls from, on the edge (its admin's
    connection). Idempotent. Limits retention: a work queue leaked messages past the ack floor
    after a kill -9 in the research for ADR 0024."""
    api = "$JS.API"  # the edge's own: the admin connects to the edge
    outbox = {
        "name": subjects.EDGE_OUTBOX,
        "subjects": [subjects.submitted(province, unit)],
        "retention": "limits",
        "storage": "file",
        "discard": "old",
        "max_age": _nanos(OUTBOX_MAX_AGE),
        "duplicate_window": _nanos(OUTBOX_DUPLICATE_WINDOW),
        "num_replicas": 1,
    }
    info = await request(connection, f"{api}.STREAM.INFO.{subjects.EDGE_OUTBOX}")
    verb = "UPDATE" if "error" not in info else "CREATE"
    await checked(connection, f"{api}.STREAM.{verb}.{subjects.EDGE_OUTBOX}", outbox)
    consumer = {
        "durable_name": subjects.EDGE_CONSUMER,
        "name": subjects.EDGE_CONSUMER,
        "deliver_subject": subjects.edge_deliver(province, unit),
        "deliver_policy": "all",
        "ack_policy": "flow_control",
        "flow_control": True,
        "idle_heartbeat": _nanos(timedelta(seconds=5)),
        "max_deliver": -1,
        "replay_policy": "instant",
    }
    await checked(
        connection,
        f"{api}.CONSUMER.CREATE.{subjects.EDGE_OUTBOX}.{subjects.EDGE_CONSUMER}",
        {"stream_name": subjects.EDGE_OUTBOX, "config": consumer},
    )


@dataclass(frozen=True)
class OutboxStatus:
    """What the edge holds and has not yet handed to the hub."""

    stored: int
    unsent: int
    oldest_unsent_at: datetime | None

    def oldest_unsent_age(self, now: datetime) -> timedelta | None:
        return None if self.oldest_unsent_at is None else now - self.oldest_unsent_at


async def outbox_status(connection: Client) -> OutboxStatus:
    """The outbox's backlog, read on the edge: the hub's consumer's pending count and the
    stored time of the first message past its acknowledged floor."""
    api = "$JS.API"
    stream = await checked(connection, f"{api}.STREAM.INFO.{subjects.EDGE_OUTBOX}")
    consumer = await checked(
        connection, f"{api}.CONSUMER.INFO.{subjects.EDGE_OUTBOX}.{subjects.EDGE_CONSUMER}"
    )
    unsent = int(consumer.get("num_pending", 0)) + int(consumer.get("num_ack_pending", 0))
    oldest: datetime | None = None
    if unsent:
        floor = int(consumer["ack_floor"]["stream_seq"])
        message = await request(
            connection,
            f"{api}.STREAM.MSG.GET.{subjects.EDGE_OUTBOX}",
            {"seq": floor + 1, "next_by_subj": ">"},
        )
        if "message" in message:
            oldest = _instant(message["message"]["time"])
    return OutboxStatus(int(stream["state"]["messages"]), unsent, oldest)


def _instant(text: str) -> datetime:
    # JetStream writes nanoseconds; Python reads microseconds.
    head, _, rest = text.partition(".")
    fraction = "".join(c for c in rest if c.isdigit())[:6]
    return datetime.fromisoformat(f"{head}.{fraction or '0'}").replace(tzinfo=UTC)


def _nanos(duration: timedelta) -> int:
    return int(duration.total_seconds() * 1e9)


def _quote(value: str) -> str:
    return json.dumps(value)


def _private(path: Path, text: str) -> None:
    path.write_text(text + "\n")
    path.chmod(0o600)
