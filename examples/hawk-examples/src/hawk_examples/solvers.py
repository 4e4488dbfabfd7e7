"""Solvers of the example tasks (each registered as `hawk_examples/<name>`)."""

from __future__ import annotations

import os
import re
import tempfile

from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser
from inspect_ai.solver import Generate, Solver, TaskState, solver

DEFAULT_FLAKY_MARKER_DIR = os.path.join(tempfile.gettempdir(), "hawk-examples-flaky")
NUMBER_ONLY_INSTRUCTIONS = "Answer with a number only."


@solver
def answer_prefix(prefix: str = "Answer:", instructions: str = NUMBER_ONLY_INSTRUCTIONS) -> Solver:
    """Ask for a number-only answer, generate, then put `prefix` in front of the completion.

    Args:
        prefix: Text put before the model's answer (recorded in the sample metadata too).
        instructions: System message added before generating (empty string: none).
    """

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        if instructions:
            state.messages.insert(0, ChatMessageSystem(content=instructions))
        state = await generate(state)
        state.metadata["answer_prefix"] = prefix
        if prefix:
            prefixed = f"{prefix} {state.output.completion}"
            state.output.completion = prefixed
            if state.messages and isinstance(state.messages[-1], ChatMessageAssistant):
                state.messages[-1].text = prefixed
        return state

    return solve


@solver
def fail_for_samples(sample_ids: list[str] | str = "s1") -> Solver:
    """Raise a RuntimeError for the listed sample ids (comma-separated string or list); others pass on.

    Args:
        sample_ids: Ids of the samples that fail, e.g. ["s1", "s4"] or "s1,s4".
    """
    failing = _id_set(sample_ids)

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        if str(state.sample_id) in failing:
            raise RuntimeError(f"hawk_examples: sample {state.sample_id} fails on purpose")
        return state

    return solve


@solver
def fail_while_broken(env_var: str = "HAWK_EXAMPLES_BROKEN") -> Solver:
    """Raise for the sample ids listed (comma-separated) in the environment variable `env_var`.

    The environment is not part of an eval set's task identity: Inspect's eval_set() matches a re-run's
    tasks to the logs already in the folder by task, arguments and model, so a run with the variable set
    fails and a re-run of the same eval set without it resumes from that log and completes.

    Args:
        env_var: Name of the environment variable holding the failing sample ids.
    """

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        if str(state.sample_id) in _id_set(os.environ.get(env_var, "")):
            raise RuntimeError(f"hawk_examples: sample {state.sample_id} is broken ({env_var} is set)")
        return await generate(state)

    return solve


@solver
def nag(sample_ids: list[str] | str = "s2", rounds: int = 10) -> Solver:
    """For the listed samples, ask "Are you sure?" up to `rounds` times after the answer.

    Each round adds two messages, so with a task message_limit those samples end with a limit.

    Args:
        sample_ids: Ids of the samples to nag, e.g. ["s2", "s5"] or "s2,s5".
        rounds: Number of follow-up questions.
    """
    nagged = _id_set(sample_ids)

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        if str(state.sample_id) not in nagged:
            return state
        for _ in range(int(rounds)):
            state.messages.append(ChatMessageUser(content="Are you sure? Check your answer again."))
            state = await generate(state)
        return state

    return solve


@solver
def fail_once(marker_dir: str | None = None, sample_ids: list[str] | str = "s1") -> Solver:
    """Fail the listed samples on their first attempt only, remembered by marker files.

    The marker is `<marker_dir>/<model>__<sample id>`: once it exists the sample succeeds, so an
    eval-set retry (or a resumed run) of the same model passes. Remove the directory to fail again.

    Args:
        marker_dir: Directory for marker files (default: `<tmp>/hawk-examples-flaky`).
        sample_ids: Ids of the samples that fail once, e.g. ["s1"] or "s1,s3".
    """
    directory = marker_dir or DEFAULT_FLAKY_MARKER_DIR
    flaky_ids = _id_set(sample_ids)

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        if str(state.sample_id) not in flaky_ids:
            return await generate(state)
        os.makedirs(directory, exist_ok=True)
        model = re.sub(r"[^A-Za-z0-9_.-]", "_", str(state.model))
        marker = os.path.join(directory, f"{model}__{state.sample_id}")
        if not os.path.exists(marker):
            with open(marker, "w", encoding="utf-8") as handle:
                handle.write("failed once\n")
            raise RuntimeError(f"hawk_examples: sample {state.sample_id} fails on its first attempt")
        return await generate(state)

    return solve


def _id_set(sample_ids: list[str] | str) -> set[str]:
    if isinstance(sample_ids, str):
        return {part.strip() for part in sample_ids.split(",") if part.strip()}
    return {str(sample_id) for sample_id in sample_ids}
