"""A sharded eval set in a cluster: every shard step (and the finish step) is its own pod of the run's
size, built by dagster-k8s from our run config and validated offline with kubernetes-validate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dagster as dg
import kubernetes_validate
import pytest
import yaml

from hawk_dagster.jobs.eval_set import RUN_EVAL_SET_OP
from hawk_dagster.k8s import K8sStepDefaults, execution_run_config, job_labels
from hawk_dagster.runner.eval_set import EVAL_SET
from tests.k8s import jobs
from tests.k8s.conftest import CHART_CONTAINER_CONTEXT, IMAGE, REPO_ROOT
from tests.k8s.fake_kube_api import FakeKubeApi
from tests.k8s.step_launch import launch_step_job

EVAL_SET_ID = "sharded-arith-0123456789ab"
SHARD_KEYS = ["shard_1_of_2", "shard_2_of_2"]


@pytest.fixture
def sharded_run_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    monkeypatch.setenv("HAWK_EXECUTOR", "k8s")
    monkeypatch.setenv("HAWK_LOG_ROOT", str(tmp_path / "logs"))
    hawk_config = yaml.safe_load((REPO_ROOT / "examples" / "simple.eval-set.yaml").read_text())
    hawk_config.setdefault("runner", {})["shards"] = 2
    return {
        "ops": {RUN_EVAL_SET_OP: {"config": {"eval_set": hawk_config, "eval_set_id": EVAL_SET_ID}}},
        **execution_run_config(
            "k8s",
            RUN_EVAL_SET_OP,
            "3",
            "6Gi",
            ["hawk-run-secrets"],
            K8sStepDefaults(),
            labels=job_labels("eval-set", EVAL_SET_ID),
            more_ops=EVAL_SET.step_op_names[1:],
        ),
    }


def test_every_step_of_a_sharded_run_is_sized_alike(sharded_run_config: dict[str, Any]) -> None:
    per_step = sharded_run_config["execution"]["config"]["per_step_k8s_config"]
    assert (
        sorted(per_step)
        == sorted(EVAL_SET.step_op_names)
        == [
            "finish_eval_set",
            "run_eval_set",
            "run_eval_set_shard",
        ]
    )
    assert len({json.dumps(config, sort_keys=True) for config in per_step.values()}) == 1
    assert dg.validate_run_config(jobs.real_eval_set_job(), sharded_run_config)


@pytest.mark.parametrize(
    "step_key", [f"run_eval_set_shard[{key}]" for key in SHARD_KEYS] + ["finish_eval_set"]
)
def test_shard_and_finish_step_pods_pass_strict_validation(
    k8s_instance: dg.DagsterInstance,
    fresh_kube_api: FakeKubeApi,
    sharded_run_config: dict[str, Any],
    step_key: str,
) -> None:
    job_def = jobs.real_eval_set_job()
    assert job_def.executor_def.name == "k8s"
    namespace, job = launch_step_job(
        instance=k8s_instance,
        job_def=job_def,
        recon_job=dg.build_reconstructable_job("tests.k8s.jobs", "real_eval_set_job"),
        run_config=sharded_run_config,
        container_context=CHART_CONTAINER_CONTEXT,
        image=IMAGE,
        api=fresh_kube_api,
        step_key=step_key,
        mapping_keys={RUN_EVAL_SET_OP: {"shards": SHARD_KEYS}},
    )
    assert namespace == "hawk"
    kubernetes_validate.validate(job, "1.33", strict=True)
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["resources"] == {
        "requests": {"cpu": "3", "memory": "6Gi"},
        "limits": {"cpu": "3", "memory": "6Gi"},
    }
    assert {"secretRef": {"name": "hawk-run-secrets"}} in container["envFrom"]
    labels = job["spec"]["template"]["metadata"]["labels"]
    assert labels["hawk/eval-set-id"] == EVAL_SET_ID and labels["dagster/op"].startswith(
        step_key.split("[")[0]
    )
    assert job["spec"]["backoffLimit"] == 0
