"""Dependency validation before launch: do the config's packages resolve together with our pinned runtime?

A run installs its packages into a fresh venv only once it has started; a conflict with the pinned
`inspect-ai` (or `inspect-scout`) would then fail the run minutes later. The launcher resolves the same
requirement list (`RunKind.requirements`, which `runner.venv` installs) with `uv pip compile` first, and
refuses with uv's explanation.

Resolving costs a second or more, so a success is remembered per requirement fingerprint (the venv cache
key: sorted requirements, local packages' files, Python version) in the user's cache folder
(`$HAWK_DEPENDENCY_CHECK_CACHE`, else `$XDG_CACHE_HOME/hawk-dagster/dependency-checks`, else
`~/.cache/...`), for `CACHE_TTL_SECONDS` (unpinned packages may change on the index). A runner venv already
built for the same fingerprint is proof enough. Failures are not cached: fixing the index or the package is
enough.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hawk_dagster.runner.venv import (
    _uv_error_summary,
    cache_key,
    default_venv_cache_dir,
    find_runner_venv,
    uv_executable,
)

TIMEOUT_ENV = "HAWK_DEPENDENCY_CHECK_TIMEOUT"
DEFAULT_TIMEOUT_SECONDS = 120.0
CACHE_TTL_SECONDS = 24 * 3600
CACHE_ENV = "HAWK_DEPENDENCY_CHECK_CACHE"
SKIP_HINT = "or pass --skip-dependency-validation"


class DependencyCheckError(RuntimeError):
    """The config's packages do not resolve with the pinned runtime (or resolving failed): one line."""


@dataclass(frozen=True)
class DependencyCheck:
    """A passed check and how it was decided: `resolved` ran uv; `cached` and `venv` did not."""

    key: str
    source: Literal["resolved", "cached", "venv"]


def default_timeout() -> float:
    raw = os.environ.get(TIMEOUT_ENV)
    if not raw:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        raise DependencyCheckError(f"{TIMEOUT_ENV}={raw!r} is not a number of seconds (e.g. 120)") from None
    if value <= 0:
        raise DependencyCheckError(f"{TIMEOUT_ENV}={raw!r} must be a positive number of seconds")
    return value


def default_cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured).expanduser().resolve()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "hawk-dagster" / "dependency-checks"


def cache_file(requirements: Sequence[str], cache_dir: Path | None = None) -> Path:
    return (cache_dir or default_cache_dir()) / f"{cache_key(requirements)}.json"


def _fresh(path: Path) -> bool:
    try:
        return time.time() - path.stat().st_mtime < CACHE_TTL_SECONDS
    except FileNotFoundError:
        return False


def conflict_explanation(stderr: str) -> str:
    """The lines of uv's output that say why (its `Because ...` chain), joined on one line."""
    # uv writes `cause: Because ...` when piped, `╰─▶ Because ...` on a terminal
    lines = [
        line.strip().removeprefix("cause:").lstrip("\u2570\u2500\u25b6\u00d7\u2502 ").strip()
        for line in stderr.splitlines()
    ]
    reasons: list[str] = []
    for raw, line in zip(stderr.splitlines(), lines, strict=True):
        if line.lower().startswith(("because", "and because")):
            reasons.append(line)
        elif reasons and line and raw[:1].isspace() and not raw.lstrip().startswith(("cause:", "help:")):
            reasons[-1] += f" {line}"  # uv wrapped the reason (COLUMNS is set): its indented rest
    if reasons:
        return " ".join(reasons)[:800]
    return _uv_error_summary(stderr)


def check_dependencies(
    requirements: Sequence[str],
    *,
    cache_dir: Path | None = None,
    venv_cache_dir: Path | None = None,
    timeout: float | None = None,
    uv: str | None = None,
) -> DependencyCheck:
    """Resolve `requirements` (a runner venv's, see `RunKind.requirements`) unless a fresh success (in
    `cache_dir`) or a venv built in `venv_cache_dir` says they resolve; raises DependencyCheckError with
    uv's explanation or the timeout."""
    key = cache_key(requirements)
    if find_runner_venv(requirements, venv_cache_dir or default_venv_cache_dir()) is not None:
        return DependencyCheck(key, "venv")
    cached = cache_file(requirements, cache_dir)
    if _fresh(cached):
        return DependencyCheck(key, "cached")
    timeout = default_timeout() if timeout is None else timeout
    uv = uv or uv_executable()
    env = {**os.environ, "UV_NO_PROGRESS": "1"}
    for name in ("VIRTUAL_ENV", "COLUMNS", "LINES"):  # COLUMNS would make uv wrap its reasons
        env.pop(name, None)
    with tempfile.TemporaryDirectory(prefix="hawk-deps-") as tmp:
        requirements_file = Path(tmp) / "requirements.in"
        requirements_file.write_text("\n".join(requirements) + "\n")
        command = [
            uv,
            "pip",
            "compile",
            "--quiet",
            "--no-header",
            "--python",
            sys.executable,  # the runner venv's interpreter (see runner.venv)
            "--output-file",
            str(Path(tmp) / "resolved.txt"),
            str(requirements_file),
        ]
        try:
            result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise DependencyCheckError(
                f"resolving the config's packages took longer than {timeout:g} s: retry, raise "
                f"{TIMEOUT_ENV}, {SKIP_HINT}"
            ) from None
        except OSError as exc:
            raise DependencyCheckError(f"cannot run uv to check the config's packages ({exc})") from None
        resolved = (Path(tmp) / "resolved.txt").read_text() if result.returncode == 0 else ""
    if result.returncode != 0:
        raise DependencyCheckError(
            f"the config's packages do not resolve with the runner's pinned packages: "
            f"{conflict_explanation(result.stderr)} (fix the `package:`/`packages:` specs, {SKIP_HINT})"
        )
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps({"requirements": list(requirements), "resolved": resolved}, indent=2))
    partial.replace(cached)
    return DependencyCheck(key, "resolved")
