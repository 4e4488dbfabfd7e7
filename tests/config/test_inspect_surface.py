"""The committed `inspect_surface.py` is what the installed (pinned) inspect-ai and inspect-scout say."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from hawk_dagster.config import inspect_surface

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_surface_is_for_the_installed_versions() -> None:
    assert version("inspect-ai") == inspect_surface.INSPECT_AI_VERSION
    assert version("inspect-scout") == inspect_surface.INSPECT_SCOUT_VERSION


def test_regenerating_the_surface_gives_the_committed_module() -> None:
    # runs a one-sample mockllm eval and indexes it with Scout, as the generator documents
    result = subprocess.run(
        [sys.executable, "-m", "hawk_dagster.config.generate_inspect_surface", "--check"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]


def test_surface_matches_inspect_where_cheap() -> None:
    import inspect

    import inspect_ai
    from inspect_ai.model import GenerateConfig

    parameters = inspect.signature(inspect_ai.eval_set).parameters
    assert frozenset(parameters) - {"kwargs"} == inspect_surface.EVAL_SET_PARAMETERS
    assert frozenset(GenerateConfig.model_fields) == inspect_surface.GENERATE_CONFIG_FIELDS
    assert {"model", "task_set", "sample_metadata", "transcript_id"} <= inspect_surface.TRANSCRIPT_COLUMNS
