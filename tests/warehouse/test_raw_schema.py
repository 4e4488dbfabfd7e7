"""The hawk_raw schema's keys, generated columns, checks, cascades, triggers and indexes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import errors, sql
from psycopg.types.json import Jsonb

from hawk_dagster.warehouse import schema

Connection = psycopg.Connection[tuple[Any, ...]]


@pytest.fixture
def db(warehouse_url: str) -> Iterator[Connection]:
    with psycopg.connect(warehouse_url, autocommit=True) as connection:
        yield connection


def _insert(db: Connection, table: str, values: dict[str, Any]) -> UUID:
    statement = sql.SQL("INSERT INTO hawk_raw.{} ({}) VALUES ({}) RETURNING pk").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, values)),
        sql.SQL(", ").join(sql.Placeholder() * len(values)),
    )
    row = db.execute(
        statement, [Jsonb(v) if isinstance(v, dict | list) else v for v in values.values()]
    ).fetchone()
    assert row is not None
    return UUID(str(row[0]))


def insert_eval(db: Connection, **overrides: Any) -> UUID:
    values = {
        "eval_set_id": "set-abc",
        "id": "eval-1",
        "task_id": "task-1",
        "task_name": "arithmetic",
        "total_samples": 2,
        "completed_samples": 2,
        "location": "/logs/evals/set-abc/a.eval",
        "file_size_bytes": 1234,
        "file_hash": "sha256:00",
        "file_last_modified": datetime(2026, 1, 1, tzinfo=UTC),
        "status": "success",
        "agent": "generate",
        "model": "offline/model",
    }
    return _insert(db, "eval", values | overrides)


def insert_sample(db: Connection, eval_pk: UUID, **overrides: Any) -> UUID:
    values = {
        "eval_pk": eval_pk,
        "id": "1",
        "uuid": "sample-uuid-1",
        "epoch": 1,
        "input": Jsonb("What is 1+1?"),
    }
    return _insert(db, "sample", values | overrides)


def insert_scan(db: Connection, **overrides: Any) -> UUID:
    values = {"scan_id": "scan-1", "timestamp": datetime(2026, 1, 2, tzinfo=UTC), "location": "/logs/scans/x"}
    return _insert(db, "scan", values | overrides)


def insert_scanner_result(db: Connection, scan_pk: UUID, **overrides: Any) -> UUID:
    values = {
        "scan_pk": scan_pk,
        "transcript_id": "sample-uuid-1",
        "transcript_source_type": "eval_log",
        "transcript_source_id": "eval-1",
        "scanner_key": "refusal",
        "scanner_name": "refusal",
        "uuid": "result-1",
        "timestamp": datetime(2026, 1, 2, tzinfo=UTC),
    }
    return _insert(db, "scanner_result", values | overrides)


def _value(db: Connection, query: str, *params: Any) -> Any:
    row = db.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def test_defaults_fill_keys_timestamps_and_json(db: Connection) -> None:
    eval_pk = insert_eval(db)
    row = db.execute(
        "SELECT meta, plan, model_usage, import_status, created_at <= now(), first_imported_at = last_imported_at"
        " FROM hawk_raw.eval WHERE pk = %s",
        (eval_pk,),
    ).fetchone()
    assert row == ({}, {}, {}, None, True, True)


def test_keys_are_unique(db: Connection) -> None:
    eval_pk = insert_eval(db)
    with pytest.raises(errors.UniqueViolation, match="eval_id_key"):
        insert_eval(db, location="/elsewhere.eval")
    insert_sample(db, eval_pk)
    with pytest.raises(errors.UniqueViolation, match="sample_uuid_key"):
        insert_sample(db, eval_pk, id="2")
    with pytest.raises(errors.UniqueViolation, match="sample__eval_sample_epoch_uniq"):
        insert_sample(db, eval_pk, uuid="sample-uuid-2")
    insert_sample(db, eval_pk, uuid="sample-uuid-2", epoch=2)  # another epoch is another sample


def test_score_sample_model_and_message_keys_allow_idempotent_upserts(db: Connection) -> None:
    sample_pk = insert_sample(db, insert_eval(db))
    score = "INSERT INTO hawk_raw.score (sample_pk, scorer, value, value_float) VALUES (%s, 'match', %s, %s)"
    db.execute(score, (sample_pk, Jsonb("C"), 1.0))
    with pytest.raises(errors.UniqueViolation, match="score_sample_pk_scorer_unique"):
        db.execute(score, (sample_pk, Jsonb("I"), 0.0))
    db.execute(
        score + " ON CONFLICT (sample_pk, scorer) DO UPDATE SET value = excluded.value",
        (sample_pk, Jsonb("I"), 0.0),
    )
    assert _value(db, "SELECT value FROM hawk_raw.score WHERE sample_pk = %s", sample_pk) == "I"

    model = "INSERT INTO hawk_raw.sample_model (sample_pk, model) VALUES (%s, 'offline/model')"
    db.execute(model + " ON CONFLICT (sample_pk, model) DO NOTHING", (sample_pk,))
    db.execute(model + " ON CONFLICT (sample_pk, model) DO NOTHING", (sample_pk,))
    with pytest.raises(errors.UniqueViolation, match="sample_model__sample_model_uniq"):
        db.execute(model, (sample_pk,))

    message = (
        "INSERT INTO hawk_raw.message (sample_pk, sample_uuid, message_order, role, content_text)"
        " VALUES (%s, 'sample-uuid-1', 0, 'user', %s)"
    )
    db.execute(message, (sample_pk, "What is 1+1?"))
    with pytest.raises(errors.UniqueViolation, match="message__sample_order_uniq"):
        db.execute(message, (sample_pk, "again"))
    db.execute(
        message
        + " ON CONFLICT (sample_pk, message_order) DO UPDATE SET content_text = excluded.content_text",
        (sample_pk, "What is 2+2?"),
    )
    assert _value(db, "SELECT content_text FROM hawk_raw.message") == "What is 2+2?"


@pytest.mark.parametrize(
    ("error_message", "limit", "expected"),
    [
        (None, None, "success"),
        ("boom", None, "error"),
        (None, "token", "token_limit"),
        (None, "working", "working_limit"),
        ("boom", "time", "error"),
    ],
)
def test_sample_status_is_generated(
    db: Connection, error_message: str | None, limit: str | None, expected: str
) -> None:
    sample_pk = insert_sample(db, insert_eval(db), error_message=error_message, limit=limit)
    assert _value(db, "SELECT status FROM hawk_raw.sample WHERE pk = %s", sample_pk) == expected


def test_generated_columns_follow_updates_and_cannot_be_written(db: Connection) -> None:
    sample_pk = insert_sample(db, insert_eval(db), error_message="boom")
    assert db.execute(
        "SELECT status, is_invalid FROM hawk_raw.sample WHERE pk = %s", (sample_pk,)
    ).fetchone() == ("error", False)

    db.execute(
        "UPDATE hawk_raw.sample SET error_message = NULL, invalidation_reason = 'leaked answer' WHERE pk = %s",
        (sample_pk,),
    )
    assert db.execute(
        "SELECT status, is_invalid FROM hawk_raw.sample WHERE pk = %s", (sample_pk,)
    ).fetchone() == ("success", True)

    with pytest.raises(errors.GeneratedAlways):
        db.execute("UPDATE hawk_raw.sample SET status = 'success' WHERE pk = %s", (sample_pk,))
    with pytest.raises(errors.GeneratedAlways):
        db.execute("UPDATE hawk_raw.sample SET is_invalid = false WHERE pk = %s", (sample_pk,))


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("eval", "epochs"),
        ("eval", "total_samples"),
        ("eval", "file_size_bytes"),
        ("sample", "epoch"),
        ("sample", "input_tokens"),
        ("sample", "total_time_seconds"),
        ("sample", "token_limit"),
        ("message", "message_order"),
        ("scanner_result", "scan_total_tokens"),
    ],
)
def test_negative_counts_are_rejected(db: Connection, table: str, column: str) -> None:
    eval_pk = insert_eval(db)
    sample_pk = insert_sample(db, eval_pk)
    scanner_result_pk = insert_scanner_result(db, insert_scan(db))
    pk = {"eval": eval_pk, "sample": sample_pk, "scanner_result": scanner_result_pk}.get(table)
    if table == "message":
        pk = _insert(db, "message", {"sample_pk": sample_pk, "message_order": 0})
    statement = sql.SQL("UPDATE hawk_raw.{} SET {} = -1 WHERE pk = %s").format(
        sql.Identifier(table), sql.Identifier(column)
    )
    with pytest.raises(errors.CheckViolation):
        db.execute(statement, (pk,))


def test_enums_reject_unknown_values(db: Connection) -> None:
    with pytest.raises(errors.InvalidTextRepresentation, match="eval_status"):
        insert_eval(db, status="done")
    sample_pk = insert_sample(db, insert_eval(db))
    with pytest.raises(errors.InvalidTextRepresentation, match="tool_error_type"):
        _insert(db, "message", {"sample_pk": sample_pk, "message_order": 0, "tool_error_type": "oops"})


def test_model_role_has_one_parent_and_nulls_not_distinct_key(db: Connection) -> None:
    eval_pk = insert_eval(db)
    scan_pk = insert_scan(db)
    role = {"type": "eval", "eval_pk": eval_pk, "role": "grader", "model": "offline/model"}
    _insert(db, "model_role", role)
    with pytest.raises(errors.UniqueViolation, match="model_role__unique"):
        _insert(db, "model_role", role | {"model": "other/model"})  # scan_pk NULL = NULL here
    db.execute(
        "INSERT INTO hawk_raw.model_role (type, eval_pk, role, model) VALUES ('eval', %s, 'grader', 'x/y')"
        " ON CONFLICT (eval_pk, scan_pk, role) DO UPDATE SET model = excluded.model",
        (eval_pk,),
    )
    assert _value(db, "SELECT model FROM hawk_raw.model_role WHERE eval_pk = %s", eval_pk) == "x/y"
    _insert(db, "model_role", {"type": "scan", "scan_pk": scan_pk, "role": "grader", "model": "m/m"})

    with pytest.raises(errors.CheckViolation, match="model_role__single_parent"):
        _insert(db, "model_role", role | {"scan_pk": scan_pk, "role": "critic"})
    with pytest.raises(errors.CheckViolation, match="model_role__single_parent"):
        _insert(db, "model_role", role | {"eval_pk": None, "role": "critic"})
    with pytest.raises(errors.CheckViolation, match="model_role__type_matches_parent"):
        _insert(db, "model_role", role | {"type": "scan", "role": "critic"})


def test_scanner_result_key_treats_null_labels_as_equal(db: Connection) -> None:
    scan_pk = insert_scan(db)
    insert_scanner_result(db, scan_pk)
    with pytest.raises(
        errors.UniqueViolation, match="scanner_result__scan_transcript_scanner_key_label_uniq"
    ):
        insert_scanner_result(db, scan_pk, uuid="result-2")  # same scan/transcript/scanner, label NULL
    insert_scanner_result(db, scan_pk, uuid="result-3", label="a")
    with pytest.raises(errors.UniqueViolation, match="scanner_result_uuid_key"):
        insert_scanner_result(db, scan_pk, label="b")
    with pytest.raises(errors.UniqueViolation, match="scan_scan_id_key"):
        insert_scan(db)


def test_deletes_cascade_from_eval_and_scan_and_unlink_scanner_results(db: Connection) -> None:
    eval_pk = insert_eval(db)
    sample_pk = insert_sample(db, eval_pk)
    db.execute(
        "INSERT INTO hawk_raw.score (sample_pk, scorer, value) VALUES (%s, 'match', '1')", (sample_pk,)
    )
    _insert(db, "message", {"sample_pk": sample_pk, "message_order": 0})
    _insert(db, "sample_model", {"sample_pk": sample_pk, "model": "offline/model"})
    _insert(db, "model_role", {"type": "eval", "eval_pk": eval_pk, "role": "grader", "model": "m/m"})
    scan_pk = insert_scan(db)
    result_pk = insert_scanner_result(db, scan_pk, sample_pk=sample_pk)

    db.execute("DELETE FROM hawk_raw.eval WHERE pk = %s", (eval_pk,))
    for table in ("sample", "score", "message", "sample_model", "model_role"):
        assert _value(db, f"SELECT count(*) FROM hawk_raw.{table}") == 0, table
    assert _value(db, "SELECT sample_pk FROM hawk_raw.scanner_result WHERE pk = %s", result_pk) is None

    db.execute("DELETE FROM hawk_raw.scan WHERE pk = %s", (scan_pk,))
    assert _value(db, "SELECT count(*) FROM hawk_raw.scanner_result") == 0


def test_search_text_follows_sample_and_eval(db: Connection) -> None:
    first = insert_eval(db)
    second = insert_eval(db, id="eval-2", eval_set_id="set-xyz", task_name="spelling", model="other/m")
    sample_pk = insert_sample(db, first, id="sample-7")
    query = "SELECT search_text FROM hawk_raw.sample WHERE pk = %s"
    assert _value(db, query, sample_pk) == (
        "sample-7 arithmetic eval-1 set-abc /logs/evals/set-abc/a.eval offline/model"
    )

    db.execute(
        "UPDATE hawk_raw.eval SET location = '/moved/a.eval', model = 'offline/m2' WHERE pk = %s", (first,)
    )
    assert _value(db, query, sample_pk) == "sample-7 arithmetic eval-1 set-abc /moved/a.eval offline/m2"

    db.execute("UPDATE hawk_raw.sample SET eval_pk = %s WHERE pk = %s", (second, sample_pk))
    assert _value(db, query, sample_pk) == (
        "sample-7 spelling eval-2 set-xyz /logs/evals/set-abc/a.eval other/m"
    )

    with pytest.raises(errors.ForeignKeyViolation):  # a missing eval is reported as such
        insert_sample(db, UUID(int=0), uuid="orphan")


def test_trigram_index_serves_substring_search(db: Connection) -> None:
    sample_pk = insert_sample(db, insert_eval(db))
    db.execute("SET enable_seqscan = off")
    plan = "\n".join(
        row[0]
        for row in db.execute(
            "EXPLAIN SELECT pk FROM hawk_raw.sample WHERE search_text ILIKE %s", ("%rithme%",)
        ).fetchall()
    )
    assert "sample__search_text_trgm_idx" in plan
    found = db.execute("SELECT pk FROM hawk_raw.sample WHERE search_text ILIKE %s", ("%rithme%",)).fetchall()
    assert [UUID(str(row[0])) for row in found] == [sample_pk]


def test_the_database_agrees_with_the_schema_module(db: Connection) -> None:
    """Enum labels (in order) and tables are what hawk_dagster.warehouse.schema says, which the
    importers use; a value added there without a migration fails here."""
    labels = db.execute(
        "SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_type t "
        "JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE n.nspname = %s GROUP BY t.typname",
        (schema.RAW_SCHEMA,),
    ).fetchall()
    assert {name: tuple(values) for name, values in labels} == schema.ENUMS
    tables = db.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema.RAW_SCHEMA,)
    ).fetchall()
    assert {row[0] for row in tables} == {*schema.RAW_TABLES, schema.VERSION_TABLE}
    assert {*schema.EVAL_TABLES, *schema.SCAN_TABLES} == set(schema.RAW_TABLES)
