"""`GET /runs/{run_id}`: a Dagster run's status, for callers who may read the run's eval set or scan."""

from __future__ import annotations

from typing import Any

from hawk_dagster.api.access_checks import AccessChecks
from hawk_dagster.api.problems import Problem
from hawk_dagster.api.settings import ApiSettings
from hawk_dagster.auth.identity import Identity
from hawk_dagster.logstore import EVALS_PREFIX, SCANS_PREFIX, LogStore
from hawk_dagster.runs.launch import LaunchError, graphql_client, run_url, unreachable
from hawk_dagster.runs.tags import EVAL_SET_ID_TAG, SCAN_RUN_ID_TAG

RUN_QUERY = """
query HawkRun($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run { runId status jobName startTime endTime tags { key value } }
    ... on RunNotFoundError { message }
    ... on PythonError { message }
  }
}
"""

RUN_FOLDERS = ((EVAL_SET_ID_TAG, EVALS_PREFIX, "eval_set_id"), (SCAN_RUN_ID_TAG, SCANS_PREFIX, "scan_run_id"))


def run_status(
    run_id: str, identity: Identity, settings: ApiSettings, checks: AccessChecks, store: LogStore
) -> dict[str, Any]:
    try:
        client = graphql_client(settings.dagster_url)
    except LaunchError as exc:
        raise Problem(503, "Tell the Hawk administrators: the Dagster URL is invalid", str(exc)) from None
    try:
        data = client._execute(RUN_QUERY, {"runId": run_id})
    except Exception as exc:
        raise Problem(
            503, "Try again later: Dagster is unreachable", str(unreachable(settings.dagster_url, exc))
        ) from None
    result = data.get("runOrError") or {}
    if result.get("__typename") != "Run":
        raise Problem(404, "Check the run id", f"no Dagster run {run_id}")
    tags = {tag["key"]: tag["value"] for tag in result.get("tags") or []}
    status: dict[str, Any] = {
        "run_id": result["runId"],
        "status": result["status"],
        "job_name": result["jobName"],
        "start_time": result.get("startTime"),
        "end_time": result.get("endTime"),
        "run_url": run_url(run_id, settings.run_link_base),
    }
    for tag, prefix, field in RUN_FOLDERS:
        if tag in tags:
            checks.check_read(identity, store, prefix, tags[tag])
            status[field] = tags[tag]
    return status
