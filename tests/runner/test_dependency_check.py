"""Dependency validation before launch: real `uv pip compile` runs against the configured package index.

The conflicting package is a local project written by the test that pins an `inspect-ai` the runner
does not use, so uv must refuse it whatever the index holds.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from hawk_dagster.cli.launch import plan_launch
from hawk_dagster.config.loading import load_config_file
from hawk_dagster.runner.dependency_check import (
    DependencyCheckError,
    cache_file,
    check_dependencies,
    conflict_explanation,
)
from hawk_dagster.runner.eval_set import EVAL_SET
from hawk_dagster.runner.venv import MARKER_FILE, cache_key, uv_executable
from hawk_dagster.runs.kind import RunError
from tests.fixtures.cli import hawk

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = str(REPO_ROOT / "examples" / "hawk-examples")


def conflicting_package(root: Path) -> Path:
    """A local package that needs inspect-ai==0.3.0 (the runner pins a much newer one)."""
    package = root / "old-pin"
    (package / "src" / "old_pin").mkdir(parents=True)
    (package / "src" / "old_pin" / "__init__.py").write_text("")
    (package / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "old-pin"\nversion = "0.1.0"\ndependencies = ["inspect-ai==0.3.0"]\n\n'
        '[tool.hatch.build.targets.wheel]\npackages = ["src/old_pin"]\n'
    )
    return package


def load(path: Path) -> Any:
    return load_config_file(path, kind="eval-set").config


def eval_set_config(path: Path, task_package: str) -> Path:
    data = {
        "tasks": [{"package": task_package, "name": "hawk_examples", "items": [{"name": "arith"}]}],
        "models": [{"package": EXAMPLES, "name": "hawk-offline", "items": [{"name": "careful"}]}],
    }
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture
def venv_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty venv cache: no runner venv, no remembered check."""
    cache = tmp_path / "checks"
    monkeypatch.setenv("HAWK_VENV_CACHE", str(cache))
    return cache


def test_a_conflict_with_the_pinned_inspect_ai_is_refused_with_uvs_reason(tmp_path: Path) -> None:
    package = conflicting_package(tmp_path)
    config = load(eval_set_config(tmp_path / "conflict.yaml", str(package)))
    requirements = EVAL_SET.requirements(config, REPO_ROOT)  # what the runner venv would install
    assert str(package) in requirements
    with pytest.raises(DependencyCheckError) as raised:
        check_dependencies(requirements, cache_dir=tmp_path / "checks", venv_cache_dir=tmp_path / "venvs")
    message = str(raised.value)
    assert "do not resolve with the runner's pinned packages" in message
    assert "inspect-ai==0.3.0" in message  # uv's own explanation names both sides
    assert "unsatisfiable" in message
    assert "--skip-dependency-validation" in message
    assert "\n" not in message
    assert not (tmp_path / "checks").exists()  # failures are not remembered


def test_a_conflict_is_explained_whole_in_a_narrow_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A narrow COLUMNS in the launcher's environment (an xdist worker, a small terminal) must not cut uv's
    reason: the check runs uv without it, and wrapped reasons are joined back."""
    monkeypatch.setenv("COLUMNS", "40")
    package = conflicting_package(tmp_path)
    requirements = EVAL_SET.requirements(load(eval_set_config(tmp_path / "c.yaml", str(package))), REPO_ROOT)
    with pytest.raises(DependencyCheckError) as raised:
        check_dependencies(requirements, cache_dir=tmp_path / "checks", venv_cache_dir=tmp_path / "venvs")
    assert "inspect-ai==0.3.0" in str(raised.value) and "unsatisfiable" in str(raised.value)
    (tmp_path / "narrow.in").write_text("httpx<0.1\nhttpx>1\n")
    wrapped = subprocess.run(
        [uv_executable(), "pip", "compile", "--quiet", "--no-header", str(tmp_path / "narrow.in")],
        env={**os.environ, "COLUMNS": "40"},
        capture_output=True,
        text=True,
    )
    assert "\n         " in wrapped.stderr  # uv did wrap its reason here
    assert conflict_explanation(wrapped.stderr) == (
        "Because you require httpx<0.1 and httpx>1, we can conclude that your requirements are unsatisfiable."
    )


def test_a_good_config_passes_and_the_second_check_spawns_no_uv(tmp_path: Path) -> None:
    cache = tmp_path / "checks"
    requirements = EVAL_SET.requirements(load(eval_set_config(tmp_path / "good.yaml", EXAMPLES)), REPO_ROOT)
    first = check_dependencies(requirements, cache_dir=cache, venv_cache_dir=tmp_path / "venvs")
    assert first.source == "resolved"
    remembered = cache_file(requirements, cache)
    assert remembered.exists() and "inspect-ai==" in remembered.read_text()
    assert len(list(cache.iterdir())) == 1

    # No uv at all: only the remembered success can answer.
    second = check_dependencies(
        requirements, cache_dir=cache, venv_cache_dir=tmp_path / "venvs", uv=str(tmp_path / "no-such-uv")
    )
    assert second.source == "cached" and second.key == first.key
    assert len(list(cache.iterdir())) == 1

    # A different requirement set is a different fingerprint: it must resolve (and so needs uv).
    with pytest.raises(DependencyCheckError, match="cannot run uv"):
        check_dependencies(
            [*requirements, "pyyaml>=5"],
            cache_dir=cache,
            venv_cache_dir=tmp_path / "venvs",
            uv=str(tmp_path / "no-such-uv"),
        )


def test_a_slow_resolution_stops_at_the_timeout(tmp_path: Path) -> None:
    requirements = EVAL_SET.requirements(load(eval_set_config(tmp_path / "good.yaml", EXAMPLES)), REPO_ROOT)
    with pytest.raises(DependencyCheckError) as raised:
        check_dependencies(
            requirements, cache_dir=tmp_path / "checks", venv_cache_dir=tmp_path / "venvs", timeout=0.001
        )
    message = str(raised.value)
    assert "took longer than 0.001 s" in message
    assert "HAWK_DEPENDENCY_CHECK_TIMEOUT" in message and "--skip-dependency-validation" in message


def test_the_timeout_setting_must_be_a_number(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAWK_DEPENDENCY_CHECK_TIMEOUT", "soon")
    with pytest.raises(DependencyCheckError, match="HAWK_DEPENDENCY_CHECK_TIMEOUT='soon' is not a number"):
        check_dependencies(["pyyaml"], cache_dir=tmp_path / "checks")


def test_launch_planning_refuses_a_conflict_unless_validation_is_skipped(
    tmp_path: Path, venv_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO_ROOT)
    config = eval_set_config(tmp_path / "conflict.yaml", str(conflicting_package(tmp_path)))
    with pytest.raises(RunError, match=r"inspect-ai==0\.3\.0.*unsatisfiable"):
        plan_launch(EVAL_SET, config)
    plan = plan_launch(EVAL_SET, config, validate_dependencies=False)
    assert plan.job_id


def test_hawk_local_refuses_before_launch_and_the_flag_gets_past_the_check(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "dagster"),
        "HAWK_LOG_ROOT": str(tmp_path / "logs"),
        "HAWK_HOME": str(tmp_path / "hawk-home"),
        "HAWK_VENV_CACHE": str(tmp_path / "venvs"),
        "HAWK_DEPENDENCY_CHECK_CACHE": str(tmp_path / "checks"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    config = eval_set_config(tmp_path / "conflict.yaml", str(conflicting_package(tmp_path)))
    refused = hawk(["local", "eval-set", str(config), "--eval-set-id", "deps-1"], REPO_ROOT, env)
    assert refused.returncode == 1
    assert "do not resolve with the runner's pinned packages" in refused.stderr
    assert "inspect-ai==0.3.0" in refused.stderr
    assert "Eval set ID" not in refused.stdout  # refused before anything launched
    assert not (tmp_path / "dagster" / "storage").exists()
    assert not (tmp_path / "logs" / "evals" / "deps-1").exists()

    skipped = hawk(
        ["local", "eval-set", str(config), "--eval-set-id", "deps-2", "--skip-dependency-validation"],
        REPO_ROOT,
        env,
    )
    assert skipped.returncode == 1
    assert "Eval set ID: deps-2" in skipped.stdout  # launched: the run's own install fails instead
    assert "installing the runner's packages failed" in skipped.stderr


def test_a_built_runner_venv_is_proof_enough(tmp_path: Path) -> None:
    requirements = EVAL_SET.requirements(load(eval_set_config(tmp_path / "good.yaml", EXAMPLES)), REPO_ROOT)
    venvs = tmp_path / "venvs"
    (venvs / cache_key(requirements)).mkdir(parents=True)
    (venvs / cache_key(requirements) / MARKER_FILE).write_text("[]")  # what a finished venv build leaves
    check = check_dependencies(
        requirements, cache_dir=tmp_path / "checks", venv_cache_dir=venvs, uv=str(tmp_path / "no-such-uv")
    )
    assert check.source == "venv"
    assert not (tmp_path / "checks").exists()
