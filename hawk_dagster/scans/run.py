"""The scan kind of run: its source eval sets, its spec (Scout `scan()` arguments), its outcome and table.

Everything a user can get wrong (sources, scanner keys, secrets) is checked before the runner venv is
built, and nothing is written under the scan run's folder until then (see `hawk_dagster.runs.execute`).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Self

from pydantic import BaseModel, Field, computed_field

from hawk_dagster.config.ids import is_valid_job_id
from hawk_dagster.config.scans import MAX_EVAL_SET_IDS, ScanConfig, TranscriptSource
from hawk_dagster.logstore import EVALS_PREFIX, SCANS_PREFIX, LogStore
from hawk_dagster.logstore.keys import eval_set_key
from hawk_dagster.runs.kind import (
    BuiltSpec,
    OutcomeLabels,
    PreparedRun,
    RunError,
    RunKind,
    RunNames,
    RunOutcome,
    SpecRequest,
)
from hawk_dagster.runs.table import format_table
from hawk_dagster.runs.tags import SCAN_RUN_ID_TAG
from hawk_dagster.scans.spec import build_scan_spec, scan_model_names

SCAN_RUNTIME_DISTS = ("inspect-ai", "inspect-scout")
ScanRunError = RunError


def _has_eval_logs(store: LogStore, eval_set_id: str) -> bool:
    prefix = eval_set_key(eval_set_id) + "/"
    for info in store.list(prefix):
        name = info.key[len(prefix) :]
        if "/" not in name and name.endswith(".eval"):
            return True
    return False


def source_log_dirs(store: LogStore, eval_set_ids: list[str]) -> list[str]:
    """Log folders of the source eval sets; ScanRunError naming any that has no `.eval` logs."""
    if not eval_set_ids:
        raise ScanRunError(
            "transcripts.sources is empty: add at least one `- eval_set_id: <id>` of an eval set to scan"
        )
    if len(eval_set_ids) > MAX_EVAL_SET_IDS:
        raise ScanRunError(
            f"transcripts.sources lists {len(eval_set_ids)} eval sets; at most {MAX_EVAL_SET_IDS} "
            "can be scanned at once (split the scan)"
        )
    invalid = [eval_set_id for eval_set_id in eval_set_ids if not is_valid_job_id(eval_set_id)]
    if invalid:
        raise ScanRunError(
            f"transcripts.sources: '{invalid[0]}' is not an eval set id "
            "(ids are lowercase letters, digits and '-'; copy it from the eval set's output)"
        )
    missing = [eval_set_id for eval_set_id in eval_set_ids if not _has_eval_logs(store, eval_set_id)]
    if missing:
        existing = store.list_dirs(EVALS_PREFIX)
        close = difflib.get_close_matches(missing[0], existing, n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise ScanRunError(
            f"transcripts.sources: eval set '{missing[0]}' has no logs in {store.uri(EVALS_PREFIX, missing[0])} "
            f"({hint}check the eval_set_id and the log root HAWK_LOG_ROOT)"
        )
    return [store.eval_set_dir(eval_set_id) for eval_set_id in eval_set_ids]


def check_sources(config: ScanConfig, store: LogStore) -> list[str]:
    return source_log_dirs(store, [source.eval_set_id for source in config.transcripts.sources])


def with_sources(config: ScanConfig, eval_set_ids: Sequence[str]) -> ScanConfig:
    """The config scanning `eval_set_ids` instead of its own `transcripts.sources` (`--eval-set-id`)."""
    sources = [TranscriptSource(eval_set_id=eval_set_id) for eval_set_id in eval_set_ids]
    transcripts = config.transcripts.model_copy(update={"sources": sources})
    return config.model_copy(update={"transcripts": transcripts})


def build_spec(request: SpecRequest) -> BuiltSpec:
    config: ScanConfig = request.config
    spec = build_scan_spec(
        config,
        scan_run_id=request.job_id,
        results_dir=request.location,
        transcripts=[request.store.eval_set_dir(source.eval_set_id) for source in config.transcripts.sources],
        created_by=request.created_by,
        display=str(request.options.get("display", "log")),
    )
    runs = (
        f"{len(spec.scanners)} scanner(s) x {max(1, len(spec.models))} model(s) "
        f"over eval set(s) {', '.join(spec.eval_set_ids)}"
    )
    return BuiltSpec(spec, runs, scan_model_names(config))


# -- outcome ---------------------------------------------------------------------------------------


class ScannerOutcome(BaseModel):
    transcripts: int = 0  # selected by the scanner's filter
    scans: int = 0
    results: int = 0  # Scout's count of truthy results
    errors: int = 0
    tokens: int = 0


class ModelScanOutcome(BaseModel):
    """One `scan()` call: one model (or none), all scanners; one `scan_id=<id>` folder."""

    model: str | None = None
    scan_id: str
    location: str
    scan_dir_key: str  # `scans/<scan_run_id>/scan_id=<id>`, the importer's argument
    complete: bool = False
    scanners: dict[str, ScannerOutcome] = Field(default_factory=dict)
    errors: list[dict[str, Any]] = Field(default_factory=list)
    error_count: int = 0

    @property
    def transcripts(self) -> int:
        return sum(scanner.transcripts for scanner in self.scanners.values())


class ScanOutcome(RunOutcome):
    labels: ClassVar[OutcomeLabels] = OutcomeLabels("scan_run_id", "results_dir", "Results", "scanners")

    scan_run_id: str
    results_dir: str
    scans: list[ModelScanOutcome] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def scan_dir_keys(self) -> list[str]:
        return [scan.scan_dir_key for scan in self.scans]

    @classmethod
    def from_summary(cls, prepared: PreparedRun, summary: Mapping[str, Any], store: LogStore) -> Self:
        """Each scan's location is mapped to its log-store key (the importer's argument)."""
        scans = [
            {**entry, "scan_dir_key": entry.get("scan_dir_key") or store.relpath(str(entry["location"]))}
            for entry in summary.get("scans", [])
        ]
        return cls(scan_run_id=prepared.job_id, results_dir=prepared.location, scans=scans)  # type: ignore[arg-type]

    def counts(self) -> dict[str, int]:
        scanners = [scanner for scan in self.scans for scanner in scan.scanners.values()]
        return {
            "scans": len(self.scans),
            "transcripts": sum(scan.transcripts for scan in self.scans),
            "results": sum(scanner.results for scanner in scanners),
        }

    def facts(self) -> dict[str, str | int]:
        return {
            "scan_run_id": self.scan_run_id,
            "results_dir": self.results_dir,
            "transcripts_scanned": sum(scan.transcripts for scan in self.scans),
            "scanner_errors": sum(scan.error_count for scan in self.scans),
        }

    def warnings(self) -> list[str]:
        """What the user should see: filters that matched nothing, scanners that raised."""
        warnings: list[str] = []
        for scan in self.scans:
            on_model = f" with model {scan.model}" if scan.model else ""
            for key, scanner in scan.scanners.items():
                if scanner.transcripts == 0:
                    warnings.append(
                        f"scanner {key}{on_model}: no transcript matched its filter, so it has no results "
                        "(check the filter's values)"
                    )
            if scan.error_count:
                first = scan.errors[0] if scan.errors else {}
                warnings.append(
                    f"scan {scan.scan_id}{on_model}: {scan.error_count} scanner error(s), e.g. "
                    f"{first.get('scanner', '?')} on transcript {first.get('transcript_id', '?')}: "
                    f"{first.get('error', '?')} (error rows are kept in the results; fix the scanner and re-run)"
                )
        return warnings

    def table(self) -> str:
        """Model x scanner results."""
        rows = [
            (scan.model or "-", key, s.transcripts, s.scans, s.results, s.errors, s.tokens)
            for scan in self.scans
            for key, s in sorted(scan.scanners.items())
        ]
        return format_table(
            ("model", "scanner", "transcripts", "scanned", "truthy", "errors", "tokens"), rows
        )

    def records(self) -> list[dict[str, str | int]]:
        return [
            {
                "model": scan.model or "-",
                "scan_id": scan.scan_id,
                "scanner": key,
                "transcripts": s.transcripts,
                "scanned": s.scans,
                "truthy": s.results,
                "errors": s.errors,
                "tokens": s.tokens,
            }
            for scan in self.scans
            for key, s in scan.scanners.items()
        ]


SCAN: RunKind[ScanOutcome] = RunKind(
    names=RunNames("scan", "Scan run", "scan", "scan_run_id", SCAN_RUN_ID_TAG, SCANS_PREFIX, "Scout"),
    runtime_dists=SCAN_RUNTIME_DISTS,
    outcome_type=ScanOutcome,
    build_spec=build_spec,
    check_sources=check_sources,
)
