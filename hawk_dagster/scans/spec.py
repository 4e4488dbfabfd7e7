"""From a validated `ScanConfig` to the plain JSON spec the scan runner subprocess executes.

Hawk's `run_scan.py` mapping: every scanner runs once per configured model (or
once with no model), model roles are passed to every scan, and a per-scanner `filter` replaces the
global `transcripts.filter` for that scanner through a worklist. The spec holds filters as plain JSON
(the runner turns them into Scout conditions with `hawk_dagster/scans/filters.py`) and never secrets.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from hawk_dagster.config.base import qualified_name
from hawk_dagster.config.scans import ScanConfig, TranscriptFilterConfig, scout_scanner_name
from hawk_dagster.runner.spec import ModelSpec, model_spec

DEFAULT_SCAN_NAME = "scan"
DEFAULT_DISPLAY = "log"
DEFAULT_LOG_LEVEL = "info"
SCANNER_KEYS_METADATA = "hawk_scanner_keys"
"""Scan metadata entry `{Scout's name: configured key}`, present when Scout renames a key (`Tool-Calls`
is stored as `tool_calls`); the importer maps the rows' `scanner_key` back with it."""


class ScannerRunSpec(BaseModel):
    key: str
    """The configured key (`key` or `name`): what Hawk reports and stores."""
    scout_key: str
    """The name Scout gives the scanner (results file, rows' scanner_key, summary): `scout_scanner_name`."""
    name: str
    args: dict[str, Any] = {}
    filter: dict[str, Any] | None = None
    """The scanner's own filter (plain JSON); None means the global filter applies."""


class ScanRunSpec(BaseModel):
    """Everything the scan runner subprocess needs; serialised to JSON."""

    scan_run_id: str
    scan_name: str
    results_dir: str
    transcripts: list[str]
    """Log folders (local paths or s3:// URIs) of the source eval sets."""
    eval_set_ids: list[str]
    scanners: list[ScannerRunSpec]
    models: list[ModelSpec]
    model_roles: dict[str, ModelSpec]
    filter: dict[str, Any] | None = None
    """The global `transcripts.filter` (plain JSON)."""
    scan_kwargs: dict[str, Any]
    """Keyword arguments for `inspect_scout.scan()` other than scanners, transcripts and models."""

    @property
    def uses_worklist(self) -> bool:
        return any(scanner.filter is not None for scanner in self.scanners)

    def effective_filter(self, scanner: ScannerRunSpec) -> dict[str, Any] | None:
        return scanner.filter if scanner.filter is not None else self.filter


def plain_filter(config: TranscriptFilterConfig | None) -> dict[str, Any] | None:
    if config is None:
        return None
    return config.model_dump(mode="json", by_alias=True)


def scanner_specs(config: ScanConfig) -> list[ScannerRunSpec]:
    """One spec per scanner item, keyed by `key or name` (unique: the config validator checks)."""
    specs = [
        ScannerRunSpec(
            key=item.scanner_key,
            scout_key=scout_scanner_name(item.scanner_key) or item.scanner_key,
            name=qualified_name(package, item),
            args=item.args or {},
            filter=plain_filter(item.filter),
        )
        for package in config.scanners
        for item in package.items
    ]
    keys = [spec.key for spec in specs]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ValueError(f"scanner key '{duplicates[0]}' is used twice (give each scanner a unique `key:`)")
    return specs


def scan_metadata(config: ScanConfig, *, scan_run_id: str, created_by: str) -> dict[str, Any]:
    """User metadata, then the name, then what the platform sets (which the user cannot override)."""
    metadata: dict[str, Any] = dict(config.metadata or {})
    if config.name:
        metadata["name"] = config.name
    metadata.update(
        {
            "job_id": scan_run_id,
            "scan_run_id": scan_run_id,
            "created_by": created_by,
            "eval_set_ids": [source.eval_set_id for source in config.transcripts.sources],
        }
    )
    renamed = {spec.scout_key: spec.key for spec in scanner_specs(config) if spec.scout_key != spec.key}
    if renamed:
        metadata[SCANNER_KEYS_METADATA] = renamed
    return metadata


def build_scan_spec(
    config: ScanConfig,
    *,
    scan_run_id: str,
    results_dir: str,
    transcripts: list[str],
    created_by: str,
    display: str = DEFAULT_DISPLAY,
    log_level: str = DEFAULT_LOG_LEVEL,
) -> ScanRunSpec:
    models = [model_spec(package, item) for package in config.models or [] for item in package.items]
    model_roles = {
        role: model_spec(package, package.items[0]) for role, package in (config.model_roles or {}).items()
    }
    scan_kwargs: dict[str, Any] = {
        "max_transcripts": config.max_transcripts,
        "max_processes": config.max_processes,
        "tags": list(config.tags or []),
        "metadata": scan_metadata(config, scan_run_id=scan_run_id, created_by=created_by),
        "display": display,
        "log_level": log_level,
    }
    return ScanRunSpec(
        scan_run_id=scan_run_id,
        scan_name=config.name or DEFAULT_SCAN_NAME,
        results_dir=results_dir,
        transcripts=transcripts,
        eval_set_ids=[source.eval_set_id for source in config.transcripts.sources],
        scanners=scanner_specs(config),
        models=models,
        model_roles=model_roles,
        filter=plain_filter(config.transcripts.filter),
        scan_kwargs=scan_kwargs,
    )


def scan_model_names(config: ScanConfig) -> list[str]:
    """Every model the scan may call (models and model roles), qualified."""
    names = [qualified_name(package, item) for package in config.models or [] for item in package.items]
    names += [qualified_name(package, package.items[0]) for package in (config.model_roles or {}).values()]
    return sorted(set(names))
