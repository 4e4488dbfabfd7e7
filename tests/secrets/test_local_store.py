"""Local secret stores: private files, deleted by reference once their run has ended."""

from __future__ import annotations

import stat
from pathlib import Path

from hawk_dagster.secrets import LocalSecretStore, release_secret_refs, resolve_secret_refs


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_put_writes_a_private_file_and_get_reads_it(tmp_path: Path) -> None:
    store = LocalSecretStore(tmp_path / "secrets")
    store.put("hawk-secrets-a", {"TOKEN": "v1"})
    path = tmp_path / "secrets" / "hawk-secrets-a.json"
    assert mode(path) == 0o600 and mode(tmp_path / "secrets") == 0o700
    assert store.get("hawk-secrets-a") == {"TOKEN": "v1"}


def test_release_deletes_the_referenced_stores_only(tmp_path: Path) -> None:
    store = LocalSecretStore(tmp_path / "secrets")
    store.put("hawk-secrets-a", {"TOKEN": "v1"})
    store.put("hawk-secrets-b", {"OTHER": "v2"})
    (tmp_path / "secrets" / "hawk-secrets-a.tmp").write_text("{}")  # a half-written put

    released = release_secret_refs(["hawk-secrets-a", "hawk-secrets-a", "team-keys"], store)

    assert released == ["hawk-secrets-a"]
    assert sorted(p.name for p in (tmp_path / "secrets").iterdir()) == ["hawk-secrets-b.json"]
    assert resolve_secret_refs(["hawk-secrets-a", "hawk-secrets-b"], store) == {"OTHER": "v2"}
    assert release_secret_refs(["hawk-secrets-a"], store) == []  # already released: nothing to do
