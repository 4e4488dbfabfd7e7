"""The bench's PostgreSQL: a private embedded server in a temp dir (or a given URL), fresh databases.

Every measurement gets its own database: the importer's is cloned from a template migrated once to
head (`hawk_raw`), the floor's starts empty (the floor worker creates its UNLOGGED tables).
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from hawk_dagster.warehouse.database import database_name, to_libpq_url, with_database
from hawk_dagster.warehouse.embedded import EmbeddedPostgres
from hawk_dagster.warehouse.migrate import upgrade
from hawk_dagster.warehouse.schema import RAW_SCHEMA

from .rows import FLOOR_SCHEMA

IMPORTED_TABLES = ("eval", "model_role", "sample", "score", "message", "sample_model")


def _execute(url: str, statement: sql.Composed) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(statement)


@contextmanager
def bench_server(database_url: str | None) -> Iterator[str]:
    """`database_url` as is (its role needs CREATEDB), else a private embedded server, stopped after."""
    if database_url:
        yield to_libpq_url(database_url)
        return
    base = Path(tempfile.mkdtemp(prefix="hawk-import-bench-pg-"))
    base.chmod(0o755)  # as root the server runs as `postgres`, which must enter this directory
    server = EmbeddedPostgres.at(base / "postgres")
    try:
        yield server.ensure_running()
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def create_database(server_url: str, prefix: str, template: str | None = None) -> str:
    name = f"{prefix}_{secrets.token_hex(4)}"
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
    _execute(server_url, statement)
    return with_database(server_url, name)


def drop_database(server_url: str, url: str) -> None:
    statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database_name(url)))
    _execute(server_url, statement)


@contextmanager
def migrated_template(server_url: str) -> Iterator[str]:
    """Name of a database migrated to head, for cloning; dropped after."""
    url = create_database(server_url, "import_bench_template")
    try:
        upgrade(url)
        yield database_name(url)
    finally:
        drop_database(server_url, url)


@contextmanager
def fresh_database(
    server_url: str, prefix: str, template: str | None = None, *, keep: bool = False
) -> Iterator[str]:
    """A new database (cloned from `template`), dropped after unless `keep`."""
    url = create_database(server_url, prefix, template)
    try:
        yield url
    finally:
        if not keep:
            drop_database(server_url, url)


def count_rows(url: str, schema: str) -> dict[str, int]:
    """Rows per imported table in `schema` (hawk_raw or the floor's), counted by the database."""
    counts: dict[str, int] = {}
    with psycopg.connect(url) as connection:
        for table in IMPORTED_TABLES:
            query = sql.SQL("SELECT count(*) FROM {}.{}").format(
                sql.Identifier(schema), sql.Identifier(table)
            )
            row = connection.execute(query).fetchone()
            counts[table] = int(row[0]) if row else 0
    return counts


RAW = RAW_SCHEMA
FLOOR = FLOOR_SCHEMA
