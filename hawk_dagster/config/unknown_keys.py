"""Warnings for config keys hawk does not know (Hawk's `_validate_with_warnings`).

Walks the user's data alongside the validated model: a key kept in a model's `model_extra` is passed on
as is (to `inspect_ai.eval_set()` or `get_model()`), a key the model dropped is ignored. Both warn, with
a did-you-mean from the model's own field names. The extras stay in the model.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel, RootModel

from hawk_dagster.config.base import GetModelArgs, ModelConfig, generate_config_field_names
from hawk_dagster.config.errors import Path, format_path
from hawk_dagster.config.evals import EvalSetConfig
from hawk_dagster.config.inspect_surface import EVAL_SET_PARAMETERS
from hawk_dagster.config.scans import ScanConfig


def eval_set_parameter_names() -> frozenset[str]:
    """Keyword arguments of `inspect_ai.eval_set()` (from the generated `inspect_surface`)."""
    return EVAL_SET_PARAMETERS


def _input_keys(model_type: type[BaseModel]) -> dict[str, str]:
    """Input key (alias or name) -> field name."""
    keys: dict[str, str] = {}
    for name, field in model_type.model_fields.items():
        keys[name] = name
        if field.alias:
            keys[field.alias] = name
    return keys


def _did_you_mean(key: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _where(path: Path) -> str:
    return "top level" if not path else format_path(path)


def _extra_key_warning(model: BaseModel, key: str, path: Path, candidates: list[str]) -> str:
    head = f"unknown key '{key}' at {_where(path)}"
    if isinstance(model, EvalSetConfig):
        if key in eval_set_parameter_names() or key in generate_config_field_names():
            return f"{head}: it is not a hawk field and will be passed to inspect_ai.eval_set() as is"
        return f"{head}: it will be passed to inspect_ai.eval_set() as is{_did_you_mean(key, candidates)}"
    if isinstance(model, GetModelArgs):
        if key in generate_config_field_names():
            return (
                f"{head}: it will be passed to get_model() as a model argument "
                f"(to set the generation setting '{key}', move it under `config:`)"
            )
        return f"{head}: it will be passed to get_model() as is{_did_you_mean(key, candidates)}"
    if isinstance(model, ScanConfig):
        return (
            f"{head}: it is kept in the config but the scan does not use it{_did_you_mean(key, candidates)}"
        )
    return f"{head}: it is kept in the config as is{_did_you_mean(key, candidates)}"


def _ignored_key_warning(model: BaseModel, key: str, path: Path, candidates: list[str]) -> str:
    head = f"unknown key '{key}' at {_where(path)}: it is ignored"
    if isinstance(model, ModelConfig):
        if key in _input_keys(GetModelArgs):
            return f"{head} (get_model() arguments go under `args:`)"
        if key in generate_config_field_names():
            return f"{head} (generation settings go under `args: {{config: ...}}`)"
    return f"{head}{_did_you_mean(key, candidates)}"


def _walk(data: Any, value: Any, path: Path) -> Iterator[str]:
    if isinstance(value, RootModel):
        yield from _walk(data, value.root, path)
    elif isinstance(value, BaseModel):
        if not isinstance(data, Mapping):
            return
        fields = _input_keys(type(value))
        candidates = sorted(key for key in fields if not key.endswith("_"))
        extras = value.model_extra or {}
        for key, item in data.items():
            if key in fields:
                yield from _walk(item, value.__dict__[fields[key]], (*path, key))
            elif key in extras:
                yield _extra_key_warning(value, str(key), path, candidates)
            else:
                yield _ignored_key_warning(value, str(key), path, candidates)
    elif isinstance(value, list | tuple) and isinstance(data, list | tuple):
        for index, (item_data, item_value) in enumerate(zip(data, value, strict=False)):
            yield from _walk(item_data, item_value, (*path, index))
    elif isinstance(value, Mapping) and isinstance(data, Mapping):
        for key, item in data.items():
            if key in value:
                yield from _walk(item, value[key], (*path, key))


def unknown_key_warnings(data: Mapping[str, Any], config: BaseModel) -> list[str]:
    """One warning per key of `data` (recursively) that `config` keeps as an extra or ignores."""
    return list(_walk(data, config, ()))
