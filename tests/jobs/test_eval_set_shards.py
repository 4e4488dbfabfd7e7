"""Eval sets split into shards (`runner.shards`): real Inspect runs (offline models) through a real
Dagster instance, the shard steps in their own processes (the multiprocess executor)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from inspect_ai.log import list_eval_logs, read_eval_log

from hawk_dagster.api.jobs_dagster import Dagster
from hawk_dagster.api.monitoring import Job, job_status
from hawk_dagster.api.settings import ApiSettings
from hawk_dagster.cli.jobs import format_status
from hawk_dagster.jobs.eval_set import FINISH_EVAL_SET_OP, RUN_EVAL_SET_OP, RUN_EVAL_SET_SHARD_OP
from hawk_dagster.logstore import EVALS_PREFIX, LogStore
from hawk_dagster.runs.shards import SHARDS_DIR
from hawk_dagster.runs.tags import EVAL_SET_ID_TAG
from resources.log_store import LogStoreResource
from sensors.eval_log_sensor import eval_log_sensor

EXAMPLES = "./examples/hawk-examples"
SHARD_OP, FINISH_OP = RUN_EVAL_SET_SHARD_OP, FINISH_EVAL_SET_OP


def package(name: str, *items: dict[str, Any]) -> dict[str, Any]:
    return {"package": EXAMPLES, "name": name, "items": list(items)}


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        yield instance


@pytest.fixture
def log_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "logs"
    monkeypatch.setenv("HAWK_LOG_ROOT", str(root))
    return root


def run_config(config: dict[str, Any], eval_set_id: str, executor: str = "multiprocess") -> dict[str, Any]:
    return {
        "ops": {RUN_EVAL_SET_OP: {"config": {"eval_set": config, "eval_set_id": eval_set_id}}},
        "execution": {"config": {executor: {}}},
    }


def execute(
    instance: dg.DagsterInstance,
    config: dict[str, Any] | None = None,
    eval_set_id: str = "",
    reexecute_failed: str | None = None,
) -> dg.ExecutionResult:
    job = dg.build_reconstructable_job("tests.jobs.shard_jobs", "local_eval_set_job")
    if reexecute_failed is not None:
        options = dg.ReexecutionOptions.from_failure(reexecute_failed, instance)
        return dg.execute_job(job, instance=instance, reexecution_options=options, raise_on_error=False)
    assert config is not None
    return dg.execute_job(
        job, instance=instance, run_config=run_config(config, eval_set_id), raise_on_error=False
    )


def started_steps(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    records = instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START)
    return sorted(str(record.step_key) for record in records)


def step_pids(instance: dg.DagsterInstance, run_id: str) -> dict[str, int]:
    records = instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START)
    return {
        str(record.step_key): int(record.dagster_event.pid or 0) for record in records if record.dagster_event
    }


def status_of(root: Path, eval_set_id: str) -> dict[str, Any]:
    """`GET /jobs/{id}/status`'s answer from the folder alone (no Dagster run is asked)."""
    job = Job(eval_set_id, "eval-set", EVALS_PREFIX, EVAL_SET_ID_TAG, None)
    store = LogStore.from_root(str(root))
    return job_status(job, ApiSettings(log_root=str(root)), store, Dagster("http://127.0.0.1:9"))


def headers(log_dir: Path) -> list[Any]:
    return [read_eval_log(info.name, header_only=True) for info in list_eval_logs(str(log_dir))]


GRID = {
    "tasks": [
        package(
            "hawk_examples", {"name": "arith", "args": {"n": 3}}, {"name": "arith_tools", "args": {"n": 2}}
        )
    ],
    "models": [package("hawk-offline", {"name": "careful"}, {"name": "sloppy"})],
}


def test_shards_run_as_parallel_steps_into_one_eval_set_folder(
    instance: dg.DagsterInstance, log_root: Path
) -> None:
    config = {**GRID, "runner": {"shards": 2}}
    result = execute(instance, config, "sharded-1")
    assert result.success
    steps = started_steps(instance, result.run_id)
    assert steps == [
        FINISH_OP,
        RUN_EVAL_SET_OP,
        f"{SHARD_OP}[shard_1_of_2]",
        f"{SHARD_OP}[shard_2_of_2]",
    ]
    pids = step_pids(instance, result.run_id)
    assert pids[f"{SHARD_OP}[shard_1_of_2]"] != pids[f"{SHARD_OP}[shard_2_of_2]"]  # one process each

    log_dir = log_root / "evals" / "sharded-1"
    found = headers(log_dir)
    cells = sorted((h.eval.task, h.eval.model) for h in found)
    assert cells == sorted(
        (f"hawk_examples/{task}", f"hawk-offline/{model}")
        for task in ("arith", "arith_tools")
        for model in ("careful", "sloppy")
    )
    assert all(h.status == "success" and h.eval.eval_set_id == "sharded-1" for h in found)

    # eval-set.json names the whole grid, as one unsplit eval_set() call would
    eval_set = json.loads((log_dir / "eval-set.json").read_text())
    assert eval_set["eval_set_id"] == "sharded-1"
    assert sorted((t["name"], t["model"]) for t in eval_set["tasks"]) == cells
    assert {t["task_id"] for t in eval_set["tasks"]} == {h.eval.task_id for h in found}
    assert sorted(p.name for p in (log_dir / SHARDS_DIR).iterdir()) == [
        "shard-1-of-2.json",
        "shard-2-of-2.json",
    ]
    listing = json.loads((log_dir / "logs.json").read_text())
    assert len(listing) == 4 and all(entry["status"] == "success" for entry in listing.values())

    # `hawk status`: one line per shard, each task x model row with its shard
    status = status_of(log_root, "sharded-1")
    assert [(s["shard"], s["state"], s["cells"], s["logs"]) for s in status["shards"]] == [
        ("1/2", "success", 2, 2),
        ("2/2", "success", 2, 2),
    ]
    assert sum(s["samples_done"] for s in status["shards"]) == 2 * (3 + 2)
    assert sorted(row["shard"] for row in status["tasks"]) == ["1/2", "1/2", "2/2", "2/2"]
    text = format_status(status)
    assert "SHARD  STATE    LOGS  SAMPLES" in text and "2/2    success  2/2   5/5" in text

    # the eval-log sensor imports every shard's logs (one request for the folder), not the share files
    with dg.build_sensor_context(
        instance=instance, cursor=None, resources={"log_store": LogStoreResource(root=str(log_root))}
    ) as context:
        ticked = eval_log_sensor(context)
    assert isinstance(ticked, dg.SensorResult)
    (request,) = ticked.run_requests or []
    assert request.partition_key == "sharded-1"
    imported = request.run_config["ops"]["import_eval_logs"]["config"]["keys"]
    assert sorted(imported) == sorted(f"evals/sharded-1/{Path(h.location).name}" for h in found)

    # the run's outcome is the whole grid's
    finished = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.STEP_OUTPUT)
    finish_outputs = [r for r in finished if r.step_key == FINISH_OP]
    assert finish_outputs, "the finish step reported no output"


def test_one_shard_is_one_step_as_before(instance: dg.DagsterInstance, log_root: Path) -> None:
    result = execute(instance, {**GRID, "runner": {"shards": 1}}, "unsharded-1")
    assert result.success
    assert started_steps(instance, result.run_id) == [RUN_EVAL_SET_OP]
    log_dir = log_root / "evals" / "unsharded-1"
    assert len(headers(log_dir)) == 4 and not (log_dir / SHARDS_DIR).exists()


def test_failed_shard_is_reexecuted_alone_and_a_rerun_resumes_every_shard(
    instance: dg.DagsterInstance, log_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = {
        "tasks": [
            package(
                "hawk_examples", {"name": "arith", "args": {"n": 2}}, {"name": "fragile", "args": {"n": 3}}
            )
        ],
        "models": [package("hawk-offline", {"name": "careful"})],
        "runner": {"shards": "auto"},
    }
    monkeypatch.setenv("HAWK_EXAMPLES_BROKEN", "s1")  # fragile's s1 raises: its shard fails
    first = execute(instance, config, "sharded-2")
    assert not first.success
    log_dir = log_root / "evals" / "sharded-2"
    before = {h.eval.task: h for h in headers(log_dir)}
    assert before["hawk_examples/arith"].status == "success"
    assert before["hawk_examples/fragile"].status == "error"
    shards = {s["shard"]: s["state"] for s in status_of(log_root, "sharded-2")["shards"]}
    assert shards == {"1/2": "success", "2/2": "error"}
    arith_file = before["hawk_examples/arith"].location
    arith_mtime = Path(arith_file.removeprefix("file://")).stat().st_mtime_ns

    monkeypatch.delenv("HAWK_EXAMPLES_BROKEN")
    again = execute(instance, reexecute_failed=first.run_id)
    assert again.success
    # only the failed shard (fragile) ran again, then the finish step; the planner's output was reused
    assert started_steps(instance, again.run_id) == [FINISH_OP, f"{SHARD_OP}[shard_2_of_2]"]
    after = {h.eval.task: h for h in headers(log_dir) if h.status == "success"}
    assert set(after) == {"hawk_examples/arith", "hawk_examples/fragile"}
    assert after["hawk_examples/arith"].location == arith_file
    assert Path(arith_file.removeprefix("file://")).stat().st_mtime_ns == arith_mtime  # untouched
    fragile = read_eval_log(after["hawk_examples/fragile"].location)
    assert sorted(s.id for s in fragile.samples or []) == ["s0", "s1", "s2"]
    assert all(s.error is None for s in fragile.samples or [])
    eval_set = json.loads((log_dir / "eval-set.json").read_text())
    assert sorted(t["name"] for t in eval_set["tasks"]) == ["hawk_examples/arith", "hawk_examples/fragile"]

    # a new run of the same id: every shard resumes its cells (nothing left to run, logs kept)
    files = sorted(p.name for p in log_dir.glob("*.eval"))
    rerun = execute(instance, config, "sharded-2")
    assert rerun.success
    assert len(started_steps(instance, rerun.run_id)) == 4
    assert sorted(p.name for p in log_dir.glob("*.eval")) == files


def test_local_eval_set_job_chooses_its_executor_per_run() -> None:
    from hawk_dagster.definitions import run_job_definitions
    from hawk_dagster.runs.tags import EXECUTOR_TAG

    definitions = run_job_definitions(dg.in_process_executor)
    eval_set = definitions.resolve_job_def("eval_set")
    assert eval_set.executor_def.name == "multi_or_in_process_executor"
    assert eval_set.tags[EXECUTOR_TAG] == "in_process"  # the deployment's choice, as the launcher reads it
    assert definitions.resolve_job_def("scan").executor_def.name == "in_process"
    assert dg.validate_run_config(eval_set, run_config(GRID, "x", "in_process"))


def test_a_shard_whose_runner_dies_is_retried_alone(
    instance: dg.DagsterInstance, log_root: Path, tmp_path: Path
) -> None:
    config = {
        "tasks": [
            package("hawk_examples", {"name": "arith", "args": {"n": 2}}),
            {
                "package": "./tests/jobs/runner_killer",
                "name": "runner_killer",
                "items": [{"name": "die_once", "args": {"n": 3, "marker_dir": str(tmp_path / "markers")}}],
            },
        ],
        "models": [package("hawk-offline", {"name": "careful"})],
        "runner": {"shards": 2, "retries": 1},
    }
    result = execute(instance, config, "sharded-3")
    assert result.success
    retried = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.STEP_UP_FOR_RETRY)
    assert [str(r.step_key) for r in retried] == [f"{SHARD_OP}[shard_2_of_2]"]
    starts = [
        str(r.step_key) for r in instance.all_logs(result.run_id, of_type=dg.DagsterEventType.STEP_START)
    ]
    assert starts.count(f"{SHARD_OP}[shard_1_of_2]") == 1
    found = {h.eval.task: h for h in headers(log_root / "evals" / "sharded-3") if h.status == "success"}
    assert set(found) == {"hawk_examples/arith", "runner_killer/die_once"}
