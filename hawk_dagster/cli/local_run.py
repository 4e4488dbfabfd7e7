"""`hawk local <kind>`: a launch plan run here, in-process, on the local Dagster instance (DAGSTER_HOME).

Loaded lazily by the local verbs: it builds only the run jobs (`hawk_dagster.definitions.run_job_definitions`),
never the whole code location (no dbt manifest, no Kubernetes client). The terminal shows the run's log
with failures in one line; their stack traces stay in the run's event log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import dagster as dg
from dagster._utils.log import create_console_logger

from hawk_dagster.cli.launch import LaunchPlan, ensure_dagster_home, release_stored_secrets, store_secrets


@dataclass
class LocalRunResult:
    success: bool
    run_id: str
    outcome: Any | None
    error: str | None


class _FirstLineOfErrors(logging.Filter):
    """Errors (a failed step, a failed run) show their first line: the CLI then prints the reason."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            record.msg = record.getMessage().split("\n", 1)[0]
            record.args = ()
        return True


@dg.logger(
    {
        "log_level": dg.Field(str, is_required=False, default_value="INFO"),
        "name": dg.Field(str, is_required=False, default_value="dagster"),
    },
    description="Dagster's console logger, with errors in one line.",
)
def one_line_errors_console_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = create_console_logger(
        init_context.logger_config["name"], init_context.logger_config["log_level"]
    )
    for handler in logger.handlers:
        handler.addFilter(_FirstLineOfErrors())
    return logger


def run_locally(
    plan: LaunchPlan, log_level: str = "INFO", definitions: dg.Definitions | None = None
) -> LocalRunResult:
    """Run the plan's job in-process; `definitions` defaults to the code location's run jobs."""
    ensure_dagster_home()
    if definitions is None:
        from hawk_dagster.definitions import run_job_definitions

        definitions = run_job_definitions()
    kind = plan.kind
    job = definitions.resolve_job_def(kind.names.job_name).with_logger_defs(
        {"console": one_line_errors_console_logger}
    )
    run_config = {**plan.run_config, "loggers": {"console": {"config": {"log_level": log_level}}}}
    store_secrets(plan)
    try:
        with dg.DagsterInstance.get() as instance:
            result = job.execute_in_process(
                run_config=run_config, instance=instance, tags=plan.tags, raise_on_error=False
            )
    finally:
        release_stored_secrets(
            plan
        )  # the step deletes them as it ends; this covers a run that never got there
    if not result.success:
        return LocalRunResult(False, result.run_id, None, failure_description(result))
    outcome = kind.outcome_from_output(result.output_for_node(kind.names.op_name))
    return LocalRunResult(True, result.run_id, outcome, None)


def failure_description(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            if data.user_failure_data is not None and data.user_failure_data.description:
                return str(data.user_failure_data.description)
            if data.error is not None:
                return data.error.message.strip().splitlines()[-1]
    return "the run failed (see the Dagster run log)"
