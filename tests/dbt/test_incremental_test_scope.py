"""An incremental build tests the mart rows it rebuilt, and still fails on a bad one of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import psycopg

from tests.dbt.conftest import build_dbt
from tests.dbt.raw_rows import RawEval, RawSample, RawScore, insert_evals

FINITE_CHECK = "finite_fct_scores_value_float"
CORRUPT_FUNCTION = """
CREATE OR REPLACE FUNCTION public.hawk_test_corrupt_score() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.eval_set_id = 'es-bad' THEN
        NEW.value_float := 'Infinity';
    END IF;
    RETURN NEW;
END $$
"""


def _failed(result: dg.ExecuteInProcessResult) -> dict[str, int]:
    """check name -> failed rows, for the checks of marts/fct_scores that failed."""
    return {
        c.check_name: int(c.metadata["dagster_dbt/failed_row_count"].value)  # type: ignore[arg-type]
        for c in result.get_asset_check_evaluations()
        if not c.passed and c.asset_key.to_user_string() == "marts/fct_scores"
    }


def _eval(eval_set_id: str, value: float, imported_at: datetime | None = None) -> RawEval:
    sample = RawSample("1", scores=[RawScore("match", value)])
    return RawEval(eval_set_id, "task", "m1", samples=[sample], imported_at=imported_at)


def test_incremental_build_tests_only_the_rows_it_rebuilt_and_fails_on_a_bad_one(
    fresh_warehouse: str,
) -> None:
    insert_evals(fresh_warehouse, [_eval("es-old", 1.0, datetime.now(UTC) - timedelta(days=3))])
    first = build_dbt(fresh_warehouse)
    assert first.success and _failed(first) == {}

    # a bad row the incremental build does not rewrite (the old eval is outside its lookback): not re-tested
    with psycopg.connect(fresh_warehouse) as connection:
        connection.execute("UPDATE hawk.fct_scores SET value_float = 'Infinity' WHERE eval_set_id = 'es-old'")
    insert_evals(fresh_warehouse, [_eval("es-new", 0.5)])
    scoped = build_dbt(fresh_warehouse)
    assert scoped.success and _failed(scoped) == {}

    # a bad row the incremental build writes: a fault injected where the build writes (a trigger on the
    # mart table, which an incremental build inserts into) makes the new eval's score infinite
    with psycopg.connect(fresh_warehouse) as connection:
        connection.execute(CORRUPT_FUNCTION)
        connection.execute(
            "CREATE TRIGGER corrupt_new_scores BEFORE INSERT ON hawk.fct_scores "
            "FOR EACH ROW EXECUTE FUNCTION public.hawk_test_corrupt_score()"
        )
    insert_evals(fresh_warehouse, [_eval("es-bad", 1.0)])
    caught = build_dbt(fresh_warehouse)
    assert not caught.success
    # caught, and only it: the old bad row outside the rebuilt evals is still not re-tested
    assert _failed(caught) == {FINITE_CHECK: 1}
