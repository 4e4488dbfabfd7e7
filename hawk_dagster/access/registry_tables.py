"""The registry's warehouse tables (`hawk_access.model_group`, `hawk_access.model`) and group roles.

One job: read them into a ModelGroupRegistry, and write a registry into them in one transaction,
creating a NOLOGIN role per non-public group (granted to `model_access_all`) so the row-level security
policies, which test role membership, can see who holds it. Roles of groups no longer listed are kept:
they are cluster-wide and may carry grants an administrator made.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from hawk_dagster.access.permissions import PUBLIC_GROUPS
from hawk_dagster.access.registry import ModelGroupRegistry, SyncReport, registry_from_rows
from hawk_dagster.importer.model_names import canonical_model_name
from hawk_dagster.warehouse.database import connect
from hawk_dagster.warehouse.migrate import upgrade
from hawk_dagster.warehouse.schema import ACCESS_SCHEMA, MODEL_ACCESS_ALL_ROLE

# Serialises concurrent syncs (pg_advisory_xact_lock takes a bigint); distinct from the migration lock.
SYNC_LOCK_KEY = 0x4A57_4B4D_4752  # "HAWKMGR"

_READ = f"""
SELECT m.name, g.name AS "group", m.lab
FROM {ACCESS_SCHEMA}.model AS m JOIN {ACCESS_SCHEMA}.model_group AS g ON g.pk = m.model_group_pk
"""
_DEFAULT = f"SELECT name FROM {ACCESS_SCHEMA}.model_group WHERE is_default"


def _read(connection: psycopg.Connection[Any]) -> ModelGroupRegistry:
    with connection.cursor(row_factory=dict_row) as cursor:
        rows = cursor.execute(_READ).fetchall()
        default = cursor.execute(_DEFAULT).fetchone()
    return registry_from_rows(rows, default["name"] if default else None)


def read_registry(database_url: str) -> ModelGroupRegistry:
    """The registry as stored in the warehouse."""
    with connect(database_url) as connection:
        return _read(connection)


def _ensure_role(connection: psycopg.Connection[Any], group: str, report: SyncReport) -> None:
    role = sql.Identifier(group)
    exists = connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (group,)).fetchone()
    if exists is None:
        connection.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(role))
        report.roles_created.append(group)
    member = connection.execute(
        "SELECT pg_has_role(%s, %s, 'MEMBER')", (MODEL_ACCESS_ALL_ROLE, group)
    ).fetchone()
    if not (member and member[0]):
        connection.execute(sql.SQL("GRANT {} TO {}").format(role, sql.Identifier(MODEL_ACCESS_ALL_ROLE)))
        report.roles_granted.append(group)


def write_registry(database_url: str, registry: ModelGroupRegistry) -> SyncReport:
    """Make the tables hold exactly `registry`, create missing group roles; report what changed."""
    upgrade(database_url)  # the registry tables and roles come with the migrations
    report = SyncReport()
    with connect(database_url) as connection, connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (SYNC_LOCK_KEY,))
        before = _read(connection)
        wanted_groups = registry.groups
        report.groups_added = sorted(wanted_groups - before.groups)
        report.groups_removed = sorted(before.groups - wanted_groups)
        for name, group in sorted(registry.models.items()):
            if name not in before.models:
                report.models_added[name] = group
            elif before.models[name] != group:
                report.models_moved[name] = f"{before.models[name]} -> {group}"
            if name in before.models and before.labs.get(name) != registry.labs.get(name):
                report.labs_changed[name] = f"{before.labs.get(name)} -> {registry.labs.get(name)}"
        report.models_removed = sorted(set(before.models) - set(registry.models))
        if before.default_group != registry.default_group:
            report.default_group = f"{before.default_group} -> {registry.default_group}"

        s = ACCESS_SCHEMA
        for group in sorted(wanted_groups):
            connection.execute(
                f"INSERT INTO {s}.model_group (name) VALUES (%s) ON CONFLICT (name) DO NOTHING", (group,)
            )
        connection.execute(
            f"UPDATE {s}.model_group SET is_default = NOT is_default, updated_at = now() "
            "WHERE is_default <> (name IS NOT DISTINCT FROM %s::text)",
            (registry.default_group,),
        )
        connection.execute(f"DELETE FROM {s}.model WHERE NOT (name = ANY(%s))", (list(registry.models),))
        for name, group in sorted(registry.models.items()):
            connection.execute(
                f"""
                INSERT INTO {s}.model (name, canonical_name, lab, model_group_pk)
                SELECT %(name)s, %(canonical)s, %(lab)s, g.pk FROM {s}.model_group AS g WHERE g.name = %(group)s
                ON CONFLICT (name) DO UPDATE SET
                    canonical_name = excluded.canonical_name, lab = excluded.lab,
                    model_group_pk = excluded.model_group_pk, updated_at = now()
                WHERE (model.canonical_name, model.lab, model.model_group_pk)
                    IS DISTINCT FROM (excluded.canonical_name, excluded.lab, excluded.model_group_pk)
                """,
                {
                    "name": name,
                    "canonical": canonical_model_name(name),
                    "lab": registry.labs.get(name),
                    "group": group,
                },
            )
        connection.execute(f"DELETE FROM {s}.model_group WHERE NOT (name = ANY(%s))", (list(wanted_groups),))
        for group in sorted(wanted_groups - PUBLIC_GROUPS):
            _ensure_role(connection, group, report)
    return report
