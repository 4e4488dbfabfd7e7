"""Load eval-set and scan configs from YAML with one-line errors and unknown-key warnings.

loaded = load_config_file("examples/eval_set.yaml")   # raises ConfigError
for warning in loaded.warnings: print("warning:", warning)
loaded.config  # EvalSetConfig | ScanConfig, extras kept
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import pydantic
import yaml

from hawk_dagster.config.errors import ConfigError, validation_error_lines
from hawk_dagster.config.evals import RUNNER_OWNED_EVAL_SET_KWARGS, EvalSetConfig, names_inspect_ai
from hawk_dagster.config.inspect_checks import eval_set_key_errors, scan_filter_errors
from hawk_dagster.config.scans import ScanConfig
from hawk_dagster.config.unknown_keys import unknown_key_warnings

ConfigKind = Literal["eval-set", "scan"]
CONFIG_KINDS: tuple[ConfigKind, ...] = get_args(ConfigKind)

__all__ = [
    "CONFIG_KINDS",
    "ConfigError",
    "ConfigKind",
    "LoadedConfig",
    "config_model",
    "detect_kind",
    "load_config_file",
    "parse_config_text",
    "validate_config_data",
]


@dataclass(frozen=True)
class LoadedConfig:
    """A validated config, its kind, and warnings to show the user (unknown keys, deprecations)."""

    config: EvalSetConfig | ScanConfig
    kind: ConfigKind
    warnings: list[str] = field(default_factory=list)


def config_model(kind: ConfigKind) -> type[EvalSetConfig] | type[ScanConfig]:
    if kind == "eval-set":
        return EvalSetConfig
    if kind == "scan":
        return ScanConfig
    raise ConfigError(f"kind: '{kind}' is not a config kind (use 'eval-set' or 'scan')")


def detect_kind(data: Mapping[str, Any]) -> ConfigKind:
    """`scanners:`/`transcripts:` make a scan, `tasks:` an eval set; anything else is a ConfigError."""
    is_scan = "scanners" in data or "transcripts" in data
    is_eval_set = "tasks" in data
    if is_scan and is_eval_set:
        raise ConfigError(
            "top level: has both `tasks:` (eval set) and `scanners:`/`transcripts:` (scan) "
            "(put the eval set and the scan in separate files)"
        )
    if is_scan:
        return "scan"
    if is_eval_set:
        return "eval-set"
    raise ConfigError(
        "top level: cannot tell the kind of config "
        "(an eval set needs `tasks:`, a scan needs `scanners:` and `transcripts:`)"
    )


def _runner_owned_keys(config: EvalSetConfig) -> list[str]:
    return sorted(key for key in config.model_extra or {} if key in RUNNER_OWNED_EVAL_SET_KWARGS)


def _extra_warnings(data: Mapping[str, Any], config: EvalSetConfig | ScanConfig) -> list[str]:
    warnings: list[str] = []
    if isinstance(config, EvalSetConfig) and config.top_level_secrets():
        warnings.append("secrets: top-level `secrets` is deprecated (move the list under runner.secrets)")
    for index, spec in enumerate(config.packages or []):
        if names_inspect_ai(spec):
            warnings.append(
                f"packages[{index}]: '{spec}' is ignored because hawk installs its own pinned inspect-ai "
                "(remove it)"
            )
    return warnings


def validate_config_data(data: Any, kind: ConfigKind | None = None) -> LoadedConfig:
    """Validate already-parsed config data; `kind=None` detects it from the top-level keys."""
    if data is None:
        raise ConfigError(
            "top level: the config is empty "
            "(an eval set needs `tasks:`, a scan needs `scanners:` and `transcripts:`)"
        )
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"top level: expected a mapping of keys such as `tasks:`, got {type(data).__name__} "
            "(write the config as `key: value` lines)"
        )
    non_string_keys = [key for key in data if not isinstance(key, str)]
    if non_string_keys:
        raise ConfigError(f"top level: key {non_string_keys[0]!r} is not a string (quote it or remove it)")
    resolved_kind = detect_kind(data) if kind is None else kind
    model = config_model(resolved_kind)
    try:
        config = model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ConfigError(validation_error_lines(exc, data)) from None
    if isinstance(config, EvalSetConfig):
        owned = _runner_owned_keys(config)
        if owned:
            raise ConfigError(
                [
                    f"{key}: hawk sets this inspect_ai.eval_set() argument itself, "
                    "so the config cannot (remove the key)"
                    for key in owned
                ]
            )
    surface_errors = (
        eval_set_key_errors(config) if isinstance(config, EvalSetConfig) else scan_filter_errors(config)
    )
    if surface_errors:
        raise ConfigError(surface_errors)
    warnings = unknown_key_warnings(data, config) + _extra_warnings(data, config)
    return LoadedConfig(config=config, kind=resolved_kind, warnings=warnings)


def _yaml_error_line(error: yaml.YAMLError, source: str) -> str:
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        problem = error.problem or "invalid syntax"
        context = f" {error.context}" if error.context else ""
        return (
            f"{source}:{mark.line + 1}:{mark.column + 1}: invalid YAML{context}: {problem} "
            "(fix the syntax at that line: check indentation, quotes, and ': ' after keys)"
        )
    return f"{source}: invalid YAML: {error} (fix the YAML syntax)"


def parse_config_text(text: str, kind: ConfigKind | None = None, source: str = "<string>") -> LoadedConfig:
    """Parse YAML (or JSON) text and validate it; errors name `source` for YAML problems."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(_yaml_error_line(exc, source), source=source) from None
    try:
        return validate_config_data(data, kind)
    except ConfigError as exc:
        raise ConfigError(exc.lines, source=source) from None


def load_config_file(path: str | os.PathLike[str], kind: ConfigKind | None = None) -> LoadedConfig:
    """Read and validate a YAML config file."""
    source = os.fspath(path)
    try:
        with open(source, encoding="utf-8") as file:
            text = file.read()
    except FileNotFoundError:
        raise ConfigError(f"{source}: file not found (check the path)", source=source) from None
    except IsADirectoryError:
        raise ConfigError(f"{source}: is a directory (give the path of a YAML file)", source=source) from None
    except UnicodeDecodeError:
        raise ConfigError(
            f"{source}: is not UTF-8 text (save the config as UTF-8 YAML)", source=source
        ) from None
    return parse_config_text(text, kind, source=source)
