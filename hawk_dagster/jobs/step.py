"""What the eval-set and scan steps share: failing with one line, the runner venv, the Pipes run.

Both steps build a venv, write a spec file, run an entry script of `hawk_dagster/runner/` in that venv
through Dagster Pipes, and read back one summary (or one error) custom message.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg

from hawk_dagster.logstore import LogStore, LogStoreError
from hawk_dagster.runner.pipes import run_with_pipes
from hawk_dagster.runner.venv import PackageInstallError, RunnerVenv, ensure_runner_venv
from hawk_dagster.secrets import release_secret_refs, resolve_secret_refs
from resources.runner import RunnerResource


def step_failure(message: str) -> dg.Failure:
    """A user-caused failure: one line, not retried."""
    return dg.Failure(description=message, allow_retries=False)


def available_secrets(
    runner: RunnerResource, secret_refs: Sequence[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """(values of the referenced secret stores, everything the step can see: its environment + those)."""
    import os

    secrets = resolve_secret_refs(secret_refs, runner.secret_store())
    return secrets, {**{k: v for k, v in os.environ.items() if v}, **secrets}


@contextmanager
def releasing_secret_refs(
    context: dg.OpExecutionContext, runner: RunnerResource, secret_refs: Sequence[str]
) -> Iterator[None]:
    """Deletes the run's local secret stores when the step ends, whatever the outcome."""
    try:
        yield
    finally:
        released = release_secret_refs(secret_refs, runner.secret_store())
        if released:
            context.log.info(f"deleted the run's local secret store(s): {', '.join(released)}")


def prepare_runner_venv(
    context: dg.OpExecutionContext,
    store: LogStore,
    prefix: str,
    requirements: Sequence[str],
    runner: RunnerResource,
) -> RunnerVenv:
    """Probe the log root, then build or reuse the venv: a failure here leaves nothing in the log store."""
    try:
        store.ensure_writable(prefix)
    except LogStoreError as exc:
        raise step_failure(str(exc)) from None
    context.log.info("runner venv: " + " ".join(requirements))
    try:
        venv = ensure_runner_venv(list(requirements), runner.venv_cache_path())
    except PackageInstallError as exc:
        raise step_failure(str(exc)) from None
    context.log.info(f"runner venv {'reused' if venv.reused else 'built'}: {venv.path}")
    return venv


def run_entry_script(
    context: dg.OpExecutionContext,
    *,
    venv: RunnerVenv,
    entry_script: Path,
    write_spec: Callable[[Path], Path],
    env: Mapping[str, str],
    runner: RunnerResource,
    summary_type: str,
    error_type: str,
    tool: str,
) -> dict[str, Any] | None:
    """Runs `entry_script SPEC` in the venv; returns its summary message, fails the step on its error."""
    with tempfile.TemporaryDirectory(prefix="hawk-spec-") as tmp:
        spec_path = write_spec(Path(tmp))
        pipes_run = run_with_pipes(
            context,
            [str(venv.python), str(entry_script), str(spec_path)],
            env=env,
            cwd=str(runner.package_base_path()),
        )
    messages = [m for m in pipes_run.messages if isinstance(m, dict)]
    error = next((m for m in messages if m.get("type") == error_type), None)
    if error is not None:
        raise step_failure(f"{tool} failed: {error['message']}")
    if pipes_run.returncode != 0:
        raise step_failure(
            f"the {tool} runner exited with code {pipes_run.returncode}; see the step's stderr"
        )
    return next((m for m in messages if m.get("type") == summary_type), None)
