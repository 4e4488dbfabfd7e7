"""EvalSetConfig: every field of Hawk's EvalSetConfig with a valid and an invalid case, plus helpers."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from hawk_dagster.config import (
    AgentConfig,
    ApprovalConfig,
    BuiltinConfig,
    EpochsConfig,
    EvalSetConfig,
    PackageConfig,
    SecretConfig,
    SingleModelBuiltinConfig,
    SingleModelPackageConfig,
    SolverConfig,
    TaskConfig,
)
from tests.config.helpers import config_error_lines, eval_set, load_ok, task_package

BUILTIN_MODEL = {"package": "inspect-ai", "items": [{"name": "mockllm/model"}]}
PACKAGE_MODEL = {"package": "my-models==2", "name": "my_models", "items": [{"name": "careful"}]}

# (field, valid value, check on the parsed config)
VALID_FIELDS: list[tuple[str, Any, Any]] = [
    ("tags", ["a", "b"], lambda c: c.tags == ["a", "b"]),
    ("metadata", {"team": "x", "n": 1}, lambda c: c.metadata == {"team": "x", "n": 1}),
    ("runner", {"memory": "8Gi", "cpu": "2"}, lambda c: (c.runner.memory, c.runner.cpu) == ("8Gi", "2")),
    ("name", "My eval set", lambda c: c.name == "My eval set"),
    ("eval_set_id", "my-set-1", lambda c: c.eval_set_id == "my-set-1"),
    ("eval_set_id", "a", lambda c: c.eval_set_id == "a"),
    ("eval_set_id", "a" * 43, lambda c: c.eval_set_id == "a" * 43),
    ("packages", ["numpy>=2", "pandas"], lambda c: c.packages == ["numpy>=2", "pandas"]),
    ("tasks", [task_package(sample_ids=[1, "b"])], lambda c: c.tasks[0].items[0].sample_ids == [1, "b"]),
    ("models", [BUILTIN_MODEL, PACKAGE_MODEL], lambda c: isinstance(c.models[0], BuiltinConfig)),
    ("models", [PACKAGE_MODEL], lambda c: isinstance(c.models[0], PackageConfig)),
    (
        "model_roles",
        {"grader": BUILTIN_MODEL, "red": PACKAGE_MODEL},
        lambda c: (
            isinstance(c.model_roles["grader"], SingleModelBuiltinConfig)
            and isinstance(c.model_roles["red"], SingleModelPackageConfig)
        ),
    ),
    (
        "solvers",
        [{"package": "inspect-ai", "items": [{"name": "generate"}]}],
        lambda c: isinstance(c.solvers[0].items[0], SolverConfig),
    ),
    (
        "agents",
        [{"package": "my-agents", "name": "my_agents", "items": [{"name": "react", "args": {"x": 1}}]}],
        lambda c: isinstance(c.agents[0].items[0], AgentConfig) and c.agents[0].items[0].args == {"x": 1},
    ),
    ("approval", "human", lambda c: c.approval == "human"),
    (
        "approval",
        {"approvers": [{"name": "auto", "tools": ["bash*"]}]},
        lambda c: isinstance(c.approval, ApprovalConfig) and c.approval.approvers[0].tools == ["bash*"],
    ),
    ("score", False, lambda c: c.score is False),
    ("limit", 10, lambda c: c.limit == 10),
    ("limit", [2, 5], lambda c: c.limit == (2, 5)),
    ("sample_shuffle", True, lambda c: c.sample_shuffle is True),
    ("sample_shuffle", 42, lambda c: c.sample_shuffle == 42),
    ("epochs", 3, lambda c: c.epochs == 3),
    (
        "epochs",
        {"epochs": 2, "reducer": ["mean", "max"]},
        lambda c: c.epochs == EpochsConfig(epochs=2, reducer=["mean", "max"]),
    ),
    ("epochs", {"epochs": 2, "reducer": "mode"}, lambda c: c.epochs.reducer == "mode"),
    ("message_limit", 30, lambda c: c.message_limit == 30),
    ("token_limit", 100_000, lambda c: c.token_limit == 100_000),
    ("time_limit", 3600, lambda c: c.time_limit == 3600),
    ("working_limit", 600, lambda c: c.working_limit == 600),
    ("secrets", [{"name": "HF_TOKEN"}], lambda c: c.top_level_secrets() == [SecretConfig(name="HF_TOKEN")]),
]


@pytest.mark.parametrize(
    ("field", "value", "check"), VALID_FIELDS, ids=[f"{f}={v!r}"[:60] for f, v, _ in VALID_FIELDS]
)
def test_valid_field(field: str, value: Any, check: Any) -> None:
    loaded = load_ok(eval_set(**{field: value}))
    assert loaded.kind == "eval-set"
    assert check(loaded.config)
    assert loaded.config.model_extra == {}


# (field, invalid value, expected error line prefix, expected fragment of the problem or hint)
INVALID_FIELDS: list[tuple[str, Any, str, str]] = [
    ("tags", "a", "tags: expected a list, got 'a'", "write a list"),
    ("metadata", [1], "metadata: expected a mapping", "write a mapping"),
    ("runner", {"memory": "8GB"}, "runner.memory: '8GB' is not a Kubernetes quantity", "8Gi or 512Mi"),
    ("runner", {"cpu": "two"}, "runner.cpu: 'two' is not a Kubernetes quantity", "500m"),
    ("name", "", "name: must not be empty", "remove the key"),
    (
        "eval_set_id",
        "My_Set",
        "eval_set_id: 'My_Set' is not allowed here",
        "lowercase letters, digits and '-'",
    ),
    (
        "eval_set_id",
        "-set",
        "eval_set_id: '-set' is not allowed here",
        "starting and ending with a letter or digit",
    ),
    ("eval_set_id", "a" * 44, "eval_set_id: is 44 characters long, at most 43", "at most 43"),
    ("packages", "numpy", "packages: expected a list", "write a list"),
    (
        "tasks",
        [{"package": "p", "name": "p", "items": [{}]}],
        "tasks[0].items[0].name: required field",
        "add `name:`",
    ),
    (
        "tasks",
        [task_package(sample_ids=[])],
        "tasks[0].items[0].sample_ids: has 0 items, needs at least 1",
        "sample ids",
    ),
    (
        "tasks",
        [{**BUILTIN_MODEL, "name": "x"}],
        "tasks[0].package: package 'inspect-ai' refers to inspect-ai",
        "tasks cannot",
    ),
    ("tasks", {"package": "p", "name": "p", "items": []}, "tasks: expected a list, got a mapping", "'- '"),
    (
        "models",
        [{"package": "my-models", "items": [{"name": "m"}]}],
        "models[0].name: required field",
        "add `name:`",
    ),
    (
        "models",
        [{"package": "inspect-ai", "items": [{"args": {}}]}],
        "models[0].items[0].name: required",
        "`name:`",
    ),
    (
        "models",
        [{"items": [{"name": "m"}]}],
        "models[0].package: required field is missing",
        "add `package:`",
    ),
    (
        "model_roles",
        {"grader": {"package": "inspect-ai", "items": [{"name": "a"}, {"name": "b"}]}},
        "model_roles.grader.items: has 2 items, at most 1",
        "give at most 1 item",
    ),
    (
        "model_roles",
        {"grader": {"package": "inspect-ai", "items": []}},
        "model_roles.grader.items: has 0 items",
        "1 item",
    ),
    (
        "solvers",
        [{"package": "inspect_ai", "name": "inspect_ai", "items": [{"name": "generate"}]}],
        "solvers[0].package: package 'inspect_ai' refers to inspect-ai",
        "set `package: inspect-ai` exactly",
    ),
    (
        "agents",
        [{"package": "inspect-ai", "items": [{"nme": "react"}]}],
        "agents[0].items[0].name: required",
        "`name:`",
    ),
    (
        "approval",
        {"approvers": [{"name": "auto"}]},
        "approval.approvers[0].tools: required field",
        "add `tools:`",
    ),
    ("approval", 5, "approval: expected a string or a mapping (ApprovalConfig), got 5", "one of those"),
    ("score", "maybe", "score: expected true or false, got 'maybe'", "true or false"),
    ("limit", [1, 2, 3], "limit: has 3 items, at most 2", "a [start, end] range"),
    ("limit", "ten", "limit: expected an integer or a list [int, int], got 'ten'", "[start, end]"),
    ("sample_shuffle", "yes please", "sample_shuffle: expected true or false or an integer", "one of those"),
    ("epochs", {"reducer": "mean"}, "epochs.epochs: required field is missing", "add `epochs:`"),
    (
        "epochs",
        "many",
        "epochs: expected an integer or a mapping (EpochsConfig)",
        "{epochs: 3, reducer: mean}",
    ),
    ("message_limit", "x", "message_limit: expected an integer, got 'x'", "write an integer"),
    ("token_limit", 1.5, "token_limit: expected an integer, got 1.5", "write an integer"),
    ("time_limit", "1h", "time_limit: expected an integer, got '1h'", "seconds as an integer"),
    ("working_limit", "10m", "working_limit: expected an integer, got '10m'", "seconds as an integer"),
    ("secrets", [{"description": "no name"}], "secrets[0].name: required field is missing", "add `name:`"),
]


@pytest.mark.parametrize(
    ("field", "value", "prefix", "fragment"),
    INVALID_FIELDS,
    ids=[f"{f}={v!r}"[:60] for f, v, _, _ in INVALID_FIELDS],
)
def test_invalid_field_names_the_path_and_the_fix(field: str, value: Any, prefix: str, fragment: str) -> None:
    lines = config_error_lines(eval_set(**{field: value}))
    assert len(lines) == 1, lines
    assert lines[0].startswith(prefix), lines
    assert fragment in lines[0], lines
    assert "\n" not in lines[0]


def test_every_eval_set_field_is_covered() -> None:
    fields = set(EvalSetConfig.model_fields)
    assert len(fields) == 21
    assert {field for field, _, _ in VALID_FIELDS} == fields
    assert {field for field, _, _, _ in INVALID_FIELDS} == fields


def test_tasks_are_required_and_cannot_be_builtin() -> None:
    assert config_error_lines({"name": "x"}, "eval-set") == [
        "tasks: required field is missing (add `tasks:`)"
    ]
    assert config_error_lines({"tasks": [{"package": "inspect-ai", "items": [{"name": "x"}]}]})[0].startswith(
        "tasks[0]"
    )


def test_defaults() -> None:
    config = EvalSetConfig.model_validate(eval_set())
    assert config.score is True
    assert config.runner.secrets == [] and config.runner.environment == {}
    for field in (
        "name",
        "eval_set_id",
        "packages",
        "models",
        "model_roles",
        "solvers",
        "agents",
        "approval",
    ):
        assert getattr(config, field) is None
    for field in (
        "limit",
        "sample_shuffle",
        "epochs",
        "message_limit",
        "token_limit",
        "time_limit",
        "working_limit",
    ):
        assert getattr(config, field) is None
    item = config.tasks[0].items[0]
    assert isinstance(item, TaskConfig)
    assert (item.args, item.sample_ids, item.secrets) == (None, None, [])


def test_extra_keys_are_kept_for_eval_set() -> None:
    config = EvalSetConfig.model_validate(eval_set(model_base_url="http://x", epoch=3))
    assert config.model_extra == {"model_base_url": "http://x", "epoch": 3}
    assert config.model_dump()["model_base_url"] == "http://x"


def test_deprecated_top_level_secrets() -> None:
    config = EvalSetConfig.model_validate(eval_set(secrets=[{"name": "A"}]))
    with pytest.warns(DeprecationWarning, match=r"runner\.secrets"):
        assert config.secrets == [SecretConfig(name="A")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert config.top_level_secrets() == [SecretConfig(name="A")]
    assert config.model_dump()["secrets"] == [{"name": "A", "description": None}]
    assert "secrets" not in EvalSetConfig.model_validate(eval_set()).model_dump()
    assert EvalSetConfig.model_json_schema()["properties"]["secrets"]["deprecated"] is True


def test_get_secrets_precedence_and_dedupe() -> None:
    tasks = [
        task_package(secrets=[{"name": "A", "description": "task"}, {"name": "B", "description": "task"}]),
        {
            "package": "other",
            "name": "other",
            "items": [{"name": "t", "secrets": [{"name": "C", "description": "task"}, {"name": "A"}]}],
        },
    ]
    config = EvalSetConfig.model_validate(
        {
            "tasks": tasks,
            "secrets": [{"name": "B", "description": "top"}, {"name": "C", "description": "top"}],
            "runner": {
                "secrets": [{"name": "C", "description": "runner"}, {"name": "D", "description": "runner"}]
            },
        }
    )
    secrets = {secret.name: secret.description for secret in config.get_secrets()}
    assert secrets == {"A": None, "B": "top", "C": "runner", "D": "runner"}
    assert len(config.get_secrets()) == 4


def test_get_model_configs_lists_models_then_roles() -> None:
    config = EvalSetConfig.model_validate(
        eval_set(models=[PACKAGE_MODEL], model_roles={"grader": BUILTIN_MODEL})
    )
    configs = config.get_model_configs()
    assert len(configs) == 2
    assert isinstance(configs[0], PackageConfig) and configs[0].package == "my-models==2"
    assert isinstance(configs[1], SingleModelBuiltinConfig)
    assert EvalSetConfig.model_validate(eval_set()).get_model_configs() == []


def test_packages_to_install() -> None:
    config = EvalSetConfig.model_validate(
        eval_set(
            models=[BUILTIN_MODEL, PACKAGE_MODEL],
            model_roles={"grader": {**PACKAGE_MODEL, "package": "grader-pkg"}},
            solvers=[{"package": "inspect-ai", "items": [{"name": "generate"}]}],
            agents=[{"package": "my-agents", "name": "a", "items": [{"name": "react"}]}],
            packages=["numpy", "inspect_ai==0.3.1", "my-tasks==1.0", "Inspect.AI"],
        )
    )
    assert config.packages_to_install() == [
        "grader-pkg",
        "my-agents",
        "my-models==2",
        "my-tasks==1.0",
        "numpy",
    ]


def test_round_trip_through_model_dump() -> None:
    data = eval_set(
        models=[
            {
                "package": "inspect-ai",
                "items": [{"name": "m", "args": {"config": {"temperature": 0.1}, "x": 1}}],
            }
        ],
        model_roles={"grader": BUILTIN_MODEL},
        epochs={"epochs": 2, "reducer": "mean"},
        limit=[0, 3],
        approval={"approvers": [{"name": "auto", "tools": ["*"]}]},
        sandbox="docker",
    )
    config = EvalSetConfig.model_validate(data)
    assert EvalSetConfig.model_validate(config.model_dump()) == config
    assert EvalSetConfig.model_validate(config.model_dump(mode="json")) == config
