"""Launching runs of any kind, shared by the CLI and the API: the plan (config, id, secrets, run config,
tags) from an already validated config, then submitting it to a running Dagster through GraphQL.

Everything a user can get wrong (config, id, inputs, secrets) is checked by `plan_from_config` before a
run exists. Reading a config file and collecting secrets is the CLI's part (`hawk_dagster.cli.launch`);
the API builds its plan from the request body.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from hawk_dagster.config.base import qualified_name
from hawk_dagster.config.loading import LoadedConfig
from hawk_dagster.k8s.names import secret_name_for
from hawk_dagster.logstore import LogStore
from hawk_dagster.runner.dependency_check import DependencyCheckError, check_dependencies
from hawk_dagster.runner.model_proxy import ProxyCredentials
from hawk_dagster.runs.kind import RunError, RunKind
from hawk_dagster.runs.settings import RunnerSettings
from hawk_dagster.runs.tags import CREATED_BY_TAG, EXECUTOR_TAG
from hawk_dagster.secrets import LocalSecretStore, release_secret_refs

if TYPE_CHECKING:
    from hawk_dagster.auth.settings import AuthSettings

DEFAULT_DAGSTER_URL = "http://127.0.0.1:3000"
LOCATION_NAME = "hawk"
REPOSITORY_NAME = "__repository__"


class LaunchError(RuntimeError):
    """One-line, user-facing reason a launch did not happen."""


class DagsterUnreachable(LaunchError):
    """The Dagster webserver did not answer (connection refused, DNS, TLS, timeout)."""


@dataclass
class LaunchPlan:
    kind: RunKind[Any]
    loaded: LoadedConfig
    config: Any
    job_id: str
    created_by: str
    secrets: dict[str, str]
    run_config: dict[str, Any]
    tags: dict[str, str]

    @property
    def op_config(self) -> dict[str, Any]:
        config: dict[str, Any] = self.run_config["ops"][self.kind.names.op_name]["config"]
        return config

    @property
    def config_data(self) -> dict[str, Any]:
        """The user's config as the op receives it (what a launch grant's digest covers)."""
        data: dict[str, Any] = self.op_config[self.kind.names.config_key]
        return data

    @property
    def secret_refs(self) -> list[str]:
        refs: list[str] = self.op_config["secret_refs"]
        return refs


def plan_from_config(
    kind: RunKind[Any],
    loaded: LoadedConfig,
    secrets: Mapping[str, str],
    *,
    created_by: str,
    job_id: str | None = None,
    options: Mapping[str, Any] | None = None,
    log_store: LogStore | None = None,
    edit_config: Callable[[Any], Any] | None = None,
    validate_dependencies: bool = True,
    proxy: ProxyCredentials | None = None,
) -> LaunchPlan:
    """Check a validated config (after `edit_config`), its secrets, when `log_store` is given its inputs,
    and unless `validate_dependencies` is off that its packages resolve with the pinned runtime; build
    the run config and tags of a `kind` run. `options` are kind-specific op config. With `proxy` (the
    model gateway and the user's token), the providers of the config's models are routed through the
    gateway, unless the user's secrets hold their own key (see `runner.model_proxy`)."""
    config = edit_config(loaded.config) if edit_config is not None else loaded.config
    values = {**secrets, **config.runner.environment}
    if proxy is not None:
        values = {**proxy.secrets(model_names(config), values), **values}
    kind.check_required_secrets(config, values)
    if log_store is not None and kind.check_sources is not None:
        kind.check_sources(config, log_store)
    if validate_dependencies:
        check_packages(kind, config)
    resolved_id = kind.resolve_job_id(config, job_id)
    op_config: dict[str, Any] = {
        kind.names.config_key: config.model_dump(mode="json", exclude_unset=True, by_alias=True),
        kind.names.id_key: resolved_id,
        "created_by": created_by,
        "secret_refs": [secret_name_for(resolved_id)] if values else [],
        **(options or {}),
    }
    run_config: dict[str, Any] = {"ops": {kind.names.op_name: {"config": op_config}}}
    tags = {kind.names.id_tag: resolved_id, CREATED_BY_TAG: created_by}
    return LaunchPlan(kind, loaded, config, resolved_id, created_by, values, run_config, tags)


def gateway_credentials(
    gateway_url: str,
    access_token: str,
    refresh_token: str | None,
    auth: AuthSettings,
    expires_at: float | None = None,
) -> ProxyCredentials:
    """The model proxy's credentials for a run: the token (its expiry, else its JWT `exp`) and, with a
    refresh token, the issuer's token endpoint the runner refreshes it at (none if it cannot be found:
    the run keeps the token it has)."""
    from hawk_dagster.auth.cli_tokens import unverified_expiry
    from hawk_dagster.auth.discovery import IssuerUnavailable, token_url
    from hawk_dagster.auth.settings import AuthConfigError

    refresh_url = None
    if refresh_token:
        try:
            refresh_url = token_url(auth)
        except (AuthConfigError, IssuerUnavailable):
            refresh_token = None
    return ProxyCredentials(
        gateway_url=gateway_url,
        access_token=access_token,
        expires_at=expires_at if expires_at is not None else unverified_expiry(access_token),
        refresh_token=refresh_token,
        refresh_url=refresh_url,
        client_id=auth.client_id,
    )


def model_names(config: Any) -> list[str]:
    """Every model a config's run may call, qualified (`openai/gpt-4o`)."""
    return sorted({qualified_name(p, item) for p in config.get_model_configs() for item in p.items})


def check_packages(kind: RunKind[Any], config: Any, settings: RunnerSettings | None = None) -> None:
    """The run's venv requirements resolve (see `runner.dependency_check`), or RunError with uv's why."""
    settings = settings or RunnerSettings()
    requirements = kind.requirements(config, settings.package_base_path())
    try:
        check_dependencies(requirements, venv_cache_dir=settings.venv_cache_path())
    except DependencyCheckError as exc:
        raise RunError(str(exc)) from None


def store_secrets(plan: LaunchPlan, store: LocalSecretStore | None = None) -> None:
    """Keep the values where the run reads them by reference; the run config only names the store."""
    if plan.secrets:
        (store or LocalSecretStore()).put(secret_name_for(plan.job_id), plan.secrets)


def release_stored_secrets(plan: LaunchPlan, store: LocalSecretStore | None = None) -> None:
    """Delete what `store_secrets` wrote, when no run will (the submission failed, or the run has ended)."""
    if plan.secrets:
        release_secret_refs([secret_name_for(plan.job_id)], store)


def dagster_url() -> str:
    """The webserver runs are submitted to: HAWK_DAGSTER_URL, default the one `make dev` starts."""
    return os.environ.get("HAWK_DAGSTER_URL", DEFAULT_DAGSTER_URL).rstrip("/")


def run_url(run_id: str, url: str | None = None) -> str:
    return f"{(url or dagster_url()).rstrip('/')}/runs/{run_id}"


JOB_TAGS_QUERY = """
query HawkJobTags($selector: PipelineSelector!) {
  pipelineOrError(params: $selector) {
    __typename
    ... on Pipeline { tags { key value } }
  }
}
"""


def graphql_client(url: str | None = None) -> Any:
    from dagster_graphql import DagsterGraphQLClient

    url = (url or dagster_url()).rstrip("/")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise LaunchError(f"HAWK_DAGSTER_URL={url!r} is not an http(s) URL (e.g. {DEFAULT_DAGSTER_URL})")
    return DagsterGraphQLClient(
        parsed.hostname,
        port_number=parsed.port,
        use_https=parsed.scheme == "https",
        path_prefix=parsed.path.rstrip("/"),
    )


def unreachable(url: str, exc: BaseException) -> DagsterUnreachable:
    return DagsterUnreachable(
        f"cannot reach Dagster at {url} ({type(exc).__name__}): start it with `make dev` "
        "or set HAWK_DAGSTER_URL"
    )


def remote_executor_kind(client: Any, job_name: str, url: str | None = None) -> str:
    """The executor the deployment chose for the job (its `hawk/executor` tag), so the launcher's
    environment does not decide how the cluster runs it."""
    url = url or dagster_url()
    selector = {
        "pipelineName": job_name,
        "repositoryName": REPOSITORY_NAME,
        "repositoryLocationName": LOCATION_NAME,
    }
    try:
        data = client._execute(JOB_TAGS_QUERY, {"selector": selector})
    except Exception as exc:
        raise unreachable(url, exc) from None
    result = data.get("pipelineOrError") or {}
    if result.get("__typename") != "Pipeline":
        raise LaunchError(
            f"Dagster at {url} has no job {job_name!r} in code location {LOCATION_NAME!r} "
            "(is this hawk-dagster's workspace?)"
        )
    tags = {tag["key"]: tag["value"] for tag in result.get("tags") or []}
    return tags.get(EXECUTOR_TAG, "in_process")


def local_execution(kind: RunKind[Any], executor: str, shards: int | str) -> dict[str, Any]:
    """A local run of a kind that shards: its job's `multi_or_in_process_executor` runs the shard steps in
    parallel processes (`multiprocess`) when the run may split or the deployment says multiprocess, else
    in the run's process as before (`in_process`). `{}` for other kinds and in a cluster."""
    if kind.shard_plan is None or executor == "k8s":
        return {}
    choice = "multiprocess" if shards != 1 or executor == "multiprocess" else "in_process"
    return {"execution": {"config": {choice: {}}}}


@dataclass(frozen=True)
class DagsterTarget:
    """A reachable webserver serving the job, and the executor its deployment chose for it."""

    url: str
    client: Any
    executor: str


def connect(job_name: str, url: str | None = None) -> DagsterTarget:
    """The webserver at `url` (default HAWK_DAGSTER_URL), once it has answered for `job_name`."""
    url = (url or dagster_url()).rstrip("/")
    client = graphql_client(url)
    return DagsterTarget(url, client, remote_executor_kind(client, job_name, url))


def submit(
    plan: LaunchPlan,
    url: str | None = None,
    store: LocalSecretStore | None = None,
    target: DagsterTarget | None = None,
) -> str:
    """Submits the plan's run to a running Dagster webserver (`target`, else `url`, default
    HAWK_DAGSTER_URL); returns the run id. The deployment's executor decides where secrets go (a
    Kubernetes Secret for `k8s`, else the local secret store `store`) and whether the run config sizes
    the step's pod. Nothing stays stored when the submission fails."""
    from dagster_graphql import DagsterGraphQLClientError

    from hawk_dagster import k8s

    kind = plan.kind
    target = target or connect(kind.names.job_name, url)
    url, client, executor = target.url, target.client, target.executor
    refs = plan.secret_refs
    defaults = k8s.K8sStepDefaults.from_env()
    # Labelled by the config kind: a scan resume's pods are found by the scan run's id, as the scan's.
    labels = k8s.job_labels(kind.names.name, plan.job_id, plan.created_by) if executor == "k8s" else None  # type: ignore[arg-type]
    runner = plan.config.runner
    execution = (
        k8s.execution_run_config(  # before storing secrets: it may refuse (e.g. the image tag)
            executor,  # type: ignore[arg-type]
            kind.names.op_name,
            runner.cpu,
            runner.memory,
            refs,
            defaults,
            labels=labels,
            image_tag=runner.image_tag,
            more_ops=kind.step_op_names[1:],
        )
        or local_execution(kind, executor, runner.shards)
    )
    if executor == "k8s":
        if kind.names.name == "eval-set":  # its sandboxes' namespace and network policy, before anything else
            from hawk_dagster.k8s.sandbox_namespace import ensure_sandbox_namespace

            ensure_sandbox_namespace(plan.job_id, plan.created_by, defaults.namespace)
        if plan.secrets:
            k8s.create_or_replace_secret(refs[0], plan.secrets, defaults.namespace, labels=labels)
    else:
        store_secrets(plan, store)
    submitted = False
    try:
        run_id = str(
            client.submit_job_execution(
                kind.names.job_name,
                repository_location_name=LOCATION_NAME,
                repository_name=REPOSITORY_NAME,
                run_config={**plan.run_config, **execution},
                tags=plan.tags,
            )
        )
        submitted = True
        return run_id
    except DagsterGraphQLClientError as exc:
        if "connect" in str(exc).lower() or "max retries" in str(exc).lower():
            raise unreachable(url, exc) from None
        raise LaunchError(f"Dagster at {url} refused the run: {exc}") from None
    except Exception as exc:  # connection refused, DNS, TLS
        raise unreachable(url, exc) from None
    finally:
        if not submitted:  # no run will read (and then delete) them
            if executor != "k8s":
                release_stored_secrets(plan, store)
            elif plan.secrets:
                k8s.delete_secret(refs[0], defaults.namespace)
