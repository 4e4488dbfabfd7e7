"""The dbt project (`dbt/`) as Dagster assets: staging views and marts over the raw import tables.

Lineage: the dbt sources are the import assets' keys `hawk_raw/<table>`; models are keyed
`<layer>/<model>` (`staging/stg_eval`, `intermediate/int_eval_attempts`, `marts/fct_samples`) and
grouped by layer; dbt tests are asset checks (a warn-severity test that fails is a WARN check).

Automation: every dbt asset carries `rebuild_after_imports(key, dbt_keys)` (below), evaluated by
`dbt_automation_sensor` every DBT_AUTOMATION_INTERVAL_SECONDS (HAWK_DBT_AUTOMATION_INTERVAL_SECONDS, see
hawk_dagster.sensing.intervals). The interval is the debounce: imports landing within it are built by one
`dbt build`, and no model is requested while a dbt build is in progress, so builds never overlap. An
import that lands while a build runs or finishes is never lost: it is newer than the models' last
request, so the first tick after that build requests them again. Unlike `eager()`, the condition does
not wait for missing or in-progress upstream partitions: one eval set whose import failed, or a steady
stream of imports, would otherwise hold the marts back forever; rows an import commits while dbt runs are
newer than the build's horizon (dbt/macros/incremental.sql), so the next build takes them.

The manifest is read at import: prepare it with `make bootstrap` (`dbt parse`, see
hawk_dagster.warehouse.dbt_env.prepare_dbt_manifest); this module never parses.
"""

import functools
import json
import operator
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from hawk_dagster.sensing.intervals import dbt_automation_interval_seconds
from hawk_dagster.warehouse.dbt_env import DBT_PROJECT_DIR, DBT_TARGET_DIR, require_manifest
from resources.dbt import HawkDbtCliResource, make_dbt_resource

DBT_AUTOMATION_INTERVAL_SECONDS = dbt_automation_interval_seconds()

BUILT_RESOURCE_TYPES = frozenset({"model", "seed", "snapshot"})


def rebuild_after_imports(key: dg.AssetKey, dbt_keys: Collection[dg.AssetKey]) -> dg.AutomationCondition:
    """The automation condition of the dbt model `key`; `dbt_keys` are all the project's models.

    Build when an import landed, a dbt parent was requested or the model's SQL changed since this model
    was last requested; on the condition's first evaluation, build whatever was never built. Never while
    a build is running (some model of `dbt_keys` is in progress): the pending reason stays true and the
    first tick after that build requests the model.

    Why not `any_deps_updated().since_last_handled()`: when a trigger and a reset are both true in one
    evaluation, `since` keeps the trigger only if both sides carry timing metadata and the trigger is
    later. `any_deps_updated()` (an AND inside) and the `handled` OR carry none, so the reset always won:
    an import that landed in the interval in which the previous build finished (or was requested) was
    swallowed, and nothing requested the build again. Each `since` below pairs timed operands only
    (`newly_updated` / `newly_requested`, through `any_deps_match` / `asset_matches`), so a trigger later
    than the reset survives it, and the reset is "this model was requested", nothing else.
    """
    requested = dg.AutomationCondition.newly_requested()
    models = dg.AssetSelection.assets(*dbt_keys)  # a model's other deps are dbt sources: the import assets
    # An import (a hawk_raw partition) materialized after this model's last request: that request's build
    # may have read the raw tables before the import committed (later than the request, not than the
    # build's end: the build reads while it runs). The timestamps are the import's materialization and
    # the tick that requested the model.
    import_since_requested = (
        dg.AutomationCondition.any_deps_match(dg.AutomationCondition.newly_updated())
        .ignore(models)
        .since(requested)
        .with_label("import_landed_since_requested")
    )
    # A dbt parent requested in a later tick than this model (e.g. while this model was still building in
    # the previous run): this model must follow it. Its reset is the same `newly_requested` seen through
    # `asset_matches(key, ...)`: Dagster keys a `since`'s state by its children's ids, which for
    # `any_deps_match` ignore the operand, so two `since(any_deps_match(...), newly_requested)` in one
    # tree would share (and overwrite) one state.
    parent_requested_since = (
        dg.AutomationCondition.any_deps_match(requested)
        .allow(models)
        .since(dg.AutomationCondition.asset_matches(key, requested))
        .with_label("parent_requested_since_requested")
    )
    parent_requested_now = dg.AutomationCondition.any_deps_match(
        dg.AutomationCondition.will_be_requested()
    ).with_label("parent_requested_this_tick")
    sql_changed = dg.AutomationCondition.code_version_changed().since(requested).with_label("sql_changed")
    never_built = (dg.AutomationCondition.missing() & dg.AutomationCondition.initial_evaluation()).with_label(
        "never_built"
    )
    build_in_progress = functools.reduce(
        operator.or_,
        (
            dg.AutomationCondition.asset_matches(k, dg.AutomationCondition.in_progress())
            for k in sorted(dbt_keys)
        ),
    ).with_label("dbt_build_in_progress")
    return (
        (import_since_requested | parent_requested_since | parent_requested_now | sql_changed | never_built)
        & ~dg.AutomationCondition.in_progress()
        & ~build_in_progress
    ).with_label("rebuild_after_imports")


class HawkDbtTranslator(DagsterDbtTranslator):
    """Sources keep dagster-dbt's default key `[source, table]` (= the import assets' `hawk_raw/<table>`);
    models are keyed and grouped by their folder under `models/` (staging, intermediate, marts)."""

    def __init__(self, manifest_path: Path, settings: DagsterDbtTranslatorSettings) -> None:
        super().__init__(settings=settings)
        nodes = json.loads(manifest_path.read_text())["nodes"].values()
        self._dbt_keys = frozenset(
            self.get_asset_key(node) for node in nodes if node["resource_type"] in BUILT_RESOURCE_TYPES
        )

    @staticmethod
    def _layer(dbt_resource_props: Mapping[str, Any]) -> str:
        fqn: list[str] = dbt_resource_props.get("fqn", [])
        # fqn = [project, folder..., name]; a model at the top of models/ has no layer folder.
        return fqn[1] if len(fqn) > 2 else "models"

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return dg.AssetKey([self._layer(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return None
        return self._layer(dbt_resource_props)

    def get_automation_condition(
        self, dbt_resource_props: Mapping[str, Any]
    ) -> dg.AutomationCondition | None:
        if dbt_resource_props["resource_type"] == "source":
            return None
        return rebuild_after_imports(self.get_asset_key(dbt_resource_props), self._dbt_keys)


dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=DBT_TARGET_DIR
)


_manifest_path = require_manifest(dbt_project.manifest_path)


@dbt_assets(
    manifest=_manifest_path,
    project=dbt_project,
    dagster_dbt_translator=HawkDbtTranslator(
        _manifest_path, settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)
    ),
)
def hawk_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """`dbt build` of the selected models and their tests."""
    yield from dbt.cli(["build"], context=context).stream()


dbt_automation_sensor = dg.AutomationConditionSensorDefinition(
    "dbt_automation_sensor",
    target=dg.AssetSelection.assets(hawk_dbt_assets),
    minimum_interval_seconds=DBT_AUTOMATION_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    run_tags={"hawk/kind": "dbt"},
    description="Rebuilds the dbt models after imports land (at most one build per interval).",
)


def dbt_resource(database_url: str | None = None) -> HawkDbtCliResource:
    """The `dbt` resource: the venv's dbt on this project, connected to `database_url` (default:
    HAWK_DATABASE_URL, else the embedded PostgreSQL, resolved at the first dbt call)."""
    return make_dbt_resource(dbt_project, database_url)
