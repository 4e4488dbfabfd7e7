"""`hawk admin model-groups sync FILE` as a user runs it."""

from __future__ import annotations

import os
from pathlib import Path

from hawk_dagster.access.registry import load_registry
from tests.access.conftest import unique_name
from tests.fixtures.cli import hawk


def env_for(database_url: str) -> dict[str, str]:
    return {**os.environ, "HAWK_DATABASE_URL": database_url}


def test_sync_prints_changes_and_is_idempotent(warehouse_url: str, tmp_path: Path) -> None:
    group = unique_name("model-access-cli")
    path = tmp_path / "groups.yaml"
    path.write_text(f"groups:\n  {group}:\n    models:\n      - {{name: openai/gpt-4o, lab: openai}}\n")

    first = hawk(["admin", "model-groups", "sync", str(path)], tmp_path, env_for(warehouse_url))
    assert first.returncode == 0, first.stderr
    assert f"group added: {group}" in first.stdout
    assert f"model added: openai/gpt-4o -> {group}" in first.stdout
    assert f"role created: {group}" in first.stdout
    assert load_registry(warehouse_url).models == {"openai/gpt-4o": group}

    again = hawk(["admin", "model-groups", "sync", str(path)], tmp_path, env_for(warehouse_url))
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().endswith("no changes")
    assert "added" not in again.stdout and "created" not in again.stdout


def test_a_bad_file_names_the_field_and_changes_nothing(warehouse_url: str, tmp_path: Path) -> None:
    path = tmp_path / "groups.yaml"
    path.write_text("groups:\n  model-access-x:\n    models:\n      - {name: openai/gpt-4o}\n")
    result = hawk(["admin", "model-groups", "sync", str(path)], tmp_path, env_for(warehouse_url))
    assert result.returncode == 1
    assert "groups.model-access-x.models.0.lab: Field required" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert load_registry(warehouse_url).models == {}
