"""Planning and running scans the way `hawk local scan` does, with examples/simple.scan.yaml."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
import yaml

from hawk_dagster.cli.launch import LaunchPlan, plan_launch
from hawk_dagster.cli.local_run import run_locally
from hawk_dagster.config.scans import ScanConfig
from hawk_dagster.jobs.scan import RUN_SCAN_OP, SCAN_RUN_ID_TAG, make_scan_job
from hawk_dagster.logstore import LogStore
from hawk_dagster.runs.kind import RunError
from hawk_dagster.scans.run import SCAN, with_sources
from hawk_dagster.secrets import SecretsError
from tests.scans.conftest import REPO_ROOT, SOURCE_EVAL_SET_ID, HappyScan, LogRoot

EXAMPLE = REPO_ROOT / "examples" / "simple.scan.yaml"


def plan_scan_launch(
    path: Path, *, eval_set_ids: list[str] | None = None, scan_run_id: str | None = None, **kwargs: object
) -> LaunchPlan:
    """What `hawk [local] scan PATH [--eval-set-id ID]... [--scan-run-id ID]` plans."""
    edit = (lambda config: with_sources(config, eval_set_ids)) if eval_set_ids else None
    return plan_launch(SCAN, path, job_id=scan_run_id, edit_config=edit, **kwargs)  # type: ignore[arg-type]


def test_example_yaml_is_a_valid_scan_config_with_a_placeholder_source() -> None:
    config = ScanConfig.model_validate(yaml.safe_load(EXAMPLE.read_text()))
    assert config.model_extra == {}
    assert [source.eval_set_id for source in config.transcripts.sources] == ["DEMO-EVAL-SET-ID"]
    items = [item for package in config.scanners for item in package.items]
    assert [item.scanner_key for item in items] == ["tool_calls", "numeric_judge"]
    assert items[0].filter is not None and config.transcripts.filter is not None


def test_plan_builds_run_config_and_tags_and_checks_sources(source_logs: LogRoot) -> None:
    store = LogStore.from_root(str(source_logs.path))
    plan = plan_scan_launch(EXAMPLE, eval_set_ids=[SOURCE_EVAL_SET_ID], log_store=store, scan_run_id="plan-1")
    op_config = plan.run_config["ops"][RUN_SCAN_OP]["config"]
    assert op_config["scan_run_id"] == "plan-1" and op_config["secret_refs"] == []
    assert op_config["scan"]["transcripts"]["sources"] == [{"eval_set_id": SOURCE_EVAL_SET_ID}]
    assert op_config["scan"]["transcripts"]["filter"]["limit"] == 20
    assert plan.tags[SCAN_RUN_ID_TAG] == "plan-1"

    with pytest.raises(RunError, match="'DEMO-EVAL-SET-ID' is not an eval set id"):
        plan_scan_launch(EXAMPLE, log_store=store)
    with pytest.raises(RunError, match="eval set 'gone-1' has no logs"):
        plan_scan_launch(EXAMPLE, eval_set_ids=["gone-1"], log_store=store)


def test_plan_requires_the_configs_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["runner"] = {"secrets": [{"name": "JUDGE_TOKEN"}]}
    path = tmp_path / "scan.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(RunError, match="missing required secrets: JUDGE_TOKEN"):
        plan_scan_launch(path)
    with pytest.raises(SecretsError, match="JUDGE_TOKEN is not set"):
        plan_scan_launch(path, secret_names=["JUDGE_TOKEN"])
    monkeypatch.setenv("JUDGE_TOKEN", "s3cret")
    plan = plan_scan_launch(path, secret_names=["JUDGE_TOKEN"], scan_run_id="secret-1")
    assert plan.run_config["ops"][RUN_SCAN_OP]["config"]["secret_refs"] == ["hawk-secrets-secret-1"]
    assert "s3cret" not in str(plan.run_config) and "s3cret" not in str(plan.tags)


def test_run_locally_reports_a_failed_run_in_one_line(
    source_logs: LogRoot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    plan = plan_scan_launch(EXAMPLE, eval_set_ids=["gone-1"], scan_run_id="local-1")  # sources unchecked
    definitions = dg.Definitions(jobs=[make_scan_job()], resources=source_logs.resources())
    result = run_locally(plan, definitions=definitions)
    assert not result.success and result.outcome is None
    assert result.error is not None and "eval set 'gone-1' has no logs" in result.error
    assert (tmp_path / "dagster" / "dagster.yaml").exists()  # ran on the local instance


def test_the_outcome_comes_back_from_the_run_output(happy_scan: HappyScan) -> None:
    outcome = SCAN.outcome_from_output(happy_scan.output)
    assert outcome.scan_run_id == "happy-1"
    assert [scan.model for scan in outcome.scans] == ["hawk-offline/careful", "hawk-offline/sloppy"]
    assert outcome.scan_dir_keys == happy_scan.output["scan_dir_keys"]
    careful = outcome.scans[0]
    assert {key: (s.transcripts, s.errors) for key, s in careful.scanners.items()} == {
        "tool_calls": (6, 0),
        "judge": (6, 0),
        "picky": (6, 2),
    }
    table = outcome.table().splitlines()
    assert table[0].split() == ["model", "scanner", "transcripts", "scanned", "truthy", "errors", "tokens"]
    assert len(table) == 2 + 6
    assert any("picky refuses sample s1" in w for w in outcome.warnings())
