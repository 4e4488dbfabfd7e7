"""Runs one resolved scan with Inspect Scout, inside the runner venv.

Executed by path with the runner venv's Python (`python entry_scan.py SPEC.json`): it imports only the
standard library, `inspect_ai`, `inspect_scout` and `dagster_pipes`, plus `hawk_dagster/scans/filters.py`
loaded by file path (it needs nothing but `inspect_scout`). The spec is written by
`hawk_dagster.scans.spec` (no secrets: those arrive as environment variables).

As in Hawk's `run_scan.py`: scanners are created once per model (or once with no model) and every
model's scan runs in turn, each writing its own `scan_id=<id>/` folder under the results folder. When
any scanner has its own filter, the scan reads all source transcripts and a worklist gives each scanner
the transcripts its filter (else the global filter) selects. A summary goes back through Dagster Pipes.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import sys
from contextlib import suppress
from pathlib import Path
from types import ModuleType
from typing import Any

SUMMARY_MESSAGE = "hawk.scan.summary"
ERROR_MESSAGE = "hawk.scan.error"
FILTERS_MODULE = Path(__file__).resolve().parents[1] / "scans" / "filters.py"
MAX_REPORTED_ERRORS = 20


class ScanSetupError(Exception):
    """A user-caused problem found before scanning; reported as its message alone."""


class _PipesLogHandler(logging.Handler):
    """Forwards Scout's and Inspect's log records to the Dagster run log."""

    def __init__(self, pipes_logger: logging.Logger) -> None:
        super().__init__(level=logging.INFO)
        self._pipes_logger = pipes_logger

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(("httpx", "botocore", "urllib3", "s3fs", "aiobotocore")):
            return
        with suppress(Exception):
            self._pipes_logger.log(record.levelno, f"[{record.name}] {record.getMessage()}")


def load_filters() -> ModuleType:
    """`hawk_dagster/scans/filters.py`, loaded by path (hawk_dagster is not installed in this venv)."""
    name = "hawk_scan_filters"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, FILTERS_MODULE)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load the filter translation from {FILTERS_MODULE}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _build_model(spec: dict[str, Any] | None) -> Any:
    if spec is None:
        return None
    from inspect_ai.model import GenerateConfig, get_model

    args = dict(spec.get("args") or {})
    config = args.pop("config", None)
    args.pop("api_key", None)
    if config is not None:
        args["config"] = GenerateConfig(**config)
    return get_model(spec["name"], **args)


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
            raise ScanSetupError(
                f"scanners: '{name}' is not a registered Scout scanner (check the package `name:`, its "
                "inspect_ai entry point, and the item `name:`)"
            ) from None
        except TypeError as exc:
            raise ScanSetupError(
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
        raise ScanSetupError(str(exc)) from None


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


def run(spec: dict[str, Any], pipes: Any | None) -> dict[str, Any]:
    from inspect_scout import ScanJob, scan

    transcripts, worklist, counts = select_transcripts(spec)
    if pipes is not None:
        selected = ", ".join(f"{key}={count}" for key, count in counts.items())
        pipes.log.info(f"transcripts per scanner: {selected}")
    kwargs = dict(spec["scan_kwargs"])
    model_roles = {role: _build_model(m) for role, m in (spec.get("model_roles") or {}).items()}
    results: list[dict[str, Any]] = []
    for model_spec in spec["models"] or [None]:
        model = _build_model(model_spec)
        model_name = model_spec["name"] if model_spec else None
        job = ScanJob(scanners=_build_scanners(spec, model), worklist=worklist, name=spec["scan_name"])
        if pipes is not None:
            pipes.log.info(f"scanning with model {model_name or '(none)'} into {spec['results_dir']}")
        status = scan(
            job,
            transcripts=transcripts,
            scans=spec["results_dir"],
            model=model,
            model_roles=model_roles or None,
            **kwargs,
        )
        scout_keys = {scanner["key"]: scout_key(scanner) for scanner in spec["scanners"]}
        results.append(_scan_summary(status, model_name, counts, scout_keys))
    return {"scan_run_id": spec["scan_run_id"], "results_dir": spec["results_dir"], "scans": results}


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[1]).read_text())
    os.environ.setdefault("INSPECT_DISPLAY", "log")
    try:
        from dagster_pipes import open_dagster_pipes
    except ImportError:  # run by hand, outside Dagster
        print(json.dumps(run(spec, None), indent=2))
        return 0
    with open_dagster_pipes() as pipes:
        root = logging.getLogger()
        root.addHandler(_PipesLogHandler(pipes.log))
        if root.level > logging.INFO or root.level == logging.NOTSET:
            root.setLevel(logging.INFO)
        try:
            summary = run(spec, pipes)
        except BaseException as exc:
            user_error = isinstance(exc, ScanSetupError | SystemExit)
            message = str(exc) if user_error else f"{type(exc).__name__}: {exc}"
            pipes.report_custom_message({"type": ERROR_MESSAGE, "message": message})
            raise
        pipes.report_custom_message({"type": SUMMARY_MESSAGE, **summary})
    return 0


if __name__ == "__main__":  # required: Scout's worker processes re-import the main module
    sys.exit(main(sys.argv))
