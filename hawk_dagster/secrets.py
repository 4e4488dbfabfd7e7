"""Run secrets: collected by the CLI, stored where the run reads them by reference, never in run config.

Locally a secret store is a JSON file only the user can read (`<HAWK_HOME>/secrets/<ref>.json`, 0600
in a 0700 folder); the run config carries its name (`secret_refs`). In a cluster the same name is a
Kubernetes Secret that the step pod receives through `envFrom` (see `hawk_dagster.k8s`), so the
values are already in the step's environment.

A local store lives only as long as its run: the step deletes it when it ends, succeeded or failed
(`release_secret_refs`). Resuming an eval set passes its secrets again, so nothing needs them later.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

_REF_PATTERN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class SecretsError(ValueError):
    """A secret is missing or a secrets file cannot be read."""


def default_secrets_dir() -> Path:
    return (Path(os.environ.get("HAWK_HOME", ".hawk")) / "secrets").resolve()


def parse_dotenv(text: str, source: str = "<secrets file>") -> dict[str, str]:
    """KEY=VALUE lines (optional `export `, quotes, comments); empty values are dropped like Hawk."""
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].strip()
        if "=" not in line:
            raise SecretsError(f"{source}:{number}: expected KEY=VALUE (got a line without '=')")
        key, value = line.split("=", 1)
        key = key.strip()
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise SecretsError(f"{source}:{number}: {key!r} is not a valid environment variable name")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if value:
            values[key] = value
    return values


def collect_secrets(
    secret_names: Iterable[str], secrets_files: Iterable[Path], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Values of `--secrets-file` files, then `--secret NAME` read from the environment (later wins)."""
    environ = os.environ if environ is None else environ
    values: dict[str, str] = {}
    for file in secrets_files:
        try:
            values.update(parse_dotenv(Path(file).read_text(), source=str(file)))
        except OSError as exc:
            raise SecretsError(f"cannot read secrets file {file}: {exc.strerror}") from None
    for name in secret_names:
        value = environ.get(name)
        if not value:
            raise SecretsError(
                f"--secret {name}: the environment variable {name} is not set or empty (export it first)"
            )
        values[name] = value
    return values


def missing_secrets(required: Iterable[str], available: Iterable[str]) -> list[str]:
    have = set(available)
    return sorted({name for name in required if name not in have})


def missing_secrets_message(missing: list[str]) -> str:
    names = ", ".join(missing)
    hints = " ".join(f"--secret {name}" for name in missing)
    return (
        f"missing required secrets: {names} "
        f"(export them and pass {hints}, or put them in a file given with --secrets-file)"
    )


class LocalSecretStore:
    """Secret stores as private dotenv files, addressed by a reference name."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or default_secrets_dir()

    def _path(self, ref: str) -> Path:
        if not _REF_PATTERN.fullmatch(ref):
            raise SecretsError(
                f"secret reference {ref!r} is not a valid name (lowercase letters, digits, '-')"
            )
        return self.directory / f"{ref}.json"

    def put(self, ref: str, values: Mapping[str, str]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        path = self._path(ref)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(dict(values), handle)
        os.replace(tmp, path)

    def get(self, ref: str) -> dict[str, str] | None:
        path = self._path(ref)
        if not path.exists():
            return None
        loaded = json.loads(path.read_text())
        return {str(k): str(v) for k, v in loaded.items()}

    def delete(self, ref: str) -> bool:
        """Remove the store (and a half-written one); False if there was none."""
        path = self._path(ref)
        path.with_suffix(".tmp").unlink(missing_ok=True)
        if not path.exists():
            return False
        path.unlink(missing_ok=True)
        return True


def resolve_secret_refs(refs: Iterable[str], store: LocalSecretStore | None = None) -> dict[str, str]:
    """Values of the referenced local stores; a ref with no local file is taken as provided by the
    platform (a Kubernetes Secret already in the environment)."""
    store = store or LocalSecretStore()
    values: dict[str, str] = {}
    for ref in refs:
        found = store.get(ref)
        if found is not None:
            values.update(found)
    return values


def release_secret_refs(refs: Iterable[str], store: LocalSecretStore | None = None) -> list[str]:
    """Delete the referenced local stores once their run has ended; returns the refs deleted.

    A ref with no local file (a Kubernetes Secret, or already released) is left alone."""
    store = store or LocalSecretStore()
    return [ref for ref in dict.fromkeys(refs) if store.delete(ref)]
