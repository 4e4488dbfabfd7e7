"""Raw warehouse tables filled from eval logs: one partition per eval set.

Thin: the work is `hawk_dagster.importer.import_eval_logs`; this asset picks the files, reports row
counts, and checks the warehouse against the logs' own headers.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
from pydantic import Field

from assets.raw_tables import raw_key, raw_table_specs
from hawk_dagster.import_checks import warehouse_counts
from hawk_dagster.importer import EvalImportResult, import_eval_logs
from hawk_dagster.jobs.log_store_assets import eval_sets_partitions
from hawk_dagster.logstore import EVALS_PREFIX
from hawk_dagster.logstore.keys import eval_set_key
from hawk_dagster.sensing.eval_logs import is_importable_log_key
from hawk_dagster.warehouse.schema import EVAL_TABLES
from resources.log_store import LogStoreResource
from resources.warehouse import WarehouseResource

IMPORT_EVAL_LOGS = "import_eval_logs"

__all__ = ["eval_sets_partitions", "import_eval_logs_asset", "import_eval_logs_job"]


class EvalImportConfig(dg.Config):
    keys: list[str] = Field(
        default_factory=list,
        description="Log keys (relative to the log root) to import; empty = every .eval log of the eval set.",
    )
    force: bool = Field(
        default=False, description="Re-import even when the stored file is the same or newer."
    )


@dg.multi_asset(
    name=IMPORT_EVAL_LOGS,
    specs=raw_table_specs(EVAL_TABLES, EVALS_PREFIX, "the eval set's Inspect logs"),
    check_specs=[
        dg.AssetCheckSpec(
            "samples_match_logs", asset=raw_key("sample"), description="Samples per log = the log's header."
        ),
        dg.AssetCheckSpec(
            "scores_match_logs",
            asset=raw_key("score"),
            description="Final scores per log = the log's summaries.",
        ),
    ],
    can_subset=False,
)
def import_eval_logs_asset(
    context: dg.AssetExecutionContext,
    config: EvalImportConfig,
    log_store: LogStoreResource,
    warehouse: WarehouseResource,
) -> Iterator[Any]:
    eval_set_id = context.partition_key
    store = log_store.get_client()
    keys = config.keys or [
        info.key for info in store.list(eval_set_key(eval_set_id) + "/") if is_importable_log_key(info.key)
    ]
    database_url = warehouse.migrated_url()
    results = import_eval_logs(database_url, store, keys, force=config.force)
    for result in results:
        line = f"{result.outcome:8} {result.key}: " + ", ".join(f"{t}={n}" for t, n in result.rows.items())
        if result.reason:
            line += f" ({result.reason})"
        (context.log.error if result.outcome == "failed" else context.log.info)(line)

    totals = {table: sum(r.rows.get(table, 0) for r in results) for table in EVAL_TABLES}
    common: dict[str, Any] = {
        "files_imported": sum(r.outcome == "imported" for r in results),
        "files_skipped": sum(r.outcome == "skipped" for r in results),
        "files_failed": sum(r.outcome == "failed" for r in results),
        "samples_removed": sum(r.samples_removed for r in results),
        "bytes_read": sum(r.bytes_read for r in results),
        "duration_seconds": round(sum(r.duration_seconds for r in results), 3),
    }
    for table in EVAL_TABLES:
        yield dg.MaterializeResult(
            asset_key=raw_key(table), metadata={"rows_written": totals[table], **common}
        )
    yield from _checks(database_url, results)

    failed = [r for r in results if r.outcome == "failed"]
    if failed:
        raise dg.Failure(
            description=f"{len(failed)} of {len(results)} log(s) failed to import: "
            + "; ".join(f"{r.key}: {r.reason}" for r in failed),
            allow_retries=False,
        )


def _checks(database_url: str, results: list[EvalImportResult]) -> Iterator[dg.AssetCheckResult]:
    # Finished logs only: a failed attempt's samples move to the resumed run's log, and a `started` crash
    # remnant has no header counts.
    checked = [
        r
        for r in results
        if r.outcome != "failed" and r.eval_id and r.header_samples is not None and r.log_status == "success"
    ]
    counts = warehouse_counts(database_url, [r.eval_id for r in checked if r.eval_id])
    sample_mismatch, score_mismatch = [], []
    for result in checked:
        samples, scores = counts.get(result.eval_id or "", (0, 0))
        if result.header_samples is not None and samples != result.header_samples:
            sample_mismatch.append(f"{result.key}: warehouse {samples}, log {result.header_samples}")
        if result.header_scores is not None and scores != result.header_scores:
            score_mismatch.append(f"{result.key}: warehouse {scores}, log {result.header_scores}")
    yield dg.AssetCheckResult(
        check_name="samples_match_logs",
        asset_key=raw_key("sample"),
        passed=not sample_mismatch,
        metadata={"logs_checked": len(checked), "mismatches": "; ".join(sample_mismatch) or "none"},
    )
    yield dg.AssetCheckResult(
        check_name="scores_match_logs",
        asset_key=raw_key("score"),
        passed=not score_mismatch,
        metadata={"logs_checked": len(checked), "mismatches": "; ".join(score_mismatch) or "none"},
    )


import_eval_logs_job = dg.define_asset_job(
    "eval_log_import",
    selection=dg.AssetSelection.assets(*[raw_key(t) for t in EVAL_TABLES]),
    description="Import an eval set's Inspect logs into the raw warehouse tables.",
)
