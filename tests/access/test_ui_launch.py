"""The UI proxy's launch rewrite (`ui_launch`), on GraphQL requests shaped as the Dagster UI sends them.
Access is checked with a real model-group registry and the project's permission rule; grants are real."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import yaml

from hawk_dagster.access.grant import verify_grant
from hawk_dagster.access.registry import ModelGroupRegistry
from hawk_dagster.access.ui_launch import LaunchRefused, UiLauncher, grant_graphql_request, launch_fields
from hawk_dagster.auth.identity import Identity
from hawk_dagster.runs.tags import CREATED_BY_TAG, LAUNCH_GRANT_TAG
from tests.access.run_checks import registry_check

KEY = b"ui-launch-test-key"
REGISTRY = ModelGroupRegistry(models={"hawk-offline/careful": "model-access-offline"})
OPERATOR = Identity(
    subject="op", email="op@example.com", permissions=frozenset({"hawk-admin", "offline-models"})
)
CONFIG: dict[str, Any] = {
    "name": "ui",
    "tasks": [{"package": "./examples/hawk-examples", "name": "hawk_examples", "items": [{"name": "arith"}]}],
    "models": [
        {"package": "./examples/hawk-examples", "name": "hawk-offline", "items": [{"name": "careful"}]}
    ],
}
LAUNCH = "mutation L($p: ExecutionParams!) { launchRun(executionParams: $p) { __typename } }"
MULTIPLE = (
    "mutation M($ps: [ExecutionParams!]!) { launchMultipleRuns(executionParamsList: $ps) { __typename } }"
)
REEXECUTE = "mutation R($r: ReexecutionParams) { launchRunReexecution(reexecutionParams: $r) { __typename } }"


def launcher(identity: Identity = OPERATOR, parent: tuple[str, Any] | None = None) -> UiLauncher:
    async def parent_run(run_id: str) -> tuple[str, Any]:
        if parent is None:
            raise LaunchRefused(f"run {run_id} to re-execute was not found")
        return parent

    return UiLauncher(identity, KEY, registry_check(REGISTRY), parent_run)


def params(job: str = "eval_set", config: dict[str, Any] = CONFIG, **op_config: Any) -> dict[str, Any]:
    run_config = {"ops": {f"run_{job}": {"config": {job: config, **op_config}}}}
    return {
        "selector": {"repositoryLocationName": "hawk", "repositoryName": "__repository__", "jobName": job},
        "runConfigData": yaml.safe_dump(run_config),
        "executionMetadata": {
            "tags": [
                {"key": LAUNCH_GRANT_TAG, "value": "copied-from-another-run"},
                {"key": "x", "value": "1"},
            ]
        },
    }


def rewrite(payload: dict[str, Any], ui: UiLauncher | None = None) -> dict[str, Any]:
    return asyncio.run(grant_graphql_request(ui or launcher(), payload))


def granted(execution_params: dict[str, Any]) -> Any:
    op_config = execution_params["runConfigData"]["ops"]["run_eval_set"]["config"]
    tags = {tag["key"]: tag["value"] for tag in execution_params["executionMetadata"]["tags"]}
    assert tags[CREATED_BY_TAG] == OPERATOR.created_by and tags["x"] == "1"
    return verify_grant(
        tags[LAUNCH_GRANT_TAG],
        KEY,
        job_type="eval-set",
        job_id=op_config["eval_set_id"],
        config_data=op_config["eval_set"],
    )


def test_a_launch_gets_an_id_the_operator_as_author_and_a_grant_replacing_any_copied_one() -> None:
    request = rewrite({"query": LAUNCH, "variables": {"p": params(created_by="someone-else")}})
    execution = request["variables"]["p"]
    grant = granted(execution)
    assert grant.issued_by == "ui-proxy" and grant.created_by == "op@example.com"
    assert grant.model_groups == ["model-access-offline"]
    op_config = execution["runConfigData"]["ops"]["run_eval_set"]["config"]
    assert op_config["created_by"] == "op@example.com" and grant.job_id.startswith("ui-")


def test_the_configs_own_id_is_the_granted_one() -> None:
    request = rewrite({"query": LAUNCH, "variables": {"p": params(config={**CONFIG, "eval_set_id": "mine"})}})
    assert granted(request["variables"]["p"]).job_id == "mine"


def test_every_run_of_launch_multiple_runs_is_granted() -> None:
    request = rewrite({"query": MULTIPLE, "variables": {"ps": [params(), params(eval_set_id="second")]}})
    first, second = (granted(p) for p in request["variables"]["ps"])
    assert second.job_id == "second" and first.job_id != second.job_id


def test_a_missing_model_group_refuses_the_whole_request() -> None:
    poor = Identity(subject="poor", permissions=frozenset({"hawk-admin"}))
    with pytest.raises(LaunchRefused, match="model-access-offline"):
        rewrite({"query": MULTIPLE, "variables": {"ps": [params()]}}, launcher(poor))


def test_other_jobs_queries_and_invalid_configs() -> None:
    other = {**params(), "selector": {"jobName": "__ASSET_JOB"}}
    assert rewrite({"query": LAUNCH, "variables": {"p": other}})["variables"]["p"] == other
    query = {"query": "{ version }", "variables": {}}
    assert rewrite(query) == query
    with pytest.raises(LaunchRefused, match="invalid eval-set config"):
        rewrite({"query": LAUNCH, "variables": {"p": params(config={"tasks": "nope"})}})


def test_launches_the_proxy_cannot_read_are_refused() -> None:
    inline = 'mutation { launchRun(executionParams: {selector: {jobName: "eval_set"}}) { __typename } }'
    with pytest.raises(LaunchRefused, match="pass executionParams as a GraphQL variable"):
        rewrite({"query": inline})
    with pytest.raises(LaunchRefused, match="as a GraphQL variable"):
        rewrite({"query": LAUNCH, "variables": {}})


def test_a_reexecution_gets_a_fresh_grant_for_the_parents_config() -> None:
    parent_config = yaml.safe_load(params(eval_set_id="parent-id", created_by="alice")["runConfigData"])
    ui = launcher(parent=("eval_set", json.dumps(parent_config)))
    request = rewrite(
        {"query": REEXECUTE, "variables": {"r": {"parentRunId": "abc", "strategy": "ALL_STEPS"}}}, ui
    )
    tags = {tag["key"]: tag["value"] for tag in request["variables"]["r"]["extraTags"]}
    grant = verify_grant(
        tags[LAUNCH_GRANT_TAG], KEY, job_type="eval-set", job_id="parent-id", config_data=CONFIG
    )
    assert grant.created_by == tags[CREATED_BY_TAG] == "op@example.com"


def test_a_reexecution_of_a_parent_without_an_id_or_that_does_not_exist_is_refused() -> None:
    no_id = yaml.safe_load(params()["runConfigData"])
    request = {"query": REEXECUTE, "variables": {"r": {"parentRunId": "abc", "strategy": "ALL_STEPS"}}}
    with pytest.raises(LaunchRefused, match="names no eval_set_id"):
        rewrite(request, launcher(parent=("eval_set", no_id)))
    with pytest.raises(LaunchRefused, match="not found"):
        rewrite(request, launcher())


def test_launch_fields_follow_the_operation_name() -> None:
    query = f"{LAUNCH} query Q {{ version }}"
    assert [f.name.value for f in launch_fields(query, "L")] == ["launchRun"]
    assert launch_fields(query, "Q") == []
    assert launch_fields("not graphql {", None) == []


def test_yaml_values_json_cannot_hold_are_sent_and_digested_as_text() -> None:
    dated = {**CONFIG, "metadata": {"since": "2026-01-02"}}
    execution = params(config=dated)
    execution["runConfigData"] = execution["runConfigData"].replace("'2026-01-02'", "2026-01-02")
    assert "since: 2026-01-02\n" in execution["runConfigData"]  # a YAML date, not a string
    request = rewrite({"query": LAUNCH, "variables": {"p": execution}})
    json.dumps(request)  # what the proxy sends on
    assert granted(request["variables"]["p"]).job_id
