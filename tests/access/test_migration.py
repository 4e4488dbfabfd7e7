"""Migration 0003 goes down (with policies elsewhere calling its functions, as the marts' do) and up again."""

from __future__ import annotations

import psycopg

from hawk_dagster.warehouse.migrate import current_revision, downgrade, head_revision, upgrade

OBJECTS = """
SELECT (SELECT count(*) FROM pg_policies WHERE schemaname = 'hawk_raw'),
       (SELECT count(*) FROM pg_class WHERE relnamespace = 'hawk_raw'::regnamespace AND relrowsecurity),
       (SELECT count(*) FROM pg_namespace WHERE nspname = 'hawk_access'),
       (SELECT count(*) FROM pg_proc WHERE pronamespace = 'hawk_raw'::regnamespace
            AND proname IN ('user_has_model_access', 'get_eval_models', 'get_scan_models'))
"""


def objects(url: str) -> tuple[int, ...]:
    with psycopg.connect(url) as connection:
        row = connection.execute(OBJECTS).fetchone()
    assert row is not None
    return tuple(row)


def test_down_to_0002_and_up_again(warehouse_url: str) -> None:
    url = warehouse_url
    assert objects(url) == (16, 8, 1, 3)  # two policies on each of the eight raw tables
    with psycopg.connect(url) as connection:
        connection.execute("CREATE SCHEMA mart; CREATE TABLE mart.t (model text)")
        connection.execute("ALTER TABLE mart.t ENABLE ROW LEVEL SECURITY")
        connection.execute(
            "CREATE POLICY p ON mart.t USING (hawk_raw.user_has_model_access(current_user, ARRAY[model]))"
        )

    downgrade(url, "0002_eval_import_started_at")
    assert current_revision(url) == "0002_eval_import_started_at"
    assert objects(url) == (0, 0, 0, 0)

    upgrade(url)
    assert current_revision(url) == head_revision()
    assert objects(url) == (16, 8, 1, 3)
