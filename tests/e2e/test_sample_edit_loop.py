"""Sample edits on real processes: an offline eval set reaches the marts; `hawk edit-samples` (through the
Hawk API) edits one score and invalidates one sample; the sample_edits run rewrites the log; the daemon's
eval_log_sensor re-imports it and dbt rebuilds the marts, with no manual import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from dagster import DagsterRunStatus
from inspect_ai.log import EvalLog, read_eval_log
from inspect_ai.scorer import value_to_float

from hawk_dagster.jobs.sample_edits import SAMPLE_EDITS_JOB
from hawk_dagster.warehouse.database import to_libpq_url
from tests.e2e.loop import FINISHED, Loop, small_eval_set, wait_for

pytestmark = pytest.mark.timeout(900)

SAMPLES = 4
EVAL_SET_ID = "edit-loop-000000000001"
to_float = value_to_float()


def _query(loop: Loop, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(to_libpq_url(loop.database_url)) as connection:
        return connection.execute(sql, params).fetchall()


def _valid_mean(log: EvalLog) -> float:
    """Inspect's figure: the mean of the valid samples' `match` scores."""
    scores = [
        to_float(s.scores["match"].value) for s in log.samples or [] if s.invalidation is None and s.scores
    ]
    return sum(scores) / len(scores)


def _leaderboard_mean(loop: Loop) -> float | None:
    """The leaderboard's mean for the eval set; None until the build has created the table and the row
    (fct_samples is built before model_task_results, so the table can still be missing)."""
    if _query(loop, "select to_regclass('hawk.model_task_results')")[0][0] is None:
        return None
    rows = _query(loop, "select mean_score from hawk.model_task_results where eval_set_id = %s", EVAL_SET_ID)
    return float(rows[0][0]) if rows and rows[0][0] is not None else None


def test_an_edit_reaches_the_log_and_the_marts_without_a_manual_import(loop: Loop, tmp_path: Path) -> None:
    loop.submit(small_eval_set(EVAL_SET_ID, SAMPLES))
    loop.wait_for_eval_set_run(EVAL_SET_ID)
    loop.wait_for_marts(EVAL_SET_ID, SAMPLES, timeout=400)
    [log_path] = (loop.log_root / "evals" / EVAL_SET_ID).glob("*.eval")
    before = read_eval_log(str(log_path))
    samples = before.samples or []
    edited, invalidated = samples[0], samples[1]
    new_value = "I" if edited.scores and edited.scores["match"].value == "C" else "C"
    wait_for(  # the build that brought fct_samples goes on to the leaderboard
        "the leaderboard mean in hawk.model_task_results",
        lambda: (mean := _leaderboard_mean(loop)) is not None and abs(mean - _valid_mean(before)) < 1e-9,
        timeout=120,
        every=2,
    )

    edits = tmp_path / "edits.jsonl"
    edits.write_text(
        "\n".join(
            json.dumps(edit)
            for edit in (
                {
                    "sample_uuid": edited.uuid,
                    "details": {
                        "type": "score_edit",
                        "scorer": "match",
                        "value": new_value,
                        "reason": "misgraded",
                    },
                },
                {
                    "sample_uuid": invalidated.uuid,
                    "details": {"type": "invalidate_sample", "reason": "broken setup"},
                },
            )
        )
    )
    result = loop.hawk("edit-samples", str(edits))
    assert result.returncode == 0, result.stderr
    assert "Sample edit request:" in result.stdout

    def edit_run_finished() -> DagsterRunStatus | None:
        records = loop.runs(SAMPLE_EDITS_JOB)
        return (
            records[-1].dagster_run.status if records and records[-1].dagster_run.status in FINISHED else None
        )

    assert wait_for("the sample_edits run", edit_run_finished, timeout=300) == DagsterRunStatus.SUCCESS

    # the log on the store, read back with Inspect: both edits with their provenance
    after = read_eval_log(str(log_path))
    by_uuid = {sample.uuid: sample for sample in after.samples or []}
    score = by_uuid[edited.uuid].scores["match"]  # type: ignore[index]
    assert score.value == new_value
    assert score.history and score.history[-1].provenance is not None
    assert score.history[-1].provenance.reason == "misgraded"
    author = score.history[-1].provenance.author
    invalidation = by_uuid[invalidated.uuid].invalidation
    assert invalidation is not None and invalidation.reason == "broken setup"
    expected_mean = _valid_mean(after)
    assert expected_mean != pytest.approx(_valid_mean(before))

    # the marts, rebuilt by the daemon's sensors alone
    wait_for(
        "the new leaderboard mean in hawk.model_task_results",
        lambda: (mean := _leaderboard_mean(loop)) is not None and abs(mean - expected_mean) < 1e-9,
        timeout=400,
        every=2,
    )
    flags = dict(
        _query(
            loop,
            "select sample_uuid, is_invalid from hawk.fct_samples where eval_set_id = %s",
            EVAL_SET_ID,
        )
    )
    assert flags[invalidated.uuid] is True and flags[edited.uuid] is False
    [(value,)] = _query(loop, "select score_value from hawk.fct_samples where sample_uuid = %s", edited.uuid)
    assert value == new_value or value == json.dumps(new_value)
    changes = _query(
        loop,
        "select edit_kind, sample_uuid, author, reason from hawk.fct_sample_edits where eval_set_id = %s"
        " order by edit_kind",
        EVAL_SET_ID,
    )
    assert changes == [
        ("invalidate_sample", invalidated.uuid, invalidation.author, "broken setup"),
        ("score_edit", edited.uuid, author, "misgraded"),
    ]
