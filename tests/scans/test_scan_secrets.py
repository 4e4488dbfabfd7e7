"""The scan step deletes the run's local secret store when it ends, whether the scan succeeds or fails."""

from __future__ import annotations

from typing import Any

import dagster as dg
import pytest

from hawk_dagster.secrets import LocalSecretStore
from tests.scans.conftest import LogRoot, failure_text, package, run_scan_job, scan_config


@pytest.mark.parametrize("outcome", ["success", "failure"])
def test_scan_releases_its_secret_store(
    outcome: str, source_logs: LogRoot, dagster_instance: dg.DagsterInstance
) -> None:
    ref = f"hawk-secrets-scan-secret-{outcome}"
    store = LocalSecretStore(source_logs.secrets_dir)
    store.put(ref, {"HAWK_TEST_SCAN_TOKEN": f"scan-secret-{outcome}"})
    scanner: dict[str, Any] = {"name": "tool_call_counter"}
    if outcome == "failure":  # score_<scorer> columns are checked against the logs, at run time
        scanner["filter"] = {"where": [{"score_nope": 1}]}
    config = scan_config(
        scanners=[package("hawk_examples", scanner)],
        runner={"secrets": [{"name": "HAWK_TEST_SCAN_TOKEN"}]},
    )

    result = run_scan_job(
        config, source_logs, dagster_instance, scan_run_id=f"scan-secret-{outcome}", secret_refs=[ref]
    )

    assert result.success == (outcome == "success"), failure_text(result)
    if outcome == "failure":
        assert "unknown transcript column 'score_nope'" in failure_text(result)
    assert store.get(ref) is None
    assert not (source_logs.secrets_dir / f"{ref}.json").exists()
