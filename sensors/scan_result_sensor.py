"""`scan_result_sensor`: new or rewritten Scout results in the log store → import runs, one per scan run."""

from datetime import UTC, datetime

import dagster as dg

from assets.scan_imports import IMPORT_SCAN_RESULTS, import_scan_results_job, scan_runs_partitions
from hawk_dagster.logstore import SCANS_PREFIX
from hawk_dagster.sensing.eval_logs import EvalLogCursor, cursor_json, plan_tick
from hawk_dagster.sensing.intervals import scan_result_sensor_interval_seconds
from hawk_dagster.sensing.scan_results import is_scan_result_key, scan_dir_keys, scan_result_ready
from resources.log_store import LogStoreResource

SCAN_RUN_ID_TAG = "hawk/scan_run_id"


@dg.sensor(
    name="scan_result_sensor",
    job=import_scan_results_job,
    minimum_interval_seconds=scan_result_sensor_interval_seconds(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches <log root>/scans/ and imports finished scanner results, per scan run.",
)
def scan_result_sensor(context: dg.SensorEvaluationContext, log_store: LogStoreResource) -> dg.SensorResult:
    plan = plan_tick(
        log_store.get_client(),
        EvalLogCursor.parse(context.cursor),
        now=datetime.now(UTC),
        prefix=SCANS_PREFIX,
        is_importable=is_scan_result_key,
        is_ready=scan_result_ready,
    )
    for error in plan.errors:
        context.log.warning(error)
    run_requests = [
        dg.RunRequest(
            run_key=request.run_key,
            partition_key=request.eval_set_id,
            run_config={"ops": {IMPORT_SCAN_RESULTS: {"config": {"scan_dirs": scan_dir_keys(request.keys)}}}},
            tags={SCAN_RUN_ID_TAG: request.eval_set_id},
        )
        for request in plan.requests
    ]
    new_partitions = sorted({r.eval_set_id for r in plan.requests})
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=[scan_runs_partitions.build_add_request(new_partitions)]
        if new_partitions
        else [],
        cursor=cursor_json(plan.cursor),
        skip_reason=None
        if run_requests
        else f"no new scan results ({len(plan.examined)} scan run(s) examined)",
    )
