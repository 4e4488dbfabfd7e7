"""Reading a run folder: `.models.json` merging, and Hawk's rule with the registry re-read."""

from __future__ import annotations

from pathlib import Path

import pytest

from hawk_dagster.access.folders import FolderNotFound, check_folder_read
from hawk_dagster.access.models_file import read_models_file, write_models_file
from hawk_dagster.access.permissions import AccessDenied
from hawk_dagster.access.registry import ModelGroupRegistry
from hawk_dagster.auth.identity import Identity, local_identity
from hawk_dagster.logstore import LogStore
from hawk_dagster.runs.sidecars import write_sidecars

ALICE = Identity(subject="alice", permissions=frozenset({"model-access-a"}))
BOB = Identity(subject="bob", permissions=frozenset({"b-models"}))


class Registry:
    """A registry source counting its reads (the API's would query the warehouse)."""

    def __init__(self, registry: ModelGroupRegistry) -> None:
        self.registry = registry
        self.reads = 0

    def __call__(self) -> ModelGroupRegistry:
        self.reads += 1
        return self.registry


@pytest.fixture
def store(tmp_path: Path) -> LogStore:
    return LogStore.from_root(str(tmp_path))


def test_models_file_merges_names_and_groups(store: LogStore) -> None:
    assert read_models_file(store, "evals", "set-1") is None
    write_models_file(store, "evals", "set-1", ["m2", "m1"], ["a-models"])
    write_models_file(store, "evals", "set-1", ["m1", "m3"], ["model-access-b"])
    recorded = read_models_file(store, "evals", "set-1")
    assert recorded is not None
    assert recorded.model_names == ["m1", "m2", "m3"]
    assert recorded.model_groups == ["model-access-a", "model-access-b"]


def test_the_run_merges_its_names_into_what_the_api_wrote(store: LogStore) -> None:
    write_models_file(store, "evals", "set-1", ["provider/m1"], ["model-access-a"])  # the API, at launch
    write_sidecars(store, "evals", "set-1", {"tasks": []}, ["provider/m1", "provider/m2"])  # the run
    recorded = read_models_file(store, "evals", "set-1")
    assert recorded is not None
    assert recorded.model_names == ["provider/m1", "provider/m2"]
    assert recorded.model_groups == ["model-access-a"]


def test_recorded_groups_held_skip_the_registry(store: LogStore) -> None:
    write_models_file(store, "evals", "set-1", ["m1"], ["model-access-a"])
    registry = Registry(ModelGroupRegistry())
    check_folder_read(ALICE, store, "evals", "set-1", registry)
    assert registry.reads == 0


def test_missing_folder_is_not_found(store: LogStore) -> None:
    with pytest.raises(FolderNotFound, match="evals/nothing-here"):
        check_folder_read(ALICE, store, "evals", "nothing-here", Registry(ModelGroupRegistry()))


def test_stale_groups_are_re_read_rewritten_and_re_checked(store: LogStore) -> None:
    write_models_file(store, "scans", "scan-1", ["m1"], ["model-access-b"])  # m1 has since moved to A
    registry = Registry(ModelGroupRegistry(models={"m1": "model-access-a"}))
    check_folder_read(ALICE, store, "scans", "scan-1", registry)
    assert registry.reads == 1
    recorded = read_models_file(store, "scans", "scan-1")
    assert recorded is not None and recorded.model_groups == ["model-access-a"]
    with pytest.raises(AccessDenied, match="model-access-a"):
        check_folder_read(BOB, store, "scans", "scan-1", registry)


def test_unchanged_groups_are_refused_without_rewriting(store: LogStore) -> None:
    write_models_file(store, "evals", "set-1", ["m1"], ["model-access-b"])
    before = store.stat("evals/set-1/.models.json")
    registry = Registry(ModelGroupRegistry(models={"m1": "model-access-b"}))
    with pytest.raises(AccessDenied) as raised:
        check_folder_read(ALICE, store, "evals", "set-1", registry)
    assert raised.value.missing == {"m1": "model-access-b"}
    assert registry.reads == 1
    assert store.stat("evals/set-1/.models.json") == before


def test_names_without_groups_are_resolved_not_public(store: LogStore) -> None:
    write_sidecars(store, "evals", "set-1", {}, ["m1"])  # a run that never went through the API
    registry = Registry(ModelGroupRegistry(models={"m1": "model-access-b"}))
    with pytest.raises(AccessDenied):
        check_folder_read(ALICE, store, "evals", "set-1", registry)
    recorded = read_models_file(store, "evals", "set-1")
    assert recorded is not None and recorded.model_groups == ["model-access-b"]
    check_folder_read(BOB, store, "evals", "set-1", registry)


def test_models_the_registry_does_not_know_refuse_the_read(store: LogStore) -> None:
    write_sidecars(store, "evals", "set-1", {}, ["mystery"])
    with pytest.raises(AccessDenied, match="mystery"):
        check_folder_read(ALICE, store, "evals", "set-1", Registry(ModelGroupRegistry()))


def test_public_folders_and_local_mode_need_nothing(store: LogStore) -> None:
    write_models_file(store, "evals", "public", ["m1"], ["model-access-public"])
    check_folder_read(Identity(subject="nobody"), store, "evals", "public", Registry(ModelGroupRegistry()))
    write_models_file(store, "evals", "secret", ["m1"], ["model-access-secret"])
    check_folder_read(local_identity("me"), store, "evals", "secret", Registry(ModelGroupRegistry()))
