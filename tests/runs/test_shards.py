"""How a grid splits into shards, and the merged eval-set.json (plain Python, a local log store)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hawk_dagster.logstore import LogStore
from hawk_dagster.runs.shards import (
    grid_cells,
    merged_eval_set,
    parse_share_name,
    raw_shards_setting,
    remove_stale_shares,
    shard_count,
    split,
    write_merged_eval_set,
)


def test_cells_are_task_by_model_and_a_grid_without_models_has_one_slot() -> None:
    assert grid_cells(2, 3) == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    assert grid_cells(3, 0) == [(0, 0), (1, 0), (2, 0)]


@pytest.mark.parametrize(
    ("setting", "cells", "expected"),
    [(1, 6, 1), (4, 6, 4), (10, 6, 6), ("auto", 6, 6), ("auto", 20, 8), ("auto", 0, 1), (3, 0, 1)],
)
def test_shard_count_never_exceeds_the_cells(setting: int | str, cells: int, expected: int) -> None:
    assert shard_count(setting, cells) == expected


def test_split_is_round_robin_covers_every_cell_once_and_is_stable() -> None:
    cells = grid_cells(16, 1)
    shards = split(cells, 4)
    assert [len(s.cells) for s in shards] == [4, 4, 4, 4]
    assert sorted(c for s in shards for c in s.cells) == cells
    assert shards[1].cells == [(1, 0), (5, 0), (9, 0), (13, 0)]
    assert split(cells, 4) == shards
    assert [s.mapping_key for s in shards] == [f"shard_{k}_of_4" for k in range(1, 5)]
    assert shards[0].file_name == "shard-1-of-4.json" and parse_share_name("shard-1-of-4.json") == (0, 4)
    assert parse_share_name("shard-5-of-4.json") is None and parse_share_name("eval-set.json") is None


def test_raw_setting_reads_runner_shards_and_defaults_to_one() -> None:
    assert raw_shards_setting({"runner": {"shards": 3}}) == 3
    assert raw_shards_setting({"runner": {"shards": "auto"}}) == "auto"
    assert raw_shards_setting({"runner": {"shards": 0}}) == 1
    assert raw_shards_setting({}) == 1


def test_merged_eval_set_is_the_union_of_the_shares(tmp_path: Path) -> None:
    store = LogStore.from_root(str(tmp_path))
    shares = {
        "shard-1-of-2.json": {"eval_set_id": "e", "tasks": [{"name": "a", "task_id": "1"}]},
        "shard-2-of-2.json": {
            "eval_set_id": "e",
            "tasks": [{"name": "b", "task_id": "2"}, {"name": "a", "task_id": "1"}],
        },
        "shard-1-of-3.json": {"eval_set_id": "e", "tasks": [{"name": "old", "task_id": "9"}]},
    }
    for name, share in shares.items():
        store.write_text(f"evals/e/.hawk-shards/{name}", json.dumps(share))
    assert remove_stale_shares(store, "e", 2) == ["shard-1-of-3.json"]
    written = write_merged_eval_set(store, "e", 2)
    assert written == {
        "eval_set_id": "e",
        "tasks": [{"name": "a", "task_id": "1"}, {"name": "b", "task_id": "2"}],
    }
    assert json.loads(store.read_text("evals/e/eval-set.json")) == written
    assert merged_eval_set("e", []) == {"eval_set_id": "e", "tasks": []}


def test_local_runs_choose_their_executor_per_run() -> None:
    from hawk_dagster.runner.eval_set import EVAL_SET
    from hawk_dagster.runs.launch import local_execution
    from hawk_dagster.scans.run import SCAN

    def choice(executor: str, shards: int | str) -> object:
        return local_execution(EVAL_SET, executor, shards).get("execution", {}).get("config")

    assert choice("in_process", 1) == {"in_process": {}}
    assert choice("in_process", 2) == {"multiprocess": {}}
    assert choice("in_process", "auto") == {"multiprocess": {}}
    assert choice("multiprocess", 1) == {"multiprocess": {}}
    assert local_execution(EVAL_SET, "k8s", 4) == {}
    assert local_execution(SCAN, "in_process", 1) == {}  # one step, its deployment's executor
    assert EVAL_SET.step_op_names == ["run_eval_set", "run_eval_set_shard", "finish_eval_set"]
    assert SCAN.step_op_names == ["run_scan"]
