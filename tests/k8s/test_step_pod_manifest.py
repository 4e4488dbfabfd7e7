"""The step pod's Job as dagster-k8s builds it from our run config, validated with kubernetes-validate."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import dagster as dg
import kubernetes_validate
import pytest
import yaml

from hawk_dagster.k8s import (
    K8sStepDefaults,
    core_v1_api,
    create_or_replace_secret,
    execution_run_config,
    job_labels,
    secret_name_for,
)
from tests.k8s import jobs
from tests.k8s.conftest import CHART_CONTAINER_CONTEXT, IMAGE, REPO_ROOT
from tests.k8s.fake_kube_api import FakeKubeApi
from tests.k8s.step_launch import launch_step_job

K8S_VERSIONS = ["1.29", "1.33", "1.37"]
EVAL_SET_ID = "simple-arith-0123456789abcdef"
TEAM_SECRET = "team-provider-keys"
SECRET_VALUES = {
    "OPENAI_API_KEY": "sk-test-4f1d9c2b7e6a5308",
    "HF_TOKEN": "hf_test_8b3e1a9d0c7f2e64",
}


def _container(job: dict[str, Any]) -> dict[str, Any]:
    (container,) = job["spec"]["template"]["spec"]["containers"]
    return container


def _secret_ref_names(container: dict[str, Any]) -> list[str]:
    return [source["secretRef"]["name"] for source in container.get("envFrom", []) if "secretRef" in source]


def _store_run_secrets(kubeconfig_file: Path) -> list[str]:
    """The two Secrets a launcher writes: the run's own, and a pre-existing team Secret."""
    api = core_v1_api(str(kubeconfig_file))
    own = secret_name_for(EVAL_SET_ID)
    create_or_replace_secret(own, {"OPENAI_API_KEY": SECRET_VALUES["OPENAI_API_KEY"]}, "hawk", api=api)
    create_or_replace_secret(TEAM_SECRET, {"HF_TOKEN": SECRET_VALUES["HF_TOKEN"]}, "hawk", api=api)
    return [own, TEAM_SECRET]


def _launch(
    instance: dg.DagsterInstance,
    api: FakeKubeApi,
    run_config: dict[str, Any],
    job: dg.JobDefinition = jobs.standin_eval_set_job,
) -> tuple[str, dict[str, Any]]:
    return launch_step_job(
        instance=instance,
        job_def=job,
        recon_job=dg.reconstructable(job),
        run_config=run_config,
        container_context=CHART_CONTAINER_CONTEXT,
        image=IMAGE,
        api=api,
    )


@pytest.fixture
def launched(
    k8s_instance: dg.DagsterInstance, fresh_kube_api: FakeKubeApi, kubeconfig_file: Path
) -> tuple[str, dict[str, Any], dict[str, Any], list[str]]:
    refs = _store_run_secrets(kubeconfig_file)
    run_config = execution_run_config(
        "k8s",
        jobs.STANDIN_OP,
        "2",
        "8Gi",
        refs,
        K8sStepDefaults(),
        labels=job_labels("eval-set", EVAL_SET_ID, "alice@example.org"),
    )
    namespace, job = _launch(k8s_instance, fresh_kube_api, run_config)
    return namespace, job, run_config, refs


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_step_job_passes_strict_validation(launched: tuple[str, dict, dict, list[str]], version: str) -> None:
    _, job, _, _ = launched
    assert job["kind"] == "Job" and job["apiVersion"] == "batch/v1"
    kubernetes_validate.validate(job, version, strict=True)


def test_step_job_is_sized_from_runner_cpu_and_memory(launched: tuple[str, dict, dict, list[str]]) -> None:
    _, job, _, _ = launched
    resources = _container(job)["resources"]
    assert resources == {"requests": {"cpu": "2", "memory": "8Gi"}, "limits": {"cpu": "2", "memory": "8Gi"}}


def test_step_job_reads_secrets_by_name_only(launched: tuple[str, dict, dict, list[str]]) -> None:
    _, job, _, refs = launched
    container = _container(job)
    names = _secret_ref_names(container)
    assert set(refs) <= set(names)
    assert "hawk-warehouse" in names  # the code location's envSecrets still reach the step
    assert "hawk-launch-grant" in names  # so the step can verify its launch grant
    config_maps = [s["configMapRef"]["name"] for s in container["envFrom"] if "configMapRef" in s]
    assert "dagster-hawk-user-env" in config_maps


def test_no_secret_value_in_step_job_or_run_config(
    launched: tuple[str, dict, dict, list[str]], fresh_kube_api: FakeKubeApi
) -> None:
    _, job, run_config, _ = launched
    job_text, config_text = json.dumps(job), json.dumps(run_config)
    for value in SECRET_VALUES.values():
        assert value not in job_text
        assert value not in config_text
    # The same search finds the values where they belong: the Secret bodies sent to the API.
    secret_text = json.dumps(fresh_kube_api.bodies("POST", "secrets"))
    assert all(value in secret_text for value in SECRET_VALUES.values())


def test_step_job_namespace_labels_account_and_image(launched: tuple[str, dict, dict, list[str]]) -> None:
    namespace, job, _, _ = launched
    assert namespace == "hawk"
    template = job["spec"]["template"]
    for labels in (template["metadata"]["labels"], job["metadata"]["labels"]):
        assert labels["hawk/eval-set-id"] == EVAL_SET_ID
        assert labels["hawk/job-type"] == "eval-set"
        assert labels["hawk/created-by"] == "alice-example.org"
    assert template["metadata"]["labels"]["dagster/op"] == jobs.STANDIN_OP
    assert template["spec"]["serviceAccountName"] == "hawk-dagster"
    assert _container(job)["image"] == IMAGE
    assert _container(job)["imagePullPolicy"] == "IfNotPresent"


@pytest.mark.parametrize(
    "corrupt",
    [
        pytest.param(lambda c: c["resources"]["limits"].update(cpu={"cores": 2}), id="quantity-not-a-scalar"),
        pytest.param(lambda c: c.update(resourcez=c.pop("resources")), id="misspelled-field"),
        pytest.param(
            lambda c: c["envFrom"].append({"secretRef": {"name": "x", "key": "y"}}), id="unknown-key"
        ),
    ],
)
def test_validator_rejects_a_corrupted_step_job(
    launched: tuple[str, dict, dict, list[str]], corrupt: Any
) -> None:
    _, job, _, _ = launched
    broken = copy.deepcopy(job)
    corrupt(_container(broken))
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, "1.33", strict=True)


def test_defaults_size_the_step_when_the_config_sets_no_cpu_or_memory(
    k8s_instance: dg.DagsterInstance, fresh_kube_api: FakeKubeApi
) -> None:
    run_config = execution_run_config("k8s", jobs.STANDIN_OP, None, None, [], K8sStepDefaults())
    _, job = _launch(k8s_instance, fresh_kube_api, run_config)
    assert _container(job)["resources"] == {
        "requests": {"cpu": "2", "memory": "16Gi"},
        "limits": {"cpu": "2", "memory": "16Gi"},
    }
    kubernetes_validate.validate(job, "1.33", strict=True)


def test_op_tag_defaults_apply_without_run_config_and_lose_to_it(
    k8s_instance: dg.DagsterInstance, fresh_kube_api: FakeKubeApi
) -> None:
    _, launchpad_job = _launch(k8s_instance, fresh_kube_api, {}, job=jobs.sized_eval_set_job)
    assert _container(launchpad_job)["resources"] == {
        "requests": {"cpu": "3", "memory": "12Gi"},
        "limits": {"cpu": "3", "memory": "12Gi"},
    }
    run_config = execution_run_config("k8s", jobs.STANDIN_OP, "1", "4Gi", [], K8sStepDefaults())
    _, cli_job = _launch(k8s_instance, fresh_kube_api, run_config, job=jobs.sized_eval_set_job)
    assert _container(cli_job)["resources"] == {
        "requests": {"cpu": "1", "memory": "4Gi"},
        "limits": {"cpu": "1", "memory": "4Gi"},
    }


def test_real_eval_set_job_step_pod(
    k8s_instance: dg.DagsterInstance,
    fresh_kube_api: FakeKubeApi,
    kubeconfig_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The code location's own `eval_set` job (make_eval_set_job via definitions, HAWK_EXECUTOR=k8s)."""
    from hawk_dagster.jobs.eval_set import RUN_EVAL_SET_OP

    monkeypatch.setenv("HAWK_EXECUTOR", "k8s")
    monkeypatch.setenv("HAWK_LOG_ROOT", str(tmp_path / "logs"))
    job_def = jobs.real_eval_set_job()
    assert job_def.executor_def.name == "k8s"
    refs = _store_run_secrets(kubeconfig_file)
    hawk_config = yaml.safe_load((REPO_ROOT / "examples" / "simple.eval-set.yaml").read_text())
    run_config = {
        "ops": {
            RUN_EVAL_SET_OP: {
                "config": {"eval_set": hawk_config, "eval_set_id": EVAL_SET_ID, "secret_refs": refs}
            }
        },
        **execution_run_config(
            "k8s",
            RUN_EVAL_SET_OP,
            "2",
            "8Gi",
            refs,
            K8sStepDefaults(),
            labels=job_labels("eval-set", EVAL_SET_ID),
        ),
    }
    assert dg.validate_run_config(job_def, run_config)
    namespace, job = launch_step_job(
        instance=k8s_instance,
        job_def=job_def,
        recon_job=dg.build_reconstructable_job("tests.k8s.jobs", "real_eval_set_job"),
        run_config=run_config,
        container_context=CHART_CONTAINER_CONTEXT,
        image=IMAGE,
        api=fresh_kube_api,
    )
    assert namespace == "hawk"
    kubernetes_validate.validate(job, "1.33", strict=True)
    container = _container(job)
    assert container["resources"]["limits"] == {"cpu": "2", "memory": "8Gi"}
    assert set(refs) <= set(_secret_ref_names(container))
    text = json.dumps(job) + json.dumps(run_config)
    assert not any(value in text for value in SECRET_VALUES.values())
