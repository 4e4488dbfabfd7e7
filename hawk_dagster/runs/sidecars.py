"""The one place that writes a run's sidecars: `.config.yaml` and `.models.json` beside its logs/results.

As Hawk writes them: `.config.yaml` is the user's config of the latest run; `.models.json` accumulates,
so a resumed or re-run id keeps every model any of its runs may have called.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from hawk_dagster.logstore import LogStore
from hawk_dagster.logstore.keys import run_key

CONFIG_SIDECAR = ".config.yaml"
MODELS_SIDECAR = ".models.json"
MODEL_GROUPS = ("local",)


def merged_models_doc(previous: Mapping[str, Any] | None, models: Iterable[str]) -> dict[str, list[str]]:
    """`{"model_names", "model_groups"}`: this run's models and groups, plus any a previous run recorded."""
    previous = previous or {}
    return {
        "model_names": sorted(set(previous.get("model_names", [])) | set(models)),
        "model_groups": sorted(set(previous.get("model_groups", [])) | set(MODEL_GROUPS)),
    }


def write_sidecars(
    store: LogStore, prefix: str, job_id: str, config_data: Mapping[str, Any], models: Iterable[str]
) -> None:
    """Write `<prefix>/<job_id>/.config.yaml` and merge `<prefix>/<job_id>/.models.json`."""
    store.write_text(
        run_key(prefix, job_id, CONFIG_SIDECAR), yaml.safe_dump(dict(config_data), sort_keys=False)
    )
    models_key = run_key(prefix, job_id, MODELS_SIDECAR)
    previous = json.loads(store.read_text(models_key)) if store.exists(models_key) else None
    store.write_text(models_key, json.dumps(merged_models_doc(previous, models), indent=2))
