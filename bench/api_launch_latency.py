"""Latency of one launch through the Hawk API vs the same launch submitted straight to Dagster's GraphQL.

    .venv/bin/python bench/api_launch_latency.py [--launches 20]

Starts `dagster-webserver` on this code location with a temp DAGSTER_HOME whose instance queues runs
(QueuedRunCoordinator, and no daemon to dequeue them: no run ever starts, so nothing but the launch call
competes for the CPU), then `hawk serve` in local mode in front of it. Alternates N launches of a small
eval set with one secret each way, in the same run:

- api:    POST /eval_sets (validation, access checks, .models.json, secret store, GraphQL submission);
- direct: `plan_from_config` + `submit` in this process (validation, secret store, GraphQL submission),
          what `hawk eval-set` did before the API.

Prints the median and max of each, side by side, and the API's overhead (median difference).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from hawk_dagster.config.loading import validate_config_data  # noqa: E402
from hawk_dagster.runner.eval_set import EVAL_SET  # noqa: E402
from hawk_dagster.runs.launch import plan_from_config, submit  # noqa: E402
from tests.fixtures.api import running_api  # noqa: E402
from tests.fixtures.processes import kill_leftovers  # noqa: E402
from tests.fixtures.webserver import running_webserver  # noqa: E402

QUEUED_INSTANCE = """\
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
telemetry:
  enabled: false
"""


def config(index: int, how: str) -> dict[str, object]:
    return {
        "name": "bench",
        "eval_set_id": f"bench-{how}-{index:03d}",
        "tasks": [
            {
                "package": "./examples/hawk-examples",
                "name": "hawk_examples",
                "items": [{"name": "arith", "args": {"n": 1}}],
            }
        ],
        "models": [
            {"package": "./examples/hawk-examples", "name": "hawk-offline", "items": [{"name": "careful"}]}
        ],
        "runner": {"secrets": [{"name": "BENCH_TOKEN"}]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--launches", type=int, default=20)
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hawk-api-bench-"))
    dagster_home = work / "dagster"
    env = {
        **os.environ,
        "HAWK_LOG_ROOT": str(work / "logs"),
        "HAWK_HOME": str(work / "hawk-home"),
        "DAGSTER_HOME": str(dagster_home),
        "HAWK_USER": "bench",
    }
    for variable in ("HAWK_MODEL_ACCESS_TOKEN_ISSUER", "HAWK_LAUNCH_GRANT_KEY", "HAWK_DATABASE_URL"):
        env.pop(variable, None)
    os.environ.update({k: env[k] for k in ("HAWK_LOG_ROOT", "HAWK_HOME", "HAWK_USER")})
    api_times: list[float] = []
    direct_times: list[float] = []
    try:
        with (
            running_webserver(
                dagster_home, env, work / "webserver.log", instance_yaml=QUEUED_INSTANCE
            ) as dagster_url,
            running_api(dagster_url, env, work / "api.log") as api_url,
            httpx.Client(timeout=120) as client,
        ):
            secrets = {"BENCH_TOKEN": "bench-secret"}
            # one warm-up each way (first GraphQL query, first config validation)
            client.post(
                f"{api_url}/eval_sets", json={"eval_set_config": config(999, "api"), "secrets": secrets}
            )
            submit(
                plan_from_config(
                    EVAL_SET, validate_config_data(config(999, "direct")), secrets, created_by="bench"
                ),
                url=dagster_url,
            )
            for index in range(options.launches):
                started = time.perf_counter()
                response = client.post(
                    f"{api_url}/eval_sets", json={"eval_set_config": config(index, "api"), "secrets": secrets}
                )
                api_times.append(time.perf_counter() - started)
                response.raise_for_status()

                started = time.perf_counter()
                loaded = validate_config_data(config(index, "direct"), "eval-set")
                submit(plan_from_config(EVAL_SET, loaded, secrets, created_by="bench"), url=dagster_url)
                direct_times.append(time.perf_counter() - started)
    finally:
        kill_leftovers(dagster_home)
        shutil.rmtree(work, ignore_errors=True)

    def row(name: str, times: list[float]) -> str:
        return f"{name:<26}{statistics.median(times) * 1000:>10.1f}{max(times) * 1000:>10.1f}"

    print(f"launches: {options.launches} each way, alternating; runs queued, never started")
    print(f"{'':<26}{'median ms':>10}{'max ms':>10}")
    print(row("direct GraphQL submission", direct_times))
    print(row("through the Hawk API", api_times))
    overhead = (statistics.median(api_times) - statistics.median(direct_times)) * 1000
    print(f"API overhead (median difference): {overhead:.1f} ms")


if __name__ == "__main__":
    main()
