"""`eval_log_sensor`: new or rewritten eval logs in the log store → import runs, one per eval set."""

from datetime import UTC, datetime, timedelta

import dagster as dg

from assets.eval_imports import IMPORT_EVAL_LOGS, eval_sets_partitions, import_eval_logs_job
from hawk_dagster.jobs.eval_set import EVAL_SET_ID_TAG, EVAL_SET_JOB
from hawk_dagster.sensing.eval_logs import EvalLogCursor, cursor_json, plan_tick
from hawk_dagster.sensing.intervals import eval_log_sensor_interval_seconds
from resources.log_store import LogStoreResource

RECENT_RUNS_WINDOW = timedelta(days=1)


def _eval_sets_with_recent_runs(instance: dg.DagsterInstance, now: datetime) -> set[str]:
    runs = instance.get_runs(
        filters=dg.RunsFilter(job_name=EVAL_SET_JOB, created_after=now - RECENT_RUNS_WINDOW), limit=200
    )
    return {run.tags[EVAL_SET_ID_TAG] for run in runs if EVAL_SET_ID_TAG in run.tags}


@dg.sensor(
    name="eval_log_sensor",
    job=import_eval_logs_job,
    minimum_interval_seconds=eval_log_sensor_interval_seconds(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches <log root>/evals/ and imports new or rewritten .eval logs, per eval set.",
)
def eval_log_sensor(context: dg.SensorEvaluationContext, log_store: LogStoreResource) -> dg.SensorResult:
    now = datetime.now(UTC)
    cursor = EvalLogCursor.parse(context.cursor)
    hot = _eval_sets_with_recent_runs(context.instance, now)
    plan = plan_tick(log_store.get_client(), cursor, now=now, hot_eval_sets=hot)
    for error in plan.errors:
        context.log.warning(error)
    for eval_set_id, keys in plan.deferred.items():
        context.log.info(f"{eval_set_id}: {len(keys)} log(s) still being written, deferred")
    new_partitions = sorted({r.eval_set_id for r in plan.requests})
    run_requests = [
        dg.RunRequest(
            run_key=request.run_key,
            partition_key=request.eval_set_id,
            run_config={"ops": {IMPORT_EVAL_LOGS: {"config": {"keys": request.keys}}}},
            tags={EVAL_SET_ID_TAG: request.eval_set_id},
        )
        for request in plan.requests
    ]
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=[eval_sets_partitions.build_add_request(new_partitions)]
        if new_partitions
        else [],
        cursor=cursor_json(plan.cursor),
        skip_reason=None if run_requests else f"no new eval logs ({len(plan.examined)} eval set(s) examined)",
    )
