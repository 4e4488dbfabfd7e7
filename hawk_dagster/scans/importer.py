"""Import one Scout scan folder (`scans/<scan_run_id>/scan_id=<id>/`) into the raw warehouse.

Hawk's rules: the scan row is upserted on `scan_id`, and an incoming scan whose
spec timestamp is older than the stored one is skipped (equal timestamps re-import, so the scanners
of one scan can import one by one); model roles follow the spec (roles no longer in it are deleted);
every scanner parquet's rows are upserted on (scan_pk, transcript_id, scanner_key, label) and linked to
`sample` rows by transcript_id = sample.uuid (NULL when the sample is not in the warehouse). Rows
whose content did not change are not written at all, so importing the same folder twice changes
nothing (not even `updated_at`). One transaction per folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import psycopg
from psycopg.types.json import Jsonb

from hawk_dagster.logstore import LogStore, ObjectNotFoundError
from hawk_dagster.scans.result_rows import clean, parquet_record_batches, strip_provider
from hawk_dagster.scans.spec import SCANNER_KEYS_METADATA
from hawk_dagster.warehouse.database import to_libpq_url
from hawk_dagster.warehouse.schema import RAW_SCHEMA

SCAN_SPEC_FILE = "_scan.json"
SCAN_SUMMARY_FILE = "_summary.json"
SCAN_ERRORS_FILE = "_errors.jsonl"
PARQUET_SUFFIX = ".parquet"
DEFAULT_BATCH_SIZE = 500
EVAL_LOG_SOURCE = "eval_log"

SCAN_COLUMNS = (
    "meta",
    "timestamp",
    "scan_id",
    "scan_name",
    "job_id",
    "location",
    "errors",
    "model",
    "model_generate_config",
    "model_args",
)
SCAN_JSON_COLUMNS = frozenset({"meta", "model_generate_config", "model_args"})
RESULT_KEY_COLUMNS = ("scan_pk", "transcript_id", "scanner_key", "label")
RESULT_COLUMNS = (
    "scan_pk",
    "sample_pk",
    "transcript_id",
    "transcript_source_type",
    "transcript_source_id",
    "transcript_source_uri",
    "transcript_date",
    "transcript_task_set",
    "transcript_task_id",
    "transcript_task_repeat",
    "transcript_meta",
    "scanner_key",
    "scanner_name",
    "scanner_version",
    "scanner_package_version",
    "scanner_file",
    "scanner_params",
    "input_type",
    "input_ids",
    "uuid",
    "label",
    "value",
    "value_type",
    "value_float",
    "answer",
    "explanation",
    "timestamp",
    "scan_tags",
    "scan_total_tokens",
    "scan_model_usage",
    "scan_error",
    "scan_error_traceback",
    "scan_error_type",
    "validation_target",
    "validation_result",
    "meta",
)
RESULT_JSON_COLUMNS = frozenset(
    {"transcript_meta", "scanner_params", "value", "scan_model_usage", "validation_result", "meta"}
)
ROLE_COLUMNS = ("model", "config", "base_url", "args")


class ScanImportError(RuntimeError):
    """The folder is not a Scout scan folder (or cannot be read); the message says what to pass."""


@dataclass
class ScannerImport:
    scanner_key: str  # the configured key (the parquet is named by Scout's name for it)
    parquet_key: str
    rows: int = 0  # result records read (resultsets expanded)
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    linked: int = 0  # records linked to a warehouse sample


@dataclass
class ScanImportResult:
    scan_dir_key: str
    scan_id: str
    outcome: Literal["imported", "skipped"]
    reason: str | None = None
    complete: bool = False  # Scout's `_summary.json` says the scan completed
    scan_pk: str | None = None
    scan_written: bool = False  # False when the stored scan row was already identical
    model_roles: int = 0
    scanners: list[ScannerImport] = field(default_factory=list)

    @property
    def result_rows(self) -> int:
        return sum(scanner.rows for scanner in self.scanners)

    @property
    def rows_written(self) -> int:
        return sum(scanner.inserted + scanner.updated for scanner in self.scanners)

    @property
    def rows(self) -> dict[str, int]:
        """Rows per table that this folder holds in the warehouse after the import."""
        if self.outcome != "imported":
            return {}
        return {"scan": 1, "scanner_result": self.result_rows, "model_role": self.model_roles}


def _read_json(store: LogStore, key: str) -> Any:
    try:
        return json.loads(store.read_text(key))
    except ObjectNotFoundError:
        raise ScanImportError(
            f"{store.uri(key)} does not exist: pass a Scout scan folder such as scans/<scan_run_id>/scan_id=<id>"
        ) from None
    except ValueError as exc:
        raise ScanImportError(
            f"{store.uri(key)} is not valid JSON ({exc}); was the scan interrupted?"
        ) from None


def _read_errors(store: LogStore, key: str) -> list[str]:
    if not store.exists(key):
        return []
    errors: list[str] = []
    for line in store.read_text(key).splitlines():
        if line.strip():
            entry = json.loads(line)
            errors.append(str(entry.get("error", entry)) if isinstance(entry, dict) else str(entry))
    return errors


_SCAN_DIR_KEY = re.compile(r"^(scans/[^/]+/scan_id=[^/]+)/[^/]+$")


def scan_dir_key_for(object_key: str) -> str | None:
    """The scan folder of a log-store object (`scans/<run>/scan_id=<id>/<file>` -> `scans/<run>/scan_id=<id>`),
    or None for objects outside scan folders (sidecars, eval logs). For sensors."""
    found = _SCAN_DIR_KEY.match(object_key)
    return found.group(1) if found else None


def scanner_parquet_keys(store: LogStore, scan_dir_key: str) -> list[str]:
    """Keys of the finished scanner parquets directly in the folder (Scout writes `<key>.tmp` first)."""
    prefix = scan_dir_key + "/"
    return sorted(
        info.key
        for info in store.list(prefix)
        if "/" not in info.key[len(prefix) :] and info.key.endswith(PARQUET_SUFFIX)
    )


def _timestamp(value: Any, key: str) -> datetime:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise ScanImportError(f"{key}: timestamp {value!r} is not ISO 8601") from None


def scan_record(spec: Mapping[str, Any], *, location: str, errors: list[str], key: str) -> dict[str, Any]:
    """The `scan` row of a Scout scan spec (`_scan.json`)."""
    metadata = spec.get("metadata") or {}
    model = spec.get("model") or {}
    return {
        "meta": clean(metadata),
        "timestamp": _timestamp(spec.get("timestamp"), key),
        "scan_id": str(spec["scan_id"]),
        "scan_name": spec.get("scan_name"),
        "job_id": metadata.get("job_id") if isinstance(metadata, dict) else None,
        "location": location,
        "errors": [clean(error) for error in errors] or None,
        "model": strip_provider(str(model["model"])) if model.get("model") else None,
        "model_generate_config": clean(model.get("config")) or None,
        "model_args": clean(model.get("args")) or None,
    }


def configured_scanner_keys(spec: Mapping[str, Any]) -> dict[str, str]:
    """`{Scout's scanner name: configured key}` for the keys Scout renamed (see `SCANNER_KEYS_METADATA`)."""
    metadata = spec.get("metadata")
    keys = metadata.get(SCANNER_KEYS_METADATA) if isinstance(metadata, dict) else None
    return {str(scout): str(key) for scout, key in keys.items()} if isinstance(keys, dict) else {}


def role_records(spec: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """`{role: model_role columns}` from the spec's `model_roles` (a list role keeps its first model)."""
    records: dict[str, dict[str, Any]] = {}
    for role, config in (spec.get("model_roles") or {}).items():
        chosen = config[0] if isinstance(config, list) and config else config
        if not isinstance(chosen, dict) or not chosen.get("model"):
            continue
        records[str(role)] = {
            "model": strip_provider(str(chosen["model"])),
            "config": clean(chosen.get("config")) or None,
            "base_url": chosen.get("base_url"),
            "args": clean(chosen.get("args")) or None,
        }
    return records


def _param(column: str, value: Any, json_columns: frozenset[str]) -> Any:
    if column in json_columns and value is not None:
        return Jsonb(value)
    return value


def _upsert_sql(
    table: str, columns: Sequence[str], conflict: str, keys: Iterable[str], *, import_timestamps: bool = True
) -> str:
    """INSERT ... ON CONFLICT DO UPDATE that writes only when a column differs; RETURNING a row only
    for rows written (`inserted` false for an update)."""
    key_set = set(keys)
    updated = [column for column in columns if column not in key_set]
    names = ", ".join(f'"{column}"' for column in columns)
    values = ", ".join(f"%({column})s" for column in columns)
    assignments = ", ".join(f'"{column}" = EXCLUDED."{column}"' for column in updated)
    touched = "updated_at = statement_timestamp()" + (
        ", last_imported_at = now()" if import_timestamps else ""
    )
    current = ", ".join(f'{table}."{column}"' for column in updated)
    incoming = ", ".join(f'EXCLUDED."{column}"' for column in updated)
    return (
        f"INSERT INTO {RAW_SCHEMA}.{table} AS {table} ({names}) VALUES ({values}) "
        f"ON CONFLICT {conflict} DO UPDATE SET {assignments}, {touched} "
        f"WHERE ({current}) IS DISTINCT FROM ({incoming}) RETURNING pk, (xmax = 0) AS inserted"
    )


SCAN_UPSERT = _upsert_sql("scan", SCAN_COLUMNS, '("scan_id")', ("scan_id",))
RESULT_UPSERT = _upsert_sql(
    "scanner_result",
    RESULT_COLUMNS,
    "ON CONSTRAINT scanner_result__scan_transcript_scanner_key_label_uniq",
    RESULT_KEY_COLUMNS,
)
ROLE_UPSERT = _upsert_sql(
    "model_role",
    ("type", "eval_pk", "scan_pk", "role", *ROLE_COLUMNS),
    '("eval_pk", "scan_pk", "role")',
    ("type", "eval_pk", "scan_pk", "role"),
    import_timestamps=False,
)


def _upsert_scan(
    connection: psycopg.Connection[Any], record: Mapping[str, Any], existing_pk: Any
) -> tuple[Any, bool]:
    params = {column: _param(column, record[column], SCAN_JSON_COLUMNS) for column in SCAN_COLUMNS}
    row = connection.execute(SCAN_UPSERT, params).fetchone()
    if row is None:  # identical to the stored row
        return existing_pk, False
    return row[0], True


def _sync_model_roles(connection: psycopg.Connection[Any], scan_pk: Any, roles: Mapping[str, Any]) -> None:
    connection.execute(
        f"DELETE FROM {RAW_SCHEMA}.model_role WHERE scan_pk = %s AND NOT (role = ANY(%s))",
        (scan_pk, list(roles)),
    )
    for role, record in roles.items():
        params = {"type": "scan", "eval_pk": None, "scan_pk": scan_pk, "role": role}
        params.update(
            {column: _param(column, record[column], frozenset({"config", "args"})) for column in ROLE_COLUMNS}
        )
        connection.execute(ROLE_UPSERT, params)


def _link_samples(
    connection: psycopg.Connection[Any], records: list[dict[str, Any]], known: dict[str, Any]
) -> None:
    wanted = {
        record["transcript_id"]
        for record in records
        if record["transcript_source_type"] == EVAL_LOG_SOURCE and record["transcript_id"] not in known
    }
    if wanted:
        found = connection.execute(
            f"SELECT uuid, pk FROM {RAW_SCHEMA}.sample WHERE uuid = ANY(%s)", (sorted(wanted),)
        ).fetchall()
        known.update({uuid: pk for uuid, pk in found})
        known.update({uuid: None for uuid in wanted if uuid not in known})
    for record in records:
        if record["transcript_source_type"] == EVAL_LOG_SOURCE:
            record["sample_pk"] = known.get(record["transcript_id"])
        else:
            record["sample_pk"] = None


def _upsert_results(
    connection: psycopg.Connection[Any], scan_pk: Any, records: list[dict[str, Any]], counts: ScannerImport
) -> None:
    params = [
        {
            column: _param(column, {**record, "scan_pk": scan_pk}[column], RESULT_JSON_COLUMNS)
            for column in RESULT_COLUMNS
        }
        for record in records
    ]
    with connection.cursor() as cursor:
        cursor.executemany(RESULT_UPSERT, params, returning=True)
        written = inserted = 0
        while True:
            for _pk, was_inserted in cursor.fetchall():
                written += 1
                inserted += int(bool(was_inserted))
            if not cursor.nextset():
                break
    counts.rows += len(records)
    counts.inserted += inserted
    counts.updated += written - inserted
    counts.unchanged += len(records) - written
    counts.linked += sum(1 for record in records if record["sample_pk"] is not None)


def import_scan_results(
    database_url: str,
    store: LogStore,
    scan_dir_key: str,
    *,
    force: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> ScanImportResult:
    """Import the scan folder `scan_dir_key` (e.g. `scans/<run>/scan_id=<id>`) of `store`.

    `force` imports even when the stored scan has a newer spec timestamp. Raises ScanImportError for a
    folder without `_scan.json`; database errors propagate (nothing is committed then).
    """
    key = scan_dir_key.strip("/")
    spec = _read_json(store, f"{key}/{SCAN_SPEC_FILE}")
    if not isinstance(spec, dict) or "scan_id" not in spec:
        raise ScanImportError(f"{store.uri(key, SCAN_SPEC_FILE)} is not a Scout scan spec (no scan_id)")
    summary = (
        _read_json(store, f"{key}/{SCAN_SUMMARY_FILE}") if store.exists(f"{key}/{SCAN_SUMMARY_FILE}") else {}
    )
    record = scan_record(
        spec, location=store.uri(key), errors=_read_errors(store, f"{key}/{SCAN_ERRORS_FILE}"), key=key
    )
    result = ScanImportResult(
        scan_dir_key=key,
        scan_id=record["scan_id"],
        outcome="imported",
        complete=bool(isinstance(summary, dict) and summary.get("complete")),
    )
    parquet_keys = scanner_parquet_keys(store, key)
    roles = role_records(spec)
    with psycopg.connect(to_libpq_url(database_url)) as connection, connection.transaction():
        existing = connection.execute(
            f'SELECT pk, "timestamp" FROM {RAW_SCHEMA}.scan WHERE scan_id = %s FOR UPDATE',
            (record["scan_id"],),
        ).fetchone()
        if existing is not None and not force and record["timestamp"] < existing[1]:
            result.outcome = "skipped"
            result.reason = (
                f"the warehouse holds a newer spec of scan {record['scan_id']} "
                f"({existing[1].isoformat()} > {record['timestamp'].isoformat()}); use force to overwrite"
            )
            return result
        scan_pk, written = _upsert_scan(connection, record, existing[0] if existing else None)
        result.scan_pk, result.scan_written = str(scan_pk), written
        _sync_model_roles(connection, scan_pk, roles)
        result.model_roles = len(roles)
        samples: dict[str, Any] = {}
        configured = configured_scanner_keys(spec)
        for parquet_key in parquet_keys:
            scout_name = parquet_key.rsplit("/", 1)[-1][: -len(PARQUET_SUFFIX)]
            counts = ScannerImport(configured.get(scout_name, scout_name), parquet_key)
            with store.open_for_read(parquet_key) as handle:
                for records in parquet_record_batches(handle, batch_size):
                    for record in records:
                        record["scanner_key"] = configured.get(record["scanner_key"], record["scanner_key"])
                    if records:
                        _link_samples(connection, records, samples)
                        _upsert_results(connection, scan_pk, records, counts)
            result.scanners.append(counts)
    if not parquet_keys:
        result.reason = "the scan has no scanner results (no transcript matched, or it is still running)"
    return result
