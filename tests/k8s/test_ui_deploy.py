"""deploy/: the API, the Dagster UI login and the launch-grant key, checked against each other and the code.
(Every manifest also passes strict schema validation in test_deploy_files.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

from hawk_dagster.access.grant import GRANT_KEY_ENV
from hawk_dagster.access.launch_check import ENV_VAR, PRODUCTION
from hawk_dagster.api.dagster_proxy import ADMIN_GROUP_ENV
from hawk_dagster.auth.settings import ENV_PREFIX, ISSUER_ENV
from tests.k8s.conftest import CHART_CONTAINER_CONTEXT, DEPLOY_DIR

K8S_DIR = DEPLOY_DIR / "k8s"


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def manifest(kind: str, name: str) -> dict[str, Any]:
    for path in sorted(K8S_DIR.glob("*.yaml")):
        for doc in documents(path):
            if doc["kind"] == kind and doc["metadata"]["name"] == name:
                return doc
    raise AssertionError(f"no {kind} {name} in deploy/k8s")


def all_manifests() -> list[dict[str, Any]]:
    return [doc for path in sorted(K8S_DIR.glob("*.yaml")) for doc in documents(path)]


def container(deployment: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == name)


def env_of(c: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in c.get("env", [])}


def secret_refs(c: dict[str, Any]) -> list[str]:
    return [source["secretRef"]["name"] for source in c.get("envFrom", [])]


def secret_keys(name: str) -> set[str]:
    examples = {doc["metadata"]["name"]: doc for doc in documents(K8S_DIR / "secrets.example.yaml")}
    return set(examples[name]["stringData"])


def values() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY_DIR / "helm" / "values.yaml").read_text())
    return loaded


def flags(c: dict[str, Any]) -> dict[str, str]:
    return dict(arg.removeprefix("--").split("=", 1) for arg in c["args"])


def test_the_grant_key_reaches_the_api_and_every_run_and_step_pod() -> None:
    api = container(manifest("Deployment", "hawk-api"), "api")
    grant_secrets = [name for name in secret_refs(api) if GRANT_KEY_ENV in secret_keys(name)]
    assert grant_secrets == ["hawk-launch-grant"]
    (user_deployment,) = values()["dagster-user-deployments"]["deployments"]
    env_secrets = [ref["name"] for ref in user_deployment["envSecrets"]]
    assert "hawk-launch-grant" in env_secrets and user_deployment["includeConfigInLaunchedRuns"]["enabled"]
    assert CHART_CONTAINER_CONTEXT["k8s"]["env_secrets"] == env_secrets  # the step-pod tests use this copy
    user_env = {item["name"]: item["value"] for item in user_deployment["env"]}
    assert user_env[ENV_VAR] == PRODUCTION  # a pod without the key refuses every run
    assert env_of(api)[ENV_VAR] == PRODUCTION


def test_the_api_reads_its_oidc_settings_and_warehouse_from_secrets() -> None:
    api = container(manifest("Deployment", "hawk-api"), "api")
    keys = set().union(*(secret_keys(name) for name in secret_refs(api)))
    assert {ISSUER_ENV, f"{ENV_PREFIX}AUDIENCE", "HAWK_DATABASE_URL", GRANT_KEY_ENV} <= keys
    assert not keys & set(env_of(api)), "a setting is both in env and in a Secret"


def test_the_ui_path_runs_login_then_the_api_proxy_then_the_internal_webserver() -> None:
    ui = container(manifest("Deployment", "hawk-dagster-ui"), "oauth2-proxy")
    options = flags(ui)
    assert options["provider"] == "oidc" and options["pass-access-token"] == "true"
    assert options["cookie-secure"] == "true"
    upstream = urlparse(options["upstream"])
    api_service = manifest("Service", "hawk-api")
    assert upstream.hostname == f"{api_service['metadata']['name']}.hawk.svc.cluster.local"
    assert (upstream.port or 80) == api_service["spec"]["ports"][0]["port"]
    api = env_of(container(manifest("Deployment", "hawk-api"), "api"))
    webserver = urlparse(api["HAWK_DAGSTER_URL"])
    prefix = values()["dagsterWebserver"]["pathPrefix"]
    # the proxy is mounted at the webserver's prefix, and the login forwards that path to it
    assert upstream.path.rstrip("/") == webserver.path == prefix == "/dagster"
    assert webserver.hostname == "dagster-dagster-webserver.hawk.svc.cluster.local"
    assert options["allowed-group"] == api[ADMIN_GROUP_ENV]
    ui_secret = secret_refs(ui)
    assert {
        "OAUTH2_PROXY_CLIENT_SECRET",
        "OAUTH2_PROXY_COOKIE_SECRET",
        "OAUTH2_PROXY_OIDC_ISSUER_URL",
    } <= set(secret_keys(ui_secret[0]))


def test_the_webserver_is_internal_only() -> None:
    assert values()["dagsterWebserver"]["service"]["type"] == "ClusterIP"
    backends = {
        path["backend"]["service"]["name"]
        for doc in all_manifests()
        if doc["kind"] == "Ingress"
        for rule in doc["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {"hawk-api", "hawk-dagster-ui"}
    policy = manifest("NetworkPolicy", "dagster-webserver-internal")
    assert policy["spec"]["podSelector"]["matchLabels"] == {"component": "dagster-webserver"}
    (rule,) = policy["spec"]["ingress"]
    (source,) = rule["from"]
    api_labels = manifest("Deployment", "hawk-api")["spec"]["template"]["metadata"]["labels"]
    assert source["podSelector"]["matchLabels"].items() <= api_labels.items()
    assert [port["port"] for port in rule["ports"]] == [values()["dagsterWebserver"]["service"]["port"]]


def test_services_select_their_deployments_pods() -> None:
    for name in ("hawk-api", "hawk-dagster-ui"):
        service, deployment = manifest("Service", name), manifest("Deployment", name)
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= pod_labels.items()
        assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        ports = {p["name"] for c in deployment["spec"]["template"]["spec"]["containers"] for p in c["ports"]}
        assert service["spec"]["ports"][0]["targetPort"] in ports


def test_the_api_runs_as_the_service_account_allowed_to_write_run_secrets() -> None:
    spec = manifest("Deployment", "hawk-api")["spec"]["template"]["spec"]
    binding = manifest("RoleBinding", "hawk-secret-writer")
    accounts = {s["name"] for s in binding["subjects"] if s["kind"] == "ServiceAccount"}
    assert spec["serviceAccountName"] in accounts
