"""`GET /jobs/{id}/status`, `GET /jobs/{id}/logs`, `DELETE /jobs/{id}`: an eval set's, scan's or
sample-edit request's latest Dagster run, its progress (an eval set's task x model samples, a scan's
scanner x model transcripts, a sample edit's log files) and errors, its log, and stopping it. The caller
must be allowed to read the job's folder (404 naming the id when there is none, 403 naming the missing
groups); a sample edit, every eval set it edits (`hawk_dagster.api.monitoring_edits`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Query

from hawk_dagster.access.models_file import read_models_file
from hawk_dagster.api.access_checks import AccessChecks
from hawk_dagster.api.jobs_dagster import (
    Dagster,
    LogCursor,
    event_failure,
    first_line,
    run_log_lines,
)
from hawk_dagster.api.monitoring_edits import (
    SAMPLE_EDITS_KIND,
    edits_progress,
    file_errors,
    find_edit_request,
    refuse_delete,
)
from hawk_dagster.api.problems import Problem
from hawk_dagster.api.settings import ApiSettings
from hawk_dagster.auth.identity import Identity
from hawk_dagster.logstore import EVALS_PREFIX, SCANS_PREFIX, LogStore
from hawk_dagster.logstore.keys import run_key
from hawk_dagster.runs.launch import run_url
from hawk_dagster.runs.states import ACTIVE_STATUSES
from hawk_dagster.runs.tags import EVAL_SET_ID_TAG, EXECUTOR_TAG, SAMPLE_EDIT_REQUEST_TAG, SCAN_RUN_ID_TAG

if TYPE_CHECKING:
    from hawk_dagster.edits.audit import EditRequest

NOT_FOUND_HINT = "Check the id: `hawk list eval-sets` lists the eval sets you may read"
KINDS = (("eval-set", EVALS_PREFIX, EVAL_SET_ID_TAG), ("scan", SCANS_PREFIX, SCAN_RUN_ID_TAG))


@dataclass(frozen=True)
class Job:
    job_id: str
    kind: str
    prefix: str
    tag: str
    run: dict[str, Any] | None
    """The latest Dagster run tagged with the id (tags as a dict), None when there is none."""
    edits: EditRequest | None = None
    """A sample-edit request's audit row (kind `sample-edits`; `job_id` is its request id)."""


def find_job(
    job_id: str,
    identity: Identity,
    checks: AccessChecks,
    store: LogStore,
    dagster: Dagster,
    database_url: str | None = None,
) -> Job:
    """The eval set, scan or sample-edit request `job_id` once the caller may read it; 404 when none exists.

    A folder with a `.models.json` decides (and its read rule applies); then a sample-edit request with
    this request or run id (in the warehouse at `database_url`); else only local mode falls back to a run
    tagged with the id (a `hawk local` run writes no `.models.json`)."""
    for kind, prefix, tag in KINDS:
        if read_models_file(store, prefix, job_id) is not None:
            checks.check_read(identity, store, prefix, job_id)
            return Job(job_id, kind, prefix, tag, dagster.latest_run(tag, job_id))
    request = find_edit_request(job_id, identity, checks, store, database_url)
    if request is not None:
        run = dagster.latest_run(SAMPLE_EDIT_REQUEST_TAG, request.request_uuid)
        return Job(
            request.request_uuid, SAMPLE_EDITS_KIND, EVALS_PREFIX, SAMPLE_EDIT_REQUEST_TAG, run, request
        )
    if identity.local:
        for kind, prefix, tag in KINDS:
            run = dagster.latest_run(tag, job_id)
            if run is not None:
                return Job(job_id, kind, prefix, tag, run)
    raise Problem(
        404, NOT_FOUND_HINT, f"{job_id!r} not found: no eval set, scan or sample edit request has this id"
    )


def task_progress(store: LogStore, job: Job) -> list[dict[str, Any]]:
    """Each log's task x model, status, samples done / total and error (headers only; a running log's
    samples done are its sample summaries)."""
    from inspect_ai.log import read_eval_log, read_eval_log_sample_summaries

    rows: list[dict[str, Any]] = []
    if job.prefix != EVALS_PREFIX or job.edits is not None:
        return rows
    for info in store.list(run_key(job.prefix, job.job_id) + "/"):
        if not info.key.endswith(".eval"):
            continue
        location = store.uri(info.key)
        try:
            log = read_eval_log(location, header_only=True)
        except Exception as exc:  # half-written or foreign file: report, don't fail the status
            rows.append({"log": location, "status": "unreadable", "error": first_line(str(exc))})
            continue
        dataset = log.eval.dataset
        epochs = log.eval.config.epochs or 1
        total = (dataset.samples or 0) * epochs if dataset and dataset.samples is not None else None
        if log.results is not None:
            total, done = log.results.total_samples, log.results.completed_samples
        else:
            try:
                done = len(read_eval_log_sample_summaries(location))
            except Exception:
                done = 0
        rows.append(
            {
                "task": log.eval.task,
                "model": log.eval.model,
                "task_id": log.eval.task_id,
                "status": log.status,
                "samples_done": done,
                "samples_total": total,
                "error": log_error(log, location),
                "log": location,
            }
        )
    return sorted(rows, key=lambda row: (str(row.get("task")), str(row.get("model"))))


def shard_progress(store: LogStore, job: Job, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A split eval set's shards (`runner.shards`, see `hawk_dagster.runs.shards`): each shard's cells,
    logs, samples done / total and state, from its share file and the logs; `rows` (the task progress)
    get their shard (`"2/4"`). Empty for an eval set that is not split."""
    from hawk_dagster.runs.shards import parse_share_name, read_shares

    if job.prefix != EVALS_PREFIX or job.edits is not None:
        return []
    shares = {parse_share_name(name): share for name, share in read_shares(store, job.job_id).items()}
    split = sorted(key for key in shares if key is not None)
    if not split:
        return []
    count = max(c for _, c in split)  # the folder keeps only the latest split's files
    by_task_id = {str(row.get("task_id")): row for row in rows if row.get("task_id")}
    by_cell = {(row.get("task"), row.get("model")): row for row in rows}
    shards: list[dict[str, Any]] = []
    for index in range(count):
        label = f"{index + 1}/{count}"
        tasks = (shares.get((index, count)) or {}).get("tasks")
        if tasks is None:
            shards.append({"shard": label, "state": "pending", "cells": None, "logs": 0})
            continue
        found = []
        for task in tasks:
            row = by_task_id.get(str(task.get("task_id"))) or by_cell.get(
                (task.get("name"), task.get("model"))
            )
            if row is not None:
                row["shard"] = label
                found.append(row)
        shards.append(
            {
                "shard": label,
                "state": shard_state(len(tasks), [str(row.get("status")) for row in found]),
                "cells": len(tasks),
                "logs": len(found),
                "samples_done": sum(int(row.get("samples_done") or 0) for row in found),
                "samples_total": sum(int(row.get("samples_total") or 0) for row in found),
            }
        )
    return shards


def shard_state(cells: int, statuses: list[str]) -> str:
    """`success` when every cell's log succeeded, `error` when one failed or was cancelled, `running`
    while a log is being written, else `pending` (cells without a log yet)."""
    if any(status in ("error", "cancelled", "unreadable") for status in statuses):
        return "error"
    if len(statuses) == cells and all(status == "success" for status in statuses):
        return "success"
    return "running" if statuses else "pending"


def log_error(log: Any, location: str) -> str | None:
    """The one-line cause of a failed log: its error, else (failed on sample errors) the first sample's."""
    if log.error is not None:
        return first_line(log.error.message)
    if log.status != "error":
        return None
    from inspect_ai.log import read_eval_log_sample_summaries

    try:
        summaries = read_eval_log_sample_summaries(location)
    except Exception:
        return None
    errored = [summary for summary in summaries if summary.error]
    if not errored:
        return None
    return f"sample {errored[0].id}: {first_line(errored[0].error)} ({len(errored)} sample(s) errored)"


def run_summary(job: Job, settings: ApiSettings) -> dict[str, Any] | None:
    if job.run is None:
        return None
    run = job.run
    return {
        "run_id": run["runId"],
        "status": run["status"],
        "job_name": run["jobName"],
        "start_time": run.get("startTime"),
        "end_time": run.get("endTime"),
        "executor": run["tags"].get(EXECUTOR_TAG, "in_process"),
        "run_url": run_url(run["runId"], settings.run_link_base),
    }


def run_errors(job: Job, dagster: Dagster) -> list[str]:
    """The one-line causes of a failed or cancelled run (its step and run failure events)."""
    if job.run is None or job.run["status"] not in ("FAILURE", "CANCELED"):
        return []
    events, _ = dagster.events(job.run["runId"], None)
    return [line for line in (event_failure(event) for event in events) if line]


def edits_status(job: Job, settings: ApiSettings, dagster: Dagster) -> dict[str, Any]:
    """A sample-edit request's status: its run, and what it edits (`edits`: per log file, done or not)."""
    assert job.edits is not None
    edits = edits_progress(job.edits, job.run, settings.database_url)
    return {
        "id": job.job_id,
        "kind": job.kind,
        "run": run_summary(job, settings),
        "tasks": [],
        "shards": [],
        "scanners": [],
        "edits": edits,
        "errors": list(dict.fromkeys([*run_errors(job, dagster), *file_errors(edits)])),
        "logs": None,
    }


def job_status(job: Job, settings: ApiSettings, store: LogStore, dagster: Dagster) -> dict[str, Any]:
    if job.edits is not None:
        return edits_status(job, settings, dagster)
    run = run_summary(job, settings)
    errors = run_errors(job, dagster)
    progress = task_progress(store, job)
    shards = shard_progress(store, job, progress)
    errors.extend(
        f"{row.get('task')} x {row.get('model')}: {row['error']}" for row in progress if row.get("error")
    )
    scanners: list[dict[str, Any]] = []
    if job.prefix == SCANS_PREFIX:
        from hawk_dagster.scans.progress import scan_progress

        scanned = scan_progress(store, job.job_id)
        scanners = [row.model_dump() for row in scanned.rows]
        errors.extend(scanned.errors)
    status: dict[str, Any] = {
        "id": job.job_id,
        "kind": job.kind,
        "run": run,
        "tasks": progress,
        "shards": shards,
        "scanners": scanners,
        "errors": list(dict.fromkeys(errors)),
        "logs": store.uri(run_key(job.prefix, job.job_id)),
    }
    if run is not None and run["executor"] == "k8s":
        from hawk_dagster.k8s.pod_status import job_pods, pod_reasons

        status["pods"] = job_pods(job.kind, job.job_id)
        status["errors"] = list(dict.fromkeys([*pod_reasons(status["pods"]), *status["errors"]]))
    return status


START_WAIT_SECONDS = 60.0
ENDED = "ended"


def terminate_when_started(dagster: Dagster, tag: str, job_id: str, run_id: str) -> str | None:
    """Terminate the run; Dagster refuses while a run is STARTING (its process is not up yet), so wait
    for it to start first. None when terminated, "ended" when it ended meanwhile, else the refusal."""
    import time

    deadline = time.monotonic() + START_WAIT_SECONDS
    while True:
        refusal = dagster.terminate(run_id)
        if refusal is None or "STARTING" not in refusal or time.monotonic() > deadline:
            return refusal
        current = dagster.latest_run(tag, job_id) or {}
        if current.get("runId") == run_id and current.get("status") not in ACTIVE_STATUSES:
            return ENDED
        time.sleep(0.5)


def delete_job(job: Job, store: LogStore, dagster: Dagster) -> dict[str, Any]:
    """Terminate the latest run if it is active, remove its cluster objects and local secret store."""
    from hawk_dagster.k8s.names import secret_name_for
    from hawk_dagster.secrets import LocalSecretStore

    removed: list[str] = []
    stopped: str | None = None
    run = job.run
    if job.edits is not None:
        refuse_delete(job.job_id, run)
    if run is not None and run["status"] in ACTIVE_STATUSES - {"CANCELING"}:
        refusal = terminate_when_started(dagster, job.tag, job.job_id, run["runId"])
        if refusal not in (None, ENDED):
            raise Problem(409, "Try again, or stop the run in the Dagster UI", f"Dagster refused: {refusal}")
        if refusal is None:
            stopped = run["runId"]
            removed.append(f"run {run['runId']} (terminated)")
    if job.edits is None and run is not None and run["tags"].get(EXECUTOR_TAG) == "k8s":
        from hawk_dagster.k8s.pod_status import delete_job_objects

        removed.extend(delete_job_objects(job.kind, job.job_id))
    secret_ref = secret_name_for(job.job_id)
    if job.edits is None and LocalSecretStore().delete(secret_ref):
        removed.append(f"local secret store {secret_ref}")
    return {
        "id": job.job_id,
        "kind": job.kind,
        "run_id": run["runId"] if run else None,
        "status": run["status"] if run else None,
        "stopped": stopped,
        "removed": removed,
        "kept": ", ".join(file.location for file in job.edits.plan.files)
        if job.edits is not None
        else store.uri(run_key(job.prefix, job.job_id)),
        "message": "" if stopped else "nothing to stop: the run is not active (or already being cancelled)",
    }


def monitoring_router(settings: ApiSettings, checks: AccessChecks, caller: Any) -> APIRouter:
    router = APIRouter(prefix="/jobs")
    identity_dep = caller  # the app's identity dependency, `Depends(...)`

    def located(job_id: str, identity: Identity) -> tuple[Job, LogStore, Dagster]:
        store = LogStore.from_root(settings.log_root)
        dagster = Dagster(settings.dagster_url)
        return find_job(job_id, identity, checks, store, dagster, settings.database_url), store, dagster

    @router.get("/{job_id}/status")
    def status(job_id: str, identity: Identity = identity_dep) -> dict[str, Any]:
        job, store, dagster = located(job_id, identity)
        return job_status(job, settings, store, dagster)

    @router.get("/{job_id}/logs")
    def logs(
        job_id: str,
        cursor: str | None = None,
        tail: int | None = Query(default=None, ge=1),
        identity: Identity = identity_dep,
    ) -> dict[str, Any]:
        job, _store, dagster = located(job_id, identity)
        if job.run is None:
            return {"id": job_id, "kind": job.kind, "run_id": None, "lines": [], "cursor": None, "done": True}
        position = LogCursor.decode(cursor)
        lines = run_log_lines(dagster, job.run["runId"], position)
        if tail is not None:
            lines = lines[-tail:]
        return {
            "id": job_id,
            "kind": job.kind,
            "run_id": job.run["runId"],
            "status": job.run["status"],
            "lines": lines,
            "cursor": position.encode(),
            "done": job.run["status"] not in ACTIVE_STATUSES,
        }

    @router.delete("/{job_id}")
    def delete(job_id: str, identity: Identity = identity_dep) -> dict[str, Any]:
        job, store, dagster = located(job_id, identity)
        return delete_job(job, store, dagster)

    return router
