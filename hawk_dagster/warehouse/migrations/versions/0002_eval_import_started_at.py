"""eval.import_started_at: when the import in progress (import_status 'importing') began, so readers can
tell a running import from one that was killed; the next import of the eval marks a killed one failed.

Revision ID: 0002_eval_import_started_at
Revises: 0001_hawk_raw_schema
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

from hawk_dagster.warehouse.schema import RAW_SCHEMA

revision: str = "0002_eval_import_started_at"
down_revision: str | None = "0001_hawk_raw_schema"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.execute(f"ALTER TABLE {RAW_SCHEMA}.eval ADD COLUMN IF NOT EXISTS import_started_at timestamptz")


def downgrade() -> None:
    op.execute(f"ALTER TABLE {RAW_SCHEMA}.eval DROP COLUMN IF EXISTS import_started_at")
