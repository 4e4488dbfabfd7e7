from __future__ import annotations

import re
from typing import Any

import pydantic
import pytest
from inspect_ai.model import GenerateConfig

from hawk_dagster.config import (
    K8S_QUANTITY_PATTERN,
    BuiltinConfig,
    GetModelArgs,
    ModelConfig,
    PackageConfig,
    RegistryItemConfig,
    RunnerConfig,
    SecretConfig,
    SolverConfig,
    TaskConfig,
    UserConfig,
    qualified_name,
)
from hawk_dagster.config.base import GENERATE_CONFIG_ERROR


def error_types(exc: pydantic.ValidationError) -> list[str]:
    return [error["type"] for error in exc.errors()]


def test_k8s_quantity_pattern_is_hawks() -> None:
    assert (
        K8S_QUANTITY_PATTERN
        == r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?([numkKMGTPE]i?)?$"
    )


@pytest.mark.parametrize(
    "quantity", ["16Gi", "512Mi", "2", "500m", "1.5", ".5", "1e3", "+1k", "8G", "100Ki", "3Ei"]
)
def test_runner_accepts_kubernetes_quantities(quantity: str) -> None:
    runner = RunnerConfig(memory=quantity, cpu=quantity)
    assert (runner.memory, runner.cpu) == (quantity, quantity)


@pytest.mark.parametrize("quantity", ["8GB", "16gi", "2 cores", "", "1.5.2", "Gi", "10Xi", "1Ki2", "8Gi\n"])
@pytest.mark.parametrize("field", ["memory", "cpu"])
def test_runner_rejects_non_quantities_with_a_hint(field: str, quantity: str) -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        RunnerConfig.model_validate({field: quantity})
    message = info.value.errors()[0]["msg"]
    assert message.startswith(f"runner.{field} {quantity!r} is not a Kubernetes quantity: use e.g.")
    assert ("8Gi or 512Mi" in message) == (field == "memory")


def test_runner_memory_message_matches_brief() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        RunnerConfig(memory="8GB")
    assert (
        info.value.errors()[0]["msg"]
        == "runner.memory '8GB' is not a Kubernetes quantity: use e.g. 8Gi or 512Mi"
    )


def test_runner_defaults() -> None:
    runner = RunnerConfig()
    assert runner.model_dump() == {
        "image_tag": None,
        "retries": 2,
        "memory": None,
        "cpu": None,
        "secrets": [],
        "environment": {},
        "shards": 1,
    }
    runner = RunnerConfig.model_validate(
        {"image_tag": "v1", "secrets": [{"name": "A", "description": "a"}], "environment": {"X": "1"}}
    )
    assert runner.secrets == [SecretConfig(name="A", description="a")]
    assert runner.environment == {"X": "1"}


def test_runner_environment_values_must_be_strings() -> None:
    with pytest.raises(pydantic.ValidationError):
        RunnerConfig.model_validate({"environment": {"X": {"nested": 1}}})


def test_user_config_defaults_do_not_share_state() -> None:
    first, second = UserConfig(), UserConfig()
    first.runner.environment["A"] = "1"
    assert second.runner.environment == {}
    assert (first.tags, first.metadata) == (None, None)


def test_secret_config() -> None:
    assert SecretConfig(name="OPENAI_API_KEY").description is None
    with pytest.raises(pydantic.ValidationError):
        SecretConfig.model_validate({"description": "no name"})


def test_get_model_args_defaults() -> None:
    args = GetModelArgs()
    assert args.memoize is True
    assert (args.role, args.default, args.raw_config, args.base_url, args.api_key) == (None,) * 5
    assert args.parsed_config is None


def test_get_model_args_config_alias_parses_generate_config() -> None:
    args = GetModelArgs.model_validate({"config": {"temperature": 0.2, "max_tokens": 100}, "role": "grader"})
    assert args.raw_config == {"temperature": 0.2, "max_tokens": 100}
    parsed = args.parsed_config
    assert isinstance(parsed, GenerateConfig)
    assert (parsed.temperature, parsed.max_tokens) == (0.2, 100)
    assert args.model_dump()["config"] == {"temperature": 0.2, "max_tokens": 100}
    assert "raw_config" not in args.model_dump()


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"temprature": 0.2}, "'temprature' is not a GenerateConfig setting (did you mean 'temperature'?"),
        ({"max_tokens": "lots"}, "invalid GenerateConfig: max_tokens:"),
    ],
)
def test_get_model_args_rejects_bad_generate_config(config: dict[str, Any], expected: str) -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        GetModelArgs.model_validate({"config": config})
    (error,) = info.value.errors()
    assert error["type"] == GENERATE_CONFIG_ERROR
    assert error["loc"] == ("config",)
    assert expected in error["msg"]


def test_get_model_args_forbids_api_key() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        GetModelArgs.model_validate({"api_key": "sk-123"})
    (error,) = info.value.errors()
    assert error["loc"] == ("api_key",)
    assert "api_key is not allowed" in error["msg"]
    assert "runner.secrets" in error["msg"]
    assert GetModelArgs.model_validate({"api_key": None}).api_key is None


def test_get_model_args_keeps_extra_keys_for_get_model() -> None:
    args = GetModelArgs.model_validate({"answer": "42", "memoize": False})
    assert args.model_extra == {"answer": "42"}
    assert args.memoize is False
    assert args.model_dump()["answer"] == "42"


def test_model_config() -> None:
    model = ModelConfig.model_validate({"name": "openai/gpt-4o", "args": {"base_url": "http://x"}})
    assert model.args is not None and model.args.base_url == "http://x"
    with pytest.raises(pydantic.ValidationError):
        ModelConfig.model_validate({"args": {}})


def test_registry_item_config() -> None:
    assert RegistryItemConfig.model_validate({"name": "x", "args": {"a": [1]}}).args == {"a": [1]}
    with pytest.raises(pydantic.ValidationError):
        RegistryItemConfig.model_validate({"name": "x", "args": [1]})


@pytest.mark.parametrize(
    "package",
    [
        "inspect-ai",
        "inspect_ai",
        "inspect-ai==0.3.100",
        "git+https://github.com/UKGovernmentBEIS/inspect_ai.git",
    ],
)
def test_package_config_rejects_inspect_ai(package: str) -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        PackageConfig[SolverConfig].model_validate({"package": package, "name": "x", "items": []})
    (error,) = info.value.errors()
    assert error["loc"] == ("package",)
    assert "set `package: inspect-ai` exactly" in error["msg"]


@pytest.mark.parametrize(
    "package", ["my-tasks==1.0", "git+https://github.com/org/inspect_evals.git", "./local/path"]
)
def test_package_config_accepts_other_packages(package: str) -> None:
    config = PackageConfig[TaskConfig].model_validate(
        {"package": package, "name": "p", "items": [{"name": "t"}]}
    )
    assert config.package == package


def test_builtin_config_requires_the_literal_inspect_ai() -> None:
    config = BuiltinConfig[SolverConfig].model_validate(
        {"package": "inspect-ai", "items": [{"name": "generate"}]}
    )
    assert config.items[0].name == "generate"
    with pytest.raises(pydantic.ValidationError) as info:
        BuiltinConfig[SolverConfig].model_validate({"package": "inspect_ai", "items": []})
    assert error_types(info.value) == ["literal_error"]


def test_qualified_name() -> None:
    item = SolverConfig(name="my_solver")
    package = PackageConfig[SolverConfig](package="p==1", name="pkg", items=[item])
    builtin = BuiltinConfig[SolverConfig](package="inspect-ai", items=[item])
    assert qualified_name(package, item) == "pkg/my_solver"
    assert qualified_name(builtin, item) == "my_solver"


def test_error_messages_fit_on_one_line() -> None:
    for data in ({"memory": "8GB"}, {"cpu": "2 cores"}):
        with pytest.raises(pydantic.ValidationError) as info:
            RunnerConfig.model_validate(data)
        assert not re.search(r"\n", info.value.errors()[0]["msg"])
