"""hawk_raw: Hawk's warehouse tables (eval, sample, score, message, sample_model, scan, scanner_result,
model_role) with their enums, keys, generated columns, checks, indexes and the search_text triggers.

Mirrors hawk/core/db/models.py (METR/inspect-action) without RLS and the middleman schema, plus
`eval.import_error` and a unique (sample_pk, message_order) on message so message imports are idempotent.

Revision ID: 0001_hawk_raw_schema
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

from hawk_dagster.warehouse.schema import ENUMS, RAW_SCHEMA

revision: str = "0001_hawk_raw_schema"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

log = logging.getLogger(__name__)

S = RAW_SCHEMA

# Columns every table has (Hawk's Base), and the import timestamps (Hawk's ImportTimestampMixin).
BASE_COLUMNS = """
    pk uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()"""
IMPORT_COLUMNS = """
    first_imported_at timestamptz NOT NULL DEFAULT now(),
    last_imported_at timestamptz NOT NULL DEFAULT now()"""
META_COLUMN = "meta jsonb NOT NULL DEFAULT '{}'::jsonb"

SAMPLE_STATUS_FUNCTION = f"""
CREATE FUNCTION {S}.sample_status(error_msg text, lim {S}.limit_type)
RETURNS text
LANGUAGE sql
IMMUTABLE
AS $$
    SELECT CASE
        WHEN error_msg IS NOT NULL THEN 'error'
        WHEN lim IS NOT NULL THEN lim::text || '_limit'
        ELSE 'success'
    END
$$
"""

EVAL_TABLE = f"""
CREATE TABLE {S}.eval (
    {BASE_COLUMNS},
    {IMPORT_COLUMNS},
    {META_COLUMN},
    eval_set_id text NOT NULL,
    id text NOT NULL,
    task_id text NOT NULL,
    task_name text NOT NULL,
    task_version text,
    task_args jsonb,
    epochs integer,
    total_samples integer NOT NULL,
    completed_samples integer NOT NULL,
    location text NOT NULL,
    file_size_bytes bigint NOT NULL,
    file_hash text NOT NULL,
    file_last_modified timestamptz NOT NULL,
    created_by text,
    status {S}.eval_status NOT NULL,
    import_status {S}.import_status,
    import_error text,
    started_at timestamptz,
    completed_at timestamptz,
    error_message text,
    error_traceback text,
    agent text NOT NULL,
    plan jsonb NOT NULL DEFAULT '{{}}'::jsonb,
    model text NOT NULL,
    model_usage jsonb NOT NULL DEFAULT '{{}}'::jsonb,
    model_generate_config jsonb,
    model_args jsonb,
    CONSTRAINT eval_id_key UNIQUE (id),
    CONSTRAINT eval_epochs_check CHECK (epochs IS NULL OR epochs >= 0),
    CONSTRAINT eval_total_samples_check CHECK (total_samples >= 0),
    CONSTRAINT eval_completed_samples_check CHECK (completed_samples >= 0),
    CONSTRAINT eval_file_size_bytes_check CHECK (file_size_bytes >= 0)
)
"""

_NON_NEGATIVE_SAMPLE_COLUMNS = (
    "input_tokens",
    "output_tokens",
    "reasoning_tokens",
    "total_tokens",
    "input_tokens_cache_read",
    "input_tokens_cache_write",
    "action_count",
    "message_count",
    "working_time_seconds",
    "total_time_seconds",
    "message_limit",
    "token_limit",
    "time_limit_seconds",
    "working_limit",
)
_SAMPLE_CHECKS = ",\n    ".join(
    f"CONSTRAINT sample_{column}_check CHECK ({column} IS NULL OR {column} >= 0)"
    for column in _NON_NEGATIVE_SAMPLE_COLUMNS
)

SAMPLE_TABLE = f"""
CREATE TABLE {S}.sample (
    {BASE_COLUMNS},
    {IMPORT_COLUMNS},
    {META_COLUMN},
    eval_pk uuid NOT NULL REFERENCES {S}.eval (pk) ON DELETE CASCADE,
    id text NOT NULL,
    uuid text NOT NULL,
    epoch integer NOT NULL,
    started_at timestamptz,
    completed_at timestamptz,
    invalidation_timestamp timestamptz,
    invalidation_author text,
    invalidation_reason text,
    is_invalid boolean GENERATED ALWAYS AS (
        invalidation_timestamp IS NOT NULL
        OR invalidation_author IS NOT NULL
        OR invalidation_reason IS NOT NULL
    ) STORED,
    input jsonb NOT NULL,
    output jsonb,
    input_tokens bigint,
    output_tokens bigint,
    reasoning_tokens bigint,
    total_tokens bigint,
    input_tokens_cache_read bigint,
    input_tokens_cache_write bigint,
    action_count integer,
    message_count integer,
    working_time_seconds double precision,
    total_time_seconds double precision,
    generation_time_seconds double precision,
    model_usage jsonb,
    error_message text,
    error_traceback text,
    error_traceback_ansi text,
    "limit" {S}.limit_type,
    status text GENERATED ALWAYS AS ({S}.sample_status(error_message, "limit")) STORED,
    message_limit integer,
    token_limit bigint,
    time_limit_seconds double precision,
    working_limit integer,
    search_text text NOT NULL,
    CONSTRAINT sample_uuid_key UNIQUE (uuid),
    CONSTRAINT sample__eval_sample_epoch_uniq UNIQUE (eval_pk, id, epoch),
    CONSTRAINT sample_epoch_check CHECK (epoch >= 0),
    {_SAMPLE_CHECKS}
)
"""

# search_text = sample id + the parent eval's searchable fields, kept by triggers on both tables.
SEARCH_TEXT_FUNCTIONS = f"""
CREATE FUNCTION {S}.sample_search_text_trigger() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    SELECT NEW.id || ' ' || e.task_name || ' ' || e.id || ' ' || e.eval_set_id || ' '
           || e.location || ' ' || e.model
    INTO NEW.search_text
    FROM {S}.eval AS e WHERE e.pk = NEW.eval_pk;
    IF NOT FOUND THEN
        -- no parent eval: keep the row valid so the foreign key reports the real problem
        NEW.search_text := NEW.id;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER sample_search_text_trg
    BEFORE INSERT OR UPDATE OF id, eval_pk ON {S}.sample
    FOR EACH ROW EXECUTE FUNCTION {S}.sample_search_text_trigger();

CREATE FUNCTION {S}.eval_search_text_trigger() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE {S}.sample AS s
    SET search_text = s.id || ' ' || NEW.task_name || ' ' || NEW.id || ' ' || NEW.eval_set_id || ' '
                      || NEW.location || ' ' || NEW.model
    WHERE s.eval_pk = NEW.pk;
    RETURN NULL;
END;
$$;

CREATE TRIGGER eval_search_text_trg
    AFTER UPDATE OF id, eval_set_id, task_name, location, model ON {S}.eval
    FOR EACH ROW
    WHEN (
        OLD.id IS DISTINCT FROM NEW.id
        OR OLD.eval_set_id IS DISTINCT FROM NEW.eval_set_id
        OR OLD.task_name IS DISTINCT FROM NEW.task_name
        OR OLD.location IS DISTINCT FROM NEW.location
        OR OLD.model IS DISTINCT FROM NEW.model
    )
    EXECUTE FUNCTION {S}.eval_search_text_trigger();
"""

SCORE_TABLE = f"""
CREATE TABLE {S}.score (
    {BASE_COLUMNS},
    {META_COLUMN},
    sample_pk uuid NOT NULL REFERENCES {S}.sample (pk) ON DELETE CASCADE,
    sample_uuid text,
    score_uuid text,
    value jsonb NOT NULL,
    value_float double precision,
    explanation text,
    answer text,
    scorer text NOT NULL,
    is_intermediate boolean NOT NULL DEFAULT false,
    scored_at timestamptz,
    model_usage jsonb,
    CONSTRAINT score_sample_pk_scorer_unique UNIQUE (sample_pk, scorer)
)
"""

MESSAGE_TABLE = f"""
CREATE TABLE {S}.message (
    {BASE_COLUMNS},
    {META_COLUMN},
    sample_pk uuid NOT NULL REFERENCES {S}.sample (pk) ON DELETE CASCADE,
    sample_uuid text,
    message_order integer NOT NULL,
    message_uuid text,
    role text,
    content_text text,
    content_reasoning text,
    tool_calls jsonb,
    tool_call_id text,
    tool_call_function text,
    tool_error_type {S}.tool_error_type,
    tool_error_message text,
    CONSTRAINT message__sample_order_uniq UNIQUE (sample_pk, message_order),
    CONSTRAINT message_message_order_check CHECK (message_order >= 0)
)
"""

SAMPLE_MODEL_TABLE = f"""
CREATE TABLE {S}.sample_model (
    {BASE_COLUMNS},
    sample_pk uuid NOT NULL REFERENCES {S}.sample (pk) ON DELETE CASCADE,
    model text NOT NULL,
    CONSTRAINT sample_model__sample_model_uniq UNIQUE (sample_pk, model)
)
"""

SCAN_TABLE = f"""
CREATE TABLE {S}.scan (
    {BASE_COLUMNS},
    {IMPORT_COLUMNS},
    {META_COLUMN},
    "timestamp" timestamptz NOT NULL,
    scan_id text NOT NULL,
    scan_name text,
    job_id text,
    location text NOT NULL,
    errors text[],
    model text,
    model_generate_config jsonb,
    model_args jsonb,
    CONSTRAINT scan_scan_id_key UNIQUE (scan_id)
)
"""

SCANNER_RESULT_TABLE = f"""
CREATE TABLE {S}.scanner_result (
    {BASE_COLUMNS},
    {IMPORT_COLUMNS},
    {META_COLUMN},
    scan_pk uuid NOT NULL REFERENCES {S}.scan (pk) ON DELETE CASCADE,
    sample_pk uuid REFERENCES {S}.sample (pk) ON DELETE SET NULL,
    transcript_id text NOT NULL,
    transcript_source_type text NOT NULL,
    transcript_source_id text NOT NULL,
    transcript_source_uri text,
    transcript_date timestamptz,
    transcript_task_set text,
    transcript_task_id text,
    transcript_task_repeat integer,
    transcript_meta jsonb NOT NULL DEFAULT '{{}}'::jsonb,
    scanner_key text NOT NULL,
    scanner_name text NOT NULL,
    scanner_version text,
    scanner_package_version text,
    scanner_file text,
    scanner_params jsonb,
    input_type {S}.scanner_input_type,
    input_ids text[],
    uuid text NOT NULL,
    label text,
    value jsonb,
    value_type {S}.scanner_value_type,
    value_float double precision,
    "timestamp" timestamptz NOT NULL,
    scan_tags text[],
    scan_total_tokens integer NOT NULL DEFAULT 0,
    scan_model_usage jsonb,
    answer text,
    explanation text,
    scan_error text,
    scan_error_traceback text,
    scan_error_type text,
    validation_target text,
    validation_result jsonb,
    CONSTRAINT scanner_result_uuid_key UNIQUE (uuid),
    CONSTRAINT scanner_result__scan_transcript_scanner_key_label_uniq
        UNIQUE NULLS NOT DISTINCT (scan_pk, transcript_id, scanner_key, label),
    CONSTRAINT scanner_result_scan_total_tokens_check CHECK (scan_total_tokens >= 0)
)
"""

MODEL_ROLE_TABLE = f"""
CREATE TABLE {S}.model_role (
    {BASE_COLUMNS},
    type text NOT NULL,
    eval_pk uuid REFERENCES {S}.eval (pk) ON DELETE CASCADE,
    scan_pk uuid REFERENCES {S}.scan (pk) ON DELETE CASCADE,
    role text NOT NULL,
    model text NOT NULL,
    config jsonb,
    base_url text,
    args jsonb,
    CONSTRAINT model_role__single_parent CHECK (
        (eval_pk IS NOT NULL AND scan_pk IS NULL) OR (eval_pk IS NULL AND scan_pk IS NOT NULL)
    ),
    CONSTRAINT model_role__type_matches_parent CHECK (
        (type = 'eval' AND eval_pk IS NOT NULL) OR (type = 'scan' AND scan_pk IS NOT NULL)
    )
)
"""

INDEXES = (
    ("eval__eval_set_id_idx", "eval", "(eval_set_id)"),
    ("eval__created_at_idx", "eval", "(created_at)"),
    ("eval__model_idx", "eval", "(model)"),
    ("eval__status_started_at_idx", "eval", "(status, started_at)"),
    ("sample__completed_at_idx", "sample", "(completed_at)"),
    ("sample__status_idx", "sample", "(status)"),
    ("sample__eval_pk_completed_at_idx", "sample", "(eval_pk, completed_at DESC)"),
    ("score__sample_uuid_idx", "score", "(sample_uuid)"),
    ("score__created_at_idx", "score", "(created_at)"),
    (
        "score__sample_pk_created_at_covering_idx",
        "score",
        "(sample_pk, created_at DESC) INCLUDE (value_float, scorer)",
    ),
    ("message__sample_uuid_idx", "message", "(sample_uuid)"),
    ("message__role_idx", "message", "(role)"),
    ("message__created_at_idx", "message", "(created_at)"),
    ("sample_model__model_idx", "sample_model", "(model)"),
    ("scan__created_at_idx", "scan", "(created_at)"),
    ("scan__job_id_idx", "scan", "(job_id)"),
    ("scanner_result__scan_pk_idx", "scanner_result", "(scan_pk)"),
    ("scanner_result__sample_pk_idx", "scanner_result", "(sample_pk)"),
    ("scanner_result__transcript_id_idx", "scanner_result", "(transcript_id)"),
    ("scanner_result__scanner_key_idx", "scanner_result", "(scanner_key)"),
    ("scanner_result__sample_scanner_idx", "scanner_result", "(sample_pk, scanner_key)"),
    ("model_role__scan_pk_idx", "model_role", "(scan_pk)"),
)

TRIGRAM_INDEXES = (
    ("eval__eval_set_id_trgm_idx", "eval", "eval_set_id"),
    ("eval__task_name_trgm_idx", "eval", "task_name"),
    ("eval__model_trgm_idx", "eval", "model"),
    ("eval__location_trgm_idx", "eval", "location"),
    ("sample__id_trgm_idx", "sample", "id"),
    ("sample__search_text_trgm_idx", "sample", "search_text"),
)

TABLES_IN_DROP_ORDER = (
    "model_role",
    "scanner_result",
    "scan",
    "sample_model",
    "message",
    "score",
    "sample",
    "eval",
)


def _trigram_operator_class() -> str | None:
    """`<schema>.gin_trgm_ops` once pg_trgm is installed, or None when it cannot be."""
    bind = op.get_bind()
    installed_in = "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"
    schema = bind.execute(sa.text(installed_in)).scalar()
    if schema is None:
        available = bind.execute(
            sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        ).scalar()
        if available is None:
            log.warning("pg_trgm is not available (install postgresql-contrib); skipping trigram indexes")
            return None
        try:
            with bind.begin_nested():
                bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        except sa.exc.DBAPIError as error:
            log.warning("cannot create extension pg_trgm (%s); skipping trigram indexes", error.orig)
            return None
        schema = bind.execute(sa.text(installed_in)).scalar()
    return f"{schema}.gin_trgm_ops"


def upgrade() -> None:
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {S}")
    for name, values in ENUMS.items():
        labels = ", ".join(f"'{value}'" for value in values)
        op.execute(f"CREATE TYPE {S}.{name} AS ENUM ({labels})")
    op.execute(SAMPLE_STATUS_FUNCTION)
    for table in (
        EVAL_TABLE,
        SAMPLE_TABLE,
        SCORE_TABLE,
        MESSAGE_TABLE,
        SAMPLE_MODEL_TABLE,
        SCAN_TABLE,
        SCANNER_RESULT_TABLE,
        MODEL_ROLE_TABLE,
    ):
        op.execute(table)
    op.execute(
        f"CREATE UNIQUE INDEX model_role__unique ON {S}.model_role (eval_pk, scan_pk, role) "
        "NULLS NOT DISTINCT"
    )
    for name, table, columns in INDEXES:
        op.execute(f"CREATE INDEX {name} ON {S}.{table} {columns}")
    operator_class = _trigram_operator_class()
    if operator_class is not None:
        for name, table, column in TRIGRAM_INDEXES:
            op.execute(f"CREATE INDEX {name} ON {S}.{table} USING gin ({column} {operator_class})")
    op.execute(SEARCH_TEXT_FUNCTIONS)


def downgrade() -> None:
    for table in TABLES_IN_DROP_ORDER:
        op.execute(f"DROP TABLE IF EXISTS {S}.{table} CASCADE")
    op.execute(f"DROP FUNCTION IF EXISTS {S}.sample_search_text_trigger()")
    op.execute(f"DROP FUNCTION IF EXISTS {S}.eval_search_text_trigger()")
    op.execute(f"DROP FUNCTION IF EXISTS {S}.sample_status(text, {S}.limit_type)")
    for name in reversed(ENUMS):
        op.execute(f"DROP TYPE IF EXISTS {S}.{name}")
