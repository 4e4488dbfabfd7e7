"""Model groups and row-level security: the registry tables (schema hawk_access), Hawk's access functions,
RLS on the eight raw tables, and the roles the policies name.

- `hawk_access.model_group` (name, is_default) and `hawk_access.model` (name, canonical_name, lab, group):
  written by `hawk admin model-groups sync`.
- `user_has_model_access(calling_role, model_names)` (STABLE SECURITY DEFINER): true unless some model's
  group is non-public and `calling_role` is not a member of that group's role (a group without a role:
  nobody). A model matches registry entries by name or by provider-stripped name (the warehouse stores
  stripped names); a model the registry does not list falls under the default group, and without one is
  visible, as in Hawk.
- `get_eval_models(eval_pk)`, `get_scan_models(scan_pk)` (SECURITY DEFINER: they read past RLS): every
  model an eval / a scan involves.
- RLS enabled, not FORCEd: table owners (the migrating role, which the importer uses too) bypass it.
  Policies: eval and scan by their models; sample through its eval; score, message and sample_model
  through their sample; scanner_result through its scan; model_role by its model and its parent. Members
  of `rls_bypass` see and write everything (policies FOR ALL TO it). Roles: `rls_bypass` (importer, API
  under another login), `rls_reader` (SELECT on the raw tables), `model_access_all` (every group's role
  is granted to it by the sync).

Downgrade drops the policies, functions, grants and the registry schema; the roles are left: they are
cluster-wide, shared with the server's other databases, and carry grants administrators made.

Revision ID: 0003_model_groups_rls
Revises: 0002_eval_import_started_at
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

from hawk_dagster.access.permissions import PUBLIC_GROUPS
from hawk_dagster.warehouse.schema import (
    ACCESS_SCHEMA,
    MODEL_ACCESS_ALL_ROLE,
    RAW_SCHEMA,
    RAW_TABLES,
    RLS_BYPASS_ROLE,
    RLS_READER_ROLE,
)

revision: str = "0003_model_groups_rls"
down_revision: str | None = "0002_eval_import_started_at"
branch_labels: str | None = None
depends_on: str | None = None

S = RAW_SCHEMA
A = ACCESS_SCHEMA
ROLES = (RLS_BYPASS_ROLE, RLS_READER_ROLE, MODEL_ACCESS_ALL_ROLE)
PUBLIC = ", ".join(f"'{group}'" for group in sorted(PUBLIC_GROUPS))
DEFINER = "SECURITY DEFINER SET search_path = pg_catalog, pg_temp"

REGISTRY_TABLES = f"""
CREATE TABLE {A}.model_group (
    pk uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    name text NOT NULL CONSTRAINT model_group_name_key UNIQUE CHECK (name <> ''),
    is_default boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX model_group__one_default ON {A}.model_group (is_default) WHERE is_default;
CREATE TABLE {A}.model (
    pk uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    name text NOT NULL CONSTRAINT model_name_key UNIQUE CHECK (name <> ''),
    canonical_name text NOT NULL,
    lab text,
    model_group_pk uuid NOT NULL REFERENCES {A}.model_group (pk) ON DELETE CASCADE
);
CREATE INDEX model__canonical_name_idx ON {A}.model (canonical_name);
CREATE INDEX model__model_group_pk_idx ON {A}.model (model_group_pk);
"""

USER_HAS_MODEL_ACCESS = f"""
CREATE FUNCTION {S}.user_has_model_access(calling_role text, model_names text[])
RETURNS boolean
LANGUAGE sql STABLE {DEFINER}
AS $$
    WITH wanted AS (
        SELECT DISTINCT name FROM unnest(model_names) AS name WHERE name IS NOT NULL
    ),
    listed AS (
        SELECT w.name, g.name AS grp
        FROM wanted AS w
        JOIN {A}.model AS m ON m.name = w.name OR m.canonical_name = w.name
        JOIN {A}.model_group AS g ON g.pk = m.model_group_pk
    ),
    needed AS (
        SELECT grp FROM listed
        UNION
        SELECT g.name FROM wanted AS w JOIN {A}.model_group AS g ON g.is_default
        WHERE NOT EXISTS (SELECT 1 FROM listed AS l WHERE l.name = w.name)
    )
    SELECT NOT EXISTS (
        SELECT 1 FROM needed
        WHERE grp NOT IN ({PUBLIC})
          AND NOT CASE
              WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = grp)
                  THEN pg_has_role(calling_role, grp, 'MEMBER')
              ELSE false
          END
    )
$$
"""

GET_EVAL_MODELS = f"""
CREATE FUNCTION {S}.get_eval_models(target_eval_pk uuid)
RETURNS text[]
LANGUAGE sql STABLE {DEFINER}
AS $$
    SELECT coalesce(array_agg(DISTINCT model), '{{}}')
    FROM (
        SELECT model FROM {S}.eval WHERE pk = target_eval_pk
        UNION ALL
        SELECT model FROM {S}.model_role WHERE eval_pk = target_eval_pk
        UNION ALL
        SELECT sm.model FROM {S}.sample AS s JOIN {S}.sample_model AS sm ON sm.sample_pk = s.pk
        WHERE s.eval_pk = target_eval_pk
    ) AS models
$$
"""

GET_SCAN_MODELS = f"""
CREATE FUNCTION {S}.get_scan_models(target_scan_pk uuid)
RETURNS text[]
LANGUAGE sql STABLE {DEFINER}
AS $$
    SELECT coalesce(array_agg(DISTINCT model) FILTER (WHERE model IS NOT NULL), '{{}}')
    FROM (
        SELECT model FROM {S}.scan WHERE pk = target_scan_pk
        UNION ALL
        SELECT model FROM {S}.model_role WHERE scan_pk = target_scan_pk
        UNION ALL
        SELECT sm.model FROM {S}.scanner_result AS r JOIN {S}.sample_model AS sm ON sm.sample_pk = r.sample_pk
        WHERE r.scan_pk = target_scan_pk
        UNION ALL
        SELECT e.model FROM {S}.scanner_result AS r
        JOIN {S}.sample AS s ON s.pk = r.sample_pk JOIN {S}.eval AS e ON e.pk = s.eval_pk
        WHERE r.scan_pk = target_scan_pk
    ) AS models
$$
"""

FUNCTIONS = {
    "user_has_model_access": "text, text[]",
    "get_eval_models": "uuid",
    "get_scan_models": "uuid",
}


def _visible(table: str, alias: str, key: str) -> str:
    """`EXISTS` a visible row of parent `table` (its own policy applies) whose pk is `key`."""
    return f"EXISTS (SELECT 1 FROM {S}.{table} AS {alias} WHERE {alias}.pk = {key})"


MODEL_POLICIES: dict[str, tuple[str, str]] = {
    "eval": ("eval_model_access", f"{S}.user_has_model_access(current_user, {S}.get_eval_models(pk))"),
    "sample": ("sample_model_access", _visible("eval", "parent_eval", "sample.eval_pk")),
    "score": ("score_model_access", _visible("sample", "parent_sample", "score.sample_pk")),
    "message": ("message_model_access", _visible("sample", "parent_sample", "message.sample_pk")),
    "sample_model": (
        "sample_model_model_access",
        _visible("sample", "parent_sample", "sample_model.sample_pk"),
    ),
    "scan": ("scan_model_access", f"{S}.user_has_model_access(current_user, {S}.get_scan_models(pk))"),
    "scanner_result": (
        "scanner_result_model_access",
        _visible("scan", "parent_scan", "scanner_result.scan_pk"),
    ),
    "model_role": (
        "model_role_model_access",
        f"{S}.user_has_model_access(current_user, ARRAY[model]) "
        f"AND (eval_pk IS NULL OR {_visible('eval', 'parent_eval', 'model_role.eval_pk')}) "
        f"AND (scan_pk IS NULL OR {_visible('scan', 'parent_scan', 'model_role.scan_pk')})",
    ),
}
assert set(MODEL_POLICIES) == set(RAW_TABLES), "every raw table needs a policy"


def _create_role(role: str) -> str:
    # CREATE ROLE has no IF NOT EXISTS; two databases migrating at once may race, hence the handler.
    return f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
        CREATE ROLE {role} NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$
"""


def upgrade() -> None:
    for role in ROLES:
        op.execute(_create_role(role))
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {A}")
    op.execute(REGISTRY_TABLES)
    op.execute(USER_HAS_MODEL_ACCESS)
    op.execute(GET_EVAL_MODELS)
    op.execute(GET_SCAN_MODELS)

    for table in RAW_TABLES:
        name, condition = MODEL_POLICIES[table]
        op.execute(f"ALTER TABLE {S}.{table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {name} ON {S}.{table} FOR SELECT USING ({condition})")
        op.execute(
            f"CREATE POLICY {table}_rls_bypass ON {S}.{table} FOR ALL TO {RLS_BYPASS_ROLE} "
            "USING (true) WITH CHECK (true)"
        )

    raw_tables = ", ".join(f"{S}.{table}" for table in RAW_TABLES)
    op.execute(f"GRANT USAGE ON SCHEMA {S}, {A} TO {RLS_BYPASS_ROLE}, {RLS_READER_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {raw_tables} TO {RLS_BYPASS_ROLE}")
    op.execute(f"GRANT SELECT ON {raw_tables} TO {RLS_READER_ROLE}")
    op.execute(f"GRANT SELECT ON {A}.model_group, {A}.model TO {RLS_BYPASS_ROLE}, {RLS_READER_ROLE}")
    for function, arguments in FUNCTIONS.items():
        op.execute(f"REVOKE EXECUTE ON FUNCTION {S}.{function}({arguments}) FROM PUBLIC")
        op.execute(
            f"GRANT EXECUTE ON FUNCTION {S}.{function}({arguments}) TO {RLS_BYPASS_ROLE}, {RLS_READER_ROLE}"
        )


def downgrade() -> None:
    raw_tables = ", ".join(f"{S}.{table}" for table in RAW_TABLES)
    for table in RAW_TABLES:
        name, _ = MODEL_POLICIES[table]
        op.execute(f"DROP POLICY IF EXISTS {name} ON {S}.{table}")
        op.execute(f"DROP POLICY IF EXISTS {table}_rls_bypass ON {S}.{table}")
        op.execute(f"ALTER TABLE {S}.{table} DISABLE ROW LEVEL SECURITY")
    op.execute(f"REVOKE ALL ON {raw_tables} FROM {RLS_BYPASS_ROLE}, {RLS_READER_ROLE}")
    op.execute(f"REVOKE ALL ON SCHEMA {S} FROM {RLS_BYPASS_ROLE}, {RLS_READER_ROLE}")
    for function, arguments in FUNCTIONS.items():
        op.execute(f"DROP FUNCTION IF EXISTS {S}.{function}({arguments})")
    op.execute(f"DROP SCHEMA IF EXISTS {A} CASCADE")
