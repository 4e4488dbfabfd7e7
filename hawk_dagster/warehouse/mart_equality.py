"""Are two copies of the dbt marts equal? The check behind "an incremental build leaves the marts as a full
refresh would" (tests/dbt, bench/dbt_bench.py).

`snapshot_marts` copies the marts' tables into another schema; `mart_differences` counts, per mart, the
rows of one copy missing from the other, both ways (EXCEPT ALL). Floating-point columns are compared
rounded to 9 significant decimals: a mean summed in another order may differ in its last bits.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

# The marts that are tables (sample_scanner_flags is a view over fct_scanner_results).
MART_TABLES = (
    "fct_samples",
    "fct_scores",
    "fct_sample_edits",
    "dim_evals",
    "dim_eval_sets",
    "model_task_results",
    "model_usage_daily",
    "fct_scanner_results",
)
_FLOAT_TYPES = ("double precision", "real")


def snapshot_marts(connection: psycopg.Connection[Any], schema: str, into: str) -> None:
    """Copy every mart table of `schema` into schema `into` (replaced if present)."""
    connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(into)))
    connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(into)))
    for table in MART_TABLES:
        connection.execute(
            sql.SQL("CREATE TABLE {}.{} AS TABLE {}.{}").format(
                sql.Identifier(into), sql.Identifier(table), sql.Identifier(schema), sql.Identifier(table)
            )
        )


def _compared_columns(connection: psycopg.Connection[Any], schema: str, table: str) -> list[sql.Composable]:
    rows = connection.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = %s ORDER BY column_name",
        (schema, table),
    ).fetchall()
    if not rows:
        raise ValueError(f"mart {schema}.{table} does not exist: build the marts first")
    return [
        sql.SQL("round(({})::numeric, 9)").format(sql.Identifier(name))
        if data_type in _FLOAT_TYPES
        else sql.Identifier(name)
        for name, data_type in rows
    ]


def mart_differences(
    connection: psycopg.Connection[Any], left: str, right: str
) -> dict[str, tuple[int, int]]:
    """Per mart table: (rows of `left` not in `right`, rows of `right` not in `left`), as multisets."""
    out: dict[str, tuple[int, int]] = {}
    for table in MART_TABLES:
        columns = sql.SQL(", ").join(_compared_columns(connection, left, table))
        counts = []
        for a, b in ((left, right), (right, left)):
            query = sql.SQL(
                "SELECT count(*) FROM (SELECT {c} FROM {a}.{t} EXCEPT ALL SELECT {c} FROM {b}.{t}) d"
            ).format(c=columns, a=sql.Identifier(a), b=sql.Identifier(b), t=sql.Identifier(table))
            counts.append(int(connection.execute(query).fetchone()[0]))  # type: ignore[index]
        out[table] = (counts[0], counts[1])
    return out
