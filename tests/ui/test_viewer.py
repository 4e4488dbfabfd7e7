"""The log viewer in headless Chromium, end to end: a real `hawk serve` (local mode) over the real logs of
an offline eval set imported into a real warehouse; `hawk view-sample UUID` and `hawk web ID` print the
URLs a user opens, and the viewer shows the sample's transcript (a message's text) and the eval set's logs."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from inspect_ai.log import read_eval_log

from hawk_dagster.importer.eval_import import import_eval_logs
from hawk_dagster.logstore import EVALS_PREFIX, LogStore
from hawk_dagster.warehouse.schema import RAW_SCHEMA
from tests.api.conftest import stack_env
from tests.fixtures.api import running_api
from tests.fixtures.browser import PageVisit, missing_browser, visit
from tests.fixtures.cli import hawk
from tests.fixtures.postgres import temporary_database

pytestmark = [
    pytest.mark.timeout(600),
    pytest.mark.skipif(missing_browser() is not None, reason=str(missing_browser())),
]

EVAL_SET_ID = "fixture-set"


@dataclass
class Served:
    api_url: str
    env: dict[str, str]
    work_dir: Path
    log_dir: Path
    database_url: str


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, eval_set_logs: Path, postgres_url: str, warehouse_template: str
) -> Iterator[Served]:
    work_dir = tmp_path_factory.mktemp("ui-viewer")
    log_dir = work_dir / "logs" / EVALS_PREFIX / EVAL_SET_ID
    shutil.copytree(eval_set_logs, log_dir)
    store = LogStore.from_root(str(work_dir / "logs"))
    from hawk_dagster.access.models_file import write_models_file

    write_models_file(store, EVALS_PREFIX, EVAL_SET_ID, ["hawk-offline/careful", "hawk-offline/sloppy"], [])
    with temporary_database(postgres_url, "hawk_ui_viewer", template=warehouse_template) as database_url:
        import_eval_logs(
            database_url, store, [f"{EVALS_PREFIX}/{EVAL_SET_ID}/{p.name}" for p in log_dir.glob("*.eval")]
        )
        env = stack_env(work_dir, HAWK_DATABASE_URL=database_url)
        for name in [name for name in env if name.startswith("HAWK_MODEL_ACCESS_TOKEN_")]:
            env.pop(name)
        with running_api("http://127.0.0.1:9", env, work_dir / "api.log") as url:
            yield Served(url, {**env, "HAWK_API_URL": url}, work_dir, log_dir, database_url)


def a_sample(served: Served) -> tuple[str, str]:
    """(uuid, the text of its first user message), the text read from the log file itself."""
    with psycopg.connect(served.database_url) as connection:
        row = connection.execute(
            f"SELECT s.uuid, e.location, s.id, s.epoch FROM {RAW_SCHEMA}.sample s "
            f"JOIN {RAW_SCHEMA}.eval e ON e.pk = s.eval_pk ORDER BY e.location, s.id LIMIT 1"
        ).fetchone()
    assert row is not None
    log = read_eval_log(str(row[1]))
    sample = next(s for s in log.samples or [] if str(s.id) == str(row[2]) and s.epoch == row[3])
    text = next(m.text for m in sample.messages if m.role == "user")
    return str(row[0]), text


def test_view_sample_shows_its_transcript(served: Served, tmp_path: Path) -> None:
    sample_uuid, user_text = a_sample(served)
    result = hawk(["view-sample", sample_uuid], served.work_dir, served.env)
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip().rsplit(" ", 1)[-1]
    assert url == f"{served.api_url}/permalink/sample/{sample_uuid}"

    screenshot = tmp_path / "sample.png"
    (seen,) = visit([PageVisit(url, user_text, screenshot)])
    assert seen.found, seen.text[:2000]
    # the transcript's message, not only the sample's input heading
    assert re.search(r"USER\s+" + re.escape(user_text), seen.text), seen.text[:2000]
    assert screenshot.stat().st_size > 10_000


def test_web_opens_the_eval_set(served: Served, tmp_path: Path) -> None:
    result = hawk(["web", EVAL_SET_ID], served.work_dir, served.env)
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip().rsplit(" ", 1)[-1]
    screenshot = tmp_path / "eval-set.png"
    logs = sorted(served.log_dir.glob("*.eval"))
    tasks = {read_eval_log(str(p), header_only=True).eval.task for p in logs}
    (seen,) = visit([PageVisit(url, f"{len(logs)} items", screenshot)])
    assert seen.found, seen.text[:2000]
    assert all(task in seen.text for task in tasks), (tasks, seen.text[:2000])
    assert screenshot.stat().st_size > 10_000


def test_unknown_ids_are_one_line(served: Served) -> None:
    sample = hawk(["view-sample", "no-such-uuid"], served.work_dir, served.env)
    assert sample.returncode == 1
    assert "sample no-such-uuid not found" in sample.stderr and "hawk list samples" in sample.stderr
    web = hawk(["web", "no-such-set"], served.work_dir, served.env)
    assert web.returncode == 1 and "no-such-set" in web.stderr
