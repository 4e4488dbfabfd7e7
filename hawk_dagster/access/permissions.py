"""Hawk's permission rule: the caller's model-access groups must cover the groups of every model.

`<x>-models` is normalised to `model-access-<x>`; `model-access-public` needs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from hawk_dagster.auth.identity import PUBLIC_GROUP, Identity

PUBLIC_GROUPS = frozenset({PUBLIC_GROUP, "public-models"})


class AccessDenied(PermissionError):
    """The caller lacks groups; names the models and the groups missing (one line)."""

    def __init__(self, missing: Mapping[str, str]) -> None:
        self.missing = dict(missing)
        """model name -> the group the caller lacks"""
        groups = sorted(set(self.missing.values()))
        models = sorted(self.missing)
        super().__init__(
            f"you lack model group(s) {', '.join(groups)} needed for model(s) {', '.join(models)}: "
            "ask an administrator for access"
        )


def normalize_group(name: str) -> str:
    """`<x>-models` -> `model-access-<x>`; other names unchanged."""
    if name.endswith("-models") and not name.startswith("model-access-"):
        return f"model-access-{name.removesuffix('-models')}"
    return name


def normalize_groups(names: Iterable[str]) -> frozenset[str]:
    return frozenset(normalize_group(name) for name in names)


def missing_groups(identity: Identity, model_groups: Mapping[str, str]) -> dict[str, str]:
    """model -> group for every model whose (non-public) group the caller does not hold. Local mode holds all."""
    if identity.local:
        return {}
    held = normalize_groups(identity.permissions)
    return {
        model: normalize_group(group)
        for model, group in model_groups.items()
        if normalize_group(group) not in PUBLIC_GROUPS and normalize_group(group) not in held
    }


def check_access(identity: Identity, model_groups: Mapping[str, str]) -> None:
    """Raise AccessDenied unless the caller holds the group of every model in `model_groups`."""
    missing = missing_groups(identity, model_groups)
    if missing:
        raise AccessDenied(missing)
