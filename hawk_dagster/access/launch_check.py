"""The step's launch-grant decision: may this run start, and as whom? Plain Python, no Dagster.

A run started through the Hawk API or the Dagster UI's auth proxy carries a signed grant (`grant.py`)
in its tags. The step asks `check_launch` before it installs anything:

- a key is configured (`HAWK_LAUNCH_GRANT_KEY`): the grant must verify for this kind, id and config;
  the run's author is the grant's `created_by` (whatever the op config says: a UI re-execution reuses
  the parent's op config, with its author, under the operator's fresh grant);
- no key and `HAWK_ENV=production`: every run is refused (a deployment without its key is a mistake);
- no key elsewhere: local single-user mode, the run goes on (`LaunchDecision.note` says so once).

The grant binds the run's kind, id and config, not Dagster's run id (unknown when it is signed). So a
re-execution or a daemon retry of a granted run, which keeps its tags and config, is still granted:
it repeats exactly what was allowed, as the same author. A re-execution launched from the Dagster UI
goes through the proxy, which checks the operator and replaces the grant with a fresh one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hawk_dagster.access.grant import GRANT_KEY_ENV, GrantError, LaunchGrant, grant_key_from_env, verify_grant
from hawk_dagster.runs.tags import LAUNCH_GRANT_TAG

ENV_VAR = "HAWK_ENV"
PRODUCTION = "production"
LOCAL_MODE_NOTE = "launch grants off: local single-user mode"


@dataclass(frozen=True)
class GrantSettings:
    """The deployment's grant key (None = not configured) and whether it is production."""

    key: bytes | None
    production: bool = False

    @classmethod
    def from_env(cls) -> GrantSettings:
        production = os.environ.get(ENV_VAR, "").strip().lower() == PRODUCTION
        return cls(key=grant_key_from_env(), production=production)


@dataclass(frozen=True)
class LaunchDecision:
    """The run may start. `grant` is None in local mode; `created_by` is who the run records as author."""

    grant: LaunchGrant | None
    created_by: str | None
    note: str | None = None


def grant_job_id(op_job_id: str | None, config_data: Mapping[str, Any], id_key: str) -> str | None:
    """The run's id as the grant names it: the op config's id, else the id the config itself asks for."""
    if op_job_id:
        return op_job_id
    value = config_data.get(id_key)
    return value if isinstance(value, str) and value else None


def check_launch(
    settings: GrantSettings,
    *,
    tags: Mapping[str, str],
    job_type: str,
    job_id: str | None,
    config_data: Mapping[str, Any],
    created_by: str | None,
) -> LaunchDecision:
    """Whether a run with these tags and op config may start; GrantError (one line) when it may not."""
    if settings.key is None:
        if settings.production:
            raise GrantError(
                f"{ENV_VAR}={PRODUCTION} but {GRANT_KEY_ENV} is not set: no run may start; "
                "give the run pods the key from the deployment's Secret"
            )
        return LaunchDecision(grant=None, created_by=created_by, note=LOCAL_MODE_NOTE)
    token = tags.get(LAUNCH_GRANT_TAG)
    if not token:
        raise GrantError(
            f"the run has no launch grant (tag {LAUNCH_GRANT_TAG}): launch it through the Hawk API "
            "or the Dagster UI behind its login"
        )
    if not job_id:
        raise GrantError(f"the run's config names no {job_type} id, so no launch grant can match it")
    grant = verify_grant(token, settings.key, job_type=job_type, job_id=job_id, config_data=config_data)
    return LaunchDecision(grant=grant, created_by=grant.created_by)
