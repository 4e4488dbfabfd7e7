"""`POST /meta/sample_edits`: refusals answer the per-item report and write nothing (in-process app, no
Dagster needed); an accepted batch launches a `sample_edits` run on a real Dagster webserver that edits
the log on the store, read back with Inspect. `hawk edit-samples` through the API and locally."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from dagster import DagsterRunStatus
from fastapi.testclient import TestClient
from inspect_ai.log import read_eval_log

from hawk_dagster.access.models_file import write_models_file
from hawk_dagster.access.registry import ModelGroupRegistry, sync_registry
from hawk_dagster.api.app import create_app
from hawk_dagster.api.settings import ApiSettings
from hawk_dagster.auth.settings import AuthSettings
from hawk_dagster.logstore import EVALS_PREFIX
from hawk_dagster.runs.tags import SAMPLE_EDIT_REQUEST_TAG
from tests.api.conftest import Stack, running_stack, stack_env
from tests.edits.stack import EVAL_SET_ID, EditStack, build_stack, local_stack
from tests.fixtures.cli import hawk
from tests.fixtures.oidc import Account, OIDCProvider
from tests.fixtures.webserver import REPO_ROOT, free_port, wait_for_run

pytestmark = pytest.mark.timeout(600)
PATH = "/meta/sample_edits"
__all__ = ["local_stack"]  # a fixture


def _edit(uuid: str, scorer: str, value: Any) -> dict[str, Any]:
    return {
        "sample_uuid": uuid,
        "details": {"type": "score_edit", "scorer": scorer, "reason": "r", "value": value},
    }


def _requests(url: str) -> int:
    with psycopg.connect(url) as connection:
        row = connection.execute("SELECT count(*) FROM hawk_audit.sample_edit_request").fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def client(local_stack: EditStack) -> Iterator[TestClient]:
    settings = ApiSettings(
        dagster_url=f"http://127.0.0.1:{free_port()}",  # nothing listens: refusals come first
        log_root=local_stack.store.root,
        database_url=local_stack.database_url,
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _bad_bodies(stack: EditStack) -> list[tuple[str, dict[str, Any], int, str]]:
    sample = stack.scored_sample()
    scorer, value = next(iter(sample["scores"].items()))
    wrong = 1.0 if isinstance(value, str) else "C"
    good = _edit(sample["uuid"], scorer, value)
    return [
        (
            "unknown-uuid",
            {"edits": [good, _edit("NoSuchSample0000000000", scorer, "C")]},
            404,
            "unknown_sample",
        ),
        ("unknown-scorer", {"edits": [_edit(sample["uuid"], "nope", value)]}, 422, "unknown_scorer"),
        ("wrong-type", {"edits": [_edit(sample["uuid"], scorer, wrong)]}, 422, "wrong_type"),
        ("duplicate", {"edits": [good, good]}, 422, "duplicate"),
    ]


@pytest.mark.parametrize("case", ["unknown-uuid", "unknown-scorer", "wrong-type", "duplicate"])
def test_a_bad_batch_is_refused_whole(case: str, client: TestClient, local_stack: EditStack) -> None:
    _name, body, status, code = next(c for c in _bad_bodies(local_stack) if c[0] == case)
    before = {key: local_stack.store.stat(key).etag for key in local_stack.log_keys()}

    response = client.post(PATH, json=body)

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["title"] == "Fix the edits: nothing was written"
    assert len(problem["items"]) == len(body["edits"])
    assert code in {p["code"] for item in problem["items"] for p in item["problems"]}
    assert all(line.startswith("item ") for line in problem["errors"])
    assert _requests(local_stack.database_url) == 0
    assert {key: local_stack.store.stat(key).etag for key in local_stack.log_keys()} == before


def test_a_malformed_body_names_the_item_and_field(client: TestClient, local_stack: EditStack) -> None:
    body = {"edits": [{"sample_uuid": "x", "details": {"type": "score_edit", "reason": "r"}}]}

    response = client.post(PATH, json=body)

    assert response.status_code == 422
    assert "item 0: details.scorer: Field required" in response.json()["detail"]
    assert client.post(PATH, json={"edits": []}).status_code == 422
    assert _requests(local_stack.database_url) == 0


@pytest.fixture(scope="module")
def edit_api(
    tmp_path_factory: pytest.TempPathFactory, postgres_url: str, warehouse_template: str, eval_set_logs: Path
) -> Iterator[tuple[Stack, EditStack]]:
    from hawk_dagster.logstore import LogStore
    from tests.fixtures.postgres import temporary_database

    work_dir = tmp_path_factory.mktemp("api-edits")
    with temporary_database(postgres_url, "hawk_edits_api", template=warehouse_template) as url:
        edits = build_stack(LogStore.from_root(str(work_dir / "logs")), eval_set_logs, url)
        env = stack_env(work_dir, HAWK_USER="editor", HAWK_DATABASE_URL=url)
        with running_stack(work_dir, env) as running:
            yield running, edits


def test_an_accepted_batch_edits_the_log(edit_api: tuple[Stack, EditStack]) -> None:
    stack, edits = edit_api
    sample = edits.scored_sample()
    scorer, value = next(iter(sample["scores"].items()))
    new = "I" if value == "C" else "C"

    response = stack.post(PATH, {"edits": [_edit(sample["uuid"], scorer, new)]})

    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["run_url"].endswith(f"/runs/{answer['run_id']}")
    assert wait_for_run(stack.dagster_url, answer["run_id"]) == DagsterRunStatus.SUCCESS
    assert stack.run_tags(answer["run_id"])[SAMPLE_EDIT_REQUEST_TAG] == answer["request_uuid"]
    log = read_eval_log(sample["location"])
    score = next(s for s in log.samples or [] if s.uuid == sample["uuid"]).scores[scorer]  # type: ignore[index]
    assert score.value == new
    assert score.history[-1].provenance is not None and score.history[-1].provenance.author == "editor"


def test_the_cli_through_the_api(edit_api: tuple[Stack, EditStack], tmp_path: Path) -> None:
    stack, edits = edit_api
    location = edits.scored_sample()["location"]
    sample = [s for s in edits.samples() if s["location"] == location][-1]
    file = tmp_path / "edits.jsonl"
    file.write_text(
        json.dumps(
            {"sample_uuid": sample["uuid"], "details": {"type": "invalidate_sample", "reason": "flaky"}}
        )
        + "\n"
    )

    result = hawk(["edit-samples", str(file)], REPO_ROOT, {**stack.env, "HAWK_API_URL": stack.api_url})

    assert result.returncode == 0, result.stderr
    request_line, run_line = result.stdout.splitlines()[:2]
    assert request_line.startswith("Sample edit request: ")
    run_id = run_line.split()[1].rstrip(":")
    assert wait_for_run(stack.dagster_url, run_id) == DagsterRunStatus.SUCCESS
    log = read_eval_log(location)
    invalidation = next(s for s in log.samples or [] if s.uuid == sample["uuid"]).invalidation
    assert invalidation is not None and (invalidation.author, invalidation.reason) == ("editor", "flaky")


def test_the_cli_refusal_lists_each_bad_item(edit_api: tuple[Stack, EditStack], tmp_path: Path) -> None:
    stack, _edits = edit_api
    file = tmp_path / "edits.json"
    file.write_text(
        json.dumps([{"sample_uuid": "NoSuchSample0000000000", "details": {"type": "uninvalidate_sample"}}])
    )

    result = hawk(["edit-samples", str(file)], REPO_ROOT, {**stack.env, "HAWK_API_URL": stack.api_url})

    assert result.returncode == 1
    assert (
        "item 0 (uninvalidate_sample of NoSuchSample0000000000): sample NoSuchSample0000000000 is not in the warehouse"
        in result.stderr
    )
    assert "1 of 1 edits refused" in result.stderr


def test_the_cli_locally(local_stack: EditStack, tmp_path: Path) -> None:
    sample = local_stack.scored_sample()
    file = tmp_path / "edits.jsonl"
    file.write_text(
        json.dumps(
            {"sample_uuid": sample["uuid"], "details": {"type": "invalidate_sample", "reason": "flaky"}}
        )
    )
    env = {
        **os.environ,
        "HAWK_DATABASE_URL": local_stack.database_url,
        "HAWK_LOG_ROOT": local_stack.store.root,
        "DAGSTER_HOME": str(tmp_path / "dagster"),
        "HAWK_USER": "local-editor",
    }
    env.pop("HAWK_API_URL", None)

    result = hawk(["edit-samples", str(file)], REPO_ROOT, env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Sample edit request: ")
    log = read_eval_log(sample["location"])
    invalidation = next(s for s in log.samples or [] if s.uuid == sample["uuid"]).invalidation
    assert invalidation is not None and invalidation.author == "local-editor"


GROUP = "model-access-offline"
MODELS = ("hawk-offline/careful", "hawk-offline/sloppy")


def _groups_and_auth(stack: EditStack, oidc_provider: OIDCProvider) -> tuple[ApiSettings, str, str]:
    """The eval set in GROUP (its `.models.json` and the registry); settings of an API with auth on and
    no Dagster answering; the tokens of bob (not in GROUP) and alice (in it)."""
    write_models_file(stack.store, EVALS_PREFIX, EVAL_SET_ID, MODELS, [GROUP])
    sync_registry(stack.database_url, ModelGroupRegistry(models=dict.fromkeys(MODELS, GROUP)))
    settings = ApiSettings(
        dagster_url=f"http://127.0.0.1:{free_port()}",
        log_root=stack.store.root,
        database_url=stack.database_url,
        auth=AuthSettings(issuer=oidc_provider.issuer, audience=oidc_provider.audience),
    )
    bob = oidc_provider.token_for(Account("bob", "bob@example.com", ("model-access-other",)))["access_token"]
    alice = oidc_provider.token_for(Account("alice", "alice@example.com", (GROUP,)))["access_token"]
    return settings, bob, alice


def test_an_eval_set_the_caller_may_not_read_is_403(
    local_stack: EditStack, oidc_provider: OIDCProvider, tmp_path: Path
) -> None:
    settings, bob, alice = _groups_and_auth(local_stack, oidc_provider)
    body = {
        "edits": [
            {"sample_uuid": local_stack.scored_sample()["uuid"], "details": {"type": "uninvalidate_sample"}}
        ]
    }

    with TestClient(create_app(settings)) as client:
        refused = client.post(PATH, json=body, headers={"Authorization": f"Bearer {bob}"})
        allowed = client.post(PATH, json=body, headers={"Authorization": f"Bearer {alice}"})

    assert refused.status_code == 403, refused.text
    [item] = refused.json()["items"]
    assert item["problems"][0]["code"] == "forbidden" and GROUP in item["problems"][0]["message"]
    # alice passes every check; Dagster does not answer, so nothing is recorded either
    assert allowed.status_code == 503, allowed.text
    assert _requests(local_stack.database_url) == 0


def test_a_sample_edit_request_is_a_job_with_status_logs_and_no_delete(
    edit_api: tuple[Stack, EditStack],
) -> None:
    stack, edits = edit_api
    sample = edits.scored_sample()
    scorer, value = next(iter(sample["scores"].items()))
    response = stack.post(PATH, {"edits": [_edit(sample["uuid"], scorer, "I" if value == "C" else "C")]})
    assert response.status_code == 202, response.text
    answer = response.json()
    request_uuid, run_id = answer["request_uuid"], answer["run_id"]
    assert wait_for_run(stack.dagster_url, run_id) == DagsterRunStatus.SUCCESS

    by_request = stack.get(f"/jobs/{request_uuid}/status")
    assert by_request.status_code == 200, by_request.text
    status = by_request.json()
    assert (status["id"], status["kind"]) == (request_uuid, "sample-edits")
    assert (status["run"]["run_id"], status["run"]["status"]) == (run_id, "SUCCESS")
    assert status["edits"]["author"] == "editor" and status["edits"]["eval_set_ids"] == [EVAL_SET_ID]
    (file,) = status["edits"]["files"]
    assert (file["log"], file["samples"], file["edits"]) == (sample["location"], [sample["uuid"]], 1)
    assert file["state"] == "applied" and status["edits"]["files_applied"] == 1
    assert status["errors"] == []
    assert stack.get(f"/jobs/{run_id}/status").json()["id"] == request_uuid  # the run id names it too

    logs = stack.get(f"/jobs/{request_uuid}/logs").json()
    assert (logs["kind"], logs["run_id"], logs["done"]) == ("sample-edits", run_id, True)
    assert any(
        f"sample edits {request_uuid} by editor: 1 edit(s) in 1 log file(s)" in line for line in logs["lines"]
    )

    refused = httpx.delete(f"{stack.api_url}/jobs/{request_uuid}", timeout=60)
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == (
        f"sample edit request {request_uuid} cannot be deleted: its run {run_id} is SUCCESS, "
        "and the edits it applied are part of the logs"
    )

    env = {**stack.env, "HAWK_API_URL": stack.api_url}
    printed = hawk(["status", request_uuid], REPO_ROOT, env)
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    assert lines[0] == f"sample-edits {request_uuid}"
    assert (
        f"request {request_uuid} by editor" in printed.stdout
        and "1 edit(s), 1/1 log file(s) applied" in printed.stdout
    )
    (row,) = [line for line in lines if line.startswith(EVAL_SET_ID)]
    assert row.split() == [EVAL_SET_ID, "applied", "1", "1", sample["location"]]
    log_lines = hawk(["logs", run_id], REPO_ROOT, env)
    assert log_lines.returncode == 0 and f"sample edits {request_uuid} by editor" in log_lines.stdout
    deleted = hawk(["delete", request_uuid], REPO_ROOT, env)
    assert deleted.returncode == 1 and "cannot be deleted" in deleted.stderr
    assert len(deleted.stderr.strip().splitlines()) == 1


def test_a_sample_edit_request_of_an_eval_set_the_caller_may_not_read_is_403(
    local_stack: EditStack, oidc_provider: OIDCProvider
) -> None:
    from hawk_dagster.auth.identity import local_identity
    from hawk_dagster.config.sample_edit import SampleEdit
    from hawk_dagster.edits.audit import record_request
    from hawk_dagster.edits.submit import check_edits

    settings, bob, alice = _groups_and_auth(local_stack, oidc_provider)
    uninvalidate = {
        "sample_uuid": local_stack.scored_sample()["uuid"],
        "details": {"type": "uninvalidate_sample"},
    }
    edits = [SampleEdit.model_validate(uninvalidate)]
    plan = check_edits(
        edits,
        identity=local_identity("alice@example.com"),
        database_url=local_stack.database_url,
        store=local_stack.store,
        registry=lambda: ModelGroupRegistry(models=dict.fromkeys(MODELS, GROUP)),
    )
    record_request(local_stack.database_url, plan, edits)

    with TestClient(create_app(settings)) as client:
        refused = client.get(f"/jobs/{plan.request_uuid}/status", headers={"Authorization": f"Bearer {bob}"})
        allowed = client.get(f"/jobs/{plan.request_uuid}/logs", headers={"Authorization": f"Bearer {alice}"})
        unknown = client.get(f"/jobs/{uuid.uuid4()}/status", headers={"Authorization": f"Bearer {alice}"})

    assert refused.status_code == 403, refused.text
    assert f"you may not edit eval set {EVAL_SET_ID}" in refused.json()["detail"] and GROUP in refused.text
    # alice passes the check; Dagster does not answer for the run
    assert allowed.status_code == 503, allowed.text
    assert unknown.status_code == 404 and "no eval set, scan or sample edit request" in unknown.text


def _waiting_for_a_lock(url: str) -> bool:
    """True once some session waits for an advisory lock (a `sample_edits` step blocked on a file)."""
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        ).fetchone()
    return row is not None and int(row[0]) > 0


def test_deleting_a_running_sample_edit_stops_it_and_the_file_stays_as_it_was(
    edit_api: tuple[Stack, EditStack],
) -> None:
    import time

    from hawk_dagster.edits.locking import file_lock

    stack, edits = edit_api
    sample = edits.scored_sample()
    scorer = next(iter(sample["scores"]))
    location = sample["location"]

    def current_value() -> Any:
        log = read_eval_log(location)
        return next(s for s in log.samples or [] if s.uuid == sample["uuid"]).scores[scorer].value  # type: ignore[index]

    before = current_value()
    with file_lock(edits.database_url, location):  # the run's step waits for this lock
        response = stack.post(PATH, {"edits": [_edit(sample["uuid"], scorer, "I" if before == "C" else "C")]})
        assert response.status_code == 202, response.text
        request_uuid, run_id = response.json()["request_uuid"], response.json()["run_id"]
        deadline = time.monotonic() + 300
        while not _waiting_for_a_lock(edits.database_url):
            assert time.monotonic() < deadline, f"the run's step never waited for the file's lock: {run_id}"
            time.sleep(0.5)
        running = stack.get(f"/jobs/{request_uuid}/status").json()
        assert running["run"]["status"] == "STARTED"
        assert [file["state"] for file in running["edits"]["files"]] == ["pending"]

        deleted = httpx.delete(f"{stack.api_url}/jobs/{request_uuid}", timeout=120)
        assert deleted.status_code == 200, deleted.text
        assert (deleted.json()["kind"], deleted.json()["stopped"]) == ("sample-edits", run_id)

    assert wait_for_run(stack.dagster_url, run_id) == DagsterRunStatus.CANCELED
    status = stack.get(f"/jobs/{request_uuid}/status").json()
    assert [file["state"] for file in status["edits"]["files"]] == ["not applied"]
    assert current_value() == before
