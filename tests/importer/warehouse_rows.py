"""Reading the warehouse back in the importer tests."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from hawk_dagster.importer import ROW_TABLES

VOLATILE_COLUMNS = {"updated_at", "last_imported_at", "import_started_at"}


def rows(url: str, query: str, params: Any = None) -> list[dict[str, Any]]:
    with psycopg.connect(url, row_factory=dict_row) as connection:
        return connection.execute(query, params).fetchall()


def scalar(url: str, query: str, params: Any = None) -> Any:
    with psycopg.connect(url) as connection:
        row = connection.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def table_counts(url: str) -> dict[str, int]:
    return {table: scalar(url, f"SELECT count(*) FROM hawk_raw.{table}") for table in ROW_TABLES}


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the eval tables (NaN made comparable), without the columns an upsert touches."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    for table in ROW_TABLES:
        found = rows(url, f"SELECT * FROM hawk_raw.{table} ORDER BY pk")
        tables[table] = [
            tuple(repr(value) for column, value in row.items() if column not in VOLATILE_COLUMNS)
            for row in found
        ]
    return tables


def counts_by_eval(url: str) -> dict[str, dict[str, int]]:
    """Per Inspect eval id: samples, final scores, intermediate scores, messages, sample models, roles."""
    query = """
        SELECT e.id,
               (SELECT count(*) FROM hawk_raw.sample s WHERE s.eval_pk = e.pk) AS samples,
               (SELECT count(*) FROM hawk_raw.score c JOIN hawk_raw.sample s ON s.pk = c.sample_pk
                 WHERE s.eval_pk = e.pk AND NOT c.is_intermediate) AS scores,
               (SELECT count(*) FROM hawk_raw.score c JOIN hawk_raw.sample s ON s.pk = c.sample_pk
                 WHERE s.eval_pk = e.pk AND c.is_intermediate) AS intermediate_scores,
               (SELECT count(*) FROM hawk_raw.message m JOIN hawk_raw.sample s ON s.pk = m.sample_pk
                 WHERE s.eval_pk = e.pk) AS messages,
               (SELECT count(*) FROM hawk_raw.sample_model m JOIN hawk_raw.sample s ON s.pk = m.sample_pk
                 WHERE s.eval_pk = e.pk) AS sample_models,
               (SELECT count(*) FROM hawk_raw.model_role r WHERE r.eval_pk = e.pk) AS model_roles
          FROM hawk_raw.eval e
    """
    return {row.pop("id"): row for row in rows(url, query)}
