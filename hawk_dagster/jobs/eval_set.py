"""The `eval_set` job: its run config (`ops.run_eval_set.config`, see `jobs.op_config`) and its step (see
`jobs.step`); with `runner.shards` > 1, that step fans out one `run_eval_set_shard` step per shard and
`finish_eval_set` after them (see `hawk_dagster.runs.shards`)."""

import dagster as dg

from hawk_dagster.jobs.op_config import EvalSetOptions
from hawk_dagster.jobs.step import make_run_job, run_op
from hawk_dagster.runner.eval_set import EVAL_SET
from hawk_dagster.runs.tags import CREATED_BY_TAG, EVAL_SET_ID_TAG, EXECUTOR_TAG

RUN_EVAL_SET_OP, EVAL_SET_JOB = EVAL_SET.names.op_name, EVAL_SET.names.job_name
RUN_EVAL_SET_SHARD_OP, FINISH_EVAL_SET_OP = EVAL_SET.shard_op_name, EVAL_SET.finish_op_name


run_eval_set_op = run_op(EVAL_SET, EvalSetOptions)


def make_eval_set_job(executor_def: dg.ExecutorDefinition | None = None) -> dg.JobDefinition:
    return make_run_job(EVAL_SET, run_eval_set_op, executor_def)


__all__ = [
    "CREATED_BY_TAG",
    "EVAL_SET_ID_TAG",
    "EVAL_SET_JOB",
    "EXECUTOR_TAG",
    "FINISH_EVAL_SET_OP",
    "RUN_EVAL_SET_OP",
    "RUN_EVAL_SET_SHARD_OP",
    "make_eval_set_job",
    "run_eval_set_op",
]
