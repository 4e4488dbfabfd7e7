"""The log store in the asset graph: `log_store/evals` and `log_store/scans` upstream of every `hawk_raw/*`
import asset (same partitions), materialized by the run that wrote the folder, then imported."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from assets.eval_imports import import_eval_logs_asset
from assets.raw_tables import raw_key
from hawk_dagster.definitions import build_definitions
from hawk_dagster.jobs.eval_set import RUN_EVAL_SET_OP, make_eval_set_job
from hawk_dagster.jobs.log_store_assets import PARTITIONS, log_store_key
from hawk_dagster.logstore import EVALS_PREFIX, SCANS_PREFIX
from hawk_dagster.warehouse.schema import EVAL_TABLES, RAW_SCHEMA, SCAN_TABLES
from resources.log_store import LogStoreResource
from resources.runner import RunnerResource
from resources.warehouse import WarehouseResource

EXAMPLES = "./examples/hawk-examples"


def test_the_log_store_is_upstream_of_every_raw_table_and_the_marts() -> None:
    graph = build_definitions().resolve_asset_graph()
    raw_keys = [key for key in graph.get_all_asset_keys() if key.path[0] == RAW_SCHEMA]
    expected = {raw_key(t): EVALS_PREFIX for t in EVAL_TABLES} | {
        raw_key(t): SCANS_PREFIX for t in SCAN_TABLES
    }
    assert set(raw_keys) == set(expected)
    for key, prefix in expected.items():
        node = graph.get(key)
        assert log_store_key(prefix) in node.parent_keys, key
        assert node.partitions_def == PARTITIONS[prefix] == graph.get(log_store_key(prefix)).partitions_def
    for prefix in (EVALS_PREFIX, SCANS_PREFIX):
        store = graph.get(log_store_key(prefix))
        assert not store.is_materializable and not store.parent_keys  # written by the runs, not by Dagster
        assert store.description and "README.md" in store.description

    # log store -> raw tables -> staging -> marts: the leaderboard reaches back to the eval logs
    leaderboard = next(key for key in graph.get_all_asset_keys() if key.path[-1] == "model_task_results")
    ancestors = graph.get_ancestor_asset_keys(leaderboard)
    assert log_store_key(EVALS_PREFIX) in ancestors and raw_key("sample") in ancestors


def test_a_run_materializes_its_log_store_partition_then_the_import_its_raw_partition(
    tmp_path: Path, repo_root: Path, warehouse_url: str
) -> None:
    config = {
        "tasks": [
            {"package": EXAMPLES, "name": "hawk_examples", "items": [{"name": "arith", "args": {"n": 3}}]}
        ],
        "models": [{"package": EXAMPLES, "name": "hawk-offline", "items": [{"name": "sloppy"}]}],
    }
    log_store = LogStoreResource(root=str(tmp_path / "logs"))
    with dg.instance_for_test() as instance:
        run = make_eval_set_job().execute_in_process(
            run_config={
                "ops": {RUN_EVAL_SET_OP: {"config": {"eval_set": config, "eval_set_id": "lineage-1"}}}
            },
            instance=instance,
            resources={"log_store": log_store, "runner": RunnerResource(package_base_dir=str(repo_root))},
        )
        assert run.success
        (materialization,) = [
            m
            for m in run.asset_materializations_for_node(RUN_EVAL_SET_OP)
            if m.asset_key == log_store_key("evals")
        ]
        assert materialization.partition == "lineage-1"
        metadata = {name: value.value for name, value in materialization.metadata.items()}
        assert metadata["logs"] == 1 and metadata["samples"] == 3
        written = [path for path in (tmp_path / "logs" / "evals" / "lineage-1").iterdir() if path.is_file()]
        assert {".config.yaml", ".models.json"} <= {path.name for path in written}
        assert metadata["files"] == len(written) and metadata["size_bytes"] == sum(
            p.stat().st_size for p in written
        )
        (row,) = metadata["status"].records  # type: ignore[union-attr]
        assert (row.data["task"], row.data["model"], row.data["status"]) == (
            "hawk_examples/arith",
            "hawk-offline/sloppy",
            "success",
        )
        partitions = PARTITIONS[EVALS_PREFIX]
        assert instance.get_dynamic_partitions(str(partitions.name)) == ["lineage-1"]

        imported = dg.materialize(
            [import_eval_logs_asset],
            partition_key="lineage-1",
            instance=instance,
            resources={"log_store": log_store, "warehouse": WarehouseResource(database_url=warehouse_url)},
        )
        assert imported.success
        for key in (log_store_key(EVALS_PREFIX), raw_key("eval"), raw_key("sample")):
            status = instance.get_status_by_partition(key, ["lineage-1"], partitions)
            assert status is not None and status["lineage-1"] == dg.AssetPartitionStatus.MATERIALIZED, key
