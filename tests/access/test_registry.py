"""The model-group registry: the YAML, model-name matching, unknown models, the default group, sync."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from hawk_dagster.access.registry import (
    ModelGroupFileError,
    ModelGroupRegistry,
    UnknownModels,
    load_registry,
    sync_registry,
)
from hawk_dagster.warehouse.schema import MODEL_ACCESS_ALL_ROLE
from tests.access.conftest import unique_name

REPO_ROOT = Path(__file__).resolve().parents[2]

REGISTRY = ModelGroupRegistry(
    models={"openai/gpt-4o": "openai-models", "claude-x": "model-access-anthropic"},
    labs={"openai/gpt-4o": "openai", "claude-x": "anthropic"},
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "groups.yaml"
    path.write_text(text)
    return path


def test_group_names_are_normalised() -> None:
    assert REGISTRY.models["openai/gpt-4o"] == "model-access-openai"


@pytest.mark.parametrize(
    ("asked", "group"),
    [
        ("openai/gpt-4o", "model-access-openai"),  # the full name
        ("gpt-4o", "model-access-openai"),  # stripped, as the warehouse stores it
        ("openai/azure/gpt-4o", "model-access-openai"),  # another route to the same model
        ("anthropic/claude-x", "model-access-anthropic"),  # listed without its provider
    ],
)
def test_full_name_first_then_without_provider(asked: str, group: str) -> None:
    assert REGISTRY.groups_for([asked]) == {asked: group}


def test_unknown_models_are_refused_naming_them_and_the_fix() -> None:
    with pytest.raises(UnknownModels) as raised:
        REGISTRY.groups_for(["openai/gpt-4o", "mystery/one", "mystery/two"])
    assert raised.value.models == ["mystery/one", "mystery/two"]
    message = str(raised.value)
    assert "mystery/one, mystery/two" in message
    assert "hawk admin model-groups sync" in message and "default_group" in message


def test_unknown_models_fall_under_the_default_group() -> None:
    registry = REGISTRY.model_copy(update={"default_group": "model-access-internal"})
    assert registry.groups_for(["gpt-4o", "mystery/one"]) == {
        "gpt-4o": "model-access-openai",
        "mystery/one": "model-access-internal",
    }


def test_from_file_reads_groups_labs_and_default(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
default_group: internal-models
groups:
  openai-models:
    models:
      - {name: openai/gpt-4o, lab: openai}
  model-access-public:
    models:
      - {name: hawk-offline/careful, lab: hawk-offline}
""",
    )
    registry = ModelGroupRegistry.from_file(path)
    assert registry.models == {
        "openai/gpt-4o": "model-access-openai",
        "hawk-offline/careful": "model-access-public",
    }
    assert registry.labs == {"openai/gpt-4o": "openai", "hawk-offline/careful": "hawk-offline"}
    assert registry.default_group == "model-access-internal"
    assert registry.is_public("hawk-offline/careful") and not registry.is_public("gpt-4o")


def test_the_example_file_is_valid() -> None:
    registry = ModelGroupRegistry.from_file(REPO_ROOT / "deploy" / "model-groups.example.yaml")
    assert registry.default_group == "model-access-internal"
    assert registry.groups_for(["openai/gpt-4o"]) == {"openai/gpt-4o": "model-access-openai"}


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (
            "groups: {model-access-a: {models: [{name: m}]}}",
            "groups.model-access-a.models.0.lab: Field required",
        ),
        ("groups: {model-access-a: {models: [{name: m, lab: l, labz: x}]}}", "models.0.labz"),
        ("groups: {postgres: {models: []}}", "group 'postgres' must be named model-access-<x>"),
        ("group: {}", "groups: Field required"),
        ("groups: {model-access-a: {models: []}}\ndefault_group: admins", "default_group"),
        (
            "groups:\n  model-access-a: {models: [{name: m, lab: l}]}\n"
            "  model-access-b: {models: [{name: m, lab: l}]}",
            "model 'm' is in groups model-access-a and model-access-b",
        ),
        ("groups: [a, b", "not valid YAML"),
        ("- a\n- b", "expected a mapping"),
    ],
)
def test_invalid_files_name_the_field(tmp_path: Path, text: str, named: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ModelGroupFileError) as raised:
        ModelGroupRegistry.from_file(path)
    assert named in str(raised.value)
    assert str(path) in str(raised.value)


def test_sync_writes_tables_and_roles_idempotently(warehouse_url: str) -> None:
    group_a, group_b = unique_name("model-access-a"), unique_name("model-access-b")
    registry = ModelGroupRegistry(
        models={"openai/gpt-4o": group_a, "claude-x": group_b, "offline": "model-access-public"},
        labs={"openai/gpt-4o": "openai", "claude-x": "anthropic", "offline": "hawk"},
        default_group=group_b,
    )
    first = sync_registry(warehouse_url, registry)
    assert first.groups_added == sorted([group_a, group_b, "model-access-public"])
    assert first.models_added == registry.models
    assert sorted(first.roles_created) == sorted([group_a, group_b])  # no role for the public group
    assert sorted(first.roles_granted) == sorted([group_a, group_b])
    assert load_registry(warehouse_url) == registry

    with psycopg.connect(warehouse_url) as connection:
        for group in (group_a, group_b):
            row = connection.execute(
                "SELECT rolcanlogin, pg_has_role(%s, rolname, 'MEMBER') FROM pg_roles WHERE rolname = %s",
                (MODEL_ACCESS_ALL_ROLE, group),
            ).fetchone()
            assert row == (False, True)

    again = sync_registry(warehouse_url, registry)
    assert not again.changed and again.lines() == []

    moved = registry.model_copy(
        update={
            "models": {"openai/gpt-4o": group_b, "claude-x": group_b},
            "labs": {"openai/gpt-4o": "openai", "claude-x": "anthropic-labs"},
            "default_group": None,
        }
    )
    report = sync_registry(warehouse_url, moved)
    assert report.models_moved == {"openai/gpt-4o": f"{group_a} -> {group_b}"}
    assert report.models_removed == ["offline"]
    assert report.labs_changed == {"claude-x": "anthropic -> anthropic-labs"}
    assert report.default_group == f"{group_b} -> None"
    assert report.groups_removed == sorted([group_a, "model-access-public"])
    assert report.roles_created == []
    assert load_registry(warehouse_url) == moved
