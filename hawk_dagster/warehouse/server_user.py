"""The operating-system user the embedded PostgreSQL runs as.

PostgreSQL refuses to run as root. As root we run its programs as the `postgres` system user (created
when missing), switching user in the child process (`subprocess.run(user=…)`); as anyone else we run
them as ourselves.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hawk_dagster.warehouse.errors import WarehouseError

POSTGRES_SYSTEM_USER = "postgres"


@dataclass(frozen=True)
class ServerUser:
    """Who runs initdb/pg_ctl/postgres."""

    name: str
    uid: int
    gid: int
    switches: bool  # True when we are root and run the programs as this user

    def run(self, argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        """`subprocess.run(argv, text=True, **kwargs)` as this user, from `/` (we may be elsewhere)."""
        if self.switches:
            kwargs |= {"user": self.uid, "group": self.gid, "extra_groups": []}
        return subprocess.run(argv, cwd="/", text=True, **kwargs)

    def give(self, path: Path) -> None:
        """Hand `path` to this user (no-op unless we are root)."""
        if self.switches:
            os.chown(path, self.uid, self.gid)

    def can_enter(self, directory: Path) -> bool:
        """Whether this user may traverse every component of `directory`."""
        if not self.switches:
            return True
        return self.run(["test", "-x", str(directory)], capture_output=True).returncode == 0


def _ensure_postgres_system_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(POSTGRES_SYSTEM_USER)
    except KeyError:
        pass
    if shutil.which("useradd") is None:
        raise WarehouseError(
            "PostgreSQL refuses to run as root, there is no 'postgres' user and `useradd` is missing: "
            "create a 'postgres' system user, run as a normal user, or set HAWK_DATABASE_URL"
        )
    try:
        grp.getgrnam(POSTGRES_SYSTEM_USER)
        group_option = ["-g", POSTGRES_SYSTEM_USER]
    except KeyError:
        group_option = ["--user-group"]
    subprocess.run(
        [
            "useradd",
            "--system",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            *group_option,
            POSTGRES_SYSTEM_USER,
        ],
        check=True,
        capture_output=True,
    )
    return pwd.getpwnam(POSTGRES_SYSTEM_USER)


def current_server_user() -> ServerUser:
    """The user the embedded server runs as: `postgres` when we are root, else ourselves."""
    if os.geteuid() != 0:
        entry = pwd.getpwuid(os.geteuid())
        return ServerUser(entry.pw_name, entry.pw_uid, entry.pw_gid, switches=False)
    entry = _ensure_postgres_system_user()
    return ServerUser(entry.pw_name, entry.pw_uid, entry.pw_gid, switches=True)


def _can_traverse(path: Path, user: ServerUser, groups: set[int]) -> bool:
    info = path.stat()
    if info.st_uid == user.uid:
        return bool(info.st_mode & stat.S_IXUSR)
    if info.st_gid in groups:
        return bool(info.st_mode & stat.S_IXGRP)
    return bool(info.st_mode & stat.S_IXOTH)


def _first_blocking_directory(directory: Path, user: ServerUser) -> Path | None:
    groups = {user.gid} | {group.gr_gid for group in grp.getgrall() if user.name in group.gr_mem}
    for candidate in [*reversed(directory.parents), directory]:
        if not _can_traverse(candidate, user, groups):
            return candidate
    return None


def require_reachable(directory: Path, user: ServerUser) -> None:
    """Fail in one line when `user` cannot enter `directory` (every parent must be traversable)."""
    if user.can_enter(directory):
        return
    blocking = _first_blocking_directory(directory, user) or directory
    raise WarehouseError(
        f"PostgreSQL runs as user '{user.name}', which cannot enter {blocking}: "
        f"run `chmod o+x {blocking}`, point HAWK_HOME at a world-traversable directory, "
        "or set HAWK_DATABASE_URL"
    )
