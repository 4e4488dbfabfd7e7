"""`hawk transcript`, `hawk transcripts` and `hawk scan-export` as a user runs them, against a real
`hawk serve` over a real warehouse holding real offline logs and a real Scout scan (local mode)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hawk_dagster.transcripts.scan_export import HEADER
from tests.fixtures.api import running_api
from tests.fixtures.cli import hawk
from tests.fixtures.processes import REPO_ROOT
from tests.fixtures.webserver import free_port
from tests.transcripts.stack import (
    SCAN_RUN_ID,
    SOURCE_EVAL_SET_ID,
    TranscriptLogs,
    fetch,
)

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def api_env(
    tmp_path_factory: pytest.TempPathFactory, transcript_logs: TranscriptLogs, transcript_warehouse: str
) -> Iterator[dict[str, str]]:
    """The CLI's environment, pointed at a running API (no Dagster: these routes do not use it)."""
    import os

    work = tmp_path_factory.mktemp("transcript-cli")
    env = {
        **os.environ,
        "HAWK_LOG_ROOT": str(transcript_logs.root),
        "HAWK_DATABASE_URL": transcript_warehouse,
        "XDG_CONFIG_HOME": str(work / "config"),
    }
    with running_api(f"http://127.0.0.1:{free_port()}", env, work / "api.log") as url:
        yield {**env, "HAWK_API_URL": url}


@pytest.fixture(scope="module")
def samples(transcript_warehouse: str) -> list[dict[str, Any]]:
    return fetch(
        transcript_warehouse,
        "SELECT s.uuid, m.role, m.content_text FROM hawk_raw.sample s"
        " JOIN hawk_raw.message m ON m.sample_pk = s.pk ORDER BY s.uuid, m.message_order",
    )


def env_with_config(api_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """A fresh user config folder (no last ids remembered)."""
    return {**api_env, "XDG_CONFIG_HOME": str(tmp_path / "config")}


def test_transcript_prints_markdown_with_the_question_and_the_answer(
    api_env: dict[str, str], samples: list[dict[str, Any]], tmp_path: Path
) -> None:
    uuid = samples[0]["uuid"]
    messages = [row for row in samples if row["uuid"] == uuid]
    question = next(row["content_text"] for row in messages if row["role"] == "user")
    answer = [row["content_text"] for row in messages if row["role"] == "assistant"][-1]
    result = hawk(["transcript", uuid], tmp_path, api_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Sample ")
    assert question.strip() in result.stdout and answer.strip() in result.stdout
    assert f"- **eval set:** {SOURCE_EVAL_SET_ID}" in result.stdout and "## Scores" in result.stdout


def test_transcript_raw_prints_the_sample_json(
    api_env: dict[str, str], samples: list[dict[str, Any]], tmp_path: Path
) -> None:
    uuid = samples[0]["uuid"]
    result = hawk(["transcript", "--raw", uuid], tmp_path, api_env)
    assert result.returncode == 0, result.stderr
    sample = json.loads(result.stdout)
    assert sample["uuid"] == uuid and sample["messages"] and sample["scores"]


def test_an_unknown_uuid_is_one_line_naming_it(api_env: dict[str, str], tmp_path: Path) -> None:
    result = hawk(["transcript", "NoSuchSample0000000000"], tmp_path, api_env)
    assert result.returncode == 1 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "NoSuchSample0000000000" in result.stderr and "hawk list samples" in result.stderr
    malformed = hawk(["transcript", "not-a-uuid"], tmp_path, api_env)
    assert malformed.returncode == 1 and "SAMPLE_UUID" in malformed.stderr


def test_transcripts_writes_one_file_per_sample_then_reuses_the_last_id(
    api_env: dict[str, str], samples: list[dict[str, Any]], tmp_path: Path
) -> None:
    env = env_with_config(api_env, tmp_path)
    uuids = {row["uuid"] for row in samples}
    result = hawk(["transcripts", SOURCE_EVAL_SET_ID, "--output-dir", "md"], tmp_path, env)
    assert result.returncode == 0, result.stderr
    written = sorted((tmp_path / "md").iterdir())
    assert {path.name for path in written} == {f"{uuid}.md" for uuid in uuids}
    for path in written:
        assert path.read_text().startswith("# Sample ") and path.stem in path.read_text()
    assert f"Wrote {len(uuids)} transcripts" in result.stdout

    again = hawk(["transcripts", "--output-dir", "raw", "--raw", "--limit", "3"], tmp_path, env)
    assert again.returncode == 0, again.stderr
    raw = sorted((tmp_path / "raw").iterdir())
    assert len(raw) == 3 and all(path.suffix == ".json" for path in raw)
    assert all(json.loads(path.read_text())["uuid"] == path.stem for path in raw)


def test_transcripts_without_an_id_or_a_last_one_says_so(api_env: dict[str, str], tmp_path: Path) -> None:
    result = hawk(["transcripts"], tmp_path, env_with_config(api_env, tmp_path))
    assert (
        result.returncode == 1 and "EVAL_SET_ID" in result.stderr and not list(tmp_path.glob("*transcripts"))
    )


def test_transcripts_of_an_unknown_eval_set_is_one_line(api_env: dict[str, str], tmp_path: Path) -> None:
    result = hawk(["transcripts", "no-such-set"], tmp_path, env_with_config(api_env, tmp_path))
    assert (
        result.returncode == 1 and "no-such-set" in result.stderr and "hawk list eval-sets" in result.stderr
    )


def test_scan_export_writes_the_csv_of_every_scanner_result(
    api_env: dict[str, str], transcript_warehouse: str, tmp_path: Path
) -> None:
    results = fetch(
        transcript_warehouse,
        "SELECT r.uuid FROM hawk_raw.scanner_result r JOIN hawk_raw.scan s ON s.pk = r.scan_pk"
        " WHERE s.job_id = %s",
        (SCAN_RUN_ID,),
    )
    to_file = hawk(["scan-export", SCAN_RUN_ID, "-o", "out.csv"], tmp_path, api_env)
    assert to_file.returncode == 0, to_file.stderr
    text = (tmp_path / "out.csv").read_text()
    assert next(csv.reader(io.StringIO(text))) == list(HEADER)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(row["uuid"] for row in rows) == sorted(row["uuid"] for row in results)
    to_stdout = hawk(["scan-export", SCAN_RUN_ID], tmp_path, api_env)
    assert to_stdout.returncode == 0 and to_stdout.stdout == text


def test_scan_export_of_an_unknown_scan_is_one_line(api_env: dict[str, str], tmp_path: Path) -> None:
    result = hawk(["scan-export", "no-such-scan", "-o", "x.csv"], tmp_path, api_env)
    assert result.returncode == 1 and "no-such-scan" in result.stderr
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.csv.partial").exists()


def test_help_lists_the_verbs(tmp_path: Path) -> None:
    result = hawk(["--help"], REPO_ROOT, {"PATH": "/usr/bin:/bin"})
    for verb in ("transcript ", "transcripts ", "scan-export "):
        assert verb in result.stdout
