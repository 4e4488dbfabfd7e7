"""What the runner entry scripts share: messages back to the step, logging, the spec, models, errors.

The entry scripts run inside the runner venv, where hawk_dagster is NOT installed: they load this file by
path (`load_sibling("entry_common")`), so it imports only the standard library (and, lazily, what the
venv has: `dagster_pipes`, `inspect_ai`). hawk_dagster imports it too, for the message names.

Messages go back one of three ways: Dagster Pipes (the job step sets DAGSTER_PIPES_CONTEXT), a JSON-lines
file named by HAWK_RUNNER_MESSAGES (the plain subprocess runner), or stdout (run by hand).

Pre-started (`python entry_x.py --handoff FD`, see `hawk_dagster.runner.prestart`): the script imports what it
will need (`preload`), then waits on the Unix socket FD for its work: the parent's stdin/stdout/stderr (as
file descriptors), then one JSON document with the real arguments, the whole environment and the working
folder. From there it runs exactly as if it had been started with them. An end of file before that (the
parent did not adopt it, or died) ends the script quietly.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import math
import os
import socket
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import ModuleType
from typing import Any

SUMMARY_MESSAGE = "hawk.run.summary"
ERROR_MESSAGE = "hawk.run.error"
MESSAGES_FILE_ENV = "HAWK_RUNNER_MESSAGES"
PIPES_CONTEXT_ENV = "DAGSTER_PIPES_CONTEXT"
HANDOFF_FLAG = "--handoff"
HANDOFF_HEADER = b"hawk-handoff"
QUIET_LOGGERS = ("httpx", "botocore", "urllib3", "s3fs", "aiobotocore")


class UserError(Exception):
    """A user-caused problem found by an entry script; reported as its message alone."""


def load_module(path: Path, name: str) -> ModuleType:
    """A module of hawk_dagster loaded by file path (it must need nothing hawk_dagster-specific)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class _ForwardHandler(logging.Handler):
    """Forwards Inspect's and Scout's log records to the step's log (Dagster Pipes or stderr)."""

    def __init__(self, target: Any) -> None:
        super().__init__(level=logging.INFO)
        self._target = target

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(QUIET_LOGGERS):
            return
        with suppress(Exception):
            self._target.log(record.levelno, f"[{record.name}] {record.getMessage()}")


def _forward_logging(target: Any) -> None:
    root = logging.getLogger()
    root.addHandler(_ForwardHandler(target))
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


class Reporter:
    """`log` for progress, `report(message)` for the one summary or error message."""

    def __init__(self, log: Any, report: Callable[[dict[str, Any]], None]) -> None:
        self.log = log
        self.report = report


@contextmanager
def open_reporter() -> Iterator[Reporter]:
    if os.environ.get(PIPES_CONTEXT_ENV):
        from dagster_pipes import open_dagster_pipes

        with open_dagster_pipes() as pipes:
            _forward_logging(pipes.log)
            yield Reporter(pipes.log, pipes.report_custom_message)
        return
    logger = logging.getLogger("hawk.runner")
    logger.propagate = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)  # Inspect and Scout log to stderr themselves
    messages_file = os.environ.get(MESSAGES_FILE_ENV)

    def report(message: dict[str, Any]) -> None:
        if messages_file:
            with open(messages_file, "a", encoding="utf-8") as out:
                out.write(json.dumps(message) + "\n")
        else:
            print(json.dumps(message, indent=2))

    yield Reporter(logger, report)


def finite(value: Any) -> Any:
    """NaN and infinities become None (JSON has neither)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def build_model(spec: dict[str, Any] | None) -> Any:
    """An Inspect model from a spec's `{name, args}` (`args.config` = GenerateConfig); None for None."""
    if spec is None:
        return None
    from inspect_ai.model import GenerateConfig, get_model

    args = dict(spec.get("args") or {})
    config = args.pop("config", None)
    args.pop("api_key", None)
    if config is not None:
        args["config"] = GenerateConfig(**config)
    return get_model(spec["name"], **args)


def receive_handoff(fd: int) -> list[str] | None:
    """Waits for the parent's handoff on socket `fd` and takes it on: stdio, environment, working folder.
    Returns the real arguments, or None when the parent closed the socket without handing work over."""
    with socket.socket(fileno=fd) as channel:
        header, fds, _flags, _address = socket.recv_fds(channel, len(HANDOFF_HEADER), 3)
        if header != HANDOFF_HEADER or len(fds) != 3:
            for received in fds:
                os.close(received)
            return None
        chunks = []
        while chunk := channel.recv(65536):
            chunks.append(chunk)
    work = json.loads(b"".join(chunks))
    sys.stdout.flush()
    sys.stderr.flush()
    for target, received in enumerate(fds):
        os.dup2(received, target)
        os.close(received)
    os.environ.clear()
    os.environ.update(work["env"])
    os.chdir(work["cwd"])
    return [str(arg) for arg in work["args"]]


def run_entry(
    argv: list[str],
    run: Callable[[dict[str, Any], Any], dict[str, Any]],
    preload: Sequence[str] = (),
) -> int:
    """`python entry_x.py SPEC.json`: read the spec, run it, report its summary or its one-line error.
    `python entry_x.py --handoff FD`: import the `preload` modules first (an import error surfaces again
    in `run`), then wait for the spec's path and the rest (`receive_handoff`)."""
    if len(argv) == 3 and argv[1] == HANDOFF_FLAG:
        try:
            for module in preload:
                with suppress(Exception):
                    importlib.import_module(module)
            handed = receive_handoff(int(argv[2]))
        except KeyboardInterrupt:  # Ctrl-C in the terminal before any work: no traceback to show
            return 130
        if handed is None:
            return 0
        argv = sys.argv = [argv[0], *handed]
    spec = json.loads(Path(argv[1]).read_text())
    os.environ.setdefault("INSPECT_DISPLAY", "log")
    with open_reporter() as reporter:
        try:
            load_module(Path(__file__).with_name("model_proxy.py"), "hawk_model_proxy").install_refresh_hook()
            summary = run(spec, reporter.log)
        except BaseException as exc:
            user_error = isinstance(exc, UserError | SystemExit)
            message = str(exc) if user_error else f"{type(exc).__name__}: {exc}"
            reporter.report({"type": ERROR_MESSAGE, "message": message})
            raise
        reporter.report({"type": SUMMARY_MESSAGE, **summary})
    return 0


def merged_eval_set(eval_set_id: str, shares: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Inspect's `eval-set.json` for the whole grid: the shares' tasks, in shard order, each task once.
    Written by a running shard (the union so far) and by the job's finish step (`runs.shards`)."""
    tasks: list[Any] = []
    seen: set[str] = set()
    for share in shares:
        for task in share.get("tasks") or []:
            key = str(task.get("task_id")) if isinstance(task, Mapping) else json.dumps(task)
            if key not in seen:
                seen.add(key)
                tasks.append(task)
    return {"eval_set_id": eval_set_id, "tasks": tasks}
