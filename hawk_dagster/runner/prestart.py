"""A runner process started early, so that its own start (Python, Inspect's imports: ~2 s) overlaps the
local CLI's (Dagster's imports, the instance, the run's bookkeeping).

`hawk local` starts the entry script as `python entry_x.py --handoff FD` before it loads Dagster and
leaves it `waiting` here. The job step's Pipes runner (`runner.pipes`) `claim`s it for the command it
would have spawned and hands over what a fresh process would have had: its stdin/stdout/stderr, the
remaining arguments, the whole environment (Pipes bootstrap included) and the working folder
(`entry_common.receive_handoff`). A runner that does not match the command is killed and the step
spawns as usual. Nothing pre-started outlives the local run: an unclaimed runner is killed when the
`waiting` block ends (the run failed before its step), and one whose parent dies sees its socket close
and exits. Under the daemon or in a Kubernetes step nothing is pre-started: the step spawns as before.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from hawk_dagster.runner.entry_common import HANDOFF_FLAG, HANDOFF_HEADER

STDIO_FDS = (0, 1, 2)


@dataclass
class PrestartedRunner:
    """A runner process waiting for its work on `channel`; `command` is what it stands in for."""

    process: subprocess.Popen[bytes]
    command: tuple[str, ...]
    channel: socket.socket

    def hand_over(self, args: Sequence[str], env: Mapping[str, str], cwd: str) -> bool:
        """Gives the runner this process's stdio and its work; False when it cannot take it any more."""
        work = json.dumps({"args": list(args), "env": dict(env), "cwd": cwd}).encode()
        try:
            socket.send_fds(self.channel, [HANDOFF_HEADER], list(STDIO_FDS))
            self.channel.sendall(work)
        except OSError:
            return False
        finally:
            self.channel.close()
        return True

    def kill(self) -> None:
        self.channel.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def start(command: Sequence[str], env: Mapping[str, str], cwd: str) -> PrestartedRunner:
    """Starts `command` (interpreter and entry script) waiting for the rest of its arguments."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        process = subprocess.Popen(
            [*command, HANDOFF_FLAG, str(theirs.fileno())],
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            pass_fds=[theirs.fileno()],
        )
    except BaseException:
        ours.close()
        raise
    finally:
        theirs.close()
    return PrestartedRunner(process, tuple(command), ours)


_lock = threading.Lock()
_waiting: PrestartedRunner | None = None


@contextmanager
def waiting(runner: PrestartedRunner | None) -> Iterator[None]:
    """Offers `runner` to `claim` for the duration of the block; kills it at the end if unclaimed."""
    global _waiting
    with _lock:
        _waiting = runner
    try:
        yield
    finally:
        with _lock:
            left, _waiting = _waiting, None
        if left is not None:
            left.kill()


def claim(command: Sequence[str], env: Mapping[str, str], cwd: str) -> subprocess.Popen[bytes] | None:
    """The waiting runner, now running `command` with `env` in `cwd` as if just spawned with them; None
    (and any waiting runner killed) when there is none for this interpreter and entry script."""
    global _waiting
    with _lock:
        runner, _waiting = _waiting, None
    if runner is None:
        return None
    prefix = tuple(str(part) for part in command[: len(runner.command)])
    if prefix != runner.command or runner.process.poll() is not None:
        runner.kill()
        return None
    if not runner.hand_over([str(arg) for arg in command[len(runner.command) :]], env, cwd):
        runner.kill()
        return None
    return runner.process
