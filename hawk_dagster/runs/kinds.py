"""The kinds of run, by config kind. A new kind (sample edits, scan resume) is one more `RunKind` here."""

from __future__ import annotations

from typing import Any

from hawk_dagster.runner.eval_set import EVAL_SET
from hawk_dagster.runs.kind import RunKind
from hawk_dagster.scans.run import SCAN

KINDS: dict[str, RunKind[Any]] = {kind.names.name: kind for kind in (EVAL_SET, SCAN)}

__all__ = ["EVAL_SET", "KINDS", "SCAN"]
