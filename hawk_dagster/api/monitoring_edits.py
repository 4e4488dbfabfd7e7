"""Sample-edit requests as jobs of `GET /jobs/{id}/status | logs` and `DELETE /jobs/{id}`.

`hawk edit-samples` answers a request id and its `sample_edits` run's id; either names the job. The
request's audit row (`hawk_dagster.edits.audit`) says which eval-set logs and samples it edits and which
files its steps applied or failed; its run is the Dagster run tagged with the request id. The caller may
see it when they may edit (the folder read rule) every eval set it touches, as when it was sent.

A sample edit cannot be deleted: once applied, its edits are part of the logs (undone by another edit,
not by removing the request). While its run is active, `DELETE` stops it like an eval set's run; the
files already applied stay edited, the others keep their contents.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from hawk_dagster.api.access_checks import AccessChecks
from hawk_dagster.api.problems import Problem
from hawk_dagster.api.transcripts import warehouse_call
from hawk_dagster.auth.identity import Identity
from hawk_dagster.logstore import LogStore
from hawk_dagster.runs.states import ACTIVE_STATUSES

if TYPE_CHECKING:
    from hawk_dagster.edits.audit import EditRequest

SAMPLE_EDITS_KIND = "sample-edits"
APPLIED = "applied"
FAILED = "failed"
PENDING = "pending"
NOT_APPLIED = "not applied"
"""The run ended without reaching (or finishing) the file: its contents are as they were."""
UNDO_HINT = "Undo an edit with another `hawk edit-samples` (a score_edit back, or uninvalidate_sample)"


def is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def find_edit_request(
    job_id: str, identity: Identity, checks: AccessChecks, store: LogStore, database_url: str | None
) -> EditRequest | None:
    """The request `job_id` (its id or its run's id) once the caller may see it; None when there is none.
    Only a uuid is looked up (request and run ids are uuids), so other ids never need the warehouse."""
    from hawk_dagster.edits.access import folder_check
    from hawk_dagster.edits.audit import find_request

    if not is_uuid(job_id):
        return None
    request = warehouse_call(lambda: find_request(database_url, job_id))
    if request is None:
        return None
    check = folder_check(identity, store, lambda: checks.registry(identity.local))
    refusals = [why for eval_set_id in edited_eval_sets(request) if (why := check(eval_set_id))]
    if refusals:
        raise Problem(403, "Ask an administrator for access to these model groups", "; ".join(refusals))
    return request


def edited_eval_sets(request: EditRequest) -> list[str]:
    return sorted({file.eval_set_id for file in request.plan.files})


def edits_progress(
    request: EditRequest, run: dict[str, Any] | None, database_url: str | None
) -> dict[str, Any]:
    """What the request edits and how far its run got: per log file its eval set, samples, edits, state
    (applied, failed, pending while the run may still reach it, else not applied), error and warnings."""
    from hawk_dagster.edits.audit import file_outcomes

    outcomes = warehouse_call(lambda: file_outcomes(database_url, request.request_uuid))
    running = run is None or run["status"] in ACTIVE_STATUSES
    files: list[dict[str, Any]] = []
    for file in request.plan.files:
        outcome = outcomes.get(file.location)
        if outcome is not None and outcome.applied_at is not None:
            state = APPLIED
        elif outcome is not None and outcome.error:
            state = FAILED
        else:
            state = PENDING if running else NOT_APPLIED
        files.append(
            {
                "eval_set_id": file.eval_set_id,
                "log": file.location,
                "samples": sorted({item.sample_uuid for item in file.items}),
                "edits": len(file.items),
                "state": state,
                "error": outcome.error if outcome is not None and state == FAILED else None,
                "warnings": outcome.warnings if outcome is not None else [],
            }
        )
    return {
        "request_uuid": request.request_uuid,
        "author": request.author,
        "created_at": request.created_at.isoformat(),
        "eval_set_ids": edited_eval_sets(request),
        "edits": request.plan.edit_count,
        "files_applied": sum(1 for file in files if file["state"] == APPLIED),
        "files": files,
    }


def file_errors(progress: dict[str, Any]) -> list[str]:
    return [f"{file['log']}: {file['error']}" for file in progress["files"] if file.get("error")]


def refuse_delete(request_uuid: str, run: dict[str, Any] | None) -> None:
    """409 unless the request's run is still running (then `DELETE` stops it)."""
    if run is not None and run["status"] in ACTIVE_STATUSES - {"CANCELING"}:
        return
    state = f"its run {run['runId']} is {run['status']}" if run is not None else "it has no run"
    raise Problem(
        409,
        UNDO_HINT,
        f"sample edit request {request_uuid} cannot be deleted: {state}, and the edits it applied are "
        "part of the logs",
    )
