"""Raw warehouse tables filled from Scout scan results: one partition per scan run.

Thin: the work is `hawk_dagster.scans.importer.import_scan_results`.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
from pydantic import Field

from assets.raw_tables import raw_key, raw_table_specs
from hawk_dagster.jobs.log_store_assets import scan_runs_partitions
from hawk_dagster.logstore import SCANS_PREFIX
from hawk_dagster.scans.importer import import_scan_results
from hawk_dagster.sensing.scan_results import is_scan_result_key, scan_dir_keys
from hawk_dagster.warehouse.schema import SCAN_TABLES
from resources.log_store import LogStoreResource
from resources.warehouse import WarehouseResource

IMPORT_SCAN_RESULTS = "import_scan_results"

__all__ = ["import_scan_results_asset", "import_scan_results_job", "scan_runs_partitions"]


class ScanImportConfig(dg.Config):
    scan_dirs: list[str] = Field(
        default_factory=list,
        description="Scan folders (scans/<run>/scan_id=<id>) to import; empty = every folder of the scan run.",
    )
    force: bool = Field(default=False, description="Re-import even when the stored scan is newer.")


@dg.multi_asset(
    name=IMPORT_SCAN_RESULTS,
    specs=raw_table_specs(SCAN_TABLES, SCANS_PREFIX, "the scan run's Scout results"),
    can_subset=False,
)
def import_scan_results_asset(
    context: dg.AssetExecutionContext,
    config: ScanImportConfig,
    log_store: LogStoreResource,
    warehouse: WarehouseResource,
) -> Iterator[Any]:
    store = log_store.get_client()
    prefix = f"{SCANS_PREFIX}/{context.partition_key}/"
    dirs = config.scan_dirs or scan_dir_keys([i.key for i in store.list(prefix) if is_scan_result_key(i.key)])
    database_url = warehouse.migrated_url()
    failures: list[str] = []
    rows = 0
    for scan_dir in dirs:
        try:
            result = import_scan_results(database_url, store, scan_dir, force=config.force)
        except Exception as exc:  # one bad folder must not block the others
            failures.append(f"{scan_dir}: {type(exc).__name__}: {exc}")
            context.log.error(failures[-1])
            continue
        rows += result.rows_written
        context.log.info(
            f"{result.outcome:8} {scan_dir}: {result.rows_written} row(s)"
            + (f" ({result.reason})" if result.reason else "")
        )
    for table in SCAN_TABLES:
        yield dg.MaterializeResult(
            asset_key=raw_key(table),
            metadata={"scan_dirs": len(dirs), "rows_written": rows, "failed": len(failures)},
        )
    if failures:
        raise dg.Failure(description="; ".join(failures), allow_retries=False)


import_scan_results_job = dg.define_asset_job(
    "scan_result_import",
    selection=dg.AssetSelection.assets(*[raw_key(t) for t in SCAN_TABLES]),
    description="Import a scan run's Scout results into the raw warehouse tables.",
)
