"""The scan-run folders under `scans/` (`SCAN_RUN_FOLDERS`): which keys are Scout results."""

from __future__ import annotations

from hawk_dagster.logstore import SCANS_PREFIX, LogStore
from hawk_dagster.scans.importer import scan_dir_key_for
from hawk_dagster.sensing.folders import FolderKind

SCAN_FILES = ("_scan.json", "_summary.json")


def is_scan_result_key(key: str) -> bool:
    """`scans/<run>/scan_id=<id>/{_scan.json,_summary.json,<scanner>.parquet}`; not temp files."""
    if scan_dir_key_for(key) is None:
        return False
    name = key.rsplit("/", 1)[-1]
    return name in SCAN_FILES or name.endswith(".parquet")


def scan_result_ready(store: LogStore, key: str) -> bool:
    """Scout renames finished files into place, so every listed result file is complete."""
    return True


def scan_dir_keys(keys: list[str]) -> list[str]:
    return sorted({d for d in (scan_dir_key_for(k) for k in keys) if d is not None})


SCAN_RUN_FOLDERS = FolderKind(SCANS_PREFIX, is_scan_result_key, scan_result_ready, "scan run")
