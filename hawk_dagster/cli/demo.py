"""`make demo`: the example eval set end to end — run, import, dbt marts, leaderboard, scan, flags.

Every stage goes through the same Dagster jobs, assets and resources a deployment uses, on the local
instance (a local verb: it imports the code location's `assets/` and `resources/` lazily).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from hawk_dagster.cli import launch
from hawk_dagster.runs.table import format_table
from hawk_dagster.warehouse.database import connect

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def stage(title: str) -> None:
    click.secho(f"\n== {title}", bold=True)


def print_table(columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.3f}"
        return "" if value is None else str(value)

    click.echo(format_table(columns, [[cell(v) for v in row] for row in rows]))


def import_eval_set(eval_set_id: str) -> None:
    import dagster as dg

    from assets.eval_imports import eval_sets_partitions, import_eval_logs_asset
    from resources.log_store import LogStoreResource
    from resources.warehouse import WarehouseResource

    resources = {"log_store": LogStoreResource(), "warehouse": WarehouseResource()}
    with dg.DagsterInstance.get() as instance:
        instance.add_dynamic_partitions(eval_sets_partitions.name or "eval_sets", [eval_set_id])
        result = dg.materialize(
            [import_eval_logs_asset],
            partition_key=eval_set_id,
            instance=instance,
            resources=resources,
            raise_on_error=False,
            run_config=QUIET,
        )
    rows = []
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if materialization is not None:
            rows.append(
                (materialization.asset_key.to_user_string(), materialization.metadata["rows_written"].value)
            )
    print_table(["table", "rows written"], rows)
    checks = result.get_asset_check_evaluations()
    click.echo("checks: " + ", ".join(f"{c.check_name}={'passed' if c.passed else 'FAILED'}" for c in checks))
    if not result.success:
        raise click.ClickException("the import failed (see the Dagster run log)")


def build_marts() -> None:
    import dagster as dg

    from assets.dbt import dbt_resource, hawk_dbt_assets

    with dg.DagsterInstance.get() as instance:
        result = dg.materialize(
            [hawk_dbt_assets],
            instance=instance,
            resources={"dbt": dbt_resource()},
            raise_on_error=False,
            run_config=QUIET,
        )
    checks = result.get_asset_check_evaluations()
    failed = [c.check_name for c in checks if not c.passed]
    click.echo(
        f"dbt build: {len(result.get_asset_materialization_events())} models, "
        f"{len(checks) - len(failed)}/{len(checks)} tests passed"
        + (f" (failed: {', '.join(failed)})" if failed else "")
    )
    if not result.success:
        raise click.ClickException("dbt build failed (see the Dagster run log)")


def print_leaderboard(database_url: str, eval_set_id: str) -> None:
    from hawk_dagster.warehouse.dbt_env import dbt_env

    schema = dbt_env(database_url).get("HAWK_DBT_SCHEMA", "hawk")
    query = f"""
        SELECT model, task_name, samples, mean_score, stderr_score, error_rate, total_tokens
          FROM {schema}.model_task_results WHERE eval_set_id = %s ORDER BY task_name, mean_score DESC NULLS LAST
    """
    with connect(database_url) as conn:
        rows = conn.execute(query, (eval_set_id,)).fetchall()
    print_table(
        ["model", "task", "samples", "mean score", "stderr", "error rate", "tokens"], [tuple(r) for r in rows]
    )


def run_scan(eval_set_id: str, database_url: str, config_path: Path) -> None:
    from hawk_dagster.cli.main import run_local
    from hawk_dagster.logstore import LogStore
    from hawk_dagster.scans.importer import import_scan_results
    from hawk_dagster.scans.run import SCAN, with_sources

    store = LogStore.default()
    plan = launch.plan_launch(
        SCAN, config_path, log_store=store, edit_config=lambda config: with_sources(config, [eval_set_id])
    )
    result = run_local(plan)
    assert result.outcome is not None
    for key in result.outcome.scan_dir_keys:
        imported = import_scan_results(database_url, store, key)
        click.echo(f"imported {key}: {imported.outcome}, {imported.rows_written} scanner result row(s)")
    query = """
        SELECT r.scanner_key, count(*) AS results,
               count(*) FILTER (WHERE r.value_float IS NOT NULL AND r.value_float <> 0) AS flagged,
               string_agg(DISTINCT s.id, ' ' ORDER BY s.id) FILTER (WHERE r.value_float <> 0) AS flagged_samples
          FROM hawk_raw.scanner_result r
          JOIN hawk_raw.scan sc ON sc.pk = r.scan_pk
          LEFT JOIN hawk_raw.sample s ON s.pk = r.sample_pk
         WHERE sc.job_id = %s
         GROUP BY r.scanner_key ORDER BY r.scanner_key
    """
    with connect(database_url) as conn:
        rows = conn.execute(query, (plan.job_id,)).fetchall()
    stage("Flagged samples per scanner")
    print_table(["scanner", "results", "flagged", "flagged samples"], [tuple(r) for r in rows])


def run_demo(eval_config: Path, scan_config: Path) -> None:
    from hawk_dagster.cli.main import run_local
    from hawk_dagster.runner.eval_set import EVAL_SET
    from hawk_dagster.warehouse.database import resolve_database_url
    from hawk_dagster.warehouse.migrate import upgrade

    started = time.perf_counter()
    launch.ensure_dagster_home()
    stage(f"1. Eval set ({eval_config})")
    plan = launch.plan_launch(EVAL_SET, eval_config)
    run_local(plan)
    eval_seconds = time.perf_counter() - started

    stage("2. Import the logs into the warehouse (asset hawk_raw/*, partition = eval set)")
    database_url = resolve_database_url()
    upgrade(database_url)
    import_eval_set(plan.job_id)

    stage("3. dbt build (staging -> marts)")
    build_marts()
    stage(f"Leaderboard: model_task_results for {plan.job_id}")
    print_leaderboard(database_url, plan.job_id)

    stage(f"4. Scan ({scan_config})")
    run_scan(plan.job_id, database_url, scan_config)
    click.echo(f"\ndemo finished in {time.perf_counter() - started:.1f} s (eval set {eval_seconds:.1f} s)")
