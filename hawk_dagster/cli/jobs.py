"""`hawk list | status | logs | delete`: the researcher's view of their runs, through the Hawk API
(`hawk_dagster.client.HawkClient`). `--json` prints the API's answer for scripts. An omitted ID is the
last eval set (else scan) id; an explicit one becomes the last id."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import click

from hawk_dagster.cli.api_client import ApiError
from hawk_dagster.cli.main import fail
from hawk_dagster.client.hawk import HawkClient
from hawk_dagster.runs.table import format_table

KINDS = ("eval-set", "scan")
FOLLOW_POLL_SECONDS = 2.0

json_option = click.option("--json", "as_json", is_flag=True, help="Print the API's JSON answer.")
id_argument = click.argument("job_id", metavar="[ID]", required=False)


def resolve_id(job_id: str | None) -> str:
    """The given id, else the last remembered eval set (then scan) id."""
    from hawk_dagster.cli.launch import last_id

    if job_id:
        return job_id
    for kind in KINDS:
        remembered = last_id(kind)
        if remembered:
            return remembered
    fail("no ID given and no last eval set or scan id: pass an ID (see `hawk list eval-sets`)")
    raise AssertionError  # unreachable


def remember(job_id: str, given: str | None, kind: str | None) -> None:
    from hawk_dagster.cli.launch import remember_last_id

    if given and kind in KINDS:
        remember_last_id(job_id, kind)


def answer_or_fail(request: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return request()
    except ApiError as exc:
        fail(str(exc))
        raise AssertionError from None  # unreachable


def echo_json(answer: Any) -> None:
    click.echo(json.dumps(answer, indent=2, sort_keys=True))


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


def when(value: Any) -> str:
    return str(value)[:19].replace("T", " ") if value else "-"


COLUMNS: dict[str, tuple[Sequence[str], Callable[[dict[str, Any]], Sequence[Any]]]] = {
    "eval-sets": (
        ("EVAL SET ID", "STATUS", "CREATED BY", "EVALS", "SAMPLES", "SCORE", "LAST ACTIVITY"),
        lambda r: (
            r["eval_set_id"],
            r["status"],
            r["created_by"],
            r["evals"],
            f"{r['samples_completed']}/{r['samples_total']}",
            r["score"],
            when(r["last_activity_at"]),
        ),
    ),
    "evals": (
        ("EVAL ID", "EVAL SET", "TASK", "MODEL", "STATUS", "SAMPLES", "SCORE"),
        lambda r: (
            r["eval_id"],
            r["eval_set_id"],
            r["task_name"],
            r["model"],
            r["status"],
            f"{r['samples_completed']}/{r['samples_total']}",
            r["score"],
        ),
    ),
    "samples": (
        ("SAMPLE UUID", "SAMPLE", "EPOCH", "TASK", "MODEL", "STATUS", "SCORE", "INVALID"),
        lambda r: (
            r["sample_uuid"],
            r["sample_id"],
            r["epoch"],
            r["task_name"],
            r["model"],
            r["status"],
            r["score"],
            "yes" if r.get("is_invalid") else None,
        ),
    ),
}


def print_page(listing: str, page: dict[str, Any]) -> None:
    header, row = COLUMNS[listing]
    items = page.get("items") or []
    if not items:
        click.echo(f"no {listing.replace('-', ' ')} found (or none you may read)")
        return
    click.echo(format_table(header, [[cell(value) for value in row(item)] for item in items]))
    if page.get("next_cursor"):
        click.echo(f"more: --cursor {page['next_cursor']}")


def list_options(verb: Callable[..., None]) -> Callable[..., None]:
    options = [
        click.option("--search", help="Text matched against ids, tasks and models (case-insensitive)."),
        click.option("--status", help="started, success, error, cancelled (samples: their status)."),
        click.option("--score-min", type=float, help="Lowest mean (samples: primary) score."),
        click.option("--score-max", type=float, help="Highest mean (samples: primary) score."),
        click.option("--created-by", help="Only runs by this user (email)."),
        click.option("--model", help="Only this model (with or without its provider prefix)."),
        click.option("--task", help="Only this task."),
        click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True),
        click.option("--cursor", help="The `more: --cursor` of the previous page."),
        json_option,
    ]
    for option in reversed(options):
        verb = option(verb)
    return verb


@click.group("list")
def list_group() -> None:
    """List eval sets, evals or samples you may read, newest first."""


def run_list(listing: str, request: Callable[[HawkClient], dict[str, Any]], as_json: bool) -> None:
    page = answer_or_fail(lambda: request(HawkClient()))
    echo_json(page) if as_json else print_page(listing, page)


@list_group.command("eval-sets")
@list_options
def list_eval_sets(as_json: bool, **filters: Any) -> None:
    """Eval sets: status, owner, evals, samples done/total, mean score."""
    run_list("eval-sets", lambda client: client.list_eval_sets(**filters), as_json)


@list_group.command("evals")
@click.argument("eval_set_id", metavar="[EVAL_SET_ID]", required=False)
@list_options
def list_evals(eval_set_id: str | None, as_json: bool, **filters: Any) -> None:
    """Evals (task x model) of an eval set, or of all you may read."""
    run_list("evals", lambda client: client.list_evals(eval_set_id, **filters), as_json)


@list_group.command("samples")
@click.argument("parent_id", metavar="[ID]", required=False)
@click.option(
    "--invalid/--valid",
    default=None,
    help="Only invalidated samples (--invalid) or only valid ones (--valid); default both.",
)
@list_options
def list_samples(parent_id: str | None, as_json: bool, **filters: Any) -> None:
    """Samples of an eval set or eval (ID), or of all you may read; INVALID marks invalidated ones."""
    run_list("samples", lambda client: client.list_samples(parent_id, **filters), as_json)


def format_edits(edits: dict[str, Any]) -> list[str]:
    """A sample-edit request's part of `hawk status`: who asked, and each log file it edits."""
    rows = [
        (f.get("eval_set_id"), f.get("state"), len(f.get("samples") or []), f.get("edits"), f.get("log"))
        for f in edits.get("files") or []
    ]
    header = ("EVAL SET", "STATE", "SAMPLES", "EDITS", "LOG")
    return [
        f"request {edits['request_uuid']} by {edits['author']} at {when(edits.get('created_at'))}: "
        f"{edits['edits']} edit(s), {edits['files_applied']}/{len(rows)} log file(s) applied",
        "",
        format_table(header, [[cell(v) for v in r] for r in rows]),
    ]


def format_status(status: dict[str, Any]) -> str:
    """`hawk status` as text: the run, each task x model's (or scanner x model's, or a sample edit's log
    file's) progress, errors, pods, where the logs are."""
    run = status.get("run")
    lines = [f"{status['kind']} {status['id']}"]
    if run:
        lines.append(f"run {run['run_id']}: {run['status']} ({run['executor']})  {run['run_url']}")
    else:
        lines.append("run: none found in Dagster")
    if status.get("edits"):
        lines += ["", *format_edits(status["edits"])]
    tasks = status.get("tasks") or []
    shards = status.get("shards") or []
    if shards:
        shard_rows = [
            (
                s.get("shard"),
                s.get("state"),
                f"{s.get('logs', 0)}/{cell(s.get('cells'))}",
                f"{s.get('samples_done', '-')}/{cell(s.get('samples_total'))}",
            )
            for s in shards
        ]
        shard_header = ("SHARD", "STATE", "LOGS", "SAMPLES")
        lines += ["", format_table(shard_header, [[cell(v) for v in r] for r in shard_rows])]
    if tasks:
        rows = [
            (
                *((t.get("shard"),) if shards else ()),
                t.get("task"),
                t.get("model"),
                t.get("status"),
                f"{t.get('samples_done', '-')}/{cell(t.get('samples_total'))}",
            )
            for t in tasks
        ]
        columns = (*(("SHARD",) if shards else ()), "TASK", "MODEL", "STATUS", "SAMPLES")
        lines += ["", format_table(columns, [[cell(v) for v in r] for r in rows])]
    scanners = status.get("scanners") or []
    if scanners:
        scan_rows = [
            (
                s.get("model") or "-",
                s.get("scanner"),
                s.get("state"),
                f"{s.get('transcripts_done', '-')}/{cell(s.get('transcripts_total'))}",
                s.get("results"),
                s.get("errors"),
            )
            for s in scanners
        ]
        header = ("MODEL", "SCANNER", "STATE", "TRANSCRIPTS", "RESULTS", "ERRORS")
        lines += ["", format_table(header, [[cell(v) for v in r] for r in scan_rows])]
    for pod in status.get("pods") or []:
        reasons = f" ({'; '.join(pod['reasons'])})" if pod.get("reasons") else ""
        lines.append(f"pod {pod['name']}: {pod['phase']}{reasons}")
        if pod.get("reason"):
            lines.append(f"  why: {pod['reason']}")
        lines.extend(f"  {event}" for event in pod.get("events") or [])
    if status.get("errors"):
        lines += ["", "errors:", *(f"  {error}" for error in status["errors"])]
    if status.get("logs"):
        lines += ["", f"logs: {status['logs']}"]
    return "\n".join(lines)


@click.command("status")
@id_argument
@json_option
def status(job_id: str | None, as_json: bool) -> None:
    """The run's state, each task x model's progress, errors, where the logs are.

    ID is an eval set, a scan run, or a sample-edit request (its request or run id): then each log file
    it edits, with its samples and whether it is applied."""
    resolved = resolve_id(job_id)
    answer = answer_or_fail(lambda: HawkClient().status(resolved))
    remember(resolved, job_id, answer.get("kind"))
    echo_json(answer) if as_json else click.echo(format_status(answer))


@click.command("logs")
@id_argument
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines until the run ends.")
@click.option("-n", "--lines", "tail", type=click.IntRange(min=1), help="Only the last N lines (at first).")
@json_option
def logs(job_id: str | None, follow: bool, tail: int | None, as_json: bool) -> None:
    """The run's log: Dagster's event log and the runner's stdout/stderr."""
    resolved = resolve_id(job_id)
    client = HawkClient()
    answer = answer_or_fail(lambda: client.logs(resolved, tail=tail))
    remember(resolved, job_id, answer.get("kind"))
    while True:
        if as_json:
            click.echo(json.dumps(answer, sort_keys=True))
        else:
            for line in answer.get("lines") or []:
                click.echo(line)
        if not follow or answer.get("done"):
            return
        time.sleep(FOLLOW_POLL_SECONDS)
        answer = answer_or_fail(functools.partial(client.logs, resolved, cursor=answer.get("cursor")))


@click.command("delete")
@id_argument
@json_option
def delete(job_id: str | None, as_json: bool) -> None:
    """Stop the run and remove its Kubernetes Jobs, pods and secrets; logs and warehouse rows are kept.

    A sample-edit request is only stopped while its run is running; an ended one is refused (its edits
    are in the logs: undo one with another `hawk edit-samples`)."""
    resolved = resolve_id(job_id)
    answer = answer_or_fail(lambda: HawkClient().delete(resolved))
    remember(resolved, job_id, answer.get("kind"))
    if as_json:
        echo_json(answer)
        return
    if answer.get("stopped"):
        click.echo(f"stopped run {answer['stopped']} of {resolved}")
    else:
        state = f" (run {answer['run_id']}: {answer['status']})" if answer.get("run_id") else ""
        click.echo(f"{resolved}: nothing to stop{state}")
    for item in answer.get("removed") or []:
        click.echo(f"removed {item}")
    click.echo(f"kept the logs at {answer['kept']} and the warehouse rows")
