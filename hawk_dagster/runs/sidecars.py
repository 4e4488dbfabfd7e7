"""The run's sidecars beside its logs/results: `.config.yaml` and `.models.json`.

As Hawk writes them: `.config.yaml` is the user's config of the latest run; `.models.json` accumulates
(hawk_dagster.access.models_file), so a resumed or re-run id keeps every model any of its runs may have
called. The run records its model names only: the model groups are the API's to record (it resolves
them against the registry before launch, and the run's names merge into that). A folder with names and
no groups is resolved against the registry when first read (hawk_dagster.access.folders), so it is never
public by default, as recording `model-access-public` would make it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from hawk_dagster.access.models_file import MODELS_SIDECAR, write_models_file
from hawk_dagster.logstore import LogStore
from hawk_dagster.logstore.keys import run_key

CONFIG_SIDECAR = ".config.yaml"
__all__ = ["CONFIG_SIDECAR", "MODELS_SIDECAR", "write_sidecars"]


def write_sidecars(
    store: LogStore,
    prefix: str,
    job_id: str,
    config_data: Mapping[str, Any],
    models: Iterable[str],
    groups: Iterable[str] = (),
) -> None:
    """Write `<prefix>/<job_id>/.config.yaml` and merge `models` (and `groups`) into `.models.json`."""
    store.write_text(
        run_key(prefix, job_id, CONFIG_SIDECAR), yaml.safe_dump(dict(config_data), sort_keys=False)
    )
    write_models_file(store, prefix, job_id, models, groups)
