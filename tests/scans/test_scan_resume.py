"""`hawk local scan resume`: a real offline scan, killed part-way, resumed to the end and imported.

The scan runs the `hawk_blocking/blocking_counter` scanner (tests/scans/packages/hawk-blocking-scanner)
beside `hawk_examples/tool_call_counter` over the 12 transcripts of the session's source eval set. While
its marker file asks it to, the blocking scanner stops after a few transcripts; the test then kills the
whole `hawk local scan run` process group (CLI, Dagster, the runner), as a lost machine would.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import psycopg
import pytest
import yaml
from dagster._core.instance import DagsterInstance, InstanceRef

from hawk_dagster.jobs.scan_resume import SCAN_RESUME_JOB
from hawk_dagster.logstore import LogStore
from hawk_dagster.scans.importer import import_scan_results
from hawk_dagster.scans.resume import scan_run_state
from resources.log_store import LogStoreResource
from sensors.scan_result_sensor import scan_result_sensor
from tests.fixtures.cli import hawk
from tests.scans.conftest import REPO_ROOT, LogRoot, blocking_scan_config, local_scan_env

SCAN_RUN_ID = "resume-1"
TRANSCRIPTS = 12  # the source eval set: 4 logs x 3 samples
BLOCK_AFTER = 4
SCANNERS = ("blocking_counter", "tool_call_counter")
WAIT_LIMIT_S = 600
HAWK = (sys.executable, "-m", "hawk_dagster.cli.main")


def wait_for(condition: Any, process: subprocess.Popen[bytes], output: Path) -> None:
    """Polls `condition` while the run is alive; fails with the run's output if it ended first."""
    deadline = time.monotonic() + WAIT_LIMIT_S
    while not condition():
        if process.poll() is not None:
            pytest.fail(
                f"the scan ended before it blocked (exit {process.returncode}):\n{output.read_text()}"
            )
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"the scan did not block within {WAIT_LIMIT_S} s:\n{output.read_text()}")
        time.sleep(0.2)


def start_scan(
    config_path: Path, scan_run_id: str, env: dict[str, str], output: Path
) -> subprocess.Popen[bytes]:
    """`hawk local scan run CONFIG --scan-run-id ID` in its own process group (killed whole with
    `os.killpg`), its output into `output`."""
    with output.open("wb") as out:
        return subprocess.Popen(
            [*HAWK, "local", "scan", "run", str(config_path), "--scan-run-id", scan_run_id],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def buffered_transcripts(buffer_dir: Path, scanner: str) -> set[str]:
    """Transcripts whose results Scout has recorded in its local scan buffer."""
    return {path.stem for path in buffer_dir.glob(f"*/scanner={scanner}/*.parquet")}


def sensor_requests(root: Path, instance: dg.DagsterInstance, cursor: str | None) -> tuple[list[Any], str]:
    """One `scan_result_sensor` tick: its import requests for the scan run, and its new cursor."""
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"log_store": LogStoreResource(root=str(root))}
    ) as context:
        result = scan_result_sensor(context)
    assert isinstance(result, dg.SensorResult) and result.cursor is not None
    return [r for r in result.run_requests or [] if r.partition_key == SCAN_RUN_ID], result.cursor


def result_counts(url: str, scan_id: str) -> dict[tuple[str, str], int]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT r.transcript_id, r.scanner_key, count(*) FROM hawk_raw.scanner_result r "
            "JOIN hawk_raw.scan s ON s.pk = r.scan_pk WHERE s.scan_id = %s GROUP BY 1, 2",
            (scan_id,),
        ).fetchall()
    return {(transcript, scanner): count for transcript, scanner, count in rows}


def resume_runs(env: dict[str, str]) -> int:
    """The `scan_resume` runs of the local Dagster instance the CLI used."""
    with DagsterInstance.from_ref(InstanceRef.from_dir(env["DAGSTER_HOME"])) as instance:
        return len(instance.get_run_records(dg.RunsFilter(job_name=SCAN_RESUME_JOB)))


@pytest.fixture
def resume_env(source_logs: LogRoot, tmp_path: Path) -> dict[str, str]:
    return local_scan_env(source_logs.path, tmp_path)


@pytest.fixture
def sensing() -> Iterator[dg.DagsterInstance]:
    """The instance the scan result sensor ticks on."""
    with dg.instance_for_test() as instance:
        yield instance


def test_a_killed_scan_resumes_to_one_result_per_transcript_and_scanner(
    source_logs: LogRoot,
    resume_env: dict[str, str],
    warehouse_url: str,
    sensing: dg.DagsterInstance,
    tmp_path: Path,
) -> None:
    state_dir = tmp_path / "scanner-state"
    state_dir.mkdir()
    (state_dir / "block-after").write_text(str(BLOCK_AFTER))
    config = blocking_scan_config("resume test", state_dir)
    config_path = tmp_path / "resume.scan.yaml"
    config_path.write_text(yaml.safe_dump(config))
    buffer_dir = Path(resume_env["SCOUT_SCANBUFFER_DIR"])
    store = LogStore.from_root(str(source_logs.path))

    # 1. the scan runs until the blocking scanner stops; then its whole process group is killed
    output = tmp_path / "first-run.log"
    first = start_scan(config_path, SCAN_RUN_ID, resume_env, output)
    wait_for(
        lambda: (state_dir / "blocked").exists() and buffered_transcripts(buffer_dir, SCANNERS[0]),
        first,
        output,
    )
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    recorded = buffered_transcripts(buffer_dir, SCANNERS[0])
    calls_before = (state_dir / "calls.txt").read_text().splitlines()
    assert 0 < len(recorded) <= BLOCK_AFTER < TRANSCRIPTS
    state = scan_run_state(store, SCAN_RUN_ID)
    assert len(state.folders) == 1 and not state.complete
    scan_dir_key = state.folders[0].key
    partial = import_scan_results(warehouse_url, store, scan_dir_key)
    assert partial.outcome == "imported" and not partial.complete
    (seen_partial,), cursor = sensor_requests(source_logs.path, sensing, None)

    # 2. `hawk local scan resume` finishes it from the saved config, without redoing recorded transcripts
    (state_dir / "block-after").unlink()
    resumed = hawk(["local", "scan", "resume", SCAN_RUN_ID], REPO_ROOT, resume_env, timeout=WAIT_LIMIT_S)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"Scan run ID: {SCAN_RUN_ID}" in resumed.stdout
    calls = (state_dir / "calls.txt").read_text().splitlines()
    redone = set(calls[len(calls_before) :]) & recorded
    assert not redone, f"transcripts scanned again after resume: {sorted(redone)}"
    assert len(set(calls)) == TRANSCRIPTS
    assert scan_run_state(store, SCAN_RUN_ID).complete
    assert [folder.key for folder in scan_run_state(store, SCAN_RUN_ID).folders] == [scan_dir_key]

    # 3. the sensor asks for the grown folder again; it imports to exactly one row per transcript x
    # scanner, and importing it again changes nothing
    (seen_grown,), cursor = sensor_requests(source_logs.path, sensing, cursor)
    assert seen_grown.run_key != seen_partial.run_key
    assert seen_grown.run_config["ops"]["import_scan_results"]["config"]["scan_dirs"] == [scan_dir_key]
    imported = import_scan_results(warehouse_url, store, scan_dir_key)
    assert imported.complete
    counts = result_counts(warehouse_url, imported.scan_id)
    assert sorted({scanner for _, scanner in counts}) == sorted(SCANNERS)
    assert len(counts) == TRANSCRIPTS * len(SCANNERS)
    assert set(counts.values()) == {1}
    again = import_scan_results(warehouse_url, store, scan_dir_key)
    assert again.rows_written == 0 and result_counts(warehouse_url, imported.scan_id) == counts

    # 4. a complete scan says so and exits 0 (the last scan id is the default), launching nothing
    assert resume_runs(resume_env) == 1
    second = hawk(["local", "scan", "resume"], REPO_ROOT, resume_env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == f"scan {SCAN_RUN_ID} is complete: nothing to resume"
    assert resume_runs(resume_env) == 1
    assert sensor_requests(source_logs.path, sensing, cursor)[0] == []

    # 5. resumed where Scout's local buffer is gone (another machine): rescanned, still one row each
    summary = source_logs.path / scan_dir_key / "_summary.json"
    summary.write_text(json.dumps({**json.loads(summary.read_text()), "complete": False}))
    shutil.rmtree(buffer_dir, ignore_errors=True)
    elsewhere = hawk(["local", "scan", "resume", SCAN_RUN_ID], REPO_ROOT, resume_env, timeout=WAIT_LIMIT_S)
    assert elsewhere.returncode == 0, elsewhere.stderr[-3000:]
    assert import_scan_results(warehouse_url, store, scan_dir_key).complete
    assert result_counts(warehouse_url, imported.scan_id).keys() == counts.keys()
    assert set(result_counts(warehouse_url, imported.scan_id).values()) == {1}


def test_resume_of_an_unknown_scan_run_is_not_found_with_a_hint(
    source_logs: LogRoot, resume_env: dict[str, str]
) -> None:
    result = hawk(["local", "scan", "resume", "nope-1"], REPO_ROOT, resume_env)
    assert result.returncode == 1
    assert "scan run 'nope-1' not found" in result.stderr and "HAWK_LOG_ROOT" in result.stderr
    no_id = hawk(["local", "scan", "resume"], REPO_ROOT, resume_env)
    assert no_id.returncode == 1 and "no SCAN_RUN_ID given" in no_id.stderr
