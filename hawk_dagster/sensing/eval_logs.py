"""The eval-set folders under `evals/` (`EVAL_SET_FOLDERS`): which keys are importable Inspect logs, and
when a log is finished.

Logs still being written (Inspect's `started` logs: no `header.json` yet) are deferred while they keep
changing; one that stays untouched for the tick's `stale_after` is imported as it is (a crashed run's
samples are not lost; the importer keeps such crash remnants from double counting).
"""

from __future__ import annotations

import zipfile

from hawk_dagster.logstore import EVALS_PREFIX, LogStore, LogStoreError
from hawk_dagster.sensing.folders import FolderKind


def is_importable_log_key(key: str) -> bool:
    """`.eval` files directly in an eval set folder; not `.fast.eval`, `.buffer/`, sidecars or probes."""
    parts = key.split("/")
    if len(parts) != 3 or parts[0] != EVALS_PREFIX:
        return False
    name = parts[2]
    return name.endswith(".eval") and not name.endswith(".fast.eval") and not name.startswith(".")


def log_is_finished(store: LogStore, key: str) -> bool:
    """True when the zip has Inspect's final `header.json` (a running or crashed log does not)."""
    try:
        with store.open_for_read(key) as handle, zipfile.ZipFile(handle) as archive:
            return "header.json" in archive.namelist()
    except (zipfile.BadZipFile, OSError, LogStoreError, EOFError):
        return False  # half-written: look again on a later tick


EVAL_SET_FOLDERS = FolderKind(EVALS_PREFIX, is_importable_log_key, log_is_finished, "eval set")
