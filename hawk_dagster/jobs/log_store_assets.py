"""The log store in the asset graph: `log_store/evals` and `log_store/scans`, one partition per eval set /
scan run, upstream of the `hawk_raw/*` import assets.

They are external assets (specs): Dagster does not build them, the `eval_set` / `scan` run steps write the
folders and report an `AssetMaterialization` of their partition (files, size, samples, status per task x
model). The partitions definitions are the ones the import assets and their sensors use, so the lineage
view follows one eval set from its run to the marts.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from hawk_dagster.jobs.op_config import CONFIG_REFERENCE
from hawk_dagster.logstore import EVALS_PREFIX, SCANS_PREFIX, LogStore
from hawk_dagster.logstore.keys import run_key
from hawk_dagster.runs.kind import RunKind, RunOutcome

LOG_STORE_GROUP = "log_store"

eval_sets_partitions = dg.DynamicPartitionsDefinition(name="eval_sets")
"""One partition per eval set id: the log-store folders `evals/<id>/` and the eval import assets."""
scan_runs_partitions = dg.DynamicPartitionsDefinition(name="scan_runs")
"""One partition per scan run id: the log-store folders `scans/<id>/` and the scan import assets."""

PARTITIONS: dict[str, dg.DynamicPartitionsDefinition] = {
    EVALS_PREFIX: eval_sets_partitions,
    SCANS_PREFIX: scan_runs_partitions,
}

_WHAT = {
    EVALS_PREFIX: ("eval set", "the `eval_set` job's Inspect logs (.eval files, .config.yaml, .models.json)"),
    SCANS_PREFIX: ("scan run", "the `scan` job's Scout results (scan_id=*/<scanner>.parquet)"),
}


def log_store_key(log_prefix: str) -> dg.AssetKey:
    """`log_store/evals`, `log_store/scans`."""
    return dg.AssetKey([LOG_STORE_GROUP, log_prefix])


def log_store_spec(log_prefix: str) -> dg.AssetSpec:
    unit, content = _WHAT[log_prefix]
    return dg.AssetSpec(
        log_store_key(log_prefix),
        partitions_def=PARTITIONS[log_prefix],
        group_name=LOG_STORE_GROUP,
        kinds={"s3"},
        description=(
            f"<log root>/{log_prefix}/<{unit} id>/: {content}; one partition per {unit}. "
            f"Config: {CONFIG_REFERENCE}."
        ),
    )


LOG_STORE_SPECS = [log_store_spec(EVALS_PREFIX), log_store_spec(SCANS_PREFIX)]


def records_table(records: list[dict[str, str | int]]) -> dg.TableMetadataValue | None:
    """An outcome's records (one row per log, or per scanner x model) as a metadata table."""
    if not records:
        return None
    columns = [
        dg.TableColumn(name, "int" if isinstance(value, int) else "string")
        for name, value in records[0].items()
    ]
    return dg.MetadataValue.table(
        [dg.TableRecord(record) for record in records], schema=dg.TableSchema(columns=columns)
    )


def log_store_materialization(
    kind: RunKind[Any], store: LogStore, outcome: RunOutcome
) -> dg.AssetMaterialization:
    """The run's folder as a materialization of its log-store partition: files, size, the outcome's counts
    and its records (status per task x model, or per scanner x model)."""
    prefix = kind.names.log_prefix
    files = list(store.list(run_key(prefix, outcome.job_id) + "/"))
    metadata: dict[str, Any] = {
        "location": dg.MetadataValue.path(outcome.location),
        "files": len(files),
        "size_bytes": sum(info.size for info in files),
        **outcome.counts(),
    }
    table = records_table(outcome.records())
    if table is not None:
        metadata["status"] = table
    return dg.AssetMaterialization(
        asset_key=log_store_key(prefix),
        partition=outcome.job_id,
        description=f"{kind.names.label} {outcome.job_id}: {len(files)} file(s) under {outcome.location}",
        metadata=metadata,
    )


def report_log_store(
    kind: RunKind[Any], context: dg.OpExecutionContext, store: LogStore, outcome: RunOutcome
) -> None:
    """Adds the run's partition (as the import sensors do) and logs its log-store materialization."""
    partitions = PARTITIONS[kind.names.log_prefix]
    assert partitions.name is not None
    if not context.instance.has_dynamic_partition(partitions.name, outcome.job_id):
        context.instance.add_dynamic_partitions(partitions.name, [outcome.job_id])
    context.log_event(log_store_materialization(kind, store, outcome))
