"""Session-wide test isolation: Inspect/Scout state, AWS profile, .env files.

Services (PostgreSQL, moto's S3 server) come from the fixture plugins listed in `pytest_plugins`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins: list[str] = [
    "tests.fixtures.s3",
    "tests.fixtures.postgres",
    "tests.fixtures.eval_logs",
    "tests.fixtures.oidc",
    # session fixtures shared by three test areas: defined once, so built once
    "tests.transcripts.stack",
]


@pytest.fixture(scope="session", autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    data_home = tmp_path_factory.mktemp("xdg-data")
    saved = dict(os.environ)
    os.environ["XDG_DATA_HOME"] = str(data_home)
    # the launch plans' dependency checks cache their passes here, not in the user's cache
    os.environ["HAWK_DEPENDENCY_CHECK_CACHE"] = str(tmp_path_factory.mktemp("dependency-checks"))
    os.environ["INSPECT_DISPLAY"] = "none"
    os.environ["SCOUT_DISPLAY"] = "none"
    os.environ.pop("AWS_PROFILE", None)
    # pytest-xdist gives its workers COLUMNS=80/LINES=24; subprocesses (uv's error text) would wrap at that
    # width where a serial run does not wrap: every worker runs with the environment of a serial run
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ.pop("COLUMNS", None)
        os.environ.pop("LINES", None)
    os.environ.pop("HAWK_DATABASE_URL", None)
    os.environ.pop("HAWK_LOG_ROOT", None)
    os.environ.pop("INSPECT_LOG_DIR", None)
    os.environ.pop("INSPECT_EVAL_MODEL", None)
    # A developer's own deployment settings must not turn auth, grants or a remote API on in tests.
    for name in list(os.environ):
        if name.startswith("HAWK_MODEL_ACCESS_TOKEN_") or name.startswith("HAWK_API_"):
            os.environ.pop(name)
    for name in (
        "HAWK_ENV",
        "HAWK_LAUNCH_GRANT_KEY",
        "HAWK_ADMIN_GROUP",
        "HAWK_DAGSTER_URL",
        "HAWK_AI_GATEWAY_URL",
    ):
        os.environ.pop(name, None)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
