"""The access rules a launch or a read goes through, with the model-group registry the API reads from the
warehouse: the groups of every model a run may call (for scans also the models of the scanned eval sets),
the caller's groups against them, the cross-lab scan guard, and the folder read rule.

Local mode (auth disabled) has one user holding every group: models the registry does not know are
allowed there (their folder records their names without groups), and the cross-lab guard does not apply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hawk_dagster.access.cross_lab import CrossLabScanRefused, check_cross_lab
from hawk_dagster.access.folders import FolderNotFound, check_folder_read
from hawk_dagster.access.models_file import ModelsFileError, read_models_file, write_models_file
from hawk_dagster.access.permissions import AccessDenied, check_access
from hawk_dagster.access.registry import ModelGroupRegistry, UnknownModels, load_registry
from hawk_dagster.api.problems import Problem
from hawk_dagster.auth.identity import Identity
from hawk_dagster.config.evals import EvalSetConfig
from hawk_dagster.config.scans import ScanConfig
from hawk_dagster.logstore import EVALS_PREFIX, LogStore
from hawk_dagster.runner.spec import model_names
from hawk_dagster.runs.kind import RunKind
from hawk_dagster.scans.spec import scan_model_names

logger = logging.getLogger("hawk.api")


def forbidden(exc: Exception) -> Problem:
    return Problem(403, "Ask an administrator for access to these model groups", str(exc))


def not_found(exc: Exception) -> Problem:
    return Problem(404, "Check the id", str(exc))


def config_models(config: Any) -> list[str]:
    """Every model a config's run may call, qualified (models and model roles)."""
    if isinstance(config, ScanConfig):
        return scan_model_names(config)
    if isinstance(config, EvalSetConfig):
        return model_names(config)
    raise TypeError(f"no model list for {type(config).__name__}")


@dataclass(frozen=True)
class RunAccess:
    models: list[str]
    """Every model the run touches (for scans, the scanned eval sets' models too)."""
    groups: dict[str, str]
    """model -> group, for the models the registry knows."""


class AccessChecks:
    """The rules, with the registry loaded on demand from `database_url` (None: an empty registry)."""

    def __init__(self, database_url: str | None) -> None:
        self.database_url = database_url

    def registry(self, local: bool = False) -> ModelGroupRegistry:
        """The registry; 503 when the warehouse cannot give it (local mode: an empty one, with a warning,
        since its one user holds every group anyway)."""
        if self.database_url is None:
            return ModelGroupRegistry()
        try:
            return load_registry(self.database_url)
        except Exception as exc:  # the warehouse is down or unmigrated: not the caller's fault
            if local:
                logger.warning(
                    "local mode: no model-group registry (%s); models recorded without groups", exc
                )
                return ModelGroupRegistry()
            raise Problem(
                503,
                "Try again later: the model-group registry is unavailable",
                f"cannot read the model-group registry from the warehouse ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else 'no message'})",
            ) from None

    def groups(self, identity: Identity, registry: ModelGroupRegistry, models: list[str]) -> dict[str, str]:
        """model -> group; unknown models are a 422 (local mode: left without a group)."""
        try:
            return registry.groups_for(models)
        except UnknownModels as exc:
            if not identity.local:
                raise Problem(422, "Use models the model-group registry knows", str(exc)) from None
            known = [model for model in models if model not in exc.models]
            return registry.groups_for(known)

    def source_models(self, identity: Identity, store: LogStore, config: ScanConfig) -> list[str]:
        """The models of the eval sets a scan reads, once the caller may read each of their folders."""
        models: set[str] = set()
        for source in config.transcripts.sources:
            self.check_read(identity, store, EVALS_PREFIX, source.eval_set_id)
            try:
                recorded = read_models_file(store, EVALS_PREFIX, source.eval_set_id)
            except ModelsFileError as exc:
                raise Problem(409, "Re-run the scanned eval set", str(exc)) from None
            models.update(recorded.model_names if recorded else [])
        return sorted(models)

    def run_model_groups(
        self, identity: Identity, kind: RunKind[Any], config: Any, store: LogStore, allow_cross_lab: bool
    ) -> RunAccess:
        """The models the run touches and their groups, once the caller holds them all; else 403/422."""
        registry = self.registry(identity.local)
        own = config_models(config)
        scanned = self.source_models(identity, store, config) if isinstance(config, ScanConfig) else []
        models = sorted({*own, *scanned})
        groups = self.groups(identity, registry, models)
        try:
            check_access(identity, groups)
        except AccessDenied as exc:
            raise forbidden(exc) from None
        if scanned and not identity.local:
            try:
                check_cross_lab(own, scanned, registry, allow_cross_lab)
            except CrossLabScanRefused as exc:
                raise Problem(
                    403, "Scan with a model of the same lab, or allow a cross-lab scan", str(exc)
                ) from None
        return RunAccess(models, groups)

    def record_models(self, store: LogStore, kind: RunKind[Any], job_id: str, access: RunAccess) -> None:
        """Merge the run's models and groups into its folder's `.models.json`, before it is launched."""
        write_models_file(store, kind.names.log_prefix, job_id, access.models, set(access.groups.values()))

    def check_read(self, identity: Identity, store: LogStore, prefix: str, job_id: str) -> None:
        """The folder read rule: 404 when there is no such run folder, 403 naming the missing groups."""
        loader: Callable[[], ModelGroupRegistry] = self.registry
        try:
            check_folder_read(identity, store, prefix, job_id, loader)
        except FolderNotFound as exc:
            raise not_found(exc) from None
        except AccessDenied as exc:
            raise forbidden(exc) from None
