"""`make dev` / `hawk dev`: `dagster dev` (webserver + daemon + code server) and the Hawk API (`hawk
serve`, HAWK_API_PORT, default 8080) that stop when asked.

`dagster dev` alone does not always stop. Its webserver and daemon leave only when the parent writes a
shutdown line into a pipe: a child that gets SIGINT itself then waits for that line forever whenever the
parent did not handle the signal (SIGINT ignored because it was started in the background, or SIGTERM,
which Python does not turn into an exception), and a child whose parent died sees end-of-file and keeps
running. So this supervisor:

- sets `make dev`'s sensor intervals where the environment sets none (`sensing.intervals`);
- starts the warehouse first (the embedded PostgreSQL unless HAWK_DATABASE_URL is set) and hands its URL
  to every process, so imports and dbt builds never race to start it;
- starts `dagster dev` and the API each in a process group of its own, with SIGINT restored to its
  default handler; the API launches on this `dagster dev` (HAWK_DAGSTER_URL, unless set);
- on SIGINT, SIGTERM or SIGHUP, interrupts both (`dagster dev` tells its children through the pipes),
  waits `STOP_GRACE_SECONDS`, then kills whatever is left of the groups (run workers included);
- when either exits by itself, stops the other and kills what is left the same way;
- stops the embedded PostgreSQL at the end if it started it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from hawk_dagster.sensing.intervals import with_dev_interval_defaults

STOP_GRACE_SECONDS = 10.0
POLL_SECONDS = 0.2


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _restore_default_signals() -> None:
    """In the child before exec: a SIGINT ignored by our own parent must not be ignored by dagster dev."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


class DevSupervisor:
    """Runs process groups (`dagster dev`, the Hawk API) and tears them all down completely: when asked to
    stop, or as soon as one of them exits by itself."""

    def __init__(self, commands: Sequence[Sequence[str]], env: dict[str, str]) -> None:
        self.commands = [list(argv) for argv in commands]
        self.env = env
        self.processes: list[subprocess.Popen[bytes]] = []
        self.stop_requested_at: float | None = None

    def _interrupt_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.stop_requested_at is None:
            self.stop_requested_at = time.monotonic()
            print(
                f"\nhawk dev: {signal.Signals(signum).name} received, stopping Dagster and the API "
                f"(at most {STOP_GRACE_SECONDS:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
            self._interrupt_all()

    def run(self) -> int:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        exited: subprocess.Popen[bytes] | None = None
        signalled = False
        try:
            for argv in self.commands:
                self.processes.append(
                    subprocess.Popen(
                        argv, env=self.env, start_new_session=True, preexec_fn=_restore_default_signals
                    )
                )
            while all(process.poll() is None for process in self.processes):
                if (
                    self.stop_requested_at is not None
                    and time.monotonic() - self.stop_requested_at > STOP_GRACE_SECONDS
                ):
                    print("hawk dev: Dagster did not stop in time, killing it", file=sys.stderr, flush=True)
                    break
                time.sleep(POLL_SECONDS)
            exited = next((process for process in self.processes if process.poll() is not None), None)
            signalled = self.stop_requested_at is not None
            if self.stop_requested_at is None:
                # one of them left by itself: stop the others the same way
                self.stop_requested_at = time.monotonic()
                self._interrupt_all()
            # give every group the rest of the grace period to finish its own shutdown, then kill what
            # is left of them.
            deadline = self.stop_requested_at + STOP_GRACE_SECONDS
            while (
                any(_group_alive(process.pid) for process in self.processes) and time.monotonic() < deadline
            ):
                time.sleep(POLL_SECONDS)
        finally:
            for process in self.processes:
                _kill_group(process.pid)
                process.wait()
        code = exited.returncode if exited is not None else 0
        return 0 if signalled or code is None or code <= 0 else code


def _start_warehouse(env: dict[str, str]) -> Path | None:
    """Sets HAWK_DATABASE_URL; returns the embedded server's folder when this call started it."""
    if env.get("HAWK_DATABASE_URL"):
        return None
    from hawk_dagster.warehouse.embedded import EmbeddedPostgres

    server = EmbeddedPostgres.at()
    was_running = server.running_port() is not None
    env["HAWK_DATABASE_URL"] = server.ensure_running()
    print(
        f"hawk dev: warehouse {'running' if was_running else 'started'} under {server.base_dir}", flush=True
    )
    return None if was_running else server.base_dir


def main(args: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="hawk dev", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default=os.environ.get("HAWK_DAGSTER_PORT", "3000"))
    parser.add_argument("--workspace", default="workspace.yaml")
    parser.add_argument("--api-port", default=os.environ.get("HAWK_API_PORT", "8080"))
    options = parser.parse_args(args)
    env = dict(os.environ)
    with_dev_interval_defaults(env)
    started_warehouse = _start_warehouse(env)
    dagster = Path(sys.executable).parent / "dagster"
    argv = [str(dagster), "dev", "-w", options.workspace, "-h", options.host, "-p", str(options.port)]
    env.setdefault("HAWK_DAGSTER_URL", f"http://{options.host}:{options.port}")
    api = [sys.executable, "-m", "hawk_dagster.cli.main", "serve", "--host", options.host]
    api += ["--port", str(options.api_port)]
    print(f"hawk dev: Hawk API on http://{options.host}:{options.api_port}", flush=True)
    try:
        return DevSupervisor([argv, api], env).run()
    finally:
        if started_warehouse is not None:
            from hawk_dagster.warehouse.embedded import EmbeddedPostgres

            EmbeddedPostgres.at(started_warehouse).stop()
            print("hawk dev: embedded warehouse stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
