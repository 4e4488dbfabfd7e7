"""A launch access check over an in-memory model-group registry, with the project's permission rule
(what the API's rules do for an eval set, without a warehouse)."""

from __future__ import annotations

from typing import Any

from hawk_dagster.access.permissions import AccessDenied, check_access
from hawk_dagster.access.registry import ModelGroupRegistry
from hawk_dagster.access.ui_launch import LaunchRefused, RunAccessCheck
from hawk_dagster.auth.identity import Identity
from hawk_dagster.runner.spec import model_names


def registry_check(registry: ModelGroupRegistry) -> RunAccessCheck:
    def check_run(identity: Identity, kind: Any, config: Any) -> dict[str, str]:
        groups = registry.groups_for(model_names(config))
        try:
            check_access(identity, groups)
        except AccessDenied as exc:
            raise LaunchRefused(str(exc)) from None
        return groups

    return check_run
