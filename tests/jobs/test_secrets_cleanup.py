"""A secret value given to `hawk local eval-set --secret` is gone from every store once the run ends.

Real runs through the CLI (a subprocess): the example task `fragile` reads the secret environment
variable as a list of sample ids to break, so the value demonstrably reaches Inspect; with `s1` in it
the run fails. Afterwards the value must be in none of: the secrets folder, DAGSTER_HOME (run storage,
event log, compute logs, SQLite files), the log root (including the members of the .eval zips), the
CLI's output, and a text dump of hawk_raw after importing the logs.
"""

from __future__ import annotations

import os
import secrets
import zipfile
from pathlib import Path

import psycopg
import pytest
import yaml
import zipfile_zstd  # noqa: F401  (registers zstd, ZIP method 93: Inspect writes .eval members with it)
from psycopg import sql

from tests.fixtures.cli import hawk

SECRET_NAME = "HAWK_TEST_SECRET_TOKEN"
EXAMPLES = "./examples/hawk-examples"


def write_config(path: Path, eval_set_id: str) -> Path:
    config = {
        "eval_set_id": eval_set_id,
        "tasks": [
            {
                "package": EXAMPLES,
                "name": "hawk_examples",
                "items": [{"name": "fragile", "args": {"n": 2, "env_var": SECRET_NAME}}],
            }
        ],
        "models": [{"package": EXAMPLES, "name": "hawk-offline", "items": [{"name": "careful"}]}],
        "runner": {"secrets": [{"name": SECRET_NAME}]},
    }
    path.write_text(yaml.safe_dump(config))
    return path


def files_holding(root: Path, value: bytes) -> list[str]:
    """Files under `root` whose bytes, or whose zip members' bytes, contain `value`."""
    found: list[str] = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        if value in path.read_bytes():
            found.append(str(path))
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                found += [f"{path}!{name}" for name in archive.namelist() if value in archive.read(name)]
    return found


def hawk_raw_dump(url: str) -> str:
    """Every row of every hawk_raw table as text (what pg_dump --data-only would print)."""
    parts: list[str] = []
    with psycopg.connect(url) as connection:
        tables = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'hawk_raw' ORDER BY 1"
        ).fetchall()
        for (table,) in tables:
            statement = sql.SQL("COPY {} TO STDOUT").format(sql.Identifier("hawk_raw", table))
            with connection.cursor().copy(statement) as copy:
                parts.append(f"-- {table}\n" + b"".join(bytes(block) for block in copy).decode())
    return "\n".join(parts)


@pytest.mark.parametrize("outcome", ["success", "failure"])
def test_secret_value_outlives_no_run(
    outcome: str, tmp_path: Path, repo_root: Path, warehouse_url: str
) -> None:
    token = f"tok-{secrets.token_hex(12)}"
    value = f"s1,{token}" if outcome == "failure" else token
    eval_set_id = f"secret-cleanup-{outcome}"
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "dagster"),
        "HAWK_LOG_ROOT": str(tmp_path / "logs"),
        "HAWK_HOME": str(tmp_path / "hawk-home"),
        "HAWK_VENV_CACHE": str((repo_root / ".hawk" / "venvs").resolve()),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "HAWK_USER": "tester",
        "HAWK_DATABASE_URL": warehouse_url,
        SECRET_NAME: value,
    }
    config = write_config(tmp_path / "config.yaml", eval_set_id)

    result = hawk(["local", "eval-set", str(config), "--secret", SECRET_NAME], repo_root, env, timeout=600)

    output = result.stdout + result.stderr
    if outcome == "success":
        assert result.returncode == 0, output[-3000:]
    else:  # the secret reached Inspect: sample s1 broke, so the eval set failed
        assert result.returncode == 1, output[-3000:]
        assert "s1" in output and SECRET_NAME in output
    logs = sorted((tmp_path / "logs" / "evals" / eval_set_id).glob("*.eval"))
    assert logs, output[-3000:]

    assert token not in output
    assert not (tmp_path / "hawk-home" / "secrets" / f"hawk-secrets-{eval_set_id}.json").exists()
    for store in ("hawk-home", "dagster", "logs"):
        assert files_holding(tmp_path / store, token.encode()) == [], store
    assert list((tmp_path / "dagster").rglob("*.db")), "the run storage is SQLite under DAGSTER_HOME"

    imported = hawk(["import", str(tmp_path / "logs" / "evals" / eval_set_id)], repo_root, env, timeout=600)
    assert imported.returncode == 0, imported.stdout + imported.stderr[-3000:]
    dump = hawk_raw_dump(warehouse_url)
    assert eval_set_id in dump and "fragile" in dump
    assert token not in dump and token not in imported.stdout + imported.stderr
