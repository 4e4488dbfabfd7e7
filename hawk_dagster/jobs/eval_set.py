"""The `eval_set` job: its run config (`ops.run_eval_set.config`) and its one step (see `jobs.step`)."""

from typing import Any

import dagster as dg
from pydantic import Field

from hawk_dagster.jobs.step import HawkConfigBlock, RunOpConfig, make_run_job, run_step, step_op
from hawk_dagster.runner.eval_set import EVAL_SET
from hawk_dagster.runs.tags import CREATED_BY_TAG, EVAL_SET_ID_TAG, EXECUTOR_TAG

RUN_EVAL_SET_OP, EVAL_SET_JOB = EVAL_SET.names.op_name, EVAL_SET.names.job_name


class EvalSetRunConfig(RunOpConfig):
    """Run config of `ops.run_eval_set.config`. Paste the eval-set YAML under `eval_set:`."""

    eval_set: HawkConfigBlock = Field(description="The Hawk eval-set config (the YAML file's content).")
    eval_set_id: str | None = Field(
        default=None,
        description="Eval set id (log folder). Defaults to the config's eval_set_id, else a generated one.",
    )
    log_dir_allow_dirty: bool = Field(default=False, description="Allow a log folder with other tasks' logs.")


@step_op(EVAL_SET)
def run_eval_set_op(context: dg.OpExecutionContext, config: EvalSetRunConfig) -> dg.Output[dict[str, Any]]:
    request = config.request(
        config.eval_set, config.eval_set_id, log_dir_allow_dirty=config.log_dir_allow_dirty
    )
    return run_step(EVAL_SET, context, request)


def make_eval_set_job(executor_def: dg.ExecutorDefinition | None = None) -> dg.JobDefinition:
    return make_run_job(EVAL_SET, run_eval_set_op, executor_def)


__all__ = [
    "CREATED_BY_TAG",
    "EVAL_SET_ID_TAG",
    "EVAL_SET_JOB",
    "EXECUTOR_TAG",
    "RUN_EVAL_SET_OP",
    "make_eval_set_job",
    "run_eval_set_op",
]
