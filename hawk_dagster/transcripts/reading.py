"""One sample of an .eval log, read with Inspect's API through the log store (a local file, or a download
of the log from S3), as the JSON the API returns."""

from __future__ import annotations

from typing import Any

from hawk_dagster.logstore import EVALS_PREFIX, LogStore, LogStoreError
from hawk_dagster.logstore.keys import run_key
from hawk_dagster.transcripts.lookup import SampleLocation


def log_key(store: LogStore, sample: SampleLocation) -> str:
    """The log's key in `store`: its imported location under the root, else `evals/<eval set>/<file>`
    (the same log imported from another root, e.g. a local copy of an S3 folder)."""
    try:
        return store.relpath(sample.location)
    except LogStoreError:
        return run_key(EVALS_PREFIX, sample.eval_set_id, sample.filename)


def read_sample_json(store: LogStore, sample: SampleLocation) -> dict[str, Any]:
    """The sample (attachments resolved) as JSON-ready data; ObjectNotFoundError when the log is gone."""
    from inspect_ai.log import read_eval_log_sample

    with store.local_path_or_download(log_key(store, sample)) as path:
        read = read_eval_log_sample(str(path), uuid=sample.uuid, resolve_attachments=True)
    dumped: dict[str, Any] = read.model_dump(mode="json", exclude_none=True)
    return dumped
