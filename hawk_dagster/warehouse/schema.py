"""The raw warehouse schema's names and enum values: the one source the Alembic migrations, the
importers, the import assets and the checks derive from.

A value added to an enum here needs a migration that adds it to the database type
(`ALTER TYPE ... ADD VALUE IF NOT EXISTS`: migration 0001 creates the types from these values);
tests/warehouse/test_raw_schema.py checks the database and this module agree.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

RAW_SCHEMA: Final = "hawk_raw"
"""PostgreSQL schema holding the raw tables; owned by the Alembic migrations."""

AUDIT_SCHEMA: Final = "hawk_audit"
"""Schema of the sample-edit requests (`sample_edit_request`, `sample_edit_file`): who asked what, and
what each log file's rewrite did. Outside RAW_SCHEMA: not imported data, and not under its row security."""

API_SCHEMA: Final = "hawk_api"
"""Schema of state the API's replicas share (`viewer_link_code`: the viewer's one-time login codes, sealed).
Not imported data, not read by dbt."""

VERSION_TABLE: Final = "alembic_version"
"""Alembic's version table; it lives in RAW_SCHEMA."""

EVAL_TABLES: Final = ("eval", "sample", "score", "message", "sample_model", "model_role")
"""The tables the eval-log importer writes (the eval import asset's keys `hawk_raw/<table>`)."""

SCAN_TABLES: Final = ("scan", "scanner_result")
"""The tables the Scout result importer writes besides `model_role`."""

RAW_TABLES: Final = (
    "eval",
    "sample",
    "score",
    "message",
    "sample_model",
    "scan",
    "scanner_result",
    "model_role",
)
"""Every table of the raw schema, parents before children."""

EvalStatus = Literal["started", "success", "cancelled", "error"]
"""Inspect's log status (`hawk_raw.eval_status`)."""

ImportStatus = Literal["pending", "importing", "success", "failed"]
"""Where the import of an eval stands (`hawk_raw.import_status`)."""

LIMIT_TYPES: Final = ("context", "time", "working", "message", "token", "operator", "custom")
"""`hawk_raw.limit_type`; newer Inspect limits ("turn", "cost") are stored as "custom"."""

TOOL_ERROR_TYPES: Final = (
    "parsing",
    "timeout",
    "unicode_decode",
    "permission",
    "file_not_found",
    "is_a_directory",
    "limit",
    "approval",
    "unknown",
    "output_limit",
)
"""`hawk_raw.tool_error_type`; newer Inspect types ("cancelled", "sandbox_unavailable") map to "unknown"."""

SCANNER_INPUT_TYPES: Final = ("transcript", "message", "messages", "event", "events")
SCANNER_VALUE_TYPES: Final = ("string", "boolean", "number", "array", "object", "null")

ENUMS: Final[dict[str, tuple[str, ...]]] = {
    "eval_status": get_args(EvalStatus),
    "import_status": get_args(ImportStatus),
    "limit_type": LIMIT_TYPES,
    "tool_error_type": TOOL_ERROR_TYPES,
    "scanner_input_type": SCANNER_INPUT_TYPES,
    "scanner_value_type": SCANNER_VALUE_TYPES,
}
"""The raw schema's enum types and their labels, in the order the database lists them."""

ACCESS_SCHEMA: Final = "hawk_access"
"""PostgreSQL schema holding the model-group registry (`model_group`, `model`); owned by the migrations,
written by `hawk admin model-groups sync`, read by the row-level security functions in RAW_SCHEMA."""

RLS_BYPASS_ROLE: Final = "rls_bypass"
"""Role whose members see and write every raw row (the importer, the API): policies FOR ALL TO it."""

RLS_READER_ROLE: Final = "rls_reader"
"""Role with SELECT on the raw tables and the marts; rows still filtered by the caller's model groups."""

MODEL_ACCESS_ALL_ROLE: Final = "model_access_all"
"""Role granted every model-group role: its members pass every model-group check."""
