"""The loader: kind detection, YAML errors, translated validation errors, unknown-key warnings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from hawk_dagster.config import (
    ConfigError,
    EvalSetConfig,
    ScanConfig,
    detect_kind,
    load_config_file,
    parse_config_text,
    validate_config_data,
)
from tests.config.helpers import config_error_lines, eval_set, load_ok, scan

LINE_FORMAT = re.compile(r"^[^\s:][^:]*: .+$")


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        ({"tasks": []}, "eval-set"),
        ({"scanners": []}, "scan"),
        ({"transcripts": {}}, "scan"),
        ({"scanners": [], "transcripts": {}, "name": "x"}, "scan"),
    ],
)
def test_detect_kind(data: dict[str, Any], kind: str) -> None:
    assert detect_kind(data) == kind


def test_detect_kind_needs_tasks_or_scanners() -> None:
    with pytest.raises(ConfigError) as info:
        detect_kind({"name": "x"})
    assert "`tasks:`" in str(info.value) and "`scanners:`" in str(info.value)
    with pytest.raises(ConfigError, match="both `tasks:`"):
        detect_kind({"tasks": [], "scanners": []})


def test_validate_config_data_detects_the_kind() -> None:
    assert isinstance(load_ok(eval_set()).config, EvalSetConfig)
    assert isinstance(load_ok(scan()).config, ScanConfig)


def test_explicit_kind_wins() -> None:
    assert config_error_lines(eval_set(), "scan") == [
        "scanners: required field is missing (add `scanners:`)",
        "transcripts: required field is missing (add `transcripts:`)",
    ]
    with pytest.raises(ConfigError, match="'job' is not a config kind"):
        validate_config_data(eval_set(), "job")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (None, "top level: the config is empty"),
        ([{"tasks": []}], "top level: expected a mapping of keys such as `tasks:`, got list"),
        ("tasks", "top level: expected a mapping"),
        ({1: "x", "tasks": []}, "top level: key 1 is not a string"),
    ],
)
def test_top_level_shape(data: Any, fragment: str) -> None:
    (line,) = config_error_lines(data)
    assert line.startswith(fragment)


def test_invalid_yaml_reports_line_and_column() -> None:
    text = "name: x\ntasks:\n  - package: p\n   name: bad-indent\n"
    with pytest.raises(ConfigError) as info:
        parse_config_text(text, source="eval.yaml")
    (line,) = info.value.lines
    assert line.startswith(
        "eval.yaml:4:4: invalid YAML while parsing a block collection: expected <block end>, but found"
    )
    assert "indentation" in line
    assert info.value.source == "eval.yaml"


def test_invalid_yaml_unclosed_bracket() -> None:
    with pytest.raises(ConfigError, match=r"^<string>:3:1: invalid YAML while parsing a flow mapping: "):
        parse_config_text("tasks: [\n  {package: p\n")


def test_load_config_file(tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    path.write_text(yaml.safe_dump(eval_set(name="from-file")))
    loaded = load_config_file(path)
    assert loaded.kind == "eval-set" and loaded.config.name == "from-file"
    path.write_text(yaml.safe_dump(eval_set(time_limit="1h")))
    with pytest.raises(ConfigError) as info:
        load_config_file(path)
    assert info.value.source == str(path)
    assert info.value.lines == [
        "time_limit: expected an integer, got '1h' (give seconds as an integer, e.g. 3600)"
    ]


def test_load_config_file_problems(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing\.yaml: file not found \(check the path\)"):
        load_config_file(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="is a directory"):
        load_config_file(tmp_path)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00tasks")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config_file(binary)


def test_every_problem_gets_its_own_line_with_path_and_hint() -> None:
    data = eval_set(
        name="",
        limit="x",
        runner={"memory": "8GB", "cpu": "1"},
        models=[{"package": "my-models", "name": "m", "items": [{"name": "a", "args": {"api_key": "sk-1"}}]}],
        tasks=[{"package": "p", "name": "p", "items": [{"name": "t"}, {"args": {}}]}],
    )
    lines = config_error_lines(data)
    assert lines == [
        "runner.memory: '8GB' is not a Kubernetes quantity: use e.g. 8Gi or 512Mi",
        "name: must not be empty (give a non-empty string or remove the key)",
        "tasks[0].items[1].name: required field is missing (add `name:`)",
        "models[0].items[0].args.api_key: api_key is not allowed in a config because configs are stored and "
        "logged (remove it and pass the key as a secret, e.g. OPENAI_API_KEY in runner.secrets)",
        "limit: expected an integer or a list [int, int], got 'x' "
        "(give a sample count like 10, or a [start, end] range like [0, 10])",
    ]
    assert all(LINE_FORMAT.match(line) for line in lines)


def test_generate_config_typo_through_the_loader() -> None:
    data = eval_set(
        models=[{"package": "inspect-ai", "items": [{"name": "m", "args": {"config": {"temprature": 1}}}]}]
    )
    (line,) = config_error_lines(data)
    assert line.startswith(
        "models[0].items[0].args.config: 'temprature' is not a GenerateConfig setting (did you mean 'temperature'?"
    )


def test_union_members_collapse_to_the_intended_one() -> None:
    builtin_typo = eval_set(solvers=[{"package": "inspect-ai", "items": [{"nmae": "generate"}]}])
    assert config_error_lines(builtin_typo) == [
        "solvers[0].items[0].name: required field is missing (add `name:`)"
    ]
    package_typo = eval_set(solvers=[{"package": "my-solvers", "nam": "s", "items": [{"name": "x"}]}])
    assert config_error_lines(package_typo) == ["solvers[0].name: required field is missing (add `name:`)"]
    roles = eval_set(
        model_roles={"grader": {"package": "inspect-ai", "items": [{"name": "a"}, {"name": "b"}]}}
    )
    assert config_error_lines(roles) == [
        "model_roles.grader.items: has 2 items, at most 1 are allowed (give at most 1 item)"
    ]


def test_runner_owned_eval_set_kwargs_are_errors() -> None:
    lines = config_error_lines(eval_set(max_sandboxes=10, log_dir="s3://x"))
    assert lines == [
        "log_dir: hawk sets this inspect_ai.eval_set() argument itself, so the config cannot (remove the key)",
        "max_sandboxes: hawk sets this inspect_ai.eval_set() argument itself, so the config cannot (remove the key)",
    ]


def test_unknown_top_level_key_eval_set_would_reject_is_an_error_with_did_you_mean() -> None:
    assert config_error_lines(eval_set(epoch=3)) == [
        "epoch: unknown key: it is not a hawk field, an inspect_ai.eval_set() argument or a GenerateConfig "
        "setting, so eval_set() would fail the run with 'Unknown GenerateConfig field(s): epoch' "
        "(did you mean 'epochs'? remove it or fix its name)"
    ]


def test_eval_set_passthrough_kwargs_warn_without_suggestion() -> None:
    loaded = load_ok(eval_set(model_base_url="http://gw", temperature=0.3))
    assert loaded.warnings == [
        "unknown key 'model_base_url' at top level: it is not a hawk field and will be passed to "
        "inspect_ai.eval_set() as is",
        "unknown key 'temperature' at top level: it is not a hawk field and will be passed to "
        "inspect_ai.eval_set() as is",
    ]
    assert loaded.config.model_extra == {"model_base_url": "http://gw", "temperature": 0.3}


def test_ignored_nested_keys_warn_recursively() -> None:
    data = eval_set(
        tasks=[{"package": "p", "name": "p", "items": [{"name": "t", "sampleids": [1]}], "version": 2}],
        runner={"enviroment": {"A": "1"}},
        approval={"approvers": [{"name": "auto", "tools": ["*"], "tool": "x"}]},
        epochs={"epochs": 2, "reducers": "mean"},
    )
    assert load_ok(data).warnings == [
        "unknown key 'sampleids' at tasks[0].items[0]: it is ignored (did you mean 'sample_ids'?)",
        "unknown key 'version' at tasks[0]: it is ignored",
        "unknown key 'enviroment' at runner: it is ignored (did you mean 'environment'?)",
        "unknown key 'tool' at approval.approvers[0]: it is ignored (did you mean 'tools'?)",
        "unknown key 'reducers' at epochs: it is ignored (did you mean 'reducer'?)",
    ]


def test_get_model_args_extras_warn_and_pass_through() -> None:
    data = eval_set(
        models=[
            {
                "package": "inspect-ai",
                "items": [{"name": "m", "args": {"answer": "42", "max_tokens": 5, "rol": "x"}}],
            }
        ]
    )
    loaded = load_ok(data)
    assert loaded.warnings == [
        "unknown key 'answer' at models[0].items[0].args: it will be passed to get_model() as is",
        "unknown key 'max_tokens' at models[0].items[0].args: it will be passed to get_model() as a model "
        "argument (to set the generation setting 'max_tokens', move it under `config:`)",
        "unknown key 'rol' at models[0].items[0].args: it will be passed to get_model() as is (did you mean 'role'?)",
    ]
    args = loaded.config.models[0].items[0].args  # type: ignore[index]
    assert args is not None and args.model_extra == {"answer": "42", "max_tokens": 5, "rol": "x"}


def test_model_keys_at_the_wrong_level_point_to_args() -> None:
    data = eval_set(
        models=[{"package": "inspect-ai", "items": [{"name": "m", "config": {}, "temperature": 1}]}]
    )
    assert load_ok(data).warnings == [
        "unknown key 'config' at models[0].items[0]: it is ignored (get_model() arguments go under `args:`)",
        "unknown key 'temperature' at models[0].items[0]: it is ignored "
        "(generation settings go under `args: {config: ...}`)",
    ]


def test_free_form_values_and_aliases_do_not_warn() -> None:
    data = eval_set(
        tasks=[{"package": "p", "name": "p", "items": [{"name": "t", "args": {"anything": {"goes": [1]}}}]}],
        metadata={"whatever": {"nested": True}},
        models=[{"package": "inspect-ai", "items": [{"name": "m", "args": {"config": {"temperature": 0}}}]}],
        runner={"environment": {"ANY_NAME": "1"}},
    )
    assert load_ok(data).warnings == []
    scan_data = scan(
        transcripts={
            "sources": [],
            "filter": {"where": [{"not": [{"id": 1}]}, {"or": [{"model": 1}, {"epoch": 2}]}]},
        }
    )
    assert load_ok(scan_data).warnings == []


def test_scan_unknown_keys() -> None:
    loaded = load_ok(scan(max_transcript=5, transcripts={"sources": [], "filtr": {}}))
    assert loaded.warnings == [
        "unknown key 'filtr' at transcripts: it is ignored (did you mean 'filter'?)",
        "unknown key 'max_transcript' at top level: it is kept in the config but the scan does not use it "
        "(did you mean 'max_transcripts'?)",
    ]
    assert loaded.config.model_extra == {"max_transcript": 5}


def test_deprecation_and_inspect_ai_package_warnings() -> None:
    loaded = load_ok(eval_set(secrets=[{"name": "A"}], packages=["numpy", "inspect-ai==0.3.1"]))
    assert loaded.warnings == [
        "secrets: top-level `secrets` is deprecated (move the list under runner.secrets)",
        "packages[1]: 'inspect-ai==0.3.1' is ignored because hawk installs its own pinned inspect-ai (remove it)",
    ]


def test_parse_config_text_round_trip() -> None:
    text = """
name: demo
tasks:
  - package: ./examples/hawk-examples
    name: hawk_examples
    items:
      - name: arith
        args: {n: 2}
        sample_ids: [1, "two"]
models:
  - package: inspect-ai
    items: [{name: "mockllm/model", args: {config: {max_connections: 2}}}]
limit: [0, 2]
"""
    loaded = parse_config_text(text)
    assert loaded.warnings == []
    config = loaded.config
    assert isinstance(config, EvalSetConfig)
    assert config.tasks[0].items[0].sample_ids == [1, "two"]
    assert parse_config_text(yaml.safe_dump(config.model_dump(mode="json"))).config == config


def test_example_configs_load_cleanly(repo_root: Path) -> None:
    paths = sorted((repo_root / "examples").glob("*.yaml"))
    assert paths, "examples/*.yaml is expected to hold the example configs"
    for path in paths:
        loaded = load_config_file(path)
        assert loaded.warnings == [], path
