"""The scan job end to end: real Scout scans over real offline eval logs, through Dagster (no mocks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pytest
import yaml
from inspect_scout import scan_results_df

from hawk_dagster.jobs.scan import RUN_SCAN_OP, SCAN_RUN_ID_TAG
from tests.scans.conftest import (
    HAPPY_SCAN_CONFIG,
    SOURCE_EVAL_SET_ID,
    HappyScan,
    LogRoot,
    failure_text,
    package,
    run_scan_job,
    scan_config,
)


def scan_id_dirs(root: LogRoot, scan_run_id: str) -> list[Path]:
    return sorted((root.path / "scans" / scan_run_id).glob("scan_id=*"))


def results(scan: dict[str, Any], scanner: str) -> pd.DataFrame:
    return scan_results_df(scan["location"]).scanners[scanner]


def test_each_scanner_runs_once_per_model_with_its_filter(
    happy_scan: HappyScan, dagster_instance: dg.DagsterInstance
) -> None:
    output = happy_scan.output
    assert output["scan_run_id"] == "happy-1"
    assert [scan["model"] for scan in output["scans"]] == ["hawk-offline/careful", "hawk-offline/sloppy"]
    assert len(scan_id_dirs(happy_scan.root, "happy-1")) == 2
    assert output["scan_dir_keys"] == [scan["scan_dir_key"] for scan in output["scans"]]
    for scan in output["scans"]:
        assert scan["scan_dir_key"] == f"scans/happy-1/scan_id={scan['scan_id']}"
        counts = {key: values["transcripts"] for key, values in scan["scanners"].items()}
        # tool_calls' own filter (arith_tools, both eval models) replaces the global one (careful only)
        assert counts == {"tool_calls": 6, "judge": 6, "picky": 6}

        tool_calls = results(scan, "tool_calls")
        assert set(tool_calls["transcript_task_set"]) == {"arith_tools"}
        assert set(tool_calls["transcript_model"]) == {"hawk-offline/careful", "hawk-offline/sloppy"}
        assert set(tool_calls["value"]) == {1}  # the offline model calls `add` once, then answers

        judge = results(scan, "judge")
        assert set(judge["transcript_model"]) == {"hawk-offline/careful"}
        assert list(judge["value"]) == [True] * 6  # careful answers with bare numbers
        assert (judge["scan_total_tokens"] > 0).all()

        picky = results(scan, "picky")
        failed = picky[picky["scan_error"].notna()]
        assert set(failed["transcript_task_id"]) == {"s1"} and len(failed) == 2
        assert scan["error_count"] == 2 and scan["scanners"]["picky"]["errors"] == 2
        assert not scan["complete"]  # Scout marks a scan with errors incomplete (scan_resume retries them)

    run = dagster_instance.get_run_by_id(happy_scan.result.run_id)
    assert run is not None and run.tags[SCAN_RUN_ID_TAG] == "happy-1"


def test_scan_spec_carries_metadata_tags_model_roles_and_name(happy_scan: HappyScan) -> None:
    for directory in scan_id_dirs(happy_scan.root, "happy-1"):
        spec = json.loads((directory / "_scan.json").read_text())
        assert spec["scan_name"] == "happy scan"
        assert spec["tags"] == ["scan-test"]
        assert spec["metadata"]["purpose"] == "tests"
        assert spec["metadata"]["job_id"] == "happy-1"
        assert spec["metadata"]["created_by"] == "alice"
        assert spec["metadata"]["eval_set_ids"] == [SOURCE_EVAL_SET_ID]
        assert spec["model_roles"]["grader"]["model"] == "hawk-offline/careful"
        assert spec["options"]["max_processes"] == 1
    run_dir = happy_scan.root.path / "scans" / "happy-1"
    assert yaml.safe_load((run_dir / ".config.yaml").read_text())["name"] == "happy scan"
    assert json.loads((run_dir / ".models.json").read_text())["model_names"] == [
        "hawk-offline/careful",
        "hawk-offline/sloppy",
    ]


def test_output_metadata_shows_the_results_and_the_scanner_errors(happy_scan: HappyScan) -> None:
    (materialization,) = [
        event for event in happy_scan.result.all_events if event.event_type_value == "STEP_OUTPUT"
    ]
    metadata = materialization.step_output_data.metadata
    assert metadata["scanner_errors"].value == 4
    assert metadata["transcripts_scanned"].value == 36
    assert "picky refuses sample s1" in metadata["warnings"].value
    assert "judge" in metadata["results"].value


def test_a_filter_matching_nothing_is_a_visible_outcome_not_a_crash(
    source_logs: LogRoot, dagster_instance: dg.DagsterInstance
) -> None:
    config = scan_config(
        transcripts={"sources": [{"eval_set_id": SOURCE_EVAL_SET_ID}], "filter": {"where": [{"id": "nope"}]}}
    )
    result = run_scan_job(config, source_logs, dagster_instance, scan_run_id="empty-1")
    assert result.success, failure_text(result)
    output = result.output_for_node(RUN_SCAN_OP)
    (scan,) = output["scans"]
    assert scan["scanners"]["tool_call_counter"]["transcripts"] == 0
    (directory,) = scan_id_dirs(source_logs, "empty-1")
    assert (directory / "_scan.json").exists()
    assert not list(directory.glob("*.parquet"))  # Scout writes no parquet for an empty scan
    warnings = [
        event.message
        for event in dagster_instance.all_logs(result.run_id)
        if event.level == 30 and "no transcript matched" in (event.message or "")  # WARNING
    ]
    assert warnings, "the empty result must be reported as a warning"


def test_unknown_filter_column_fails_with_the_column_and_the_valid_ones(
    source_logs: LogRoot, dagster_instance: dg.DagsterInstance
) -> None:
    # a column Scout never has: refused by the config validation (as `hawk validate` does)
    scanner = {"name": "tool_call_counter", "filter": {"where": [{"taskset": "arith"}]}}
    config = scan_config(scanners=[package("hawk_examples", scanner)])
    result = run_scan_job(config, source_logs, dagster_instance, scan_run_id="unknown-column-1")
    assert not result.success
    message = failure_text(result)
    assert "scanners[0].items[0].filter.where[0].taskset" in message
    assert "unknown transcript column 'taskset'" in message and "did you mean 'task_set'?" in message
    assert "valid columns:" in message and "sample_metadata" in message
    assert "Traceback" not in message
    assert scan_id_dirs(source_logs, "unknown-column-1") == []


def test_unknown_score_column_fails_at_run_time_with_the_columns_of_the_logs(
    source_logs: LogRoot, dagster_instance: dg.DagsterInstance
) -> None:
    # score_<scorer> columns depend on the logs, so the run checks them against Scout's index
    scanner = {"name": "tool_call_counter", "filter": {"where": [{"score_mach": "C"}]}}
    config = scan_config(scanners=[package("hawk_examples", scanner)])
    result = run_scan_job(config, source_logs, dagster_instance, scan_run_id="unknown-column-2")
    assert not result.success
    message = failure_text(result)
    assert "scanners[tool_call_counter].filter.where" in message
    assert "unknown transcript column 'score_mach'" in message and "did you mean 'score_match'?" in message
    assert "Traceback" not in message
    assert scan_id_dirs(source_logs, "unknown-column-2") == []


def test_missing_source_eval_set_fails_before_the_scan_starts(
    source_logs: LogRoot, dagster_instance: dg.DagsterInstance
) -> None:
    config = scan_config(transcripts={"sources": [{"eval_set_id": "scan-sourse"}]})
    result = run_scan_job(config, source_logs, dagster_instance, scan_run_id="missing-source-1")
    assert not result.success
    message = failure_text(result)
    assert "eval set 'scan-sourse' has no logs" in message and "did you mean scan-source?" in message
    assert not (source_logs.path / "scans" / "missing-source-1").exists()


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {
                "scanners": [
                    package("hawk_examples", {"name": "tool_call_counter"}),
                    package("hawk_examples", {"name": "picky", "key": "tool_call_counter"}),
                ]
            },
            "scanner key 'tool_call_counter' is used by 2 scanners",
        ),
        (
            {
                "transcripts": {
                    "sources": [{"eval_set_id": SOURCE_EVAL_SET_ID}],
                    "filter": {"where": [{"epoch": {"gt": 0, "lt": 3}}]},
                }
            },
            "has 2 operators (gt, lt) but takes one",
        ),
        ({"transcripts": {"sources": []}}, "transcripts.sources is empty"),
        ({"transcripts": {"sources": [{"eval_set_id": "Not An Id"}]}}, "'Not An Id' is not an eval set id"),
        ({"runner": {"secrets": [{"name": "JUDGE_API_KEY"}]}}, "missing required secrets: JUDGE_API_KEY"),
    ],
    ids=["duplicate-key", "two-operators", "no-sources", "bad-id", "missing-secret"],
)
def test_bad_configs_fail_before_anything_runs(
    source_logs: LogRoot, dagster_instance: dg.DagsterInstance, overrides: dict[str, Any], expected: str
) -> None:
    result = run_scan_job(scan_config(**overrides), source_logs, dagster_instance, scan_run_id="bad-config-1")
    assert not result.success
    message = failure_text(result)
    assert expected in message
    assert "\n" not in message
    assert not (source_logs.path / "scans" / "bad-config-1").exists()


def test_happy_config_is_the_documented_shape() -> None:
    # the fixture's config stays a valid Hawk scan config (guards the tests above against drift)
    from hawk_dagster.config.loading import validate_config_data

    loaded = validate_config_data(HAPPY_SCAN_CONFIG, kind="scan")
    assert loaded.warnings == []


def test_the_scan_materializes_its_log_store_partition(
    happy_scan: HappyScan, dagster_instance: dg.DagsterInstance
) -> None:
    from hawk_dagster.jobs.log_store_assets import log_store_key, scan_runs_partitions

    (materialization,) = [
        m
        for m in happy_scan.result.asset_materializations_for_node(RUN_SCAN_OP)
        if m.asset_key == log_store_key("scans")
    ]
    assert materialization.partition == "happy-1"
    assert dagster_instance.has_dynamic_partition(str(scan_runs_partitions.name), "happy-1")
    metadata = {name: value.value for name, value in materialization.metadata.items()}
    written = [path for path in (happy_scan.root.path / "scans" / "happy-1").rglob("*") if path.is_file()]
    assert metadata["files"] == len(written) and metadata["size_bytes"] == sum(
        p.stat().st_size for p in written
    )
    assert metadata["scans"] == 2  # one per scan model
    assert metadata["transcripts"] == sum(
        values["transcripts"] for scan in happy_scan.output["scans"] for values in scan["scanners"].values()
    )
    rows = metadata["status"].records  # type: ignore[union-attr]
    assert {(row.data["model"], row.data["scanner"]) for row in rows} == {
        (model, scanner)
        for model in ("hawk-offline/careful", "hawk-offline/sloppy")
        for scanner in ("tool_calls", "judge", "picky")
    }
