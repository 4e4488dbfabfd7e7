"""`hawk transcript`, `hawk transcripts` and `hawk scan-export`: a sample as markdown (or its JSON), every
sample of an eval set as files, and a scan run's scanner results as CSV, through the Hawk API."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import IO, Any

import click

from hawk_dagster.cli.api_client import ApiError, access_token, api_url, call, refusal, unreachable

SAMPLE_UUID = re.compile(r"^[A-Za-z0-9]{22}$")
EVAL_SET_KIND = "eval-set"
SCAN_KIND = "scan"
DOWNLOAD_TIMEOUT_SECONDS = 600.0


def fail(message: str) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(1)


def download(path: str, out: IO[bytes]) -> int:
    """Stream `GET path` into `out`; the bytes written, or ApiError with one line."""
    import httpx

    url = api_url()
    token = access_token()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    written = 0
    try:
        with httpx.stream(
            "GET", f"{url}{path}", headers=headers, timeout=DOWNLOAD_TIMEOUT_SECONDS
        ) as response:
            if response.status_code >= 400:
                raise refusal(response.status_code, response.read().decode("utf-8", "replace"))
            for chunk in response.iter_bytes():
                out.write(chunk)
                written += len(chunk)
    except httpx.HTTPError as exc:
        raise unreachable(url, exc) from None
    return written


def one_line(error: Exception, option: str, target: Path | None) -> str:
    """The API's one line, or which output could not be written and why."""
    if isinstance(error, OSError):
        return f"{option}: cannot write {target} ({error.strerror or error})"
    return str(error)


def job_id_or_last(job_id: str | None, kind: str, argument: str) -> str:
    """The given id (remembered as the last one), else the last id; fails when there is none."""
    from hawk_dagster.cli.launch import last_id, remember_last_id

    if job_id:
        remember_last_id(job_id, kind)
        return job_id
    remembered = last_id(kind)
    if not remembered:
        fail(f"{argument}: no id given and no last {kind} id remembered (pass it, see `hawk list {kind}s`)")
        raise AssertionError  # unreachable
    return remembered


def check_uuid(uuid: str) -> None:
    if not SAMPLE_UUID.match(uuid):
        fail(
            f"SAMPLE_UUID: '{uuid}' is not a sample uuid (22 letters and digits, as `hawk list samples` shows)"
        )


def sample_file(sample: dict[str, Any], raw: bool, context: dict[str, Any]) -> str:
    """The file content of one sample: indented JSON, or the markdown transcript."""
    if raw:
        return json.dumps(sample, indent=2, ensure_ascii=False) + "\n"
    from hawk_dagster.transcripts.markdown import render_markdown

    return render_markdown(sample, context)


@click.command("transcript")
@click.argument("sample_uuid")
@click.option("--raw", is_flag=True, help="Print the sample's JSON instead of markdown.")
def transcript(sample_uuid: str, raw: bool) -> None:
    """Print one sample's transcript as markdown (messages, tool calls, scores, metadata)."""
    check_uuid(sample_uuid)
    try:
        sample = call("GET", f"/samples/{sample_uuid}/transcript")
        where = {} if raw else call("GET", f"/meta/samples/{sample_uuid}")
    except ApiError as exc:
        fail(str(exc))
        return
    context = {"eval set": where.get("eval_set_id"), "log": where.get("filename")}
    click.echo(sample_file(sample, raw, context), nl=False)


@click.command("transcripts")
@click.argument("eval_set_id", required=False)
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the files (default: ./<eval set id>-transcripts).",
)
@click.option("--limit", type=click.IntRange(min=1), help="At most this many samples.")
@click.option("--raw", is_flag=True, help="Write each sample's JSON (<uuid>.json) instead of markdown.")
def transcripts(eval_set_id: str | None, output_dir: Path | None, limit: int | None, raw: bool) -> None:
    """Write every sample of an eval set (default: the last one) as <uuid>.md, one file per sample."""
    eval_set_id = job_id_or_last(eval_set_id, EVAL_SET_KIND, "EVAL_SET_ID")
    target = output_dir or Path(f"{eval_set_id}-transcripts")
    query = f"?limit={limit}" if limit else ""
    try:
        listed = call("GET", f"/eval_sets/{eval_set_id}/samples{query}")
        target.mkdir(parents=True, exist_ok=True)
        written = 0
        for ref in listed["samples"]:
            sample = call("GET", f"/samples/{ref['uuid']}/transcript")
            context = {"eval set": eval_set_id, "task": ref.get("task_name"), "model": ref.get("model")}
            path = target / f"{ref['uuid']}.{'json' if raw else 'md'}"
            path.write_text(sample_file(sample, raw, context), encoding="utf-8")
            written += 1
    except (ApiError, OSError) as exc:
        fail(one_line(exc, "--output-dir", target))
        return
    click.echo(
        f"Wrote {written} transcript{'s' if written != 1 else ''} of eval set {eval_set_id} to {target}"
    )


@click.command("scan-export")
@click.argument("scan_run_id", required=False)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the CSV here (default: stdout).",
)
def scan_export(scan_run_id: str | None, output: Path | None) -> None:
    """Export a scan run's scanner results (default: the last scan) as CSV."""
    scan_run_id = job_id_or_last(scan_run_id, SCAN_KIND, "SCAN_RUN_ID")
    path = f"/scans/{scan_run_id}/export.csv"
    try:
        if output is None:
            download(path, sys.stdout.buffer)
            sys.stdout.buffer.flush()
            return
        partial = output.with_name(output.name + ".partial")
        try:
            with partial.open("wb") as out:
                size = download(path, out)
            partial.replace(output)
        finally:
            partial.unlink(missing_ok=True)
    except (ApiError, OSError) as exc:
        fail(one_line(exc, "--output", output))
        return
    click.echo(f"Wrote {output} ({size} bytes)", err=True)
