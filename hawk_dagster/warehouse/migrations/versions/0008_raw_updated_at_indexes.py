"""updated_at indexes on the raw tables that had none: message, sample_model, model_role, scan and
scanner_result.

An incremental dbt build re-checks only the raw rows upserted since its watermark (the staging tests'
`updated_at > <watermark>`, dbt/macros/test_scope.sql). Without an index each such test read its whole
table: at a million messages the one on message_pk scanned them all on every build, however little was
imported. eval, sample and score got theirs in 0006.

Revision ID: 0008_raw_updated_at_indexes
Revises: 0007_viewer_link_codes
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

from hawk_dagster.warehouse.schema import RAW_SCHEMA

revision: str = "0008_raw_updated_at_indexes"
down_revision: str | None = "0007_viewer_link_codes"
branch_labels: str | None = None
depends_on: str | None = None

S = RAW_SCHEMA

TABLES = ("message", "sample_model", "model_role", "scan", "scanner_result")


def upgrade() -> None:
    for table in TABLES:
        op.execute(f"CREATE INDEX IF NOT EXISTS {table}__updated_at_idx ON {S}.{table} (updated_at)")


def downgrade() -> None:
    for table in reversed(TABLES):
        op.execute(f"DROP INDEX IF EXISTS {S}.{table}__updated_at_idx")
