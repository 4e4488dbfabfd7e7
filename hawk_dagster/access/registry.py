"""The model-group registry: which group (and lab) each model belongs to.

Its source is a YAML file an administrator keeps (`ModelGroupFile`); `hawk admin model-groups sync FILE`
writes it into the warehouse (`sync_registry`: the registry tables and one NOLOGIN role per group), where
the API reads it back (`load_registry`) and the row-level security functions consult it.

Model names: a config's full name (`openai/gpt-4o`) is looked up first, then the name without its
provider prefix (`gpt-4o`, as the warehouse stores it), then a registry entry with that stripped name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hawk_dagster.access.permissions import PUBLIC_GROUPS, normalize_group
from hawk_dagster.importer.model_names import canonical_model_name

SYNC_HINT = (
    "add them to the model-group file and run `hawk admin model-groups sync FILE`, or set default_group"
)
GROUP_PREFIX = "model-access-"


class UnknownModels(LookupError):
    """Models the registry has no group for (and no default group): names them and the fix."""

    def __init__(self, models: Iterable[str]) -> None:
        self.models = sorted(set(models))
        super().__init__(f"unknown model(s) {', '.join(self.models)}: {SYNC_HINT}")


class ModelGroupFileError(ValueError):
    """The model-group YAML is invalid; the message names the file and the field."""


def valid_group_name(name: str) -> str:
    """The normalised group name; refuses names that are not `model-access-<x>` / `<x>-models`, so a
    group's role can never be an unrelated PostgreSQL role (`postgres`, `rls_bypass`)."""
    normalised = normalize_group(name.strip())
    if normalised not in PUBLIC_GROUPS and (
        not normalised.startswith(GROUP_PREFIX)
        or len(normalised) == len(GROUP_PREFIX)
        or len(normalised) > 63
    ):
        raise ValueError(
            f"group '{name}' must be named model-access-<x> or <x>-models (at most 63 characters)"
        )
    return normalised


class ModelEntry(BaseModel):
    """One model of a group and the lab that made it (the cross-lab scan guard compares labs)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="Model name as configs give it (`openai/gpt-4o`) or bare.")
    lab: str = Field(min_length=1, description="The lab that made the model (openai, anthropic, ...).")


class GroupEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    models: list[ModelEntry] = Field(default_factory=list)


class ModelGroupFile(BaseModel):
    """The YAML an administrator keeps: `groups: {<group>: {models: [{name, lab}]}}`, `default_group`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    groups: dict[str, GroupEntry] = Field(description="Model group -> its models.")
    default_group: str | None = Field(
        default=None, description="Group of models the file does not list; unset: such models are refused."
    )

    @field_validator("groups")
    @classmethod
    def _normalise_groups(cls, groups: dict[str, GroupEntry]) -> dict[str, GroupEntry]:
        normalised: dict[str, GroupEntry] = {}
        for name, entry in groups.items():
            group = valid_group_name(name)
            if group in normalised:
                raise ValueError(f"group '{name}' is listed twice (as {group})")
            normalised[group] = entry
        return normalised

    @field_validator("default_group")
    @classmethod
    def _normalise_default(cls, name: str | None) -> str | None:
        return None if name is None else valid_group_name(name)

    @model_validator(mode="after")
    def _each_model_once(self) -> ModelGroupFile:
        seen: dict[str, str] = {}
        for group, entry in self.groups.items():
            for model in entry.models:
                if model.name in seen:
                    raise ValueError(
                        f"model '{model.name}' is in groups {seen[model.name]} and {group}: keep one"
                    )
                seen[model.name] = group
        return self

    @classmethod
    def load(cls, path: Path) -> ModelGroupFile:
        """Read and validate the file; ModelGroupFileError names the file and the offending field."""
        try:
            data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise ModelGroupFileError(f"{path}: cannot read ({error.strerror or error})") from None
        except yaml.YAMLError as error:
            raise ModelGroupFileError(f"{path}: not valid YAML ({str(error).splitlines()[0]})") from None
        if not isinstance(data, dict):
            raise ModelGroupFileError(f"{path}: expected a mapping with `groups` (and `default_group`)")
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in item['loc']) or '(top level)'}: {item['msg']}"
                for item in error.errors()
            )
            raise ModelGroupFileError(f"{path}: {problems}") from None


class ModelGroupRegistry(BaseModel):
    """Model -> group and model -> lab (normalised group names), plus the default group."""

    model_config = ConfigDict(frozen=True)

    models: dict[str, str] = Field(default_factory=dict, description="model name -> group")
    labs: dict[str, str] = Field(default_factory=dict, description="model name -> lab")
    default_group: str | None = None

    @field_validator("models")
    @classmethod
    def _normalise(cls, models: dict[str, str]) -> dict[str, str]:
        return {name: normalize_group(group) for name, group in models.items()}

    @field_validator("default_group")
    @classmethod
    def _normalise_default(cls, name: str | None) -> str | None:
        return None if name is None else normalize_group(name)

    @classmethod
    def from_model_file(cls, file: ModelGroupFile) -> ModelGroupRegistry:
        return cls(
            models={m.name: group for group, entry in file.groups.items() for m in entry.models},
            labs={m.name: m.lab for entry in file.groups.values() for m in entry.models},
            default_group=file.default_group,
        )

    @classmethod
    def from_file(cls, path: Path) -> ModelGroupRegistry:
        """The registry a model-group YAML describes (ModelGroupFileError if invalid)."""
        return cls.from_model_file(ModelGroupFile.load(path))

    @property
    def groups(self) -> frozenset[str]:
        """Every group the registry names (the default included)."""
        named = set(self.models.values())
        if self.default_group is not None:
            named.add(self.default_group)
        return frozenset(named)

    def entry_for(self, model: str) -> str | None:
        """The registry's name for `model`: the full name, else the provider-stripped name, else the one
        registry entry whose stripped name is the same; None when the registry does not list it."""
        if model in self.models:
            return model
        stripped = canonical_model_name(model)
        if stripped in self.models:
            return stripped
        candidates = sorted(name for name in self.models if canonical_model_name(name) == stripped)
        return candidates[0] if len(candidates) == 1 else None

    def groups_for(self, models: Iterable[str]) -> dict[str, str]:
        """model -> its group, the default group for unlisted models; UnknownModels when there is none."""
        found: dict[str, str] = {}
        unknown: list[str] = []
        for model in models:
            entry = self.entry_for(model)
            if entry is not None:
                found[model] = self.models[entry]
            elif self.default_group is not None:
                found[model] = self.default_group
            else:
                unknown.append(model)
        if unknown:
            raise UnknownModels(unknown)
        return found

    def lab_of(self, model: str) -> str | None:
        entry = self.entry_for(model)
        return None if entry is None else self.labs.get(entry)

    def is_public(self, model: str) -> bool:
        """True when the model's group (or the default group, for unlisted ones) is public."""
        entry = self.entry_for(model)
        group = self.models[entry] if entry is not None else self.default_group
        return group is not None and group in PUBLIC_GROUPS


def load_registry(database_url: str) -> ModelGroupRegistry:
    """The registry as last synced into the warehouse (empty before the first sync)."""
    from hawk_dagster.access.registry_tables import read_registry

    return read_registry(database_url)


def sync_registry(database_url: str, registry: ModelGroupRegistry) -> SyncReport:
    """Write the registry into the warehouse tables and make its groups' roles; idempotent."""
    from hawk_dagster.access.registry_tables import write_registry

    return write_registry(database_url, registry)


class SyncReport(BaseModel):
    """What a sync changed (empty lists: nothing)."""

    groups_added: list[str] = Field(default_factory=list)
    groups_removed: list[str] = Field(default_factory=list)
    models_added: dict[str, str] = Field(default_factory=dict, description="model -> group")
    models_moved: dict[str, str] = Field(default_factory=dict, description="model -> 'old -> new'")
    models_removed: list[str] = Field(default_factory=list)
    labs_changed: dict[str, str] = Field(default_factory=dict, description="model -> 'old -> new'")
    default_group: str | None = Field(default=None, description="'old -> new' when it changed")
    roles_created: list[str] = Field(default_factory=list)
    roles_granted: list[str] = Field(default_factory=list, description="granted to model_access_all")

    @property
    def changed(self) -> bool:
        return any(value for value in self.model_dump().values())

    def lines(self) -> list[str]:
        """One line per change, for the CLI."""
        out = [f"group added: {g}" for g in self.groups_added]
        out += [f"group removed: {g} (its role is kept)" for g in self.groups_removed]
        out += [f"model added: {m} -> {g}" for m, g in sorted(self.models_added.items())]
        out += [f"model moved: {m}: {change}" for m, change in sorted(self.models_moved.items())]
        out += [f"model removed: {m}" for m in self.models_removed]
        out += [f"lab changed: {m}: {change}" for m, change in sorted(self.labs_changed.items())]
        if self.default_group is not None:
            out.append(f"default group: {self.default_group}")
        out += [f"role created: {r}" for r in self.roles_created]
        out += [f"role granted to model_access_all: {r}" for r in self.roles_granted]
        return out


def registry_from_rows(rows: Iterable[Mapping[str, Any]], default_group: str | None) -> ModelGroupRegistry:
    """A registry from (name, group, lab) rows."""
    rows = list(rows)
    return ModelGroupRegistry(
        models={row["name"]: row["group"] for row in rows},
        labs={row["name"]: row["lab"] for row in rows if row.get("lab")},
        default_group=default_group,
    )
