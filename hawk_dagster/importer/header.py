"""The log header (header.json, or _journal/start.json for a log that never finished): the few fields
the warehouse stores, validated with lenient pydantic models (unknown and missing fields tolerated, so
logs of older and newer Inspect versions import)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hawk_dagster.importer.errors import LogFormatError
from hawk_dagster.warehouse.schema import EvalStatus


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class EvalConfigFields(_Lenient):
    epochs: int | None = None
    message_limit: int | None = None
    token_limit: int | None = None
    time_limit: float | None = None
    working_limit: int | None = None


class ModelRoleFields(_Lenient):
    model: str
    config: dict[str, Any] | None = None
    base_url: str | None = None
    args: dict[str, Any] | None = None


class EvalSpecFields(_Lenient):
    eval_id: str | None = None
    eval_set_id: str | None = None
    run_id: str | None = None
    created: str | None = None
    task: str
    task_id: str
    task_version: int | str | None = None
    task_args: dict[str, Any] | None = None
    model: str
    model_generate_config: dict[str, Any] | None = None
    model_args: dict[str, Any] | None = None
    model_roles: dict[str, ModelRoleFields] | None = None
    config: EvalConfigFields = Field(default_factory=EvalConfigFields)
    metadata: dict[str, Any] | None = None

    @field_validator("config", mode="before")
    @classmethod
    def _config_or_default(cls, value: Any) -> Any:
        return {} if value is None else value


class ResultsFields(_Lenient):
    total_samples: int = 0
    completed_samples: int = 0


class StatsFields(_Lenient):
    started_at: str | None = None
    completed_at: str | None = None
    model_usage: dict[str, Any] | None = None


class ErrorFields(_Lenient):
    message: str | None = None
    traceback: str | None = None


class LogHeader(_Lenient):
    version: int | None = None
    status: EvalStatus = "started"
    eval: EvalSpecFields
    plan: dict[str, Any] | None = None
    results: ResultsFields | None = None
    stats: StatsFields | None = None
    error: ErrorFields | None = None

    @property
    def eval_id(self) -> str:
        """Inspect's eval id; very old logs lack it: their task and run ids stand in."""
        spec = self.eval
        return spec.eval_id or f"{spec.task_id}-{spec.run_id or 'run'}"

    @property
    def agent(self) -> str:
        """Hawk's agent name: the plan's name, or its solvers comma-joined when the plan is unnamed."""
        plan = self.plan or {}
        name = plan.get("name")
        if name == "plan" or not name:
            solvers = [
                str(step["solver"])
                for step in plan.get("steps") or []
                if isinstance(step, dict) and step.get("solver")
            ]
            if solvers:
                return ",".join(solvers)
        return str(name or "")


def parse_header(document: dict[str, Any], name: str) -> LogHeader:
    try:
        return LogHeader.model_validate(document)
    except ValidationError as error:
        raise LogFormatError(
            f"the header of {name} is not an Inspect eval header ({describe(error)})"
        ) from error


def describe(error: ValidationError) -> str:
    """Every problem of a validation error, missing fields named together: `missing eval.task,
    eval.model; status: Input should be ...`."""
    missing: list[str] = []
    other: list[str] = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"])
        if problem["type"] == "missing":
            missing.append(where)
        else:
            other.append(f"{where}: {problem['msg']}")
    parts = ([f"missing {', '.join(missing)}"] if missing else []) + other
    return "; ".join(parts)
