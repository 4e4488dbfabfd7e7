"""The markdown transcript of real samples (offline arith_tools and arith logs read with Inspect), and the
rendering's edge cases on hand-written samples."""

from __future__ import annotations

from typing import Any

import pytest
from inspect_ai.log import read_eval_log

from hawk_dagster.transcripts.markdown import fenced, render_markdown
from tests.transcripts.stack import (
    SOURCE_EVAL_SET_ID,
    TranscriptLogs,
)


def real_samples(logs: TranscriptLogs, task: str) -> list[dict[str, Any]]:
    folder = logs.root / "evals" / SOURCE_EVAL_SET_ID
    for path in sorted(folder.glob("*.eval")):
        log = read_eval_log(str(path))
        if log.eval.task.endswith(task) and log.eval.model == "hawk-offline/careful":
            return [sample.model_dump(mode="json", exclude_none=True) for sample in log.samples or []]
    raise AssertionError(f"no careful {task} log in {folder}")


def text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if part.get("type") == "text")


@pytest.mark.parametrize("task", ["arith_tools", "arith"])
def test_a_real_sample_shows_the_question_the_answer_and_the_scores(
    transcript_logs: TranscriptLogs, task: str
) -> None:
    for sample in real_samples(transcript_logs, task):
        rendered = render_markdown(sample, {"eval set": SOURCE_EVAL_SET_ID})
        question = next(text_of(m["content"]) for m in sample["messages"] if m["role"] == "user")
        answer = text_of([m for m in sample["messages"] if m["role"] == "assistant"][-1]["content"])
        assert question.strip() and answer.strip()
        assert question.strip() in rendered and answer.strip() in rendered
        assert rendered.startswith(f"# Sample {sample['id']} (epoch {sample['epoch']})")
        assert f"- **uuid:** {sample['uuid']}" in rendered
        assert f"- **eval set:** {SOURCE_EVAL_SET_ID}" in rendered
        assert "### 1. System" in rendered and "## Scores" in rendered
        for scorer, score in sample["scores"].items():
            assert f"| {scorer} | " in rendered and str(score["value"]) in rendered


def test_tool_calls_and_their_results_are_rendered(transcript_logs: TranscriptLogs) -> None:
    samples = real_samples(transcript_logs, "arith_tools")
    calls = [
        (message, call)
        for sample in samples
        for message in sample["messages"]
        for call in message.get("tool_calls") or []
    ]
    assert calls, "the arith_tools samples made no tool call"
    for sample in samples:
        rendered = render_markdown(sample)
        for message in sample["messages"]:
            for call in message.get("tool_calls") or []:
                assert f"**Tool call:** `{call['function']}` (`{call['id']}`)" in rendered
                for name in call["arguments"]:
                    assert f'"{name}":' in rendered
            if message["role"] == "tool":
                assert f"Tool result: `{message['function']}`" in rendered
                assert text_of(message["content"]).strip() in rendered


def test_messages_are_numbered_in_order_with_their_roles() -> None:
    sample = {
        "id": "q1",
        "epoch": 2,
        "uuid": "u" * 22,
        "target": ["4", "four"],
        "messages": [
            {"role": "user", "content": "What is 2+2?"},
            {
                "role": "assistant",
                "content": [{"type": "reasoning", "reasoning": "add them"}, {"type": "text", "text": "4"}],
            },
        ],
        "scores": {"match": {"value": "C", "answer": "4", "explanation": "a | b\nc"}},
        "metadata": {"level": 1},
    }
    rendered = render_markdown(sample)
    assert rendered.index("### 1. User\n\nWhat is 2+2?") < rendered.index("### 2. Assistant")
    assert "> **Reasoning**\n>\n> add them" in rendered
    assert "- **target:** 4; four" in rendered
    assert "| match | C | 4 | a \\| b<br>c |" in rendered
    assert '"level": 1' in rendered.split("## Metadata", 1)[1]


def test_without_messages_the_input_and_completion_are_shown() -> None:
    rendered = render_markdown({"id": 1, "epoch": 1, "input": "hi?", "output": {"completion": "hello"}})
    assert "### 1. User\n\nhi?" in rendered and "### 2. Assistant\n\nhello" in rendered
    assert "## Scores" not in rendered and "## Metadata" not in rendered


def test_a_tool_error_and_a_sample_error_are_shown() -> None:
    sample = {
        "id": 1,
        "epoch": 1,
        "messages": [
            {
                "role": "tool",
                "function": "bash",
                "content": "",
                "error": {"type": "timeout", "message": "slow"},
            }
        ],
        "error": {"message": "RuntimeError: boom", "traceback": "Traceback ..."},
    }
    rendered = render_markdown(sample)
    assert "Tool result: `bash`" in rendered and "**Error (timeout):** slow" in rendered
    assert "## Error\n\nRuntimeError: boom" in rendered


def test_a_fence_is_longer_than_the_backticks_it_holds() -> None:
    assert fenced("a ```` b").startswith("`````\n")
    assert fenced("plain", "json") == "```json\nplain\n```"
