"""Who may read a run's folder (logs, config, scan results): Hawk's rule over its `.models.json`.

The caller needs the folder's recorded model groups. When that check fails, or the folder records model
names without groups (a run with no registry at hand writes only names), the groups may be stale: the
registry's current groups of the recorded names are looked up, `.models.json` is rewritten if they
differ, and the check runs again on them. A model the registry does not know refuses the read.
"""

from __future__ import annotations

from collections.abc import Callable

from hawk_dagster.access.models_file import read_models_file, replace_models_file
from hawk_dagster.access.permissions import AccessDenied, check_access, missing_groups
from hawk_dagster.access.registry import ModelGroupRegistry, UnknownModels
from hawk_dagster.auth.identity import Identity
from hawk_dagster.logstore import LogStore
from hawk_dagster.logstore.keys import run_key

UNKNOWN_GROUP = "<unknown: not in the model-group registry>"


class FolderNotFound(LookupError):
    """The folder has no `.models.json` (not a run folder, or not one of ours)."""

    def __init__(self, prefix: str, job_id: str) -> None:
        super().__init__(f"{run_key(prefix, job_id)} not found: no run folder with a .models.json")


def check_folder_read(
    identity: Identity,
    store: LogStore,
    prefix: str,
    job_id: str,
    registry: Callable[[], ModelGroupRegistry],
) -> None:
    """Return when `identity` may read `<prefix>/<job_id>`; AccessDenied or FolderNotFound otherwise.

    `registry` is called only when the recorded groups do not let the caller in (it may hit the database).
    """
    recorded = read_models_file(store, prefix, job_id)
    if recorded is None:
        raise FolderNotFound(prefix, job_id)
    if identity.local:
        return
    as_recorded = {group: group for group in recorded.model_groups}
    if not missing_groups(identity, as_recorded) and (recorded.model_groups or not recorded.model_names):
        return
    try:
        current = registry().groups_for(recorded.model_names)
    except UnknownModels as error:
        raise AccessDenied({model: UNKNOWN_GROUP for model in error.models}) from None
    groups = sorted(set(current.values()))
    if groups != sorted(set(recorded.model_groups)):
        replace_models_file(store, prefix, job_id, recorded.model_copy(update={"model_groups": groups}))
    check_access(identity, current)
