"""Latency of the whole loop on real Dagster processes: last log written → the eval set's rows in the marts.

    .venv/bin/python bench/loop_latency.py [--eval-sets 5] [--samples 2]

Starts `dagster-webserver` + `dagster-daemon run` on this code location with a temp DAGSTER_HOME
(deploy/local/dagster.yaml, as `make dev`), a temp log root and a fresh warehouse database
(HAWK_DATABASE_URL's server if set, else a throwaway embedded PostgreSQL). The sensor intervals are the
ones in force in this environment (`make dev` defaults unless HAWK_*_INTERVAL_SECONDS are set).

Submits N small offline eval sets (hawk_examples/arith x hawk-offline/careful) one after another with
`hawk eval-set`; for each, waits until hawk.fct_samples holds its samples, and prints the time from the
last log finished (the latest `completed_at` among the eval set's log headers) to the rows in
fct_samples, split at the import run's end. Then p50 and max.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inspect_ai.log import read_eval_log  # noqa: E402

from hawk_dagster.jobs.eval_set import EVAL_SET_ID_TAG  # noqa: E402
from hawk_dagster.sensing.intervals import (  # noqa: E402
    dbt_automation_interval_seconds,
    eval_log_sensor_interval_seconds,
    with_dev_interval_defaults,
)
from tests.e2e.loop import IMPORT_JOB, Loop, loop_env, running_loop, small_eval_set  # noqa: E402
from tests.fixtures.postgres import postgres_server, temporary_database  # noqa: E402


def last_log_finished(loop: Loop, eval_set_id: str) -> float:
    """The latest `completed_at` among the eval set's log headers (epoch seconds)."""
    finished = []
    for path in (loop.log_root / "evals" / eval_set_id).glob("*.eval"):
        header = read_eval_log(str(path), header_only=True)
        completed = header.stats.completed_at
        finished.append(datetime.fromisoformat(completed).timestamp() if completed else path.stat().st_mtime)
    if not finished:
        raise RuntimeError(f"no .eval log for {eval_set_id}")
    return max(finished)


def measure(loop: Loop, index: int, samples: int) -> tuple[str, float, float]:
    eval_set_id = f"latency-{index:02d}-{secrets.token_hex(6)}"
    loop.submit(small_eval_set(eval_set_id, samples))
    loop.wait_for_eval_set_run(eval_set_id, timeout=600)
    landed = loop.wait_for_marts(eval_set_id, samples, timeout=900)
    finished = last_log_finished(loop, eval_set_id)
    imports = loop.runs(IMPORT_JOB, {EVAL_SET_ID_TAG: eval_set_id})
    imported = max((r.end_time or landed) for r in imports) if imports else landed
    return eval_set_id, imported - finished, landed - finished


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--eval-sets", type=int, default=5)
    parser.add_argument("--samples", type=int, default=2)
    args = parser.parse_args()
    with_dev_interval_defaults(os.environ)  # the intervals `make dev` runs with

    print(
        f"intervals: eval_log_sensor {eval_log_sensor_interval_seconds()} s, "
        f"dbt_automation_sensor {dbt_automation_interval_seconds()} s"
    )
    work_dir = Path(tempfile.mkdtemp(prefix="hawk-loop-latency-"))
    try:
        with (
            postgres_server("HAWK_DATABASE_URL") as server_url,
            temporary_database(server_url, "hawk_loop_latency") as database_url,
            running_loop(work_dir, loop_env(work_dir, database_url)) as loop,
        ):
            started = time.monotonic()
            print(f"{'eval set':<32} {'log → imported':>15} {'log → marts':>12}")
            latencies = []
            for index in range(args.eval_sets):
                eval_set_id, to_import, to_marts = measure(loop, index, args.samples)
                latencies.append(to_marts)
                print(f"{eval_set_id:<32} {to_import:>13.1f} s {to_marts:>10.1f} s", flush=True)
            print(
                f"last log finished → rows in fct_samples over {len(latencies)} eval sets: "
                f"p50 {statistics.median(latencies):.1f} s, max {max(latencies):.1f} s "
                f"(wall {time.monotonic() - started:.0f} s)"
            )
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
