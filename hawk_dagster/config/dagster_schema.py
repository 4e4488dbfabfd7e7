"""The Dagster config type of a Hawk config, generated from its pydantic model's JSON schema.

One source: the Launchpad's completions and field docs come from the same models (and descriptions) as
`hawk validate` and `hawk schema`. The type is as close as Dagster's config system gets:

- a model is a `Permissive` (known fields completed and type-checked; unknown keys pass, since Hawk
  accepts them with a warning), or a `Shape` where the model forbids extra keys;
- `dict[str, X]` is a `Map`, `dict[str, Any]` an empty `Permissive`; lists are `Array`s;
- `X | None` is `Noneable(X)`; a union of models (package or built-in items) is one permissive map of
  all their fields; any other union (`int | tuple`, `str | ApprovalConfig`) is `Any`.

Every field is optional here: which fields a config must have is left to the pydantic validation in the
run step, so a config missing `tasks:` still launches and fails at once with `hawk validate`'s message.

Imported only by the Dagster layer (`hawk_dagster/jobs`): the CLI never loads Dagster through this.
"""

from __future__ import annotations

from typing import Any

import dagster as dg
from pydantic import BaseModel

from hawk_dagster.config.loading import ConfigKind, config_model

JsonSchema = dict[str, Any]

_SCALARS: dict[str, Any] = {"string": dg.String, "integer": dg.Int, "number": dg.Float, "boolean": dg.Bool}


class _Converter:
    """Turns one JSON schema (with its `$defs`) into Dagster config types."""

    def __init__(self, root: JsonSchema) -> None:
        self.defs: dict[str, JsonSchema] = root.get("$defs", {})

    def resolve(self, node: JsonSchema) -> JsonSchema:
        while "$ref" in node:
            node = {
                **self.defs[node["$ref"].rsplit("/", 1)[-1]],
                **{k: v for k, v in node.items() if k != "$ref"},
            }
        return node

    def convert(self, node: JsonSchema) -> Any:
        node = self.resolve(node)
        options = node.get("anyOf") or node.get("oneOf")
        if options:
            return self._union([self.resolve(option) for option in options])
        kind = node.get("type")
        if kind == "object" or "properties" in node:
            return self._object([node])
        if kind == "array":
            if "items" in node and "prefixItems" not in node:
                return dg.Array(self.convert(node["items"]))
            return dg.Any
        if isinstance(kind, str) and kind in _SCALARS:
            return _SCALARS[kind]
        return dg.Any

    def _union(self, options: list[JsonSchema]) -> Any:
        present = [option for option in options if option.get("type") != "null"]
        nullable = len(present) < len(options)
        if not present:
            return dg.Any
        if len(present) == 1:
            inner = self.convert(present[0])
        elif all(option.get("type") == "object" and "properties" in option for option in present):
            inner = self._object(present)
        elif all(option.get("type") == "array" and "items" in option for option in present):
            inner = dg.Array(self._union([self.resolve(option["items"]) for option in present]))
        else:
            kinds = {option.get("type") for option in present}
            only = next(iter(kinds)) if len(kinds) == 1 else None
            inner = _SCALARS[only] if isinstance(only, str) and only in _SCALARS else dg.Any
        return dg.Noneable(inner) if nullable and inner is not dg.Any else inner

    def _object(self, variants: list[JsonSchema]) -> Any:
        """A model (or the union of several: their fields merged), or a `dict[str, X]`."""
        properties: dict[str, list[JsonSchema]] = {}
        for variant in variants:
            for name, prop in variant.get("properties", {}).items():
                properties.setdefault(name, []).append(prop)
        description = _description(variants[0]) if len(variants) == 1 else None
        if not properties:
            extra = variants[0].get("additionalProperties", True)
            if isinstance(extra, dict) and extra:
                return dg.Map(dg.String, self.convert(extra))
            return dg.Permissive(description=description)
        fields = {name: self._field(props) for name, props in properties.items()}
        closed = all(variant.get("additionalProperties") is False for variant in variants)
        return dg.Shape(fields, description=description) if closed else dg.Permissive(fields, description)

    def _field(self, props: list[JsonSchema]) -> dg.Field:
        distinct = [p for i, p in enumerate(props) if p not in props[:i]]
        config_type = self.convert(distinct[0]) if len(distinct) == 1 else self._union(distinct)
        description = next((d for d in (_description(self.resolve(p)) for p in distinct) if d), None)
        return dg.Field(config_type, is_required=False, description=description)


def _description(node: JsonSchema) -> str | None:
    text = node.get("description")
    return str(text) if text else None


def model_config_type(model: type[BaseModel]) -> Any:
    """The Dagster config type of a pydantic model (from its JSON schema, descriptions included)."""
    schema = model.model_json_schema()
    return _Converter(schema).convert(schema)


def dagster_config_type(kind: ConfigKind) -> Any:
    """The Dagster config type of a Hawk config of `kind` (`eval-set`, `scan`): what `hawk schema` prints."""
    return model_config_type(config_model(kind))
