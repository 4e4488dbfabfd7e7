"""A scanner key Scout renames (`Tool-Calls` -> `tool_calls`) is reported and imported under the configured
key: real scans over the offline source logs, then the real importer into a fresh warehouse."""

from __future__ import annotations

from typing import Any

import dagster as dg
import psycopg
import pytest

from hawk_dagster.jobs.scan import RUN_SCAN_OP
from hawk_dagster.logstore import LogStore
from hawk_dagster.scans.importer import import_scan_results
from hawk_dagster.scans.spec import SCANNER_KEYS_METADATA
from tests.scans.conftest import LogRoot, failure_text, package, run_scan_job, scan_config


def scanner_keys_in_warehouse(url: str) -> dict[str, int]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT scanner_key, count(*) FROM hawk_raw.scanner_result GROUP BY scanner_key"
        ).fetchall()
    return {str(key): int(count) for key, count in rows}


@pytest.mark.parametrize("own_filter", [False, True], ids=["every-transcript", "worklist"])
def test_renamed_scanner_keys_are_reported_and_imported_as_configured(
    own_filter: bool, source_logs: LogRoot, dagster_instance: dg.DagsterInstance, warehouse_url: str
) -> None:
    counter: dict[str, Any] = {"name": "tool_call_counter", "key": "Tool-Calls"}
    if own_filter:  # a per-scanner filter makes the scan use a worklist keyed by scanner name
        counter["filter"] = {"where": [{"task_set": "arith_tools"}]}
    config = scan_config(scanners=[package("hawk_examples", counter, {"name": "picky", "key": "Picky/V2"})])
    scan_run_id = f"renamed-keys-{int(own_filter)}"

    result = run_scan_job(config, source_logs, dagster_instance, scan_run_id=scan_run_id)

    assert result.success, failure_text(result)
    (scan,) = result.output_for_node(RUN_SCAN_OP)["scans"]
    counter_transcripts = 6 if own_filter else 12
    assert scan["scanners"]["Tool-Calls"]["transcripts"] == counter_transcripts
    assert scan["scanners"]["Tool-Calls"]["scans"] == counter_transcripts  # not "scanned 0"
    assert scan["scanners"]["Tool-Calls"]["results"] == 6  # the arith_tools transcripts call `add`
    assert scan["scanners"]["Picky/V2"]["scans"] == 12
    assert scan["scanners"]["Picky/V2"]["errors"] > 0  # picky raises for sample s1
    assert {error["scanner"] for error in scan["errors"]} == {"Picky/V2"}

    scan_dir = source_logs.path / scan["scan_dir_key"]
    assert sorted(path.name for path in scan_dir.glob("*.parquet")) == [
        "picky_v2.parquet",
        "tool_calls.parquet",
    ]

    imported = import_scan_results(
        warehouse_url, LogStore.from_root(str(source_logs.path)), scan["scan_dir_key"]
    )
    assert sorted(scanner.scanner_key for scanner in imported.scanners) == ["Picky/V2", "Tool-Calls"]
    stored = scanner_keys_in_warehouse(warehouse_url)
    assert set(stored) == {"Picky/V2", "Tool-Calls"}
    assert stored["Tool-Calls"] == counter_transcripts
    with psycopg.connect(warehouse_url) as connection:
        (meta,) = connection.execute("SELECT meta FROM hawk_raw.scan").fetchone() or (None,)
    assert meta[SCANNER_KEYS_METADATA] == {"tool_calls": "Tool-Calls", "picky_v2": "Picky/V2"}
