"""`hawk serve` / `create_app` start-up: local mode is announced loudly, and refused in production."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from hawk_dagster.api.app import create_app
from hawk_dagster.api.settings import ApiSettings
from hawk_dagster.auth.settings import AuthConfigError, AuthSettings
from tests.fixtures.cli import hawk


def test_local_mode_is_announced(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="hawk.api"):
        create_app(ApiSettings(log_root=str(tmp_path)))
    assert any(AuthSettings.LOCAL_MODE_BANNER in record.getMessage() for record in caplog.records)


def test_local_mode_is_refused_in_production(tmp_path: Path, repo_root: Path) -> None:
    with pytest.raises(AuthConfigError, match="HAWK_MODEL_ACCESS_TOKEN_ISSUER"):
        create_app(ApiSettings(log_root=str(tmp_path), auth=AuthSettings(environment="production")))
    env = {key: value for key, value in os.environ.items() if not key.startswith("HAWK_MODEL_ACCESS_TOKEN_")}
    result = hawk(["serve", "--port", "1"], repo_root, {**env, "HAWK_ENV": "production"}, timeout=60)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: HAWK_MODEL_ACCESS_TOKEN_ISSUER is not set"), result.stderr


def test_auth_without_a_registry_is_refused(tmp_path: Path) -> None:
    auth = AuthSettings(issuer="https://issuer.example", audience="https://api.example")
    with pytest.raises(AuthConfigError, match="HAWK_DATABASE_URL"):
        create_app(ApiSettings(log_root=str(tmp_path), auth=auth))
