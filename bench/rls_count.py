"""What row-level security costs a count: an analyst (one model group) against the bypass role, same run.

    .venv/bin/python bench/rls_count.py [--samples 100000] [--log-samples 200] [--no-marts] [--database-url URL]

Data: the import benchmark's wide log (`--log-samples` samples of the offline model, cached under
.hawk/bench/import) is imported with our importer, then copied inside PostgreSQL (dbt_bench.replicate:
new eval ids, sample uuids) until the warehouse holds `--samples` samples; every other copy's model is
renamed, and each sample gets its `sample_model` row as the importer writes it (its eval's model), so
half the rows are group A's and half group B's; then VACUUM ANALYZE, as autovacuum leaves a warehouse. A registry is synced (A, B) and two login roles made:
`analyst` (granted A and rls_reader) and `importer` (granted rls_bypass). With marts, `dbt build` runs
once (as the owner) and `hawk.fct_samples` is counted too.

Each query runs once to warm up, then 5 times per role, alternating; the median is printed with the rows
each role saw. Login roles are dropped at the end.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dbt_bench import CACHE_DIR, count, dbt_build, replicate  # noqa: E402
from importbench.database import bench_server, fresh_database, migrated_template  # noqa: E402
from importbench.logs import ensure_log, wide_spec  # noqa: E402

from hawk_dagster.access.registry import ModelGroupRegistry, sync_registry  # noqa: E402
from hawk_dagster.importer import import_eval_log  # noqa: E402
from hawk_dagster.logstore import LogStore  # noqa: E402
from hawk_dagster.warehouse.schema import RLS_BYPASS_ROLE, RLS_READER_ROLE  # noqa: E402

REPEATS = 5
MODEL_B = "bench-model-b"
QUERIES = {
    "hawk_raw.sample": "SELECT count(*) FROM hawk_raw.sample",
    "hawk_raw.score": "SELECT count(*) FROM hawk_raw.score",
    "hawk.fct_samples": "SELECT count(*) FROM hawk.fct_samples",
}


def split_models(url: str) -> str:
    """Rename every other eval's model to MODEL_B, give each sample its sample_model row; model A's name."""
    with psycopg.connect(url) as conn:
        conn.execute(
            "UPDATE hawk_raw.eval SET model = %s WHERE pk IN (SELECT pk FROM (SELECT pk, "
            "row_number() OVER (ORDER BY id) AS n FROM hawk_raw.eval) AS e WHERE n %% 2 = 0)",
            (MODEL_B,),
        )
        conn.execute("DELETE FROM hawk_raw.sample_model")
        conn.execute(
            "INSERT INTO hawk_raw.sample_model (sample_pk, model) SELECT s.pk, e.model "
            "FROM hawk_raw.sample AS s JOIN hawk_raw.eval AS e ON e.pk = s.eval_pk"
        )
        row = conn.execute("SELECT min(model) FROM hawk_raw.eval WHERE model <> %s", (MODEL_B,)).fetchone()
    assert row is not None
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # as autovacuum leaves a warehouse after an import
    return str(row[0])


def fill_two_groups(url: str, log_key: str, store: LogStore, samples: int) -> str:
    """Import the log once, copy it up to `samples` samples, split the evals between two models (see
    `split_models`); model A's name."""
    result = import_eval_log(url, store, log_key, force=True)
    if result.outcome != "imported":
        sys.exit(f"import failed: {result.reason}")
    per_log = count(url, "SELECT count(*) FROM hawk_raw.sample")
    replicate(url, max(0, -(-samples // per_log) - 1))
    return split_models(url)


@contextmanager
def login_roles(server: str, url: str, grants: dict[str, tuple[str, ...]]) -> Iterator[dict[str, str]]:
    """A LOGIN role per entry, granted its roles; yields name -> URL of `url` as that role."""
    suffix = secrets.token_hex(3)
    password = secrets.token_hex(8)
    made: dict[str, str] = {}
    try:
        with psycopg.connect(server, autocommit=True) as conn:
            for name, granted in grants.items():
                role = f"bench_{name}_{suffix}"
                conn.execute(
                    sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                        sql.Identifier(role), sql.Literal(password)
                    )
                )
                made[name] = role
                for group in granted:
                    conn.execute(
                        sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), sql.Identifier(role))
                    )
        yield {
            name: psycopg.conninfo.make_conninfo(url, user=role, password=password)
            for name, role in made.items()
        }
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            for role in made.values():
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def timed(conn: psycopg.Connection, query: str) -> tuple[float, int]:
    started = time.perf_counter()
    row = conn.execute(query).fetchone()  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    assert row is not None
    return elapsed, int(row[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--log-samples", type=int, default=200)
    parser.add_argument("--no-marts", action="store_true", help="skip the dbt build and the mart count")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--explain", action="store_true", help="print the analyst's query plans")
    args = parser.parse_args()

    log = ensure_log(wide_spec(args.log_samples), CACHE_DIR)
    store = LogStore.from_root(log.store_root)
    with (
        bench_server(args.database_url) as server,
        migrated_template(server) as template,
        fresh_database(server, "rls_bench", template) as url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        started = time.perf_counter()
        model_a = fill_two_groups(url, log.key, store, args.samples)
        total = count(url, "SELECT count(*) FROM hawk_raw.sample")
        evals = count(url, "SELECT count(*) FROM hawk_raw.eval")
        print(
            f"warehouse: {total:,} samples in {evals:,} evals (made in {time.perf_counter() - started:.1f} s)"
        )

        group_a, group_b = (
            f"model-access-bench-a-{secrets.token_hex(3)}",
            f"model-access-bench-b-{secrets.token_hex(3)}",
        )
        sync_registry(url, ModelGroupRegistry(models={model_a: group_a, MODEL_B: group_b}))
        queries = dict(QUERIES)
        if args.no_marts:
            queries.pop("hawk.fct_samples")
        else:
            seconds = dbt_build(url, Path(tmp) / "target", full_refresh=True)
            print(f"dbt build --full-refresh: {seconds:.1f} s")

        with login_roles(
            server, url, {"analyst": (group_a, RLS_READER_ROLE), "importer": (RLS_BYPASS_ROLE,)}
        ) as urls:
            table: list[tuple[str, dict[str, tuple[float, int]]]] = []
            with psycopg.connect(urls["analyst"]) as analyst, psycopg.connect(urls["importer"]) as bypass:
                conns = {"analyst": analyst, "bypass": bypass}
                for name, query in queries.items():
                    for conn in conns.values():
                        timed(conn, query)  # warm-up
                    samples: dict[str, list[float]] = {role: [] for role in conns}
                    rows: dict[str, int] = {}
                    for _ in range(REPEATS):
                        for role, conn in conns.items():
                            seconds, rows[role] = timed(conn, query)
                            samples[role].append(seconds)
                    table.append((name, {r: (statistics.median(samples[r]), rows[r]) for r in conns}))
                    if args.explain:
                        plan = analyst.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {query}").fetchall()  # type: ignore[arg-type]
                        print(f"\n{name} as the analyst:\n" + "\n".join(str(line[0]) for line in plan))

    print(f"\n{'count(*) of':<20}{'analyst ms':>12}{'rows':>10}{'bypass ms':>12}{'rows':>10}{'ratio':>8}")
    for name, figures in table:
        (a_s, a_rows), (b_s, b_rows) = figures["analyst"], figures["bypass"]
        print(f"{name:<20}{a_s * 1000:>12.1f}{a_rows:>10,}{b_s * 1000:>12.1f}{b_rows:>10,}{a_s / b_s:>7.1f}x")
    print(f"\nmedian of {REPEATS}; analyst = one model group + {RLS_READER_ROLE}, bypass = {RLS_BYPASS_ROLE}")


if __name__ == "__main__":
    main()
