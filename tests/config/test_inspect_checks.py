"""`hawk validate` refuses what the run would refuse: eval_set() keys and scan filter columns.

The run passes an eval set's unknown top-level keys to `inspect_ai.eval_set()`, whose `**kwargs` become
`GenerateConfig(**kwargs)`; the scan refuses filter columns Scout's transcript index lacks. The expected
answers below are Inspect's own (checked against the installed packages where it is cheap).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from hawk_dagster.cli.main import cli
from hawk_dagster.config.inspect_checks import is_transcript_column
from tests.config.helpers import config_error_lines, eval_set, load_ok, scan

REPO_ROOT = Path(__file__).resolve().parents[2]


def validate_cli(tmp_path: Path, data: dict[str, Any]) -> Any:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return CliRunner().invoke(cli, ["validate", str(path)])


def test_unknown_top_level_key_is_refused_by_hawk_validate(tmp_path: Path) -> None:
    result = validate_cli(tmp_path, eval_set(frobnicate=7))
    assert result.exit_code == 1
    assert "error: frobnicate: unknown key" in result.output
    assert "Unknown GenerateConfig field(s): frobnicate" in result.output
    assert "valid eval-set config" not in result.output


def test_submit_paths_refuse_it_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(eval_set(frobnicate=7)))
    monkeypatch.setenv("HAWK_DAGSTER_URL", "http://127.0.0.1:9")  # never reached
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    monkeypatch.setenv("HAWK_LOG_ROOT", str(tmp_path / "logs"))
    for verb in (["eval-set"], ["local", "eval-set"]):
        result = CliRunner().invoke(cli, [*verb, str(path)])
        assert result.exit_code == 1, result.output
        assert "error: frobnicate: unknown key" in result.output
    assert not (tmp_path / "dagster").exists() and not (tmp_path / "logs").exists()


def test_the_run_rejects_that_key_as_validate_says() -> None:
    # what the runner does with an extra key: eval_set(**kwargs) -> GenerateConfig(**kwargs)
    from inspect_ai.model import GenerateConfig

    with pytest.raises(ValueError, match="Unknown GenerateConfig field"):
        GenerateConfig(**{"frobnicate": 7})  # type: ignore[arg-type]
    (line,) = config_error_lines(eval_set(frobnicate=7))
    assert line.startswith("frobnicate: unknown key: ") and line.endswith("(remove it or fix its name)")


def test_misspelt_key_gets_a_did_you_mean() -> None:
    (line,) = config_error_lines(eval_set(temprature=0.5))
    assert "did you mean 'temperature'?" in line
    (line,) = config_error_lines(eval_set(epoch=3))
    assert "did you mean 'epochs'?" in line


@pytest.mark.parametrize(
    "extra",
    [{"temperature": 0.2}, {"max_tokens": 100}, {"turn_limit": 5}, {"model_base_url": "http://gw"}],
    ids=["generate-config-float", "generate-config-int", "eval-set-param", "eval-set-param-str"],
)
def test_keys_inspect_accepts_still_pass_with_a_warning(tmp_path: Path, extra: dict[str, Any]) -> None:
    (key,) = extra
    loaded = load_ok(eval_set(**extra))
    assert loaded.config.model_extra == extra
    assert loaded.warnings == [
        f"unknown key '{key}' at top level: it is not a hawk field and will be passed to "
        "inspect_ai.eval_set() as is"
    ]
    result = validate_cli(tmp_path, eval_set(**extra))
    assert result.exit_code == 0, result.output
    assert "valid eval-set config" in result.output and f"'{key}'" in result.output


def test_generate_config_values_are_checked_as_generate_config_would() -> None:
    (line,) = config_error_lines(eval_set(max_tokens="lots"))
    assert line.startswith("max_tokens: ") and "GenerateConfig" in line and "integer" in line


def test_runner_owned_keys_keep_their_own_message() -> None:
    assert config_error_lines(eval_set(max_samples=3)) == [
        "max_samples: hawk sets this inspect_ai.eval_set() argument itself, so the config cannot (remove the key)"
    ]


def filtered_scan(where: list[Any], scanner_where: list[Any] | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"name": "judge"}
    if scanner_where is not None:
        item["filter"] = {"where": scanner_where}
    return scan(
        scanners=[{"package": "my-scanners", "name": "my_scanners", "items": [item]}],
        transcripts={"sources": [{"eval_set_id": "my-set"}], "filter": {"where": where}},
    )


def test_unknown_filter_column_is_refused_by_hawk_validate(tmp_path: Path) -> None:
    result = validate_cli(tmp_path, filtered_scan([{"modle": "x"}]))
    assert result.exit_code == 1
    assert "transcripts.filter.where[0].modle: unknown transcript column 'modle'" in result.output
    assert "did you mean 'model'?" in result.output and "valid columns:" in result.output


def test_filter_columns_are_checked_everywhere_a_filter_reads_one() -> None:
    lines = config_error_lines(
        filtered_scan(
            [{"or": [{"model": "a"}, {"Model": "b"}]}, {"not": [{"metadata.x": 1}]}],
            scanner_where=[{"taskset": {"like": "arith%"}}],
        )
    )
    assert [line.split(":", 1)[0] for line in lines] == [
        "transcripts.filter.where[0].or[1].Model",
        "transcripts.filter.where[1].not[0]['metadata.x']",
        "scanners[0].items[0].filter.where[0].taskset",
    ]
    assert "unknown transcript column 'metadata'" in lines[1]
    assert "did you mean 'task_set'?" in lines[2]


def test_known_columns_dotted_paths_and_score_columns_pass() -> None:
    where = [
        {"model": "a", "task_set": ["x", "y"], "epoch": {"gt": 1}},
        {
            "sample_metadata.difficulty": "hard",
            "score_match": "C",
            "score": {"operator": "is_null", "args": []},
        },
        {"not": "a column called not"},
    ]
    assert load_ok(filtered_scan([*where[:2]])).warnings == []
    assert config_error_lines(filtered_scan(where))[0].startswith("transcripts.filter.where[2].not:")
    assert is_transcript_column("score_anything") and not is_transcript_column("scores")


def test_validate_does_not_import_inspect() -> None:
    code = (
        "import sys\n"
        "from hawk_dagster.config.loading import load_config_file\n"
        "for path in ('examples/simple.eval-set.yaml', 'examples/simple.scan.yaml'):\n"
        "    load_config_file(path)\n"
        "print(sorted(m for m in sys.modules if m.startswith(('inspect_ai', 'inspect_scout'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
