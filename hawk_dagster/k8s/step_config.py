"""Per-run sizing and secrets of the step pod, expressed as `k8s_job_executor` run config.

Run tags (`dagster-k8s/config`) do not reach step pods under `k8s_job_executor`, so a run's
`runner.cpu` / `runner.memory` and its Secret names travel in
`execution.config.per_step_k8s_config.<op name>`, which dagster-k8s merges last (it wins over the
run launcher, the code location's container context and the op's tags). Only Secret *names* appear.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from hawk_dagster.config.base import IMAGE_TAG_PATTERN, K8S_QUANTITY_PATTERN
from hawk_dagster.k8s.errors import K8sConfigError
from hawk_dagster.k8s.executor import ExecutorKind
from hawk_dagster.k8s.names import check_labels, check_namespace, check_secret_name

K8S_CONFIG_TAG = "dagster-k8s/config"
_QUANTITY = re.compile(K8S_QUANTITY_PATTERN)
_IMAGE_TAG = re.compile(IMAGE_TAG_PATTERN)
# <registry host[:port]/>path, lowercase (the OCI distribution spec's repository name), no tag or digest.
_IMAGE_REPOSITORY = re.compile(
    r"^(?:[A-Za-z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"
)
STEP_JOB_BACKOFF_LIMIT = 0
"""Kubernetes does not restart a failed step pod itself: Dagster retries the step (`runner.retries`), so a
retry is visible in the event log and resumes the same log directory."""

PullPolicy = Literal["Always", "IfNotPresent", "Never"]

ENV_VARS: dict[str, str] = {
    "cpu": "HAWK_K8S_DEFAULT_CPU",
    "memory": "HAWK_K8S_DEFAULT_MEMORY",
    "limit_cpu": "HAWK_K8S_LIMIT_CPU",
    "namespace": "HAWK_K8S_NAMESPACE",
    "image_pull_policy": "HAWK_K8S_IMAGE_PULL_POLICY",
    "runner_image_repository": "HAWK_K8S_RUNNER_IMAGE_REPOSITORY",
}


def _check_quantity(value: str, what: str, example: str) -> str:
    if not _QUANTITY.match(value):
        raise K8sConfigError(f"{what} {value!r} is not a Kubernetes quantity: use e.g. {example}")
    return value


class K8sStepDefaults(BaseModel):
    """Step pod settings used when a run does not say (Hawk's runner defaults: 2 CPUs, 16Gi).

    Requests equal limits (Guaranteed QoS, as Hawk's limits-only spec gives); `limit_cpu=False`
    keeps the CPU request but drops the CPU limit (no throttling, Burstable QoS).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    cpu: str = "2"
    memory: str = "16Gi"
    limit_cpu: bool = True
    namespace: str = "hawk"
    image_pull_policy: PullPolicy | None = None
    runner_image_repository: str | None = None
    """The repository `runner.image_tag` picks a tag of (the deployment's image, without its tag)."""

    @field_validator("cpu")
    @classmethod
    def _cpu_is_quantity(cls, value: str) -> str:
        return _check_quantity(value, "cpu", "2, 500m or 1.5")

    @field_validator("memory")
    @classmethod
    def _memory_is_quantity(cls, value: str) -> str:
        return _check_quantity(value, "memory", "16Gi or 512Mi")

    @field_validator("namespace")
    @classmethod
    def _namespace_is_dns_label(cls, value: str) -> str:
        return check_namespace(value)

    @field_validator("runner_image_repository")
    @classmethod
    def _repository_is_valid(cls, value: str | None) -> str | None:
        if value is not None and not _IMAGE_REPOSITORY.match(value):
            raise K8sConfigError(
                f"image repository {value!r} is invalid: use [registry/]path in lowercase, without a tag, "
                "e.g. registry.example.com/hawk-dagster"
            )
        return value

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> K8sStepDefaults:
        """Defaults overridden by HAWK_K8S_DEFAULT_CPU / _DEFAULT_MEMORY / _LIMIT_CPU / _NAMESPACE /
        _IMAGE_PULL_POLICY / _RUNNER_IMAGE_REPOSITORY (empty = unset); a bad value is a one-line error
        naming the variable."""
        environ = os.environ if environ is None else environ
        given = {
            field: environ[var].strip() for field, var in ENV_VARS.items() if environ.get(var, "").strip()
        }
        try:
            return cls.model_validate(given)
        except ValidationError as exc:
            error = exc.errors()[0]
            field = str(error["loc"][0]) if error["loc"] else ""
            var = ENV_VARS.get(field, field)
            message = str(error["msg"]).removeprefix("Value error, ")
            raise K8sConfigError(f"{var}={given.get(field)!r}: {message}") from None


def step_resources(
    cpu: str | None, memory: str | None, defaults: K8sStepDefaults
) -> dict[str, dict[str, str]]:
    """Container `resources` for a step: `runner.cpu` / `runner.memory`, else the defaults."""
    cpu = _check_quantity(cpu, "runner.cpu", "2, 500m or 1.5") if cpu else defaults.cpu
    memory = _check_quantity(memory, "runner.memory", "16Gi or 512Mi") if memory else defaults.memory
    limits = {"cpu": cpu, "memory": memory} if defaults.limit_cpu else {"memory": memory}
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": limits}


def runner_image(image_tag: str | None, defaults: K8sStepDefaults) -> str | None:
    """`<runner image repository>:<image_tag>`, None without a tag (the deployment's own image).

    Refused here, before launch: an empty or malformed tag, or a tag with no repository configured.
    Whether the tag exists in the registry is not checked (that needs registry credentials); a missing
    tag shows as an image pull error in `hawk status` and the run's failure."""
    if image_tag is None:
        return None
    if not _IMAGE_TAG.match(image_tag):
        raise K8sConfigError(
            f"runner.image_tag {image_tag!r} is not an image tag: use at most 128 letters, digits, '_', '.' "
            "and '-', not starting with '.' or '-' (e.g. 0.4.1)"
        )
    if not defaults.runner_image_repository:
        raise K8sConfigError(
            f"runner.image_tag {image_tag!r} cannot be used: this deployment sets no runner image repository "
            f"({ENV_VARS['runner_image_repository']}); remove the tag or ask the Hawk administrators"
        )
    return f"{defaults.runner_image_repository}:{image_tag}"


def step_k8s_config(
    cpu: str | None,
    memory: str | None,
    secret_refs: Sequence[str],
    defaults: K8sStepDefaults,
    labels: Mapping[str, str] | None = None,
    image_tag: str | None = None,
) -> dict[str, Any]:
    """One entry of `per_step_k8s_config` (dagster-k8s `USER_DEFINED_K8S_JOB_CONFIG_SCHEMA`, snake_case)."""
    container: dict[str, Any] = {"resources": step_resources(cpu, memory, defaults)}
    image = runner_image(image_tag, defaults)
    if image is not None:
        container["image"] = image
    refs = list(dict.fromkeys(check_secret_name(ref) for ref in secret_refs))
    if refs:
        container["env_from"] = [{"secret_ref": {"name": ref}} for ref in refs]
    if defaults.image_pull_policy:
        container["image_pull_policy"] = defaults.image_pull_policy
    config: dict[str, Any] = {
        "container_config": container,
        "job_spec_config": {"backoff_limit": STEP_JOB_BACKOFF_LIMIT},
    }
    if labels:
        checked = check_labels(labels)
        config["pod_template_spec_metadata"] = {"labels": checked}
        config["job_metadata"] = {"labels": dict(checked)}
    return config


def execution_run_config(
    kind: ExecutorKind,
    op_name: str,
    cpu: str | None,
    memory: str | None,
    secret_refs: Sequence[str],
    defaults: K8sStepDefaults | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    image_tag: str | None = None,
    more_ops: Sequence[str] = (),
) -> dict[str, Any]:
    """The run config's `execution` section for `kind`; `{}` locally (the executor's own defaults).
    `more_ops` get the same step pod as `op_name` (a sharded eval set's shard and finish steps: every
    shard step is one pod of the run's size).

    For `k8s`: `{"execution": {"config": {"job_namespace": ..., "retries": {"enabled": {}},
    "per_step_k8s_config": {op_name: ...}}}}`: step retries on (the op's RetryPolicy and `runner.retries`
    decide how many), the step Job's own `backoffLimit` 0, the image `runner.image_tag` selects.
    `defaults=None` reads them from the environment (`K8sStepDefaults.from_env()`).
    """
    if kind != "k8s":
        return {}
    defaults = K8sStepDefaults.from_env() if defaults is None else defaults
    step = step_k8s_config(cpu, memory, secret_refs, defaults, labels, image_tag)
    return {
        "execution": {
            "config": {
                "job_namespace": defaults.namespace,
                "retries": {"enabled": {}},
                "per_step_k8s_config": {name: step for name in (op_name, *more_ops)},
            }
        }
    }


def default_step_op_tags(defaults: K8sStepDefaults | None = None) -> dict[str, Any]:
    """Op tags giving the step pod the default size when a run sets none (e.g. a Launchpad launch).

    dagster-k8s applies op tags to step pods and merges `per_step_k8s_config` over them, so a run's
    `runner.cpu` / `runner.memory` still win. Ignored by the local executors.
    """
    defaults = K8sStepDefaults.from_env() if defaults is None else defaults
    return {K8S_CONFIG_TAG: {"container_config": {"resources": step_resources(None, None, defaults)}}}
