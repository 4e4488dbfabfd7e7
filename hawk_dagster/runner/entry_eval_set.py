"""Runs one resolved eval set with Inspect, inside the runner venv.

Executed by path with the runner venv's Python (`python entry_eval_set.py SPEC.json`): it imports only
the standard library, `inspect_ai` and `entry_common.py` (loaded by path from this folder), never
`hawk_dagster`; in a cluster also `../sandboxes/runner_patch.py` (by path, with `k8s_sandbox`). The spec is written by `hawk_dagster.runner.spec` (no secrets: those arrive as environment
variables). Progress and the per-log summary go back to the step through `entry_common`.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

_common = importlib.util.spec_from_file_location(
    "hawk_entry_common", Path(__file__).with_name("entry_common.py")
)
common = importlib.util.module_from_spec(_common)  # type: ignore[arg-type]
_common.loader.exec_module(common)  # type: ignore[union-attr]


def _build_solver(spec: dict[str, Any] | None) -> Any:
    if spec is None:
        return None
    from inspect_ai._util.registry import registry_create

    args = spec.get("args") or {}
    if spec["kind"] == "agent":
        from inspect_ai.agent import as_solver

        return as_solver(registry_create("agent", spec["name"], **args))
    return registry_create("solver", spec["name"], **args)


def _build_tasks(spec: dict[str, Any]) -> list[Any]:
    from inspect_ai import task_with
    from inspect_ai._util.registry import registry_create
    from inspect_ai.model._model import init_active_model

    solvers = spec["solvers"] or [None]
    models = spec["models"] or [None]
    cells = spec.get("cells")
    if cells is None:  # the whole grid; a shard runs its own (task index, model index) cells
        cells = [(t, m) for t in range(len(spec["tasks"])) for m in range(len(models))]
    tasks: list[Any] = []
    for task_index, model_index in cells:
        task_spec, model_spec = spec["tasks"][task_index], models[model_index]
        for solver_spec in solvers:
            model = common.build_model(model_spec)
            if model is not None:
                init_active_model(model, model.config)
            task = registry_create("task", task_spec["name"], **(task_spec.get("args") or {}))
            sample_ids = task_spec.get("sample_ids")
            if sample_ids:
                wanted = {str(i) for i in sample_ids}

                def selected(sample: Any, wanted: set[str] = wanted) -> bool:
                    return str(sample.id) in wanted

                task.dataset = task.dataset.filter(selected)
                if len(task.dataset) == 0:
                    raise SystemExit(
                        f"tasks: sample_ids {sample_ids} match no sample of task {task_spec['name']}"
                    )
            changes: dict[str, Any] = {}
            if model is not None:
                changes["model"] = model
            solver = _build_solver(solver_spec)
            if solver is not None:
                changes["solver"] = solver
            tasks.append(task_with(task, **changes) if changes else task)
    return tasks


def _patch_sandboxes(
    spec: dict[str, Any],
    tasks: list[Any],
    model_roles: dict[str, Any],
    kwargs: dict[str, Any],
    stack: ExitStack,
    log: Any,
) -> None:
    """In a cluster (the spec has `sandboxes`): rewrite the tasks' sandboxes as `k8s` ones in the eval set's
    namespace (`hawk_dagster/sandboxes/runner_patch.py`) and set `max_sandboxes` if the spec does not."""
    plan = spec.get("sandboxes")
    if not plan:
        return
    path = Path(__file__).resolve().parents[1] / "sandboxes" / "runner_patch.py"
    loaded = importlib.util.spec_from_file_location("hawk_sandboxes_runner_patch", path)
    patch = importlib.util.module_from_spec(loaded)  # type: ignore[arg-type]
    loaded.loader.exec_module(patch)  # type: ignore[union-attr]
    values_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hawk-sandboxes-")))
    try:
        mode = patch.patch_tasks(tasks, plan, values_dir, log)
    except patch.SandboxSpecError as exc:
        raise SystemExit(str(exc)) from None
    os.environ["INSPECT_K8S_DEFAULT_NAMESPACE"] = plan["namespace"]
    if kwargs.get("max_sandboxes") is None:
        models = {id(m): m for m in [*(t.model for t in tasks), *model_roles.values()] if m is not None}
        kwargs["max_sandboxes"] = patch.max_sandboxes(list(models.values()), plan)
    log.info(
        f"sandboxes: namespace {plan['namespace']}, network {mode or 'unused'}, max_sandboxes {kwargs['max_sandboxes']}"
    )


def _share_eval_set_info(spec: dict[str, Any]) -> None:
    """In a shard (the spec has `shard_file`): Inspect's `eval-set.json` would name only this shard's
    tasks and overwrite the other shards'. Write this shard's EvalSet document to its share file instead,
    then `eval-set.json` as the union of the shares present (the job's last step writes the union again
    once every shard finished). Design: `hawk_dagster/runs/shards.py`."""
    shard_file = spec.get("shard_file")
    if not shard_file:
        return
    import json

    from inspect_ai._eval import evalset
    from inspect_ai._util.file import file, filesystem
    from inspect_ai._util.json import to_json_safe

    def write_eval_set_info(
        eval_set_id: str,
        log_dir: str,
        tasks: list[Any],
        all_logs: list[Any],
        eval_set_args: Any,
        fs_options: dict[str, Any] = {},  # noqa: B006 (Inspect's signature)
    ) -> None:
        fs = filesystem(log_dir)
        root = fs.dir_location(log_dir).rstrip(fs.sep)
        share = to_json_safe(evalset.to_eval_set(eval_set_id, tasks, all_logs, eval_set_args))
        share_path = f"{root}{fs.sep}{shard_file}"
        fs.mkdir(share_path.rsplit(fs.sep, 1)[0], exist_ok=True)
        with file(share_path, "wb") as f:
            f.write(share)
        shares: list[dict[str, Any]] = []
        shares_dir = share_path.rsplit(fs.sep, 1)[0]
        for info in sorted(fs.ls(shares_dir), key=lambda entry: str(entry.name)):
            if not str(info.name).endswith(".json"):
                continue
            try:
                with file(info.name, "rb") as f:
                    shares.append(json.loads(f.read()))
            except (OSError, ValueError):
                continue  # another shard is writing it: the job's last step merges again
        with file(f"{root}{fs.sep}eval-set.json", "w") as f:
            f.write(json.dumps(common.merged_eval_set(eval_set_id, shares), indent=2))

    evalset.write_eval_set_info = write_eval_set_info  # type: ignore[assignment]


def _tolerate_other_shards(spec: dict[str, Any], log: Any) -> None:
    """In a shard: the folder holds the other shards' logs, which they rewrite while they run (in place on
    a local disk), so Inspect's listing of the folder's log headers may catch one half-written. Read the
    headers as Inspect does, and when that fails read them one by one, retrying a file briefly and then
    leaving it out (it is another shard's running log: this shard matches only its own tasks' logs)."""
    if not spec.get("shard_file"):
        return
    import time

    from inspect_ai._eval import evalset
    from inspect_ai._util.file import file, filesystem
    from inspect_ai._util.json import to_json_safe
    from inspect_ai.log import list_eval_logs, read_eval_log
    from inspect_ai.log._file import manifest_eval_log_name, read_eval_log_headers

    def readable_headers(files: list[Any]) -> list[tuple[Any, Any]]:
        try:
            return list(zip(files, read_eval_log_headers(files), strict=True))
        except Exception:
            pass
        found: list[tuple[Any, Any]] = []
        for info in files:
            for attempt in range(5):
                try:
                    found.append((info, read_eval_log(info, header_only=True)))
                    break
                except Exception as exc:
                    if attempt == 4:
                        log.info(f"left out {info.name} (being written by another shard: {exc})")
                    else:
                        time.sleep(0.2)
        return found

    def list_all_eval_logs(log_dir: str, recursive: bool = True, progress: Any = None) -> list[Any]:
        pairs = readable_headers(list_eval_logs(log_dir, recursive=recursive))
        return [
            evalset.Log(info=info, header=header, task_identifier=evalset.task_identifier(header, None))
            for info, header in pairs
        ]

    def write_log_dir_manifest(log_dir: str, **_kwargs: Any) -> None:
        fs = filesystem(log_dir)
        log_dir_uri, location = fs.dir_as_uri(log_dir), fs.dir_location(log_dir)
        pairs = readable_headers(list_eval_logs(location))
        manifest = {manifest_eval_log_name(info, log_dir_uri, fs.sep): header for info, header in pairs}
        with file(f"{location}{fs.sep}logs.json", "wb") as f:
            f.write(to_json_safe(manifest))

    evalset.list_all_eval_logs = list_all_eval_logs  # type: ignore[assignment]
    evalset.write_log_dir_manifest = write_log_dir_manifest  # type: ignore[assignment]


def _summarize(log: Any) -> dict[str, Any]:
    results = log.results
    scores: dict[str, Any] = {}
    if results is not None:
        for score in results.scores:
            for metric_name, metric in score.metrics.items():
                scores[f"{score.name}/{metric_name}"] = common.finite(metric.value)
    location = str(log.location)
    if location.startswith("file://"):
        location = location[len("file://") :]
    return {
        "location": location,
        "task": log.eval.task,
        "model": log.eval.model,
        "status": log.status,
        "total_samples": results.total_samples if results else 0,
        "completed_samples": results.completed_samples if results else 0,
        "scores": scores,
        "error": log.error.message if log.error else _first_sample_error(location, log.status),
    }


def _first_sample_error(location: str, status: str) -> str | None:
    """An errored log's header may carry no error of its own: report the first sample's error."""
    if status != "error":
        return None
    from inspect_ai.log import read_eval_log_sample_summaries

    try:
        summaries = read_eval_log_sample_summaries(location)
    except Exception:
        return None
    errors = [f"sample {s.id} (epoch {s.epoch}): {s.error}" for s in summaries if s.error]
    if not errors:
        return None
    more = f" (and {len(errors) - 1} more errored samples)" if len(errors) > 1 else ""
    return errors[0] + more


def run(spec: dict[str, Any], log: Any) -> dict[str, Any]:
    from inspect_ai import Epochs, eval_set

    kwargs: dict[str, Any] = dict(spec["eval_set_kwargs"])
    epochs = kwargs.get("epochs")
    if isinstance(epochs, dict):
        kwargs["epochs"] = Epochs(epochs["epochs"], epochs.get("reducer"))
    if isinstance(kwargs.get("limit"), list):
        kwargs["limit"] = tuple(kwargs["limit"])
    with ExitStack() as stack:
        approval = kwargs.get("approval")
        if isinstance(approval, dict):
            import yaml

            tmp = stack.enter_context(tempfile.TemporaryDirectory())
            approval_file = Path(tmp) / "approval.yaml"
            approval_file.write_text(yaml.safe_dump(approval))
            kwargs["approval"] = str(approval_file)
        model_roles = {role: common.build_model(m) for role, m in (spec.get("model_roles") or {}).items()}
        tasks = _build_tasks(spec)
        _patch_sandboxes(spec, tasks, model_roles, kwargs, stack, log)
        _share_eval_set_info(spec)
        _tolerate_other_shards(spec, log)
        log.info(f"running {len(tasks)} task(s) into {spec['log_dir']}")
        success, logs = eval_set(
            tasks=tasks,
            log_dir=spec["log_dir"],
            eval_set_id=spec["eval_set_id"],
            model_roles=model_roles or None,
            **kwargs,
        )
    return {"success": bool(success), "logs": [_summarize(log) for log in logs]}


# What a run imports, loaded while a pre-started runner waits for its work: Inspect, and what its
# `eval_set()` imports only once it runs (the ACP and control servers, metrics, tool-call validation).
PRELOAD = (
    "inspect_ai",
    "inspect_ai.model._model",
    "inspect_ai.agent._acp.server",
    "inspect_ai._control.server",
    "inspect_ai._control.current_server",
    "uvicorn",
    "inspect_ai.hooks._startup",
    "numpy",
    "jsonschema",
    "dagster_pipes",
)

if __name__ == "__main__":
    sys.exit(common.run_entry(sys.argv, run, preload=PRELOAD))
