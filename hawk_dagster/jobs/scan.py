"""The `scan` job: its run config (`ops.run_scan.config`, see `jobs.op_config`) and its one step (see
`jobs.step`).

Results land in `<log root>/scans/<scan_run_id>/scan_id=<id>/` (one folder per scan model); import
them with `hawk_dagster.scans.importer.import_scan_results`.
"""

import dagster as dg

from hawk_dagster.jobs.op_config import ScanOptions
from hawk_dagster.jobs.step import make_run_job, run_op
from hawk_dagster.runs.tags import CREATED_BY_TAG, SCAN_RUN_ID_TAG
from hawk_dagster.scans.run import SCAN

RUN_SCAN_OP, SCAN_JOB = SCAN.names.op_name, SCAN.names.job_name


run_scan_op = run_op(SCAN, ScanOptions)


def make_scan_job(executor_def: dg.ExecutorDefinition | None = None) -> dg.JobDefinition:
    return make_run_job(SCAN, run_scan_op, executor_def)


__all__ = ["CREATED_BY_TAG", "RUN_SCAN_OP", "SCAN_JOB", "SCAN_RUN_ID_TAG", "make_scan_job", "run_scan_op"]
