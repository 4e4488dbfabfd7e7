"""Raw warehouse rows for dbt tests, inserted with plain SQL the way the importer stores them.

`RawEval` / `RawSample` / `RawScore` describe an eval log's rows; `insert_evals` writes them to
hawk_raw (eval, sample, score, sample_model). Score values follow the importer's convention: `value`
is the JSON value (NaN stored as JSON null) and `value_float` the value when it is a number (NaN kept).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

BASE_TIME = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
RAW_TABLES = ("model_role", "scanner_result", "scan", "sample_model", "message", "score", "sample", "eval")


def new_uuid() -> str:
    return uuid.uuid4().hex


@dataclass
class RawScore:
    scorer: str
    value: Any
    is_intermediate: bool = False
    answer: str | None = None
    explanation: str | None = None
    scored_at: datetime | None = None

    def json_value(self) -> Any:
        # the importer's convention: jsonb has no NaN / Infinity, so they are stored as JSON null
        return None if isinstance(self.value, float) and not math.isfinite(self.value) else self.value

    def value_float(self) -> float | None:
        if isinstance(self.value, bool | int | float):
            return float(self.value)
        return None


@dataclass
class RawSample:
    sample_id: str
    epoch: int = 1
    uuid: str = field(default_factory=new_uuid)
    scores: list[RawScore] = field(default_factory=list)
    error_message: str | None = None
    limit: str | None = None
    invalidation_reason: str | None = None
    input_tokens: int = 10
    output_tokens: int = 5
    # model -> {"input_tokens": .., "output_tokens": .., "total_tokens": ..}; None = not recorded
    model_usage: dict[str, dict[str, int]] | None = None
    started_at: datetime | None = BASE_TIME
    completed_at: datetime | None = BASE_TIME + timedelta(minutes=1)
    models_called: list[str] = field(default_factory=list)

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def is_invalid(self) -> bool:
        return self.invalidation_reason is not None

    @property
    def status(self) -> str:
        if self.error_message is not None:
            return "error"
        return f"{self.limit}_limit" if self.limit else "success"


@dataclass
class RawEval:
    eval_set_id: str
    task_name: str
    model: str
    samples: list[RawSample] = field(default_factory=list)
    status: str = "success"
    eval_id: str = field(default_factory=new_uuid)
    task_id: str | None = None  # default: one task id per (eval set, task, model)
    created_by: str = "alice"
    created_at: datetime = BASE_TIME - timedelta(minutes=5)
    started_at: datetime | None = BASE_TIME - timedelta(minutes=4)
    completed_at: datetime | None = BASE_TIME + timedelta(hours=1)
    # updated_at / last_imported_at of the eval, its samples and scores (None = now(), as an import)
    imported_at: datetime | None = None
    pk: str | None = None  # set by insert_evals

    @property
    def resolved_task_id(self) -> str:
        return self.task_id or f"{self.eval_set_id}/{self.task_name}/{self.model}"


EVAL_INSERT = """
INSERT INTO hawk_raw.eval (
    eval_set_id, id, task_id, task_name, epochs, total_samples, completed_samples, location,
    file_size_bytes, file_hash, file_last_modified, created_by, status, import_status, started_at,
    completed_at, agent, model, created_at, updated_at, last_imported_at
) VALUES (
    %(eval_set_id)s, %(id)s, %(task_id)s, %(task_name)s, %(epochs)s, %(total)s, %(completed)s, %(location)s,
    100, %(hash)s, %(modified)s, %(created_by)s, %(status)s, 'success', %(started_at)s,
    %(completed_at)s, 'generate', %(model)s, %(created_at)s, %(imported)s, %(imported)s
) RETURNING pk
"""

SAMPLE_INSERT = """
INSERT INTO hawk_raw.sample (
    eval_pk, id, uuid, epoch, started_at, completed_at, invalidation_reason, invalidation_author,
    invalidation_timestamp, input, input_tokens, output_tokens, total_tokens, model_usage, error_message,
    "limit", updated_at, last_imported_at
) VALUES (
    %(eval_pk)s, %(id)s, %(uuid)s, %(epoch)s, %(started_at)s, %(completed_at)s, %(reason)s, %(author)s,
    %(invalidated_at)s, '"question"', %(input_tokens)s, %(output_tokens)s, %(total_tokens)s,
    %(model_usage)s, %(error)s, %(limit)s, %(imported)s, %(imported)s
) RETURNING pk
"""

SCORE_INSERT = """
INSERT INTO hawk_raw.score (
    sample_pk, sample_uuid, value, value_float, answer, explanation, scorer, is_intermediate, scored_at,
    updated_at
) VALUES (
    %(sample_pk)s, %(sample_uuid)s, %(value)s, %(value_float)s, %(answer)s, %(explanation)s, %(scorer)s,
    %(intermediate)s, %(scored_at)s, %(imported)s
)
"""


def _imported(moment: datetime | None) -> datetime | str:
    return moment if moment is not None else "now"


def insert_samples(
    connection: psycopg.Connection[Any], raw_eval: RawEval, samples: Sequence[RawSample]
) -> None:
    assert raw_eval.pk is not None, "insert the eval first"
    imported = _imported(raw_eval.imported_at)
    for sample in samples:
        sample_pk = connection.execute(
            SAMPLE_INSERT,
            {
                "eval_pk": raw_eval.pk,
                "id": sample.sample_id,
                "uuid": sample.uuid,
                "epoch": sample.epoch,
                "started_at": sample.started_at,
                "completed_at": sample.completed_at,
                "reason": sample.invalidation_reason,
                "author": "reviewer" if sample.is_invalid else None,
                "invalidated_at": BASE_TIME if sample.is_invalid else None,
                "input_tokens": sample.input_tokens,
                "output_tokens": sample.output_tokens,
                "total_tokens": sample.total_tokens,
                "model_usage": Jsonb(sample.model_usage) if sample.model_usage is not None else None,
                "error": sample.error_message,
                "limit": sample.limit,
                "imported": imported,
            },
        ).fetchone()[0]  # type: ignore[index]
        for score in sample.scores:
            connection.execute(
                SCORE_INSERT,
                {
                    "sample_pk": sample_pk,
                    "sample_uuid": sample.uuid,
                    "value": Jsonb(score.json_value()),
                    "value_float": score.value_float(),
                    "answer": score.answer,
                    "explanation": score.explanation,
                    "scorer": score.scorer,
                    "intermediate": score.is_intermediate,
                    "scored_at": score.scored_at or sample.completed_at,
                    "imported": imported,
                },
            )
        for model in {raw_eval.model, *sample.models_called}:
            connection.execute(
                "INSERT INTO hawk_raw.sample_model (sample_pk, model) VALUES (%s, %s)", (sample_pk, model)
            )


def insert_eval(connection: psycopg.Connection[Any], raw_eval: RawEval) -> None:
    """Insert the eval with its samples, scores and sample models in `connection`'s transaction."""
    raw_eval.pk = str(
        connection.execute(
            EVAL_INSERT,
            {
                "eval_set_id": raw_eval.eval_set_id,
                "id": raw_eval.eval_id,
                "task_id": raw_eval.resolved_task_id,
                "task_name": raw_eval.task_name,
                "epochs": max((s.epoch for s in raw_eval.samples), default=1),
                "total": len(raw_eval.samples),
                "completed": sum(s.error_message is None for s in raw_eval.samples),
                "location": f"evals/{raw_eval.eval_set_id}/{raw_eval.eval_id}.eval",
                "hash": f"sha256:{raw_eval.eval_id}",
                "modified": raw_eval.completed_at or raw_eval.created_at,
                "created_by": raw_eval.created_by,
                "status": raw_eval.status,
                "started_at": raw_eval.started_at,
                "completed_at": raw_eval.completed_at,
                "model": raw_eval.model,
                "created_at": raw_eval.created_at,
                "imported": _imported(raw_eval.imported_at),
            },
        ).fetchone()[0]  # type: ignore[index]
    )
    insert_samples(connection, raw_eval, raw_eval.samples)


def insert_evals(database_url: str, evals: Sequence[RawEval]) -> None:
    """Insert the evals with their samples, scores and sample models, in one transaction."""
    with psycopg.connect(database_url) as connection:
        for raw_eval in evals:
            insert_eval(connection, raw_eval)


def reimport_eval(database_url: str, raw_eval: RawEval, new_samples: Sequence[RawSample] = ()) -> None:
    """What an importer does when an eval's log changed: bump the eval row, add `new_samples`."""
    raw_eval.imported_at = None
    with psycopg.connect(database_url) as connection:
        connection.execute(
            "UPDATE hawk_raw.eval SET status = %s, updated_at = now(), last_imported_at = now() WHERE pk = %s",
            (raw_eval.status, raw_eval.pk),
        )
        insert_samples(connection, raw_eval, new_samples)
    raw_eval.samples.extend(new_samples)


def edit_score(database_url: str, sample: RawSample, scorer: str, value: Any) -> None:
    """A score edit as the importer records it: the final score's value replaced, updated_at bumped."""
    score = next(s for s in sample.scores if s.scorer == scorer and not s.is_intermediate)
    score.value = value
    with psycopg.connect(database_url) as connection:
        connection.execute(
            "UPDATE hawk_raw.score SET value = %s, value_float = %s, updated_at = now() "
            "WHERE sample_uuid = %s AND scorer = %s",
            (Jsonb(score.json_value()), score.value_float(), sample.uuid, scorer),
        )


def reset_warehouse(database_url: str, dbt_schemas: Sequence[str]) -> None:
    """Empty the raw tables and drop dbt's schemas (a clean slate between builds)."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(f"TRUNCATE {', '.join(f'hawk_raw.{t}' for t in RAW_TABLES)} CASCADE")
        for schema in dbt_schemas:
            connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@dataclass
class RawScannerResult:
    scanner_name: str
    sample: RawSample | None  # None: a transcript that is not in the warehouse
    value: Any
    label: str | None = None
    error: str | None = None
    uuid: str = field(default_factory=new_uuid)

    @property
    def transcript_id(self) -> str:
        return self.sample.uuid if self.sample is not None else f"elsewhere-{self.uuid}"

    def value_type(self) -> str:
        if self.value is None:
            return "null"
        if isinstance(self.value, bool):
            return "boolean"
        if isinstance(self.value, int | float):
            return "number"
        if isinstance(self.value, str):
            return "string"
        return "array" if isinstance(self.value, list) else "object"


@dataclass
class RawScan:
    scan_run_id: str
    timestamp: datetime
    results: list[RawScannerResult] = field(default_factory=list)
    scan_id: str = field(default_factory=new_uuid)


SCAN_INSERT = """
INSERT INTO hawk_raw.scan (scan_id, scan_name, job_id, "timestamp", location)
VALUES (%s, 'scan', %s, %s, %s) RETURNING pk
"""

SCANNER_RESULT_INSERT = """
INSERT INTO hawk_raw.scanner_result (
    scan_pk, sample_pk, transcript_id, transcript_source_type, transcript_source_id, scanner_key,
    scanner_name, uuid, label, value, value_type, value_float, "timestamp", scan_error
) VALUES (
    %(scan_pk)s, (SELECT pk FROM hawk_raw.sample WHERE uuid = %(transcript_id)s), %(transcript_id)s,
    'eval_log', 'eval', %(scanner)s, %(scanner)s, %(uuid)s, %(label)s, %(value)s,
    %(value_type)s, %(value_float)s, %(timestamp)s, %(error)s
)
"""


def insert_scans(database_url: str, scans: Sequence[RawScan]) -> None:
    """Insert scans with their scanner results (linked to samples by transcript id, as the importer does)."""
    with psycopg.connect(database_url) as connection:
        for scan in scans:
            scan_pk = connection.execute(
                SCAN_INSERT, (scan.scan_id, scan.scan_run_id, scan.timestamp, f"scans/{scan.scan_run_id}")
            ).fetchone()[0]  # type: ignore[index]
            for result in scan.results:
                is_number = isinstance(result.value, bool | int | float)
                connection.execute(
                    SCANNER_RESULT_INSERT,
                    {
                        "scan_pk": scan_pk,
                        "transcript_id": result.transcript_id,
                        "scanner": result.scanner_name,
                        "uuid": result.uuid,
                        "label": result.label,
                        "value": Jsonb(result.value),
                        "value_type": result.value_type(),
                        "value_float": float(result.value) if is_number else None,
                        "timestamp": scan.timestamp,
                        "error": result.error,
                    },
                )
