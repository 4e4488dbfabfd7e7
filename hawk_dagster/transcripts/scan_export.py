"""A scan run's scanner results as CSV, from the warehouse (`hawk_raw.scanner_result` of every scan the
run made), streamed row by row through a server-side cursor.

Like Hawk's export, the bulky inputs are left out: the warehouse keeps no `input` / `scan_events`, and
`input_ids` (the ids of the scanned messages or events) are left out too. JSON values are written as
JSON text, arrays (`scan_tags`) as `;`-joined text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any, Final

from psycopg import sql

from hawk_dagster.scans.importer import RESULT_COLUMNS as IMPORTED_COLUMNS
from hawk_dagster.scans.importer import RESULT_JSON_COLUMNS
from hawk_dagster.warehouse.database import connect
from hawk_dagster.warehouse.schema import RAW_SCHEMA

SCAN_COLUMNS: Final = ("scan_id", "scan_name")
"""Columns of `hawk_raw.scan` that lead each row."""

EXCLUDED: Final = frozenset({"scan_pk", "sample_pk", "input_ids", "meta"})
"""Keys and the bulky or internal columns left out of the export."""

RESULT_COLUMNS: Final = tuple(column for column in IMPORTED_COLUMNS if column not in EXCLUDED)
"""Columns of `hawk_raw.scanner_result` exported, in order."""

HEADER: Final = (*SCAN_COLUMNS, *RESULT_COLUMNS)
JSON_COLUMNS: Final = RESULT_JSON_COLUMNS
"""jsonb columns: written as JSON text (a string value keeps its quotes, so `"1"` and `1` differ)."""
FETCH_ROWS: Final = 500


def _query(scan_run_id: str) -> sql.Composed:
    columns = sql.SQL(", ").join(
        [sql.SQL("s.{}").format(sql.Identifier(name)) for name in SCAN_COLUMNS]
        + [sql.SQL("r.{}").format(sql.Identifier(name)) for name in RESULT_COLUMNS]
    )
    return sql.SQL(
        "SELECT {columns} FROM {schema}.scanner_result AS r JOIN {schema}.scan AS s ON s.pk = r.scan_pk"
        " WHERE s.job_id = {run_id} ORDER BY s.scan_id, r.scanner_key, r.transcript_id, r.label NULLS FIRST,"
        " r.uuid"
    ).format(columns=columns, schema=sql.Identifier(RAW_SCHEMA), run_id=sql.Literal(scan_run_id))


def count_results(database_url: str | None, scan_run_id: str) -> int:
    """How many scanner results the warehouse holds for the scan run."""
    query = sql.SQL(
        "SELECT count(*) FROM {schema}.scanner_result AS r JOIN {schema}.scan AS s ON s.pk = r.scan_pk"
        " WHERE s.job_id = %s"
    ).format(schema=sql.Identifier(RAW_SCHEMA))
    with connect(database_url) as connection:
        row = connection.execute(query, (scan_run_id,)).fetchone()
    return int(row[0]) if row else 0


def cell(column: str, value: Any) -> Any:
    """A CSV cell: JSON for jsonb columns, `;`-joined text for arrays, ISO text for timestamps, "" for
    NULL."""
    if value is None:
        return ""
    if column in JSON_COLUMNS:
        return json.dumps(value, sort_keys=True)
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _line(row: tuple[Any, ...] | None, buffer: io.StringIO, writer: Any) -> str:
    buffer.seek(0)
    buffer.truncate()
    writer.writerow(
        HEADER if row is None else [cell(name, value) for name, value in zip(HEADER, row, strict=True)]
    )
    return buffer.getvalue()


def csv_lines(database_url: str | None, scan_run_id: str) -> Iterator[str]:
    """The header, then one CSV line per scanner result of the scan run (fetched FETCH_ROWS at a time)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    yield _line(None, buffer, writer)
    with connect(database_url) as connection, connection.cursor(name="hawk_scan_export") as cursor:
        cursor.itersize = FETCH_ROWS
        cursor.execute(_query(scan_run_id))
        for row in cursor:
            yield _line(row, buffer, writer)
