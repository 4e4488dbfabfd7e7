"""`hawk status`'s view of a job's pods: phase, waiting/terminated reasons, Pending reasons, last events."""

from __future__ import annotations

from datetime import UTC, datetime

from kubernetes.client import (
    CoreV1Event,
    V1ContainerState,
    V1ContainerStateTerminated,
    V1ContainerStateWaiting,
    V1ContainerStatus,
    V1ObjectMeta,
    V1ObjectReference,
    V1Pod,
    V1PodCondition,
    V1PodStatus,
)

from hawk_dagster.k8s.pod_status import LAST_EVENTS, label_selector, pod_summary


def event(second: int, reason: str, message: str) -> CoreV1Event:
    return CoreV1Event(
        involved_object=V1ObjectReference(name="p"),
        metadata=V1ObjectMeta(name=f"e{second}"),
        reason=reason,
        message=message,
        last_timestamp=datetime(2026, 1, 1, 0, 0, second, tzinfo=UTC),
    )


def test_a_pod_shows_its_reasons_and_last_events_in_order() -> None:
    pod = V1Pod(
        metadata=V1ObjectMeta(name="dagster-step-abc"),
        status=V1PodStatus(
            phase="Running",
            container_statuses=[
                V1ContainerStatus(
                    name="step",
                    image="i",
                    image_id="",
                    ready=False,
                    restart_count=1,
                    state=V1ContainerState(
                        terminated=V1ContainerStateTerminated(exit_code=137, reason="OOMKilled")
                    ),
                ),
                V1ContainerStatus(
                    name="sidecar",
                    image="i",
                    image_id="",
                    ready=False,
                    restart_count=0,
                    state=V1ContainerState(waiting=V1ContainerStateWaiting(reason="ImagePullBackOff")),
                ),
            ],
            conditions=[
                V1PodCondition(
                    type="PodScheduled", status="False", reason="Unschedulable", message="0/3 nodes"
                ),
                V1PodCondition(type="Ready", status="True"),
            ],
        ),
    )
    events = [event(second, f"R{second}", f"m{second}") for second in (9, 1, 5, 3, 7, 2, 8)]
    summary = pod_summary(pod, events)
    assert summary["name"] == "dagster-step-abc" and summary["phase"] == "Running"
    assert summary["reasons"] == [
        "step: OOMKilled",
        "sidecar: ImagePullBackOff",
        "PodScheduled: Unschedulable 0/3 nodes",
    ]
    assert (
        summary["events"] == [f"R{s}: m{s}" for s in (3, 5, 7, 8, 9)]
        and len(summary["events"]) == LAST_EVENTS
    )


def test_the_label_selector_finds_the_jobs_pods() -> None:
    selector = label_selector("eval-set", "my-set")
    assert "hawk/job-type=eval-set" in selector.split(",") and "my-set" in selector
