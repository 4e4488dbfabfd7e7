"""A sample as a readable markdown transcript: the messages with their roles, the assistant's tool calls
and the tool results, then the scores and the metadata.

Works on the sample's JSON (Inspect's `EvalSample` dumped, as `GET /samples/{uuid}/transcript` returns
it), so the CLI renders without importing Inspect.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

ROLE_TITLES = {"system": "System", "user": "User", "assistant": "Assistant", "tool": "Tool"}


def fenced(text: str, language: str = "") -> str:
    """`text` in a code fence longer than any run of backticks inside it."""
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"


def as_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def inline(value: Any) -> str:
    """A short value for a table cell: JSON for non-strings, newlines and pipes escaped."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>")


def content_text(content: Any) -> str:
    """Text of a message's content: a string, or a list of content parts (text, reasoning, media)."""
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for part in content or []:
        if not isinstance(part, Mapping):
            parts.append(str(part))
            continue
        kind = part.get("type")
        if kind == "text":
            parts.append(str(part.get("text", "")))
        elif kind == "reasoning":
            reasoning = part.get("summary") or part.get("reasoning") or ""
            redacted = " (redacted)" if part.get("redacted") else ""
            parts.append(
                f"> **Reasoning{redacted}**\n>\n"
                + "\n".join(f"> {line}" for line in str(reasoning).splitlines())
            )
        elif kind in ("image", "audio", "video", "document"):
            source = part.get(kind) or part.get("filename") or ""
            shown = source if isinstance(source, str) and not source.startswith("data:") else "(embedded)"
            parts.append(f"*[{kind}: {shown}]*")
        else:
            parts.append(fenced(as_json(dict(part)), "json"))
    return "\n\n".join(part for part in parts if part)


def tool_call_lines(call: Mapping[str, Any]) -> list[str]:
    name = call.get("function", "?")
    call_id = f" (`{call['id']}`)" if call.get("id") else ""
    lines = [f"**Tool call:** `{name}`{call_id}", "", fenced(as_json(call.get("arguments", {})), "json")]
    if call.get("parse_error"):
        lines += ["", f"*Parse error:* {call['parse_error']}"]
    return lines


def message_lines(message: Mapping[str, Any], number: int) -> list[str]:
    role = str(message.get("role", "?"))
    title = ROLE_TITLES.get(role, role.title())
    if role == "tool":
        function = message.get("function") or "?"
        title = f"Tool result: `{function}`"
    lines = [f"### {number}. {title}", ""]
    text = content_text(message.get("content"))
    if role == "tool":
        lines.append(fenced(text) if text else "*(no output)*")
        error = message.get("error")
        if isinstance(error, Mapping):
            lines += ["", f"**Error ({error.get('type', 'error')}):** {error.get('message', '')}"]
    elif text:
        lines.append(text)
    for call in message.get("tool_calls") or []:
        if isinstance(call, Mapping):
            lines += ["", *tool_call_lines(call)]
    return [*lines, ""]


def score_lines(scores: Mapping[str, Any]) -> list[str]:
    lines = ["## Scores", "", "| scorer | value | answer | explanation |", "|---|---|---|---|"]
    for name, score in scores.items():
        score = score if isinstance(score, Mapping) else {"value": score}
        cells = [score.get(key) for key in ("value", "answer", "explanation")]
        lines.append(
            f"| {inline(name)} | " + " | ".join("" if c is None else inline(c) for c in cells) + " |"
        )
    return [*lines, ""]


def header_lines(sample: Mapping[str, Any], context: Mapping[str, Any] | None) -> list[str]:
    lines = [f"# Sample {sample.get('id', '?')} (epoch {sample.get('epoch', '?')})", ""]
    facts: dict[str, Any] = {"uuid": sample.get("uuid"), **dict(context or {})}
    target = sample.get("target")
    if target not in (None, "", []):
        facts["target"] = target if isinstance(target, str) else "; ".join(str(t) for t in target or [])
    for key, value in facts.items():
        if value not in (None, ""):
            lines.append(f"- **{key}:** {inline(value)}")
    return [*lines, ""]


def messages_of(sample: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    """The conversation: `messages`, else the input (a string or messages) and the output's completion."""
    messages = sample.get("messages")
    if messages:
        return [m for m in messages if isinstance(m, Mapping)]
    given = sample.get("input")
    conversation: list[Mapping[str, Any]] = (
        [{"role": "user", "content": given}] if isinstance(given, str) else list(given or [])
    )
    completion = (sample.get("output") or {}).get("completion")
    if completion:
        conversation.append({"role": "assistant", "content": completion})
    return conversation


def render_markdown(sample: Mapping[str, Any], context: Mapping[str, Any] | None = None) -> str:
    """The transcript of `sample` (EvalSample JSON); `context` adds header facts (eval set, task, model)."""
    lines = header_lines(sample, context)
    lines += ["## Messages", ""]
    for number, message in enumerate(messages_of(sample), start=1):
        lines += message_lines(message, number)
    if sample.get("scores"):
        lines += score_lines(sample["scores"])
    error = sample.get("error")
    if isinstance(error, Mapping):
        lines += ["## Error", "", str(error.get("message", "")), ""]
        if error.get("traceback"):
            lines += [fenced(str(error["traceback"])), ""]
    limit = sample.get("limit")
    if isinstance(limit, Mapping):
        lines += ["## Limit", "", f"{limit.get('type', '?')} limit of {limit.get('limit', '?')} reached", ""]
    if sample.get("metadata"):
        lines += ["## Metadata", "", fenced(as_json(sample["metadata"]), "json"), ""]
    return "\n".join(lines).rstrip() + "\n"
