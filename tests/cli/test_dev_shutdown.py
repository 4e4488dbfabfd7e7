"""`make dev` stops completely: webserver, daemon, code server, run workers and the Hawk API gone within 15 s.

The real `make dev` target starts the real processes; the signal reaches them the way a terminal's Ctrl-C
does (SIGINT to the foreground process group) or the way a service manager stops it (SIGTERM to the top
process). Every process whose environment carries this test's DAGSTER_HOME must be gone 15 s later.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.processes import command_line, kill_leftovers, processes_with_env
from tests.fixtures.webserver import REPO_ROOT, free_port

STOP_LIMIT_SECONDS = 15


def wait_until_serving(
    url: str, process: subprocess.Popen[bytes], log: Path, path: str = "/server_info"
) -> None:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}{path}", timeout=2):
                return
        except OSError:
            assert process.poll() is None, log.read_text()[-3000:]
            time.sleep(0.5)
    raise AssertionError(f"make dev did not serve {url}{path} in 240 s\n" + log.read_text()[-3000:])


def wait_until_gone(dagster_home: str) -> list[tuple[int, str]]:
    """(pid, command line) of the processes still running with `dagster_home` after the stop limit."""
    deadline = time.monotonic() + STOP_LIMIT_SECONDS
    left = processes_with_env("DAGSTER_HOME", dagster_home)
    while left and time.monotonic() < deadline:
        time.sleep(0.25)
        left = processes_with_env("DAGSTER_HOME", dagster_home)
    return [(pid, command_line(pid)) for pid in left]


def default_signal_dispositions() -> None:
    """In the child before exec: the dispositions a terminal or a service manager starts `make dev` with.
    Ignored signals are inherited across exec, and the test runner's process may ignore SIGTERM (seen in
    clean-clone CI: `make` then ignored the SIGTERM this test sends it, and nothing stopped)."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


def signal_report(pids: list[int]) -> str:
    """Each process's state and signal masks (ignored, blocked, caught: /proc/<pid>/status), for a failure
    message: a process that ignores or blocks SIGTERM/SIGINT explains a stop that never began."""
    lines = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text().splitlines()
        except OSError:
            continue
        fields = [
            line for line in status if line.split(":")[0] in {"State", "PPid", "SigBlk", "SigIgn", "SigCgt"}
        ]
        lines.append(f"{pid}: " + ", ".join(" ".join(field.split()) for field in fields))
    return "\n".join(lines) + "\n"


@pytest.fixture
def dev_environment(tmp_path: Path, postgres_url: str) -> Iterator[dict[str, str]]:
    dagster_home = tmp_path / "dagster"
    env = {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home),
        "HAWK_LOG_ROOT": str(tmp_path / "logs"),
        "HAWK_DATABASE_URL": postgres_url,
        "HAWK_DAGSTER_PORT": str(free_port()),
        "HAWK_API_PORT": str(free_port()),
    }
    yield env
    kill_leftovers(dagster_home)


@pytest.mark.parametrize(
    "how",
    [
        pytest.param("sigint-to-group", id="ctrl-c"),
        pytest.param("sigterm-to-make", id="sigterm"),
    ],
)
def test_make_dev_stops_within_15_seconds(dev_environment: dict[str, str], tmp_path: Path, how: str) -> None:
    log = tmp_path / "dev.log"
    dagster_home = dev_environment["DAGSTER_HOME"]
    process = subprocess.Popen(
        ["make", "dev"],
        cwd=REPO_ROOT,
        env=dev_environment,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=default_signal_dispositions,
    )
    try:
        wait_until_serving(f"http://127.0.0.1:{dev_environment['HAWK_DAGSTER_PORT']}", process, log)
        wait_until_serving(f"http://127.0.0.1:{dev_environment['HAWK_API_PORT']}", process, log, "/health")
        commands = " ".join(command_line(pid) for pid in processes_with_env("DAGSTER_HOME", dagster_home))
        assert "dagster_webserver" in commands and "dagster._daemon" in commands, commands
        assert "hawk_dagster.cli.main serve" in commands, commands

        if how == "sigint-to-group":
            os.killpg(process.pid, signal.SIGINT)
        else:
            process.send_signal(signal.SIGTERM)
        left = wait_until_gone(dagster_home)
        assert not left, (
            f"still running {STOP_LIMIT_SECONDS} s after {how}: {left}\n"
            + signal_report([pid for pid, _ in left])
            + "\n".join(line for line in log.read_text().splitlines() if line.startswith("hawk dev:"))
            + "\n"
            + log.read_text()[-2000:]
        )
        assert process.wait(timeout=5) is not None
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
