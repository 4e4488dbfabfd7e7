"""The Dagster UI as a researcher's launcher, on a real `dagster-webserver`: the Launchpad opens on the
example config (seen in headless Chromium), that config launched over GraphQL runs and fills the
`log_store/evals` partition, a bad config fails at once with `hawk validate`'s message, and the lineage
view shows the log store upstream of the raw tables."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from dagster import DagsterRunStatus
from dagster_graphql import DagsterGraphQLClient

from hawk_dagster.config.evals import TaskConfig
from hawk_dagster.config.loading import ConfigError, validate_config_data
from hawk_dagster.jobs.eval_set import EVAL_SET_JOB, RUN_EVAL_SET_OP
from hawk_dagster.jobs.log_store_assets import eval_sets_partitions, log_store_key
from hawk_dagster.logstore import EVALS_PREFIX
from hawk_dagster.runs.tags import CREATED_BY_TAG, EVAL_SET_ID_TAG
from tests.fixtures.browser import PageVisit, visit
from tests.fixtures.webserver import REPO_ROOT, running_webserver, wait_for_run

LOCATION, REPOSITORY = "hawk", "__repository__"
LAUNCHER = "ui-researcher"


@dataclass(frozen=True)
class Dagster:
    url: str
    home: Path
    logs: Path

    def client(self) -> DagsterGraphQLClient:
        return DagsterGraphQLClient("127.0.0.1", port_number=int(self.url.rsplit(":", 1)[1]))

    def graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps({"query": query, "variables": variables}).encode()
        request = urllib.request.Request(
            f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            answer: dict[str, Any] = json.loads(response.read())
        assert "errors" not in answer, answer
        return answer["data"]

    def launch(self, run_config: dict[str, Any]) -> str:
        """As the Launchpad's "Launch Run" does: the job, the config, no tags of ours."""
        return self.client().submit_job_execution(
            EVAL_SET_JOB, repository_location_name=LOCATION, repository_name=REPOSITORY, run_config=run_config
        )


@pytest.fixture(scope="module")
def dagster(tmp_path_factory: pytest.TempPathFactory, postgres_url: str) -> Iterator[Dagster]:
    base = tmp_path_factory.mktemp("ui")
    env = {
        **os.environ,
        "HAWK_LOG_ROOT": str(base / "logs"),
        "HAWK_HOME": str(base / "hawk-home"),
        "HAWK_VENV_CACHE": str(REPO_ROOT / ".hawk" / "venvs"),
        "HAWK_DATABASE_URL": postgres_url,
        "USER": LAUNCHER,
    }
    env.pop("HAWK_USER", None)
    with running_webserver(base / "dagster", env, base / "webserver.log") as url:
        yield Dagster(url, base / "dagster", base / "logs")


@pytest.fixture(scope="module")
def instance(dagster: Dagster) -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.from_config(str(dagster.home)) as instance:
        yield instance


def root_default_yaml(dagster: Dagster) -> str:
    query = """
      query ($selector: PipelineSelector!) {
        runConfigSchemaOrError(selector: $selector) { ... on RunConfigSchema { rootDefaultYaml } }
      }"""
    selector = {
        "repositoryLocationName": LOCATION,
        "repositoryName": REPOSITORY,
        "pipelineName": EVAL_SET_JOB,
    }
    data = dagster.graphql(query, {"selector": selector})
    return str(data["runConfigSchemaOrError"]["rootDefaultYaml"])


def step_failure(instance: dg.DagsterInstance, run_id: str) -> str:
    for record in instance.get_records_for_run(run_id).records:
        event = record.event_log_entry.dagster_event
        if event is not None and event.is_step_failure:
            data = event.step_failure_data
            assert data.user_failure_data is not None, data.error  # a dg.Failure, not a stack trace
            return str(data.user_failure_data.description)
    raise AssertionError(f"run {run_id} has no step failure")


def run_messages(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    return [record.event_log_entry.user_message for record in instance.get_records_for_run(run_id).records]


def test_the_launchpad_opens_on_the_example_config(dagster: Dagster, tmp_path: Path) -> None:
    default = yaml.safe_load(root_default_yaml(dagster))
    example = yaml.safe_load((REPO_ROOT / "examples" / "simple.eval-set.yaml").read_text())
    assert default["ops"][RUN_EVAL_SET_OP]["config"]["eval_set"] == example

    screenshot = tmp_path / "launchpad.png"
    launchpad = f"{dagster.url}/locations/{LOCATION}/jobs/{EVAL_SET_JOB}/playground"
    (seen,) = visit([PageVisit(launchpad, "tasks:", screenshot, click="arith_tools")])
    assert seen.found, seen.text[:2000]
    assert "arith_tools" in seen.text and "./examples/hawk-examples" in seen.text
    # the config docs beside the editor describe the task item's fields with the models' descriptions
    for name in ("sample_ids", "secrets"):
        description = TaskConfig.model_fields[name].description
        assert description and description in " ".join(seen.text.split()), name
    assert screenshot.stat().st_size > 10_000


def test_the_default_config_runs_and_materializes_its_log_store_partition(
    dagster: Dagster, instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    run_id = dagster.launch(yaml.safe_load(root_default_yaml(dagster)))
    assert wait_for_run(dagster.url, run_id) == DagsterRunStatus.SUCCESS, step_failure(instance, run_id)

    run = instance.get_run_by_id(run_id)
    assert run is not None
    eval_set_id = run.tags[EVAL_SET_ID_TAG]
    assert eval_set_id.startswith("simple-arith-")
    assert run.tags[CREATED_BY_TAG] == LAUNCHER  # the instance's user: the UI passes no identity yet

    assert instance.has_dynamic_partition(str(eval_sets_partitions.name), eval_set_id)
    event = instance.get_latest_materialization_event(log_store_key(EVALS_PREFIX))
    assert event is not None and event.asset_materialization is not None
    materialization = event.asset_materialization
    assert materialization.partition == eval_set_id
    log_dir = dagster.logs / EVALS_PREFIX / eval_set_id
    files = [path for path in log_dir.rglob("*") if path.is_file()]
    metadata = {name: value.value for name, value in materialization.metadata.items()}
    assert metadata["files"] == len(files) and len([f for f in files if f.suffix == ".eval"]) == 4
    assert metadata["size_bytes"] == sum(path.stat().st_size for path in files)
    assert metadata["logs"] == 4 and metadata["samples"] == 4 * 4 * 2  # 4 logs x 4 samples x 2 epochs
    status = metadata["status"]
    assert sorted((row.data["task"], row.data["model"], row.data["status"]) for row in status.records) == [
        ("hawk_examples/arith", "hawk-offline/careful", "success"),
        ("hawk_examples/arith", "hawk-offline/sloppy", "success"),
        ("hawk_examples/arith_tools", "hawk-offline/careful", "success"),
        ("hawk_examples/arith_tools", "hawk-offline/sloppy", "success"),
    ]

    screenshot = tmp_path / "lineage.png"
    lineage = f"{dagster.url}/assets/log_store/evals?view=lineage&lineageScope=downstream&lineageDepth=3"
    (seen,) = visit([PageVisit(lineage, "stg_sample", screenshot)])
    assert seen.found, seen.text[:2000]
    for node in ("log_store", "evals", "sample", "stg_sample", "fct_samples"):
        assert node in seen.text.split("\n"), node
    assert screenshot.stat().st_size > 10_000


def test_a_bad_config_fails_at_once_with_the_validate_message(
    dagster: Dagster, instance: dg.DagsterInstance
) -> None:
    with pytest.raises(ConfigError) as expected:
        validate_config_data({}, kind="eval-set")  # what `hawk validate` says of this config
    run_id = dagster.launch({"ops": {RUN_EVAL_SET_OP: {"config": {"eval_set": {}}}}})
    assert wait_for_run(dagster.url, run_id, timeout_seconds=120) == DagsterRunStatus.FAILURE

    message = step_failure(instance, run_id)
    assert message == f"invalid eval-set config: {expected.value}"
    assert "tasks" in message and "\n" not in message
    # "At once": the step fails before anything is installed or started (no timing: the machine may be loaded).
    assert not any("runner venv" in text for text in run_messages(instance, run_id))

    run = instance.get_run_by_id(run_id)
    assert run is not None and run.tags[CREATED_BY_TAG] == LAUNCHER
