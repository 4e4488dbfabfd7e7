"""The pre-started runner (`hawk_dagster.runner.prestart`) and its side of the handoff in
`entry_common.run_entry`: a real child process running a small entry script of this Python, which
loads entry_common by path as the real entry scripts do (no Inspect needed)."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import pytest

from hawk_dagster.runner import prestart
from hawk_dagster.runner.entry_common import MESSAGES_FILE_ENV, SUMMARY_MESSAGE

ENTRY_COMMON = Path(prestart.__file__).with_name("entry_common.py")

PROBE = f"""
import importlib.util, os, sys
spec = importlib.util.spec_from_file_location("hawk_entry_common", {str(ENTRY_COMMON)!r})
common = importlib.util.module_from_spec(spec)
spec.loader.exec_module(common)

def run(spec, log):
    print("probe stdout: " + spec["say"], flush=True)
    print("probe stderr: " + spec["say"], file=sys.stderr, flush=True)
    return {{
        "cwd": os.getcwd(),
        "probe_env": os.environ.get("PROBE_VALUE"),
        "left_over": os.environ.get("PROBE_ONLY_AT_START"),
        "argv": sys.argv[1:],
        "preloaded": "colorsys" in sys.modules,
    }}

if __name__ == "__main__":
    sys.exit(common.run_entry(sys.argv, run, preload=("colorsys",)))
"""


@pytest.fixture
def probe(tmp_path: Path) -> Path:
    script = tmp_path / "entry_probe.py"
    script.write_text(PROBE)
    return script


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "probe.spec.json"
    path.write_text(json.dumps({"say": "hello"}))
    return path


def start_probe(probe: Path, cwd: Path) -> prestart.PrestartedRunner:
    env = {**os.environ, "PROBE_ONLY_AT_START": "stale"}
    return prestart.start([sys.executable, str(probe)], env, str(cwd))


def test_a_claimed_runner_runs_with_the_handed_arguments_environment_folder_and_stdio(
    probe: Path, spec_file: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "at-start").mkdir()
    (tmp_path / "at-handoff").mkdir()
    messages = tmp_path / "messages.jsonl"
    runner = start_probe(probe, tmp_path / "at-start")
    env = {**os.environ, "PROBE_VALUE": "handed over", MESSAGES_FILE_ENV: str(messages)}
    with prestart.waiting(runner):
        process = prestart.claim(
            [sys.executable, str(probe), str(spec_file)], env, str(tmp_path / "at-handoff")
        )
        assert process is runner.process
        assert process.wait(timeout=60) == 0
    (summary,) = [json.loads(line) for line in messages.read_text().splitlines()]
    assert summary == {
        "type": SUMMARY_MESSAGE,
        "cwd": str(tmp_path / "at-handoff"),
        "probe_env": "handed over",
        "left_over": None,  # the environment is the handed one, not the one it started with
        "argv": [str(spec_file)],
        "preloaded": True,
    }
    out, err = capfd.readouterr()  # the runner wrote to this process's stdout and stderr
    assert "probe stdout: hello" in out and "probe stderr: hello" in err


def test_an_unclaimed_runner_is_killed_when_the_block_ends(probe: Path, tmp_path: Path) -> None:
    runner = start_probe(probe, tmp_path)
    with prestart.waiting(runner):
        assert runner.process.poll() is None
    assert runner.process.returncode == -signal.SIGKILL
    assert prestart.claim([sys.executable, str(probe), "x.json"], dict(os.environ), str(tmp_path)) is None


def test_a_runner_started_for_another_command_is_killed_not_adopted(
    probe: Path, spec_file: Path, tmp_path: Path
) -> None:
    runner = start_probe(probe, tmp_path)
    other = tmp_path / "entry_other.py"
    other.write_text(PROBE)
    with prestart.waiting(runner):
        assert (
            prestart.claim([sys.executable, str(other), str(spec_file)], dict(os.environ), str(tmp_path))
            is None
        )
        assert runner.process.returncode == -signal.SIGKILL


def test_a_runner_whose_parent_lets_go_exits_without_running(
    probe: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    runner = start_probe(probe, tmp_path)
    runner.channel.close()  # what the child sees when its parent dies before handing work over
    assert runner.process.wait(timeout=60) == 0
    out, err = capfd.readouterr()
    assert "probe" not in out and "Traceback" not in err
