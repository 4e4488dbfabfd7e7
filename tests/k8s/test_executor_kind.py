"""HAWK_EXECUTOR selects the executor of the code location's jobs."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from dagster_k8s import k8s_job_executor

from hawk_dagster.k8s import K8sConfigError, executor_def_for, executor_kind_from_env


@pytest.mark.parametrize("environ", [{}, {"HAWK_EXECUTOR": ""}, {"HAWK_EXECUTOR": "  "}])
def test_unset_or_empty_means_in_process(environ: dict[str, str]) -> None:
    assert executor_kind_from_env(environ) == "in_process"


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("in_process", "in_process"),
        ("multiprocess", "multiprocess"),
        ("k8s", "k8s"),
        (" K8S ", "k8s"),
        ("in-process", "in_process"),
    ],
)
def test_valid_values(value: str, kind: str) -> None:
    assert executor_kind_from_env({"HAWK_EXECUTOR": value}) == kind


def test_invalid_value_is_one_line_listing_the_valid_ones() -> None:
    with pytest.raises(K8sConfigError) as caught:
        executor_kind_from_env({"HAWK_EXECUTOR": "kubernetes"})
    message = str(caught.value)
    assert "\n" not in message
    assert "HAWK_EXECUTOR='kubernetes'" in message
    assert all(kind in message for kind in ("in_process", "multiprocess", "k8s"))


def test_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAWK_EXECUTOR", "multiprocess")
    assert executor_kind_from_env() == "multiprocess"
    monkeypatch.delenv("HAWK_EXECUTOR")
    assert executor_kind_from_env() == "in_process"


def test_executor_definitions() -> None:
    assert executor_def_for("in_process") is dg.in_process_executor
    assert executor_def_for("multiprocess") is dg.multiprocess_executor
    reasoned = executor_def_for("k8s")
    assert reasoned.name == k8s_job_executor.name == "k8s"
    assert (
        reasoned.config_schema.as_field().config_type.key
        == k8s_job_executor.config_schema.as_field().config_type.key
    )


@pytest.mark.parametrize(
    ("value", "name"), [("", "in_process"), ("multiprocess", "multiprocess"), ("k8s", "k8s")]
)
def test_code_location_jobs_use_the_selected_executor(
    value: str, name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from hawk_dagster.definitions import build_definitions

    monkeypatch.setenv("HAWK_EXECUTOR", value)
    monkeypatch.setenv("HAWK_LOG_ROOT", str(tmp_path / "logs"))
    definitions = build_definitions()
    assert definitions.resolve_job_def("scan").executor_def.name == name
    eval_set = definitions.resolve_job_def("eval_set")  # locally: multi_or_in_process, chosen per run
    assert eval_set.tags["hawk/executor"] == name
    assert eval_set.executor_def.name == (name if name == "k8s" else "multi_or_in_process_executor")
