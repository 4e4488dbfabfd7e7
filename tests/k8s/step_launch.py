"""Launch one step the way `k8s_job_executor` does in a cluster, against the fake API server.

Everything below is dagster's and dagster-k8s's own code: the executor is built by the job's
executor's creation function (`k8s_job_executor`, or ours around it) from the run config's processed `execution` section, and
`K8sStepHandler.launch_step` merges run launcher + code location container context + executor
config + op tags + `per_step_k8s_config`, builds the Job (`construct_dagster_k8s_job`) and POSTs it
with the kubernetes client. The fake API server records the body as sent (the serialized manifest).
The plan/step contexts are built with dagster internals, as dagster-k8s's own executor tests do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster._core.execution.api import create_execution_plan
from dagster._core.execution.context.system import PlanData, PlanOrchestrationContext
from dagster._core.execution.context_creation_job import create_context_free_log_manager
from dagster._core.execution.plan.state import KnownExecutionState
from dagster._core.execution.retries import RetryMode
from dagster._core.executor.init import InitExecutorContext
from dagster._core.executor.step_delegating.step_handler.base import StepHandlerContext
from dagster._core.system_config.objects import ResolvedRunConfig
from dagster._grpc.types import ExecuteStepArgs

from tests.k8s.fake_kube_api import FakeKubeApi


def step_handler_context(
    *,
    instance: dg.DagsterInstance,
    job_def: dg.JobDefinition,
    recon_job: Any,
    run_config: Mapping[str, Any],
    container_context: Mapping[str, Any],
    image: str,
    tags: Mapping[str, str] | None = None,
    step_key: str | None = None,
    mapping_keys: Mapping[str, Mapping[str, list[str]]] | None = None,
) -> tuple[Any, StepHandlerContext]:
    """(the executor, the step handler context of the job's first step, or of `step_key`), as the run
    worker builds them. `mapping_keys` resolves dynamic outputs (`{op: {output: [keys]}}`), so a mapped
    step (`run_eval_set_shard[shard_1_of_2]`) can be launched."""
    origin = recon_job.get_python_origin()
    origin = origin._replace(
        repository_origin=origin.repository_origin._replace(
            container_context=dict(container_context), container_image=image
        )
    )
    run = instance.create_run_for_job(
        job_def, run_config=run_config, tags=dict(tags or {}), job_code_origin=origin
    )
    executor = job_def.executor_def.executor_creation_fn(  # type: ignore[misc]
        InitExecutorContext(
            job=recon_job,
            executor_def=job_def.executor_def,
            executor_config=ResolvedRunConfig.build(job_def, run_config).execution.execution_engine_config,
            instance=instance,
        )
    )
    known = KnownExecutionState(dynamic_mappings={k: dict(v) for k, v in (mapping_keys or {}).items()})
    plan = create_execution_plan(
        job_def,
        run_config=run_config,
        step_keys_to_execute=[step_key] if step_key else None,
        known_state=known,
    )
    step = plan.get_step_by_key(step_key) if step_key else plan.get_steps_to_execute_in_topo_order()[0]
    plan_context = PlanOrchestrationContext(
        plan_data=PlanData(
            job=recon_job,
            dagster_run=run,
            instance=instance,
            execution_plan=plan,
            raise_on_error=True,
            retry_mode=RetryMode.DISABLED,
        ),
        log_manager=create_context_free_log_manager(instance, run),
        executor=executor,
        output_capture=None,
    )
    handler_context = StepHandlerContext(
        instance=instance,
        plan_context=plan_context,
        steps=[step],  # type: ignore[list-item]
        execute_step_args=ExecuteStepArgs(
            job_origin=origin,
            run_id=run.run_id,
            step_keys_to_execute=[step.key],
            instance_ref=instance.get_ref(),
            retry_mode=RetryMode.DISABLED,
            should_verify_step=True,
            print_serialized_events=False,
        ),
        dagster_run=run,
    )
    return executor, handler_context


def launch_step_job(*, api: FakeKubeApi, **step: Any) -> tuple[str, dict[str, Any]]:
    """(namespace, Job body) that the step handler sent for the job's only step (`step`: the arguments of
    `step_handler_context`)."""
    executor, handler_context = step_handler_context(**step)
    before = len(api.requests)
    list(executor._step_handler.launch_step(handler_context))
    posted = [r for r in api.requests[before:] if r.method == "POST" and r.kind == "jobs"]
    assert len(posted) == 1, (
        f"expected one Job POST, got {[(r.method, r.path) for r in api.requests[before:]]}"
    )
    assert posted[0].body is not None
    return posted[0].namespace, posted[0].body
