"""Real offline eval logs and real Scout scans over them, made once per test session.

`source_logs`: the `eval_set` job runs hawk_examples/arith and arith_tools (3 samples each) on the
careful and sloppy offline models into a session log root (4 logs, 12 transcripts).
`happy_scan`: the `scan` job runs three scanners (one with its own filter, one LLM judge, one that
raises for sample s1) on two scan models with a global filter and a model role over those logs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from hawk_dagster.jobs.eval_set import RUN_EVAL_SET_OP, make_eval_set_job
from hawk_dagster.jobs.scan import RUN_SCAN_OP, make_scan_job
from resources.log_store import LogStoreResource
from resources.runner import RunnerResource

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = "./examples/hawk-examples"
SOURCE_EVAL_SET_ID = "scan-source"
BLOCKING_PACKAGE = Path(__file__).parent / "packages" / "hawk-blocking-scanner"


def package(name: str, *items: dict[str, Any]) -> dict[str, Any]:
    return {"package": EXAMPLES, "name": name, "items": list(items)}


def failure_text(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            if data.user_failure_data is not None:
                return str(data.user_failure_data.description)
            return data.error.message if data.error else ""
    return ""


@dataclass(frozen=True)
class LogRoot:
    path: Path
    secrets_dir: Path

    def resources(self) -> dict[str, Any]:
        return {
            "log_store": LogStoreResource(root=str(self.path)),
            "runner": RunnerResource(secrets_dir=str(self.secrets_dir), package_base_dir=str(REPO_ROOT)),
        }


@pytest.fixture(scope="session")
def dagster_instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


@pytest.fixture(scope="session")
def source_logs(tmp_path_factory: pytest.TempPathFactory, dagster_instance: dg.DagsterInstance) -> LogRoot:
    """A log root holding the eval set `scan-source` (scans go to its `scans/` folder)."""
    base = tmp_path_factory.mktemp("scan-logs")
    root = LogRoot(base / "logs", base / "secrets")
    config = {
        "name": "scan source",
        "tasks": [
            package(
                "hawk_examples",
                {"name": "arith", "args": {"n": 3}},
                {"name": "arith_tools", "args": {"n": 3}},
            )
        ],
        "models": [package("hawk-offline", {"name": "careful"}, {"name": "sloppy"})],
    }
    result = make_eval_set_job().execute_in_process(
        run_config={
            "ops": {RUN_EVAL_SET_OP: {"config": {"eval_set": config, "eval_set_id": SOURCE_EVAL_SET_ID}}}
        },
        instance=dagster_instance,
        resources=root.resources(),
        raise_on_error=False,
    )
    assert result.success, failure_text(result)
    return root


def run_scan_job(
    config: dict[str, Any], root: LogRoot, instance: dg.DagsterInstance, **op_config: Any
) -> dg.ExecuteInProcessResult:
    run_config = {"ops": {RUN_SCAN_OP: {"config": {"scan": config, **op_config}}}}
    return make_scan_job().execute_in_process(
        run_config=run_config, instance=instance, resources=root.resources(), raise_on_error=False
    )


def scan_config(**overrides: Any) -> dict[str, Any]:
    """A small scan of the source eval set: one model-free scanner, no filter, one process."""
    config: dict[str, Any] = {
        "name": "scan test",
        "scanners": [package("hawk_examples", {"name": "tool_call_counter"})],
        "transcripts": {"sources": [{"eval_set_id": SOURCE_EVAL_SET_ID}]},
        "max_processes": 1,
    }
    config.update(overrides)
    return config


def blocking_scan_config(name: str, state_dir: Path) -> dict[str, Any]:
    """The `hawk_blocking/blocking_counter` scanner (it stops when `<state_dir>/block-after` asks it to)
    beside tool_call_counter over the source eval set, one transcript at a time."""
    return {
        "name": name,
        "scanners": [
            {
                "package": str(BLOCKING_PACKAGE),
                "name": "hawk_blocking",
                "items": [{"name": "blocking_counter", "args": {"state_dir": str(state_dir)}}],
            },
            package("hawk_examples", {"name": "tool_call_counter"}),
        ],
        "transcripts": {"sources": [{"eval_set_id": SOURCE_EVAL_SET_ID}]},
        "max_processes": 1,
        "max_transcripts": 1,
    }


def local_scan_env(log_root: Path, work_dir: Path) -> dict[str, str]:
    """The environment of a `hawk local scan` run over `log_root`, its state under `work_dir`."""
    return {
        **os.environ,
        "DAGSTER_HOME": str(work_dir / "dagster"),
        "HAWK_LOG_ROOT": str(log_root),
        "HAWK_VENV_CACHE": str((REPO_ROOT / ".hawk" / "venvs").resolve()),
        "XDG_CONFIG_HOME": str(work_dir / "config"),
        "SCOUT_SCANBUFFER_DIR": str(work_dir / "scanbuffer"),
        "HAWK_USER": "tester",
    }


HAPPY_SCAN_CONFIG: dict[str, Any] = {
    "name": "happy scan",
    "scanners": [
        package(
            "hawk_examples",
            {
                "name": "tool_call_counter",
                "key": "tool_calls",
                "filter": {"where": [{"task_set": "arith_tools"}]},
            },
            {"name": "numeric_judge", "key": "judge"},
            {"name": "picky"},
        )
    ],
    "models": [package("hawk-offline", {"name": "careful"}, {"name": "sloppy"})],
    "model_roles": {"grader": package("hawk-offline", {"name": "careful"})},
    "transcripts": {
        "sources": [{"eval_set_id": SOURCE_EVAL_SET_ID}],
        "filter": {"where": [{"model": "hawk-offline/careful"}]},
    },
    "tags": ["scan-test"],
    "metadata": {"purpose": "tests"},
    "max_processes": 1,
}


@dataclass(frozen=True)
class HappyScan:
    root: LogRoot
    result: dg.ExecuteInProcessResult
    output: dict[str, Any]


@pytest.fixture(scope="session")
def happy_scan(source_logs: LogRoot, dagster_instance: dg.DagsterInstance) -> HappyScan:
    result = run_scan_job(
        HAPPY_SCAN_CONFIG, source_logs, dagster_instance, scan_run_id="happy-1", created_by="alice"
    )
    assert result.success, failure_text(result)
    return HappyScan(source_logs, result, result.output_for_node(RUN_SCAN_OP))
