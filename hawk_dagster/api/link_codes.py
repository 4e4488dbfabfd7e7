"""One-time viewer login codes (`/view/link` -> `/view/login?code=`), shared by every API replica.

A code stands for the caller's bearer token for `LINK_CODE_SECONDS` and is redeemed once. The deployed API
runs several replicas behind one Service, so the code issued by one replica must be redeemable on another:
with a warehouse (`HAWK_DATABASE_URL`) the codes live in `hawk_api.viewer_link_code`; without one (a single
local process) they live in memory.

The warehouse never holds a usable token. The code itself is the key: the row is keyed by a hash of the
code and holds the token sealed with AES-GCM under another hash of the code, so whoever reads the table
(or a backup of it) has neither a code nor a token. Redeeming deletes the row in the same statement, so two
replicas cannot both redeem one code.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hawk_dagster.warehouse.schema import API_SCHEMA

LINK_CODE_SECONDS = 60
LINK_CODE_TABLE = f"{API_SCHEMA}.viewer_link_code"
NONCE_BYTES = 12


class LinkCodes(Protocol):
    def issue(self, token: str) -> str:
        """A fresh code standing for `token`."""
        ...

    def redeem(self, code: str) -> str | None:
        """The token of `code`, once; None when the code is unknown, used or expired."""
        ...


class MemoryLinkCodes:
    """Codes of one process (local mode, or an API without a warehouse)."""

    def __init__(self) -> None:
        self._codes: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def issue(self, token: str) -> str:
        code = secrets.token_urlsafe(24)
        now = time.monotonic()
        with self._lock:
            self._codes = {k: v for k, v in self._codes.items() if v[1] > now}
            self._codes[code] = (token, now + LINK_CODE_SECONDS)
        return code

    def redeem(self, code: str) -> str | None:
        with self._lock:
            entry = self._codes.pop(code, None)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]


def code_id(code: str) -> bytes:
    """The row key of `code`: a hash, so the table holds no code."""
    return hashlib.sha256(b"hawk-viewer-link-id\0" + code.encode()).digest()


def code_key(code: str) -> bytes:
    """The AES-256 key sealing the token of `code`: derived from the code alone."""
    return hashlib.sha256(b"hawk-viewer-link-key\0" + code.encode()).digest()


def seal(code: str, token: str) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(code_key(code)).encrypt(nonce, token.encode(), code_id(code))


def unseal(code: str, sealed: bytes) -> str | None:
    try:
        plain = AESGCM(code_key(code)).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], code_id(code))
    except InvalidTag:
        return None
    return plain.decode()


class WarehouseLinkCodes:
    """Codes in the warehouse, so any replica redeems a code another issued."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def issue(self, token: str) -> str:
        from hawk_dagster.warehouse.database import connect

        code = secrets.token_urlsafe(32)
        with connect(self.database_url) as connection:
            connection.execute(f"DELETE FROM {LINK_CODE_TABLE} WHERE expires_at < now()")
            connection.execute(
                f"INSERT INTO {LINK_CODE_TABLE} (code_id, sealed_token, expires_at) "
                "VALUES (%s, %s, now() + make_interval(secs => %s))",
                (code_id(code), seal(code, token), LINK_CODE_SECONDS),
            )
        return code

    def redeem(self, code: str) -> str | None:
        from hawk_dagster.warehouse.database import connect

        if not code:
            return None
        with connect(self.database_url) as connection:
            row = connection.execute(
                f"DELETE FROM {LINK_CODE_TABLE} WHERE code_id = %s RETURNING sealed_token, expires_at > now()",
                (code_id(code),),
            ).fetchone()
        if row is None or not row[1]:
            return None
        return unseal(code, bytes(row[0]))


def link_codes(database_url: str | None) -> LinkCodes:
    """The warehouse's codes when the API has one, else this process's."""
    return WarehouseLinkCodes(database_url) if database_url else MemoryLinkCodes()
