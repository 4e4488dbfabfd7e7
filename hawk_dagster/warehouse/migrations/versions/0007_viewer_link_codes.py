"""The viewer's one-time login codes (schema hawk_api), shared by the API's replicas: a code issued by one
replica (`/view/link`) is redeemed by whichever replica serves `/view/login`. A row holds a hash of the code
and the bearer token sealed with a key derived from the code, never the code or the token in the clear.

The API writes these rows under its own login: `rls_bypass` may insert, read and delete them.

Revision ID: 0007_viewer_link_codes
Revises: 0006_warehouse_scale_indexes
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

from hawk_dagster.warehouse.schema import API_SCHEMA, RLS_BYPASS_ROLE

revision: str = "0007_viewer_link_codes"
down_revision: str | None = "0006_warehouse_scale_indexes"
branch_labels: str | None = None
depends_on: str | None = None

A = API_SCHEMA


def upgrade() -> None:
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {A}")
    op.execute(
        f"""
        CREATE TABLE IF NOT EXISTS {A}.viewer_link_code (
            code_id bytea PRIMARY KEY,
            sealed_token bytea NOT NULL,
            expires_at timestamptz NOT NULL
        )
        """
    )
    op.execute(
        f"CREATE INDEX IF NOT EXISTS viewer_link_code__expires_idx ON {A}.viewer_link_code (expires_at)"
    )
    op.execute(f"GRANT USAGE ON SCHEMA {A} TO {RLS_BYPASS_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, DELETE ON {A}.viewer_link_code TO {RLS_BYPASS_ROLE}")


def downgrade() -> None:
    op.execute(f"DROP SCHEMA IF EXISTS {A} CASCADE")
