"""Checks against Inspect's and Scout's surface: what the run would refuse, refused before it starts.

- An eval set's unknown top-level key is passed to `inspect_ai.eval_set()` as is. `eval_set()` takes
  its named parameters and `**kwargs: Unpack[GenerateConfigArgs]`, which go to `GenerateConfig(**kwargs)`;
  that rejects any other name ("Unknown GenerateConfig field(s)") and any ill-typed value. So a key must
  be an `eval_set()` parameter or a `GenerateConfig` field, and a `GenerateConfig` value must validate.
- A scan filter names transcript columns; the scan refuses a column Scout's transcript index does not
  have (`hawk_dagster/scans/filters.py: check_columns`). The columns are known from the pinned Scout,
  except `score_<scorer>`, which depends on the logs and is checked by the run.

The names come from `inspect_surface.py` (generated from the pinned packages), so these checks import
neither inspect_ai nor inspect_scout; only a top-level `GenerateConfig` value imports inspect_ai.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Iterator, Mapping
from typing import Any

from hawk_dagster.config.errors import Path, format_path
from hawk_dagster.config.evals import RUNNER_OWNED_EVAL_SET_KWARGS, EvalSetConfig
from hawk_dagster.config.inspect_surface import (
    EVAL_SET_PARAMETERS,
    GENERATE_CONFIG_FIELDS,
    TRANSCRIPT_COLUMN_PATTERNS,
    TRANSCRIPT_COLUMNS,
)
from hawk_dagster.config.scans import ScanConfig, TranscriptFilterConfig

_LOGICAL_KEYS = ("not", "or")
_PATH_SEPARATOR = re.compile(r"[.\[]")


def _did_you_mean(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.7)
    return f"did you mean '{close[0]}'? " if close else ""


def _eval_set_key_candidates() -> list[str]:
    hawk_keys = {field.alias or name for name, field in EvalSetConfig.model_fields.items()}
    return sorted((hawk_keys | EVAL_SET_PARAMETERS | GENERATE_CONFIG_FIELDS) - RUNNER_OWNED_EVAL_SET_KWARGS)


def _generate_config_value_problems(values: Mapping[str, Any]) -> list[str]:
    """Problems `GenerateConfig(**values)` would raise, one line per field (imports inspect_ai)."""
    import pydantic

    from hawk_dagster.config.base import generate_config_forbidding_extras

    try:
        generate_config_forbidding_extras().model_validate(dict(values))
    except pydantic.ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(
                f"{field}: {message} (inspect_ai.eval_set() passes it to GenerateConfig, which would fail "
                "the run: fix the value, see inspect_ai's GenerateConfig)"
            )
        return lines
    return []


def eval_set_key_errors(config: EvalSetConfig) -> list[str]:
    """One line per extra top-level key that `inspect_ai.eval_set()` would reject."""
    extras = {
        key: value
        for key, value in (config.model_extra or {}).items()
        if key not in RUNNER_OWNED_EVAL_SET_KWARGS
    }
    lines: list[str] = []
    candidates = _eval_set_key_candidates()
    for key in extras:
        if key in EVAL_SET_PARAMETERS or key in GENERATE_CONFIG_FIELDS:
            continue
        lines.append(
            f"{format_path((key,))}: unknown key: it is not a hawk field, an inspect_ai.eval_set() argument "
            "or a GenerateConfig setting, so eval_set() would fail the run with 'Unknown GenerateConfig "
            f"field(s): {key}' ({_did_you_mean(key, candidates)}remove it or fix its name)"
        )
    generate = {key: value for key, value in extras.items() if key in GENERATE_CONFIG_FIELDS}
    if generate:
        lines.extend(_generate_config_value_problems(generate))
    return lines


def is_transcript_column(name: str) -> bool:
    """Whether Scout's transcript index of eval logs can have a column `name` (top-level name)."""
    return name in TRANSCRIPT_COLUMNS or any(
        fnmatch.fnmatchcase(name, pattern) for pattern in TRANSCRIPT_COLUMN_PATTERNS
    )


def _is_logical(item: Mapping[str, Any]) -> bool:
    """As `hawk_dagster/scans/filters.py`: `{not|or: [mappings...]}`, else a column filter."""
    if len(item) != 1:
        return False
    key, value = next(iter(item.items()))
    return (
        key in _LOGICAL_KEYS
        and isinstance(value, list)
        and bool(value)
        and all(isinstance(entry, Mapping) for entry in value)
    )


def _filter_columns(items: Any, path: Path) -> Iterator[tuple[Path, str]]:
    """(path of the filter entry, column name) for every column a `where` list reads."""
    if not isinstance(items, list):
        return
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            continue
        if _is_logical(item):
            key, entries = next(iter(item.items()))
            yield from _filter_columns(entries, (*path, index, key))
            continue
        for column in item:
            yield (*path, index, str(column)), str(column)


def _unknown_column_line(path: Path, column: str) -> str:
    top = _PATH_SEPARATOR.split(column, maxsplit=1)[0]
    known = sorted(TRANSCRIPT_COLUMNS)
    patterns = ", ".join(pattern.replace("*", "<scorer>") for pattern in TRANSCRIPT_COLUMN_PATTERNS)
    return (
        f"{format_path(path)}: unknown transcript column '{top}', so the scan would refuse it "
        f"({_did_you_mean(top, known)}valid columns: {', '.join(known)}, {patterns}; "
        "dotted names such as sample_metadata.<key> read JSON columns)"
    )


def _filter_errors(config: TranscriptFilterConfig | None, path: Path) -> list[str]:
    if config is None:
        return []
    where = config.model_dump(mode="json", by_alias=True).get("where")
    return [
        _unknown_column_line(entry, column)
        for entry, column in _filter_columns(where, (*path, "where"))
        if not is_transcript_column(_PATH_SEPARATOR.split(column, maxsplit=1)[0])
    ]


def scan_filter_errors(config: ScanConfig) -> list[str]:
    """One line per filter column (global or per scanner) that Scout's transcripts do not have."""
    lines = _filter_errors(config.transcripts.filter, ("transcripts", "filter"))
    for package_index, package in enumerate(config.scanners):
        for item_index, item in enumerate(package.items):
            lines += _filter_errors(item.filter, ("scanners", package_index, "items", item_index, "filter"))
    return lines
