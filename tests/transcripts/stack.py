"""Real offline logs and a real Scout scan, imported into a real warehouse, for the transcript and scan
export tests (API, CLI, markdown). Import the fixtures into a test module to use them.

`transcript_logs`: a private log root holding a copy of the scan tests' source eval set (hawk_examples
arith and arith_tools x careful and sloppy offline models, 12 samples) with its `.models.json`, and a scan
run `export-1` (the tool_call_counter scanner over those transcripts), also with its `.models.json`.
`transcript_warehouse`: a warehouse with those logs and that scan imported, the offline models in GROUP.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import psycopg
import pytest

from hawk_dagster.access.models_file import write_models_file
from hawk_dagster.access.registry import ModelGroupRegistry, sync_registry
from hawk_dagster.importer.eval_import import import_eval_log
from hawk_dagster.jobs.scan import RUN_SCAN_OP
from hawk_dagster.logstore import EVALS_PREFIX, SCANS_PREFIX, LogStore
from hawk_dagster.scans.importer import import_scan_results
from tests.fixtures.postgres import temporary_database
from tests.scans.conftest import (
    SOURCE_EVAL_SET_ID,
    LogRoot,
    dagster_instance,
    failure_text,
    run_scan_job,
    scan_config,
    source_logs,
)

__all__ = [
    "GROUP",
    "MODELS",
    "SCAN_RUN_ID",
    "SOURCE_EVAL_SET_ID",
    "TranscriptLogs",
    "dagster_instance",
    "fetch",
    "source_logs",
    "transcript_logs",
    "transcript_warehouse",
]

GROUP = "model-access-offline"
MODELS = ("hawk-offline/careful", "hawk-offline/sloppy")
SCAN_RUN_ID = "export-1"


@dataclass(frozen=True)
class TranscriptLogs:
    root: Path
    scan_dir_keys: list[str]

    @property
    def store(self) -> LogStore:
        return LogStore.from_root(str(self.root))


def fetch(url: str, query: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    with psycopg.connect(url) as connection, connection.cursor(row_factory=psycopg.rows.dict_row) as cursor:
        return list(cursor.execute(query, params).fetchall())


@pytest.fixture(scope="session")
def transcript_logs(
    tmp_path_factory: pytest.TempPathFactory, source_logs: LogRoot, dagster_instance: dg.DagsterInstance
) -> TranscriptLogs:
    base = tmp_path_factory.mktemp("transcript-logs")
    root = LogRoot(base / "logs", base / "secrets")
    shutil.copytree(
        source_logs.path / EVALS_PREFIX / SOURCE_EVAL_SET_ID, root.path / EVALS_PREFIX / SOURCE_EVAL_SET_ID
    )
    result = run_scan_job(scan_config(), root, dagster_instance, scan_run_id=SCAN_RUN_ID, created_by="alice")
    assert result.success, failure_text(result)
    store = LogStore.from_root(str(root.path))
    write_models_file(store, EVALS_PREFIX, SOURCE_EVAL_SET_ID, MODELS, [GROUP])
    write_models_file(store, SCANS_PREFIX, SCAN_RUN_ID, MODELS, [GROUP])
    keys = [scan["scan_dir_key"] for scan in result.output_for_node(RUN_SCAN_OP)["scans"]]
    return TranscriptLogs(root.path, keys)


@pytest.fixture(scope="session")
def transcript_warehouse(
    postgres_url: str, warehouse_template: str, transcript_logs: TranscriptLogs
) -> Iterator[str]:
    with temporary_database(postgres_url, "hawk_transcripts", template=warehouse_template) as url:
        store = transcript_logs.store
        logs = sorted(info.key for info in store.list(f"{EVALS_PREFIX}/") if info.key.endswith(".eval"))
        assert len(logs) == 4, logs
        for key in logs:
            import_eval_log(url, store, key)
        for key in transcript_logs.scan_dir_keys:
            import_scan_results(url, store, key)
        sync_registry(url, ModelGroupRegistry(models=dict.fromkeys(MODELS, GROUP)))
        yield url
