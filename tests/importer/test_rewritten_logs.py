"""A log rewritten with fewer samples, an import killed half-way, a header missing several fields."""

from __future__ import annotations

import json
import os
from pathlib import Path

import psycopg
from inspect_ai.log import read_eval_log, write_eval_log

from hawk_dagster.importer import import_eval_log, merge
from hawk_dagster.logstore import LogStore
from tests.importer.inspect_counts import expected_counts, read_log
from tests.importer.logfiles import entries, eval_keys, write_zip
from tests.importer.warehouse_rows import dump, rows, scalar, table_counts


def _largest_log(store: LogStore, log_root: Path) -> str:
    keys = eval_keys(store, "evals/es-main/")
    return max(keys, key=lambda key: len(read_log(log_root / key).samples or []))


def _drop_last_sample(path: Path) -> tuple[str, int, str]:
    """Rewrites the log with Inspect, without its last sample; returns that sample's (id, epoch, uuid)."""
    log = read_eval_log(str(path))
    samples = log.samples or []
    dropped = samples[-1]
    log.samples = samples[:-1]
    write_eval_log(log, str(path))
    return str(dropped.id), dropped.epoch, str(dropped.uuid)


def _sample_uuids(url: str, eval_id: str) -> set[str]:
    found = rows(
        url,
        "SELECT s.uuid FROM hawk_raw.sample s JOIN hawk_raw.eval e ON e.pk = s.eval_pk WHERE e.id = %s",
        (eval_id,),
    )
    return {r["uuid"] for r in found}


def test_samples_removed_from_a_rewritten_log_leave_the_warehouse(
    warehouse_url: str, store: LogStore, log_root: Path
) -> None:
    key = _largest_log(store, log_root)
    path = log_root / key
    assert import_eval_log(warehouse_url, store, key).outcome == "imported"
    eval_id = read_log(path).eval.eval_id
    sample_id, epoch, dropped_uuid = _drop_last_sample(path)
    dropped_pk = scalar(warehouse_url, "SELECT pk FROM hawk_raw.sample WHERE uuid = %s", (dropped_uuid,))
    assert scalar(warehouse_url, "SELECT count(*) FROM hawk_raw.message WHERE sample_pk = %s", (dropped_pk,))

    result = import_eval_log(warehouse_url, store, key)

    assert result.outcome == "imported", result.reason
    log = read_log(path)
    kept = {str(s.uuid) for s in log.samples or []}
    assert dropped_uuid not in kept and len(kept) == result.header_samples
    assert _sample_uuids(warehouse_url, eval_id) == kept, f"sample {sample_id} epoch {epoch} is still there"
    assert result.samples_removed == 1
    for table in ("score", "message", "sample_model"):
        assert (
            scalar(
                warehouse_url, f"SELECT count(*) FROM hawk_raw.{table} WHERE sample_pk = %s", (dropped_pk,)
            )
            == 0
        )
    counts, expected = table_counts(warehouse_url), expected_counts(log)
    assert counts["sample"] == expected["samples"]
    assert counts["message"] == expected["messages"]
    assert counts["sample_model"] == expected["sample_models"]

    before = dump(warehouse_url)
    again = import_eval_log(warehouse_url, store, key)
    assert again.outcome == "skipped" and again.samples_removed == 0
    assert dump(warehouse_url) == before


def test_a_killed_import_is_marked_failed_by_the_next_import(
    warehouse_url: str, store: LogStore, log_root: Path
) -> None:
    key = _largest_log(store, log_root)
    older = f"{key.rsplit('/', 1)[0]}/older-copy.eval"
    (log_root / older).write_bytes((log_root / key).read_bytes())
    stamp = (log_root / key).stat().st_mtime - 3600
    os.utime(log_root / older, (stamp, stamp))
    assert import_eval_log(warehouse_url, store, key).outcome == "imported"
    eval_id = read_log(log_root / key).eval.eval_id
    with psycopg.connect(warehouse_url) as connection:  # what an import killed after its first step leaves
        connection.execute(merge.MARK_IMPORTING, (eval_id,))
    [state] = rows(
        warehouse_url, "SELECT import_status, import_started_at FROM hawk_raw.eval WHERE id = %s", (eval_id,)
    )
    assert state["import_status"] == "importing" and state["import_started_at"] is not None

    skipped = import_eval_log(warehouse_url, store, older)  # skipped (older file), yet it finds the remains

    assert skipped.outcome == "skipped" and "newer file" in (skipped.reason or "")
    [row] = rows(
        warehouse_url, "SELECT import_status, import_error FROM hawk_raw.eval WHERE id = %s", (eval_id,)
    )
    assert row["import_status"] == "failed"
    assert (
        "never finished" in row["import_error"]
        and str(state["import_started_at"].year) in row["import_error"]
    )
    assert import_eval_log(warehouse_url, store, key).outcome == "imported"
    assert rows(warehouse_url, "SELECT import_status FROM hawk_raw.eval WHERE id = %s", (eval_id,)) == [
        {"import_status": "success"}
    ]


def test_a_header_missing_several_fields_names_them_all(
    warehouse_url: str, store: LogStore, log_root: Path
) -> None:
    key = _largest_log(store, log_root)
    contents = entries(log_root / key)
    header = json.loads(contents["header.json"])
    for field in ("task", "task_id", "model"):
        del header["eval"][field]
    contents["header.json"] = json.dumps(header).encode()
    write_zip(log_root / key, contents)

    result = import_eval_log(warehouse_url, store, key)

    assert result.outcome == "failed"
    assert "missing eval.task, eval.task_id, eval.model" in (result.reason or ""), result.reason
