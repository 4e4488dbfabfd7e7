"""Launching runs of any kind: the plan (config, id, secrets, run config, tags), then submitting it to a
running Dagster through GraphQL. Running a plan locally is `hawk_dagster.cli.local_run`.

Everything a user can get wrong (config, id, inputs, secrets) is checked here before a run exists.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from hawk_dagster.config.loading import LoadedConfig, load_config_file
from hawk_dagster.k8s.names import secret_name_for
from hawk_dagster.logstore import LogStore
from hawk_dagster.runs.kind import RunKind, default_created_by
from hawk_dagster.runs.tags import CREATED_BY_TAG, EXECUTOR_TAG
from hawk_dagster.secrets import LocalSecretStore, collect_secrets, release_secret_refs

DEFAULT_DAGSTER_URL = "http://127.0.0.1:3000"
LOCATION_NAME = "hawk"


class LaunchError(RuntimeError):
    """One-line, user-facing reason a launch did not happen."""


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


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def ensure_dagster_home() -> Path:
    home = Path(os.environ.get("DAGSTER_HOME") or repo_root() / ".hawk" / "dagster").resolve()
    home.mkdir(parents=True, exist_ok=True)
    instance_yaml = home / "dagster.yaml"
    if not instance_yaml.exists():
        template = repo_root() / "deploy" / "local" / "dagster.yaml"
        instance_yaml.write_text(
            template.read_text() if template.exists() else "telemetry:\n  enabled: false\n"
        )
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def plan_launch(
    kind: RunKind[Any],
    config_path: Path,
    secret_names: Sequence[str] = (),
    secrets_files: Sequence[Path] = (),
    job_id: str | None = None,
    *,
    options: Mapping[str, Any] | None = None,
    log_store: LogStore | None = None,
    edit_config: Callable[[Any], Any] | None = None,
) -> LaunchPlan:
    """Validate the config (then `edit_config` it), its secrets and, when `log_store` is given (locally),
    its inputs; build the run config and tags of a `kind` run. `options` are kind-specific op config."""
    loaded = load_config_file(config_path, kind=kind.names.name)
    config = edit_config(loaded.config) if edit_config is not None else loaded.config
    secrets = collect_secrets(secret_names, secrets_files)
    secrets = {**secrets, **config.runner.environment}
    kind.check_required_secrets(config, secrets)
    if log_store is not None and kind.check_sources is not None:
        kind.check_sources(config, log_store)
    resolved_id = kind.resolve_job_id(config, job_id)
    created_by = default_created_by()
    op_config: dict[str, Any] = {
        kind.names.config_key: config.model_dump(mode="json", exclude_unset=True, by_alias=True),
        kind.names.id_key: resolved_id,
        "created_by": created_by,
        "secret_refs": [secret_name_for(resolved_id)] if secrets else [],
        **(options or {}),
    }
    run_config: dict[str, Any] = {"ops": {kind.names.op_name: {"config": op_config}}}
    tags = {kind.names.id_tag: resolved_id, CREATED_BY_TAG: created_by}
    return LaunchPlan(kind, loaded, config, resolved_id, created_by, secrets, run_config, tags)


def store_secrets(plan: LaunchPlan, store: LocalSecretStore | None = None) -> None:
    """Keep the values where the run reads them by reference; the run config only names the store."""
    if plan.secrets:
        (store or LocalSecretStore()).put(secret_name_for(plan.job_id), plan.secrets)


def release_stored_secrets(plan: LaunchPlan, store: LocalSecretStore | None = None) -> None:
    """Delete what `store_secrets` wrote, when no run will (the submission failed, or the run has ended)."""
    if plan.secrets:
        release_secret_refs([secret_name_for(plan.job_id)], store)


def dagster_url() -> str:
    return os.environ.get("HAWK_DAGSTER_URL", DEFAULT_DAGSTER_URL).rstrip("/")


JOB_TAGS_QUERY = """
query HawkJobTags($selector: PipelineSelector!) {
  pipelineOrError(params: $selector) {
    __typename
    ... on Pipeline { tags { key value } }
  }
}
"""


def graphql_client() -> Any:
    from dagster_graphql import DagsterGraphQLClient

    url = urlparse(dagster_url())
    if url.scheme not in ("http", "https") or not url.hostname:
        raise LaunchError(
            f"HAWK_DAGSTER_URL={dagster_url()!r} is not an http(s) URL (e.g. {DEFAULT_DAGSTER_URL})"
        )
    return DagsterGraphQLClient(
        url.hostname, port_number=url.port, use_https=url.scheme == "https", path_prefix=url.path.rstrip("/")
    )


def _unreachable(exc: BaseException) -> LaunchError:
    return LaunchError(
        f"cannot reach Dagster at {dagster_url()} ({type(exc).__name__}): start it with `make dev` "
        "or set HAWK_DAGSTER_URL"
    )


def remote_executor_kind(client: Any, job_name: str) -> str:
    """The executor the deployment chose for the job (its `hawk/executor` tag), so a laptop's
    environment does not decide how the cluster runs it."""
    selector = {
        "pipelineName": job_name,
        "repositoryName": "__repository__",
        "repositoryLocationName": LOCATION_NAME,
    }
    try:
        data = client._execute(JOB_TAGS_QUERY, {"selector": selector})
    except Exception as exc:
        raise _unreachable(exc) from None
    result = data.get("pipelineOrError") or {}
    if result.get("__typename") != "Pipeline":
        raise LaunchError(
            f"Dagster at {dagster_url()} has no job {job_name!r} in code location {LOCATION_NAME!r} "
            "(is this hawk-dagster's workspace?)"
        )
    tags = {tag["key"]: tag["value"] for tag in result.get("tags") or []}
    return tags.get(EXECUTOR_TAG, "in_process")


def submit(plan: LaunchPlan) -> str:
    """Submits the plan's run to a running Dagster webserver; returns the run id. The deployment's executor
    decides where secrets go (a Kubernetes Secret for `k8s`, else the local secret store) and whether
    the run config sizes the step's pod."""
    from dagster_graphql import DagsterGraphQLClientError

    from hawk_dagster import k8s

    kind = plan.kind
    client = graphql_client()
    executor = remote_executor_kind(client, kind.names.job_name)
    refs = plan.run_config["ops"][kind.names.op_name]["config"]["secret_refs"]
    defaults = k8s.K8sStepDefaults.from_env()
    labels = k8s.job_labels(kind.names.job_type, plan.job_id, plan.created_by) if executor == "k8s" else None  # type: ignore[arg-type]
    if executor == "k8s":
        if plan.secrets:
            k8s.create_or_replace_secret(refs[0], plan.secrets, defaults.namespace, labels=labels)
    else:
        store_secrets(plan)
    runner = plan.config.runner
    execution = k8s.execution_run_config(
        executor,  # type: ignore[arg-type]
        kind.names.op_name,
        runner.cpu,
        runner.memory,
        refs,
        defaults,
        labels=labels,
    )
    submitted = False
    try:
        run_id = str(
            client.submit_job_execution(
                kind.names.job_name,
                repository_location_name=LOCATION_NAME,
                repository_name="__repository__",
                run_config={**plan.run_config, **execution},
                tags=plan.tags,
            )
        )
        submitted = True
        return run_id
    except DagsterGraphQLClientError as exc:
        if "connect" in str(exc).lower() or "max retries" in str(exc).lower():
            raise _unreachable(exc) from None
        raise LaunchError(f"Dagster at {dagster_url()} refused the run: {exc}") from None
    except Exception as exc:  # connection refused, DNS, TLS
        raise _unreachable(exc) from None
    finally:
        if not submitted and executor != "k8s":
            release_stored_secrets(plan)  # no run will read (and then delete) them


def run_url(run_id: str) -> str:
    return f"{dagster_url()}/runs/{run_id}"


def last_id_file(kind: str) -> Path:
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "hawk-dagster"
    return base / f"last-{kind}-id"


def remember_last_id(job_id: str, kind: str) -> None:
    path = last_id_file(kind)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(job_id + "\n")


def last_id(kind: str) -> str | None:
    path = last_id_file(kind)
    return path.read_text().strip() if path.exists() else None
