"""Hawk's cross-lab scan guard."""

from __future__ import annotations

import pytest

from hawk_dagster.access.cross_lab import CrossLabScanRefused, check_cross_lab
from hawk_dagster.access.registry import ModelGroupRegistry

REGISTRY = ModelGroupRegistry(
    models={
        "openai/gpt-4o": "model-access-openai",
        "openai/o3": "model-access-openai",
        "anthropic/claude-x": "model-access-anthropic",
        "hawk-offline/careful": "model-access-public",
        "mystery/unlabelled": "model-access-secret",
    },
    labs={
        "openai/gpt-4o": "openai",
        "openai/o3": "openai",
        "anthropic/claude-x": "anthropic",
        "hawk-offline/careful": "hawk-offline",
    },
)


def test_same_lab_scanner_may_scan() -> None:
    check_cross_lab(["openai/gpt-4o"], ["o3"], REGISTRY, allow=False)  # o3: as the warehouse stores it


def test_public_scanned_models_need_no_same_lab_scanner() -> None:
    check_cross_lab(["anthropic/claude-x"], ["hawk-offline/careful"], REGISTRY, allow=False)


def test_another_labs_non_public_model_is_refused_naming_it() -> None:
    with pytest.raises(CrossLabScanRefused) as raised:
        check_cross_lab(["anthropic/claude-x"], ["gpt-4o", "hawk-offline/careful"], REGISTRY, allow=False)
    assert raised.value.refused == {"gpt-4o": "openai"}
    message = str(raised.value)
    assert "gpt-4o (lab openai)" in message and "anthropic" in message
    assert "allow_sensitive_cross_lab_scan" in message


def test_one_scanner_of_the_lab_is_enough() -> None:
    check_cross_lab(["anthropic/claude-x", "openai/o3"], ["gpt-4o", "claude-x"], REGISTRY, allow=False)


def test_a_non_public_model_without_a_lab_is_refused() -> None:
    with pytest.raises(CrossLabScanRefused) as raised:
        check_cross_lab(["openai/o3"], ["mystery/unlabelled"], REGISTRY, allow=False)
    assert raised.value.refused == {"mystery/unlabelled": None}


def test_allow_skips_the_guard() -> None:
    check_cross_lab(["anthropic/claude-x"], ["gpt-4o"], REGISTRY, allow=True)
