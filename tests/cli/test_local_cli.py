"""The `hawk` CLI as a user runs it: a real process, real config files, real Inspect runs."""

from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path

import pytest
import yaml

from tests.fixtures.cli import hawk

EXAMPLES = "./examples/hawk-examples"


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DAGSTER_HOME": str(tmp_path / "dagster"),
            "HAWK_LOG_ROOT": str(tmp_path / "logs"),
            "HAWK_HOME": str(tmp_path / "hawk-home"),
            "HAWK_VENV_CACHE": str(Path(".hawk/venvs").resolve()),
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "HAWK_USER": "tester",
        }
    )
    return env


def write_config(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


def small_config(**extra: object) -> dict:
    return {
        "tasks": [
            {"package": EXAMPLES, "name": "hawk_examples", "items": [{"name": "arith", "args": {"n": 2}}]}
        ],
        "models": [
            {"package": EXAMPLES, "name": "hawk-offline", "items": [{"name": "careful"}, {"name": "sloppy"}]}
        ],
        **extra,
    }


def test_validate_accepts_the_examples_and_warns_on_unknown_keys(
    repo_root: Path, cli_env: dict[str, str], tmp_path: Path
) -> None:
    ok = hawk(["validate", "examples/simple.eval-set.yaml"], repo_root, cli_env)
    assert ok.returncode == 0, ok.stderr
    assert "valid eval-set config" in ok.stdout

    passthrough = write_config(tmp_path / "passthrough.yaml", small_config(temperature=0.2))
    warned = hawk(["validate", str(passthrough)], repo_root, cli_env)
    assert warned.returncode == 0
    assert "'temperature'" in warned.stderr and "inspect_ai.eval_set()" in warned.stderr

    typo = write_config(tmp_path / "typo.yaml", small_config(epoch=2))
    refused = hawk(["validate", str(typo)], repo_root, cli_env)
    assert refused.returncode == 1
    assert "epoch: unknown key" in refused.stderr and "did you mean 'epochs'?" in refused.stderr


def test_validate_rejects_bad_input_with_one_line_naming_the_field(
    repo_root: Path, cli_env: dict[str, str], tmp_path: Path
) -> None:
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("tasks: [\n  - name: x\n")
    result = hawk(["validate", str(bad_yaml)], repo_root, cli_env)
    assert result.returncode == 1 and "error:" in result.stderr and "line" in result.stderr

    wrong_type = write_config(tmp_path / "wrong.yaml", small_config(epochs="many"))
    result = hawk(["validate", str(wrong_type)], repo_root, cli_env)
    assert result.returncode == 1 and "epochs" in result.stderr

    bad_id = write_config(tmp_path / "id.yaml", small_config(eval_set_id="x" * 44))
    result = hawk(["validate", str(bad_id)], repo_root, cli_env)
    assert result.returncode == 1 and "eval_set_id" in result.stderr


def test_schema_prints_json_schema(repo_root: Path, cli_env: dict[str, str]) -> None:
    result = hawk(["schema", "eval-set"], repo_root, cli_env)
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["required"] == ["tasks"] and "runner" in schema["properties"]


def test_local_eval_set_prints_id_table_and_log_location(
    repo_root: Path, cli_env: dict[str, str], tmp_path: Path
) -> None:
    config = write_config(tmp_path / "small.yaml", small_config(name="cli smoke"))
    result = hawk(["local", "eval-set", str(config)], repo_root, cli_env)
    assert result.returncode == 0, result.stderr[-3000:]
    id_line = next(line for line in result.stdout.splitlines() if line.startswith("Eval set ID:"))
    eval_set_id = id_line.split(":", 1)[1].strip()
    assert eval_set_id.startswith("cli-smoke-") and len(eval_set_id) == len("cli-smoke-") + 16
    assert "hawk_examples/arith  hawk-offline/careful" in result.stdout
    assert "hawk-offline/sloppy" in result.stdout
    log_dir = tmp_path / "logs" / "evals" / eval_set_id
    assert f"Logs: {log_dir}" in result.stdout
    assert len(list(log_dir.glob("*.eval"))) == 2
    remembered = (tmp_path / "config" / "hawk-dagster" / "last-eval-set-id").read_text().strip()
    assert remembered == eval_set_id


def test_local_eval_set_missing_secret_exits_before_starting(
    repo_root: Path, cli_env: dict[str, str], tmp_path: Path
) -> None:
    config = write_config(
        tmp_path / "sec.yaml", small_config(runner={"secrets": [{"name": "HAWK_TEST_API_KEY"}]})
    )
    cli_env.pop("HAWK_TEST_API_KEY", None)
    result = hawk(["local", "eval-set", str(config)], repo_root, cli_env)
    assert result.returncode == 1
    assert "HAWK_TEST_API_KEY" in result.stderr and "--secret" in result.stderr
    assert not (tmp_path / "logs").exists()
    assert not (tmp_path / "dagster").exists()

    missing_env = hawk(
        ["local", "eval-set", str(config), "--secret", "HAWK_TEST_API_KEY"], repo_root, cli_env
    )
    assert missing_env.returncode == 1 and "not set" in missing_env.stderr


def test_local_eval_set_with_secrets_file_keeps_values_out_of_output(
    repo_root: Path, cli_env: dict[str, str], tmp_path: Path
) -> None:
    value = "sk-cli-secret-value-123"
    secrets_file = tmp_path / "secrets.env"
    secrets_file.write_text(f"HAWK_TEST_API_KEY={value}\n")
    config = write_config(
        tmp_path / "sec.yaml", small_config(runner={"secrets": [{"name": "HAWK_TEST_API_KEY"}]})
    )
    result = hawk(["local", "eval-set", str(config), "--secrets-file", str(secrets_file)], repo_root, cli_env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert value not in result.stdout and value not in result.stderr
    for path in (tmp_path / "dagster").rglob("*"):
        if path.is_file():
            assert value.encode() not in path.read_bytes(), path
    store = tmp_path / "hawk-home" / "secrets"
    assert store.is_dir() and list(store.iterdir()) == []  # the run deleted its secret store when it ended


def test_local_eval_set_and_scan_print_their_results_tables_once(
    repo_root: Path, cli_env: dict[str, str], tmp_path: Path
) -> None:
    config = write_config(tmp_path / "small.yaml", small_config(name="table once"))
    evals = hawk(["local", "eval-set", str(config)], repo_root, cli_env)
    assert evals.returncode == 0, evals.stderr[-3000:]
    output = evals.stdout + evals.stderr
    assert output.count("hawk_examples/arith  hawk-offline/careful") == 1, output[-3000:]
    eval_set_id = next(line for line in evals.stdout.splitlines() if line.startswith("Eval set ID:")).split()[
        -1
    ]

    scan = write_config(
        tmp_path / "scan.yaml",
        {
            "scanners": [
                {"package": EXAMPLES, "name": "hawk_examples", "items": [{"name": "tool_call_counter"}]}
            ],
            "transcripts": {"sources": [{"eval_set_id": eval_set_id}]},
            "max_processes": 1,
        },
    )
    scanned = hawk(["local", "scan", str(scan)], repo_root, cli_env)
    assert scanned.returncode == 0, scanned.stderr[-3000:]
    output = scanned.stdout + scanned.stderr
    assert len(re.findall(r"^-\s+tool_call_counter\s+\d", output, flags=re.MULTILINE)) == 1, output[-3000:]
    assert "Results: " in scanned.stdout and "Scan run ID: " in scanned.stdout


def failing_config(tmp_path: Path) -> Path:
    config = small_config(name="no such sample")
    config["tasks"][0]["items"][0]["sample_ids"] = [999]
    return write_config(tmp_path / "failing.yaml", config)


def test_a_failed_local_run_is_not_remembered_as_the_last_id(
    repo_root: Path, cli_env: dict[str, str], tmp_path: Path
) -> None:
    remembered = tmp_path / "config" / "hawk-dagster" / "last-eval-set-id"
    remembered.parent.mkdir(parents=True)
    remembered.write_text("earlier-run-1\n")
    result = hawk(["local", "eval-set", str(failing_config(tmp_path))], repo_root, cli_env)
    assert result.returncode == 1
    assert remembered.read_text().strip() == "earlier-run-1"


def test_a_failed_local_run_shows_one_line_and_keeps_the_trace_in_the_run_log(
    repo_root: Path, cli_env: dict[str, str], tmp_path: Path
) -> None:
    import dagster as dg

    result = hawk(["local", "eval-set", str(failing_config(tmp_path))], repo_root, cli_env)
    assert result.returncode == 1
    assert "Stack Trace" not in result.stderr and "Traceback" not in result.stderr, result.stderr[-3000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: Inspect failed: tasks: sample_ids [999] match no sample"), last
    run_id = last.rsplit("(Dagster run ", 1)[1].rstrip(")")
    with dg.DagsterInstance.from_config(str(tmp_path / "dagster")) as instance:
        (failure,) = instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
    assert failure.dagster_event is not None
    error = failure.dagster_event.step_failure_data.error
    assert error is not None and error.stack  # the trace is in the run log


def test_a_local_run_is_complete_when_its_process_has_ended(
    repo_root: Path, cli_env: dict[str, str], tmp_path: Path
) -> None:
    """The local verbs end their process without Python's teardown: by then the run record, the event
    log and the step's captured output are all written. The step adopted the runner the CLI pre-started,
    and that runner's own output reached the step's captured stdout/stderr."""
    import dagster as dg

    config = write_config(tmp_path / "small.yaml", small_config(name="complete"))
    result = hawk(["local", "eval-set", str(config)], repo_root, cli_env)
    assert result.returncode == 0, result.stderr[-3000:]
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("Dagster run: "), result.stdout[-3000:]
    run_id = last.split()[2]
    with dg.DagsterInstance.from_config(str(tmp_path / "dagster")) as instance:
        run = instance.get_run_by_id(run_id)
        assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
        records = instance.all_logs(run_id)
    types = [r.dagster_event.event_type for r in records if r.dagster_event is not None]
    assert types[-1] == dg.DagsterEventType.RUN_SUCCESS
    assert dg.DagsterEventType.STEP_OUTPUT in types and dg.DagsterEventType.LOGS_CAPTURED in types
    messages = [r.user_message for r in records]
    assert any("the pre-started process took the run" in m for m in messages)
    # The step's captured stdout (Dagster's own log goes to stderr) holds Inspect's display: the runner's.
    stdout_files = list((tmp_path / "dagster" / "storage" / run_id).rglob("*.out"))
    assert "tasks complete" in "".join(path.read_text() for path in stdout_files)


def test_a_local_run_failing_before_its_runner_kills_the_pre_started_one(
    repo_root: Path, cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process, as `run_local` does it: the step fails before it would start the runner (the log root
    is not writable), so the runner pre-started for it is killed, not left waiting."""
    from hawk_dagster.cli.launch import plan_launch
    from hawk_dagster.cli.local_run import run_locally
    from hawk_dagster.runner import prestart
    from hawk_dagster.runner.eval_set import EVAL_SET
    from hawk_dagster.runner.venv import ensure_runner_venv
    from hawk_dagster.runs.execute import prestart_runner
    from hawk_dagster.runs.settings import RunnerSettings

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    for name in ("DAGSTER_HOME", "HAWK_HOME", "HAWK_VENV_CACHE", "XDG_CONFIG_HOME", "HAWK_USER"):
        monkeypatch.setenv(name, cli_env[name])
    monkeypatch.setenv("HAWK_LOG_ROOT", str(blocker / "logs"))
    monkeypatch.chdir(repo_root)
    plan = plan_launch(EVAL_SET, write_config(tmp_path / "small.yaml", small_config(name="early failure")))
    ensure_runner_venv(EVAL_SET.requirements(plan.config, repo_root))  # so that there is one to pre-start

    runner = prestart_runner(EVAL_SET, RunnerSettings(), plan.config, plan.secrets)
    assert runner is not None
    with prestart.waiting(runner):
        result = run_locally(plan)
    assert not result.success and result.error is not None and "is not writable" in result.error
    assert runner.process.returncode == -signal.SIGKILL
