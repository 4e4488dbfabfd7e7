"""Rows of a Scout scanner parquet as `hawk_raw.scanner_result` records (Hawk's row mapping).

Reads only the columns the warehouse keeps (never `input`, `input_data`, `scan_events`), in batches,
with pyarrow. Scout stores `value` as text next to its `value_type`; the record holds the typed JSON
value and `value_float` (finite numbers and booleans only). A `resultset` row (a scanner returning
several results) becomes one record per result, as `inspect_scout.scan_results_df` expands it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import IO, Any

import pyarrow.parquet as pq

from hawk_dagster.importer.model_names import canonical_model_name
from hawk_dagster.warehouse.schema import SCANNER_INPUT_TYPES, SCANNER_VALUE_TYPES

RESULT_COLUMNS: tuple[str, ...] = (
    "transcript_id",
    "transcript_source_type",
    "transcript_source_id",
    "transcript_source_uri",
    "transcript_date",
    "transcript_task_set",
    "transcript_task_id",
    "transcript_task_repeat",
    "transcript_metadata",
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
    "answer",
    "explanation",
    "metadata",
    "scan_tags",
    "scan_total_tokens",
    "scan_model_usage",
    "scan_error",
    "scan_error_traceback",
    "scan_error_type",
    "validation_target",
    "validation_result",
    "timestamp",
)
"""Parquet columns the importer reads; the heavy ones are never loaded."""

INPUT_TYPES = frozenset(SCANNER_INPUT_TYPES)
VALUE_TYPES = frozenset(SCANNER_VALUE_TYPES)
RESULTSET = "resultset"


# Providers whose names carry a lab, and providers that take a cloud service segment (Hawk's rules).
def strip_provider(model: str) -> str:
    """`openai/gpt-4o` -> `gpt-4o`: the eval importer's rule, so scans and evals name models alike."""
    return canonical_model_name(model)


def clean(value: Any) -> Any:
    """`value` without NUL characters (PostgreSQL rejects them in text and jsonb), NaN/inf as None."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {clean(str(key)): clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [clean(item) for item in value]
    return value


def _json(text: Any) -> Any:
    """Scout's JSON text columns, decoded; text that is not JSON stays text; NULL stays None."""
    if text is None or not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _text(value: Any) -> str | None:
    return None if value is None else clean(str(value))


def _timestamp(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def typed_value(raw: Any, value_type: str | None) -> Any:
    """The result's value from Scout's text storage, by its value_type."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        return raw
    if value_type == "string":
        return raw
    if value_type == "boolean":
        return {"true": True, "false": False}.get(raw.lower(), raw)
    return _json(raw)  # number, array, object, null (and unknown types: JSON if it parses)


def inferred_value_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def value_float(value: Any) -> float | None:
    """Finite numbers and booleans as float (bool is an int); anything else None."""
    if isinstance(value, bool | int | float):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def _transcript_meta(text: Any) -> dict[str, Any]:
    meta = _json(text)
    if not isinstance(meta, dict):
        return {}
    meta.pop("input", None)  # large, and already in the eval's sample
    sample_metadata = meta.get("sample_metadata")
    if isinstance(sample_metadata, dict):
        sample_metadata.pop("instructions", None)
    return meta


def _model_usage(text: Any) -> Any:
    usage = _json(text)
    if isinstance(usage, dict):
        return {strip_provider(str(model)): value for model, value in usage.items()}
    return usage


def _expanded(row: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One row per result: a resultset row becomes its results (uuid, label, value, ... of each)."""
    if row.get("value_type") != RESULTSET:
        yield row
        return
    results = _json(row.get("value"))
    for result in results if isinstance(results, list) else []:
        if not isinstance(result, dict):
            continue
        value = result.get("value")
        value_type = result.get("type") or inferred_value_type(value)
        metadata = result.get("metadata")
        yield {
            **row,
            "uuid": result.get("uuid"),
            "label": result.get("label"),
            "value": value,
            "value_type": value_type,
            "answer": result.get("answer"),
            "explanation": result.get("explanation"),
            "metadata": metadata if metadata is not None else {},
            # per-scan figures would be counted once per result otherwise (as scan_results_df does)
            "scan_total_tokens": None,
            "scan_model_usage": None,
            "_expanded": True,
        }


def result_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """A `scanner_result` record (without scan_pk / sample_pk) from one (expanded) parquet row."""
    expanded = bool(row.get("_expanded"))
    value_type = row.get("value_type")
    value = row.get("value") if expanded else typed_value(row.get("value"), value_type)
    value = clean(value)
    if value_type not in VALUE_TYPES:
        value_type = inferred_value_type(value) if value is not None else "null"
    metadata = row.get("metadata") if expanded else _json(row.get("metadata"))
    input_type = row.get("input_type")
    input_ids = _json(row.get("input_ids"))
    scan_tags = _json(row.get("scan_tags"))
    return {
        "transcript_id": _text(row.get("transcript_id")) or "",
        "transcript_source_type": _text(row.get("transcript_source_type")) or "",
        "transcript_source_id": _text(row.get("transcript_source_id")) or "",
        "transcript_source_uri": _text(row.get("transcript_source_uri")),
        "transcript_date": _timestamp(row.get("transcript_date")),
        "transcript_task_set": _text(row.get("transcript_task_set")),
        "transcript_task_id": _text(row.get("transcript_task_id")),
        "transcript_task_repeat": _int(row.get("transcript_task_repeat")),
        "transcript_meta": clean(_transcript_meta(row.get("transcript_metadata"))),
        "scanner_key": _text(row.get("scanner_key")) or "",
        "scanner_name": _text(row.get("scanner_name")) or "",
        "scanner_version": _text(row.get("scanner_version")),
        "scanner_package_version": _text(row.get("scanner_package_version")),
        "scanner_file": _text(row.get("scanner_file")),
        "scanner_params": clean(_json(row.get("scanner_params"))),
        "input_type": input_type if input_type in INPUT_TYPES else None,
        "input_ids": [clean(str(i)) for i in input_ids] if isinstance(input_ids, list) else None,
        "uuid": _text(row.get("uuid")) or "",
        "label": _text(row.get("label")),
        "value": value,
        "value_type": value_type,
        "value_float": value_float(value),
        "answer": _text(row.get("answer")),
        "explanation": _text(row.get("explanation")),
        "timestamp": _timestamp(row.get("timestamp")),
        "scan_tags": [clean(str(t)) for t in scan_tags] if isinstance(scan_tags, list) else None,
        "scan_total_tokens": max(_int(row.get("scan_total_tokens")) or 0, 0),
        "scan_model_usage": clean(_model_usage(row.get("scan_model_usage"))),
        "scan_error": _text(row.get("scan_error")),
        "scan_error_traceback": _text(row.get("scan_error_traceback")),
        "scan_error_type": _text(row.get("scan_error_type")),
        "validation_target": _text(row.get("validation_target")),
        "validation_result": clean(_json(row.get("validation_result"))),
        "meta": clean(metadata) if isinstance(metadata, dict) else {},
    }


def parquet_record_batches(handle: IO[bytes], batch_size: int = 500) -> Iterator[list[dict[str, Any]]]:
    """Records of a scanner parquet, `batch_size` parquet rows at a time (light columns only)."""
    parquet = pq.ParquetFile(handle)
    available = set(parquet.schema_arrow.names)
    columns = [column for column in RESULT_COLUMNS if column in available]
    for batch in parquet.iter_batches(batch_size=batch_size, columns=columns):
        yield [result_record(expanded) for row in batch.to_pylist() for expanded in _expanded(row)]
