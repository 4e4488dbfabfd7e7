"""The op config of a run step as the Launchpad shows it, and the `RunRequest` read back from it.

`ops.run_<kind>.config` holds the user's Hawk config under `<config_key>` (typed from the pydantic config
model by `hawk_dagster.config.dagster_schema`, with the example config as its default, so the Launchpad
opens on a config that runs) and the launcher's options (the id, who, secret references, kind options)
typed from `RunOptions` below. The CLI's run config (`hawk eval-set`, `hawk scan`) has the same shape.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import dagster as dg
import yaml
from pydantic import BaseModel, ConfigDict, Field

from hawk_dagster.config.dagster_schema import dagster_config_type, model_config_type
from hawk_dagster.runs.execute import RunRequest
from hawk_dagster.runs.kind import RunKind, default_created_by
from hawk_dagster.runs.tags import CREATED_BY_TAG

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"

CONFIG_REFERENCE = "README.md § Config reference (`hawk schema eval-set` / `hawk schema scan`)"
"""Where the Hawk config fields are documented: named in job, op and asset descriptions."""


class RunOptions(BaseModel):
    """What every kind's op config holds besides the user's config and the run's id."""

    model_config = ConfigDict(extra="forbid")

    created_by: str | None = Field(
        default=None, description="Who launched the run (default: the run's hawk/created_by tag, else $USER)."
    )
    secret_refs: list[str] = Field(
        default_factory=list,
        description="Names of secret stores holding the run's secrets (never the values).",
    )


class EvalSetOptions(RunOptions):
    eval_set_id: str | None = Field(
        default=None,
        description="Eval set id (log folder). Defaults to the config's eval_set_id, else a generated one.",
    )
    log_dir_allow_dirty: bool = Field(default=False, description="Allow a log folder with other tasks' logs.")


class ScanOptions(RunOptions):
    scan_run_id: str | None = Field(
        default=None, description="Scan run id (results folder scans/<id>/). Defaults to a generated one."
    )


def example_config(kind: RunKind[Any]) -> dict[str, Any] | None:
    """`examples/simple.<kind>.yaml`, the Launchpad's default; None when the examples are not shipped.
    Its relative package paths resolve against the runner's `package_base_dir` (default: the cwd, which
    is the repository root under `workspace.yaml`)."""
    path = EXAMPLES_DIR / f"simple.{kind.names.name}.yaml"
    if not path.is_file():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else None


def op_config_schema(kind: RunKind[Any], options: type[RunOptions]) -> Any:
    """`{<config_key>: <the Hawk config, default: the example>, **options}` as a Dagster config type."""
    block_description = (
        f"The Hawk {kind.names.name} config (the YAML file's content); fields: {CONFIG_REFERENCE}."
    )
    default = example_config(kind)
    block = (
        dg.Field(dagster_config_type(kind.names.name), default_value=default, description=block_description)
        if default is not None
        else dg.Field(dagster_config_type(kind.names.name), description=block_description)
    )
    fields = dict(model_config_type(options).fields)
    assert kind.names.id_key in fields and kind.names.config_key not in fields
    return dg.Shape({kind.names.config_key: block, **fields})


def run_request(kind: RunKind[Any], options: type[RunOptions], op_config: dict[str, Any]) -> RunRequest:
    """The `RunRequest` of an op config (validated by `options`; the Hawk config is validated by the run)."""
    data = dict(op_config)
    config = data.pop(kind.names.config_key)
    parsed = options.model_validate(data).model_dump()
    job_id = parsed.pop(kind.names.id_key)
    created_by, secret_refs = parsed.pop("created_by"), parsed.pop("secret_refs")
    return RunRequest(config, job_id, created_by, secret_refs, parsed)


def launch_request(
    kind: RunKind[Any], options: type[RunOptions], context: dg.OpExecutionContext
) -> RunRequest:
    """The step's `RunRequest`, and the run tagged as a CLI run is: a run launched from the UI has no
    `hawk/created_by` tag, so it gets the op config's `created_by`, else the instance's user ($USER)."""
    request = run_request(kind, options, dict(context.op_config))
    created_by = request.created_by or context.run.tags.get(CREATED_BY_TAG) or default_created_by()
    if context.run.tags.get(CREATED_BY_TAG) is None:
        context.instance.add_run_tags(context.run_id, {CREATED_BY_TAG: created_by})
    return replace(request, created_by=created_by)
