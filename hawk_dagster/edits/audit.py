"""The audit rows of sample-edit requests (`hawk_audit.sample_edit_request` / `sample_edit_file`): written
when a checked batch is accepted, read back by the `sample_edits` run (its plan comes from here, not from
the run config), and completed by each file's step."""

from __future__ import annotations

import datetime
from typing import Any

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel

from hawk_dagster.config.sample_edit import SampleEdit
from hawk_dagster.edits.apply import FileApplied
from hawk_dagster.edits.plan import EditPlan, FilePlan
from hawk_dagster.warehouse.database import connect
from hawk_dagster.warehouse.schema import AUDIT_SCHEMA

A = AUDIT_SCHEMA


class EditRequest(BaseModel):
    """One recorded request."""

    request_uuid: str
    created_at: datetime.datetime
    author: str
    edits: list[SampleEdit]
    plan: EditPlan
    run_id: str | None = None


def record_request(database_url: str | None, plan: EditPlan, edits: list[SampleEdit]) -> None:
    """The request's row and one row per log file, in one transaction."""
    files = [f.model_dump(mode="json") for f in plan.files]
    with connect(database_url) as connection, connection.transaction():
        connection.execute(
            f"INSERT INTO {A}.sample_edit_request (request_uuid, author, edits, files) VALUES (%s, %s, %s, %s)",
            (plan.request_uuid, plan.author, Jsonb([e.model_dump(mode="json") for e in edits]), Jsonb(files)),
        )
        for file in plan.files:
            connection.execute(
                f"INSERT INTO {A}.sample_edit_file (request_uuid, location, etag_before) VALUES (%s, %s, %s)",
                (plan.request_uuid, file.location, file.etag),
            )


def set_run_id(database_url: str | None, request_uuid: str, run_id: str) -> None:
    with connect(database_url) as connection:
        connection.execute(
            f"UPDATE {A}.sample_edit_request SET run_id = %s WHERE request_uuid = %s", (run_id, request_uuid)
        )


def load_request(database_url: str | None, request_uuid: str) -> EditRequest | None:
    with connect(database_url) as connection, connection.cursor(row_factory=dict_row) as cursor:
        row: dict[str, Any] | None = cursor.execute(
            f"SELECT * FROM {A}.sample_edit_request WHERE request_uuid = %s", (request_uuid,)
        ).fetchone()
    if row is None:
        return None
    files = [FilePlan.model_validate(f) for f in row.pop("files")]
    plan = EditPlan(request_uuid=row["request_uuid"], author=row["author"], files=files)
    return EditRequest(plan=plan, **row)


def record_applied(database_url: str | None, request_uuid: str, location: str, applied: FileApplied) -> None:
    with connect(database_url) as connection:
        connection.execute(
            f"UPDATE {A}.sample_edit_file SET etag_after = %s, applied_at = now(), error = NULL, warnings = %s "
            "WHERE request_uuid = %s AND location = %s",
            (applied.etag_after, Jsonb(applied.warnings), request_uuid, location),
        )


def record_failed(database_url: str | None, request_uuid: str, location: str, error: str) -> None:
    with connect(database_url) as connection:
        connection.execute(
            f"UPDATE {A}.sample_edit_file SET error = %s WHERE request_uuid = %s AND location = %s",
            (error, request_uuid, location),
        )


def written_by_edits(database_url: str | None, location: str, etag: str) -> bool:
    """True when the file's content with this etag was written by a sample edit."""
    with connect(database_url) as connection:
        row = connection.execute(
            f"SELECT 1 FROM {A}.sample_edit_file WHERE location = %s AND etag_after = %s LIMIT 1",
            (location, etag),
        ).fetchone()
    return row is not None


def find_request(database_url: str | None, request_or_run_id: str) -> EditRequest | None:
    """The request whose id, or whose `sample_edits` run's id, is `request_or_run_id` (what
    `hawk edit-samples` prints); None when there is none."""
    with connect(database_url) as connection, connection.cursor(row_factory=dict_row) as cursor:
        row: dict[str, Any] | None = cursor.execute(
            f"SELECT request_uuid FROM {A}.sample_edit_request WHERE request_uuid = %s OR run_id = %s "
            "ORDER BY created_at DESC LIMIT 1",
            (request_or_run_id, request_or_run_id),
        ).fetchone()
    return None if row is None else load_request(database_url, row["request_uuid"])


class FileOutcome(BaseModel):
    """Where one log file of a request stands: applied (etag after and time), failed (error) or neither yet."""

    location: str
    etag_before: str
    etag_after: str | None = None
    applied_at: datetime.datetime | None = None
    error: str | None = None
    warnings: list[str] = []


def file_outcomes(database_url: str | None, request_uuid: str) -> dict[str, FileOutcome]:
    """The request's files by location, as their steps recorded them."""
    with connect(database_url) as connection, connection.cursor(row_factory=dict_row) as cursor:
        rows = cursor.execute(
            f"SELECT location, etag_before, etag_after, applied_at, error, warnings "
            f"FROM {A}.sample_edit_file WHERE request_uuid = %s",
            (request_uuid,),
        ).fetchall()
    return {row["location"]: FileOutcome.model_validate(row) for row in rows}
