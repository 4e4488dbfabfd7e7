"""The `eval_set` job: one step that validates a Hawk eval-set config and runs it with Inspect.

The step is thin: it resolves resources and calls `hawk_dagster.runner.eval_set.run_eval_set`.
In a cluster the step runs in its own pod (dagster-k8s `k8s_job_executor`), sized per run through
`execution.config.per_step_k8s_config.run_eval_set` (see `hawk_dagster/k8s.py`).
"""

from typing import Any

import dagster as dg
from pydantic import Field

from hawk_dagster.config.evals import EvalSetConfig
from hawk_dagster.config.loading import ConfigError, validate_config_data
from hawk_dagster.jobs.step import (
    available_secrets,
    prepare_runner_venv,
    releasing_secret_refs,
    run_entry_script,
    step_failure,
)
from hawk_dagster.runner.entry_eval_set import ERROR_MESSAGE, SUMMARY_MESSAGE
from hawk_dagster.runner.eval_set import (
    ENTRY_SCRIPT,
    EvalSetOutcome,
    EvalSetRunError,
    check_required_secrets,
    default_created_by,
    failure_message,
    outcome_from_summary,
    prepare_eval_set,
    results_table,
    run_environment,
    write_sidecars,
    write_spec_file,
)
from hawk_dagster.secrets import SecretsError
from resources.log_store import LogStoreResource
from resources.runner import RunnerResource

RUN_EVAL_SET_OP = "run_eval_set"
EVAL_SET_JOB = "eval_set"
EVAL_SET_ID_TAG = "hawk/eval_set_id"
CREATED_BY_TAG = "hawk/created_by"
EXECUTOR_TAG = "hawk/executor"


class HawkConfigBlock(dg.PermissiveConfig):
    """A Hawk EvalSetConfig, as written in its YAML file (any keys; validated by the step)."""


class EvalSetRunConfig(dg.Config):
    """Run config of `ops.run_eval_set.config`. Paste the eval-set YAML under `eval_set:`."""

    eval_set: HawkConfigBlock = Field(description="The Hawk eval-set config (the YAML file's content).")
    eval_set_id: str | None = Field(
        default=None,
        description="Eval set id (log folder). Defaults to the config's eval_set_id, else a generated one.",
    )
    created_by: str | None = Field(default=None, description="Who launched the run (metadata.created_by).")
    secret_refs: list[str] = Field(
        default_factory=list,
        description="Names of secret stores holding the run's secrets (never the values).",
    )
    log_dir_allow_dirty: bool = Field(default=False, description="Allow a log folder with other tasks' logs.")

    def hawk_config(self) -> dict[str, Any]:
        return self.eval_set.model_dump()


@dg.op(
    name=RUN_EVAL_SET_OP,
    description="Validate a Hawk eval-set config, install its packages in a runner venv, run Inspect's eval_set.",
    tags={"kind": "inspect"},
)
def run_eval_set_op(
    context: dg.OpExecutionContext,
    config: EvalSetRunConfig,
    log_store: LogStoreResource,
    runner: RunnerResource,
) -> dg.Output[dict[str, Any]]:
    with releasing_secret_refs(context, runner, config.secret_refs):
        return run_eval_set_step(context, config, log_store, runner)


def run_eval_set_step(
    context: dg.OpExecutionContext,
    config: EvalSetRunConfig,
    log_store: LogStoreResource,
    runner: RunnerResource,
) -> dg.Output[dict[str, Any]]:
    # 1. the config, the id and the secrets: nothing has started yet
    try:
        loaded = validate_config_data(config.hawk_config(), kind="eval-set")
    except ConfigError as exc:
        raise step_failure(f"invalid eval-set config: {exc}") from None
    for warning in loaded.warnings:
        context.log.warning(warning)
    hawk_config = loaded.config
    assert isinstance(hawk_config, EvalSetConfig)
    store = log_store.get_client()
    try:
        prepared = prepare_eval_set(
            hawk_config,
            log_store=store,
            eval_set_id=config.eval_set_id,
            created_by=config.created_by or default_created_by(),
            log_dir_allow_dirty=config.log_dir_allow_dirty,
            cwd=runner.package_base_path(),
        )
        secrets, available = available_secrets(runner, config.secret_refs)
        check_required_secrets(hawk_config, available)
    except (EvalSetRunError, SecretsError) as exc:
        raise step_failure(str(exc)) from None
    if context.run.tags.get(EVAL_SET_ID_TAG) != prepared.eval_set_id:
        context.instance.add_run_tags(context.run_id, {EVAL_SET_ID_TAG: prepared.eval_set_id})
    context.log.info(
        f"eval set {prepared.eval_set_id}: {len(prepared.spec.tasks)} task(s) x "
        f"{max(1, len(prepared.spec.solvers))} solver(s) x {max(1, len(prepared.spec.models))} model(s) -> {prepared.log_dir}"
    )

    # 2. the log root, then the venv: failures here leave nothing in the log folder
    venv = prepare_runner_venv(context, store, "evals", prepared.requirements, runner)

    # 3. run Inspect in the venv; progress streams through Dagster Pipes
    write_sidecars(store, prepared)
    summary = run_entry_script(
        context,
        venv=venv,
        entry_script=ENTRY_SCRIPT,
        write_spec=lambda directory: write_spec_file(prepared, directory),
        env=run_environment(hawk_config, secrets),
        runner=runner,
        summary_type=SUMMARY_MESSAGE,
        error_type=ERROR_MESSAGE,
        tool="Inspect",
    )
    try:
        outcome = outcome_from_summary(prepared.eval_set_id, prepared.log_dir, summary)
    except EvalSetRunError as exc:
        raise step_failure(str(exc)) from None
    table = results_table(outcome)
    context.log.info("results:\n" + table)
    problem = failure_message(outcome)
    if problem is not None:
        raise step_failure(problem)
    return dg.Output(
        {
            "eval_set_id": outcome.eval_set_id,
            "log_dir": outcome.log_dir,
            "logs": [vars(log) for log in outcome.logs],
        },
        metadata=outcome_metadata(outcome, table),
    )


def outcome_metadata(outcome: EvalSetOutcome, table: str) -> dict[str, dg.MetadataValue]:
    records = [
        dg.TableRecord(
            {
                "file": log.file_name,
                "task": log.task,
                "model": log.model,
                "status": log.status,
                "samples": f"{log.completed_samples}/{log.total_samples}",
                "scores": log.headline,
            }
        )
        for log in outcome.logs
    ]
    schema = dg.TableSchema(
        columns=[
            dg.TableColumn(name, "string")
            for name in ("file", "task", "model", "status", "samples", "scores")
        ]
    )
    return {
        "eval_set_id": dg.MetadataValue.text(outcome.eval_set_id),
        "log_dir": dg.MetadataValue.path(outcome.log_dir),
        "logs": dg.MetadataValue.table(records, schema=schema),
        "results": dg.MetadataValue.md(f"```\n{table}\n```"),
    }


def make_eval_set_job(executor_def: dg.ExecutorDefinition | None = None) -> dg.JobDefinition:
    """The `eval_set` job with the executor chosen by the deployment (see `hawk_dagster.k8s`)."""

    @dg.job(
        name=EVAL_SET_JOB,
        description="Run a Hawk eval-set config with Inspect AI; logs go to <log root>/evals/<eval_set_id>/.",
        executor_def=executor_def or dg.in_process_executor,
        tags={"hawk/job_type": "eval-set", EXECUTOR_TAG: (executor_def or dg.in_process_executor).name},
    )
    def eval_set() -> None:
        run_eval_set_op()

    return eval_set
