"""The `scan` job: one step that validates a Hawk scan config and runs it with Inspect Scout.

The step is thin: it resolves resources and calls the plain functions of `hawk_dagster.scans.run`.
Results land in `<log root>/scans/<scan_run_id>/scan_id=<id>/` (one folder per scan model); import
them with `hawk_dagster.scans.importer.import_scan_results`. In a cluster the step runs in its own pod,
sized through `execution.config.per_step_k8s_config.run_scan` like the eval-set step.
"""

from typing import Any

import dagster as dg
from pydantic import Field

from hawk_dagster.config.loading import ConfigError, validate_config_data
from hawk_dagster.config.scans import ScanConfig
from hawk_dagster.jobs.eval_set import EXECUTOR_TAG
from hawk_dagster.jobs.step import (
    available_secrets,
    prepare_runner_venv,
    releasing_secret_refs,
    run_entry_script,
    step_failure,
)
from hawk_dagster.logstore.errors import LogStoreError
from hawk_dagster.runner.entry_scan import ERROR_MESSAGE, SUMMARY_MESSAGE
from hawk_dagster.runner.eval_set import default_created_by
from hawk_dagster.scans.run import (
    ENTRY_SCRIPT,
    ScanOutcome,
    ScanRunError,
    check_required_secrets,
    outcome_from_summary,
    outcome_warnings,
    prepare_scan,
    results_table,
    run_environment,
    write_sidecars,
    write_spec_file,
)
from hawk_dagster.secrets import SecretsError
from resources.log_store import LogStoreResource
from resources.runner import RunnerResource

RUN_SCAN_OP = "run_scan"
SCAN_JOB = "scan"
SCAN_RUN_ID_TAG = "hawk/scan_run_id"
CREATED_BY_TAG = "hawk/created_by"


class ScanConfigBlock(dg.PermissiveConfig):
    """A Hawk ScanConfig, as written in its YAML file (any keys; validated by the step)."""


class ScanRunConfig(dg.Config):
    """Run config of `ops.run_scan.config`. Paste the scan YAML under `scan:`."""

    scan: ScanConfigBlock = Field(description="The Hawk scan config (the YAML file's content).")
    scan_run_id: str | None = Field(
        default=None, description="Scan run id (results folder scans/<id>/). Defaults to a generated one."
    )
    created_by: str | None = Field(default=None, description="Who launched the run (scan metadata).")
    secret_refs: list[str] = Field(
        default_factory=list,
        description="Names of secret stores holding the run's secrets (never the values).",
    )

    def hawk_config(self) -> dict[str, Any]:
        return self.scan.model_dump()


@dg.op(
    name=RUN_SCAN_OP,
    description="Validate a Hawk scan config, install its packages in a runner venv, run Inspect Scout's scan.",
    tags={"kind": "inspect"},
)
def run_scan_op(
    context: dg.OpExecutionContext,
    config: ScanRunConfig,
    log_store: LogStoreResource,
    runner: RunnerResource,
) -> dg.Output[dict[str, Any]]:
    with releasing_secret_refs(context, runner, config.secret_refs):
        return run_scan_step(context, config, log_store, runner)


def run_scan_step(
    context: dg.OpExecutionContext,
    config: ScanRunConfig,
    log_store: LogStoreResource,
    runner: RunnerResource,
) -> dg.Output[dict[str, Any]]:
    # 1. the config, the id, the source eval sets and the secrets: nothing has started yet
    try:
        loaded = validate_config_data(config.hawk_config(), kind="scan")
    except ConfigError as exc:
        raise step_failure(f"invalid scan config: {exc}") from None
    for warning in loaded.warnings:
        context.log.warning(warning)
    hawk_config = loaded.config
    assert isinstance(hawk_config, ScanConfig)
    store = log_store.get_client()
    try:
        prepared = prepare_scan(
            hawk_config,
            log_store=store,
            scan_run_id=config.scan_run_id,
            created_by=config.created_by or default_created_by(),
            cwd=runner.package_base_path(),
        )
        secrets, available = available_secrets(runner, config.secret_refs)
        check_required_secrets(hawk_config, available)
    except (ScanRunError, SecretsError, LogStoreError) as exc:
        raise step_failure(str(exc)) from None
    if context.run.tags.get(SCAN_RUN_ID_TAG) != prepared.scan_run_id:
        context.instance.add_run_tags(context.run_id, {SCAN_RUN_ID_TAG: prepared.scan_run_id})
    spec = prepared.spec
    context.log.info(
        f"scan {prepared.scan_run_id}: {len(spec.scanners)} scanner(s) x {max(1, len(spec.models))} model(s) "
        f"over eval set(s) {', '.join(spec.eval_set_ids)} -> {prepared.results_dir}"
    )

    # 2. the log root, then the venv: failures here leave nothing in the results folder
    venv = prepare_runner_venv(context, store, "scans", prepared.requirements, runner)

    # 3. run Scout in the venv; progress streams through Dagster Pipes
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
        tool="Scout",
    )
    try:
        outcome = outcome_from_summary(prepared.scan_run_id, prepared.results_dir, summary, store.relpath)
    except ScanRunError as exc:
        raise step_failure(str(exc)) from None
    table = results_table(outcome)
    context.log.info("results:\n" + table)
    warnings = outcome_warnings(outcome)
    for warning in warnings:
        context.log.warning(warning)
    return dg.Output(outcome_output(outcome), metadata=outcome_metadata(outcome, table, warnings))


def outcome_output(outcome: ScanOutcome) -> dict[str, Any]:
    return {
        "scan_run_id": outcome.scan_run_id,
        "results_dir": outcome.results_dir,
        "scan_dir_keys": outcome.scan_dir_keys,
        "scans": [
            {
                "model": scan.model,
                "scan_id": scan.scan_id,
                "location": scan.location,
                "scan_dir_key": scan.scan_dir_key,
                "complete": scan.complete,
                "error_count": scan.error_count,
                "errors": scan.errors,
                "scanners": {s.key: vars(s) for s in scan.scanners},
            }
            for scan in outcome.scans
        ],
    }


def outcome_metadata(outcome: ScanOutcome, table: str, warnings: list[str]) -> dict[str, dg.MetadataValue]:
    columns = ("model", "scan_id", "scanner", "transcripts", "scanned", "truthy", "errors", "tokens")
    records = [
        dg.TableRecord(
            {
                "model": scan.model or "-",
                "scan_id": scan.scan_id,
                "scanner": scanner.key,
                "transcripts": scanner.transcripts,
                "scanned": scanner.scans,
                "truthy": scanner.results,
                "errors": scanner.errors,
                "tokens": scanner.tokens,
            }
        )
        for scan in outcome.scans
        for scanner in scan.scanners
    ]
    schema = dg.TableSchema(
        columns=[dg.TableColumn(name, "string" if name in columns[:3] else "int") for name in columns]
    )
    metadata: dict[str, dg.MetadataValue] = {
        "scan_run_id": dg.MetadataValue.text(outcome.scan_run_id),
        "results_dir": dg.MetadataValue.path(outcome.results_dir),
        "scanners": dg.MetadataValue.table(records, schema=schema),
        "results": dg.MetadataValue.md(f"```\n{table}\n```"),
        "transcripts_scanned": dg.MetadataValue.int(sum(scan.transcripts for scan in outcome.scans)),
        "scanner_errors": dg.MetadataValue.int(sum(scan.error_count for scan in outcome.scans)),
    }
    if warnings:
        metadata["warnings"] = dg.MetadataValue.md("\n".join(f"- {w}" for w in warnings))
    return metadata


def make_scan_job(executor_def: dg.ExecutorDefinition | None = None) -> dg.JobDefinition:
    """The `scan` job with the executor chosen by the deployment (see `hawk_dagster.k8s`)."""

    @dg.job(
        name=SCAN_JOB,
        description="Run a Hawk scan config with Inspect Scout; results go to <log root>/scans/<scan_run_id>/.",
        executor_def=executor_def or dg.in_process_executor,
        tags={"hawk/job_type": "scan", EXECUTOR_TAG: (executor_def or dg.in_process_executor).name},
    )
    def scan() -> None:
        run_scan_op()

    return scan
