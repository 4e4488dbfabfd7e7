"""A scan run's progress in `hawk status`, read from Scout's files in its results folder: the transcript
stack's real finished scan (`export-1`, the tool_call_counter scanner over 12 transcripts), and copies of
it cut back to what Scout has written at earlier points of a run: only `_scan.json` (before its first
sync), and a summary that is not complete (a periodic sync, or an interrupted scan) with an error line.
Each count is checked against Scout's own reader (`inspect_scout.scan_status`) or the scanner's parquet.
And a real scan caught while it runs (the scan tests' blocking scanner holds it part-way): the transcripts
Scout has synced into the results folder so far."""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from inspect_scout import scan_status
from inspect_scout._scanner.result import Error

from hawk_dagster.api.jobs_dagster import Dagster
from hawk_dagster.api.monitoring import Job, job_status
from hawk_dagster.api.settings import ApiSettings
from hawk_dagster.cli.jobs import format_status
from hawk_dagster.logstore import SCANS_PREFIX, LogStore
from hawk_dagster.runs.tags import SCAN_RUN_ID_TAG
from hawk_dagster.scans.progress import COMPLETE, NOT_SYNCED, PARTIAL, scan_progress
from tests.scans.conftest import (
    SOURCE_EVAL_SET_ID,
    LogRoot,
    blocking_scan_config,
    local_scan_env,
)
from tests.scans.test_scan_resume import start_scan, wait_for
from tests.transcripts.stack import SCAN_RUN_ID, TranscriptLogs

pytestmark = pytest.mark.timeout(900)

SCANNER = "tool_call_counter"


def scan_dir(root: Path, scan_run_id: str) -> Path:
    (found,) = [p for p in (root / SCANS_PREFIX / scan_run_id).iterdir() if p.name.startswith("scan_id=")]
    return found


def copy_run(logs: TranscriptLogs, root: Path, scan_run_id: str) -> Path:
    """A copy of the finished scan run under another id and log root; its `scan_id=` folder."""
    shutil.copytree(logs.root / SCANS_PREFIX / SCAN_RUN_ID, root / SCANS_PREFIX / scan_run_id)
    return scan_dir(root, scan_run_id)


def status_of(root: Path, scan_run_id: str) -> dict[str, Any]:
    """`GET /jobs/{id}/status`'s answer for a scan with no Dagster run (no Dagster is asked)."""
    job = Job(scan_run_id, "scan", SCANS_PREFIX, SCAN_RUN_ID_TAG, None)
    store = LogStore.from_root(str(root))
    return job_status(job, ApiSettings(log_root=str(root)), store, Dagster("http://127.0.0.1:9"))


def test_a_finished_scan_is_complete_with_every_transcript(transcript_logs: TranscriptLogs) -> None:
    folder = scan_dir(transcript_logs.root, SCAN_RUN_ID)
    scout = scan_status(str(folder))
    parquet_rows = pq.read_table(folder / f"{SCANNER}.parquet", columns=["transcript_id"]).num_rows
    spec = json.loads((folder / "_scan.json").read_text())

    (row,) = scan_progress(transcript_logs.store, SCAN_RUN_ID).rows
    assert row.scanner == SCANNER and row.state == COMPLETE and scout.complete
    assert row.transcripts_done == scout.summary.scanners[SCANNER].scans == parquet_rows
    assert row.transcripts_total == len(spec["transcripts"]["transcript_ids"]) == parquet_rows
    assert row.results == scout.summary.scanners[SCANNER].results
    assert row.errors == 0 and row.model is None and row.scan_id == scout.spec.scan_id

    text = format_status(status_of(transcript_logs.root, SCAN_RUN_ID))
    assert f"-      {SCANNER}  complete  {parquet_rows}/{parquet_rows}" in text, text


def test_before_scouts_first_sync_nothing_is_done_yet(
    transcript_logs: TranscriptLogs, tmp_path: Path
) -> None:
    folder = copy_run(transcript_logs, tmp_path, "started-1")
    for name in ("_summary.json", "_errors.jsonl", f"{SCANNER}.parquet"):
        (folder / name).unlink()
    total = len(json.loads((folder / "_scan.json").read_text())["transcripts"]["transcript_ids"])

    status = status_of(tmp_path, "started-1")
    (row,) = status["scanners"]
    assert row["state"] == NOT_SYNCED and not scan_status(str(folder)).complete
    assert (row["transcripts_done"], row["transcripts_total"]) == (0, total)
    assert f"{NOT_SYNCED}  0/{total}" in format_status(status)


def test_a_partial_summary_gives_the_transcripts_done_so_far_and_its_errors(
    transcript_logs: TranscriptLogs, tmp_path: Path
) -> None:
    folder = copy_run(transcript_logs, tmp_path, "partial-1")
    summary = json.loads((folder / "_summary.json").read_text())
    summary["complete"] = False
    summary["scanners"][SCANNER].update(scans=5, results=2, errors=1)
    (folder / "_summary.json").write_text(json.dumps(summary))
    spec = json.loads((folder / "_scan.json").read_text())
    transcript_id = next(iter(spec["transcripts"]["transcript_ids"]))
    error = Error(
        transcript_id=transcript_id, scanner=SCANNER, error="boom\nsecond line", traceback="", refusal=False
    )
    (folder / "_errors.jsonl").write_text(error.model_dump_json() + "\n")

    scout = scan_status(str(folder))
    status = status_of(tmp_path, "partial-1")
    (row,) = status["scanners"]
    assert row["state"] == PARTIAL and not scout.complete
    assert row["transcripts_done"] == scout.summary.scanners[SCANNER].scans == 5
    assert row["transcripts_total"] == len(spec["transcripts"]["transcript_ids"])
    assert (row["results"], row["errors"]) == (2, 1) and len(scout.errors) == 1
    assert status["errors"] == [f"{SCANNER} on transcript {transcript_id}: boom"]
    text = format_status(status)
    assert f"{PARTIAL}  5/{row['transcripts_total']}" in text and "boom" in text


def test_a_run_without_scan_folders_has_no_scanner_rows(transcript_logs: TranscriptLogs) -> None:
    store = transcript_logs.store
    assert scan_progress(store, "no-such-scan").rows == []


def synced_scans(root: Path, scan_run_id: str, scanner: str) -> int:
    """Transcripts `scanner` has done as the `_summary.json` in the scan run's folder says (0: none yet)."""
    found = list((root / SCANS_PREFIX / scan_run_id).glob("scan_id=*/_summary.json"))
    if not found:
        return 0
    try:
        return int(json.loads(found[0].read_text())["scanners"].get(scanner, {}).get("scans", 0))
    except (ValueError, KeyError):
        return 0


def test_a_running_scan_shows_the_transcripts_done_so_far(source_logs: LogRoot, tmp_path: Path) -> None:
    """`hawk local scan run` of the blocking scanner (it stops after BLOCK_AFTER transcripts) beside
    tool_call_counter, over the 12 source transcripts; read while the run is still alive, then killed."""
    block_after, transcripts, scan_run_id = 4, 12, "progress-1"
    root = tmp_path / "logs"
    shutil.copytree(source_logs.path / "evals" / SOURCE_EVAL_SET_ID, root / "evals" / SOURCE_EVAL_SET_ID)
    state_dir = tmp_path / "scanner-state"
    state_dir.mkdir()
    (state_dir / "block-after").write_text(str(block_after))
    config_path = tmp_path / "progress.scan.yaml"
    config_path.write_text(json.dumps(blocking_scan_config("progress test", state_dir)))
    output = tmp_path / "run.log"
    running = start_scan(config_path, scan_run_id, local_scan_env(root, tmp_path), output)
    try:
        wait_for(
            lambda: (
                (state_dir / "blocked").exists() and synced_scans(root, scan_run_id, "blocking_counter") > 0
            ),
            running,
            output,
        )
        status = status_of(root, scan_run_id)
        still_running = running.poll() is None
    finally:
        os.killpg(running.pid, signal.SIGKILL)
        running.wait()

    assert still_running, output.read_text()
    rows = {row["scanner"]: row for row in status["scanners"]}
    assert sorted(rows) == ["blocking_counter", SCANNER]
    blocking = rows["blocking_counter"]
    assert blocking["state"] == PARTIAL
    assert blocking["transcripts_total"] == transcripts
    assert 0 < blocking["transcripts_done"] <= block_after < transcripts
    assert blocking["transcripts_done"] <= len((state_dir / "calls.txt").read_text().splitlines())
    assert f"{PARTIAL}  {blocking['transcripts_done']}/{transcripts}" in format_status(status)
