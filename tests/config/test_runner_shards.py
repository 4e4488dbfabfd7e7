"""`runner.shards`: a whole number >= 1 or `auto`, with one line naming the field; eval sets only."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from hawk_dagster.config.loading import ConfigError, validate_config_data

EVAL_SET = {"tasks": [{"package": "x", "name": "x", "items": [{"name": "t"}]}]}


def eval_set_with(shards: Any) -> dict[str, Any]:
    return {**EVAL_SET, "runner": {"shards": shards}}


def test_default_is_one_shard() -> None:
    assert validate_config_data(dict(EVAL_SET), kind="eval-set").config.runner.shards == 1


@pytest.mark.parametrize("value", [1, 4, "auto"])
def test_whole_numbers_and_auto_are_accepted(value: Any) -> None:
    assert validate_config_data(eval_set_with(value), kind="eval-set").config.runner.shards == value


@pytest.mark.parametrize("value", [0, -2, "two", True, 1.5, "AUTO"])
def test_anything_else_is_one_line_naming_the_field(value: Any) -> None:
    with pytest.raises(ConfigError) as raised:
        validate_config_data(eval_set_with(value), kind="eval-set")
    message = str(raised.value)
    assert message.count("\n") == 0
    assert message.startswith("runner.shards: must be a whole number >= 1 or 'auto'")


def test_a_scan_refuses_shards(repo_root: Any) -> None:
    config = yaml.safe_load((repo_root / "examples" / "simple.scan.yaml").read_text())
    config["runner"] = {"shards": 2}
    with pytest.raises(ConfigError, match="shards applies to eval sets only"):
        validate_config_data(config, kind="scan")
