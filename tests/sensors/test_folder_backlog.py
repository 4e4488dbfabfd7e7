"""A fresh eval set is picked up within one tick whatever the backlog; a damaged cursor keeps what it can."""

from __future__ import annotations

import io
import json
import os
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.utils import make_new_run_id

from hawk_dagster.jobs.sample_edits import SAMPLE_EDITS_JOB
from hawk_dagster.logstore import LogStore
from hawk_dagster.runs.tags import EDITED_EVAL_SETS_TAG
from hawk_dagster.sensing.eval_logs import EVAL_SET_FOLDERS
from hawk_dagster.sensing.folders import FolderCursor, plan_tick
from resources.log_store import LogStoreResource
from sensors.eval_log_sensor import eval_log_sensor

BACKLOG = 2000
PER_TICK = 50
OLD = time.time() - 30 * 86400  # a month ago


def _finished_log() -> bytes:
    """A zip that reads as a finished log to the sensor (it has header.json); the sensor does not import."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("header.json", "{}")
    return buffer.getvalue()


LOG = _finished_log()


def _old_backlog(root: Path, count: int) -> None:
    """`count` eval-set folders with one log each, written a month ago, named to sort before "set-z"."""
    for number in range(count):
        path = root / "evals" / f"set-{number:05d}" / "task.eval"
        path.parent.mkdir(parents=True)
        path.write_bytes(LOG)
        os.utime(path, (OLD, OLD))


def _write_fresh(store: LogStore, name: str) -> None:
    store.write_bytes(f"evals/{name}/task.eval", LOG)


def _tick(instance: dg.DagsterInstance, root: Path, cursor: str | None) -> dg.SensorResult:
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"log_store": LogStoreResource(root=str(root))}
    ) as context:
        result = eval_log_sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def _requested(result: dg.SensorResult) -> list[str]:
    return [request.partition_key or "" for request in result.run_requests or []]


def test_a_fresh_folder_is_requested_by_the_first_tick_behind_2000_unseen_ones(tmp_path: Path) -> None:
    """First deploy (or a lost cursor): the tick that finds the backlog takes the newest folders first."""
    _old_backlog(tmp_path, BACKLOG)
    _write_fresh(LogStore.from_root(str(tmp_path)), "set-zz-fresh")
    with dg.instance_for_test() as instance:
        first = _tick(instance, tmp_path, None)
    assert "set-zz-fresh" in _requested(first)
    assert len(first.run_requests or []) == PER_TICK  # its cost: bench/sensor_bench.py


def test_a_folder_written_during_the_backlog_is_requested_by_the_next_tick(tmp_path: Path) -> None:
    _old_backlog(tmp_path, BACKLOG)
    store = LogStore.from_root(str(tmp_path))
    with dg.instance_for_test() as instance:
        first = _tick(instance, tmp_path, None)
        assert len(first.run_requests or []) == PER_TICK
        cursor = FolderCursor.model_validate_json(first.cursor or "")
        assert len(cursor.backlog) == BACKLOG - PER_TICK

        _write_fresh(store, "set-zz-new")  # sorts after every backlog folder
        second = _tick(instance, tmp_path, first.cursor)
        assert "set-zz-new" in _requested(second)

        seen = set(_requested(first)) | set(_requested(second))
        cursor_json = second.cursor
        for _ in range(BACKLOG // PER_TICK + 2):  # the backlog still drains, about a tick a 50
            tick = _tick(instance, tmp_path, cursor_json)
            seen |= set(_requested(tick))
            cursor_json = tick.cursor
        assert len(seen) == BACKLOG + 1


@pytest.mark.usefixtures("s3_server")
def test_on_s3_the_newest_folder_goes_first(s3_log_root: str) -> None:
    store = LogStore.from_root(s3_log_root)
    for number in range(30):
        _write_fresh(store, f"set-{number:05d}")
    time.sleep(1.1)  # S3 keeps modification times to the second
    _write_fresh(store, "set-zz-fresh")
    plan = plan_tick(store, FolderCursor(), EVAL_SET_FOLDERS, max_folders_per_tick=5)
    assert "set-zz-fresh" in [r.folder_id for r in plan.requests]
    assert len(plan.cursor.backlog) == 31 - 5
    _write_fresh(store, "set-zz-later")
    plan = plan_tick(store, plan.cursor, EVAL_SET_FOLDERS, max_folders_per_tick=5)
    assert "set-zz-later" in [r.folder_id for r in plan.requests]


def test_a_damaged_cursor_keeps_what_it_can() -> None:
    raw = json.dumps(
        {
            "version": 2,
            "folders": {"a": {"fingerprint": "f1", "active_at": 1.0}, "b": {"fingerprint": ["bad"]}, "c": 7},
            "backlog": ["d", 3, "e"],
            "round_robin_after": "a",
        }
    )
    cursor, warnings = FolderCursor.parse(raw)
    assert set(cursor.folders) == {"a"} and cursor.folders["a"].fingerprint == "f1"
    assert cursor.backlog == ["d", "e"] and cursor.round_robin_after == "a"
    assert warnings == [
        "2 folder state(s) of the sensor cursor were unreadable; those folders are examined again"
    ]

    cursor, warnings = FolderCursor.parse('{"version": 2, "folders": {"a": ')
    assert cursor == FolderCursor() and "not JSON" in warnings[0]


def test_the_previous_cursor_format_is_read() -> None:
    """Deploying this version must not restart the backlog: version-1 cursors (`sets`) are read."""
    raw = json.dumps(
        {
            "version": 1,
            "sets": {"set-a": {"fingerprint": "abc", "changed_at": 5.0, "deferred": 1}},
            "round_robin_after": "set-a",
        }
    )
    cursor, warnings = FolderCursor.parse(raw)
    assert warnings == []
    assert cursor.folders["set-a"].fingerprint == "abc" and cursor.folders["set-a"].active_at == 5.0


def test_a_damaged_cursor_does_not_stop_the_tick(tmp_path: Path) -> None:
    _write_fresh(LogStore.from_root(str(tmp_path)), "set-a")
    with dg.instance_for_test() as instance:
        result = _tick(instance, tmp_path, "{not json")
    assert _requested(result) == ["set-a"]
    assert FolderCursor.parse(result.cursor)[1] == []
    assert (
        datetime.now(UTC).timestamp() - FolderCursor.parse(result.cursor)[0].folders["set-a"].active_at < 600
    )


def test_folders_of_recent_runs_go_first_without_starving_the_backlog(tmp_path: Path) -> None:
    _old_backlog(tmp_path, 300)
    store = LogStore.from_root(str(tmp_path))
    running = [f"set-{number:05d}" for number in range(100, 130)]  # old folders of 30 recent runs
    plan = plan_tick(store, FolderCursor(), EVAL_SET_FOLDERS, hot_folders=running, max_folders_per_tick=10)
    assert set(plan.examined) <= set(running) and len(plan.examined) == 10  # runs first, whatever their age
    examined: set[str] = set(plan.examined)
    for _ in range(60):  # 30 hot folders keep coming back, yet the backlog drains at 5 a tick (half)
        plan = plan_tick(store, plan.cursor, EVAL_SET_FOLDERS, hot_folders=running, max_folders_per_tick=10)
        examined |= set(plan.examined)
    assert len(examined) == 300 and not plan.cursor.backlog


def test_logs_rewritten_by_a_sample_edits_run_are_requested_by_the_next_tick(tmp_path: Path) -> None:
    """A sample edit rewrites a log in an old eval set: the cold rotation would reach it only after many
    ticks; the sample_edits run's tag names the eval sets, so the next tick examines them first."""
    _old_backlog(tmp_path, 150)
    with dg.instance_for_test() as instance:
        cursor = None
        for _ in range(4):  # 150 folders at 50 a tick: all known after 3 ticks
            cursor = _tick(instance, tmp_path, cursor).cursor
        assert FolderCursor.parse(cursor)[0].backlog == []
        edited = tmp_path / "evals" / "set-00120" / "task.eval"
        with zipfile.ZipFile(edited, "a") as archive:  # the rewrite: a new etag, an old mtime
            archive.writestr("reductions.json", "[]")
        os.utime(edited, (OLD, OLD))
        assert "set-00120" not in _requested(_tick(instance, tmp_path, cursor))

        instance.add_run(
            dg.DagsterRun(
                job_name=SAMPLE_EDITS_JOB,
                run_id=make_new_run_id(),
                tags={EDITED_EVAL_SETS_TAG: "set-00120,set-00130"},
                status=dg.DagsterRunStatus.SUCCESS,
            )
        )
        assert _requested(_tick(instance, tmp_path, cursor)) == ["set-00120"]
