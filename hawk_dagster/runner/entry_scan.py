"""Runs one resolved scan with Inspect Scout, inside the runner venv.

Executed by path with the runner venv's Python (`python entry_scan.py SPEC.json`): it imports only the
standard library, `inspect_ai`, `inspect_scout`, plus `entry_common.py` and `hawk_dagster/scans/filters.py`
loaded by file path (they need nothing hawk_dagster-specific). The spec is written by
`hawk_dagster.scans.spec` (no secrets: those arrive as environment variables).

As in Hawk's `run_scan.py`: scanners are created once per model (or once with no model) and every
model's scan runs in turn, each writing its own `scan_id=<id>/` folder under the results folder. When
any scanner has its own filter, the scan reads all source transcripts and a worklist gives each scanner
the transcripts its filter (else the global filter) selects. A summary goes back through Dagster Pipes.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

_common = importlib.util.spec_from_file_location(
    "hawk_entry_common", Path(__file__).with_name("entry_common.py")
)
common = importlib.util.module_from_spec(_common)  # type: ignore[arg-type]
_common.loader.exec_module(common)  # type: ignore[union-attr]

FILTERS_MODULE = Path(__file__).resolve().parents[1] / "scans" / "filters.py"
MAX_REPORTED_ERRORS = 20
PROGRESS_SYNCS = 20
"""About how many times a scan copies its results so far into its `scan_id=<id>/` folder while it runs
(Scout's `results_buffer`): without it Scout keeps them in its local buffer until the scan ends, and
`hawk status` (which reads `_summary.json` there) would say 0 transcripts done the whole time."""


def load_filters() -> Any:
    """`hawk_dagster/scans/filters.py`, loaded by path (hawk_dagster is not installed in this venv)."""
    return common.load_module(FILTERS_MODULE, "hawk_scan_filters")


def _build_scanners(spec: dict[str, Any], model: Any) -> dict[str, Any]:
    """`{scanner key: Scanner}` created with Scout's registry, with `model` as the active model."""
    from inspect_ai.model._model import init_active_model
    from inspect_scout._scanner.scanner import scanner_create

    if model is not None:
        init_active_model(model, model.config)
    scanners: dict[str, Any] = {}
    for scanner_spec in spec["scanners"]:
        name, args = scanner_spec["name"], scanner_spec.get("args") or {}
        try:
            scanners[scout_key(scanner_spec)] = scanner_create(name, args)
        except ValueError as exc:
            if "not found" not in str(exc):
                raise
            raise common.UserError(
                f"scanners: '{name}' is not a registered Scout scanner (check the package `name:`, its "
                "inspect_ai entry point, and the item `name:`)"
            ) from None
        except TypeError as exc:
            raise common.UserError(
                f"scanners: {name}({args}) failed: {exc} (fix the scanner's `args:`)"
            ) from None
    return scanners


def select_transcripts(spec: dict[str, Any]) -> tuple[Any, list[Any] | None, dict[str, int]]:
    """(transcripts to scan, worklist or None, transcripts selected per scanner key)."""
    from inspect_scout import Worklist, transcripts_from

    filters = load_filters()
    base = transcripts_from(spec["transcripts"])
    columns = filters.transcript_columns(base)
    global_filter = spec.get("filter")
    scanners = spec["scanners"]
    try:
        if not any(scanner.get("filter") is not None for scanner in scanners):
            selected = filters.filter_to_transcripts(
                base, global_filter, available_columns=columns, context="transcripts.filter"
            )
            count = len(filters.transcript_ids(selected))
            return selected, None, {scanner["key"]: count for scanner in scanners}
        worklist: list[Any] = []
        counts: dict[str, int] = {}
        for scanner in scanners:
            own = scanner.get("filter")
            context = f"scanners[{scanner['key']}].filter" if own is not None else "transcripts.filter"
            chosen = filters.filter_to_transcripts(
                base, own if own is not None else global_filter, available_columns=columns, context=context
            )
            ids = filters.transcript_ids(chosen)
            worklist.append(Worklist(scanner=scout_key(scanner), transcripts=ids))
            counts[scanner["key"]] = len(ids)
        return base, worklist, counts
    except filters.FilterError as exc:
        raise common.UserError(str(exc)) from None


def scout_key(scanner_spec: dict[str, Any]) -> str:
    """The name Scout gives a scanner (it lowercases keys and turns other characters into '_')."""
    return str(scanner_spec.get("scout_key") or scanner_spec["key"])


def _scan_summary(
    status: Any, model_name: str | None, counts: dict[str, int], scout_keys: dict[str, str]
) -> dict[str, Any]:
    summary = status.summary
    scanners: dict[str, Any] = {}
    for key, selected in counts.items():
        entry = summary.scanners.get(scout_keys.get(key, key)) if summary is not None else None
        scanners[key] = {
            "transcripts": selected,
            "scans": entry.scans if entry else 0,
            "results": entry.results if entry else 0,
            "errors": entry.errors if entry else 0,
            "tokens": entry.tokens if entry else 0,
        }
    errors = list(status.errors or [])
    configured = {scout: key for key, scout in scout_keys.items()}
    return {
        "model": model_name,
        "scan_id": status.spec.scan_id,
        "location": str(status.location),
        "complete": bool(status.complete),
        "scanners": scanners,
        "errors": [
            {
                "scanner": configured.get(e.scanner, e.scanner),
                "transcript_id": e.transcript_id,
                "error": e.error,
            }
            for e in errors[:MAX_REPORTED_ERRORS]
        ],
        "error_count": len(errors),
    }


def scan_summary(
    status: Any, spec: dict[str, Any], model_name: str | None, counts: dict[str, int]
) -> dict[str, Any]:
    """The summary entry of one scan's Scout status (also for a resumed scan, `entry_scan_resume.py`)."""
    scout_keys = {scanner["key"]: scout_key(scanner) for scanner in spec["scanners"]}
    return _scan_summary(status, model_name, counts, scout_keys)


def progress_sync_every(counts: dict[str, int]) -> int:
    """Scout's `results_buffer` for a scan recording `sum(counts)` results (one per transcript x
    scanner): a sync every 1/PROGRESS_SYNCS of them, at least one result apart. Scout skips a sync due
    while the previous one is still writing, so slow stores get fewer."""
    return max(1, sum(counts.values()) // PROGRESS_SYNCS)


def select_and_log(spec: dict[str, Any], log: Any) -> tuple[Any, list[Any] | None, dict[str, int]]:
    """`select_transcripts`, with the count per scanner in the run log."""
    selected = select_transcripts(spec)
    log.info(f"transcripts per scanner: {', '.join(f'{key}={count}' for key, count in selected[2].items())}")
    return selected


def scan_model(
    spec: dict[str, Any],
    model_spec: dict[str, Any] | None,
    selected: tuple[Any, list[Any] | None, dict[str, int]],
    log: Any,
) -> dict[str, Any]:
    """One `scan()` call, with `model_spec` (or no model), into its own `scan_id=<id>/` folder."""
    from inspect_scout import ScanJob, scan

    transcripts, worklist, counts = selected
    model_roles = {role: common.build_model(m) for role, m in (spec.get("model_roles") or {}).items()}
    model = common.build_model(model_spec)
    model_name = model_spec["name"] if model_spec else None
    job = ScanJob(scanners=_build_scanners(spec, model), worklist=worklist, name=spec["scan_name"])
    log.info(f"scanning with model {model_name or '(none)'} into {spec['results_dir']}")
    status = scan(
        job,
        transcripts=transcripts,
        scans=spec["results_dir"],
        model=model,
        model_roles=model_roles or None,
        **{"results_buffer": progress_sync_every(counts), **spec["scan_kwargs"]},
    )
    return scan_summary(status, spec, model_name, counts)


def run_summary(spec: dict[str, Any], scans: list[dict[str, Any]]) -> dict[str, Any]:
    return {"scan_run_id": spec["scan_run_id"], "results_dir": spec["results_dir"], "scans": scans}


def run(spec: dict[str, Any], log: Any) -> dict[str, Any]:
    selected = select_and_log(spec, log)
    return run_summary(
        spec, [scan_model(spec, model_spec, selected, log) for model_spec in spec["models"] or [None]]
    )


if __name__ == "__main__":  # required: Scout's worker processes re-import the main module
    sys.exit(common.run_entry(sys.argv, run, preload=("inspect_ai", "inspect_scout", "dagster_pipes")))
