"""Launch grants in the real eval_set job: a granted run runs Inspect; any other run is refused by the
step before a venv is built or the runner starts (no mocks: real instance, real Inspect, offline model)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from hawk_dagster.access.grant import LaunchGrant, config_digest, sign_grant
from hawk_dagster.jobs.eval_set import RUN_EVAL_SET_OP, make_eval_set_job
from hawk_dagster.jobs.scan import RUN_SCAN_OP, make_scan_job
from hawk_dagster.runs.tags import LAUNCH_GRANT_TAG
from resources.log_store import LogStoreResource
from resources.runner import RunnerResource

KEY = "grant-key-for-tests"
EXAMPLES = "./examples/hawk-examples"
CONFIG: dict[str, Any] = {
    "tasks": [{"package": EXAMPLES, "name": "hawk_examples", "items": [{"name": "arith", "args": {"n": 2}}]}],
    "models": [{"package": EXAMPLES, "name": "hawk-offline", "items": [{"name": "careful"}]}],
}
JOB_ID = "granted-run-test"


def grant_tag(job_id: str = JOB_ID, config: dict[str, Any] = CONFIG, key: str = KEY) -> dict[str, str]:
    grant = LaunchGrant(
        job_type="eval-set",
        job_id=job_id,
        created_by="alice@example.com",
        model_groups=["model-access-public"],
        config_sha256=config_digest(config),
    )
    return {LAUNCH_GRANT_TAG: sign_grant(grant, key.encode())}


@pytest.fixture
def instance() -> Any:
    with dg.instance_for_test() as instance:
        yield instance


def execute(
    instance: dg.DagsterInstance,
    tmp_path: Path,
    repo_root: Path,
    tags: dict[str, str],
    config: dict[str, Any] = CONFIG,
    venv_cache: Path | None = None,
    **op_config: Any,
) -> dg.ExecuteInProcessResult:
    resources = {
        "log_store": LogStoreResource(root=str(tmp_path / "logs")),
        "runner": RunnerResource(
            secrets_dir=str(tmp_path / "secrets"),
            package_base_dir=str(repo_root),
            venv_cache_dir=str(venv_cache) if venv_cache else None,
        ),
    }
    run_config = {"ops": {RUN_EVAL_SET_OP: {"config": {"eval_set": config, **op_config}}}}
    return make_eval_set_job().execute_in_process(
        run_config=run_config, instance=instance, resources=resources, tags=tags, raise_on_error=False
    )


def failure(result: dg.ExecuteInProcessResult) -> str:
    (event,) = [event for event in result.all_events if event.is_step_failure]
    data = event.step_failure_data
    assert data.user_failure_data is not None, data.error
    return str(data.user_failure_data.description)


def messages(result: dg.ExecuteInProcessResult, instance: dg.DagsterInstance) -> list[str]:
    return [record.user_message for record in instance.all_logs(result.run_id)]


def test_a_granted_run_runs_as_the_grants_author(
    instance: Any, tmp_path: Path, repo_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HAWK_LAUNCH_GRANT_KEY", KEY)
    result = execute(instance, tmp_path, repo_root, grant_tag(), eval_set_id=JOB_ID, created_by="mallory")
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    output = result.output_for_node(RUN_EVAL_SET_OP)
    assert output["eval_set_id"] == JOB_ID
    assert list((tmp_path / "logs" / "evals" / JOB_ID).glob("*.eval"))
    assert any(
        "launch grant: eval-set granted-run-test by alice@example.com" in m
        for m in messages(result, instance)
    )


@pytest.mark.parametrize(
    ("tags", "config", "op_config", "message"),
    [
        ({}, CONFIG, {"eval_set_id": JOB_ID}, "run refused: the run has no launch grant"),
        (grant_tag(key="forged"), CONFIG, {"eval_set_id": JOB_ID}, "not signed by this deployment"),
        (grant_tag(), CONFIG, {"eval_set_id": "another-id"}, "not eval-set another-id"),
        (grant_tag(), {**CONFIG, "limit": 1}, {"eval_set_id": JOB_ID}, "config differs"),
    ],
    ids=["no-grant", "forged", "other-id", "edited-config"],
)
def test_a_run_without_a_valid_grant_is_refused_before_install(
    instance: Any,
    tmp_path: Path,
    repo_root: Path,
    monkeypatch: pytest.MonkeyPatch,
    tags: dict[str, str],
    config: dict[str, Any],
    op_config: dict[str, Any],
    message: str,
) -> None:
    monkeypatch.setenv("HAWK_LAUNCH_GRANT_KEY", KEY)
    venvs = tmp_path / "venvs"
    result = execute(instance, tmp_path, repo_root, tags, config, venvs, **op_config)
    assert not result.success
    text = failure(result)
    assert message in text and "\n" not in text
    assert not venvs.exists(), "a venv was built for a refused run"
    assert not (tmp_path / "logs").exists(), "a refused run wrote to the log store"
    assert not any("runner venv" in m for m in messages(result, instance))


def test_production_without_a_key_refuses_even_a_granted_run(
    instance: Any, tmp_path: Path, repo_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HAWK_LAUNCH_GRANT_KEY", raising=False)
    monkeypatch.setenv("HAWK_ENV", "production")
    venvs = tmp_path / "venvs"
    result = execute(instance, tmp_path, repo_root, grant_tag(), venv_cache=venvs, eval_set_id=JOB_ID)
    assert "HAWK_LAUNCH_GRANT_KEY is not set" in failure(result)
    assert not venvs.exists()


def test_without_a_key_locally_a_run_goes_on_and_says_so_once(
    instance: Any, tmp_path: Path, repo_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HAWK_LAUNCH_GRANT_KEY", raising=False)
    monkeypatch.delenv("HAWK_ENV", raising=False)
    result = execute(instance, tmp_path, repo_root, {}, eval_set_id=JOB_ID)
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    notes = [m for m in messages(result, instance) if "launch grants off" in m]
    assert notes == ["launch grants off: local single-user mode"]


def test_a_scan_run_is_checked_by_the_same_step(
    instance: Any, tmp_path: Path, repo_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An eval set's grant does not open a scan with the same id; the step refuses before anything."""
    monkeypatch.setenv("HAWK_LAUNCH_GRANT_KEY", KEY)
    scan = {
        "scanners": [
            {"package": EXAMPLES, "name": "hawk_examples", "items": [{"name": "tool_call_counter"}]}
        ],
        "transcripts": {"sources": [{"eval_set_id": JOB_ID}]},
    }
    resources = {
        "log_store": LogStoreResource(root=str(tmp_path / "logs")),
        "runner": RunnerResource(venv_cache_dir=str(tmp_path / "venvs"), package_base_dir=str(repo_root)),
    }
    result = make_scan_job().execute_in_process(
        run_config={"ops": {RUN_SCAN_OP: {"config": {"scan": scan, "scan_run_id": JOB_ID}}}},
        instance=instance,
        resources=resources,
        tags=grant_tag(config=scan),
        raise_on_error=False,
    )
    assert f"is for eval-set {JOB_ID}, not scan {JOB_ID}" in failure(result)
    assert not (tmp_path / "venvs").exists()
