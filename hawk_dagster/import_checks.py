"""What the warehouse holds for imported eval logs, to compare with the logs' own headers."""

from __future__ import annotations

from collections.abc import Iterable

from hawk_dagster.warehouse.database import connect
from hawk_dagster.warehouse.schema import RAW_SCHEMA


def warehouse_counts(database_url: str, eval_ids: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Per Inspect eval id: (samples linked to it, final non-intermediate scores of those samples)."""
    ids = sorted(set(eval_ids))
    if not ids:
        return {}
    query = f"""
        SELECT e.id,
               (SELECT count(*) FROM {RAW_SCHEMA}.sample s WHERE s.eval_pk = e.pk),
               (SELECT count(*) FROM {RAW_SCHEMA}.score sc JOIN {RAW_SCHEMA}.sample s ON s.pk = sc.sample_pk
                 WHERE s.eval_pk = e.pk AND NOT sc.is_intermediate)
          FROM {RAW_SCHEMA}.eval e
         WHERE e.id = ANY(%s)
    """
    with connect(database_url) as conn:
        rows = conn.execute(query, (ids,)).fetchall()
    return {str(row[0]): (int(row[1]), int(row[2])) for row in rows}
