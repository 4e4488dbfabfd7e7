"""Scanner keys as Scout names them: our copy of Scout's rule, and keys Scout would merge or refuse."""

from __future__ import annotations

import pytest

from hawk_dagster.config.scans import scout_scanner_name
from tests.config.helpers import config_error_lines, load_ok, scan

KEYS = [
    "judge",
    "Tool-Calls",
    "tool_calls",
    "a/b",
    "a  b",
    "Judge.v2",
    "1abc",
    "9",
    "_9x",
    "select",
    "SELECT",
    "__x__",
    "x" * 70,
    "Über-scanner",
    "---",
    "  ",
]


@pytest.mark.parametrize("key", KEYS)
def test_scout_scanner_name_is_scouts_own_rule(key: str) -> None:
    from inspect_scout._scanjob import safe_scanner_name

    try:
        expected: str | None = safe_scanner_name(key)
    except ValueError:
        expected = None
    assert scout_scanner_name(key) == expected


def scanners(*items: dict[str, str]) -> list[dict[str, object]]:
    return [{"package": "my-scanners", "name": "my_scanners", "items": list(items)}]


def test_keys_scout_renames_are_accepted() -> None:
    loaded = load_ok(scan(scanners=scanners({"name": "counter", "key": "Tool-Calls"}, {"name": "a/b"})))
    assert loaded.warnings == []


def test_keys_scout_would_merge_are_refused_with_the_rule() -> None:
    (line,) = config_error_lines(
        scan(scanners=scanners({"name": "counter", "key": "Tool-Calls"}, {"name": "tool_calls"}))
    )
    assert line.startswith(
        "scanners: scanner keys 'Tool-Calls', 'tool_calls' are all stored by Scout as 'tool_calls'"
    )
    assert "lowercased" in line and "give them keys that differ after that" in line


def test_keys_scout_cannot_name_are_refused() -> None:
    (line,) = config_error_lines(scan(scanners=scanners({"name": "counter", "key": "---"})))
    assert line.startswith("scanners: scanner key '---' has no letter or digit")
