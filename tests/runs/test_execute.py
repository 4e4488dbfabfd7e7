"""`hawk_dagster.runs.execute.run` without Dagster: real Inspect and Scout runs with the offline model,
started by the plain subprocess runner (no Pipes session, no Dagster instance)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
import yaml

from hawk_dagster.runner.eval_set import EVAL_SET, EvalSetOutcome
from hawk_dagster.runs.execute import RunFailed, RunRequest, plain_subprocess_runner, run
from hawk_dagster.runs.settings import RunnerSettings
from hawk_dagster.scans.run import SCAN, ScanOutcome

EXAMPLES = "./examples/hawk-examples"
LOG = logging.getLogger("tests.runs")


def package(name: str, *items: str) -> dict[str, Any]:
    return {"package": EXAMPLES, "name": name, "items": [{"name": item} for item in items]}


def eval_set_config(*models: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "plain run",
        "tasks": [
            {"package": EXAMPLES, "name": "hawk_examples", "items": [{"name": "arith", "args": {"n": 2}}]}
        ],
        "models": [package("hawk-offline", *models)],
        **extra,
    }


def scan_config(eval_set_id: str, *models: str) -> dict[str, Any]:
    return {
        "name": "plain scan",
        "scanners": [package("hawk_examples", "tool_call_counter")],
        "models": [package("hawk-offline", *models)],
        "transcripts": {"sources": [{"eval_set_id": eval_set_id}]},
        "max_processes": 1,
    }


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> RunnerSettings:
    base = tmp_path_factory.mktemp("plain-runs")
    repo_root = Path(__file__).resolve().parents[2]
    return RunnerSettings(
        secrets_dir=str(base / "secrets"), package_base_dir=str(repo_root), log_root=str(base / "logs")
    )


def models_json(settings: RunnerSettings, prefix: str, job_id: str) -> dict[str, Any]:
    return json.loads((Path(str(settings.log_root)) / prefix / job_id / ".models.json").read_text())


@pytest.fixture(scope="module")
def eval_set(settings: RunnerSettings) -> EvalSetOutcome:
    ids: list[str] = []
    request = RunRequest(eval_set_config("careful"), job_id="plain-1", created_by="alice")
    outcome = run(EVAL_SET, settings, request, plain_subprocess_runner, LOG, on_job_id=ids.append)
    assert ids == ["plain-1"]
    return outcome


def test_an_eval_set_runs_to_its_outcome_without_dagster(
    eval_set: EvalSetOutcome, settings: RunnerSettings
) -> None:
    assert eval_set.eval_set_id == "plain-1"
    assert [(log.task, log.model, log.status) for log in eval_set.logs] == [
        ("hawk_examples/arith", "hawk-offline/careful", "success")
    ]
    assert eval_set.logs[0].scores["match/accuracy"] == 1.0
    log_dir = Path(eval_set.log_dir)
    assert log_dir == Path(str(settings.log_root)) / "evals" / "plain-1"
    assert len(list(log_dir.glob("*.eval"))) == 1
    assert yaml.safe_load((log_dir / ".config.yaml").read_text())["name"] == "plain run"
    assert "hawk_examples/arith  hawk-offline/careful  success  2/2" in eval_set.table()


def test_a_scan_runs_without_dagster_and_its_models_sidecar_merges(
    eval_set: EvalSetOutcome, settings: RunnerSettings
) -> None:
    first = run(
        SCAN,
        settings,
        RunRequest(scan_config("plain-1", "careful"), job_id="plain-scan-1"),
        plain_subprocess_runner,
        LOG,
    )
    assert isinstance(first, ScanOutcome)
    assert [scan.model for scan in first.scans] == ["hawk-offline/careful"]
    assert first.scans[0].scanners["tool_call_counter"].transcripts == 2
    assert first.scan_dir_keys[0].startswith("scans/plain-scan-1/scan_id=")

    run(
        SCAN,
        settings,
        RunRequest(scan_config("plain-1", "sloppy"), job_id="plain-scan-1"),
        plain_subprocess_runner,
        LOG,
    )
    # a re-run under the same id keeps the models of the earlier run, as the eval-set sidecar does
    assert models_json(settings, "scans", "plain-scan-1")["model_names"] == [
        "hawk-offline/careful",
        "hawk-offline/sloppy",
    ]


def test_failures_are_one_line_without_dagster(eval_set: EvalSetOutcome, settings: RunnerSettings) -> None:
    with pytest.raises(RunFailed, match=r"^invalid eval-set config: .*epochs"):
        run(
            EVAL_SET,
            settings,
            RunRequest(eval_set_config("careful", epochs="many")),
            plain_subprocess_runner,
            LOG,
        )

    unknown = eval_set_config("careful")
    unknown["tasks"][0]["items"][0]["sample_ids"] = [999]
    with pytest.raises(RunFailed) as failed:
        run(EVAL_SET, settings, RunRequest(unknown, job_id="plain-2"), plain_subprocess_runner, LOG)
    assert (
        str(failed.value)
        == "Inspect failed: tasks: sample_ids [999] match no sample of task hawk_examples/arith"
    )

    with pytest.raises(RunFailed, match="eval set 'nope-1' has no logs"):
        run(SCAN, settings, RunRequest(scan_config("nope-1", "careful")), plain_subprocess_runner, LOG)
    assert not (Path(str(settings.log_root)) / "scans").joinpath("nope").exists()
