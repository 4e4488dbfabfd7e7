"""Hawk's cross-lab scan guard: a scan may not send one lab's non-public transcripts to another lab's
models unless the caller says so (`allow_sensitive_cross_lab_scan`).

A scanned model is refused when its group is not public and its lab is not the lab of any scanner
model. A non-public scanned model whose lab the registry does not record is refused too (it cannot be
shown to be the same lab).
"""

from __future__ import annotations

from collections.abc import Iterable

from hawk_dagster.access.registry import ModelGroupRegistry

ALLOW_FIELD = "allow_sensitive_cross_lab_scan"


class CrossLabScanRefused(PermissionError):
    """Names the scanned models (and their labs) that no scanner model's lab covers."""

    def __init__(self, refused: dict[str, str | None], scanner_labs: Iterable[str]) -> None:
        self.refused = dict(refused)
        labs = ", ".join(sorted(set(scanner_labs))) or "none"
        models = ", ".join(f"{m} (lab {lab or 'unknown'})" for m, lab in sorted(self.refused.items()))
        super().__init__(
            f"scanning non-public model(s) {models} with scanner models of lab(s) {labs} sends them to "
            f"another lab: use a scanner model of the same lab, or set {ALLOW_FIELD}: true"
        )


def check_cross_lab(
    scanner_models: Iterable[str],
    scanned_models: Iterable[str],
    registry: ModelGroupRegistry,
    allow: bool,
) -> None:
    """Raise CrossLabScanRefused unless every non-public scanned model shares a lab with a scanner model."""
    if allow:
        return
    scanner_labs = {lab for model in scanner_models if (lab := registry.lab_of(model)) is not None}
    refused: dict[str, str | None] = {}
    for model in scanned_models:
        if registry.is_public(model):
            continue
        lab = registry.lab_of(model)
        if lab is None or lab not in scanner_labs:
            refused[model] = lab
    if refused:
        raise CrossLabScanRefused(refused, scanner_labs)
