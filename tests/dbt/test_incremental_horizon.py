"""The incremental marts' watermark is the horizon of their last build (dbt/macros/incremental.sql).

An import whose transaction was open while dbt built commits rows stamped before that build: the next
build must pick them up, with no lookback window to lean on (`hawk_incremental_lookback_minutes: 0`). And
a build with nothing new must rewrite no mart row, not even the last hour's.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta

import psycopg

from hawk_dagster.warehouse.dbt_env import DBT_PROJECT_DIR, dbt_env, dbt_executable
from tests.dbt.conftest import query
from tests.dbt.raw_rows import RawEval, RawSample, RawScore, insert_eval, insert_evals

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
