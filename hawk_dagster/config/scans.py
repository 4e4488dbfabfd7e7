"""Scan config (Hawk's `hawk/core/types/scans.py`, field for field).

One deliberate difference: an operator mapping with more than one key (e.g. `{gt: 0, lt: 10}`) is rejected
with a clear error; Hawk silently keeps the first operator. The operator models forbid extra keys so that
the union cannot drop keys quietly.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import pydantic
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel

from hawk_dagster.config.base import (
    BUILTIN_PACKAGE,
    DUPLICATE_SCANNER_KEY_ERROR,
    SHARDS_ERROR,
    WHERE_OPERATOR_ERROR,
    BuiltinConfig,
    ModelConfig,
    PackageConfig,
    RegistryItemConfig,
    RunnerConfig,
    SecretConfig,
    UserConfig,
    config_problem,
    secrets_field,
)
from hawk_dagster.config.evals import (
    SingleModelBuiltinConfig,
    SingleModelPackageConfig,
    dedupe_secrets,
    model_configs,
    names_inspect_ai,
)

MAX_EVAL_SET_IDS = 20
GUARANTEED_MIN_EVAL_SET_IDS = 10

_OPERATOR_CONFIG = ConfigDict(extra="forbid")


class LikeOperator(BaseModel):
    """SQL LIKE pattern (case-sensitive)."""

    model_config = _OPERATOR_CONFIG
    like: str


class ILikeOperator(BaseModel):
    """SQL ILIKE pattern (case-insensitive)."""

    model_config = _OPERATOR_CONFIG
    ilike: str


class GreaterThanOperator(BaseModel):
    """Strictly greater than."""

    model_config = _OPERATOR_CONFIG
    gt: Any


class GreaterThanOrEqualOperator(BaseModel):
    """Greater than or equal."""

    model_config = _OPERATOR_CONFIG
    ge: Any


class LessThanOperator(BaseModel):
    """Strictly less than."""

    model_config = _OPERATOR_CONFIG
    lt: Any


class LessThanOrEqualOperator(BaseModel):
    """Less than or equal."""

    model_config = _OPERATOR_CONFIG
    le: Any


class BetweenOperator(BaseModel):
    """Between two values, inclusive."""

    model_config = _OPERATOR_CONFIG
    between: tuple[Any, Any]


class CustomOperator(BaseModel):
    """Escape hatch: `getattr(Column(field), operator)(*args)` must return a Scout condition."""

    model_config = _OPERATOR_CONFIG
    operator: str
    args: list[Any]


WhereOperator = (
    LikeOperator
    | ILikeOperator
    | GreaterThanOperator
    | GreaterThanOrEqualOperator
    | LessThanOperator
    | LessThanOrEqualOperator
    | BetweenOperator
    | CustomOperator
)

SINGLE_KEY_OPERATORS: tuple[str, ...] = ("like", "ilike", "gt", "ge", "lt", "le", "between")
CUSTOM_OPERATOR_KEYS: frozenset[str] = frozenset({"operator", "args"})
_OPERATOR_SPELLINGS = {
    "gte": "ge",
    "lte": "le",
    ">": "gt",
    ">=": "ge",
    "<": "lt",
    "<=": "le",
    "in": "a list value",
    "eq": "a plain value",
    "==": "a plain value",
}
"""Operators users write by habit, and what our syntax calls them."""

FieldFilterValue = str | int | float | None | list[str | int | float] | WhereOperator


def _operator_mapping_problem(field: str, operator: Mapping[Any, Any]) -> str | None:
    keys = [str(key) for key in operator]
    if not keys:
        return f"filter on '{field}' is an empty mapping (use a value, a list, or one operator such as {{gt: 0}})"
    if CUSTOM_OPERATOR_KEYS & set(keys):
        if set(keys) != CUSTOM_OPERATOR_KEYS:
            return (
                f"filter on '{field}' is a custom operator with keys {sorted(keys)} "
                "(write exactly {operator: <Column method>, args: [...]})"
            )
        return None
    unknown = [key for key in keys if key not in SINGLE_KEY_OPERATORS]
    if unknown:
        close = _OPERATOR_SPELLINGS.get(unknown[0].lower())
        if close is None:
            matches = difflib.get_close_matches(unknown[0], SINGLE_KEY_OPERATORS, n=1)
            close = f"'{matches[0]}'" if matches else None
        elif close in SINGLE_KEY_OPERATORS:
            close = f"'{close}'"
        suggestion = f"did you mean {close}? " if close else ""
        return (
            f"filter on '{field}' uses unknown operator '{unknown[0]}' ({suggestion}operators are "
            f"{', '.join(SINGLE_KEY_OPERATORS)}, or {{operator, args}})"
        )
    if len(keys) > 1:
        return (
            f"filter on '{field}' has {len(keys)} operators ({', '.join(keys)}) but takes one "
            "(use {between: [low, high]}, or put each operator in its own where entry: entries are ANDed)"
        )
    return None


class FieldFilterSet(RootModel[dict[str, FieldFilterValue]]):
    """`{field: condition, ...}`, all ANDed. A condition is a value, null, a list (IN) or one operator."""

    @pydantic.model_validator(mode="before")
    @classmethod
    def _one_known_operator_per_field(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            for field, condition in data.items():
                if isinstance(condition, Mapping):
                    problem = _operator_mapping_problem(str(field), condition)
                    if problem is not None:
                        raise config_problem(WHERE_OPERATOR_ERROR, problem)
        return data


_CONDITION_CONFIG = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)


class NotCondition(BaseModel):
    """`{not: [conditions]}`: negation of the AND of the conditions."""

    model_config = _CONDITION_CONFIG
    not_: WhereConfig = Field(alias="not", min_length=1)


class OrCondition(BaseModel):
    """`{or: [c1, c2, ...]}`: OR of the conditions (at least two)."""

    model_config = _CONDITION_CONFIG
    or_: WhereConfig = Field(alias="or", min_length=2)


WhereConfig = Sequence[FieldFilterSet | NotCondition | OrCondition]

NotCondition.model_rebuild()
OrCondition.model_rebuild()


class TranscriptSource(BaseModel):
    """An eval set whose samples are scanned."""

    eval_set_id: str = Field(description="Id of the eval set to scan.")


class TranscriptFilterConfig(BaseModel):
    """Which transcripts to scan."""

    where: WhereConfig = Field(default=[], description="Conditions, ANDed.")
    limit: int | None = Field(default=None, description="Scan at most this many transcripts.")
    shuffle: bool | int | None = Field(
        default=None, description="Shuffle the transcripts (an int is the seed)."
    )


class TranscriptsConfig(BaseModel):
    """The transcripts to scan."""

    sources: list[TranscriptSource] = Field(description="Eval sets to scan.")
    filter: TranscriptFilterConfig | None = Field(
        default=None, description="Filter applied to every scanner without a filter of its own."
    )


class ScannerConfig(RegistryItemConfig):
    """A scanner from an Inspect Scout registry."""

    name: str = Field(description="Name of the scanner in the registry.")
    key: str | None = Field(
        default=None,
        min_length=1,
        description="Unique key of this scanner in the scan (results file name); defaults to name.",
    )
    args: dict[str, Any] | None = Field(default=None, description="Keyword arguments for the scanner.")
    secrets: list[SecretConfig] = secrets_field()
    filter: TranscriptFilterConfig | None = Field(
        default=None, description="Filter for this scanner only; replaces the global filter."
    )

    @property
    def scanner_key(self) -> str:
        return self.key or self.name


ScannerPackages = list[PackageConfig[ScannerConfig] | BuiltinConfig[ScannerConfig]]

SCOUT_SCANNER_NAME_RULE = (
    "Scout stores a scanner under its key lowercased, with every run of characters other than letters "
    "and digits replaced by '_', leading/trailing '_' removed, 'scanner_' put before a leading digit or "
    "a SQL word (select, table, from, where, insert, delete), cut to 55 characters"
)
_SCOUT_NAME_MAX_LENGTH = 55
_SCOUT_SQL_RESERVED = frozenset({"select", "table", "from", "where", "insert", "delete"})


def scout_scanner_name(key: str) -> str | None:
    """The name Scout stores a scanner key under (its results file, its rows' `scanner_key`, its summary
    entry): `inspect_scout._scanjob.safe_scanner_name`, copied so validation needs no inspect_scout
    (tests/config/test_scanner_keys.py checks they agree). None when Scout cannot name it."""
    if not key.strip():
        return None
    safe = re.sub(r"[^a-zA-Z0-9]+", "_", key).lower().strip("_")
    if safe and safe[0].isdigit():
        safe = "scanner_" + safe
    safe = safe[:_SCOUT_NAME_MAX_LENGTH]
    if safe in _SCOUT_SQL_RESERVED:
        safe = f"scanner_{safe}"
    return safe or None


def validate_scanners(scanners: ScannerPackages) -> ScannerPackages:
    """Every scanner key (`key` or `name`) must be unique across all scanner packages, also as Scout
    names it (Scout would otherwise suffix the names `_1`, `_2`), and nameable by Scout."""
    keys = [item.scanner_key for package in scanners for item in package.items]
    counts = Counter(keys)
    duplicates = sorted(key for key, count in counts.items() if count > 1)
    if duplicates:
        raise config_problem(
            DUPLICATE_SCANNER_KEY_ERROR,
            f"scanner key '{duplicates[0]}' is used by {counts[duplicates[0]]} scanners "
            "(give each of them a unique `key:`)",
        )
    by_scout_name: dict[str, list[str]] = {}
    for key in keys:
        scout_name = scout_scanner_name(key)
        if scout_name is None:
            raise config_problem(
                DUPLICATE_SCANNER_KEY_ERROR,
                f"scanner key '{key}' has no letter or digit, so Scout cannot name its results "
                "(give it a `key:` with letters or digits)",
            )
        by_scout_name.setdefault(scout_name, []).append(key)
    for scout_name, same in by_scout_name.items():
        if len(same) > 1:
            raise config_problem(
                DUPLICATE_SCANNER_KEY_ERROR,
                f"scanner keys {', '.join(repr(key) for key in same)} are all stored by Scout as "
                f"'{scout_name}' ({SCOUT_SCANNER_NAME_RULE}: give them keys that differ after that)",
            )
    return scanners


# A scan: scanners x models over transcripts. (No docstring: Hawk's JSON schema has no top-level
# description.)
class ScanConfig(UserConfig, extra="allow"):
    name: str | None = Field(
        default=None, min_length=1, description="Name of the scan; the default label is 'scan'."
    )
    max_transcripts: int | None = Field(
        default=None, description="Transcripts scanned concurrently (Scout's default is 25)."
    )
    max_processes: int | None = Field(default=None, description="Worker processes (Scout's default is 4).")
    packages: list[str] | None = Field(
        default=None, description="Extra pip requirements to install into the job's environment."
    )
    scanners: Annotated[ScannerPackages, AfterValidator(validate_scanners)] = Field(
        description="Scanners to run, grouped by package; scanner keys must be unique."
    )
    models: list[PackageConfig[ModelConfig] | BuiltinConfig[ModelConfig]] | None = Field(
        default=None, description="Models to scan with, one after the other."
    )
    model_roles: dict[str, SingleModelPackageConfig | SingleModelBuiltinConfig] | None = Field(
        default=None, description="Named model roles, one model each."
    )
    transcripts: TranscriptsConfig = Field(description="Transcripts to scan.")

    @pydantic.field_validator("runner", mode="after")
    @classmethod
    def _one_shard(cls, runner: RunnerConfig) -> RunnerConfig:
        if runner.shards != 1:
            raise config_problem(
                SHARDS_ERROR,
                "shards applies to eval sets only: a scan runs as one step (remove runner.shards)",
            )
        return runner

    def get_model_configs(self) -> list[PackageConfig[ModelConfig] | BuiltinConfig[ModelConfig]]:
        return model_configs(self.models, self.model_roles)

    def get_secrets(self) -> list[SecretConfig]:
        """Required secrets, deduped by name: scanner-level < runner.secrets."""
        scanner_secrets = [
            secret for package in self.scanners for scanner in package.items for secret in scanner.secrets
        ]
        return dedupe_secrets(scanner_secrets, self.runner.secrets)

    def packages_to_install(self) -> list[str]:
        """Sorted pip specs of every package the config uses (never inspect-ai, which hawk pins)."""
        configs: list[PackageConfig[Any] | BuiltinConfig[Any]] = [*self.scanners, *self.get_model_configs()]
        specs = {config.package for config in configs if config.package != BUILTIN_PACKAGE}
        specs |= {spec for spec in self.packages or [] if not names_inspect_ai(spec)}
        return sorted(specs)
