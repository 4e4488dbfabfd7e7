"""`hawk db …`: the warehouse database (HAWK_DATABASE_URL or the embedded PostgreSQL).

SQLAlchemy, psycopg and the warehouse modules are imported when a command runs, not for `--help`."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

import click

T = TypeVar("T")


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _run(action: Callable[[], T]) -> T:
    """Run `action`, turning warehouse and connection errors into one-line CLI errors."""
    import psycopg
    import sqlalchemy as sa

    from hawk_dagster.warehouse.database import DATABASE_URL_VARIABLE
    from hawk_dagster.warehouse.errors import WarehouseError

    try:
        return action()
    except WarehouseError as error:
        raise click.ClickException(str(error)) from error
    except (psycopg.Error, sa.exc.DBAPIError) as error:
        raise click.ClickException(
            f"cannot use the warehouse database ({_first_line(error)}): check {DATABASE_URL_VARIABLE} "
            "or unset it to use the embedded PostgreSQL"
        ) from error


@click.group("db")
def db() -> None:
    """The warehouse database: HAWK_DATABASE_URL, else an embedded PostgreSQL under .hawk/."""


@db.command("url")
def url_command() -> None:
    """Print the warehouse URL (password hidden), starting the embedded PostgreSQL if needed."""
    from hawk_dagster.warehouse.database import redact_url, resolve_database_url

    click.echo(redact_url(_run(resolve_database_url)))


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Alembic revision to migrate to.")
def upgrade_command(revision: str) -> None:
    """Create or migrate the raw warehouse schema (hawk_raw)."""
    from hawk_dagster.warehouse.database import resolve_database_url
    from hawk_dagster.warehouse.migrate import current_revision, upgrade

    def migrate() -> str | None:
        url = resolve_database_url()
        upgrade(url, revision)
        return current_revision(url)

    reached = _run(migrate)
    click.echo(f"warehouse schema at revision {reached}")


@db.command("stop")
def stop_command() -> None:
    """Stop the embedded PostgreSQL (an external HAWK_DATABASE_URL is left alone)."""
    from hawk_dagster.warehouse.database import DATABASE_URL_VARIABLE

    if os.environ.get(DATABASE_URL_VARIABLE, "").strip():
        click.echo(f"{DATABASE_URL_VARIABLE} is set: the external database is not managed by hawk")
        return
    from hawk_dagster.warehouse.embedded import stop_embedded_postgres

    stopped = _run(stop_embedded_postgres)
    click.echo("embedded PostgreSQL stopped" if stopped else "embedded PostgreSQL was not running")
