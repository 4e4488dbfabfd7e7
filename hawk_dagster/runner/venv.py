"""Isolated runner venvs built with uv, cached by what they hold.

A venv holds the config's packages plus the project's own `inspect-ai` (and `dagster-pipes`) versions.
Its cache key is the sorted requirement list, with local paths resolved and fingerprinted by their
files, plus the Python version, so a changed local package gets a new venv. A venv is built in a
temporary folder and renamed into place only when the install succeeded: a failed install leaves
nothing a re-run would trip on.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

VENV_LAYOUT_VERSION = "2"  # 2: bytecode compiled at install
MARKER_FILE = ".hawk-requirements.json"  # written last: a venv without it is incomplete
_SKIP_DIRS = {".git", "__pycache__", ".venv", "build", "dist", ".mypy_cache", ".ruff_cache"}


class PackageInstallError(RuntimeError):
    """The config's packages could not be installed into the runner venv."""


@dataclass(frozen=True)
class RunnerVenv:
    path: Path
    requirements: tuple[str, ...]
    reused: bool

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"


def uv_executable() -> str:
    """uv from the project's own environment (the `uv` PyPI package), else PATH."""
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found is None:
            raise PackageInstallError(
                "uv is not installed: run `make bootstrap` (or `pip install uv`)"
            ) from None
        return found


def pinned_runtime_requirements(extra_dists: Sequence[str] = ("inspect-ai",)) -> list[str]:
    """The project's own versions of what the runner needs, pinned exactly."""
    pins = [f"dagster-pipes=={metadata.version('dagster-pipes')}", "pyyaml"]
    pins += [f"{dist}=={metadata.version(dist)}" for dist in extra_dists]
    return pins


def runner_requirements(
    packages: Sequence[str], cwd: Path, runtime_dists: Sequence[str] = ("inspect-ai",)
) -> list[str]:
    """A run's venv: its config's packages (local paths made absolute) plus our pinned runtime.
    Raises PackageInstallError for a local package path that does not exist."""
    resolved = sorted({resolve_requirement(package, cwd) for package in packages})
    return resolved + pinned_runtime_requirements(runtime_dists)


def is_local_path(requirement: str, cwd: Path) -> bool:
    if requirement.startswith(("./", "../", "/", "~", "file:")):
        return True
    return (cwd / requirement).exists() and ("/" in requirement or requirement == ".")


def resolve_requirement(requirement: str, cwd: Path) -> str:
    """Local package paths become absolute (relative to `cwd`, like pip); others pass unchanged."""
    if requirement.startswith("file:"):
        return requirement
    if is_local_path(requirement, cwd):
        path = Path(requirement).expanduser()
        if not path.is_absolute():
            path = (cwd / path).resolve()
        if not path.exists():
            raise PackageInstallError(
                f"package path {requirement!r} does not exist (relative to {cwd}): "
                "fix the path or use a PEP 508 spec / git URL"
            )
        return str(path)
    return requirement


def _fingerprint_dir(path: Path) -> str:
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.endswith(".egg-info"))
        for name in sorted(files):
            file = Path(root) / name
            stat = file.stat()
            digest.update(f"{file.relative_to(path)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def cache_key(requirements: Sequence[str]) -> str:
    parts = [VENV_LAYOUT_VERSION, sys.version.split()[0]]
    for requirement in sorted(requirements):
        path = Path(requirement)
        if path.is_absolute() and path.is_dir():
            parts.append(f"{requirement}@{_fingerprint_dir(path)}")
        else:
            parts.append(requirement)
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:20]


def default_venv_cache_dir() -> Path:
    configured = os.environ.get("HAWK_VENV_CACHE")
    if configured:
        return Path(configured).expanduser().resolve()
    return (Path(os.environ.get("HAWK_HOME", ".hawk")) / "venvs").resolve()


def find_runner_venv(requirements: Sequence[str], cache_dir: Path | None = None) -> RunnerVenv | None:
    """The complete venv holding exactly `requirements`, or None when it is not built (builds nothing)."""
    final = (cache_dir or default_venv_cache_dir()) / cache_key(requirements)
    if (final / MARKER_FILE).exists():
        return RunnerVenv(final, tuple(requirements), reused=True)
    return None


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _uv_error_summary(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    interesting = [line for line in lines if "error" in line.lower() or "because" in line.lower()]
    chosen = (interesting or lines)[-3:]
    return " | ".join(chosen)[:600]


def ensure_runner_venv(
    requirements: Sequence[str],
    cache_dir: Path | None = None,
    log: object | None = None,
) -> RunnerVenv:
    """Returns a venv holding exactly `requirements`, building it once per cache key."""
    cache_dir = cache_dir or default_venv_cache_dir()
    key = cache_key(requirements)
    final = cache_dir / key
    marker = final / MARKER_FILE
    with _file_lock(cache_dir / f".{key}.lock"):
        if marker.exists():
            return RunnerVenv(final, tuple(requirements), reused=True)
        building = cache_dir / f".building-{key}-{os.getpid()}"
        shutil.rmtree(building, ignore_errors=True)
        if final.exists():  # an incomplete venv from an older layout: rebuild it
            shutil.rmtree(final)
        uv = uv_executable()
        env = {**os.environ, "UV_NO_PROGRESS": "1"}
        env.pop("VIRTUAL_ENV", None)
        try:
            _run([uv, "venv", "--quiet", "--relocatable", "--python", sys.executable, str(building)], env)
            _run(
                [
                    uv,
                    "pip",
                    "install",
                    "--quiet",
                    # Bytecode at install: every run then imports Inspect from .pyc, even where
                    # PYTHONDONTWRITEBYTECODE is set (it would otherwise compile Inspect on each start).
                    "--compile-bytecode",
                    "--python",
                    str(building / "bin" / "python"),
                    *requirements,
                ],
                env,
            )
        except PackageInstallError:
            shutil.rmtree(building, ignore_errors=True)
            raise
        (building / MARKER_FILE).write_text(json.dumps(sorted(requirements), indent=2))
        building.rename(final)
    return RunnerVenv(final, tuple(requirements), reused=False)


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise PackageInstallError(
            f"installing the runner's packages failed: {_uv_error_summary(result.stderr)} "
            "(fix the package spec in the config's `package:` fields or `packages:`)"
        )
