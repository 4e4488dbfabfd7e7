"""`hawk eval-set` against a real Dagster webserver: GraphQL submission, tags, a run that succeeds."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from dagster import DagsterRunStatus

from tests.fixtures.webserver import REPO_ROOT, free_port, running_webserver, wait_for_run

EXAMPLES = "./examples/hawk-examples"


@pytest.fixture
def dagster_webserver(tmp_path: Path, postgres_url: str) -> Iterator[tuple[str, dict[str, str]]]:
    env = {
        **os.environ,
        "HAWK_LOG_ROOT": str(tmp_path / "logs"),
        "HAWK_HOME": str(tmp_path / "hawk-home"),
        "HAWK_VENV_CACHE": str(REPO_ROOT / ".hawk" / "venvs"),
        "HAWK_DATABASE_URL": postgres_url,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    with running_webserver(tmp_path / "dagster", env, tmp_path / "webserver.log") as url:
        yield url, {**env, "HAWK_DAGSTER_URL": url}


def test_hawk_eval_set_submits_a_run_that_succeeds(
    dagster_webserver: tuple[str, dict[str, str]], repo_root: Path, tmp_path: Path
) -> None:
    url, env = dagster_webserver
    config = tmp_path / "remote.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "name": "remote",
                "tasks": [
                    {
                        "package": EXAMPLES,
                        "name": "hawk_examples",
                        "items": [{"name": "arith", "args": {"n": 2}}],
                    }
                ],
                "models": [{"package": EXAMPLES, "name": "hawk-offline", "items": [{"name": "careful"}]}],
                "runner": {"secrets": [{"name": "HAWK_REMOTE_TOKEN"}]},
            }
        )
    )
    env = {**env, "HAWK_REMOTE_TOKEN": "remote-secret-value-42"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hawk_dagster.cli.main",
            "eval-set",
            str(config),
            "--secret",
            "HAWK_REMOTE_TOKEN",
        ],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    eval_set_id = next(
        line.split(":", 1)[1].strip()
        for line in result.stdout.splitlines()
        if line.startswith("Eval set ID:")
    )
    run_line = next(line for line in result.stdout.splitlines() if line.startswith("Dagster run:"))
    run_id = run_line.rsplit("/", 1)[-1]
    assert run_line.split(": ", 1)[1] == f"{url}/runs/{run_id}"

    status = wait_for_run(url, run_id)
    assert status == DagsterRunStatus.SUCCESS
    assert len(list((tmp_path / "logs" / "evals" / eval_set_id).glob("*.eval"))) == 1
    # the run step deleted the secret store the CLI wrote for it (the CLI returned at submit)
    assert not (tmp_path / "hawk-home" / "secrets" / f"hawk-secrets-{eval_set_id}.json").exists()

    for path in (tmp_path / "dagster").rglob("*"):
        if path.is_file():
            assert b"remote-secret-value-42" not in path.read_bytes(), path

    unreachable = subprocess.run(
        [
            sys.executable,
            "-m",
            "hawk_dagster.cli.main",
            "eval-set",
            str(config),
            "--secret",
            "HAWK_REMOTE_TOKEN",
        ],
        cwd=repo_root,
        env={**env, "HAWK_DAGSTER_URL": f"http://127.0.0.1:{free_port()}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert unreachable.returncode == 1 and "make dev" in unreachable.stderr
    secrets_dir = tmp_path / "hawk-home" / "secrets"
    assert not secrets_dir.exists() or list(secrets_dir.iterdir()) == []  # nothing left behind for no run
