"""The step's grant decision (`check_launch`): plain inputs, real signatures."""

from __future__ import annotations

from typing import Any

import pytest

from hawk_dagster.access.grant import GrantError, LaunchGrant, config_digest, sign_grant
from hawk_dagster.access.launch_check import (
    LOCAL_MODE_NOTE,
    GrantSettings,
    check_launch,
    grant_job_id,
)
from hawk_dagster.runs.tags import LAUNCH_GRANT_TAG

KEY = b"test-grant-key"
CONFIG: dict[str, Any] = {"tasks": [{"package": "p", "name": "t", "items": [{"name": "a"}]}], "models": []}


def granted_tags(key: bytes = KEY, **changes: Any) -> dict[str, str]:
    fields: dict[str, Any] = {
        "job_type": "eval-set",
        "job_id": "es-1",
        "created_by": "alice@example.com",
        "model_groups": ["model-access-public"],
        "config_sha256": config_digest(CONFIG),
        **changes,
    }
    return {LAUNCH_GRANT_TAG: sign_grant(LaunchGrant(**fields), key)}


def decide(settings: GrantSettings, tags: dict[str, str], **changes: Any) -> Any:
    arguments: dict[str, Any] = {
        "tags": tags,
        "job_type": "eval-set",
        "job_id": "es-1",
        "config_data": CONFIG,
        "created_by": None,
        **changes,
    }
    return check_launch(settings, **arguments)


def test_a_valid_grant_passes_and_names_the_author() -> None:
    decision = decide(GrantSettings(key=KEY), granted_tags())
    assert decision.grant is not None and decision.grant.job_id == "es-1"
    assert decision.created_by == "alice@example.com"
    assert decision.note is None


def test_the_grant_not_the_op_config_names_the_author() -> None:
    decision = decide(GrantSettings(key=KEY), granted_tags(), created_by="mallory")
    assert decision.created_by == "alice@example.com"


@pytest.mark.parametrize(
    ("tags", "changes", "message"),
    [
        ({}, {}, "has no launch grant"),
        (granted_tags(key=b"another key"), {}, "not signed by this deployment"),
        ({LAUNCH_GRANT_TAG: "garbage"}, {}, "not signed by this deployment"),
        (granted_tags(), {"job_id": "es-2"}, "is for eval-set es-1, not eval-set es-2"),
        (granted_tags(), {"job_type": "scan"}, "is for eval-set es-1, not scan es-1"),
        (granted_tags(), {"config_data": {**CONFIG, "limit": 1}}, "config differs"),
        (granted_tags(), {"job_id": None}, "names no eval-set id"),
    ],
    ids=["missing", "other-key", "garbage", "other-id", "other-kind", "edited-config", "no-id"],
)
def test_refusals_say_why(tags: dict[str, str], changes: dict[str, Any], message: str) -> None:
    with pytest.raises(GrantError, match=message) as raised:
        decide(GrantSettings(key=KEY), tags, **changes)
    assert "\n" not in str(raised.value)


def test_without_a_key_locally_runs_go_on_with_a_note() -> None:
    decision = decide(GrantSettings(key=None), {}, created_by="bob")
    assert decision.grant is None and decision.created_by == "bob"
    assert decision.note == LOCAL_MODE_NOTE


def test_production_without_a_key_refuses_every_run() -> None:
    with pytest.raises(GrantError, match="HAWK_ENV=production but HAWK_LAUNCH_GRANT_KEY is not set"):
        decide(GrantSettings(key=None, production=True), granted_tags())


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HAWK_LAUNCH_GRANT_KEY", raising=False)
    monkeypatch.setenv("HAWK_ENV", "Production")
    assert GrantSettings.from_env() == GrantSettings(key=None, production=True)
    monkeypatch.setenv("HAWK_LAUNCH_GRANT_KEY", "k")
    monkeypatch.setenv("HAWK_ENV", "staging")
    assert GrantSettings.from_env() == GrantSettings(key=b"k", production=False)


def test_the_grant_names_the_op_configs_id_else_the_configs_own() -> None:
    assert grant_job_id("from-op", {"eval_set_id": "from-config"}, "eval_set_id") == "from-op"
    assert grant_job_id(None, {"eval_set_id": "from-config"}, "eval_set_id") == "from-config"
    assert grant_job_id(None, {"name": "x"}, "scan_run_id") is None
