"""`hawk list samples` latency: the API route `GET /meta/samples` over a warehouse of 100k samples, beside
a plain SQL count of the same mart, in the same run.

    .venv/bin/python bench/list_samples.py [--samples 100000] [--log-samples 200] [--database-url URL]

Data as bench/rls_count.py makes it: the import benchmark's wide log imported once, copied inside
PostgreSQL until `--samples` samples, every other eval's model renamed (two model groups), then
`dbt build --full-refresh`. The API is `create_app` (local mode: no permission filter) called through
FastAPI's test client; a user holding one model group is timed on the same query function with the
permission filter. Each measurement runs once to warm up, then 5 times; the median is printed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dbt_bench import CACHE_DIR, count, dbt_build  # noqa: E402
from importbench.database import bench_server, fresh_database, migrated_template  # noqa: E402
from importbench.logs import ensure_log, wide_spec  # noqa: E402
from rls_count import fill_two_groups  # noqa: E402

from hawk_dagster.logstore import LogStore  # noqa: E402
from hawk_dagster.queries.meta import ListFilter, list_samples  # noqa: E402

REPEATS = 5


def median_ms(action: Callable[[], object]) -> float:
    action()  # warm-up
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--log-samples", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from hawk_dagster.api.app import create_app
    from hawk_dagster.api.settings import ApiSettings

    log = ensure_log(wide_spec(args.log_samples), CACHE_DIR)
    store = LogStore.from_root(log.store_root)
    with (
        bench_server(args.database_url) as server,
        migrated_template(server) as template,
        fresh_database(server, "list_bench", template) as url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        model_a = fill_two_groups(url, log.key, store, args.samples)
        seconds = dbt_build(url, Path(tmp) / "target", full_refresh=True)
        total = count(url, "SELECT count(*) FROM hawk.fct_samples")
        print(f"warehouse: {total:,} samples in hawk.fct_samples (dbt build {seconds:.1f} s)")

        settings = ApiSettings(log_root=str(Path(tmp) / "logs"), database_url=url)
        figures: list[tuple[str, float, int]] = []
        with TestClient(create_app(settings)) as api, psycopg.connect(url) as conn:

            def route(query: str) -> Callable[[], object]:
                def call() -> object:
                    response = api.get(f"/meta/samples?{query}")
                    assert response.status_code == 200, response.text
                    return response.json()

                return call

            for label, query in (
                ("GET /meta/samples (first page of 50)", "limit=50"),
                ("GET /meta/samples --model (50)", f"limit=50&model={model_a}"),
                ("GET /meta/samples --search (50)", "limit=50&search=zzz-no-match"),
            ):
                rows = len(route(query)()["items"])  # type: ignore[index]
                figures.append((label, median_ms(route(query)), rows))

            page = list_samples(conn, ListFilter(limit=50), [model_a])
            figures.append(
                (
                    "list_samples, one model group (50)",
                    median_ms(lambda: list_samples(conn, ListFilter(limit=50), [model_a])),
                    len(page["items"]),
                )
            )
            figures.append(
                (
                    "SELECT count(*) FROM hawk.fct_samples",
                    median_ms(lambda: conn.execute("SELECT count(*) FROM hawk.fct_samples").fetchone()),
                    1,
                )
            )

    print(f"\n{'query':<42}{'median ms':>12}{'rows':>8}")
    for label, ms, rows in figures:
        print(f"{label:<42}{ms:>12.1f}{rows:>8}")
    print(
        f"\nmedian of {REPEATS} after a warm-up; API = create_app through FastAPI's test client, local mode"
    )


if __name__ == "__main__":
    main()
