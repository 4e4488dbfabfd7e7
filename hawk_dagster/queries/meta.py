"""The list queries behind `hawk list eval-sets | evals | samples`: filters, newest first, keyset paging,
and the permission filter (a row shows only when every model of its eval is one the caller may use).

Each function takes an open psycopg connection (a role that bypasses row-level security: the caller's
permitted models are passed in, None meaning all) and returns plain dicts.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Sequence
from typing import Any, Literal

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from pydantic import BaseModel, ConfigDict, Field

from hawk_dagster.importer.model_names import canonical_model_name

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
Listing = Literal["eval-sets", "evals", "samples"]


class CursorError(ValueError):
    """The cursor is not one this API handed out."""


class ListFilter(BaseModel):
    """What `hawk list` narrows by; unset fields do not filter."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    parent_id: str | None = Field(
        default=None, description="evals: an eval set id; samples: eval set or eval id"
    )
    search: str | None = Field(
        default=None, description="Text matched (case-insensitive) against ids and names."
    )
    status: str | None = None
    score_min: float | None = None
    score_max: float | None = None
    created_by: str | None = None
    model: str | None = None
    task: str | None = None
    invalid: bool | None = Field(
        default=None, description="samples only: True lists invalidated samples, False the valid ones"
    )
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = None


def mart_schema() -> str:
    return os.environ.get("HAWK_DBT_SCHEMA", "").strip() or "hawk"


def encode_cursor(sort_at: Any, key: Any) -> str:
    raw = json.dumps([sort_at.isoformat() if hasattr(sort_at, "isoformat") else sort_at, key])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str | None, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        sort_at, key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, TypeError) as exc:
        raise CursorError(
            f"cursor {cursor!r} is not valid: pass the next_cursor of the previous page"
        ) from exc
    return sort_at, key


def model_names(model: str) -> list[str]:
    """The name as given and as the warehouse stores it (without its provider prefix)."""
    return sorted({model, canonical_model_name(model)})


def known_models(connection: psycopg.Connection[Any]) -> list[str]:
    """Every model any eval involves (its model, role models and the models its samples called)."""
    intermediate = sql.Identifier(f"{mart_schema()}_intermediate")
    query = sql.SQL("SELECT DISTINCT unnest(models) FROM {}.int_eval_models").format(intermediate)
    return sorted(str(row[0]) for row in connection.execute(query).fetchall())


class _Query:
    """WHERE clauses and their parameters, built up one filter at a time."""

    def __init__(self) -> None:
        self.where: list[sql.Composable] = []
        self.params: dict[str, Any] = {}

    def add(self, clause: str, **params: Any) -> None:
        self.where.append(sql.SQL(clause))  # type: ignore[arg-type]
        self.params.update(params)

    def clause(self) -> sql.Composable:
        return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(self.where) if self.where else sql.SQL("")


def _page(
    connection: psycopg.Connection[Any],
    select: sql.Composable,
    query: _Query,
    sort: str,
    key: str,
    filters: ListFilter,
) -> dict[str, Any]:
    """Run `select` (a subquery exposing `sort_at` and `key`) newest first from the cursor; one page."""
    if filters.cursor:
        sort_at, last_key = decode_cursor(filters.cursor)
        query.add(
            f"({sort}, {key}) < (%(cursor_at)s::timestamptz, %(cursor_key)s)",
            cursor_at=sort_at,
            cursor_key=last_key,
        )
    statement = (
        select + query.clause() + sql.SQL(f" ORDER BY {sort} DESC, {key} DESC LIMIT %(limit)s")  # type: ignore[arg-type]
    )
    query.params["limit"] = filters.limit + 1
    with connection.cursor(row_factory=dict_row) as cursor:
        rows = cursor.execute(statement, query.params).fetchall()
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    next_cursor = encode_cursor(rows[-1]["sort_at"], rows[-1]["page_key"]) if more and rows else None
    for row in rows:
        for internal in ("page_key", "sort_at", "search_text"):
            row.pop(internal, None)
    return {"items": [_jsonable(row) for row in rows], "next_cursor": next_cursor}


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in row.items():
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        elif isinstance(value, Sequence) and not isinstance(value, str):
            value = list(value)
        elif value is not None and not isinstance(value, (str, int, float, bool, dict, list)):
            value = float(value) if hasattr(value, "__float__") else str(value)
        out[name] = value
    return out


def _common(query: _Query, filters: ListFilter, *, model_column: str, model_is_array: bool = False) -> None:
    if filters.status:
        query.add("status = %(status)s", status=filters.status)
    if filters.created_by:
        query.add("created_by = %(created_by)s", created_by=filters.created_by)
    if filters.task:
        query.add(
            "EXISTS (SELECT 1 FROM unnest(tasks) AS t WHERE t = %(task)s OR t LIKE '%%/' || %(task)s)"
            if model_is_array
            else "(task_name = %(task)s OR task_name LIKE '%%/' || %(task)s)",
            task=filters.task,
        )
    if filters.model:
        clause = (
            f"{model_column} && %(models)s::text[]" if model_is_array else f"{model_column} = ANY(%(models)s)"
        )
        query.add(clause, models=model_names(filters.model))
    if filters.score_min is not None:
        query.add("score >= %(score_min)s", score_min=filters.score_min)
    if filters.score_max is not None:
        query.add("score <= %(score_max)s", score_max=filters.score_max)
    if filters.search:
        query.add("search_text ILIKE %(search)s", search=f"%{filters.search}%")


def _listing(
    connection: psycopg.Connection[Any],
    select: sql.Composable,
    filters: ListFilter,
    permitted: list[str] | None,
    *,
    parent: str | None = None,
    model_column: str = "model",
    model_is_array: bool = False,
    has_invalid: bool = False,
) -> dict[str, Any]:
    """One page of `select` (a subquery whose WHERE holds the permission filter) with the filters applied;
    `parent` is the clause `parent_id` narrows by; `has_invalid`: rows have `is_invalid` (samples)."""
    query = _Query()
    if filters.invalid is not None:
        if not has_invalid:
            raise ValueError("invalid: only samples are invalidated; drop the filter for this listing")
        query.add("is_invalid = %(invalid)s", invalid=filters.invalid)
    query.params["permitted"] = permitted
    if parent is not None and filters.parent_id:
        query.add(parent, parent=filters.parent_id)
    _common(query, filters, model_column=model_column, model_is_array=model_is_array)
    return _page(connection, select, query, "sort_at", "page_key", filters)


def _eval_visible(alias: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM {{intermediate}}.int_eval_models AS m WHERE m.eval_pk = {alias}.eval_pk "
        "AND m.models <@ %(permitted)s::text[])"
    )


def list_eval_sets(
    connection: psycopg.Connection[Any], filters: ListFilter, permitted: list[str] | None
) -> dict[str, Any]:
    """Eval sets (dim_eval_sets) with their mean primary score, newest activity first.

    The score is the mart's `mean_score` (kept per eval set by dbt), never an aggregate over fct_samples:
    a page reads a page of eval sets, not the warehouse."""
    visible = "TRUE"
    if permitted is not None:
        visible = (
            "NOT EXISTS (SELECT 1 FROM {schema}.dim_evals AS e LEFT JOIN {intermediate}.int_eval_models AS m "
            "ON m.eval_pk = e.eval_pk WHERE e.eval_set_id = s.eval_set_id "
            "AND NOT coalesce(m.models <@ %(permitted)s::text[], false))"
        )
    select = _format(
        """SELECT * FROM (
        SELECT s.eval_set_id, s.status, s.created_by, s.tasks, s.models, s.evals, s.samples_total,
          s.samples_completed, s.samples_errored, s.mean_score AS score, s.first_activity_at, s.last_activity_at,
          coalesce(s.last_activity_at, s.first_activity_at, s.last_imported_at) AS sort_at,
          s.eval_set_id AS page_key,
          s.eval_set_id || ' ' || array_to_string(s.tasks, ' ') || ' ' || array_to_string(s.models, ' ')
            || ' ' || coalesce(s.created_by, '') AS search_text
        FROM {schema}.dim_eval_sets AS s
        WHERE """
        + visible
        + ") AS page"
    )
    return _listing(connection, select, filters, permitted, model_column="models", model_is_array=True)


def list_evals(
    connection: psycopg.Connection[Any], filters: ListFilter, permitted: list[str] | None
) -> dict[str, Any]:
    """Evals (dim_evals: one per task x model attempt) with their mean primary score (the mart's
    `mean_score`), newest first."""
    visible = _eval_visible("e") if permitted is not None else "TRUE"
    select = _format(
        """SELECT * FROM (
        SELECT e.eval_id, e.eval_set_id, e.task_name, e.model, e.status, e.created_by, e.error_message,
          e.is_superseded, e.samples_total, e.samples_completed, e.samples_errored, e.mean_score AS score,
          e.created_at, e.completed_at, e.location,
          coalesce(e.created_at, e.started_at, e.last_imported_at) AS sort_at, e.eval_pk::text AS page_key,
          e.eval_id || ' ' || e.eval_set_id || ' ' || e.task_name || ' ' || e.model AS search_text
        FROM {schema}.dim_evals AS e
        WHERE """
        + visible
        + ") AS page"
    )
    return _listing(connection, select, filters, permitted, parent="eval_set_id = %(parent)s")


def list_samples(
    connection: psycopg.Connection[Any], filters: ListFilter, permitted: list[str] | None
) -> dict[str, Any]:
    """Samples (fct_samples: one per sample x epoch) with their primary score and whether they were
    invalidated (by whom, why), newest first."""
    visible = _eval_visible("f") if permitted is not None else "TRUE"
    select = _format(
        """SELECT * FROM (
        SELECT f.sample_uuid, f.sample_id, f.epoch, f.eval_id, f.eval_set_id, f.task_name, f.model,
          f.created_by, f.status, f.score_float AS score, f.score_value, f.primary_scorer, f.error_message,
          f.is_invalid, f.invalidation_author, f.invalidation_reason, f.invalidation_timestamp,
          f.started_at, f.completed_at,
          coalesce(f.completed_at, f.started_at, f.source_updated_at) AS sort_at, f.sample_pk::text AS page_key,
          f.sample_uuid || ' ' || f.sample_id || ' ' || f.eval_set_id || ' ' || f.task_name || ' ' || f.model
            AS search_text
        FROM {schema}.fct_samples AS f
        WHERE """
        + visible
        + ") AS page"
    )
    parent = "(eval_set_id = %(parent)s OR eval_id = %(parent)s)"
    return _listing(connection, select, filters, permitted, parent=parent, has_invalid=True)


def _format(template: str) -> sql.Composable:
    """The template with the mart schemas quoted in (`{schema}`, `{intermediate}`)."""
    schema = mart_schema()
    return sql.SQL(template).format(  # type: ignore[arg-type]
        schema=sql.Identifier(schema), intermediate=sql.Identifier(f"{schema}_intermediate")
    )


LISTINGS = {"eval-sets": list_eval_sets, "evals": list_evals, "samples": list_samples}
