"""From a validated `EvalSetConfig` to the plain JSON spec the runner subprocess executes.

This is Hawk's `run_eval_set.py` mapping, split so the part that decides every
`inspect_ai.eval_set()` argument is a plain, testable function here, and the part that needs Inspect's
registry runs in the runner venv (`entry_eval_set.py`). The spec never holds secrets.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from hawk_dagster.config.base import BuiltinConfig, ModelConfig, PackageConfig, qualified_name
from hawk_dagster.config.evals import RUNNER_OWNED_EVAL_SET_KWARGS, EvalSetConfig
from hawk_dagster.sandboxes.plan import SandboxPlan

# Hawk's infra defaults for eval_set() (EvalSetInfraConfig), adapted: progress goes to the log display
# so it streams into the Dagster run log.
RUNNER_EVAL_SET_DEFAULTS: dict[str, Any] = {
    "retry_cleanup": False,
    "continue_on_fail": True,
    "log_level": "info",
    "display": "log",
    "max_samples": 1_000,
    "max_tasks": 1_000,
    "log_shared": True,
    "bundle_overwrite": False,
}


class ModelSpec(BaseModel):
    name: str
    args: dict[str, Any] = {}


class RegistryItemSpec(BaseModel):
    name: str
    kind: str = "solver"
    args: dict[str, Any] = {}


class TaskSpec(BaseModel):
    name: str
    args: dict[str, Any] = {}
    sample_ids: list[str | int] | None = None


class EvalSetRunSpec(BaseModel):
    """Everything the runner subprocess needs; serialised to JSON."""

    eval_set_id: str
    log_dir: str
    tasks: list[TaskSpec]
    solvers: list[RegistryItemSpec]
    models: list[ModelSpec]
    model_roles: dict[str, ModelSpec]
    eval_set_kwargs: dict[str, Any]
    sandboxes: SandboxPlan | None = None
    """In a cluster: how the runner rewrites the tasks' sandboxes (`hawk_dagster.sandboxes`); None locally."""
    cells: list[tuple[int, int]] | None = None
    """A shard's (task index, model index) cells (`hawk_dagster.runs.shards`); None: the whole grid."""
    shard_file: str | None = None
    """A shard's share file, relative to `log_dir` (`.hawk-shards/shard-<k>-of-<n>.json`); None unsharded."""


def model_spec(
    package: PackageConfig[ModelConfig] | BuiltinConfig[ModelConfig], item: ModelConfig
) -> ModelSpec:
    args: dict[str, Any] = {}
    if item.args is not None:
        args = item.args.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True)
        args.pop("api_key", None)
    return ModelSpec(name=qualified_name(package, item), args=args)


def build_eval_set_spec(
    config: EvalSetConfig,
    *,
    eval_set_id: str,
    log_dir: str,
    created_by: str,
    log_dir_allow_dirty: bool = False,
    sandboxes: SandboxPlan | None = None,
) -> EvalSetRunSpec:
    """The task x solver/agent x model grid and every eval_set() keyword, as Hawk maps them."""
    extras = dict(config.model_extra or {})
    clashing = sorted(set(extras) & RUNNER_OWNED_EVAL_SET_KWARGS)
    if clashing:
        raise ValueError(
            f"config keys {clashing} are set by the runner and cannot be given in the eval-set config (remove them)"
        )

    tasks = [
        TaskSpec(name=qualified_name(package, item), args=item.args or {}, sample_ids=item.sample_ids)
        for package in config.tasks
        for item in package.items
    ]
    solvers = [
        RegistryItemSpec(name=qualified_name(package, item), kind="solver", args=item.args or {})
        for package in config.solvers or []
        for item in package.items
    ] + [
        RegistryItemSpec(name=qualified_name(package, item), kind="agent", args=item.args or {})
        for package in config.agents or []
        for item in package.items
    ]
    models = [model_spec(package, item) for package in config.models or [] for item in package.items]
    model_roles = {
        role: model_spec(package, package.items[0]) for role, package in (config.model_roles or {}).items()
    }

    metadata: dict[str, Any] = dict(config.metadata or {})
    if config.name:
        metadata["name"] = config.name
    metadata.update({"eval_set_id": eval_set_id, "created_by": created_by})

    approval: Any = config.approval
    if isinstance(approval, BaseModel):
        approval = approval.model_dump()
    epochs: Any = config.epochs
    if isinstance(epochs, BaseModel):
        epochs = epochs.model_dump()

    kwargs: dict[str, Any] = {
        **RUNNER_EVAL_SET_DEFAULTS,
        "log_dir_allow_dirty": log_dir_allow_dirty,
        "tags": list(config.tags or []),
        "metadata": metadata,
        "approval": approval,
        "epochs": epochs,
        "score": config.score,
        "limit": list(config.limit) if isinstance(config.limit, tuple) else config.limit,
        "sample_shuffle": config.sample_shuffle,
        "message_limit": config.message_limit,
        "token_limit": config.token_limit,
        "time_limit": config.time_limit,
        "working_limit": config.working_limit,
        **extras,
    }
    return EvalSetRunSpec(
        eval_set_id=eval_set_id,
        log_dir=log_dir,
        tasks=tasks,
        solvers=solvers,
        models=models,
        model_roles=model_roles,
        eval_set_kwargs=kwargs,
        sandboxes=sandboxes,
    )


def model_names(config: EvalSetConfig) -> list[str]:
    """Every model the eval set may call (models and model roles), qualified."""
    names = [qualified_name(package, item) for package in config.models or [] for item in package.items]
    names += [qualified_name(package, package.items[0]) for package in (config.model_roles or {}).values()]
    return sorted(set(names))
