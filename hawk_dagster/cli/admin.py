"""`hawk admin …`: administration of the warehouse's access control.

`hawk admin model-groups sync FILE` validates a model-group YAML, writes it into the warehouse's
registry tables and creates a NOLOGIN role per model group (granted to `model_access_all`), printing
what changed. Running it again with the same file changes nothing. The warehouse, psycopg and the
registry modules are imported when a command runs, not for `--help`.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.group("admin")
def admin() -> None:
    """Administration: model groups and the warehouse's row-level security."""


@admin.group("model-groups")
def model_groups() -> None:
    """Model groups: which group (and lab) each model belongs to."""


@model_groups.command("sync")
@click.argument("file", type=click.Path(path_type=Path))
def sync_command(file: Path) -> None:
    """Write FILE (groups -> models with their lab, optional default_group) into the warehouse and
    create each group's role; prints what changed."""
    from hawk_dagster.access.registry import ModelGroupFileError, ModelGroupRegistry, sync_registry
    from hawk_dagster.cli.db import _run
    from hawk_dagster.warehouse.database import redact_url, resolve_database_url

    try:
        registry = ModelGroupRegistry.from_file(file)
    except ModelGroupFileError as error:
        raise click.ClickException(str(error)) from None
    url = _run(resolve_database_url)
    report = _run(lambda: sync_registry(url, registry))
    for line in report.lines():
        click.echo(line)
    groups, models = len(registry.groups), len(registry.models)
    summary = f"{models} model(s) in {groups} group(s) synced to {redact_url(url)}"
    click.echo(summary if report.changed else f"{summary}: no changes")
