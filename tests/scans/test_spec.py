"""ScanConfig -> the runner's plain JSON spec, and the checks made before a scan starts."""

from __future__ import annotations

import re
from typing import Any

import pytest

from hawk_dagster.config.scans import ScanConfig
from hawk_dagster.logstore import LogStore
from hawk_dagster.scans.run import SCAN, ScanRunError, source_log_dirs
from hawk_dagster.scans.spec import build_scan_spec
from tests.scans.conftest import REPO_ROOT, SOURCE_EVAL_SET_ID, LogRoot, package


def config(**overrides: Any) -> ScanConfig:
    data: dict[str, Any] = {
        "name": "Spec Test!",
        "scanners": [
            package(
                "hawk_examples",
                {"name": "tool_call_counter", "key": "tools", "filter": {"where": [{"task_set": "arith"}]}},
                {"name": "numeric_judge", "args": {"question": "Number?"}},
            )
        ],
        "models": [
            package("hawk-offline", {"name": "careful"}, {"name": "sloppy", "args": {"error_rate": 0.5}})
        ],
        "model_roles": {"grader": package("hawk-offline", {"name": "careful"})},
        "transcripts": {
            "sources": [{"eval_set_id": "a-1"}],
            "filter": {"where": [{"epoch": {"ge": 1}}], "limit": 5},
        },
        "tags": ["t"],
        "metadata": {"owner": "bob", "job_id": "forged", "created_by": "mallory"},
        "max_processes": 1,
        "max_transcripts": 7,
    }
    data.update(overrides)
    return ScanConfig.model_validate(data)


def test_spec_holds_scanners_models_roles_filters_and_scan_options() -> None:
    spec = build_scan_spec(
        config(),
        scan_run_id="run-1",
        results_dir="/logs/scans/run-1",
        transcripts=["/logs/evals/a-1"],
        created_by="alice",
    )
    assert [(s.key, s.name, s.args) for s in spec.scanners] == [
        ("tools", "hawk_examples/tool_call_counter", {}),
        ("numeric_judge", "hawk_examples/numeric_judge", {"question": "Number?"}),
    ]
    assert [(m.name, m.args) for m in spec.models] == [
        ("hawk-offline/careful", {}),
        ("hawk-offline/sloppy", {"error_rate": 0.5}),
    ]
    assert spec.model_roles["grader"].name == "hawk-offline/careful"
    assert spec.filter == {"where": [{"epoch": {"ge": 1}}], "limit": 5, "shuffle": None}
    assert spec.uses_worklist
    tools, judge = spec.scanners
    assert spec.effective_filter(tools) == {"where": [{"task_set": "arith"}], "limit": None, "shuffle": None}
    assert spec.effective_filter(judge) == spec.filter
    assert spec.scan_name == "Spec Test!"
    assert spec.scan_kwargs["max_processes"] == 1 and spec.scan_kwargs["max_transcripts"] == 7
    assert spec.scan_kwargs["tags"] == ["t"]
    # the platform's metadata wins over the user's
    assert spec.scan_kwargs["metadata"] == {
        "owner": "bob",
        "name": "Spec Test!",
        "job_id": "run-1",
        "scan_run_id": "run-1",
        "created_by": "alice",
        "eval_set_ids": ["a-1"],
    }


def test_without_scanner_filters_there_is_no_worklist_and_without_models_one_scan() -> None:
    plain = config(
        scanners=[package("hawk_examples", {"name": "tool_call_counter"})],
        models=None,
        model_roles=None,
        name=None,
    )
    spec = build_scan_spec(plain, scan_run_id="r", results_dir="x", transcripts=["y"], created_by="c")
    assert not spec.uses_worklist
    assert spec.models == [] and spec.model_roles == {}
    assert spec.scan_name == "scan"


def test_model_api_keys_never_reach_the_spec() -> None:
    with_key = config(
        models=[package("hawk-offline", {"name": "careful", "args": {"config": {"max_tokens": 5}}})]
    )
    spec = build_scan_spec(with_key, scan_run_id="r", results_dir="x", transcripts=["y"], created_by="c")
    assert spec.models[0].args == {"config": {"max_tokens": 5}}
    assert "api_key" not in spec.model_dump_json()


def test_prepare_resolves_sources_results_folder_id_and_pinned_requirements(source_logs: LogRoot) -> None:
    store = LogStore.from_root(str(source_logs.path))
    prepared = SCAN.prepare(
        config(transcripts={"sources": [{"eval_set_id": SOURCE_EVAL_SET_ID}]}),
        store=store,
        job_id=None,
        created_by="alice",
        cwd=REPO_ROOT,
    )
    assert re.fullmatch(r"spec-test-[a-z0-9]{16}", prepared.job_id)
    assert prepared.location == store.scan_dir(prepared.job_id)
    assert prepared.spec.transcripts == [store.eval_set_dir(SOURCE_EVAL_SET_ID)]
    assert str(REPO_ROOT / "examples" / "hawk-examples") in prepared.requirements
    assert any(r.startswith("inspect-scout==") for r in prepared.requirements)
    assert any(r.startswith("inspect-ai==") for r in prepared.requirements)
    assert prepared.models == ["hawk-offline/careful", "hawk-offline/sloppy"]
    assert not (source_logs.path / "scans" / prepared.job_id).exists()  # nothing written yet


def test_sources_must_exist_and_be_few(source_logs: LogRoot) -> None:
    store = LogStore.from_root(str(source_logs.path))
    assert source_log_dirs(store, [SOURCE_EVAL_SET_ID]) == [store.eval_set_dir(SOURCE_EVAL_SET_ID)]
    with pytest.raises(ScanRunError, match=r"eval set 'nope-1' has no logs in .*evals/nope-1"):
        source_log_dirs(store, [SOURCE_EVAL_SET_ID, "nope-1"])
    with pytest.raises(ScanRunError, match="at most 20 can be scanned at once"):
        source_log_dirs(store, [f"set-{i}" for i in range(21)])


def test_an_invalid_scan_run_id_is_refused(source_logs: LogRoot) -> None:
    store = LogStore.from_root(str(source_logs.path))
    scan = config(transcripts={"sources": [{"eval_set_id": SOURCE_EVAL_SET_ID}]})
    with pytest.raises(ScanRunError, match="scan_run_id: invalid id 'Bad_Id'"):
        SCAN.prepare(scan, store=store, job_id="Bad_Id", created_by="a", cwd=REPO_ROOT)


def test_runner_environment_wins_over_secrets() -> None:
    scan = config(runner={"environment": {"A": "from-config"}})
    assert SCAN.run_environment(scan, {"A": "secret", "B": "secret"}) == {
        "A": "from-config",
        "B": "secret",
        "INSPECT_DISPLAY": "log",
    }
