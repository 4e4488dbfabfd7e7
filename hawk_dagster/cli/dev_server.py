"""`make dev` / `hawk dev`: `dagster dev` (webserver + daemon + code server) that stops when asked.

`dagster dev` alone does not always stop. Its webserver and daemon leave only when the parent writes a
shutdown line into a pipe: a child that gets SIGINT itself then waits for that line forever whenever the
parent did not handle the signal (SIGINT ignored because it was started in the background, or SIGTERM,
which Python does not turn into an exception), and a child whose parent died sees end-of-file and keeps
running. So this supervisor:

- sets `make dev`'s sensor intervals where the environment sets none (`sensing.intervals`);
- starts the warehouse first (the embedded PostgreSQL unless HAWK_DATABASE_URL is set) and hands its URL
  to every process, so imports and dbt builds never race to start it;
- starts `dagster dev` in a process group of its own, with SIGINT restored to its default handler;
- on SIGINT, SIGTERM or SIGHUP, interrupts `dagster dev` (which tells its children through the pipes),
  waits `STOP_GRACE_SECONDS`, then kills whatever is left of the group (run workers included);
- when `dagster dev` exits by itself, kills what it left behind the same way;
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
    """Runs one `dagster dev` process group and tears it down completely."""

    def __init__(self, argv: Sequence[str], env: dict[str, str]) -> None:
        self.argv = list(argv)
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.stop_requested_at: float | None = None

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.stop_requested_at is None:
            self.stop_requested_at = time.monotonic()
            print(
                f"\nhawk dev: {signal.Signals(signum).name} received, stopping Dagster "
                f"(at most {STOP_GRACE_SECONDS:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
            if self.process is not None and self.process.poll() is None:
                self.process.send_signal(signal.SIGINT)

    def run(self) -> int:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        self.process = subprocess.Popen(
            self.argv, env=self.env, start_new_session=True, preexec_fn=_restore_default_signals
        )
        pgid = self.process.pid
        try:
            while self.process.poll() is None:
                if (
                    self.stop_requested_at is not None
                    and time.monotonic() - self.stop_requested_at > STOP_GRACE_SECONDS
                ):
                    print("hawk dev: Dagster did not stop in time, killing it", file=sys.stderr, flush=True)
                    break
                time.sleep(POLL_SECONDS)
            # dagster dev gone (or given up on): give its children the rest of the grace period to
            # finish their own shutdown, then kill what is left of the group.
            deadline = (self.stop_requested_at or time.monotonic()) + STOP_GRACE_SECONDS
            while _group_alive(pgid) and time.monotonic() < deadline:
                time.sleep(POLL_SECONDS)
        finally:
            _kill_group(pgid)
            self.process.wait()
        code = self.process.returncode
        return 0 if self.stop_requested_at is not None else (code if code and code > 0 else 0)


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
    options = parser.parse_args(args)
    env = dict(os.environ)
    with_dev_interval_defaults(env)
    started_warehouse = _start_warehouse(env)
    dagster = Path(sys.executable).parent / "dagster"
    argv = [str(dagster), "dev", "-w", options.workspace, "-h", options.host, "-p", str(options.port)]
    try:
        return DevSupervisor(argv, env).run()
    finally:
        if started_warehouse is not None:
            from hawk_dagster.warehouse.embedded import EmbeddedPostgres

            EmbeddedPostgres.at(started_warehouse).stop()
            print("hawk dev: embedded warehouse stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
