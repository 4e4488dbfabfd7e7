"""An incremental build leaves every mart as a full build would, and leaves untouched eval sets alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg

from hawk_dagster.warehouse.dbt_env import DEFAULT_DBT_SCHEMA
from hawk_dagster.warehouse.mart_equality import mart_differences, snapshot_marts
from tests.dbt.conftest import DBT_SCHEMAS, build_dbt, query
from tests.dbt.raw_rows import (
    BASE_TIME,
    RawEval,
    RawSample,
    RawScore,
    edit_score,
    insert_evals,
    reimport_eval,
)

SNAPSHOT = "hawk_incremental_snapshot"


def _sample(sample_id: str, value: object, day: int = 0) -> RawSample:
    completed = BASE_TIME + timedelta(days=day, minutes=1)
    return RawSample(sample_id, scores=[RawScore("match", value)], completed_at=completed)


def _versions(database_url: str, table: str, key: str) -> dict[str, str]:
    rows = query(database_url, f"SELECT {key} AS key, xmin::text AS version FROM hawk.{table}")
    return {r["key"]: r["version"] for r in rows}


def test_incremental_build_equals_a_full_build_and_skips_untouched_eval_sets(fresh_warehouse: str) -> None:
    # the untouched set was imported well before the others: past the incremental lookback window
    long_ago = datetime.now(UTC) - timedelta(days=3)
    untouched = RawEval(
        "es-still",
        "stable",
        "m1",
        samples=[_sample("1", "C"), _sample("2", "I", day=2)],
        imported_at=long_ago - timedelta(days=2),
    )
    shrinking = RawEval(
        "es-busy",
        "shrinking",
        "m1",
        samples=[_sample("1", "C"), _sample("2", "C", day=1), _sample("3", 0.25, day=5)],
        imported_at=long_ago,
    )
    edited = RawEval(
        "es-busy", "edited", "m2", samples=[_sample("1", "I"), _sample("2", "C", day=1)], imported_at=long_ago
    )
    crashed = RawEval(
        "es-retry",
        "flaky",
        "m2",
        status="started",
        task_id="flaky",
        completed_at=None,
        samples=[_sample("1", "C"), _sample("2", "C")],
        imported_at=long_ago,
    )
    insert_evals(fresh_warehouse, [untouched, shrinking, edited, crashed])
    assert build_dbt(fresh_warehouse).success
    sets_before = _versions(fresh_warehouse, "dim_eval_sets", "eval_set_id")
    results_before = _versions(fresh_warehouse, "model_task_results", "eval_set_id || '/' || task_name")

    # a log rewritten without one of its samples (whose day then holds no sample), an edited score, an
    # invalidated sample, a retried crash, a new eval in an existing set and a new eval set
    dropped = shrinking.samples.pop()
    with psycopg.connect(fresh_warehouse) as connection:
        connection.execute("DELETE FROM hawk_raw.sample WHERE uuid = %s", (dropped.uuid,))
        connection.execute(
            "UPDATE hawk_raw.sample SET invalidation_reason = 'leak', invalidation_author = 'bob', "
            "invalidation_timestamp = now(), updated_at = now() WHERE uuid = %s",
            (edited.samples[1].uuid,),
        )
    reimport_eval(fresh_warehouse, shrinking, [_sample("4", "P", day=3)])
    edit_score(fresh_warehouse, edited.samples[0], "match", "C")
    retry = RawEval(
        "es-retry",
        "flaky",
        "m2",
        task_id="flaky",
        started_at=BASE_TIME + timedelta(hours=1),
        samples=[_sample("1", "I"), RawSample("2", error_message="boom", completed_at=BASE_TIME)],
    )
    insert_evals(
        fresh_warehouse,
        [
            retry,
            RawEval("es-busy", "newcomer", "m3", samples=[_sample("1", "yes", day=1)]),
            RawEval("es-new", "fresh", "m3", samples=[_sample("1", "no", day=7)]),
        ],
    )
    incremental = build_dbt(fresh_warehouse)
    assert incremental.success
    assert [c.check_name for c in incremental.get_asset_check_evaluations() if not c.passed] == []

    # eval-set marts: only the touched eval sets' rows were rewritten
    sets_after = _versions(fresh_warehouse, "dim_eval_sets", "eval_set_id")
    assert sets_after["es-still"] == sets_before["es-still"]
    assert sets_after["es-busy"] != sets_before["es-busy"]
    assert set(sets_after) == {"es-still", "es-busy", "es-retry", "es-new"}
    results_after = _versions(fresh_warehouse, "model_task_results", "eval_set_id || '/' || task_name")
    assert results_after["es-still/stable"] == results_before["es-still/stable"]
    assert results_after["es-busy/shrinking"] != results_before["es-busy/shrinking"]

    # the same raw rows built from nothing give the same marts
    with psycopg.connect(fresh_warehouse, autocommit=True) as connection:
        snapshot_marts(connection, DEFAULT_DBT_SCHEMA, SNAPSHOT)
        for schema in DBT_SCHEMAS:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")
    assert build_dbt(fresh_warehouse).success
    with psycopg.connect(fresh_warehouse, autocommit=True) as connection:
        differences = mart_differences(connection, SNAPSHOT, DEFAULT_DBT_SCHEMA)
        rows = {
            table: connection.execute(f"SELECT count(*) FROM hawk.{table}").fetchone()[0]  # type: ignore[index]
            for table in differences
        }
        connection.execute(f"DROP SCHEMA {SNAPSHOT} CASCADE")
    assert differences == {table: (0, 0) for table in differences}
    assert rows["fct_samples"] == 13 and rows["fct_sample_edits"] == 1 and rows["dim_eval_sets"] == 4
