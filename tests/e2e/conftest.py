"""The loop on real processes (webserver, daemon, Hawk API) with short sensor intervals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hawk_dagster.sensing.intervals import (
    DBT_AUTOMATION_INTERVAL_VARIABLE,
    EVAL_LOG_SENSOR_INTERVAL_VARIABLE,
    SCAN_RESULT_SENSOR_INTERVAL_VARIABLE,
)
from tests.e2e.loop import Loop, loop_env, running_loop
from tests.fixtures.daemon import processes_with_env

INTERVALS = {
    EVAL_LOG_SENSOR_INTERVAL_VARIABLE: 5,
    SCAN_RESULT_SENSOR_INTERVAL_VARIABLE: 5,
    DBT_AUTOMATION_INTERVAL_VARIABLE: 10,
}


@pytest.fixture
def loop(tmp_path: Path, warehouse_url: str) -> Iterator[Loop]:
    with running_loop(tmp_path, loop_env(tmp_path, warehouse_url, INTERVALS)) as running:
        yield running
    assert processes_with_env("DAGSTER_HOME", str(tmp_path / "dagster")) == []
