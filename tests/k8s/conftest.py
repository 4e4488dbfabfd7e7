"""Fixtures of the Kubernetes tests: a fake API server, a kubeconfig for it, a K8sRunLauncher instance."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml

from tests.k8s.fake_kube_api import FakeKubeApi, start_fake_kube_api

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY_DIR = REPO_ROOT / "deploy"
IMAGE = "registry.example.com/hawk-dagster:test"

# What the Dagster chart passes to `dagster api grpc` as the container context of the user deployment
# in deploy/helm/values.yaml (includeConfigInLaunchedRuns), per the chart's k8sContainerContext helper.
CHART_CONTAINER_CONTEXT: dict[str, Any] = {
    "k8s": {
        "image_pull_policy": "IfNotPresent",
        "env_config_maps": ["dagster-hawk-user-env"],
        "env_secrets": ["hawk-warehouse", "hawk-launch-grant"],
        "resources": {"requests": {"cpu": "250m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
        "namespace": "hawk",
        "service_account_name": "hawk-dagster",
        "env": [
            {"name": "HAWK_EXECUTOR", "value": "k8s"},
            {"name": "HAWK_LOG_ROOT", "value": "s3://hawk-logs-example/prod"},
        ],
        "run_k8s_config": {"pod_spec_config": {"automount_service_account_token": True}},
    }
}


@pytest.fixture(scope="session")
def kube_api() -> Iterator[FakeKubeApi]:
    api = start_fake_kube_api()
    yield api
    api.server.shutdown()
    api.server.server_close()


@pytest.fixture
def fresh_kube_api(kube_api: FakeKubeApi) -> FakeKubeApi:
    kube_api.requests.clear()
    kube_api.objects.clear()
    kube_api.forbidden.clear()
    kube_api.missing_namespaces.clear()
    return kube_api


@pytest.fixture
def kubeconfig_file(fresh_kube_api: FakeKubeApi, tmp_path: Path) -> Path:
    return fresh_kube_api.write_kubeconfig(tmp_path / "kubeconfig")


@pytest.fixture
def k8s_instance(kubeconfig_file: Path) -> Iterator[dg.DagsterInstance]:
    """An instance whose run launcher is deploy/dagster.k8s.yaml's, pointed at the fake API server."""
    launcher = yaml.safe_load((DEPLOY_DIR / "dagster.k8s.yaml").read_text())["run_launcher"]
    launcher["config"] = {
        **launcher["config"],
        "load_incluster_config": False,
        "kubeconfig_file": str(kubeconfig_file),
    }
    with dg.instance_for_test(overrides={"run_launcher": launcher}) as instance:
        yield instance
