"""A scan run's progress, read from what Scout writes in each of its `scan_id=<id>` folders (one per scan
model): `_scan.json` (the spec, written when the scan starts: scanners, model, transcripts and per-scanner
worklists), `_summary.json` (transcripts scanned, results and errors per scanner; written when the scan
ends or is interrupted, and while it runs each time Scout syncs its buffer: the runner asks for about
`entry_scan.PROGRESS_SYNCS` syncs a scan, Scout's `results_buffer`) and `_errors.jsonl` (one error a
line, written with the summary).

Per scanner x model: transcripts done / total. Before Scout's first sync there is no `_summary.json`:
done is then 0 and the state says so (the scan may be running; the Dagster run state tells).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hawk_dagster.logstore import SCANS_PREFIX, LogStore
from hawk_dagster.logstore.keys import run_key
from hawk_dagster.scans.importer import scan_dir_key_for

SCAN_SPEC = "_scan.json"
SCAN_SUMMARY = "_summary.json"
SCAN_ERRORS = "_errors.jsonl"
COMPLETE = "complete"
PARTIAL = "partial"
"""Scout synced a summary that is not complete: the scan is running (periodic sync) or was interrupted."""
NOT_SYNCED = "not synced yet"
"""`_scan.json` only: the scan started; Scout writes its counts at the end (or on its periodic sync)."""


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Transcripts(_Loose):
    transcript_ids: dict[str, Any] = Field(default_factory=dict)
    count: int = 0


class _Worklist(_Loose):
    scanner: str
    transcripts: list[str] = Field(default_factory=list)


class _Model(_Loose):
    model: str


class _Spec(_Loose):
    scan_id: str
    scanners: dict[str, Any] = Field(default_factory=dict)
    model: _Model | None = None
    transcripts: _Transcripts | None = None
    worklist: list[_Worklist] | None = None

    def total(self, scanner: str) -> int | None:
        for entry in self.worklist or []:
            if entry.scanner == scanner:
                return len(entry.transcripts)
        if self.transcripts is None:
            return None
        return len(self.transcripts.transcript_ids) or self.transcripts.count or None


class _ScannerSummary(_Loose):
    scans: int = 0
    results: int = 0
    errors: int = 0


class _Summary(_Loose):
    complete: bool = False
    scanners: dict[str, _ScannerSummary] = Field(default_factory=dict)


class ScannerProgress(BaseModel):
    """One scanner of one scan (model): the row `hawk status` prints."""

    scan_id: str
    model: str | None
    scanner: str
    state: str
    """COMPLETE, PARTIAL or NOT_SYNCED (see above)."""
    transcripts_done: int
    transcripts_total: int | None
    results: int
    errors: int


class ScanProgress(BaseModel):
    rows: list[ScannerProgress] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    """One line per scanner error Scout recorded (`scanner on transcript <id>: <first line>`), then any
    folder whose files could not be read."""


def _read_json(store: LogStore, key: str) -> Any | None:
    if not store.exists(key):
        return None
    text = store.read_text(key).strip()
    return json.loads(text) if text else None


def _error_lines(store: LogStore, key: str, model: str | None) -> list[str]:
    if not store.exists(key):
        return []
    lines = []
    on_model = f" (model {model})" if model else ""
    for raw in store.read_text(key).splitlines():
        if not raw.strip():
            continue
        try:
            error = json.loads(raw)
        except json.JSONDecodeError:
            continue  # a line Scout is still writing
        message = str(error.get("error") or "").strip().splitlines() or ["(no message)"]
        lines.append(
            f"{error.get('scanner', '?')}{on_model} on transcript {error.get('transcript_id', '?')}: {message[0]}"
        )
    return lines


def folder_progress(store: LogStore, scan_dir_key: str) -> ScanProgress:
    """The progress of one `scans/<scan_run_id>/scan_id=<id>` folder."""
    try:
        spec = _Spec.model_validate(_read_json(store, f"{scan_dir_key}/{SCAN_SPEC}"))
        loaded = _read_json(store, f"{scan_dir_key}/{SCAN_SUMMARY}")
        summary = None if loaded is None else _Summary.model_validate(loaded)
    except (ValidationError, json.JSONDecodeError) as exc:
        first = str(exc).splitlines()[0]
        return ScanProgress(errors=[f"{store.uri(scan_dir_key)}: unreadable scan files ({first})"])
    model = spec.model.model if spec.model else None
    state = NOT_SYNCED if summary is None else COMPLETE if summary.complete else PARTIAL
    rows = []
    for scanner in sorted(spec.scanners):
        counts = (summary.scanners.get(scanner) if summary else None) or _ScannerSummary()
        rows.append(
            ScannerProgress(
                scan_id=spec.scan_id,
                model=model,
                scanner=scanner,
                state=state,
                transcripts_done=counts.scans,
                transcripts_total=spec.total(scanner),
                results=counts.results,
                errors=counts.errors,
            )
        )
    return ScanProgress(rows=rows, errors=_error_lines(store, f"{scan_dir_key}/{SCAN_ERRORS}", model))


def scan_progress(store: LogStore, scan_run_id: str) -> ScanProgress:
    """The progress of every scan (one per model) of a scan run, by model and scanner."""
    folders = {
        folder
        for info in store.list(run_key(SCANS_PREFIX, scan_run_id) + "/")
        if (folder := scan_dir_key_for(info.key)) is not None and info.key == f"{folder}/{SCAN_SPEC}"
    }
    progress = ScanProgress()
    for folder in sorted(folders):
        one = folder_progress(store, folder)
        progress.rows.extend(one.rows)
        progress.errors.extend(one.errors)
    progress.rows.sort(key=lambda row: (row.model or "", row.scanner))
    return progress
