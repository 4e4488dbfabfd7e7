"""The one step every kind of run uses, and the job around it.

The step is thin: it turns its resources (by key, so hawk_dagster never imports the code location's
`resources/`) into plain `RunnerSettings` and calls `hawk_dagster.runs.execute.run` with the Dagster
Pipes subprocess runner. In a cluster the step runs in its own pod (dagster-k8s `k8s_job_executor`),
sized per run through `execution.config.per_step_k8s_config.<op name>` (see `hawk_dagster.k8s`).

A kind that shards (`RunKind.shard_plan`: eval sets, `runner.shards`) keeps this shape: its first step runs
an unsplit run as above, or plans the shards and fans out (`DynamicOut`) one `run_<kind>_shard` step per
shard, each the same `run_step` on its share of the grid, then `finish_<kind>` merges (design:
`hawk_dagster.runs.shards`). A failed shard is retried (a dead runner, `runner.retries`) or re-executed
from failure alone; the others keep their results.
"""

import dataclasses
from collections.abc import Iterable, Iterator
from typing import Any

import dagster as dg

from hawk_dagster.access.grant import GrantError
from hawk_dagster.access.launch_check import GrantSettings, check_launch, grant_job_id
from hawk_dagster.config.base import DEFAULT_RUNNER_RETRIES, MAX_RUNNER_RETRIES
from hawk_dagster.jobs.log_store_assets import records_table, report_log_store
from hawk_dagster.jobs.op_config import CONFIG_REFERENCE, RunOptions, launch_request, op_config_schema
from hawk_dagster.runner.pipes import PipesSubprocessRunner
from hawk_dagster.runs.execute import RunFailed, RunnerDied, RunRequest, run
from hawk_dagster.runs.kind import RunKind, RunOutcome
from hawk_dagster.runs.settings import RunnerSettings
from hawk_dagster.runs.tags import EXECUTOR_TAG, JOB_TYPE_TAG
from hawk_dagster.secrets import release_secret_refs

RESOURCE_KEYS = frozenset({"log_store", "runner"})
"""What the step needs: `log_store` (`.root`) and `runner` (`.settings(log_root=...)` -> RunnerSettings)."""


def runner_settings(context: dg.OpExecutionContext) -> RunnerSettings:
    settings: RunnerSettings = context.resources.runner.settings(log_root=context.resources.log_store.root)
    return settings


STEP_RETRY_POLICY = dg.RetryPolicy(max_retries=MAX_RUNNER_RETRIES)
"""The op's ceiling: in a cluster a step pod that dies (OOMKilled, node lost) cannot say anything, so the
executor retries it under this policy; the retried step then stops early once the run's own
`runner.retries` are used up (`retry_allowance`)."""


def runner_retries(config: Any) -> int:
    """`runner.retries` of a raw config (the default when absent or invalid: `run` reports bad configs)."""
    runner = config.get("runner") if isinstance(config, dict) else None
    value = runner.get("retries") if isinstance(runner, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_RUNNER_RETRIES:
        return value
    return DEFAULT_RUNNER_RETRIES


def retry_allowance(kind: RunKind[Any], context: dg.OpExecutionContext, request: RunRequest) -> RunRequest:
    """On a retried attempt: the same job id as the first attempt (so Inspect resumes the same log
    directory), or a one-line failure once `runner.retries` are used up. The first attempt passes as is."""
    attempt = context.retry_number
    if attempt == 0:
        return request
    if run_stopping(context):  # Dagster retries an interrupted step too: not when the run is terminated
        raise dg.Failure(description="the run is being stopped: the step is not retried", allow_retries=False)
    allowed = runner_retries(dict(request.config))
    if attempt > allowed:
        raise dg.Failure(
            description=f"the runner died and runner.retries={allowed} retries are used up: see the "
            "previous attempts' failures (raise runner.retries, or runner.memory when it ran out of memory)",
            allow_retries=False,
        )
    run_record = context.instance.get_run_by_id(context.run_id)
    tags = run_record.tags if run_record is not None else context.run.tags
    job_id = request.job_id or tags.get(kind.names.id_tag)
    context.log.info(
        f"retry {attempt} of {allowed}: resuming {kind.names.name} {job_id} in the same log directory "
        "(finished samples are kept)"
    )
    return dataclasses.replace(request, job_id=job_id)


INTERRUPTED_EXIT_CODES = frozenset({-2, 130})
"""SIGINT: the runner was asked to stop (a run being terminated), not a death to retry."""


def stopping(context: dg.OpExecutionContext, exc: RunnerDied) -> bool:
    """The runner ended because the run is being stopped (`hawk delete`, the UI's Terminate): no retry."""
    return exc.returncode in INTERRUPTED_EXIT_CODES or run_stopping(context)


def run_stopping(context: dg.OpExecutionContext) -> bool:
    """The run is being terminated (CANCELING) or was (CANCELED)."""
    record = context.instance.get_run_by_id(context.run_id)
    stopped = (dg.DagsterRunStatus.CANCELING, dg.DagsterRunStatus.CANCELED)
    return record is not None and record.status in stopped


def tag_run_id(kind: RunKind[Any], context: dg.OpExecutionContext, job_id: str) -> None:
    """Tag the Dagster run with the run's id (`hawk/<kind> id`), once."""
    if context.run.tags.get(kind.names.id_tag) != job_id:
        context.instance.add_run_tags(context.run_id, {kind.names.id_tag: job_id})


def release_run_secrets(
    context: dg.OpExecutionContext, secret_refs: Iterable[str], settings: RunnerSettings
) -> None:
    """The run ended: its local secret stores go (a resume passes the secrets again)."""
    released = release_secret_refs(secret_refs, settings.secret_store())
    if released:
        context.log.info(f"deleted the run's local secret store(s): {', '.join(released)}")


def run_step(
    kind: RunKind[Any], context: dg.OpExecutionContext, request: RunRequest, *, shard: bool = False
) -> dg.Output[dict[str, Any]]:
    """Run `request` as a `kind` run; fail the step with one line when it does not succeed. A runner that
    died (no error of its own) is retried up to `runner.retries` times; other failures are not retried.
    A `shard` step runs a request its run's first step already checked, and leaves the run's secrets to
    the last step (the other shards still need them)."""
    if not shard:
        request = checked_launch(kind, context, request)

    def tag_run(job_id: str) -> None:
        tag_run_id(kind, context, job_id)

    settings = runner_settings(context)
    retrying = False
    try:
        request = retry_allowance(kind, context, request)
        outcome = run(
            kind,
            settings,
            request,
            PipesSubprocessRunner(context),
            context.log,
            on_job_id=tag_run,
        )
    except RunnerDied as exc:
        allowed = runner_retries(dict(request.config))
        if stopping(context, exc):
            raise dg.Failure(description=f"{exc}; the run is being stopped", allow_retries=False) from None
        if context.retry_number < allowed:
            retrying = True  # the retry needs the run's secrets again
            context.log.warning(f"{exc}: retrying (attempt {context.retry_number + 1} of {allowed})")
            raise dg.RetryRequested(max_retries=allowed) from exc
        raise dg.Failure(
            description=f"{exc}; runner.retries={allowed} retries are used up", allow_retries=False
        ) from None
    except RunFailed as exc:
        metadata = outcome_metadata(kind, exc.outcome) if exc.outcome is not None else None
        if exc.outcome is not None:  # a partly failed run still wrote logs
            report_log_store(kind, context, settings.log_store(), exc.outcome)
        raise dg.Failure(description=str(exc), allow_retries=False, metadata=metadata) from None
    finally:
        # The run ended, success or failure: its local secret stores go (a resume passes them again);
        # a retry still needs them, and so do the other shards.
        if not retrying and not shard:
            release_run_secrets(context, request.secret_refs, settings)
    report_log_store(kind, context, settings.log_store(), outcome)
    return dg.Output(outcome.model_dump(mode="json"), metadata=outcome_metadata(kind, outcome))


def checked_launch(kind: RunKind[Any], context: dg.OpExecutionContext, request: RunRequest) -> RunRequest:
    """The request as its launch grant allows it (id and author from the grant), before anything is
    installed; a run without a valid grant fails here, leaving everything (secret stores too) untouched."""
    try:
        decision = check_launch(
            GrantSettings.from_env(),
            tags=context.run.tags,
            job_type=kind.names.job_type,
            job_id=grant_job_id(request.job_id, request.config, kind.names.id_key),
            config_data=request.config,
            created_by=request.created_by,
        )
    except GrantError as exc:
        raise dg.Failure(description=f"run refused: {exc}", allow_retries=False) from None
    if decision.grant is None:
        context.log.info(decision.note or "")
        return request
    context.log.info(
        f"launch grant: {kind.names.name} {decision.grant.job_id} by {decision.grant.created_by} "
        f"(issued by {decision.grant.issued_by})"
    )
    return dataclasses.replace(request, job_id=decision.grant.job_id, created_by=decision.created_by)


def outcome_metadata(kind: RunKind[Any], outcome: RunOutcome) -> dict[str, dg.MetadataValue]:
    """The outcome's facts, its records as a table, the results table, and any warnings."""
    metadata: dict[str, dg.MetadataValue] = {
        name: dg.MetadataValue.int(value) if isinstance(value, int) else dg.MetadataValue.text(value)
        for name, value in outcome.facts().items()
    }
    table = records_table(outcome.records())
    if table is not None:
        metadata[outcome.labels.records_name] = table
    metadata["results"] = dg.MetadataValue.md(f"```\n{outcome.table()}\n```")
    warnings = outcome.warnings()
    if warnings:
        metadata["warnings"] = dg.MetadataValue.md("\n".join(f"- {w}" for w in warnings))
    return metadata


def job_executor(kind: RunKind[Any], executor_def: dg.ExecutorDefinition | None) -> dg.ExecutorDefinition:
    """The deployment's executor; locally, a kind that shards gets `multi_or_in_process_executor`, so the
    run config picks per run (`execution.config.in_process` / `.multiprocess`, see `local_execution`)."""
    executor = executor_def or dg.in_process_executor
    if kind.shard_plan is not None and executor.name in LOCAL_EXECUTORS:
        return dg.multi_or_in_process_executor
    return executor


LOCAL_EXECUTORS = frozenset({"in_process", "multiprocess"})


def make_run_job(
    kind: RunKind[Any], op: dg.OpDefinition, executor_def: dg.ExecutorDefinition | None = None
) -> dg.JobDefinition:
    """The job of `kind`: its one step, with the executor chosen by the deployment (see `hawk_dagster.k8s`).
    A kind that shards (`RunKind.shard_plan`) adds the shard steps: the first step runs an unsplit run
    itself, or fans out one `run_<kind>_shard` step per shard and `finish_<kind>` after them."""
    deployed = executor_def or dg.in_process_executor
    executor = job_executor(kind, executor_def)

    @dg.job(
        name=kind.names.job_name,
        description=f"Run a Hawk {kind.names.name} config with {kind.names.tool}; output goes to <log root>/{kind.names.log_prefix}/<{kind.names.id_key}>/ (the log_store/{kind.names.log_prefix} asset). Config: {CONFIG_REFERENCE}.",
        executor_def=executor,
        tags={JOB_TYPE_TAG: kind.names.job_type, EXECUTOR_TAG: deployed.name},
    )
    def run_job() -> None:
        if kind.shard_plan is None:
            op()
            return
        _result, shards = op()
        finish_op(kind)(shards.map(shard_op(kind)).collect())

    return run_job


SHARDS_OUTPUT = "shards"
"""The first step's dynamic output: one item per shard when the run is split, none when it is not."""


def planned_shards(
    kind: RunKind[Any], context: dg.OpExecutionContext, request: RunRequest
) -> list[dict[str, Any]] | None:
    """The shard steps' work when the run splits (the grant checked, the id resolved and tagged), else
    None: the first step runs it as one (and reports a bad config itself)."""
    from hawk_dagster.config.loading import ConfigError, validate_config_data
    from hawk_dagster.runs.kind import RunError
    from hawk_dagster.runs.shards import raw_shards_setting, remove_stale_shares

    assert kind.shard_plan is not None
    if raw_shards_setting(request.config) == 1:
        return None
    settings = runner_settings(context)
    try:
        config = validate_config_data(dict(request.config), kind=kind.names.name).config
        prepared = kind.prepare(
            config,
            store=settings.log_store(),
            job_id=request.job_id,
            created_by=request.created_by or "",
            cwd=settings.package_base_path(),
            options=request.options,
        )
    except (ConfigError, RunError):
        return None  # the one step fails with the usual message
    shards = kind.shard_plan(prepared)
    if len(shards) <= 1:
        return None
    request = checked_launch(kind, context, request)
    job_id = kind.resolve_job_id(config, request.job_id)
    tag_run_id(kind, context, job_id)
    removed = remove_stale_shares(settings.log_store(), job_id, len(shards))
    if removed:
        context.log.info(f"removed the share files of an earlier split: {', '.join(removed)}")
    context.log.info(
        f"{kind.names.name} {job_id}: {len(shards)} shards of "
        + ", ".join(f"{len(shard.cells)}" for shard in shards)
        + " task x model cell(s), one step each"
    )
    base = {
        "config": dict(request.config),
        "job_id": job_id,
        "created_by": request.created_by,
        "secret_refs": list(request.secret_refs),
    }
    return [
        {**base, "options": {**request.options, "shard": {"index": s.index, "count": s.count}}}
        for s in shards
    ]


def shard_request(work: dict[str, Any]) -> RunRequest:
    return RunRequest(
        config=work["config"],
        job_id=work["job_id"],
        created_by=work["created_by"],
        secret_refs=tuple(work["secret_refs"]),
        options=work["options"],
    )


def shard_op(kind: RunKind[Any]) -> dg.OpDefinition:
    """One shard of a split run: the one step's body on the shard's cells."""

    @dg.op(
        name=kind.shard_op_name,
        description=f"Run one shard of a Hawk {kind.names.name} (its share of the task x model grid) with {kind.names.tool}.",
        tags={"kind": "inspect"},
        required_resource_keys=set(RESOURCE_KEYS),
        retry_policy=STEP_RETRY_POLICY,
    )
    def run_shard_op(context: dg.OpExecutionContext, work: dict) -> dg.Output[dict[str, Any]]:  # type: ignore[type-arg]
        return run_step(kind, context, shard_request(work), shard=True)

    op: dg.OpDefinition = run_shard_op
    return op


def outcomes_secret_refs(context: dg.OpExecutionContext, kind: RunKind[Any]) -> list[str]:
    """The run's secret references, from the first step's op config."""
    ops: Any = context.run_config.get("ops") or {}
    op_config = (ops.get(kind.names.op_name) or {}).get("config") or {}
    return [str(ref) for ref in op_config.get("secret_refs") or []]


def finish_op(kind: RunKind[Any]) -> dg.OpDefinition:
    """After every shard succeeded: the run's folder completed (`RunKind.finish_shards`), the outcomes
    merged into the run's one outcome, the run's secrets released."""

    @dg.op(
        name=kind.finish_op_name,
        description=f"Complete a split Hawk {kind.names.name}: merge its shards' outcomes and the folder's eval-set file.",
        required_resource_keys=set(RESOURCE_KEYS),
    )
    def finish_shards_op(context: dg.OpExecutionContext, outcomes: list) -> dg.Output[dict[str, Any]]:  # type: ignore[type-arg]
        assert kind.finish_shards is not None
        settings = runner_settings(context)
        store = settings.log_store()
        merged = kind.outcome_type.merge([kind.outcome_from_output(o) for o in outcomes])
        kind.finish_shards(store, merged.job_id, len(outcomes))
        release_run_secrets(context, outcomes_secret_refs(context, kind), settings)
        report_log_store(kind, context, store, merged)
        return dg.Output(merged.model_dump(mode="json"), metadata=outcome_metadata(kind, merged))

    op: dg.OpDefinition = finish_shards_op
    return op


def step_op(kind: RunKind[Any], config_schema: Any = None) -> Any:
    """The decorator of a kind's op: its name, its resources, its description, its config schema; a kind
    that shards has two optional outputs: `result` (an unsplit run's outcome) and `shards`."""
    outs: dict[str, dg.Out] | None = None
    if kind.shard_plan is not None:
        outs = {"result": dg.Out(is_required=False), SHARDS_OUTPUT: dg.DynamicOut(is_required=False)}
    return dg.op(
        config_schema=config_schema,
        name=kind.names.op_name,
        description=f"Validate a Hawk {kind.names.name} config, install its packages in a runner venv, run {kind.names.tool}"
        + (" (or, split into shards, plan one step per shard)." if outs else "."),
        tags={"kind": "inspect"},
        required_resource_keys=set(RESOURCE_KEYS),
        retry_policy=STEP_RETRY_POLICY,
        out=outs,
    )


def run_op(kind: RunKind[Any], options: type[RunOptions]) -> dg.OpDefinition:
    """The op of `kind`: its config typed from the kind's config model and `options`, its body the one step.
    (This module has no `from __future__ import annotations`: Dagster checks the `context` annotation as a
    class, not a string.)"""

    if kind.shard_plan is None:

        @step_op(kind, config_schema=op_config_schema(kind, options))
        def run_kind_op(context: dg.OpExecutionContext) -> dg.Output[dict[str, Any]]:
            return run_step(kind, context, launch_request(kind, options, context))

        op: dg.OpDefinition = run_kind_op
        return op

    @step_op(kind, config_schema=op_config_schema(kind, options))
    def run_or_plan_op(context: dg.OpExecutionContext) -> Iterator[dg.Output[Any] | dg.DynamicOutput[Any]]:
        request = launch_request(kind, options, context)
        work = planned_shards(kind, context, request)
        if work is None:
            yield run_step(kind, context, request)
            return
        for item in work:
            shard = item["options"]["shard"]
            key = f"shard_{shard['index'] + 1}_of_{shard['count']}"
            yield dg.DynamicOutput(item, mapping_key=key, output_name=SHARDS_OUTPUT)

    sharding_op: dg.OpDefinition = run_or_plan_op
    return sharding_op
