"""Keys: '/'-separated paths relative to the log root, the same for a local folder and S3."""

from __future__ import annotations

from .errors import InvalidKeyError

EVALS_PREFIX = "evals"
"""Eval sets: `evals/<eval_set_id>/<file>.eval` (+ `.config.yaml`, `.models.json`)."""
SCANS_PREFIX = "scans"
"""Scan runs: `scans/<scan_run_id>/scan_id=<id>/...` (+ `.config.yaml`, `.models.json`)."""


def join_key(*parts: str) -> str:
    """Join key parts with '/', dropping empty parts and surrounding slashes of each part."""
    return "/".join(p.strip("/") for p in parts if p.strip("/"))


def run_key(prefix: str, job_id: str, *names: str) -> str:
    """A run's folder under a kind's prefix (`evals/<id>`, `scans/<id>`), or a file in it."""
    return join_key(prefix, job_id, *names)


def eval_set_key(eval_set_id: str, *names: str) -> str:
    """`evals/<eval_set_id>[/<name>...]`."""
    return run_key(EVALS_PREFIX, eval_set_id, *names)


def scan_run_key(scan_run_id: str, *names: str) -> str:
    """`scans/<scan_run_id>[/<name>...]`."""
    return run_key(SCANS_PREFIX, scan_run_id, *names)


def check_key(key: str) -> str:
    """Return `key` if it names an object: relative, no empty, '.' or '..' segments."""
    if not key or key.startswith("/") or key.endswith("/"):
        raise InvalidKeyError(f"invalid log store key {key!r}: use a relative path like 'evals/<id>/x.eval'")
    _check_segments(key)
    return key


def check_prefix(prefix: str) -> str:
    """Return `prefix` if it may be used for listing: '' , 'evals/', or a partial name like 'evals/ab'."""
    if prefix.startswith("/"):
        raise InvalidKeyError(f"invalid log store prefix {prefix!r}: use a relative path like 'evals/'")
    if prefix:
        _check_segments(prefix.removesuffix("/"))
    return prefix


def dir_prefix(prefix: str) -> str:
    """'evals' or 'evals/' -> 'evals/'; '' -> '' (the root)."""
    check_prefix(prefix)
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


def _check_segments(path: str) -> None:
    for segment in path.split("/"):
        if segment in ("", ".", ".."):
            raise InvalidKeyError(
                f"invalid log store key {path!r}: empty, '.' and '..' segments are not allowed"
            )
