"""The incremental marts' watermark is the horizon of their last build (dbt/macros/incremental.sql).

An import whose transaction was open while dbt built commits rows stamped before that build: the next
build must pick them up, with no lookback window to lean on (`hawk_incremental_lookback_minutes: 0`). And
a build with nothing new must rewrite no mart row, not even the last hour's. The horizon itself is checked
against real sessions: a writer's open transaction holds it back, an analyst's does not, and a dbt role
that cannot see a writer's session falls back to the lookback.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

from hawk_dagster.warehouse.dbt_env import DBT_PROJECT_DIR, dbt_env, dbt_executable
from tests.access.conftest import login_role, unique_name
from tests.dbt.conftest import query
from tests.dbt.raw_rows import RawEval, RawSample, RawScore, insert_eval, insert_evals

__all__ = ["login_role"]  # a fixture

MARTS_BY_EVAL = ("fct_samples", "fct_scores", "dim_evals")


def dbt_build(database_url: str, lookback_minutes: int | None = None) -> None:
    """`dbt build` through dbt's CLI (the session's partial parse, DBT_TARGET_PATH), optionally with the
    lookback overridden; fails the test with dbt's output when the build fails."""
    command = [
        str(dbt_executable()),
        "build",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]
    if lookback_minutes is not None:
        command += ["--vars", json.dumps({"hawk_incremental_lookback_minutes": lookback_minutes})]
    result = subprocess.run(
        command, env={**os.environ, **dbt_env(database_url)}, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:]


def _eval(eval_set_id: str, task: str, imported_at: datetime | None = None) -> RawEval:
    samples = [
        RawSample("1", scores=[RawScore("match", "C")]),
        RawSample("2", scores=[RawScore("match", "I")]),
    ]
    return RawEval(eval_set_id, task, "m1", samples=samples, imported_at=imported_at)


def _evals_in(database_url: str, mart: str) -> set[str]:
    return {r["eval_set_id"] for r in query(database_url, f"SELECT DISTINCT eval_set_id FROM hawk.{mart}")}


def _row_versions(database_url: str) -> dict[str, set[str]]:
    """Each mart's row versions (xmin): a rewritten row gets a new one."""
    return {
        mart: {r["v"] for r in query(database_url, f"SELECT xmin::text AS v FROM hawk.{mart}")}
        for mart in (*MARTS_BY_EVAL, "dim_eval_sets", "model_task_results", "model_usage_daily")
    }


def test_an_import_committed_after_a_build_it_overlapped_is_built_next_time(fresh_warehouse: str) -> None:
    insert_evals(fresh_warehouse, [_eval("es-first", "task")])
    dbt_build(fresh_warehouse, lookback_minutes=0)

    # an import's transaction opens (its rows stamped now), a build runs and commits, then the import commits
    with psycopg.connect(fresh_warehouse) as importing:
        insert_eval(importing, _eval("es-late", "task"))
        dbt_build(fresh_warehouse, lookback_minutes=0)
        for mart in MARTS_BY_EVAL:
            assert "es-late" not in _evals_in(fresh_warehouse, mart)  # not committed when dbt read
    dbt_build(fresh_warehouse, lookback_minutes=0)

    for mart in (*MARTS_BY_EVAL, "dim_eval_sets", "model_task_results"):
        assert _evals_in(fresh_warehouse, mart) == {"es-first", "es-late"}, mart
    samples = query(
        fresh_warehouse, "SELECT count(*) AS n FROM hawk.fct_samples WHERE eval_set_id = 'es-late'"
    )
    assert samples[0]["n"] == 2


def test_a_build_with_nothing_new_rewrites_no_mart_row(fresh_warehouse: str) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=3)
    insert_evals(fresh_warehouse, [_eval("es-old", "task", imported_at=long_ago), _eval("es-new", "task")])
    dbt_build(fresh_warehouse)
    insert_evals(fresh_warehouse, [_eval("es-newer", "other")])  # imported minutes after es-new
    dbt_build(fresh_warehouse)
    before = _row_versions(fresh_warehouse)
    assert all(before.values())

    dbt_build(fresh_warehouse)  # nothing new, though es-new and es-newer are well inside the lookback

    assert _row_versions(fresh_warehouse) == before


def horizon_sql(dbt_warehouse_url: str) -> str:
    """`select <the horizon expression> as horizon`, as dbt renders it (dbt compile --inline)."""
    command = [
        str(dbt_executable()),
        "compile",
        "--quiet",
        "--inline",
        "select {{ hawk_horizon_expression() }} as horizon",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]
    result = subprocess.run(
        command, env={**os.environ, **dbt_env(dbt_warehouse_url)}, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:]
    return result.stdout.strip()


def test_the_horizon_waits_for_open_writers_and_falls_back_when_it_cannot_see_them(
    login_role: Callable[..., str], warehouse_url: str, dbt_warehouse_url: str, dbt_target_path: Path
) -> None:
    horizon = horizon_sql(dbt_warehouse_url)
    writer, analyst, blind = (
        unique_name("horizon-writer"),
        unique_name("horizon-analyst"),
        unique_name("horizon-dbt"),
    )
    writer_url, analyst_url = login_role(warehouse_url, writer), login_role(warehouse_url, analyst)
    login_role(warehouse_url, blind)  # a login for dbt without pg_read_all_stats (entered with SET ROLE)
    grants = [
        sql.SQL("GRANT USAGE ON SCHEMA hawk_raw TO {}, {}").format(
            sql.Identifier(writer), sql.Identifier(analyst)
        ),
        sql.SQL("GRANT INSERT, UPDATE ON hawk_raw.eval TO {}").format(sql.Identifier(writer)),
        sql.SQL("GRANT SELECT ON hawk_raw.eval TO {}").format(sql.Identifier(analyst)),
    ]
    with psycopg.connect(warehouse_url, autocommit=True) as admin:
        for grant in grants:
            admin.execute(grant)
        try:

            def horizon_and_start(role: str | None = None) -> tuple[datetime, datetime]:
                with admin.transaction():
                    if role is not None:
                        admin.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
                    row = admin.execute(
                        f"SELECT h.horizon, transaction_timestamp() FROM ({horizon}) AS h"
                    ).fetchone()
                assert row is not None
                return row[0], row[1]

            # a writer's transaction is open: the horizon is its start (less a microsecond)
            with psycopg.connect(writer_url) as writing:
                writing.execute("SELECT 1")  # opens the transaction
                (started,) = admin.execute(
                    "SELECT xact_start FROM pg_stat_activity WHERE usename = %s", (writer,)
                ).fetchone()  # type: ignore[misc]
                seen, _ = horizon_and_start()
                assert seen == started - timedelta(microseconds=1)
                # dbt's role cannot see that session's start: the lookback, before its own start
                blind_horizon, blind_start = horizon_and_start(blind)
                assert blind_horizon == blind_start - timedelta(minutes=60, microseconds=1)

            # an analyst's open transaction cannot commit raw rows: it does not hold the horizon back
            with psycopg.connect(analyst_url) as reading:
                reading.execute("SELECT 1")  # opens the transaction
                quiet, start = horizon_and_start()
                assert quiet == start - timedelta(microseconds=1)
        finally:
            admin.execute(
                sql.SQL("REVOKE ALL ON hawk_raw.eval FROM {}, {}").format(
                    sql.Identifier(writer), sql.Identifier(analyst)
                )
            )
            admin.execute(
                sql.SQL("REVOKE USAGE ON SCHEMA hawk_raw FROM {}, {}").format(
                    sql.Identifier(writer), sql.Identifier(analyst)
                )
            )
