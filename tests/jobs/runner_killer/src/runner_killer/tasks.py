"""`runner_killer/die_once`: n samples; the last one kills the runner process the first time.

Every solve appends its sample id to `<marker_dir>/solved.log`, so a test can count how often each
sample ran. The last sample waits until the other `n - 1` samples are recorded as completed (what a
resumed eval set recovers), then, unless `<marker_dir>/killed` exists, creates it and SIGKILLs its own
process: the death of a pod, without any error reported.

A completed sample sits in Inspect's sample buffer only until it is flushed into the log file, where
it is removed from the buffer (with few samples that is at once), so both places are read.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.scorer import match
from inspect_ai.solver import Generate, Solver, TaskState, generate, solver

WAIT_LIMIT_SECONDS = 120.0
POLL_SECONDS = 0.1


async def completed_samples(location: str) -> set[str]:
    """Ids of the samples recorded as completed for the log at `location`: those flushed into the log
    file plus those still held as completed in Inspect's sample buffer. A read that races a write counts
    nothing from that place; the caller polls again."""
    from inspect_ai.log import read_eval_log_sample_summaries_async
    from inspect_ai.log._recorders.buffer.database import SampleBufferDatabase

    done: set[str] = set()
    with contextlib.suppress(Exception):
        done.update(str(sample.id) for sample in await read_eval_log_sample_summaries_async(location))
    try:
        buffered = SampleBufferDatabase(location, create=False, read_only=True).get_samples()
    except Exception:
        buffered = None
    if buffered is not None and buffered != "NotModified":
        done.update(str(sample.id) for sample in buffered.samples if sample.completed)
    return done


@solver
def solve_and_die_once(marker_dir: str, killer_id: str) -> Solver:
    directory = Path(marker_dir)

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        directory.mkdir(parents=True, exist_ok=True)
        with (directory / "solved.log").open("a", encoding="utf-8") as handle:
            handle.write(f"{state.sample_id}\n")
        killed = directory / "killed"
        if str(state.sample_id) == killer_id and not killed.exists():
            from inspect_ai.log._samples import sample_active

            active = sample_active()
            location = active.log_location if active is not None else ""
            others = set(state.metadata.get("others", [])) if state.metadata else set()
            waited = 0.0
            while not others <= await completed_samples(location) and waited < WAIT_LIMIT_SECONDS:
                await asyncio.sleep(POLL_SECONDS)
                waited += POLL_SECONDS
            killed.write_text("killed once\n")
            os.kill(os.getpid(), signal.SIGKILL)
        return state

    return solve


@task
def die_once(n: int = 4, marker_dir: str = "/tmp/runner-killer") -> Task:
    """`n` samples s0..s<n-1>; s<n-1> kills the runner once (see the module)."""
    ids = [f"s{index}" for index in range(int(n))]
    samples = [
        Sample(id=sample_id, input=f"Say {sample_id}", target=sample_id, metadata={"others": ids[:-1]})
        for sample_id in ids
    ]
    return Task(dataset=samples, solver=[solve_and_die_once(marker_dir, ids[-1]), generate()], scorer=match())
