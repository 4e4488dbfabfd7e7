"""The eval-set kind of run: its spec (Inspect `eval_set()` arguments), its outcome, its results table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

from pydantic import BaseModel, Field

from hawk_dagster.logstore import EVALS_PREFIX, LogStore
from hawk_dagster.runner.spec import EvalSetRunSpec, build_eval_set_spec, model_names
from hawk_dagster.runs.kind import (
    BuiltSpec,
    OutcomeLabels,
    PreparedRun,
    RunKind,
    RunNames,
    RunOutcome,
    SpecRequest,
)
from hawk_dagster.runs.shards import (
    SHARDS_DIR,
    ShardSpec,
    grid_cells,
    shard_count,
    split,
    write_merged_eval_set,
)
from hawk_dagster.runs.table import format_table
from hawk_dagster.runs.tags import EVAL_SET_ID_TAG


class LogResult(BaseModel):
    """One Inspect log of the eval set: a task on a model."""

    location: str
    task: str
    model: str
    status: str
    total_samples: int = 0
    completed_samples: int = 0
    scores: dict[str, float | None] = Field(default_factory=dict)
    error: str | None = None

    @property
    def file_name(self) -> str:
        return self.location.rstrip("/").rsplit("/", 1)[-1]

    @property
    def headline(self) -> str:
        return ", ".join(
            f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in self.scores.items()
        )


class EvalSetOutcome(RunOutcome):
    labels: ClassVar[OutcomeLabels] = OutcomeLabels("eval_set_id", "log_dir", "Logs", "logs")

    eval_set_id: str
    log_dir: str
    success: bool = True
    logs: list[LogResult] = Field(default_factory=list)

    @classmethod
    def from_summary(cls, prepared: PreparedRun, summary: Mapping[str, Any], store: LogStore) -> Self:
        return cls(
            eval_set_id=prepared.job_id,
            log_dir=prepared.location,
            success=bool(summary.get("success")),
            logs=summary.get("logs", []),
        )

    @property
    def failed_logs(self) -> list[LogResult]:
        return [log for log in self.logs if log.status in ("error", "cancelled")]

    @classmethod
    def merge(cls, outcomes: list[Self]) -> Self:
        """The whole grid's outcome from its shards' (one eval set, one folder)."""
        first = outcomes[0]
        logs = sorted((log for o in outcomes for log in o.logs), key=lambda log: (log.task, log.model))
        return cls(
            eval_set_id=first.eval_set_id,
            log_dir=first.log_dir,
            success=all(o.success for o in outcomes),
            logs=logs,
        )

    def failure(self) -> str | None:
        """One line per failed task, with Inspect's own message, or None when every task succeeded."""
        failed = self.failed_logs
        if not failed and self.success:
            return None
        if not failed:
            return f"eval set {self.eval_set_id} did not complete (see the run log)"
        return "; ".join(
            f"{log.task} on {log.model} ended with status {log.status}: {log.error or 'no message'}"
            for log in failed
        )

    def counts(self) -> dict[str, int]:
        return {"logs": len(self.logs), "samples": sum(log.completed_samples for log in self.logs)}

    def facts(self) -> dict[str, str | int]:
        return {"eval_set_id": self.eval_set_id, "log_dir": self.log_dir}

    def table(self) -> str:
        """Task x model results."""
        rows = [
            (log.task, log.model, log.status, f"{log.completed_samples}/{log.total_samples}", log.headline)
            for log in sorted(self.logs, key=lambda entry: (entry.task, entry.model))
        ]
        return format_table(("task", "model", "status", "samples", "scores"), rows)

    def records(self) -> list[dict[str, str | int]]:
        return [
            {
                "file": log.file_name,
                "task": log.task,
                "model": log.model,
                "status": log.status,
                "samples": f"{log.completed_samples}/{log.total_samples}",
                "scores": log.headline,
            }
            for log in self.logs
        ]


SHARD_OPTION = "shard"
"""The kind option naming a shard step's share of the grid: `{"index": k, "count": n}` (0-based k)."""


def build_spec(request: SpecRequest) -> BuiltSpec:
    from hawk_dagster.sandboxes.plan import cluster_sandbox_plan

    shard = request.options.get(SHARD_OPTION)
    spec = build_eval_set_spec(
        request.config,
        eval_set_id=request.job_id,
        log_dir=request.location,
        created_by=request.created_by,
        log_dir_allow_dirty=bool(request.options.get("log_dir_allow_dirty", False)) or shard is not None,
        sandboxes=cluster_sandbox_plan(request.store, request.job_id, request.created_by),
    )
    grid = f"{len(spec.tasks)} task(s) x {max(1, len(spec.solvers))} solver(s) x {max(1, len(spec.models))} model(s)"
    if shard is not None:
        planned = shard_of(spec, int(shard["index"]), int(shard["count"]))
        spec = spec.model_copy(
            update={"cells": planned.cells, "shard_file": f"{SHARDS_DIR}/{planned.file_name}"}
        )
        grid = f"{planned.label}: {len(planned.cells)} of the {grid_size(spec)} task x model cells of {grid}"
    return BuiltSpec(spec, grid, model_names(request.config))


def finish_shards(store: LogStore, eval_set_id: str, count: int) -> None:
    """Every shard finished: `eval-set.json` names the whole grid, `logs.json` lists every shard's final
    log headers (Inspect's own listing, rewritten after the last shard)."""
    from inspect_ai._eval.evalset import write_log_dir_manifest

    write_merged_eval_set(store, eval_set_id, count)
    write_log_dir_manifest(store.eval_set_dir(eval_set_id))


def grid_size(spec: EvalSetRunSpec) -> int:
    return len(grid_cells(len(spec.tasks), len(spec.models)))


def shard_plan(spec: EvalSetRunSpec, setting: int | str) -> list[ShardSpec]:
    """The shards `runner.shards` (`setting`) splits this spec's grid into (one: run unsharded)."""
    cells = grid_cells(len(spec.tasks), len(spec.models))
    return split(cells, shard_count(setting, len(cells)))


def shard_of(spec: EvalSetRunSpec, index: int, count: int) -> ShardSpec:
    """Shard `index` of a split into `count` shards (as `shard_plan` made it)."""
    shards = split(grid_cells(len(spec.tasks), len(spec.models)), count)
    if not 0 <= index < len(shards) or not shards[index].cells:
        raise ValueError(f"shard {index + 1} of {count} has no task x model cell in this eval set")
    return shards[index]


EVAL_SET: RunKind[EvalSetOutcome] = RunKind(
    names=RunNames(
        "eval-set", "Eval set", "eval_set", "eval_set_id", EVAL_SET_ID_TAG, EVALS_PREFIX, "Inspect"
    ),
    runtime_dists=("inspect-ai",),
    outcome_type=EvalSetOutcome,
    build_spec=build_spec,
    config_id=lambda config: config.eval_set_id,
    cluster_dists=("inspect-k8s-sandbox",),
    shard_plan=lambda prepared: shard_plan(
        EvalSetRunSpec.model_validate(prepared.spec), prepared.config.runner.shards
    ),
    finish_shards=finish_shards,
)
