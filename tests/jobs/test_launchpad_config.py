"""The run steps' op config as the Launchpad shows it: generated from the pydantic config models (their
fields and descriptions), the example config as its default, wrong types flagged by Dagster before launch,
and the run config the CLI builds still accepted as it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from pydantic import BaseModel

from hawk_dagster.cli.launch import plan_launch
from hawk_dagster.config.base import RunnerConfig
from hawk_dagster.config.dagster_schema import dagster_config_type
from hawk_dagster.config.evals import EvalSetConfig, TaskConfig
from hawk_dagster.config.loading import ConfigKind, validate_config_data
from hawk_dagster.config.scans import ScanConfig
from hawk_dagster.jobs.eval_set import RUN_EVAL_SET_OP, make_eval_set_job
from hawk_dagster.jobs.op_config import EvalSetOptions, run_request
from hawk_dagster.jobs.scan import RUN_SCAN_OP, make_scan_job
from hawk_dagster.runner.eval_set import EVAL_SET
from hawk_dagster.scans.run import SCAN, with_sources

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def fields_of(config_type: Any) -> dict[str, dg.Field]:
    """The fields of a (possibly Noneable / Array-wrapped) Dagster shape."""
    resolved = dg.Field(config_type).config_type
    while not hasattr(resolved, "fields"):
        resolved = resolved.inner_type
    return dict(resolved.fields)


def assert_same_fields(dagster_fields: dict[str, dg.Field], model: type[BaseModel]) -> None:
    expected = {field.alias or name: field.description for name, field in model.model_fields.items()}
    assert {name: field.description for name, field in dagster_fields.items()} == expected


@pytest.mark.parametrize(("kind", "model"), [("eval-set", EvalSetConfig), ("scan", ScanConfig)])
def test_every_field_comes_with_the_models_description(kind: ConfigKind, model: type[BaseModel]) -> None:
    top = fields_of(dagster_config_type(kind))
    assert_same_fields(top, model)
    assert_same_fields(fields_of(top["runner"].config_type), RunnerConfig)
    if kind == "eval-set":
        task_items = fields_of(fields_of(top["tasks"].config_type)["items"].config_type)
        assert_same_fields(task_items, TaskConfig)
    else:
        assert {"sources", "filter"} <= set(fields_of(top["transcripts"].config_type))


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda path: path.name)
def test_the_example_configs_pass_unchanged(path: Path) -> None:
    data = yaml.safe_load(path.read_text())
    kind = validate_config_data(data).kind
    job, op = (make_eval_set_job(), RUN_EVAL_SET_OP) if kind == "eval-set" else (make_scan_job(), RUN_SCAN_OP)
    key = "eval_set" if kind == "eval-set" else "scan"
    resolved = dg.validate_run_config(job, {"ops": {op: {"config": {key: data}}}})
    assert resolved["ops"][op]["config"][key] == data  # nothing added, nothing dropped


@pytest.mark.parametrize(
    ("eval_set", "field"),
    [
        ({"tasks": "hawk_examples/arith"}, "tasks"),
        ({"tasks": [{"package": "p", "name": "n", "items": {"name": "arith"}}]}, "items"),
        ({"tasks": [], "score": "yes"}, "score"),
        ({"tasks": [], "runner": {"environment": {"A": 1}}}, "environment"),
        ({"tasks": [], "models": [{"package": "p", "name": "n", "items": [{"name": 3}]}]}, "name"),
    ],
)
def test_wrong_types_are_flagged_before_launch(eval_set: dict[str, Any], field: str) -> None:
    with pytest.raises(dg.DagsterInvalidConfigError) as error:
        dg.validate_run_config(
            make_eval_set_job(), {"ops": {RUN_EVAL_SET_OP: {"config": {"eval_set": eval_set}}}}
        )
    assert field in str(error.value)


def test_which_fields_are_required_is_left_to_the_hawk_validation() -> None:
    """`eval_set: {}` launches, so the step fails with `hawk validate`'s message (tests/ui)."""
    resolved = dg.validate_run_config(
        make_eval_set_job(), {"ops": {RUN_EVAL_SET_OP: {"config": {"eval_set": {}}}}}
    )
    assert resolved["ops"][RUN_EVAL_SET_OP]["config"]["eval_set"] == {}


def test_the_jobs_default_to_the_example_configs() -> None:
    for job, op, key, name in [
        (make_eval_set_job(), RUN_EVAL_SET_OP, "eval_set", "simple.eval-set.yaml"),
        (make_scan_job(), RUN_SCAN_OP, "scan", "simple.scan.yaml"),
    ]:
        resolved = dg.validate_run_config(job, {})
        assert resolved["ops"][op]["config"][key] == yaml.safe_load((EXAMPLES / name).read_text())


def test_the_cli_run_config_is_accepted_as_it_is() -> None:
    plans = [
        plan_launch(EVAL_SET, EXAMPLES / "simple.eval-set.yaml", options={"log_dir_allow_dirty": True}),
        plan_launch(EVAL_SET, EXAMPLES / "troubles.eval-set.yaml", job_id="troubles-1"),
        plan_launch(
            SCAN,
            EXAMPLES / "simple.scan.yaml",
            job_id="scan-1",
            edit_config=lambda config: with_sources(config, ["some-eval-set"]),
        ),
    ]
    for plan in plans:
        job = make_eval_set_job() if plan.kind is EVAL_SET else make_scan_job()
        resolved = dg.validate_run_config(job, plan.run_config)
        op = plan.kind.names.op_name
        assert resolved["ops"][op]["config"] == plan.run_config["ops"][op]["config"]


def test_the_op_config_becomes_the_run_request() -> None:
    request = run_request(
        EVAL_SET,
        EvalSetOptions,
        {"eval_set": {"tasks": []}, "eval_set_id": "abc", "secret_refs": ["s"], "log_dir_allow_dirty": True},
    )
    assert (request.config, request.job_id, request.created_by, list(request.secret_refs)) == (
        {"tasks": []},
        "abc",
        None,
        ["s"],
    )
    assert request.options == {"log_dir_allow_dirty": True}
    with pytest.raises(dg.DagsterInvalidConfigError, match="no_such_option"):
        dg.validate_run_config(
            make_eval_set_job(),
            {"ops": {RUN_EVAL_SET_OP: {"config": {"eval_set": {}, "no_such_option": 1}}}},
        )
