"""The Dagster Pipes subprocess runner of the job step: runs an entry script in a Pipes session and keeps
its messages even when it fails.

`dg.PipesSubprocessClient` raises on a non-zero exit before its messages can be read; the runner
reports Inspect's own error message as a custom message, which the step needs to fail with.
A runner `hawk local` pre-started for this command is adopted instead of spawning one
(`hawk_dagster.runner.prestart`).
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence

import dagster as dg
from dagster._core.errors import DagsterExecutionInterruptedError

from hawk_dagster.runner import prestart
from hawk_dagster.runs.execute import ProcessResult

TERMINATION_TIMEOUT_SECONDS = 30


class PipesSubprocessRunner:
    """A `runs.execute.SubprocessRunner` that streams the process's logs into the step's run log."""

    def __init__(self, context: dg.OpExecutionContext) -> None:
        self.context = context

    def __call__(self, command: Sequence[str], env: Mapping[str, str], cwd: str) -> ProcessResult:
        context = self.context
        with dg.open_pipes_session(
            context=context,
            context_injector=dg.PipesTempFileContextInjector(),
            message_reader=dg.PipesTempFileMessageReader(),
        ) as session:
            full_env = {**os.environ, **env, **session.get_bootstrap_env_vars()}
            process = prestart.claim(command, full_env, cwd)
            if process is not None:
                context.log.debug("runner: the pre-started process took the run")
            else:
                process = subprocess.Popen(list(command), cwd=cwd, env=full_env)
            try:
                returncode = process.wait()
            except DagsterExecutionInterruptedError:
                context.log.info("run interrupted: sending SIGINT to the runner")
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=TERMINATION_TIMEOUT_SECONDS)
                except subprocess.TimeoutExpired:
                    process.kill()
                raise
        return ProcessResult(returncode, list(session.get_custom_messages()))
