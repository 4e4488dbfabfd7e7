"""Indexes for a warehouse of millions of samples.

- updated_at / last_imported_at of eval, sample and score: dbt's incremental models find what changed
  since their watermark through these (dbt/macros/incremental.sql), instead of scanning every row;
- score__edited_sample_pk_idx: the final scores whose history holds an edit (int_score_edits reads only
  these; its WHERE repeats the predicate, macro hawk_score_has_edits);
- message__content_text_fts_idx: full-text search in messages
  (`to_tsvector('english', content_text) @@ websearch_to_tsquery('english', ...)`).

Revision ID: 0006_warehouse_scale_indexes
Revises: 0005_sample_edit_requests
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

from hawk_dagster.warehouse.schema import RAW_SCHEMA

revision: str = "0006_warehouse_scale_indexes"
down_revision: str | None = "0005_sample_edit_requests"
branch_labels: str | None = None
depends_on: str | None = None

S = RAW_SCHEMA

INDEXES = (
    ("eval__updated_at_idx", f"{S}.eval (updated_at)"),
    ("eval__last_imported_at_idx", f"{S}.eval (last_imported_at)"),
    ("sample__updated_at_idx", f"{S}.sample (updated_at)"),
    ("sample__last_imported_at_idx", f"{S}.sample (last_imported_at)"),
    ("score__updated_at_idx", f"{S}.score (updated_at)"),
    (
        "score__edited_sample_pk_idx",
        f"{S}.score (sample_pk) WHERE NOT is_intermediate AND jsonb_typeof(history) = 'array' "
        """AND history @? '$[*].provenance ? (@.type() == "object")'""",
    ),
    (
        "message__content_text_fts_idx",
        f"{S}.message USING gin (to_tsvector('english'::regconfig, content_text))",
    ),
)


def upgrade() -> None:
    for name, target in INDEXES:
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def downgrade() -> None:
    for name, _ in reversed(INDEXES):
        op.execute(f"DROP INDEX IF EXISTS {S}.{name}")
