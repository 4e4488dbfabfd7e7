"""The whole loop on real Dagster processes: `hawk eval-set` → eval_set run → eval_log_sensor → import →
dbt_automation_sensor → dbt build → hawk.fct_samples. Short sensor intervals through the HAWK_*_INTERVAL
variables; the webserver and daemon run on a temp DAGSTER_HOME, log root and warehouse database."""

from __future__ import annotations

import itertools
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterRunStatus

from hawk_dagster.jobs.eval_set import EVAL_SET_ID_TAG
from hawk_dagster.sensing.intervals import (
    DBT_AUTOMATION_INTERVAL_VARIABLE,
    EVAL_LOG_SENSOR_INTERVAL_VARIABLE,
    SCAN_RESULT_SENSOR_INTERVAL_VARIABLE,
)
from tests.e2e.loop import IMPORT_JOB, Loop, loop_env, running_loop, small_eval_set, wait_for
from tests.fixtures.daemon import processes_with_env

# ~2 min on an idle 2-core machine; the timeouts leave room for a loaded one
pytestmark = pytest.mark.timeout(900)

SAMPLES = 2
DBT_INTERVAL = 20
INTERVALS = {
    EVAL_LOG_SENSOR_INTERVAL_VARIABLE: 5,
    SCAN_RESULT_SENSOR_INTERVAL_VARIABLE: 5,
    DBT_AUTOMATION_INTERVAL_VARIABLE: DBT_INTERVAL,
}


@pytest.fixture
def loop(tmp_path: Path, warehouse_url: str) -> Iterator[Loop]:
    with running_loop(tmp_path, loop_env(tmp_path, warehouse_url, INTERVALS)) as running:
        yield running
    assert processes_with_env("DAGSTER_HOME", str(tmp_path / "dagster")) == []


def test_imports_reach_the_marts_even_when_they_land_during_a_build(loop: Loop) -> None:
    """First eval set: the plain loop. Second: its logs are held back (eval_log_sensor stopped, folder
    parked) and released the moment the dbt build of the first one starts, so its import lands while that
    build runs or just after it ends, in the interval the old automation condition dropped."""
    first, second = "loop-first-0000000001", "loop-second-000000002"
    loop.stop_sensor("eval_log_sensor")
    loop.submit(small_eval_set(first, SAMPLES))
    loop.submit(small_eval_set(second, SAMPLES))
    loop.wait_for_eval_set_run(first)
    loop.wait_for_eval_set_run(second)

    parked = loop.work_dir / "parked" / second
    parked.parent.mkdir()
    shutil.move(loop.log_root / "evals" / second, parked)
    builds_before = {r.dagster_run.run_id for r in loop.dbt_runs()}
    loop.start_sensor("eval_log_sensor")

    # the first eval set's import → the next dbt tick requests a build; release the second's logs as it starts
    build = wait_for(
        "a dbt build after the first import",
        lambda: next(
            (
                r
                for r in loop.dbt_runs()
                if r.dagster_run.run_id not in builds_before
                and r.dagster_run.status != DagsterRunStatus.QUEUED
                and loop.runs(IMPORT_JOB, {EVAL_SET_ID_TAG: first})
                and r.create_timestamp > loop.runs(IMPORT_JOB, {EVAL_SET_ID_TAG: first})[0].create_timestamp
            ),
            None,
        ),
        timeout=300,
    )
    shutil.move(parked, loop.log_root / "evals" / second)

    loop.wait_for_marts(first, SAMPLES, timeout=300)
    loop.wait_for_marts(second, SAMPLES, timeout=300)

    # the case happened: the second import materialized after the first build was requested
    second_import = loop.runs(IMPORT_JOB, {EVAL_SET_ID_TAG: second})[-1]
    assert second_import.dagster_run.status == DagsterRunStatus.SUCCESS
    assert second_import.end_time is not None and second_import.end_time > build.create_timestamp.timestamp()
    # dbt builds never overlapped
    spans = sorted(
        (r.start_time, r.end_time or time.time()) for r in loop.dbt_runs() if r.start_time is not None
    )
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end - 0.5, spans
