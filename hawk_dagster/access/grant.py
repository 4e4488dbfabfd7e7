"""Launch grants: who may start a run is decided before the run exists, and the run's step checks it.

The API (or the Dagster UI's auth proxy) checks the caller's model groups, then signs a grant into the
run's tags: the run's kind and id, its author, its groups and a digest of its config. The step verifies
the signature and the digest before anything is installed, so a run that did not pass the check (a
hand-made GraphQL call, an edited config, a copied tag) is refused. The key is a secret shared by the
API and the runs (`HAWK_LAUNCH_GRANT_KEY`), never a run config value.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field, ValidationError

GRANT_KEY_ENV = "HAWK_LAUNCH_GRANT_KEY"


class GrantError(PermissionError):
    """The run carries no valid grant (one line, says why)."""


class LaunchGrant(BaseModel):
    job_type: str = Field(description="The kind of run: eval-set, scan, ...")
    job_id: str
    created_by: str
    model_groups: list[str] = Field(default_factory=list)
    config_sha256: str
    issued_at: float = Field(default_factory=time.time)
    issued_by: str = Field(default="api", description="api, or ui-proxy for Launchpad runs.")


def config_digest(config_data: Mapping[str, Any]) -> str:
    """The digest of a run's config as its op receives it (canonical JSON)."""
    canonical = json.dumps(config_data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def grant_key_from_env() -> bytes | None:
    value = os.environ.get(GRANT_KEY_ENV)
    return value.encode() if value else None


def _mac(payload: bytes, key: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.new(key, payload, hashlib.sha256).digest()).decode().rstrip("=")


def sign_grant(grant: LaunchGrant, key: bytes) -> str:
    payload = base64.urlsafe_b64encode(grant.model_dump_json().encode()).decode().rstrip("=")
    return f"{payload}.{_mac(payload.encode(), key)}"


def verify_grant(
    token: str, key: bytes, *, job_type: str, job_id: str, config_data: Mapping[str, Any]
) -> LaunchGrant:
    """The grant in `token`, if signed with `key` for this kind, id and config; else GrantError."""
    payload, _, mac = token.partition(".")
    if not payload or not mac or not hmac.compare_digest(mac, _mac(payload.encode(), key)):
        raise GrantError(
            "the run's launch grant is not signed by this deployment: launch it through the Hawk API"
        )
    try:
        padded = payload + "=" * (-len(payload) % 4)
        grant = LaunchGrant.model_validate_json(base64.urlsafe_b64decode(padded))
    except (ValueError, ValidationError):
        raise GrantError("the run's launch grant is unreadable: launch it through the Hawk API") from None
    if grant.job_type != job_type or grant.job_id != job_id:
        raise GrantError(
            f"the run's launch grant is for {grant.job_type} {grant.job_id}, not {job_type} {job_id}"
        )
    if grant.config_sha256 != config_digest(config_data):
        raise GrantError("the run's config differs from the one its launch grant was issued for")
    return grant
