"""A job's pods in the cluster (phase, waiting/terminated reasons, last events) for `hawk status`, and
removing its Kubernetes Jobs, pods and run Secret for `hawk delete`. Found by the job's labels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hawk_dagster.k8s.names import job_labels, secret_name_for

LAST_EVENTS = 5


def label_selector(kind: str, job_id: str) -> str:
    labels = job_labels(kind, job_id)  # type: ignore[arg-type]
    return ",".join(f"{key}={value}" for key, value in sorted(labels.items()))


def pod_summary(pod: Any, events: Sequence[Any]) -> dict[str, Any]:
    """One pod as `hawk status` shows it: name, phase, the reasons its containers wait or ended
    (OOMKilled, ImagePullBackOff, ...), the Pending reason, and its last events (`<reason>: <message>`)."""
    status = pod.status
    reasons: list[str] = []
    for container in status.container_statuses or []:
        state = container.state
        for part in (state.waiting, state.terminated):
            if part is not None and part.reason:
                reasons.append(f"{container.name}: {part.reason}")
    for condition in status.conditions or []:
        if condition.status != "True" and condition.reason:
            reasons.append(f"{condition.type}: {condition.reason} {condition.message or ''}".strip())
    ordered = sorted(events, key=lambda event: str(event.last_timestamp or event.event_time or ""))
    return {
        "name": pod.metadata.name,
        "phase": status.phase,
        "reasons": reasons,
        "events": [f"{event.reason}: {event.message}" for event in ordered[-LAST_EVENTS:]],
    }


def job_pods(kind: str, job_id: str) -> list[dict[str, Any]]:
    from hawk_dagster.k8s.run_secrets import core_v1_api
    from hawk_dagster.k8s.step_config import K8sStepDefaults

    namespace = K8sStepDefaults.from_env().namespace
    api = core_v1_api()
    pods = api.list_namespaced_pod(namespace, label_selector=label_selector(kind, job_id)).items
    summaries = []
    for pod in pods:
        selector = f"involvedObject.name={pod.metadata.name}"
        events = api.list_namespaced_event(namespace, field_selector=selector).items
        summaries.append(pod_summary(pod, events))
    return summaries


def delete_job_objects(kind: str, job_id: str) -> list[str]:
    """Delete the job's Kubernetes Jobs (their pods with them) and its run Secret; what was removed."""
    from kubernetes import client

    from hawk_dagster.k8s.run_secrets import core_v1_api, delete_secret
    from hawk_dagster.k8s.step_config import K8sStepDefaults

    namespace = K8sStepDefaults.from_env().namespace
    core = core_v1_api()
    batch = client.BatchV1Api(core.api_client)
    selector = label_selector(kind, job_id)
    removed: list[str] = []
    for job in batch.list_namespaced_job(namespace, label_selector=selector).items:
        batch.delete_namespaced_job(job.metadata.name, namespace, propagation_policy="Background")
        removed.append(f"Kubernetes Job {job.metadata.name}")
    for pod in core.list_namespaced_pod(namespace, label_selector=selector).items:
        core.delete_namespaced_pod(pod.metadata.name, namespace)
        removed.append(f"pod {pod.metadata.name}")
    secret = secret_name_for(job_id)
    if delete_secret(secret, namespace, core):
        removed.append(f"Secret {secret}")
    return removed
