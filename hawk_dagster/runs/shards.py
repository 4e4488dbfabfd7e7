"""Eval sets split across steps: which task x model cells each shard runs, and the shard files.

Design (checked with real Inspect runs: tests/jobs/test_eval_set_shards.py):

- The grid's cells are its task x model pairs, in config order (solvers and agents stay together: every
  shard runs each of its cells with every solver). Cell `i` goes to shard `i % count` (round robin), so
  shards get cells of every task and the same config always splits the same way.
- `runner.shards: N` asks for N shards, `auto` for one per cell up to `AUTO_SHARDS_CAP`; never more
  shards than cells. One shard is today's single step.
- Every shard calls Inspect's `eval_set()` on its cells only, into the one eval-set folder
  `<log root>/evals/<eval_set_id>/`, with `log_dir_allow_dirty=True` (without it Inspect raises
  PrerequisiteError on the other shards' logs; each shard matches its own logs by Inspect's task
  identifier, so a shard resumes its own cells and never touches another's). The price: the folder is no
  longer checked for logs of foreign tasks. Logs and `.eval-set-id` stay Inspect's.
- Concurrent shards rewrite their running logs in place (on a local disk), so Inspect's listing of the
  folder's headers (before each attempt, and `logs.json`) may read another shard's log half-written
  ("EOCD not found", seen in the first real runs). A shard's runner reads those headers tolerantly: a file
  that stays unreadable after a few retries is left out (it is another shard's running log). The finish
  step writes `logs.json` again once every shard is done.
- `eval-set.json` names the tasks of the call that wrote it, so concurrent shards would each write their
  share over the others'. A shard therefore writes its share to `.hawk-shards/shard-<k>-of-<n>.json`
  (Inspect's own EvalSet document, see `entry_eval_set.py`) and then `eval-set.json` as the union of the
  shares present; the job's last step writes the union again once every shard finished, so the file
  always ends naming the whole grid. The share files also tell `hawk status` which shard runs which cell.
- A new split (another `runner.shards`) deletes the earlier split's share files before its shards start.
- Re-running the same eval_set_id splits the grid the same way and every shard resumes its own cells
  (finished samples kept); a different shard count also resumes, since logs are matched by task.
- The job (`jobs/step.py`): the first step checks the launch grant, resolves and tags the id, and fans out
  one `run_eval_set_shard[shard_<k>_of_<n>]` step per shard (a `DynamicOut`); each is the usual run step
  (its own runner, `runner.retries` for a runner that dies). `finish_eval_set` runs once all succeeded:
  the merged files, the merged outcome, the log-store asset event. A failed shard leaves the others'
  results in place: Dagster's re-execution from failure runs that shard (and the finish step) only.
- Secrets: a local run's secret store is released by the finish step, not by a shard (the others still
  need it); after a failed shard it stays for the re-execution, until `hawk delete` removes it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from hawk_dagster.config.base import AUTO_SHARDS, AUTO_SHARDS_CAP
from hawk_dagster.logstore import LogStore
from hawk_dagster.logstore.keys import eval_set_key
from hawk_dagster.runner.entry_common import merged_eval_set

SHARDS_DIR = ".hawk-shards"
"""Beside the logs: one share file per shard (not a log: Inspect reads `.eval` files and timestamped
`.json` files only)."""
EVAL_SET_FILE = "eval-set.json"

Cell = tuple[int, int]
"""(task index, model index) into the spec's `tasks` and `models` (model index 0 when there is none)."""


class ShardSpec(BaseModel):
    """Which shard a step runs, and its cells."""

    index: int
    """0-based."""
    count: int
    cells: list[Cell]

    @property
    def label(self) -> str:
        """`shard 2/4` (1-based), as the run log and `hawk status` say it."""
        return f"shard {self.index + 1}/{self.count}"

    @property
    def mapping_key(self) -> str:
        """The step's Dagster mapping key: `run_eval_set_shard[shard_2_of_4]`."""
        return f"shard_{self.index + 1}_of_{self.count}"

    @property
    def file_name(self) -> str:
        return share_file_name(self.index, self.count)


def share_file_name(index: int, count: int) -> str:
    return f"shard-{index + 1}-of-{count}.json"


def grid_cells(task_count: int, model_count: int) -> list[Cell]:
    """Every task x model cell, task-major (a grid without models has one model slot: the default)."""
    return [(t, m) for t in range(task_count) for m in range(max(1, model_count))]


def shard_count(setting: int | str, cells: int) -> int:
    """How many shards `runner.shards` gives for a grid of `cells` cells (1 for an empty grid)."""
    wanted = min(cells, AUTO_SHARDS_CAP) if setting == AUTO_SHARDS else int(setting)
    return max(1, min(wanted, cells))


def split(cells: Sequence[Cell], count: int) -> list[ShardSpec]:
    """Cell `i` to shard `i % count`; every shard gets at least one cell when `count <= len(cells)`."""
    return [ShardSpec(index=k, count=count, cells=list(cells[k::count])) for k in range(count)]


def raw_shards_setting(config: Any) -> int | str:
    """`runner.shards` of a raw config; 1 when absent or not valid (the run reports bad configs)."""
    runner = config.get("runner") if isinstance(config, Mapping) else None
    value = runner.get("shards") if isinstance(runner, Mapping) else None
    if value == AUTO_SHARDS or (isinstance(value, int) and not isinstance(value, bool) and value > 1):
        return value
    return 1


def read_shares(store: LogStore, eval_set_id: str) -> dict[str, dict[str, Any]]:
    """The share files of an eval set by file name (none for an eval set that never ran sharded)."""
    shares: dict[str, dict[str, Any]] = {}
    for info in store.list(eval_set_key(eval_set_id, SHARDS_DIR) + "/"):
        name = info.key.rsplit("/", 1)[-1]
        if not name.endswith(".json"):
            continue
        try:
            shares[name] = json.loads(store.read_text(info.key))
        except (ValueError, OSError):
            continue  # being written: the next read sees it
    return shares


def shares_of(shares: Mapping[str, dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """The shares of a split into `count` shards, in shard order."""
    found = {parse_share_name(name): share for name, share in shares.items()}
    return [found[(k, count)] for k in range(count) if (k, count) in found]


def remove_stale_shares(store: LogStore, eval_set_id: str, count: int) -> list[str]:
    """Delete the share files of an earlier split into another number of shards (a re-run with a new
    `runner.shards`), so the folder's shares describe the current split; returns their names."""
    removed: list[str] = []
    for name in read_shares(store, eval_set_id):
        parsed = parse_share_name(name)
        if parsed is None or parsed[1] != count:
            store.delete(eval_set_key(eval_set_id, SHARDS_DIR, name))
            removed.append(name)
    return removed


def parse_share_name(name: str) -> tuple[int, int] | None:
    """`shard-2-of-4.json` -> (1, 4) (0-based index, count); None for other names."""
    parts = name.removesuffix(".json").split("-")
    if len(parts) != 4 or parts[0] != "shard" or parts[2] != "of":
        return None
    try:
        number, count = int(parts[1]), int(parts[3])
    except ValueError:
        return None
    return (number - 1, count) if 1 <= number <= count else None


def write_merged_eval_set(store: LogStore, eval_set_id: str, count: int) -> dict[str, Any]:
    """Write `eval-set.json` naming the whole grid from the `count` shards' share files; returns it."""
    merged = merged_eval_set(eval_set_id, shares_of(read_shares(store, eval_set_id), count))
    store.write_text(eval_set_key(eval_set_id, EVAL_SET_FILE), json.dumps(merged, indent=2))
    return merged
