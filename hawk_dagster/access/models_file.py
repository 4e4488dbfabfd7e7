"""A run folder's `.models.json`: the models its runs may call and the model groups reading it needs.

`{"model_names": [...], "model_groups": [...]}`, as Hawk writes it. Writes merge (union) with what the
folder already records, so a resumed or re-run id keeps every model any of its runs used. The log store
has no conditional writes, so two writers racing on one folder can lose the other's additions; the API
writes before launch and the run after, one at a time per folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hawk_dagster.access.permissions import normalize_group
from hawk_dagster.logstore import LogStore
from hawk_dagster.logstore.keys import run_key

MODELS_SIDECAR = ".models.json"


class ModelsFileError(ValueError):
    """A `.models.json` that is not the expected document (names the file)."""


class ModelsFile(BaseModel):
    model_config = ConfigDict(frozen=True)

    model_names: list[str] = Field(default_factory=list)
    model_groups: list[str] = Field(default_factory=list)

    def merged(self, models: Iterable[str], groups: Iterable[str]) -> ModelsFile:
        """This file's names and groups plus `models` and `groups` (sorted, normalised groups)."""
        return ModelsFile(
            model_names=sorted(set(self.model_names) | set(models)),
            model_groups=sorted({normalize_group(g) for g in [*self.model_groups, *groups]}),
        )


def models_file_key(prefix: str, job_id: str) -> str:
    return run_key(prefix, job_id, MODELS_SIDECAR)


def read_models_file(store: LogStore, prefix: str, job_id: str) -> ModelsFile | None:
    """The folder's `.models.json`, or None when it has none."""
    key = models_file_key(prefix, job_id)
    if not store.exists(key):
        return None
    try:
        return ModelsFile.model_validate(json.loads(store.read_text(key)))
    except (ValueError, ValidationError) as error:
        raise ModelsFileError(f"{store.uri(key)} is not a valid models file: {error}") from None


def replace_models_file(store: LogStore, prefix: str, job_id: str, content: ModelsFile) -> None:
    """Write `content` as the folder's `.models.json` (no merge: for rewriting groups that changed)."""
    store.write_text(models_file_key(prefix, job_id), json.dumps(content.model_dump(), indent=2))


def write_models_file(
    store: LogStore, prefix: str, job_id: str, models: Iterable[str], groups: Iterable[str]
) -> None:
    """Merge `models` and `groups` into the folder's `.models.json` (created if missing)."""
    previous = read_models_file(store, prefix, job_id) or ModelsFile()
    replace_models_file(store, prefix, job_id, previous.merged(models, groups))
