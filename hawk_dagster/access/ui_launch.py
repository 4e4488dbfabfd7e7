"""Launches from the Dagster UI: the GraphQL launch mutations, checked and granted for the operator.

The UI's auth proxy (`hawk_dagster.api.dagster_proxy`) hands every GraphQL request here. A request that
launches a Hawk run (`launchRun`, `launchPipelineExecution`, their re-executions, `launchMultipleRuns`)
is checked like an API launch: the operator must hold the model groups of the config's models. Then a
signed grant (issued_by `ui-proxy`, created_by = the operator) and `hawk/created_by` go into the run's
tags, and the op config gets the operator as `created_by` and the run's id (the config's own, else a
generated one: the grant binds the id). Launches of other jobs pass unchanged. Anything that cannot be checked (a launch
whose parameters are inline literals, a parent run that cannot be read) is refused: the step refuses an
ungranted run anyway, so refusing early only gives the operator the reason sooner.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from graphql import FieldNode, GraphQLError, OperationDefinitionNode, OperationType, VariableNode, parse

from hawk_dagster.access.grant import LaunchGrant, config_digest, sign_grant
from hawk_dagster.access.launch_check import grant_job_id
from hawk_dagster.access.permissions import normalize_groups
from hawk_dagster.auth.identity import Identity
from hawk_dagster.config.loading import ConfigError, validate_config_data
from hawk_dagster.runs.kind import RunError, RunKind
from hawk_dagster.runs.kinds import KINDS
from hawk_dagster.runs.tags import CREATED_BY_TAG, LAUNCH_GRANT_TAG

LAUNCH_MUTATIONS = frozenset(
    {
        "launchPipelineExecution",
        "launchRun",
        "launchPipelineReexecution",
        "launchRunReexecution",
        "launchMultipleRuns",
    }
)
ISSUED_BY = "ui-proxy"

RunAccessCheck = Callable[[Identity, RunKind[Any], Any], Mapping[str, str]]
"""(operator, kind, validated config) -> {model: group} once the operator may run it; else LaunchRefused.
The API's own rules (`hawk_dagster.api.access_checks`), so a UI launch is checked as an API launch is."""
ParentRun = Callable[[str], Awaitable[tuple[str, Any]]]
"""run id -> (job name, run config as a mapping or YAML) of the run being re-executed."""


class LaunchRefused(PermissionError):
    """The operator may not launch this run (one line, says why and what to do)."""


@dataclass(frozen=True)
class UiLauncher:
    """What a launch check needs: the operator, the grant key (None = grants off), the access rules."""

    identity: Identity
    grant_key: bytes | None
    check_run: RunAccessCheck
    parent_run: ParentRun


def operations(query: str) -> list[OperationDefinitionNode]:
    """The query's operations; none when it does not parse (the webserver answers that error itself)."""
    try:
        document = parse(query)
    except GraphQLError:
        return []
    return [node for node in document.definitions if isinstance(node, OperationDefinitionNode)]


def is_mutation(query: str) -> bool:
    return any(op.operation == OperationType.MUTATION for op in operations(query))


def launch_fields(query: str, operation_name: str | None) -> list[FieldNode]:
    """The launch mutation fields the request executes (of the named operation, else of any)."""
    fields: list[FieldNode] = []
    for op in operations(query):
        if op.operation != OperationType.MUTATION:
            continue
        if operation_name and (op.name is None or op.name.value != operation_name):
            continue
        fields += [
            node
            for node in op.selection_set.selections
            if isinstance(node, FieldNode) and node.name.value in LAUNCH_MUTATIONS
        ]
    return fields


def kind_for_job(job_name: str | None) -> RunKind[Any] | None:
    return next((kind for kind in KINDS.values() if kind.names.job_name == job_name), None)


def grant_launch(
    launcher: UiLauncher, kind: RunKind[Any], op_config: dict[str, Any], tags: dict[str, str]
) -> dict[str, str]:
    """Check the operator may run `op_config` as a `kind` run; set its id and author; return `tags` with
    a fresh grant and `hawk/created_by`. Edits `op_config` in place."""
    block = op_config.get(kind.names.config_key)
    if not isinstance(block, dict):
        raise LaunchRefused(
            f"the run config has no ops.{kind.names.op_name}.config.{kind.names.config_key}: "
            f"paste the {kind.names.name} YAML there"
        )
    try:
        config = validate_config_data(block, kind=kind.names.name).config
    except ConfigError as exc:
        raise LaunchRefused(f"invalid {kind.names.name} config: {exc}") from None
    groups = launcher.check_run(launcher.identity, kind, config)
    job_id = grant_job_id(op_config.get(kind.names.id_key), block, kind.names.id_key)
    if job_id is None:
        try:
            job_id = kind.resolve_job_id(config, None)
        except RunError as exc:
            raise LaunchRefused(str(exc)) from None
    op_config[kind.names.id_key] = job_id
    created_by = launcher.identity.created_by
    op_config["created_by"] = created_by
    tags = {key: value for key, value in tags.items() if key not in (LAUNCH_GRANT_TAG, CREATED_BY_TAG)}
    tags[CREATED_BY_TAG] = created_by
    if launcher.grant_key is not None:
        grant = LaunchGrant(
            job_type=kind.names.job_type,
            job_id=job_id,
            created_by=created_by,
            model_groups=sorted(normalize_groups(groups.values())),
            config_sha256=config_digest(block),
            issued_by=ISSUED_BY,
        )
        tags[LAUNCH_GRANT_TAG] = sign_grant(grant, launcher.grant_key)
    return tags


def _tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in tags.items()]


def _tag_dict(entries: Any) -> dict[str, str]:
    return {str(entry["key"]): str(entry["value"]) for entry in entries or [] if isinstance(entry, dict)}


def _run_config(value: Any) -> dict[str, Any]:
    data = yaml.safe_load(value) if isinstance(value, str) else value
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise LaunchRefused("runConfigData is not a mapping: give the run config as YAML or JSON")
    # JSON-safe (YAML dates become text, as the step's config digest reads them) and our own copy
    loaded: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return loaded


def _op_config(kind: RunKind[Any], run_config: dict[str, Any]) -> dict[str, Any]:
    ops = run_config.setdefault("ops", {})
    op = ops.setdefault(kind.names.op_name, {}) if isinstance(ops, dict) else None
    config = op.setdefault("config", {}) if isinstance(op, dict) else None
    if not isinstance(config, dict):
        raise LaunchRefused(f"ops.{kind.names.op_name}.config is not a mapping")
    return config


def grant_execution_params(launcher: UiLauncher, params: Any) -> Any:
    """`ExecutionParams` with the run checked and granted; unchanged when the job is not a Hawk run."""
    if not isinstance(params, dict):
        raise LaunchRefused("executionParams is not an object")
    selector = params.get("selector") or {}
    kind = kind_for_job(selector.get("jobName") or selector.get("pipelineName"))
    if kind is None:
        return params
    run_config = _run_config(params.get("runConfigData"))
    metadata = dict(params.get("executionMetadata") or {})
    tags = grant_launch(launcher, kind, _op_config(kind, run_config), _tag_dict(metadata.get("tags")))
    metadata["tags"] = _tag_list(tags)
    return {**params, "runConfigData": run_config, "executionMetadata": metadata}


async def grant_reexecution_params(launcher: UiLauncher, params: Any) -> Any:
    """`ReexecutionParams` (parent run id, strategy, extra tags): the parent's config checked and granted
    for the operator; the fresh grant goes into `extraTags`, which win over the parent's tags."""
    if not isinstance(params, dict) or not params.get("parentRunId"):
        raise LaunchRefused("reexecutionParams has no parentRunId")
    job_name, parent_config = await launcher.parent_run(str(params["parentRunId"]))
    kind = kind_for_job(job_name)
    if kind is None:
        return params
    run_config = _run_config(parent_config)
    op_config = _op_config(kind, run_config)
    block = op_config.get(kind.names.config_key)
    parent_id = grant_job_id(
        op_config.get(kind.names.id_key), block if isinstance(block, dict) else {}, kind.names.id_key
    )
    if parent_id is None:
        raise LaunchRefused(
            f"run {params['parentRunId']} names no {kind.names.id_key}: launch it again from the Launchpad"
        )
    # The parent's run config is reused as it is; the grant (not the op config) says who launched it.
    tags = await asyncio.to_thread(
        grant_launch, launcher, kind, op_config, _tag_dict(params.get("extraTags"))
    )
    return {**params, "extraTags": _tag_list(tags)}


async def grant_graphql_request(launcher: UiLauncher, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The GraphQL JSON request with every launch checked and granted; LaunchRefused when one is not allowed."""
    query = payload.get("query")
    request = dict(payload)
    if not isinstance(query, str):
        return request
    fields = launch_fields(query, payload.get("operationName"))
    if not fields:
        return request
    variables = dict(payload.get("variables") or {})
    for field in fields:
        for argument in field.arguments:
            name = argument.name.value
            if name not in ("executionParams", "reexecutionParams", "executionParamsList"):
                continue
            if not isinstance(argument.value, VariableNode) or argument.value.name.value not in variables:
                raise LaunchRefused(f"{field.name.value}: pass {name} as a GraphQL variable")
            variable = argument.value.name.value
            value = variables[variable]
            if name == "executionParams" and value is not None:
                variables[variable] = await asyncio.to_thread(grant_execution_params, launcher, value)
            elif name == "reexecutionParams" and value is not None:
                variables[variable] = await grant_reexecution_params(launcher, value)
            elif name == "executionParamsList":
                variables[variable] = [
                    await asyncio.to_thread(grant_execution_params, launcher, item) for item in value or []
                ]
    request["variables"] = variables
    return request
