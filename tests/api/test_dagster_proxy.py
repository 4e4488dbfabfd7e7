"""The Dagster UI's auth proxy against a real dagster-webserver, with real tokens from the test OIDC
provider and the API's access rules over a model-group registry synced into a real warehouse. The proxy
is mounted at /dagster in a FastAPI app, as the API mounts it, and served by uvicorn (HTTP, websockets)."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
import yaml
from fastapi import FastAPI
from websockets import Subprotocol
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from hawk_dagster.access.grant import verify_grant
from hawk_dagster.access.registry import ModelGroupRegistry, sync_registry
from hawk_dagster.api.dagster_proxy import dagster_proxy_app
from hawk_dagster.api.settings import ApiSettings
from hawk_dagster.auth.settings import AuthSettings
from hawk_dagster.runs.tags import CREATED_BY_TAG, LAUNCH_GRANT_TAG
from tests.fixtures.oidc import Account, OIDCProvider
from tests.fixtures.postgres import temporary_database
from tests.fixtures.webserver import REPO_ROOT, free_port, running_webserver

KEY = "proxy-test-grant-key"
PREFIX = "/dagster"
EXAMPLES = "./examples/hawk-examples"
MODEL = "hawk-offline/careful"
MODEL_GROUP = "model-access-offline"
ADMIN = Account(sub="ops-admin", email="admin@example.com", permissions=("hawk-admin", MODEL_GROUP))
POOR_ADMIN = Account(sub="ops-poor", email="poor@example.com", permissions=("hawk-admin",))
RESEARCHER = Account(sub="researcher", email="researcher@example.com", permissions=(MODEL_GROUP,))
CONFIG: dict[str, Any] = {
    "name": "via the ui",
    "tasks": [{"package": EXAMPLES, "name": "hawk_examples", "items": [{"name": "arith", "args": {"n": 2}}]}],
    "models": [{"package": EXAMPLES, "name": "hawk-offline", "items": [{"name": "careful"}]}],
}
LAUNCH = """
mutation LaunchPipelineExecution($executionParams: ExecutionParams!) {
  launchPipelineExecution(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""
REEXECUTE = """
mutation Reexecute($reexecutionParams: ReexecutionParams) {
  launchRunReexecution(reexecutionParams: $reexecutionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
  }
}
"""
RUN = """
query Run($runId: ID!) {
  runOrError(runId: $runId) { ... on Run { status jobName runConfigYaml tags { key value } } }
}
"""
RUN_IDS = "{ runsOrError { ... on Runs { results { runId } } } }"
STEP_FAILURE = """
query Failure($runId: ID!) {
  logsForRun(runId: $runId) {
    ... on EventConnection { events { __typename ... on ExecutionStepFailureEvent { error { message } } } }
  }
}
"""


@dataclass
class Stack:
    proxy: str
    """The API's base URL; the UI is at {proxy}/dagster."""
    webserver: str
    """The webserver's base URL (serving under /dagster), reached without the proxy."""
    tokens: dict[str, str]


@contextmanager
def serving(app: Any) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory,
    oidc_provider: OIDCProvider,
    postgres_url: str,
    warehouse_template: str,
) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("proxy")
    env = {
        **os.environ,
        "HAWK_LOG_ROOT": str(tmp / "logs"),
        "HAWK_HOME": str(tmp / "hawk-home"),
        "HAWK_VENV_CACHE": str(REPO_ROOT / ".hawk" / "venvs"),
        "HAWK_LAUNCH_GRANT_KEY": KEY,
    }
    tokens = {
        account.sub: oidc_provider.token_for(account)["access_token"]
        for account in (ADMIN, POOR_ADMIN, RESEARCHER)
    }
    with (
        temporary_database(postgres_url, "hawk_proxy", template=warehouse_template) as warehouse,
        running_webserver(tmp / "dagster", env, tmp / "webserver.log", path_prefix=PREFIX) as webserver,
        pytest.MonkeyPatch.context() as patch,
    ):
        sync_registry(warehouse, ModelGroupRegistry(models={MODEL: MODEL_GROUP}))
        patch.setenv("HAWK_LAUNCH_GRANT_KEY", KEY)
        settings = ApiSettings(
            dagster_url=webserver + PREFIX,
            database_url=warehouse,
            log_root=str(tmp / "logs"),
            auth=AuthSettings.from_env(oidc_provider.env()),
        )
        api = FastAPI()
        api.mount(PREFIX, dagster_proxy_app(settings))
        with serving(api) as proxy:
            yield Stack(proxy, webserver, tokens)


def graphql(url: str, query: str, token: str | None = None, **variables: Any) -> httpx.Response:
    headers = {"X-Forwarded-Access-Token": token} if token else {}
    return httpx.post(
        f"{url}{PREFIX}/graphql", json={"query": query, "variables": variables}, headers=headers, timeout=60
    )


def launch_params(config: dict[str, Any], **op_config: Any) -> dict[str, Any]:
    """As the Launchpad sends them: the run config as YAML text."""
    run_config = {"ops": {"run_eval_set": {"config": {"eval_set": config, **op_config}}}}
    return {
        "selector": {
            "repositoryLocationName": "hawk",
            "repositoryName": "__repository__",
            "pipelineName": "eval_set",
        },
        "runConfigData": yaml.safe_dump(run_config),
        "mode": "default",
        "executionMetadata": {"tags": [{"key": "note", "value": "from the launchpad"}]},
    }


def run_record(stack: Stack, run_id: str) -> dict[str, Any]:
    record: dict[str, Any] = graphql(stack.webserver, RUN, runId=run_id).json()["data"]["runOrError"]
    return record


def finished(stack: Stack, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 300
    while True:
        record = run_record(stack, run_id)
        if record["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
            return record
        assert time.monotonic() < deadline, f"run {run_id} still {record['status']}"
        time.sleep(1)


def run_ids(stack: Stack) -> set[str]:
    results = graphql(stack.webserver, RUN_IDS).json()["data"]["runsOrError"]["results"]
    return {run["runId"] for run in results}


def tags_of(record: dict[str, Any]) -> dict[str, str]:
    return {tag["key"]: tag["value"] for tag in record["tags"]}


def checked_grant(record: dict[str, Any]) -> Any:
    """The run's grant, verified as the step verifies it (its id and config from the run's own config)."""
    op_config = yaml.safe_load(record["runConfigYaml"])["ops"]["run_eval_set"]["config"]
    return verify_grant(
        tags_of(record)[LAUNCH_GRANT_TAG],
        KEY.encode(),
        job_type="eval-set",
        job_id=op_config["eval_set_id"],
        config_data=op_config["eval_set"],
    )


def test_plain_queries_and_pages_pass_through(stack: Stack) -> None:
    token = stack.tokens[ADMIN.sub]
    response = graphql(stack.proxy, "{ version }", token)
    assert response.status_code == 200
    assert response.json()["data"]["version"]
    info = httpx.get(f"{stack.proxy}{PREFIX}/server_info", headers={"X-Forwarded-Access-Token": token})
    assert info.status_code == 200 and "dagster_webserver_version" in info.json()
    bearer = httpx.get(f"{stack.proxy}{PREFIX}/server_info", headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 200


def test_callers_without_a_token_or_the_admin_group_are_refused(stack: Stack) -> None:
    before = run_ids(stack)
    missing = graphql(stack.proxy, "{ version }")
    assert missing.status_code == 401
    forged = graphql(stack.proxy, "{ version }", stack.tokens[ADMIN.sub][:-4] + "AAAA")
    assert forged.status_code == 401 and "access token refused" in forged.text
    researcher = graphql(
        stack.proxy, LAUNCH, stack.tokens[RESEARCHER.sub], executionParams=launch_params(CONFIG)
    )
    assert researcher.status_code == 403
    assert "hawk-admin" in researcher.json()["errors"][0]["message"]
    assert run_ids(stack) == before


def test_an_operator_lacking_a_model_group_launches_nothing(stack: Stack) -> None:
    before = run_ids(stack)
    response = graphql(
        stack.proxy, LAUNCH, stack.tokens[POOR_ADMIN.sub], executionParams=launch_params(CONFIG)
    )
    assert response.status_code == 403
    message = response.json()["errors"][0]["message"]
    assert MODEL_GROUP in message and "launch refused" in message
    assert run_ids(stack) == before


def test_an_admin_launch_carries_a_grant_and_runs_then_reexecutes_with_a_fresh_one(stack: Stack) -> None:
    token = stack.tokens[ADMIN.sub]
    response = graphql(stack.proxy, LAUNCH, token, executionParams=launch_params(CONFIG))
    result = response.json()["data"]["launchPipelineExecution"]
    assert result["__typename"] == "LaunchRunSuccess", result
    record = finished(stack, result["run"]["runId"])
    assert record["status"] == "SUCCESS"
    tags = tags_of(record)
    assert tags[CREATED_BY_TAG] == ADMIN.email and tags["note"] == "from the launchpad"
    grant = checked_grant(record)
    assert grant.issued_by == "ui-proxy" and grant.created_by == ADMIN.email
    assert grant.model_groups == [MODEL_GROUP]
    assert grant.job_id.startswith("via-the-ui-")  # the proxy generated the id the grant binds

    again = graphql(
        stack.proxy,
        REEXECUTE,
        token,
        reexecutionParams={"parentRunId": result["run"]["runId"], "strategy": "ALL_STEPS"},
    ).json()["data"]["launchRunReexecution"]
    assert again["__typename"] == "LaunchRunSuccess", again
    child = finished(stack, again["run"]["runId"])
    assert child["status"] == "SUCCESS"
    fresh = checked_grant(child)
    assert fresh.job_id == grant.job_id and fresh.issued_at > grant.issued_at


def test_a_launch_that_bypasses_the_proxy_is_refused_by_the_step(stack: Stack) -> None:
    params = launch_params(CONFIG, eval_set_id="bypass-test")
    result = graphql(stack.webserver, LAUNCH, executionParams=params).json()["data"][
        "launchPipelineExecution"
    ]
    assert result["__typename"] == "LaunchRunSuccess", result
    record = finished(stack, result["run"]["runId"])
    assert record["status"] == "FAILURE"
    assert LAUNCH_GRANT_TAG not in tags_of(record)
    events = graphql(stack.webserver, STEP_FAILURE, runId=result["run"]["runId"]).json()["data"]
    errors = [e["error"]["message"] for e in events["logsForRun"]["events"] if e.get("error")]
    assert any("run refused: the run has no launch grant" in message for message in errors), errors


def test_launches_other_than_json_posts_with_variables_are_refused(stack: Stack) -> None:
    token = stack.tokens[ADMIN.sub]
    inline = 'mutation { launchRun(executionParams: {selector: {jobName: "eval_set"}}) { __typename } }'
    response = graphql(stack.proxy, inline, token)
    assert response.status_code == 403 and "as a GraphQL variable" in response.text
    over_get = httpx.get(
        f"{stack.proxy}{PREFIX}/graphql",
        params={"query": inline},
        headers={"X-Forwarded-Access-Token": token},
    )
    assert over_get.status_code == 403


def test_the_graphql_websocket_is_proxied_for_admins_only(stack: Stack) -> None:
    ws_url = stack.proxy.replace("http://", "ws://") + f"{PREFIX}/graphql"
    headers = {"X-Forwarded-Access-Token": stack.tokens[ADMIN.sub]}
    with connect(ws_url, subprotocols=[Subprotocol("graphql-ws")], additional_headers=headers) as socket:
        assert socket.subprotocol == "graphql-ws"
        socket.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(socket.recv(timeout=30))["type"] == "connection_ack"
        logs = "subscription L($runId: ID!) { pipelineRunLogs(runId: $runId) { __typename } }"
        socket.send(
            json.dumps(
                {"id": "1", "type": "start", "payload": {"query": logs, "variables": {"runId": "no-such"}}}
            )
        )
        socket.send(
            json.dumps(
                {"id": "2", "type": "start", "payload": {"query": "mutation { logTelemetry { __typename } }"}}
            )
        )
        received: dict[str, dict[str, Any]] = {}
        for _ in range(10):
            message = json.loads(socket.recv(timeout=30))
            received.setdefault(message.get("id"), message)
            if {"1", "2"} <= set(received):
                break
        # the webserver's answer to the subscription came through; the mutation never reached it
        assert received["1"]["type"] == "data"
        assert (
            received["1"]["payload"]["data"]["pipelineRunLogs"]["__typename"]
            == "PipelineRunLogsSubscriptionFailure"
        )
        assert received["2"]["type"] == "error" and "over HTTP" in received["2"]["payload"]["message"]
    researcher = {"X-Forwarded-Access-Token": stack.tokens[RESEARCHER.sub]}
    with pytest.raises(InvalidStatus) as denied:
        connect(ws_url, subprotocols=[Subprotocol("graphql-ws")], additional_headers=researcher).close()
    assert denied.value.response.status_code == 403


def test_local_mode_needs_no_token_and_an_unreachable_webserver_is_a_502(tmp_path: Any) -> None:
    settings = ApiSettings(dagster_url=f"http://127.0.0.1:{free_port()}/dagster", log_root=str(tmp_path))
    assert not settings.auth.enabled
    api = FastAPI()
    api.mount(PREFIX, dagster_proxy_app(settings))
    with serving(api) as proxy:
        response = graphql(proxy, "{ version }")
    assert response.status_code == 502 and "unreachable" in response.json()["errors"][0]["message"]
