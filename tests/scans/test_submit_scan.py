"""`submit_scan` against a real Dagster webserver serving the scan job: GraphQL submission, tags, a
run that succeeds."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterRunStatus
from dagster_graphql import DagsterGraphQLClient

from hawk_dagster.cli.launch import plan_launch, submit
from hawk_dagster.runs.tags import SCAN_RUN_ID_TAG
from hawk_dagster.scans.run import SCAN, with_sources
from tests.fixtures.webserver import running_webserver, wait_for_run
from tests.scans.conftest import REPO_ROOT, SOURCE_EVAL_SET_ID, LogRoot


@pytest.fixture
def scan_webserver(tmp_path: Path, source_logs: LogRoot, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A webserver on this repository's code location, whose log root holds the source eval set."""
    env = {
        **os.environ,
        "HAWK_LOG_ROOT": str(source_logs.path),
        "HAWK_HOME": str(tmp_path / "hawk-home"),
        "HAWK_VENV_CACHE": str(REPO_ROOT / ".hawk" / "venvs"),
    }
    with running_webserver(tmp_path / "dagster", env, tmp_path / "webserver.log") as url:
        monkeypatch.setenv("HAWK_DAGSTER_URL", url)
        monkeypatch.setenv("HAWK_HOME", str(tmp_path / "hawk-home"))
        yield url


def test_submit_scan_starts_a_run_that_succeeds(scan_webserver: str, source_logs: LogRoot) -> None:
    plan = plan_launch(
        SCAN,
        REPO_ROOT / "examples" / "simple.scan.yaml",
        job_id="submitted-1",
        edit_config=lambda config: with_sources(config, [SOURCE_EVAL_SET_ID]),
    )
    run_id = submit(plan)

    status = wait_for_run(scan_webserver, run_id)
    client = DagsterGraphQLClient("127.0.0.1", port_number=int(scan_webserver.rsplit(":", 1)[1]))
    assert status == DagsterRunStatus.SUCCESS
    (folder,) = (source_logs.path / "scans" / "submitted-1").glob("scan_id=*")
    assert sorted(path.name for path in folder.glob("*.parquet")) == [
        "numeric_judge.parquet",
        "tool_calls.parquet",
    ]
    tags = client._execute(
        "query($id: ID!) { runOrError(runId: $id) { ... on Run { tags { key value } } } }", {"id": run_id}
    )["runOrError"]["tags"]
    assert {"key": SCAN_RUN_ID_TAG, "value": "submitted-1"} in tags
