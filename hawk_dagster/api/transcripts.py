"""Routes for transcripts and scan exports: where a sample is (`/meta/samples/{uuid}`), the sample itself
read from its log (`/samples/{uuid}/transcript`), an eval set's samples (`/eval_sets/{id}/samples`) and a
scan run's scanner results as CSV (`/scans/{id}/export.csv`).

Every route applies the folder read rule of the eval set (or scan run) the data belongs to. A sample the
caller may not read is a 403 whose answer is the same whether or not its folder exists. In local mode a
folder without `.models.json` (logs brought in with `hawk import`) is readable: its one user holds every
group.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from hawk_dagster.access.folders import FolderNotFound, check_folder_read
from hawk_dagster.access.models_file import ModelsFileError
from hawk_dagster.access.permissions import AccessDenied
from hawk_dagster.api.access_checks import AccessChecks, forbidden, not_found
from hawk_dagster.api.problems import Problem
from hawk_dagster.api.settings import ApiSettings
from hawk_dagster.auth.identity import Identity
from hawk_dagster.logstore import EVALS_PREFIX, SCANS_PREFIX, LogStore, ObjectNotFoundError
from hawk_dagster.transcripts.lookup import SampleLocation, SampleRef, eval_set_samples, find_sample

MAX_SAMPLES = 100_000
T = TypeVar("T")


class EvalSetSamples(BaseModel):
    eval_set_id: str
    samples: list[SampleRef]


def warehouse_call(call: Callable[[], T]) -> T:
    """`call()`, with a warehouse that cannot answer turned into a 503 naming why."""
    import psycopg

    from hawk_dagster.warehouse.errors import WarehouseError

    try:
        return call()
    except (psycopg.Error, WarehouseError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise Problem(503, "Try again later: the warehouse is unavailable", first) from None


def transcripts_router(settings: ApiSettings, checks: AccessChecks, caller: Any) -> APIRouter:
    """The routes, sharing the app's settings, access checks and identity dependency (`Depends(...)`)."""
    router = APIRouter()

    def store() -> LogStore:
        return LogStore.from_root(settings.log_root)

    def check_folder(identity: Identity, log_store: LogStore, prefix: str, job_id: str) -> None:
        """The folder read rule (404 no folder, 403 groups), with local mode reading folders without one."""
        try:
            check_folder_read(identity, log_store, prefix, job_id, checks.registry)
        except FolderNotFound as exc:
            if not identity.local:
                raise not_found(exc) from None
        except AccessDenied as exc:
            raise forbidden(exc) from None
        except ModelsFileError as exc:
            raise Problem(409, "Ask an administrator to repair the folder's .models.json", str(exc)) from None

    def readable_sample(identity: Identity, uuid: str) -> tuple[LogStore, SampleLocation]:
        sample = warehouse_call(lambda: find_sample(settings.database_url, uuid))
        if sample is None:
            raise Problem(
                404,
                "Check the sample uuid (`hawk list samples`)",
                f"sample {uuid} not found in the warehouse",
            )
        log_store = store()
        try:
            check_folder(identity, log_store, EVALS_PREFIX, sample.eval_set_id)
        except Problem as problem:
            if problem.status not in (403, 404):
                raise
            raise Problem(
                403,
                "Ask an administrator for access to the eval set's model groups",
                f"you may not read the samples of eval set {sample.eval_set_id}",
            ) from None
        return log_store, sample

    @router.get("/meta/samples/{uuid}", response_model=SampleLocation)
    def sample_meta(uuid: str, identity: Identity = caller) -> SampleLocation:
        return readable_sample(identity, uuid)[1]

    @router.get("/samples/{uuid}/transcript")
    def sample_transcript(uuid: str, identity: Identity = caller) -> dict[str, Any]:
        from hawk_dagster.transcripts.reading import read_sample_json

        log_store, sample = readable_sample(identity, uuid)
        try:
            return read_sample_json(log_store, sample)
        except (ObjectNotFoundError, FileNotFoundError):
            raise Problem(
                404, "Re-import the eval set's logs", f"the log {sample.location} of sample {uuid} is gone"
            ) from None
        except (IndexError, KeyError, ValueError) as exc:
            raise Problem(
                404, "Re-import the eval set's logs", f"{sample.filename} has no sample {uuid} ({exc})"
            ) from None

    @router.get("/eval_sets/{eval_set_id}/samples", response_model=EvalSetSamples)
    def samples_of_eval_set(
        eval_set_id: str,
        limit: int = Query(default=MAX_SAMPLES, ge=1, le=MAX_SAMPLES),
        identity: Identity = caller,
    ) -> EvalSetSamples:
        check_folder(identity, store(), EVALS_PREFIX, eval_set_id)
        samples = warehouse_call(lambda: eval_set_samples(settings.database_url, eval_set_id, limit))
        if not samples:
            raise Problem(
                404,
                "Check the eval set id (`hawk list eval-sets`)",
                f"eval set {eval_set_id} has no samples in the warehouse",
            )
        return EvalSetSamples(eval_set_id=eval_set_id, samples=samples)

    @router.get("/scans/{scan_run_id}/export.csv")
    def scan_export(scan_run_id: str, identity: Identity = caller) -> StreamingResponse:
        from hawk_dagster.transcripts.scan_export import count_results, csv_lines

        check_folder(identity, store(), SCANS_PREFIX, scan_run_id)
        if warehouse_call(lambda: count_results(settings.database_url, scan_run_id)) == 0:
            raise Problem(
                404,
                "Check the scan run id, or wait for its results to be imported",
                f"scan run {scan_run_id} has no scanner results in the warehouse",
            )
        lines: Iterator[str] = csv_lines(settings.database_url, scan_run_id)
        return StreamingResponse(
            lines,
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{scan_run_id}.csv"'},
        )

    return router
